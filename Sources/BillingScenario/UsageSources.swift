import BillingCore
import BillingDocument
import Foundation

/// Turns a scenario's usage streams into one ``MeterEventSource`` in arrival order.
public enum UsageSources {
    /// Opens every stream of the scenario and merges them by arrival; ties keep `usage:` order, then
    /// each stream's own order. Files are opened and their headers read now; their rows stream as the
    /// run reads them, and a file's malformed rows come back, all at once, as a ``ScenarioLoadError``
    /// thrown by `next()` when that file ends. An unreadable file or header is a failure here.
    public static func open(_ streams: [UsageStream]) -> Result<MergedEventSource, ScenarioLoadError> {
        var sources: [any MeterEventSource] = []
        var diagnostics: [Diagnostic] = []
        var failedPath = ""
        for stream in streams {
            switch stream {
            case .events(let events):
                sources.append(ArrayMeterEventSource(events))
            case .generate(let spec):
                sources.append(GeneratedEventSource(spec))
            case .file(let path, let format, let location):
                switch UsageFileSource.open(path: path, format: format, referencedAt: location) {
                case .success(let source): sources.append(ReadAheadEventSource(source))
                case .failure(let error):
                    diagnostics += error.diagnostics
                    failedPath = error.path
                }
            }
        }
        guard diagnostics.isEmpty else { return .failure(ScenarioLoadError(path: failedPath, diagnostics: diagnostics)) }
        return .success(MergedEventSource(sources))
    }

    /// Reads every usage file of the scenario to its end, in bounded memory, and reports all their
    /// problems (each file's first ``UsageFileProblems/limit``, then a count of the rest).
    public static func validate(_ streams: [UsageStream]) -> Result<Void, ScenarioLoadError> {
        var diagnostics: [Diagnostic] = []
        var failedPath = ""
        for case .file(let path, let format, let location) in streams {
            do {
                var source = try UsageFileSource.open(path: path, format: format, referencedAt: location).get()
                while true {
                    var batch = source.emptyBatch
                    try source.read(into: &batch, size: ReadAheadEventSource.batchSize)
                    if batch.isEmpty { break }
                }
            } catch {
                diagnostics += error.diagnostics
                failedPath = error.path
            }
        }
        guard diagnostics.isEmpty else { return .failure(ScenarioLoadError(path: failedPath, diagnostics: diagnostics)) }
        return .success(())
    }
}

/// A CSV or JSON Lines usage file as a stream of events, read in 4 MiB chunks: memory does not grow with
/// the file. Rows must be in arrival order. See ``CSVEventReader`` and ``JSONLinesEventReader`` for the
/// formats; every malformed row is counted and reported at `file:line:col` when the file ends.
public struct UsageFileSource: MeterEventSource {
    var csv: CSVEventReader?
    var jsonl: JSONLinesEventReader?

    /// Opens the file (and reads a CSV header); a file that cannot be read, or a bad header, is a failure.
    public static func open(
        path: String, format: UsageFileFormat, referencedAt location: SourceLocation
    ) -> Result<UsageFileSource, ScenarioLoadError> {
        guard let file = ChunkedFile(path: path) else {
            let problem = Diagnostic(location: location, message: "usage file \(path) cannot be opened for reading")
            return .failure(ScenarioLoadError(path: location.file, diagnostics: [problem]))
        }
        return open(file, path: path, format: format)
    }

    /// Reads `bytes` as a usage file named `path`, through a buffer of `capacity` bytes (the longest
    /// row; 4 MiB as for files when `nil`) filled at most `readSize` bytes at a time: the tests and
    /// fuzz targets put chunk boundaries anywhere with small values.
    public static func open(
        bytes: [UInt8], path: String, format: UsageFileFormat, capacity: Int? = nil, readSize: Int = .max
    ) -> Result<UsageFileSource, ScenarioLoadError> {
        let file = ChunkedFile(bytes: bytes, capacity: capacity ?? ChunkedFile.defaultCapacity, readSize: readSize)
        return open(file, path: path, format: format)
    }

