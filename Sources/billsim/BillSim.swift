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
        subcommands: [Run.self, Validate.self, Invoices.self, Preview.self, Compare.self, Export.self, Shrink.self, Bench.self, RunWorker.self],
        defaultSubcommand: Run.self)
}

/// Options shared by the commands that run scenarios.
struct StoreOptions: ParsableArguments {
    @Option(name: .long, help: "Where a run keeps events and invoices: \(StoreRegistry.usage).")
    var store = "memory"

    @Flag(help: "PostgreSQL: keep each run's schema (named on stderr) instead of dropping it.")
    var keepSchema = false

    var request: StoreRequest { StoreRequest(value: store, keepSchema: keepSchema) }

    /// An unknown store, or one this build left out, is a usage error (exit 64), found before anything runs.
    func validate() throws {
        guard let backend = StoreRegistry.backends.first(where: { $0.matches(store) }) else {
            throw ValidationError("unknown store \"\(TerminalText.escaped(store))\" (known: \(StoreRegistry.usage))")
        }
        if let missing = backend.missing { throw ValidationError(missing) }
    }
}

func printError(_ text: String) {
    FileHandle.standardError.write(Data((text.hasSuffix("\n") ? text : text + "\n").utf8))
}

/// A file system error as a person reads it: the system's reason (`No such file or directory`),
/// not Foundation's error domain and code.
func reason(_ error: any Error) -> String {
    let error = error as NSError
    let underlying = (error.userInfo[NSUnderlyingErrorKey] as? any Error).map { $0 as NSError }
    if let posix = [underlying, error].compactMap({ $0 }).first(where: { $0.domain == NSPOSIXErrorDomain }) {
        return String(cString: strerror(Int32(posix.code)))
    }
    return error.localizedDescription
}

/// Loads one scenario file for `command` (`invoices`, `preview`) or exits 2 with its diagnostics.
func loadOrExit(_ path: String, command: String) throws -> Scenario {
    var isDirectory: ObjCBool = false
    if FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue {
        printError(
            "error: \(TerminalText.escaped(path, limit: nil)) is a folder: `billsim \(command)` takes one scenario file (`billsim run` takes folders)"
        )
        throw ExitCode(2)
    }
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
        printError("error: \(TerminalText.escaped(scenario.path, limit: nil)): \(TerminalText.escaped("\(error)", limit: 500))")
        throw ExitCode(1)
    }
}

