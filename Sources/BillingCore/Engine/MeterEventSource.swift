/// Meter events in the order they reach billing (non-decreasing ``MeterEvent/arrival``).
public protocol MeterEventSource {
    /// The next event, or `nil` at the end.
    mutating func next() throws -> MeterEvent?
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
