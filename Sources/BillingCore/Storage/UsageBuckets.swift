/// Accepted events bucketed by their (meter, customer) key, aggregated by (key, period): the memory
/// store's usage (``InMemoryBillingStore``) and the usage a re-rated variant reads (``ReceivedUsage``).
/// Events are filed into their buckets in groups (see ``file()``).
struct UsageBuckets: Sendable {
    /// 24 bytes: the value's units are kept in 63 bits when they fit (values up to about 4.6 million),
    /// else in ``UsageBuckets/wide``. With the 128-bit value inline an entry took 32 bytes, aligned to 16:
    /// the events kept are most of the memory store's memory and of its filing's traffic (a 5M-row CSV run:
    /// 0.93x the CPU and 40 MB less peak memory in paired runs).
    struct Entry: Sendable {
        var timestamp: Int64
        var sequence: Int64
        /// The units shifted left by one, or (odd) the place of the units in `wide`, shifted left by one.
        var packed: Int64

        init(timestamp: Int64, sequence: Int64, packed: Int64) {
            self.timestamp = timestamp
            self.sequence = sequence
            self.packed = packed
        }

        /// An entry of `units`, which go to `wide` when they do not fit in 63 bits.
        init(timestamp: Int64, sequence: Int64, units: Int128, wide: inout [Int128]) {
            self.timestamp = timestamp
            self.sequence = sequence
            if let small = Int64(exactly: units), small >= Int64.min >> 1, small <= Int64.max >> 1 {
                packed = small << 1
            } else {
                packed = Int64(wide.count) << 1 | 1
                wide.append(units)
            }
        }

        /// The units of the value; `wide` is the array an odd `packed` refers to.
        func units(in wide: [Int128]) -> Int128 { packed & 1 == 0 ? Int128(packed >> 1) : wide[Int(packed >> 1)] }
    }

    /// One (meter, customer)'s events, sorted by (timestamp, sequence) before it is read.
    struct Bucket: Sendable {
        var entries: [Entry] = []
        var sorted = true

        /// Appends a run of the bucket's events in receipt order.
        mutating func append(_ run: ArraySlice<Entry>) {
            var previous = entries.last?.timestamp ?? .min
            for entry in run {
                if entry.timestamp < previous { sorted = false }
                previous = entry.timestamp
            }
            // Capacities in powers of two, as appending one event at a time grows them: runs of a few dozen
            // events at a time would otherwise double from odd sizes (832 entries where 512 hold 500).
            let needed = entries.count + run.count
            if needed > entries.capacity { entries.reserveCapacity(1 << (Int.bitWidth - (needed - 1).leadingZeroBitCount)) }
            entries.append(contentsOf: run)
        }

        mutating func sortIfNeeded() {
            guard !sorted else { return }
            entries.sort { ($0.timestamp, $0.sequence) < ($1.timestamp, $1.sequence) }
            sorted = true
        }

        /// The first index whose timestamp is ≥ `bound`.
        func lowerBound(_ bound: Int64) -> Int {
            entries.partitioningIndex { $0.timestamp >= bound }
        }
    }

    /// How many ingested events wait in `received` at most before they are filed.
    static let filingThreshold = 1 << 17

    /// Buckets by ``RecordedMeterEvent/key``.
    var buckets: [Bucket] = []
    /// The units of the entries whose units do not fit in 63 bits, by place (``Entry/packed``).
    var wide: [Int128] = []
    /// Ingested events not in their buckets yet, in receipt order.
    var received: [AcceptedEvents.Event] = []
    /// ``file()``'s scratch space, kept between filings: a new one each time (4 MiB) was zeroed page by page.
    var grouped: [Entry] = []

    /// Takes a batch of accepted events (receipt order), filing them once enough wait.
    mutating func ingest(_ events: [RecordedMeterEvent]) {
        for event in events {
            received.append(
                AcceptedEvents.Event(
                    key: event.key, usage: Entry(timestamp: event.timestamp.seconds, sequence: event.sequence, units: event.value.units, wide: &wide))
            )
        }
        if received.count >= Self.filingThreshold { file() }
    }