    static func open(_ file: ChunkedFile, path: String, format: UsageFileFormat) -> Result<UsageFileSource, ScenarioLoadError> {
        var source = UsageFileSource()
        switch format {
        case .csv:
            let reader = CSVEventReader(file: file, path: path)
            if reader.problems.fatal, let error = reader.problems.error(rows: 0, lastLine: 1) { return .failure(error) }
            source.csv = reader
        case .jsonl:
            source.jsonl = JSONLinesEventReader(file: file, path: path)
        }
        return .success(source)
    }

    /// Reading stopped at a row longer than the buffer (reported as such, maybe past the problems shown).
    public var stoppedAtLongRow: Bool { (csv?.file ?? jsonl?.file)?.isFull ?? false }

    /// The next event; at the end of the file, its problems (if any) as one ``ScenarioLoadError``.
    public mutating func nextEvent() throws(ScenarioLoadError) -> MeterEvent? {
        if csv != nil { return try csv!.next() }
        return try jsonl!.next()
    }

    public mutating func next() throws -> MeterEvent? { try nextEvent() }

    /// A batch to ``read(into:size:)`` into: a CSV file's rows in compact form (``UsageRows``), a JSON Lines
    /// file's events.
    var emptyBatch: MeterEventBatch { csv.map { MeterEventBatch.rows(UsageRows(payloadKeys: $0.payloadKeys)) } ?? .events([]) }

    /// Adds up to `size` events to `batch` (empty, from ``emptyBatch``); at the end of the file it stays empty.
    /// The file's problems are thrown at its end, after its last events (maybe after adding some to `batch`).
    mutating func read(into batch: inout MeterEventBatch, size: Int) throws(ScenarioLoadError) {
        // The batch is emptied before its arrays are filled, so that they are not shared (no copy on write).
        if case .rows(var rows) = batch {
            batch = .events([])
            rows.reserveCapacity(size)
            defer { batch = .rows(rows) }
            try csv!.read(into: &rows, limit: size)
        } else if case .events(var events) = batch {
            batch = .events([])
            events.reserveCapacity(size)
            defer { batch = .events(events) }
            while events.count < size, let event = try nextEvent() { events.append(event) }
        }
    }
}

/// A k-way merge of sources by arrival; ties go to the earlier source.
public struct MergedEventSource: MeterEventSource {
    var sources: [any MeterEventSource]
    /// Each source's next event; read on the first call to `next()` so a source's error surfaces there.
    var heads: [MeterEvent?]?
    /// A source's error met while filling a batch, thrown on the call after that batch.
    var failure: (any Error)?

    public init(_ sources: [any MeterEventSource]) { self.sources = sources }

    public mutating func nextBatch() throws -> [MeterEvent] {
        // One source hands over its own batches.
        if sources.count == 1 { return try sources[0].nextBatch() }
        return try mergedBatch()
    }

    public mutating func nextEventBatch() throws -> MeterEventBatch {
        if sources.count == 1 { return try sources[0].nextEventBatch() }
        return .events(try mergedBatch())
    }

    mutating func mergedBatch() throws -> [MeterEvent] {
        if let failure {
            self.failure = nil
            throw failure
        }
        var batch: [MeterEvent] = []
        do {
            while batch.count < ReadAheadEventSource.batchSize, let event = try next() { batch.append(event) }
        } catch {
            if batch.isEmpty { throw error }
            failure = error
        }
        return batch
    }

