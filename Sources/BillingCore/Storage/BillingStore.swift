/// Where a run keeps accepted meter events and invoices.
///
/// The engine hands accepted events over in batches, in receipt order, and asks the store to
/// aggregate usage for one (meter, customer, period) at a time, so a store never has to hand every
/// event back. Every conformance passes ``BillingStoreTesting``'s suite.
public protocol BillingStore: Sendable {
    /// Stores a batch of accepted events (receipt order; `sequence` increases).
    func ingest(_ events: [RecordedMeterEvent]) async throws
    /// The meter's aggregate for the customer over the period, by event timestamp: `sum` of values,
    /// `count` of events, or the `last` value (greatest timestamp, ties to the greatest sequence);
    /// 0 when there are no events. Negative sums are returned as they are.
    func aggregate(_ query: UsageQuery) async throws -> Decimal12
    /// Inserts an invoice or replaces the one with the same id (drafts are updated, then finalized).
    func save(_ invoice: Invoice) async throws
    /// Every invoice, in creation order (`number`).
    func invoices() async throws -> [Invoice]
    /// Releases connections and files; the store is not used afterwards.
    func close() async throws
}

extension BillingStore {
    public func close() async throws {}
}
