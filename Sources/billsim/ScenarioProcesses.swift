import ArgumentParser
import BillingDocument
import BillingHarness
import BillingReports
import Foundation

/// `billsim run` runs each scenario file in a child process of this same binary
/// (`billsim run-scenario`, hidden), at most `--jobs` at a time, with a deadline each.
///
/// Why a process and not a task: the engine, the usage readers and the generators are CPU-bound
/// loops on Swift's cooperative thread pool (as wide as the machine has cores). A task that
/// never checks for cancellation cannot be stopped, and abandoning it keeps a pool thread (and its
/// memory) for the rest of the run: two hung scenarios on this 2-core machine would stall all the
/// others. Checks of a cancellation flag would have to be in every loop that can run long, now and
/// in every later one (and a store call blocked in a database cannot check anything). A child
/// process is stopped for certain with SIGKILL, whatever it is doing, and it also contains a crash
/// (a trap, an out-of-memory kill) to the one scenario whose result it is. The cost is a process
/// start per file (a few milliseconds) and sending the result back as the rendered parts of each
/// report format (`ReportFormat.render(_: ScenarioResult)`), which need no decoding.
enum ScenarioProcesses {
    /// What a child writes to its result file: the scenario's rendered parts, or nothing if
    /// `--filter`/`--tag` left it out.
    struct ChildReport: Codable {
        var status: String?
        var hasExpectations = true
        /// Each report format's part, by format name.
        var parts: [String: String] = [:]
    }

    /// One scenario's finished result, as the parent knows it.
    struct Finished {
        var status: ScenarioStatus
        var hasExpectations: Bool
        var parts: [String: String]
        /// What the child wrote on its standard error (a store's notes), to pass on.
        var notes: String
    }

    /// Every format's part of a result rendered in this process.
    static func parts(_ result: ScenarioResult) -> [String: String] {
        ReportRegistry.formats.mapValues { $0.render(result) }
    }

    /// The running binary, to start children of.
    static var executable: String { Bundle.main.executablePath ?? CommandLine.arguments[0] }

    /// Runs `file` in a child process; `nil` when the filter or tags leave it out. A child that runs
    /// past `timeout`, crashes or exits without a result is an `error` result naming what happened.
    static func run(file: String, arguments: [String], timeout: Duration, folder: URL) async -> Finished? {
        let id = UUID().uuidString
        let resultURL = folder.appendingPathComponent("\(id).json")
        let errorURL = folder.appendingPathComponent("\(id).err")
        defer {
            try? FileManager.default.removeItem(at: resultURL)
            try? FileManager.default.removeItem(at: errorURL)
        }
        func failed(_ message: String, notes: String = "") -> Finished {
            let result = ScenarioResult(path: file, name: file, status: .error, errorMessage: message)
            return Finished(status: .error, hasExpectations: true, parts: parts(result), notes: notes)
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: executable)
        process.arguments = ["run-scenario", file, "--result", resultURL.path] + arguments
        process.standardInput = FileHandle.nullDevice
        process.standardOutput = FileHandle.nullDevice
        // Files, not pipes: nothing to drain while waiting, whatever the child writes.
        guard FileManager.default.createFile(atPath: errorURL.path, contents: nil), let errors = FileHandle(forWritingAtPath: errorURL.path)
        else { return failed("cannot create a temporary file in \(folder.path)") }
        process.standardError = errors
        let exited = AsyncStream<Void>.makeStream()
        process.terminationHandler = { _ in exited.continuation.finish() }
        let clock = ContinuousClock()
        let started = clock.now
        do {
            try process.run()
        } catch {
            return failed("cannot start \(executable): \(error)")
        }
        let pid = process.processIdentifier
        let timer = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        for await _ in exited.stream {}
        // Cancelled as soon as the child is seen to exit: a pid is reused only long after.
        timer.cancel()
        try? errors.close()
        let stderr = (try? String(contentsOf: errorURL, encoding: .utf8)) ?? ""
        let elapsed = clock.now - started
        if process.terminationReason == .uncaughtSignal {
            if process.terminationStatus == SIGKILL, elapsed >= timeout {
                return failed("timed out: still running after the --timeout of \(seconds(timeout)); stopped, and the other scenarios go on")
            }
            return failed("the run crashed (signal \(process.terminationStatus))" + firstLine(stderr).map { ": \($0)" }.orEmpty)
        }
        guard let data = try? Data(contentsOf: resultURL), let report = try? JSONDecoder().decode(ChildReport.self, from: data) else {
            return failed("the run stopped with exit status \(process.terminationStatus) and no result" + firstLine(stderr).map { ": \($0)" }.orEmpty)
        }
        guard let raw = report.status else { return nil }
        guard let status = ScenarioStatus(rawValue: raw) else { return failed("unknown status \(raw) from the child process") }
        return Finished(status: status, hasExpectations: report.hasExpectations, parts: report.parts, notes: stderr)
    }

    /// `1 s`, `2.5 s`.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }

    /// The line of a crash's output that says why (`Fatal error: …`), else its first line.
    static func firstLine(_ text: String) -> String? {
        let lines = text.split(separator: "\n")
        return (lines.first { $0.contains("Fatal error") } ?? lines.first).map(String.init)
    }
}

extension String? {
    var orEmpty: String { self ?? "" }
}

extension BillSim {
    /// One scenario file, run for `billsim run` in a child process (see `ScenarioProcesses`).
    struct RunScenario: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-scenario", abstract: "Run one scenario file for `billsim run` (internal).", shouldDisplay: false)

        @Argument var path: String
        @Option var filter: String?
        @Option var tag: [String] = []
        @Option var result: String
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            let runner = ScenarioRunner(makeStore: try StoreRegistry.factory(for: storeOptions.request))
            var report = ScenarioProcesses.ChildReport()
            if let ran = await runner.run(file: path, filter: filter, tags: tag) {
                report = ScenarioProcesses.ChildReport(
                    status: ran.status.rawValue, hasExpectations: ran.hasExpectations, parts: ScenarioProcesses.parts(ran))
            }
            try JSONEncoder().encode(report).write(to: URL(fileURLWithPath: result))
        }
    }
}
