/// Where a run keeps accepted meter events and invoices.
///
/// The engine hands accepted events over in batches, in receipt order, and asks the store to
/// aggregate usage for (meter, customer, period) queries, so a store never has to hand every event
/// back. Aggregations and saves come in batches too (all the work due at one clock instant), so a
/// database answers them in one round trip rather than one per subscription. Every conformance
/// passes ``BillingStoreTesting``'s suite.
public protocol BillingStore: Sendable {
    /// Stores a batch of accepted events (receipt order; `sequence` increases).
    func ingest(_ events: [RecordedMeterEvent]) async throws
    /// ``ingest(_:)-([RecordedMeterEvent])`` for a batch in the compact form the engine hands over; by
    /// default as `RecordedMeterEvent`s (``AcceptedEvents/recorded``). A store that needs only numbers per
    /// event reads them where they are.
    func ingest(_ events: AcceptedEvents) async throws
    /// Each query's aggregate, in the order of `queries`: the meter's aggregate for the customer over
    /// the period, by event timestamp: `sum` of values, `count` of events, or the `last` value
    /// (greatest timestamp, ties to the greatest sequence); 0 when there are no events. Negative sums
    /// are returned as they are. An empty batch gives an empty result.
    func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12]
    /// Inserts the invoices, each replacing the one with the same id (drafts are updated, then
    /// finalized), all or none; within the batch a later invoice replaces an earlier one with its id.
    func save(_ invoices: [Invoice]) async throws
    /// Every invoice, in creation order (`number`).
    func invoices() async throws -> [Invoice]
    /// Releases connections and files; the store is not used afterwards.
    func close() async throws
}

extension BillingStore {
    public func close() async throws {}

    public func ingest(_ events: AcceptedEvents) async throws { try await ingest(events.recorded) }

    /// One query's aggregate (see ``aggregate(_:)-([UsageQuery])``).
    public func aggregate(_ query: UsageQuery) async throws -> Decimal12 {
        try await aggregate([query])[0]
    }

    /// Saves one invoice (see ``save(_:)-([Invoice])``).
    public func save(_ invoice: Invoice) async throws {
        try await save([invoice])
    }
}
