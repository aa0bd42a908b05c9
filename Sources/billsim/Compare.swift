import ArgumentParser
import BillingCompare
import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import Foundation

extension BillSim {
    struct Compare: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run a scenario's base and its variants on the same usage and compare what each customer pays.",
            discussion: """
                Prints revenue per plan with the delta against the base, the distribution of per-customer deltas, the \
                biggest movers, and revenue by month and by price; checks `expect` and `expect.variants`. Exit status: \
                0 when every expectation holds, 1 when any differs or the run fails, 2 when the file is invalid, 64 on \
                bad usage (an unknown --variant).
                """)

        @Argument(help: "A scenario file with `variants:`.")
        var scenario: String

        @Option(help: "Compare only this variant (repeat for several; default: every variant).")
        var variant: [String] = []

        @Option(help: "Output format: text or json.")
        var format = "text"

        @Option(help: "Folder under which the comparison's report folder (NAME--compare) is written.")
        var reports = "Reports"

        @Flag(help: "Do not write report files.")
        var noReports = false

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            guard ["text", "json"].contains(format) else {
                throw ValidationError("unknown format \"\(TerminalText.escaped(format))\" (known: text, json)")
            }
        }

        func run() async throws {
            let loaded = try loadOrExit(scenario, command: "compare")
            let unknown = CompareRunner.unknown(variant, in: loaded)
            guard unknown.isEmpty else {
                let known = loaded.variants.map(\.name).joined(separator: ", ")
                printError(
                    "error: no variant \(unknown.map { TerminalText.escaped($0) }.joined(separator: ", ")) in \(TerminalText.escaped(scenario, limit: nil)) (variants: \(known.isEmpty ? "none" : TerminalText.escaped(known, limit: 500)))"
                )
                throw ExitCode(64)
            }
            let reading = ScenarioProgress()
            // Re-rated variants all run at once on the memory store (each over a store of its own; the engine
            // yields often, so they share the cores to the end); a SQL store is one file or server, so there
            // they run one after another.
            let runner = CompareRunner(
                runner: ScenarioRunner(makeStore: try StoreRegistry.factory(for: storeOptions.request), progress: reading),
                concurrency: storeOptions.store == "memory" ? .max : 1)
            // A re-rated variant reads no event: about a tenth to a fifth of the base run's time (billsim bench's
            // compare row), so it weighs 100 thousandths; they run first, then the variants run whole.
            let plan = runner.plan(loaded, selected: variant)
            let rerated = plan.filter(\.rerated).count
            let weights = [1000] + Array(repeating: 100, count: rerated) + Array(repeating: 1000, count: plan.count - rerated)
            let progress = Progress(total: 1 + plan.count, unit: "runs", weights: weights)
            let ticker = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(250))
                    progress.running(worker: 0, reading.snapshot)
                    progress.draw()
                }
            }
            let comparison: Comparison
            do {
                defer {
                    ticker.cancel()
                    progress.clear()
                }
                comparison = try await runner.compare(loaded, selected: variant) { events in
                    reading.reset()
                    progress.finished(events: events)
                }
            } catch let error as ScenarioLoadError {
                printError(error.description)
                throw ExitCode(2)
            } catch {
                printError("error: \(TerminalText.escaped(scenario, limit: nil)): \(TerminalText.escaped("\(error)", limit: 500))")
                throw ExitCode(1)
            }
            print(format == "json" ? comparison.document.json(pretty: true) : comparison.text, terminator: format == "json" ? "\n" : "")
            if !noReports {
                let files = [
                    (name: "report.html", text: comparison.html), (name: "summary.md", text: comparison.markdown),
                    (name: "comparison.json", text: comparison.document.json(pretty: true) + "\n"),
                    (name: "invoices.json", text: comparison.invoicesJSON), (name: "junit.xml", text: comparison.junitXML),
                ]
                do {
                    try ReportFolder.write(parent: reports, name: ReportFolder.compareName(scenario: scenario, variants: variant), files: files)
                } catch {
                    printError(
                        "error: cannot write the reports to \(TerminalText.escaped(reports, limit: nil)): \(reason(error)) (--reports DIR writes them elsewhere, --no-reports skips them)"
                    )
                    throw ExitCode(2)
                }
            }
            if comparison.exitCode != 0 { throw ExitCode(comparison.exitCode) }
        }
    }
}
