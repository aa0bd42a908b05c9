import ArgumentParser
import BillingHarness
import BillingScenario
import BillingShrink
import Foundation

extension BillSim {
    struct Shrink: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Write the smallest scenario that fails the way a failing scenario does (for bug reports).",
            discussion: """
                The failure is a difference against the expectations (kept: the same field path shape, \
                e.g. invoices[*].total), an engine or store error (the same message), or, with --command, \
                how another build's process ends (a signal, an exit status, a timeout). Customers, \
                subscriptions, items, timeline entries, events (usage files and generators become literal \
                events), days of the clock and expectations are removed, then values simplified. \
                Exit status: 0 when a reduced scenario is written, 1 when the scenario does not fail, 2 when it is invalid.
                """)

        @Argument(help: "A failing scenario file.")
        var scenario: String

        @Flag(
            help:
                "Keep any failure of the same kind until the next step would pass (a diff still at a field of the same name, any error, any failing end of the command)."
        )
        var untilPass = false

        @Option(
            name: [.short, .long],
            help:
                "Write the reduced scenario here (its events go to <name>.usage.csv beside it when there are more than 200); default: standard output."
        )
        var output: String?

        @Option(help: "Run each candidate with this shell command instead of in process; {} is the candidate file (e.g. 'old/billsim run {}').")
        var command: String?

        @Option(help: "With --command: seconds before a candidate's process counts as hung.")
        var timeout = 60

        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let loaded = try loadOrExit(scenario, command: "shrink")
            let started = ContinuousClock.now
            let oracle: any ShrinkOracle
            var folder: URL?
            if let command {
                let candidates = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-shrink-\(UUID().uuidString)")
                try FileManager.default.createDirectory(at: candidates, withIntermediateDirectories: true)
                folder = candidates
                oracle = CommandOracle(command: command, folder: candidates, timeout: .seconds(timeout))
            } else {
                oracle = RunnerOracle(runner: ScenarioRunner(makeStore: try StoreRegistry.factory(for: storeOptions.request)))
            }
            defer { if let folder { try? FileManager.default.removeItem(at: folder) } }
            let result: ShrinkResult
            do {
                result = try await Shrinker(oracle: oracle, loosely: untilPass).shrink(loaded)
            } catch let error as ScenarioLoadError {
                printError(error.description)
                throw ExitCode(2)
            } catch {
                printError("error: \(error)")
                throw ExitCode(1)
            }
            let header = result.header(source: scenario)
            let file = output.map { URL(fileURLWithPath: $0) }
            let text = try ShrinkOutput.text(result.scenario, header: header, file: file, inlineEventLimit: 200)
            if let file {
                try text.write(to: file, atomically: true, encoding: .utf8)
            } else {
                print(text, terminator: "")
            }
            // The written file must load back and fail the same way (checked in process unless --command).
            let written =
                file.map { ScenarioLoader.load(path: $0.path) }
                ?? ScenarioLoader.load(yaml: text, path: FileManager.default.currentDirectoryPath + "/shrunk.yaml")
            switch written {
            case .failure(let error):
                printError("error: the reduced scenario does not load back (a bug in billsim shrink):\n\(error.description)")
                throw ExitCode(1)
            case .success(let reloaded) where command == nil:
                let verdict = await oracle.verdict(for: reloaded)
                if verdict.failure.map({ result.failure.admits($0, loosely: untilPass) }) != true {
                    printError(
                        "warning: the reduced scenario, loaded back, \(verdict.failure.map { "shows \($0)" } ?? "passes") (a bug in billsim shrink)")
                    throw ExitCode(1)
                }
            case .success: break
            }
            let elapsed = (ContinuousClock.now - started).components
            let milliseconds = elapsed.seconds * 1000 + elapsed.attoseconds / 1_000_000_000_000_000
            printError(
                "shrink: \(result.original) → \(result.reduced) in \(result.runs) runs, \(milliseconds / 1000).\(String(milliseconds % 1000 / 10).leftPadded(2)) s; keeps \(result.failure.kind): \(result.reducedFailure)"
            )
        }
    }
}

extension String {
    func leftPadded(_ width: Int) -> String { String(repeating: "0", count: max(0, width - count)) + self }
}