    /// ``ingest(_:)-([RecordedMeterEvent])`` for the engine's compact batches: their events are copied as they are.
    mutating func ingest(_ events: AcceptedEvents) {
        if events.wide.isEmpty {
            received.append(contentsOf: events.events)
        } else {
            // The batch's wide units join these: their places move by the count before them.
            let offset = Int64(wide.count) << 1
            for var event in events.events {
                if event.usage.packed & 1 != 0 { event.usage.packed += offset }
                received.append(event)
            }
            wide += events.wide
        }
        if received.count >= Self.filingThreshold { file() }
    }

    /// The units of `entry`'s value.
    func units(of entry: Entry) -> Int128 { entry.units(in: wide) }

    /// Files the received events into their buckets, grouped by key first (a stable counting sort),
    /// so each bucket's array is touched once per filing rather than once per event. Appending event
    /// by event to 10,000 buckets missed the cache twice per event (the bucket's count, then its last
    /// entry): a fifth of the CPU samples of a 5M-event CSV bench run (perf, 2026-12-01).
    mutating func file() {
        guard !received.isEmpty else { return }
        let keys = max(buckets.count, received.reduce(0) { max($0, $1.key) } + 1)
        if keys > buckets.count { buckets.append(contentsOf: repeatElement(Bucket(), count: keys - buckets.count)) }
        if received.count * 16 < keys {
            // A few events among many keys (a threshold check's batch: one instant of one customer) are
            // sorted instead, stably by key, so that filing costs nothing per key.
            let order = received.indices.sorted { (received[$0].key, $0) < (received[$1].key, $1) }
            var position = 0
            while position < order.count {
                let key = received[order[position]].key
                var run: [Entry] = []
                while position < order.count, received[order[position]].key == key {
                    run.append(received[order[position]].usage)
                    position += 1
                }
                buckets[key].append(run[...])
            }
            received.removeAll(keepingCapacity: true)
            return
        }
        var next = [Int](repeating: 0, count: keys + 1)
        for event in received { next[event.key + 1] += 1 }
        for key in 0..<keys { next[key + 1] += next[key] }
        let starts = next
        if grouped.count < received.count {
            grouped = [Entry](repeating: Entry(timestamp: 0, sequence: 0, packed: 0), count: max(received.count, Self.filingThreshold))
        }
        for event in received {
            grouped[next[event.key]] = event.usage
            next[event.key] += 1
        }
        for key in 0..<keys where starts[key] < starts[key + 1] { buckets[key].append(grouped[starts[key]..<starts[key + 1]]) }
        received.removeAll(keepingCapacity: true)
    }

    /// Files every received event and sorts every bucket: afterwards ``aggregate(_:receivedThrough:)`` reads only.
    mutating func settle() {
        file()
        grouped = []
        for key in buckets.indices { buckets[key].sortIfNeeded() }
    }

    /// Sorts `query`'s bucket if it needs it (after ``file()``), then aggregates.
    mutating func aggregate(_ query: UsageQuery) throws(AmountOverflow) -> Decimal12 {
        if query.key < buckets.count { buckets[query.key].sortIfNeeded() }
        return try aggregate(query, receivedThrough: .max)
    }

    /// The query's aggregate over the events of sequence ≤ `receivedThrough` (the buckets filed and sorted).
    /// A `sum` beyond 128 bits is ``AmountOverflow/usageSum``, as on every store.
    func aggregate(_ query: UsageQuery, receivedThrough: Int64) throws(AmountOverflow) -> Decimal12 {
        guard query.key < buckets.count else { return .zero }
        let bucket = buckets[query.key]
        let entries = bucket.entries[bucket.lowerBound(query.period.start.seconds)..<bucket.lowerBound(query.period.end.seconds)]
        let everything = receivedThrough == .max
        switch query.formula {
        case .sum:
            var total: Int128 = 0
            for entry in entries where everything || entry.sequence <= receivedThrough {
                let (sum, overflow) = total.addingReportingOverflow(units(of: entry))
                guard !overflow else { throw .usageSum }
                total = sum
            }
            return Decimal12(units: total)
        case .count:
            return Decimal12(everything ? entries.count : entries.count { $0.sequence <= receivedThrough })
        case .last:
            // Sorted by (timestamp, sequence): the last element received is the latest, ties to the later received.
            return (entries.last { everything || $0.sequence <= receivedThrough }).map { Decimal12(units: units(of: $0)) } ?? .zero
        }
    }
}
