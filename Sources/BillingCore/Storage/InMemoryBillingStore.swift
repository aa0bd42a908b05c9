import Synchronization

/// The reference ``BillingStore``: everything in memory, events bucketed by their (meter, customer) key
/// (``UsageBuckets``).
public final class InMemoryBillingStore: BillingStore {
    struct State {
        var usage = UsageBuckets()
        var invoices: [String: Invoice] = [:]
    }

    let state = Mutex(State())

    public init() {}

    public func ingest(_ events: [RecordedMeterEvent]) async throws {
        state.withLock { $0.usage.ingest(events) }
    }

    public func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
        try state.withLock { state throws(AmountOverflow) in
            state.usage.file()
            return try queries.map { query throws(AmountOverflow) in try state.usage.aggregate(query) }
        }
    }

    /// Every event, filed and sorted (in place, so that the copy returned shares the buckets rather than copying them on a later sort).
    func settledUsage() -> UsageBuckets {
        state.withLock { state in
            state.usage.settle()
            return state.usage
        }
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