extension BillSim {
    struct Run: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run scenarios and diff their invoices against the expected ones.",
            discussion: """
                Each scenario runs in its own process with a deadline, and its result is printed as soon as it (and every \
                file before it) has finished. Exit status: 0 when every scenario passes, 1 when any differs, fails to run \
                or times out, 2 when a file is invalid or missing or nothing was selected, 64 on bad command-line usage.
                """)

        @Argument(help: "Scenario files or folders (searched for .yaml/.yml).")
        var paths: [String] = ["Scenarios"]

        @Option(help: "Only scenarios whose path or name contains this text.")
        var filter: String?

        @Option(help: "Only scenarios with this tag (repeat: with every one of these tags).")
        var tag: [String] = []

        @Option(help: "Output format: \(ReportRegistry.names.joined(separator: ", ")).")
        var format = "text"

        @Option(help: "Folder under which the run's report folder is written (named after the paths, --filter and --tag).")
        var reports = "Reports"

        @Flag(help: "Do not write report files.")
        var noReports = false

        @Option(help: "Stop a scenario still running after this many seconds and report it as an error.")
        var timeout: Double = 300

        @Option(help: "How many scenarios run at once (results still print in file order).")
        var jobs = 1

        @Flag(
            help:
                "Write each scenario's generated invoices into NAME.expected.yaml beside it (referenced by `expect: { file: … }`), for review, then run. Refused when CI is set."
        )
        var record = false

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            guard ReportRegistry.formats[format] != nil else {
                throw ValidationError("unknown format \"\(TerminalText.escaped(format))\" (known: \(ReportRegistry.names.joined(separator: ", ")))")
            }
            guard timeout > 0, timeout <= 1e9 else { throw ValidationError("--timeout: expected a positive number of seconds, found \(timeout)") }
            guard jobs >= 1 else { throw ValidationError("--jobs: expected at least 1, found \(jobs)") }
            if jobs > 1, storeOptions.store.hasPrefix("sqlite:"), storeOptions.store != "sqlite::memory:" {
                throw ValidationError("--jobs \(jobs) with one SQLite file: the runs would share it (use --jobs 1 or sqlite::memory:)")
            }
        }

        func run() async throws {
            if !noReports {
                do {
                    try FileManager.default.createDirectory(atPath: reports, withIntermediateDirectories: true)
                } catch {
                    throw reportsError(error)
                }
            }
            let files = ScenarioRunner.discover(paths)
            guard !files.isEmpty else {
                printError("error: no scenario files (.yaml, .yml) in \(paths.map { TerminalText.escaped($0, limit: nil) }.joined(separator: ", "))")
                throw ExitCode(2)
            }
            if record {
                guard ProcessInfo.processInfo.environment["CI"] == nil else {
                    printError(
                        "error: --record is refused when CI is set: CI checks expectations and never writes them (record locally, review, commit)")
                    throw ExitCode(64)
                }
                let problems = await Record.record(files, store: storeOptions.request)
                for problem in problems { printError(problem) }
                guard problems.isEmpty else { throw ExitCode(2) }
            }
            let folder = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-run-\(UUID().uuidString)")
            try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
            defer { try? FileManager.default.removeItem(at: folder) }
            let arguments =
                ["--store", storeOptions.store] + (storeOptions.keepSchema ? ["--keep-schema"] : []) + (filter.map { ["--filter", $0] } ?? [])
                + tag.flatMap { ["--tag", $0] }
            let limit = Duration.milliseconds(Int64((timeout * 1000).rounded()))
            let colour = Terminal.colours(STDOUT_FILENO)
            let progress = Progress(total: files.count)
            let ticker = Task {
                while !Task.isCancelled {
                    try await Task.sleep(for: .milliseconds(250))
                    progress.draw()
                }
            }

            // Results arrive in any order when --jobs > 1; each is shown once every file before it has been.
            var summary = RunSummary()
            var parts: [String: [String]] = [:]
            var arrived: [Int: ScenarioProcesses.Finished?] = [:]
            var shown = 0
            func show() {
                while let next = arrived.removeValue(forKey: shown) {
                    shown += 1
                    guard let finished = next else { continue }
                    summary.add(finished.status, hasExpectations: finished.hasExpectations)
                    progress.finished(events: finished.events)
                    for name in ReportRegistry.names { parts[name, default: []].append(finished.parts[name] ?? "") }
                    if format == "text" {
                        progress.clear()
                        let part = finished.parts["text"] ?? ""
                        print(colour ? Terminal.coloured(part) : part, terminator: "")
                        fflush(nil)
                    }
                    for line in finished.notes.split(separator: "\n") { printError(TerminalText.escaped(String(line), limit: 500)) }
                }
            }
            let notRun = await ScenarioProcesses.run(
                files: files, arguments: arguments, jobs: jobs, timeout: limit, folder: folder, progress: { progress.running(worker: $0, $1) }
            ) { index, finished in
                arrived[index] = finished
                show()
            }
            ticker.cancel()
            progress.clear()
            if let notRun { printError("interrupted: \(notRun) of \(files.count) scenario files not run; the reports hold those that finished") }
            guard summary.total > 0 || notRun != nil else {
                let selection = ([filter.map { "--filter \"\($0)\"" }] + tag.map { "--tag \($0)" }).compactMap { $0 }.joined(separator: " ")
                printError(
                    "error: no scenario selected: none of the \(files.count) scenario files matches \(TerminalText.escaped(selection, limit: nil))")
                throw ExitCode(2)
            }
            // Text: the parts are on the screen already, the summary line is what is left (last).
            let output = ReportRegistry.formats[format]!.assemble(format == "text" ? [] : parts[format] ?? [], summary: summary)
            print(format == "text" && colour ? Terminal.coloured(summary: output, summary) : output, terminator: "")
            if !noReports {
                let files = ReportRegistry.names.compactMap { ReportRegistry.formats[$0] }.map { report in
                    (name: report.fileName, text: report.assemble(parts[report.name] ?? [], summary: summary))
                }
                do {
                    try ReportFolder.write(parent: reports, name: ReportFolder.name(paths: paths, filter: filter, tags: tag), files: files)
                } catch {
                    throw reportsError(error)
                }
            }
            if notRun != nil { throw ExitCode(130) }
            if summary.exitCode != 0 { throw ExitCode(summary.exitCode) }
        }

        /// The reports folder cannot be written: one line naming it and why, exit 2.
        func reportsError(_ error: any Error) -> ExitCode {
            printError(
                "error: cannot write the reports to \(TerminalText.escaped(reports, limit: nil)): \(reason(error)) (--reports DIR writes them elsewhere, --no-reports skips them)"
            )
            return ExitCode(2)
        }
    }

    struct Validate: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Check scenario files (and the usage files they name) without running them.",
            discussion: "Exit status: 0 when every file is valid, 2 when any is invalid or missing or there is none, 64 on bad usage.")

        @Argument(help: "Scenario files or folders.")
        var paths: [String]

        func run() async throws {
            let files = ScenarioRunner.discover(paths)
            guard !files.isEmpty else {
                printError("error: no scenario files (.yaml, .yml) in \(paths.map { TerminalText.escaped($0, limit: nil) }.joined(separator: ", "))")
                throw ExitCode(2)
            }
            var invalid = 0
            for file in files {
                let checked = ScenarioLoader.load(path: file).flatMap { scenario in UsageSources.validate(scenario.usage).map { _ in scenario } }
                switch checked {
                case .success: print("OK      \(TerminalText.escaped(file, limit: nil))")
                case .failure(let error):
                    invalid += 1
                    print("INVALID \(TerminalText.escaped(file, limit: nil))")
                    printError(error.description)
                }
            }
            if invalid > 0 { throw ExitCode(2) }
        }
    }

    struct Invoices: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            abstract: "Run one scenario and print its invoices as JSON (what `expect.invoices` takes, in either format).")

        @Argument(help: "A scenario file.")
        var scenario: String

        @Option(
            help:
                "billsim: billsim's readable document (RFC 3339 times, `lines` a list, each line's tiers). stripe: a JSON array of invoice objects as Stripe's API returns them (Unix timestamps, `lines` a list object, `pricing`, `parent`)."
        )
        var format = "billsim"

        @OptionGroup var storeOptions: StoreOptions

        func validate() throws {
            guard ["billsim", "stripe"].contains(format) else {
                throw ValidationError("unknown format \"\(TerminalText.escaped(format))\" (known: billsim, stripe)")
            }
        }

        func run() async throws {
            let loaded = try loadOrExit(scenario, command: "invoices")
            let outcome = try await simulateOrExit(loaded, store: storeOptions.request)
            if format == "stripe" {
                print(StripeInvoice.json(outcome.invoices, catalog: loaded.simulation.catalog), terminator: "")
            } else {
                print(DocumentValue.list(outcome.invoices.map(InvoiceDocument.document)).json(pretty: true))
            }
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
            var loaded = try loadOrExit(scenario, command: "preview")
            guard let instant = Instant(parsing: at) else {
                throw ValidationError("--at: expected RFC 3339, a date or Unix seconds, found \"\(TerminalText.escaped(at))\"")
            }
            guard instant >= loaded.simulation.clockStart else {
                throw ValidationError("--at \(instant) is before clock.start \(loaded.simulation.clockStart)")
            }
            guard loaded.simulation.subscriptions.contains(where: { $0.id == subscription }) else {
                let known = loaded.simulation.subscriptions.map { TerminalText.escaped($0.id) }.joined(separator: ", ")
                throw ValidationError("no subscription \(TerminalText.escaped(subscription)) (known: \(TerminalText.escaped(known, limit: 500)))")
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
