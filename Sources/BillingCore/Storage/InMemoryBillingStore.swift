import Synchronization

/// The reference ``BillingStore``: everything in memory, events bucketed by their (meter, customer) key.
public final class InMemoryBillingStore: BillingStore {
    struct Entry {
        var timestamp: Int64
        var sequence: Int64
        var value: Int128
    }

    /// One (meter, customer)'s events, sorted by (timestamp, sequence) before it is read.
    struct Bucket {
        var entries: [Entry] = []
        var sorted = true

        mutating func append(_ event: RecordedMeterEvent) {
            if let last = entries.last, event.timestamp.seconds < last.timestamp { sorted = false }
            entries.append(Entry(timestamp: event.timestamp.seconds, sequence: event.sequence, value: event.value.units))
        }

        mutating func sortIfNeeded() {
            guard !sorted else { return }
            entries.sort { ($0.timestamp, $0.sequence) < ($1.timestamp, $1.sequence) }
            sorted = true
        }

        /// The first index whose timestamp is ≥ `bound`.
        func lowerBound(_ bound: Int64) -> Int {
            var low = 0
            var high = entries.count
            while low < high {
                let mid = (low + high) / 2
                if entries[mid].timestamp < bound { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }

    struct State {
        /// Buckets by ``RecordedMeterEvent/key``.
        var buckets: [Bucket] = []
        var invoices: [String: Invoice] = [:]

        /// A `sum` beyond 128 bits is ``AmountOverflow/usageSum``, as on every store.
        mutating func aggregate(_ query: UsageQuery) throws(AmountOverflow) -> Decimal12 {
            guard query.key < buckets.count else { return .zero }
            buckets[query.key].sortIfNeeded()
            let bucket = buckets[query.key]
            let range = bucket.lowerBound(query.period.start.seconds)..<bucket.lowerBound(query.period.end.seconds)
            switch query.formula {
            case .sum:
                var total: Int128 = 0
                for entry in bucket.entries[range] {
                    let (sum, overflow) = total.addingReportingOverflow(entry.value)
                    guard !overflow else { throw .usageSum }
                    total = sum
                }
                return Decimal12(units: total)
            case .count:
                return Decimal12(range.count)
            case .last:
                // Sorted by (timestamp, sequence): the last element is the latest, ties to the later received.
                return range.isEmpty ? .zero : Decimal12(units: bucket.entries[range.upperBound - 1].value)
            }
        }
    }

    let state = Mutex(State())

    public init() {}

    public func ingest(_ events: [RecordedMeterEvent]) async throws {
        state.withLock { state in
            for event in events {
                if event.key >= state.buckets.count {
                    state.buckets.append(contentsOf: repeatElement(Bucket(), count: event.key + 1 - state.buckets.count))
                }
                state.buckets[event.key].append(event)
            }
        }
    }

    public func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
        try state.withLock { state throws(AmountOverflow) in try queries.map { query throws(AmountOverflow) in try state.aggregate(query) } }
    }

    public func save(_ invoices: [Invoice]) async throws {
        state.withLock { state in
            for invoice in invoices { state.invoices[invoice.id] = invoice }
        }
    }

    public func invoices() async throws -> [Invoice] {
        state.withLock { $0.invoices.values.sorted { $0.number < $1.number } }
    }
}
