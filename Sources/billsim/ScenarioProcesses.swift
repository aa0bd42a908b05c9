import ArgumentParser
import BillingCore
import BillingDocument
import BillingHarness
import BillingReports
import Dispatch
import Foundation
import Synchronization

/// `billsim run` runs the scenario files in child processes of this same binary
/// (`billsim run-worker`, hidden), at most `--jobs` at a time, with a deadline for each file.
///
/// Why processes and not tasks: the engine, the usage readers and the generators are CPU-bound
/// loops on Swift's cooperative thread pool (as wide as the machine has cores). A task that
/// never checks for cancellation cannot be stopped, and abandoning it keeps a pool thread (and its
/// memory) for the rest of the run: two hung scenarios on a 2-core machine would stall all the
/// others. Checks of a cancellation flag would have to be in every loop that can run long, now and
/// in every later one (and a store call blocked in a database cannot check anything). A child
/// process is stopped for certain with SIGKILL, whatever it is doing, and it also confines a crash
/// (a trap, an out-of-memory kill) to the one scenario it was running.
///
/// A worker runs file after file (a process start costs about 0.1 s, more than most scenarios), and
/// is replaced only when it was stopped or died. Requests and answers are JSON, one per line: the
/// answer carries the scenario's part of each report format (`ReportFormat.render(_: ScenarioResult)`),
/// which needs no decoding.
enum ScenarioProcesses {
    /// A worker's answer for one file: the scenario's rendered parts, or nothing if `--filter`/`--tag`
    /// left it out.
    struct ChildReport: Codable {
        var status: String?
        var hasExpectations = true
        /// Each report format's part, by format name.
        var parts: [String: String] = [:]
        /// The usage events the scenario received (for the progress line).
        var events = 0
    }

    /// One scenario's finished result, as the parent knows it.
    struct Finished: Sendable {
        var status: ScenarioStatus
        var hasExpectations: Bool
        var parts: [String: String]
        /// The usage events the scenario received.
        var events = 0
        /// What the worker wrote on its standard error meanwhile (a store's notes), to pass on.
        var notes: String
    }

    /// Every format's part of a result rendered in this process.
    static func parts(_ result: ScenarioResult) -> [String: String] {
        ReportRegistry.formats.mapValues { $0.render(result) }
    }

    /// The running binary, to start workers of.
    static var executable: String { Bundle.main.executablePath ?? CommandLine.arguments[0] }

    /// Runs `files` on `jobs` workers; calls `deliver` with each file's index and result (`nil`: not
    /// selected, or not run) as it finishes, in any order. After an interrupt (Ctrl-C) the files running
    /// end as `interrupted` errors and no more start: returns then how many were not run (else `nil`),
    /// and the caller still reports and writes everything that finished.
    static func run(
        files: [String], arguments: [String], jobs: Int, timeout: Duration, folder: URL,
        progress: @escaping @Sendable (_ worker: Int, ScenarioProgress.Snapshot?) -> Void = { _, _ in }, deliver: (Int, Finished?) -> Void
    ) async -> Int? {
        // A worker that died leaves a closed pipe: writing to it must fail (and be reported), not kill this process.
        signal(SIGPIPE, SIG_IGN)
        let queue = Queue(count: files.count)
        let (results, sink) = AsyncStream<(Int, Finished?)>.makeStream()
        // Ctrl-C: no more files are handed out, and the workers (in process groups of their own, so the
        // terminal's signal does not reach them) are stopped.
        signal(SIGINT, SIG_IGN)
        let interrupts = DispatchSource.makeSignalSource(signal: SIGINT)
        interrupts.setEventHandler {
            Task {
                for index in await queue.stop() { sink.yield((index, nil)) }
            }
        }
        interrupts.resume()
        defer {
            interrupts.cancel()
            signal(SIGINT, SIG_DFL)
        }
        await withTaskGroup(of: Void.self) { group in
            for number in 0..<min(jobs, files.count) {
                group.addTask {
                    var worker: Worker?
                    while let index = await queue.take() {
                        let log = folder.appendingPathComponent("worker-\(number).err")
                        let finished = await run(files[index], on: &worker, arguments: arguments, timeout: timeout, log: log, queue: queue) {
                            progress(number, $0)
                        }
                        progress(number, nil)
                        sink.yield((index, finished))
                    }
                    if let worker {
                        worker.finish()
                        await queue.ended(worker.process.processIdentifier)
                    }
                }
            }
            var remaining = files.count
            for await (index, finished) in results {
                deliver(index, finished)
                remaining -= 1
                if remaining == 0 { break }
            }
        }
        sink.finish()
        return await queue.interrupted ? queue.notRun : nil
    }

    /// The next file for a free worker.
    actor Queue {
        var next = 0
        let count: Int
        var interrupted = false
        /// How many files an interrupt left out.
        var notRun = 0
        init(count: Int) { self.count = count }
        func take() -> Int? {
            guard next < count else { return nil }
            defer { next += 1 }
            return next
        }
        /// The workers running, to stop on an interrupt.
        var workers: Set<pid_t> = []
        func started(_ pid: pid_t) { workers.insert(pid) }
        func ended(_ pid: pid_t) { workers.remove(pid) }

        /// No more files, and the running workers stopped: the indices of the files not handed out yet.
        func stop() -> Range<Int> {
            for pid in workers { kill(pid, SIGKILL) }
            defer {
                interrupted = true
                notRun += count - next
                next = count
            }
            return next..<count
        }
    }

