/// The engine's conversation with its ``BillingStore``: every store call of a run goes through here.
///
/// - Events: at most one batch is ingested at a time, while the engine validates the next one, so a
///   database's insert time overlaps validation; ``settle()`` waits for it before any aggregation.
/// - Usage: aggregates are cached until more events reach the store (they cannot change before), and the
///   work due at one instant asks for its aggregates in one call (``prefetch(_:)``).
/// - Invoices: saves are queued and written in one call per instant (``flush()``), in chunks of at most
///   `saveBatchSize`.
/// - Re-rating: a session over another run's usage (``ReceivedUsage``) ingests nothing and reads the
///   aggregates from it as received by the clock (``receive(through:)``); its store keeps the invoices only.
final class StoreSession {
    let store: any BillingStore
    let saveBatchSize: Int
    var ingesting: Task<Void, any Error>?
    /// Aggregates read since the last events reached the store.
    var usageCache: [CachedQuery: Decimal12] = [:]
    /// Invoices created or changed at the current instant, not saved yet, in first-saved order; each one's
    /// place by its number (the engine numbers each invoice once: its id is made of its number).
    var unsaved: [Invoice] = []
    var unsavedIndex: [Int: Int] = [:]
    /// Re-rating: the usage read instead of the store's, and the last sequence received by the clock.
    let shared: ReceivedUsage?
    var receivedThrough: Int64 = 0
    /// Keeping the usage (``keptUsage()``) of a store that is not the memory store: a copy of its events.
    var kept: UsageBuckets?

    init(store: any BillingStore, saveBatchSize: Int, shared: ReceivedUsage? = nil) {
        self.store = store
        self.saveBatchSize = saveBatchSize
        self.shared = shared
    }

    // MARK: Events

    /// Hands a non-empty batch of accepted events to the store, after the batch before it is in.
    func ingest(_ batch: AcceptedEvents) async throws {
        usageCache.removeAll(keepingCapacity: true)
        try await settle()
        kept?.ingest(batch)
        let store = self.store
        ingesting = Task { try await store.ingest(batch) }
    }

    /// Waits until every accepted event is in the store.
    func settle() async throws {
        guard let batch = ingesting else { return }
        ingesting = nil
        try await batch.value
    }

    // MARK: Usage

    /// Starts keeping the events ingested from now on, for ``keptUsage()``: the memory store's own are
    /// read at the end; another store's are copied as they are ingested.
    func keepUsage() {
        if !(store is InMemoryBillingStore) { kept = UsageBuckets() }
    }

    /// The events kept (see ``keepUsage()``), all of them in the store.
    func keptUsage() async throws -> UsageBuckets {
        try await settle()
        if let kept { return kept }
        return (store as? InMemoryBillingStore)?.settledUsage() ?? UsageBuckets()
    }

    /// Re-rating: the usage received by clock time `now` is what is read from now on; `true` when it
    /// changed (cached aggregates were dropped, as when events reach a store).
    func receive(through now: Instant) -> Bool {
        guard let shared else { return false }
        let through = shared.receivedThrough(now)
        guard through != receivedThrough else { return false }
        receivedThrough = through
        usageCache.removeAll(keepingCapacity: true)
        return true
    }

    /// Each query's aggregate: from the store, or when re-rating from the shared usage received so far.
    func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
        guard let shared else { return try await store.aggregate(queries) }
        let through = receivedThrough
        return try queries.map { query throws(AmountOverflow) in try shared.aggregate(query, receivedThrough: through) }
    }

    /// Whether `query`'s aggregate is cached.
    func isCached(_ query: UsageQuery) -> Bool { usageCache[CachedQuery(query)] != nil }

    /// The usage aggregate for `query`, from the cache when nothing was ingested since it was read;
    /// negative totals bill as zero.
    func usage(_ query: UsageQuery) async throws -> ExactDecimal {
        let value: Decimal12
        if let cached = usageCache[CachedQuery(query)] {
            value = cached
        } else {
            value = try await aggregate([query])[0]
            usageCache[CachedQuery(query)] = value
        }
        return max(value.exact, .zero)
    }

    /// Aggregates `queries` in one store call and caches the results (none when `queries` is empty).
    func prefetch(_ queries: [UsageQuery]) async throws {
        guard !queries.isEmpty else { return }
        for (query, value) in zip(queries, try await aggregate(queries)) { usageCache[CachedQuery(query)] = value }
    }

    // MARK: Invoices

    /// Queues an invoice for the store (replacing an unsaved version of it); ``flush()`` writes the queue.
    func save(_ invoice: Invoice) async throws {
        if let index = unsavedIndex[invoice.number], unsaved[index].id == invoice.id {
            unsaved[index] = invoice
        } else {
            unsavedIndex[invoice.number] = unsaved.count
            unsaved.append(invoice)
        }
        if unsaved.count >= saveBatchSize { try await flush() }
    }

    /// Saves the queued invoices in one store call (all or none).
    func flush() async throws {
        guard !unsaved.isEmpty else { return }
        let batch = unsaved
        unsaved = []
        // Its capacity kept: a new table grew again to an instant's invoices, rehashing at each doubling.
        unsavedIndex.removeAll(keepingCapacity: true)
        try await store.save(batch)
    }

    /// Every invoice the store holds, in creation order.
    func invoices() async throws -> [Invoice] { try await store.invoices() }
}

/// A query as the key of cached aggregates: hashed by its (meter, customer) key and period alone, which tell
/// queries apart, not by the meter and customer ids (hashing those strings on every read was 1.3% of a
/// re-rated variant's CPU: perf, `billsim bench --stores compare`); compared whole.
struct CachedQuery: Hashable {
    let query: UsageQuery

    init(_ query: UsageQuery) { self.query = query }

    func hash(into hasher: inout Hasher) {
        hasher.combine(query.key)
        hasher.combine(query.period)
    }
}
