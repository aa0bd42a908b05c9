import Synchronization

/// The reference ``BillingStore``: everything in memory, events bucketed by (meter, customer).
public final class InMemoryBillingStore: BillingStore {
    struct Bucket {
        var timestamps: [Int64] = []
        var sequences: [Int64] = []
        var values: [Int128] = []
        var sorted = true

        mutating func append(_ event: RecordedMeterEvent) {
            if let last = timestamps.last, event.timestamp.seconds < last { sorted = false }
            timestamps.append(event.timestamp.seconds)
            sequences.append(event.sequence)
            values.append(event.value.units)
        }

        /// Sorts by (timestamp, sequence) once, after out-of-order arrivals.
        mutating func sortIfNeeded() {
            guard !sorted else { return }
            let order = timestamps.indices.sorted { (timestamps[$0], sequences[$0]) < (timestamps[$1], sequences[$1]) }
            timestamps = order.map { timestamps[$0] }
            sequences = order.map { sequences[$0] }
            values = order.map { values[$0] }
            sorted = true
        }

        /// The first index whose timestamp is ≥ `bound`.
        func lowerBound(_ bound: Int64) -> Int {
            var low = 0
            var high = timestamps.count
            while low < high {
                let mid = (low + high) / 2
                if timestamps[mid] < bound { low = mid + 1 } else { high = mid }
            }
            return low
        }
    }

    struct State {
        var buckets: [String: [String: Bucket]] = [:]
        var invoices: [String: Invoice] = [:]
    }

    let state = Mutex(State())

    public init() {}

    public func ingest(_ events: [RecordedMeterEvent]) async throws {
        state.withLock { state in
            for event in events {
                state.buckets[event.meter, default: [:]][event.customer, default: Bucket()].append(event)
            }
        }
    }

    public func aggregate(_ query: UsageQuery) async throws -> Decimal12 {
        state.withLock { state in
            guard var bucket = state.buckets[query.meter]?[query.customer] else { return .zero }
            if !bucket.sorted {
                bucket.sortIfNeeded()
                state.buckets[query.meter]![query.customer] = bucket
            }
            let range = bucket.lowerBound(query.period.start.seconds)..<bucket.lowerBound(query.period.end.seconds)
            switch query.formula {
            case .sum:
                return Decimal12(units: bucket.values[range].reduce(0, +))
            case .count:
                return Decimal12(range.count)
            case .last:
                // Sorted by (timestamp, sequence): the last element is the latest, ties to the later received.
                return range.isEmpty ? .zero : Decimal12(units: bucket.values[range.upperBound - 1])
            }
        }
    }

    public func save(_ invoice: Invoice) async throws {
        state.withLock { $0.invoices[invoice.id] = invoice }
    }

    public func invoices() async throws -> [Invoice] {
        state.withLock { $0.invoices.values.sorted { $0.number < $1.number } }
    }
}