    /// One file on a worker (started if there is none). A worker that runs past `timeout`, crashes or
    /// exits gives an `error` result naming what happened, and is gone.
    static func run(
        _ file: String, on worker: inout Worker?, arguments: [String], timeout: Duration, log: URL, queue: Queue,
        progress: (ScenarioProgress.Snapshot) -> Void
    ) async -> Finished? {
        func failed(_ message: String, notes: String = "") -> Finished {
            let result = ScenarioResult(path: file, name: file, status: .error, errorMessage: message)
            return Finished(status: .error, hasExpectations: true, parts: parts(result), notes: notes)
        }
        if worker == nil {
            do {
                let started = try Worker(arguments: arguments, log: log)
                await queue.started(started.process.processIdentifier)
                worker = started
            } catch {
                return failed("cannot start \(executable): \(error)")
            }
        }
        guard let running = worker else { return nil }
        let clock = ContinuousClock()
        let started = clock.now
        let pid = running.process.processIdentifier
        let timer = Task {
            try await Task.sleep(for: timeout)
            kill(pid, SIGKILL)
        }
        let answer = await running.ask(file, progress: progress)
        // Cancelled as soon as the answer (or the end of the worker) is seen: a pid is reused only long after.
        timer.cancel()
        let notes = running.newLog()
        if let answer {
            guard let report = try? JSONDecoder().decode(ChildReport.self, from: answer) else {
                kill(pid, SIGKILL)  // a worker that answers what it should not is not asked again
                worker = nil
                running.process.waitUntilExit()
                await queue.ended(pid)
                return failed("unreadable answer from the worker process")
            }
            guard let raw = report.status else { return nil }  // not selected
            guard let status = ScenarioStatus(rawValue: raw) else { return failed("unknown status \(raw) from the worker process") }
            return Finished(status: status, hasExpectations: report.hasExpectations, parts: report.parts, events: report.events, notes: notes)
        }
        // No answer: the worker is gone (stopped, crashed or exited), and this file is why.
        worker = nil
        running.process.waitUntilExit()
        await queue.ended(pid)
        if await queue.interrupted { return failed("interrupted (Ctrl-C): stopped") }
        if running.process.terminationReason == .uncaughtSignal {
            if running.process.terminationStatus == SIGKILL, clock.now - started >= timeout {
                return failed("timed out: still running after the --timeout of \(seconds(timeout)); stopped, and the other scenarios go on")
            }
            return failed("the run crashed (signal \(running.process.terminationStatus))" + firstLine(notes).map { ": \($0)" }.orEmpty)
        }
        return failed(
            "the run stopped with exit status \(running.process.terminationStatus) and no result" + firstLine(notes).map { ": \($0)" }.orEmpty)
    }

    /// A `billsim run-worker` child: a file path in on its standard input, a `ChildReport` out on its
    /// standard output, one JSON line each; its standard error goes to a file (a crash's message).
    final class Worker: @unchecked Sendable {
        let process = Process()
        let input: FileHandle
        let lines: AsyncStream<Data>
        var iterator: AsyncStream<Data>.Iterator
        let log: URL
        var logOffset: UInt64 = 0

        init(arguments: [String], log: URL) throws {
            self.log = log
            let stdin = Pipe()
            let stdout = Pipe()
            guard FileManager.default.createFile(atPath: log.path, contents: nil), let errors = FileHandle(forWritingAtPath: log.path) else {
                throw CLIError("cannot create \(log.path)")
            }
            process.executableURL = URL(fileURLWithPath: ScenarioProcesses.executable)
            process.arguments = ["run-worker"] + arguments
            process.standardInput = stdin
            process.standardOutput = stdout
            process.standardError = errors
            try process.run()
            try? errors.close()
            input = stdin.fileHandleForWriting
            let (lines, sink) = AsyncStream<Data>.makeStream()
            self.lines = lines
            iterator = lines.makeAsyncIterator()
            // A thread of its own reads the answers, so a long one never fills the pipe.
            let output = stdout.fileHandleForReading
            Thread.detachNewThread {
                // Each byte is looked at once: an answer can be megabytes (a rejected value in the JSON part).
                var buffer = [UInt8]()
                var scanned = 0
                while case let chunk = output.availableData, !chunk.isEmpty {
                    buffer.append(contentsOf: chunk)
                    while let newline = buffer[scanned...].firstIndex(of: UInt8(ascii: "\n")) {
                        sink.yield(Data(buffer[..<newline]))
                        buffer.removeSubrange(...newline)
                        scanned = 0
                    }
                    scanned = buffer.count
                }
                sink.finish()
            }
        }

