/// A (meter, customer) pair under its run-local key (``RecordedMeterEvent/key``).
package struct UsageKey: Sendable, Hashable {
    package var key: Int
    package var meter: String
    package var customer: String
}

/// The (meter, customer) pairs a database store has recorded, so that its events table holds integer
/// keys and each pair is written once, to a keys table, the first time one of its events arrives.
package struct UsageKeys: Sendable {
    /// Whether each key has been seen, by key.
    private var known: [Bool] = []

    package init() {}

    /// The pairs of `events` not seen before, in first-seen order; they count as seen from now on.
    package mutating func new(in events: [RecordedMeterEvent]) -> [UsageKey] {
        var fresh: [UsageKey] = []
        for event in events {
            if event.key >= known.count { known += repeatElement(false, count: event.key + 1 - known.count) }
            if !known[event.key] {
                known[event.key] = true
                fresh.append(UsageKey(key: event.key, meter: event.meter, customer: event.customer))
            }
        }
        return fresh
    }

    /// Counts `keys` as unseen again (their write failed), so that they are written with the next events.
    package mutating func forget(_ keys: [UsageKey]) {
        for key in keys where key.key < known.count { known[key.key] = false }
    }
}
