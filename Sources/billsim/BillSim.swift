import ArgumentParser
import BillingCore
import BillingDocument
import BillingHarness
import BillingReports
import BillingScenario
import Foundation

@main
struct BillSim: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "billsim",
        abstract: "Simulate Stripe usage-based billing from YAML scenarios and check the invoices.",
        subcommands: [Run.self, Validate.self, Invoices.self, Preview.self, Bench.self, Shrink.self],
        defaultSubcommand: Run.self)
}

/// Options shared by the commands that run scenarios.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Where a run keeps events and invoices: \(StoreRegistry.usage).")
    var store = "memory"

    @Flag(help: "PostgreSQL: keep each run's schema (named on stderr) instead of dropping it.")
    var keepSchema = false

    var request: StoreRequest { StoreRequest(value: store, keepSchema: keepSchema) }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// Loads one scenario or exits 2 with its diagnostics.
func loadOrExit(_ path: String) throws -> Scenario {
    switch ScenarioLoader.load(path: path) {
    case .success(let scenario): return scenario
    case .failure(let error):
        printError(error.description)
        throw ExitCode(2)
    }
}

/// Runs one scenario's clock, exiting 2 on invalid usage files and 1 on an engine or store error.
func simulateOrExit(_ scenario: Scenario, store: StoreRequest) async throws -> SimulationOutcome {
    let runner = ScenarioRunner(makeStore: try StoreRegistry.factory(for: store))
    do {
        return try await runner.simulate(scenario)
    } catch let error as ScenarioLoadError {
        printError(error.description)
        throw ExitCode(2)
    } catch {
        printError("error: \(scenario.path): \(error)")
        throw ExitCode(1)
    }
}

extension BillSim {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run scenarios and diff their invoices against the expected ones.",
            discussion: "Exit status: 0 when every scenario passes, 1 when any differs or fails to run, 2 when a file is invalid.")

        @Argument(help: "Scenario files or folders (searched for .yaml/.yml).")
        var paths: [String] = ["Scenarios"]

        @Option(help: "Only scenarios whose path or name contains this text.")
        var filter: String?

        @Option(help: "Only scenarios with this tag (repeat: with every one of these tags).")
        var tag: [String] = []

        @Option(help: "Output format: \(ReportRegistry.names.joined(separator: ", ")).")
        var format = "text"

        @Option(help: "Folder the reports are written to (one file per format).")
        var reports = "Reports"

        @Flag(help: "Do not write report files.")
        var noReports = false

        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            guard let renderer = ReportRegistry.formats[format] else {
                throw ValidationError("unknown format \"\(format)\" (known: \(ReportRegistry.names.joined(separator: ", ")))")
            }
            let files: [String]
            do {
                files = try ScenarioRunner.discover(paths)
            } catch {
                printError("error: \(error)")
                throw ExitCode(2)
            }
            let runner = ScenarioRunner(makeStore: try StoreRegistry.factory(for: storeOptions.request))
            let result = await runner.run(files: files, filter: filter, tags: tag)
            print(renderer.render(result), terminator: "")
            if !noReports {
                try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
                for report in ReportRegistry.formats.values {
                    try report.render(result).write(toFile: "\(reports)/last-run.\(report.fileExtension)", atomically: true, encoding: .utf8)
                }
            }
            if result.exitCode != 0 { throw ExitCode(result.exitCode) }
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check scenario files (and the usage files they name) without running them.",
            discussion: "Exit status: 0 when every file is valid, 2 otherwise.")

        @Argument(help: "Scenario files or folders.")
        var paths: [String]

        func run() async throws {
            var invalid = 0
            for file in try ScenarioRunner.discover(paths) {
                let checked = ScenarioLoader.load(path: file).flatMap { scenario in UsageSources.validate(scenario.usage).map { _ in scenario } }
                switch checked {
                case .success: print("OK      \(file)")
                case .failure(let error):
                    invalid += 1
                    print("INVALID \(file)")
                    printError(error.description)
                }
            }
            if invalid > 0 { throw ExitCode(2) }
        }
    }

    struct Invoices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one scenario and print its invoices as Stripe-shaped JSON (what `expect.invoices` takes).")

        @Argument(help: "A scenario file.")
        var scenario: String

        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let loaded = try loadOrExit(scenario)
            let outcome = try await simulateOrExit(loaded, store: storeOptions.request)
            print(DocumentValue.list(outcome.invoices.map(InvoiceDocument.document)).json(pretty: true))
        }
    }

    struct Preview: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Print a subscription's upcoming invoice at a clock time, with the usage received by then.")

        @Argument(help: "A scenario file.")
        var scenario: String

        @Option(help: "The subscription id.")
        var subscription: String

        @Option(help: "The clock time (RFC 3339, a date, or Unix seconds).")
        var at: String

        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            var loaded = try loadOrExit(scenario)
            guard let instant = Instant(parsing: at) else {
                throw ValidationError("--at: expected RFC 3339, a date or Unix seconds, found \"\(at)\"")
            }
            guard instant >= loaded.simulation.clockStart else {
                throw ValidationError("--at \(instant) is before clock.start \(loaded.simulation.clockStart)")
            }
            guard loaded.simulation.subscriptions.contains(where: { $0.id == subscription }) else {
                throw ValidationError("no subscription \(subscription) (known: \(loaded.simulation.subscriptions.map(\.id).joined(separator: ", ")))")
            }
            let name = "billsim preview"
            loaded.simulation.clockUntil = instant
            loaded.simulation.timeline.append(TimelineEntry(at: instant, action: .previewInvoice(subscription: subscription, name: name)))
            let outcome = try await simulateOrExit(loaded, store: storeOptions.request)
            guard let preview = outcome.previews[name] else { throw ExitCode(1) }
            print(InvoiceDocument.document(preview).json(pretty: true))
        }
    }
}