        /// The answer for `file`, or `nil` when the worker ended first; the progress lines before it go to `progress`.
        func ask(_ file: String, progress: (ScenarioProgress.Snapshot) -> Void) async -> Data? {
            guard var request = try? JSONEncoder().encode([file]) else { return nil }
            request.append(UInt8(ascii: "\n"))
            do {
                try input.write(contentsOf: request)
            } catch {
                return nil
            }
            while let line = await iterator.next() {
                guard line.starts(with: ProgressLine.prefix) else { return line }
                if let snapshot = ProgressLine.decode(line) { progress(snapshot) }
            }
            return nil
        }

        /// What the worker wrote on its standard error since the last call.
        func newLog() -> String {
            guard let handle = FileHandle(forReadingAtPath: log.path) else { return "" }
            defer { try? handle.close() }
            try? handle.seek(toOffset: logOffset)
            let data = (try? handle.readToEnd()) ?? Data()
            logOffset += UInt64(data.count)
            return String(decoding: data, as: UTF8.self)
        }

        /// Ends the worker: its input closes, so it exits after its last answer.
        func finish() {
            try? input.close()
            process.waitUntilExit()
        }
    }

    /// `1 s`, `2.5 s`.
    static func seconds(_ duration: Duration) -> String {
        let milliseconds = duration.components.seconds * 1000 + duration.components.attoseconds / 1_000_000_000_000_000
        return milliseconds % 1000 == 0 ? "\(milliseconds / 1000) s" : "\(Double(milliseconds) / 1000) s"
    }

    /// The line of a crash's output that says why (`Fatal error: …`, `*** Swift runtime failure: … ***`),
    /// else its first line; escaped and cut (`TerminalText`), as it may quote the scenario.
    static func firstLine(_ text: String) -> String? {
        let lines = text.split(separator: "\n").map { $0.trimmingCharacters(in: CharacterSet(charactersIn: "* ")) }.filter { !$0.isEmpty }
        let why = lines.first { line in ["Fatal error", "runtime failure", "Program crashed"].contains { line.contains($0) } } ?? lines.first
        return why.map { TerminalText.escaped($0, limit: 300) }
    }
}

extension String? {
    var orEmpty: String { self ?? "" }
}

/// A worker's progress line, `{"progress":[events,permille]}`: told apart from an answer (a
/// `ChildReport`, whose JSON never starts so) by its first bytes.
enum ProgressLine {
    static let prefix = Data(#"{"progress":["#.utf8)

    static func encode(_ snapshot: ScenarioProgress.Snapshot) -> Data {
        Data(#"{"progress":[\#(snapshot.events),\#(snapshot.permille)]}"#.utf8) + Data([UInt8(ascii: "\n")])
    }

    static func decode(_ line: Data) -> ScenarioProgress.Snapshot? {
        guard let object = try? JSONDecoder().decode([String: [Int]].self, from: line), let pair = object["progress"], pair.count == 2 else {
            return nil
        }
        return ScenarioProgress.Snapshot(events: pair[0], permille: pair[1])
    }
}

extension BillSim {
    /// Runs scenario files for `billsim run` in a child process (see `ScenarioProcesses`): reads one
    /// JSON `[path]` line at a time on its standard input, answers one `ChildReport` JSON line.
    struct RunWorker: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "run-worker", abstract: "Run scenario files for `billsim run` (internal).", shouldDisplay: false)

        @Option var filter: String?
        @Option var tag: [String] = []
        @OptionGroup var storeOptions: StoreOptions

        func run() async throws {
            // A worker outlives no `billsim run`: if the parent is gone (killed), so is the worker, even mid-scenario.
            let parent = getppid()
            Thread.detachNewThread {
                while getppid() == parent { sleep(1) }
                Foundation.exit(1)
            }
            // While a scenario runs, a line `{"progress":[events,permille]}` every quarter second tells the
            // parent how far it has got (one lock keeps it from landing inside an answer).
            let progress = ScenarioProgress()
            let output = Mutex(false)  // whether a scenario is running
            Thread.detachNewThread {
                var last: ScenarioProgress.Snapshot?
                while true {
                    usleep(250_000)
                    let snapshot = progress.snapshot
                    output.withLock { running in
                        guard running, snapshot != last else { return }
                        last = snapshot
                        FileHandle.standardOutput.write(ProgressLine.encode(snapshot))
                    }
                }
            }
            let runner = ScenarioRunner(makeStore: try StoreRegistry.factory(for: storeOptions.request), progress: progress)
            while let line = readLine() {
                guard let path = try JSONDecoder().decode([String].self, from: Data(line.utf8)).first else { continue }
                var report = ScenarioProcesses.ChildReport()
                output.withLock { $0 = true }
                let result = await runner.run(file: path, filter: filter, tags: tag)
                if let ran = result {
                    report = ScenarioProcesses.ChildReport(
                        status: ran.status.rawValue, hasExpectations: ran.hasExpectations, parts: ScenarioProcesses.parts(ran),
                        events: ran.outcome?.usage.received ?? 0)
                }
                var answer = try JSONEncoder().encode(report)
                answer.append(UInt8(ascii: "\n"))
                output.withLock { running in
                    running = false
                    FileHandle.standardOutput.write(answer)
                }
            }
        }
    }
}
