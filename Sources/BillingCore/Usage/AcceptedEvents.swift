/// A batch of accepted meter events, in receipt order, as the engine hands it to a store
/// (``BillingStore/ingest(_:)-(AcceptedEvents)``): per event only numbers (its run-local key, timestamp,
/// sequence and value) and its identifier's bytes. Accepting a usage file's row so copies a few words
/// and retains nothing; a ``RecordedMeterEvent`` (with its meter's and customer's ids, strings) is made
/// only for a store that asks for one (``recorded``). Before, each accepted row was made into one and
/// destroyed after filing: its strings retained and released were about 6% of a 5M-row CSV run's CPU
/// (perf, `billsim bench --sources csv`).
public struct AcceptedEvents: Sendable {
    /// An event as the memory store files it (``UsageBuckets``).
    struct Event: Sendable {
        var key: Int
        var usage: UsageBuckets.Entry
    }

    private(set) var events: [Event] = []
    /// The units of the events whose units do not fit in an entry (``UsageBuckets/Entry``), by place.
    private(set) var wide: [Int128] = []
    /// The identifiers' bytes, one after the other; event `i`'s end at `identifierEnds[i]`.
    private var identifierBytes: [UInt8] = []
    private var identifierEnds: [Int] = []
    /// What gives a key's meter and customer back.
    let keys: EventKeys

    init(keys: EventKeys) { self.keys = keys }

    public var count: Int { events.count }
    public var isEmpty: Bool { events.isEmpty }

    /// Appends an accepted event; `identifier` is its identifier's UTF-8.
    mutating func append(key: Int, timestamp: Instant, sequence: Int64, value: Decimal12, identifier: UnsafeBufferPointer<UInt8>) {
        events.append(
            Event(key: key, usage: UsageBuckets.Entry(timestamp: timestamp.seconds, sequence: sequence, units: value.units, wide: &wide)))
        identifierBytes.append(contentsOf: identifier)
        identifierEnds.append(identifierBytes.count)
    }

    /// Appends an accepted event whose identifier is a `String`.
    mutating func append(key: Int, timestamp: Instant, sequence: Int64, value: Decimal12, identifier: String) {
        var identifier = identifier
        identifier.withUTF8 { append(key: key, timestamp: timestamp, sequence: sequence, value: value, identifier: $0) }
    }

    mutating func reserveCapacity(_ count: Int) {
        events.reserveCapacity(count)
        identifierEnds.reserveCapacity(count)
        identifierBytes.reserveCapacity(count * 16)
    }

    /// Event `index`'s key, timestamp and sequence, and its value's units: read where they are, without the
    /// strings of a ``RecordedMeterEvent``.
    func numbers(_ index: Int) -> (key: Int, timestamp: Instant, sequence: Int64, units: Int128) {
        let event = events[index]
        return (event.key, Instant(seconds: event.usage.timestamp), event.usage.sequence, event.usage.units(in: wide))
    }

    /// Event `index` with its meter's and customer's ids.
    public subscript(index: Int) -> RecordedMeterEvent {
        let event = events[index]
        let (meter, customer) = keys.names(of: event.key)
        let start = index == 0 ? 0 : identifierEnds[index - 1]
        return RecordedMeterEvent(
            meter: meter, customer: customer, key: event.key, timestamp: Instant(seconds: event.usage.timestamp),
            sequence: event.usage.sequence, value: Decimal12(units: event.usage.units(in: wide)),
            identifier: String(decoding: identifierBytes[start..<identifierEnds[index]], as: UTF8.self))
    }

    /// Every event with its meter's and customer's ids.
    public var recorded: [RecordedMeterEvent] { events.indices.map { self[$0] } }
}