    public mutating func next() throws -> MeterEvent? {
        // One source (the usual case, a file or a generator) is already in arrival order: no merging.
        if sources.count == 1 { return try sources[0].next() }
        if heads == nil {
            var first: [MeterEvent?] = []
            for index in sources.indices { first.append(try sources[index].next()) }
            heads = first
        }
        var best: Int?
        for index in heads!.indices {
            guard let head = heads![index] else { continue }
            if let current = best, let bestHead = heads![current], bestHead.arrival <= head.arrival { continue }
            best = index
        }
        guard let index = best else { return nil }
        let event = heads![index]
        heads![index] = try sources[index].next()
        return event
    }
}

/// A seeded synthetic stream: each customer has its own arrival process and random source, keyed by
/// the stream's seed and the customer's id (so adding, removing or reordering customers never changes
/// another customer's events), and the customers' events are interleaved by time (ties in customer order).
/// Identifiers are the stream's prefix, the customer and the customer's event count.
public struct GeneratedEventSource: MeterEventSource {
    struct Arrival: Comparable {
        var at: Instant
        var customer: Int
        static func < (lhs: Arrival, rhs: Arrival) -> Bool { (lhs.at, lhs.customer) < (rhs.at, rhs.customer) }
    }

    let spec: GeneratorSpec
    var randoms: [SplitMix64]
    /// Each customer's arrival process (its own rate, when the rate is drawn per customer).
    let processes: [any ArrivalProcess]
    var arrivals = Heap<Arrival>()
    /// Events emitted so far, per customer.
    var emitted: [Int64]

    public init(_ spec: GeneratorSpec) {
        self.spec = spec
        randoms = spec.customers.map { SplitMix64(seed: spec.seed, stream: "events", key: $0) }
        emitted = Array(repeating: 0, count: spec.customers.count)
        processes = spec.customerArrivals
        for index in spec.customers.indices {
            arrivals.insert(Arrival(at: processes[index].first(from: spec.from, random: &randoms[index]), customer: index))
        }
    }

    public mutating func next() throws -> MeterEvent? {
        guard let arrival = arrivals.removeMin(), arrival.at < spec.to else { return nil }
        let index = arrival.customer
        let value = spec.values.value(random: &randoms[index])
        arrivals.insert(Arrival(at: processes[index].next(after: arrival.at, random: &randoms[index]), customer: index))
        emitted[index] += 1
        var payload = MeterEventPayload()
        payload[spec.customerKey] = spec.customers[index]
        payload[spec.valueKey] = value.description
        let identifier = spec.identifierPrefix + spec.customers[index] + "_" + String(emitted[index])
        return MeterEvent(eventName: spec.eventName, timestamp: arrival.at, identifier: identifier, payload: payload)
    }
}

/// Reads a usage file ahead on its own thread, in batches of ``batchSize`` events, while the engine bills
/// the batch before: parsing overlaps billing on a second core. At most ``queuedRows`` batches of a CSV file's rows wait (at
/// most ``queuedEvents`` of events, from a JSON Lines file), so memory stays
/// bounded whatever the file's size. The file's problems come out of `next()` after its last event.
/// A CSV file's batches are rows in compact form (``UsageRows``), which the engine validates where they
/// are (`nextEventBatch()`); `next()` and `nextBatch()` make them into events.
public struct ReadAheadEventSource: MeterEventSource {
    static let batchSize = 8192
    /// How many batches of a CSV file's rows may wait (~0.45 MB each, so at most ~60 MB whatever the file's
    /// size). The engine sets up and bills the first instant (10,000 subscriptions' first invoices in the bench,
    /// 0.15–0.2 s) while the file is read: with room for two batches the reader stopped after 5 ms of it, with
    /// 32 after ~60 ms, with 128 it reads on through most of it. In-process wall time of the 5M-row CSV bench
    /// row, 7 alternated runs each: 32 batches 0.91× two batches' (peak +10 MB), 128 batches 0.945× 32's
    /// (peak 273–278 → 282–328 MB).
    static let queuedRows = 128
    /// How many batches of events (a JSON Lines file's) may wait, as before: each event is a `MeterEvent` with its
    /// payload (hundreds of bytes), and that reader is slower than the engine (1M events/s in the bench), so more
    /// room would only hold memory.
    static let queuedEvents = 2

