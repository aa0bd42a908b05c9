/// Meter events in the order they reach billing (non-decreasing ``MeterEvent/arrival``).
public protocol MeterEventSource {
    /// The next event, or `nil` at the end.
    mutating func next() throws -> MeterEvent?
    /// The next events in order, at least one, or none at the end: how the engine reads, so that a
    /// source holding its events in batches hands each batch over whole instead of copying it out one
    /// ~170-byte event per call. A source that throws after some events must return those first and
    /// throw on the following call, as `next()` would. The default collects up to 4,096 events from
    /// `next()` (it suits sources that never throw after an event).
    mutating func nextBatch() throws -> [MeterEvent]
    /// ``nextBatch()``, or the next rows of a usage file in compact form (``UsageRows``): what the engine
    /// calls. The default hands over ``nextBatch()``'s events.
    mutating func nextEventBatch() throws -> MeterEventBatch
}

/// Events as a source hands them to the engine: events, or a usage file's rows (empty at the end).
public enum MeterEventBatch: Sendable {
    case events([MeterEvent])
    case rows(UsageRows)

    public var count: Int {
        switch self {
        case .events(let events): events.count
        case .rows(let rows): rows.count
        }
    }

    public var isEmpty: Bool { count == 0 }

    /// The last event's arrival, `nil` when the batch is empty.
    public var lastArrival: Instant? {
        switch self {
        case .events(let events): events.last?.arrival
        case .rows(let rows): rows.isEmpty ? nil : rows.arrival(rows.count - 1)
        }
    }
}

extension MeterEventSource {
    public mutating func nextEventBatch() throws -> MeterEventBatch { .events(try nextBatch()) }

    public mutating func nextBatch() throws -> [MeterEvent] {
        var batch: [MeterEvent] = []
        while batch.count < 4096, let event = try next() {
            if batch.isEmpty { batch.reserveCapacity(4096) }
            batch.append(event)
        }
        return batch
    }
}

/// The engine's place in a source: the batch at hand (events, or a usage file's rows) and the next event's index in it.
struct SourceCursor {
    var batch: [MeterEvent] = []
    var rows: UsageRows?
    /// The values of the usage file whose rows come in (``UsageRows``).
    var strings = UsageRowStrings()
    var count = 0
    var index = 0

    init(_ source: inout some MeterEventSource) throws { try refill(from: &source) }

    /// The next event's arrival, `nil` at the end.
    var nextArrival: Instant? { index < count ? rows?.arrival(index) ?? batch[index].arrival : nil }

    /// Whether every event of the batch has been received.
    var isDone: Bool { index == count }

    /// Hands the batch's next events to `intake` in order, each received at clock time
    /// `max(arrival, start, clock)`, while they arrive by `horizon` and by the intake's next threshold
    /// check, and fewer than `limit` accepted events wait in the intake; stops at the end of the batch.
    ///
    /// The events stay in the batch the source made (returned one by one through the read-ahead source
    /// and the merge, each ~170-byte event was copied two or three times: `memmove` was 8% of a 5M-row
    /// CSV run), and the validator's tables are loaded 16 events ahead (``MeterEventValidator/touch(_:)``).
    mutating func receive(into intake: inout EventIntake, start: Instant, horizon: Instant, clock: inout Instant, limit: Int) {
        if let rows {
            receive(rows, into: &intake, start: start, horizon: horizon, clock: &clock, limit: limit)
            return
        }
        var position = index
        batch.withUnsafeBufferPointer { events in
            var touchedUpTo = position
            while position < events.count, intake.pending.count < limit {
                if position == touchedUpTo {
                    touchedUpTo = min(position + 16, events.count)
                    intake.validator.touch(UnsafeBufferPointer(rebasing: events[position..<touchedUpTo]))
                }
                let arrival = events[position].arrival
                guard max(arrival, start) <= horizon, max(arrival, start) <= intake.nextCheck else { return }
                clock = max(arrival, start, clock)
                intake.receive(events[position], at: clock)
                position += 1
            }
        }
        index = position
    }

    /// ``receive(into:start:horizon:clock:limit:)`` for a usage file's rows, validated where they are.
    private mutating func receive(
        _ rows: UsageRows, into intake: inout EventIntake, start: Instant, horizon: Instant, clock: inout Instant, limit: Int
    ) {
        intake.validator.prepare(for: rows, strings: strings)
        var position = index
        var touchedUpTo = position
        while position < rows.count, intake.pending.count < limit {
            if position == touchedUpTo {
                touchedUpTo = min(position + 16, rows.count)
                intake.validator.touch(rows, position..<touchedUpTo)
            }
            let arrival = rows.arrival(position)
            guard max(arrival, start) <= horizon, max(arrival, start) <= intake.nextCheck else { break }
            clock = max(arrival, start, clock)
            intake.receive(row: position, of: rows, strings: strings, at: clock)
            position += 1
        }
        index = position
    }

    /// Counts and skips every event left (the clock stopped before they arrive).
    mutating func skipRest(of source: inout some MeterEventSource) throws -> Int {
        var skipped = 0
        while index < count {
            skipped += count - index
            try refill(from: &source)
        }
        return skipped
    }

    mutating func refill(from source: inout some MeterEventSource) throws {
        switch try source.nextEventBatch() {
        case .events(let events): (batch, rows, count) = (events, nil, events.count)
        case .rows(var new):
            strings.take(new)
            new.hashIdentifiers()
            (batch, rows, count) = ([], new, new.count)
        }
        index = 0
    }
}

/// A source over events already in memory, sorted stably by arrival.
public struct ArrayMeterEventSource: MeterEventSource {
    var events: [MeterEvent]
    var index = 0

    public init(_ events: [MeterEvent]) {
        self.events = events.enumerated().sorted { ($0.element.arrival, $0.offset) < ($1.element.arrival, $1.offset) }.map(\.element)
    }

    public mutating func next() throws -> MeterEvent? {
        guard index < events.count else { return nil }
        defer { index += 1 }
        return events[index]
    }
}

/// What happened to the usage of a run: nothing is dropped silently.
public struct UsageReport: Sendable, Hashable {
    /// How many rejected events are kept as samples per code.
    static let sampleLimit = 5

    public var received = 0
    public var accepted = 0
    public var rejected: [MeterEventErrorCode: Int] = [:]
    public var samples: [MeterEventErrorCode: [MeterEventRejection]] = [:]
    /// Accepted events whose period's invoice was already finalized: billed nowhere.
    public var late = 0
    public var lateSamples: [RecordedMeterEvent] = []
    /// Events whose arrival is after `clock.until`.
    public var notReceived = 0

    public init() {}

    public var rejectedTotal: Int { rejected.values.reduce(0, +) }

    mutating func record(_ rejection: MeterEventRejection) {
        rejected[rejection.code, default: 0] += 1
        if samples[rejection.code, default: []].count < Self.sampleLimit { samples[rejection.code, default: []].append(rejection) }
    }
}