    /// The batches between the reading thread and the engine.
    final class Queue: @unchecked Sendable {
        let condition = NSCondition()
        var batches: [MeterEventBatch] = []
        var failure: ScenarioLoadError?
        var done = false
        var cancelled = false
    }

    /// Stops the reading thread when the engine drops the source before the end.
    final class Owner {
        let queue: Queue
        init(_ queue: Queue) { self.queue = queue }
        deinit {
            queue.condition.lock()
            queue.cancelled = true
            queue.condition.broadcast()
            queue.condition.unlock()
        }
    }

    /// Hands the file's reader to the thread (it is used there only).
    final class Transfer: @unchecked Sendable {
        var source: UsageFileSource
        init(_ source: UsageFileSource) { self.source = source }
    }

    let owner: Owner
    /// The batch being read by `next()`.
    var current: [MeterEvent] = []
    var index = 0
    /// The file's values, for making rows into events (every batch of rows passes through it, in order).
    var strings = UsageRowStrings()

    public init(_ source: UsageFileSource) {
        let queue = Queue()
        owner = Owner(queue)
        let transfer = Transfer(source)
        let queued = source.csv != nil ? Self.queuedRows : Self.queuedEvents
        let thread = Thread {
            var failure: ScenarioLoadError?
            var ended = false
            while !ended {
                var batch = transfer.source.emptyBatch
                do throws(ScenarioLoadError) {
                    try transfer.source.read(into: &batch, size: Self.batchSize)
                    if batch.isEmpty { ended = true }
                } catch {
                    failure = error
                    ended = true
                }
                queue.condition.lock()
                while queue.batches.count >= queued, !queue.cancelled { queue.condition.wait() }
                if queue.cancelled {
                    queue.condition.unlock()
                    return
                }
                if !batch.isEmpty { queue.batches.append(batch) }
                if ended {
                    queue.failure = failure
                    queue.done = true
                }
                queue.condition.broadcast()
                queue.condition.unlock()
            }
        }
        thread.start()
    }

    public mutating func next() throws -> MeterEvent? {
        if index == current.count {
            current = try nextBatch()
            index = 0
            if current.isEmpty { return nil }
        }
        defer { index += 1 }
        return current[index]
    }

    /// The next batch's events (rows made into events); empty at the end.
    public mutating func nextBatch() throws -> [MeterEvent] {
        switch try nextEventBatch() {
        case .events(let events): return events
        case .rows(let rows): return (0..<rows.count).map { rows.event($0, strings: strings.strings) }
        }
    }

    /// The next batch as the reading thread made it (the engine's path: no copy per event); empty at the end.
    public mutating func nextEventBatch() throws -> MeterEventBatch {
        if index < current.count {
            defer { (current, index) = ([], 0) }
            return .events(index == 0 ? current : Array(current[index...]))
        }
        let queue = owner.queue
        queue.condition.lock()
        while queue.batches.isEmpty, !queue.done { queue.condition.wait() }
        if queue.batches.isEmpty {
            let failure = queue.failure
            queue.failure = nil
            queue.condition.unlock()
            if let failure { throw failure }
            return .events([])
        }
        let batch = queue.batches.removeFirst()
        queue.condition.broadcast()
        queue.condition.unlock()
        if case .rows(let rows) = batch { strings.take(rows) }
        return batch
    }
}

extension GeneratorSpec {
    /// Each customer's arrival process. A per-customer rate comes from a source of its own, keyed by
    /// the customer's id, so the events of a stream with a fixed rate are the same as before rates could vary.
    var customerArrivals: [any ArrivalProcess] {
        customers.map { customer in
            var random = SplitMix64(seed: seed, stream: "rate", key: customer)
            return arrivals.forCustomer(random: &random)
        }
    }
}
