/// The engine's usage: accepted events handed to the store, and the aggregates a planned line is priced from.
extension BillingEngine {
    /// Hands a batch of accepted events to the store (cached aggregates are stale from then on).
    func ingest(_ batch: AcceptedEvents) async throws {
        guard !batch.isEmpty else { return }
        prefetchedAt = nil
        try await storage.ingest(batch)
    }

    /// Aggregates in one store call the usage that the work due now reads (renewals and
    /// finalizations; other work asks as it goes), so a database answers a busy instant, such as ten
    /// thousand renewals on the first of the month, in one round trip instead of one per subscription.
    func prefetchUsage() async throws {
        prefetchedAt = now
        var wanted = Set<UsageQuery>()
        var queries: [UsageQuery] = []
        for work in queue.due(by: now) {
            for query in usageQueries(for: work) where !storage.isCached(query) && wanted.insert(query).inserted { queries.append(query) }
        }
        do {
            try await storage.prefetch(queries)
        } catch is AmountOverflow {
            // A usage sum that does not fit: each work asks for its own and reports it with its subscription.
        }
    }

    /// The aggregations a renewal or a finalization will read (one that cannot be formed is left for
    /// the work itself to report, in its turn).
    func usageQueries(for work: Work) -> [UsageQuery] {
        switch work {
        case .finalize(let id, _):
            guard frozen.isEmpty || !frozen.contains(id) else { return [] }
            return drafts[id]?.usageLines.map(\.query) ?? []
        case .renew(let index):
            // Read in place (a copy of the subscription would retain each of its fields).
            guard subscriptions[index].lifecycle.periodEnded() == .billRenewal else { return [] }
            return Renewal.plan(subscriptions[index]).lines.filter { $0.kind == .usage }.compactMap { try? usageQuery($0, of: subscriptions[index]) }
        case .expire, .start, .timeline, .cancelAt, .threshold, .invoicePendingItems, .retryPayment, .invoiceDue:
            return []
        }
    }

    /// The aggregation a planned usage line bills.
    func usageQuery(_ plan: PlannedLine, of subscription: BilledSubscription) throws -> UsageQuery {
        try plan.usageQuery(of: subscription, catalog: simulation.catalog, keys: eventKeys)
    }

    /// A planned line priced, with the usage it reads (and, for a usage line, the query it read and the aggregate it was priced from).
    /// An amount or usage sum that does not fit (``AmountOverflow``) stops the run with the subscription,
    /// price and period named.
    func price(_ plan: PlannedLine, of subscription: BilledSubscription) async throws -> (
        line: InvoiceLine, usage: UsageQuery?, quantity: ExactDecimal
    ) {
        do {
            guard plan.kind == .usage else { return (try plan.priced(for: subscription), nil, .zero) }
            let query = try usageQuery(plan, of: subscription)
            let quantity = try await storage.usage(query)
            return (try plan.priced(for: subscription, usage: quantity), query, quantity)
        } catch let overflow as AmountOverflow {
            throw Self.located(overflow, subscription.definition, price: subscription.prices[plan.item].id, period: plan.period)
        }
    }

    /// An ``AmountOverflow`` as the error that stops the run: where the subscription is defined, the
    /// subscription, then the price and period (or invoice) being billed.
    static func located(_ overflow: AmountOverflow, _ definition: Subscription, price: String? = nil, period: Period? = nil, invoice: String? = nil)
        -> EngineError
    {
        var context = "subscription \(definition.id)"
        if let price { context += ", price \(price)" }
        if let period { context += ", period \(period)" }
        if let invoice { context += ", invoice \(invoice)" }
        return EngineError("\(definition.source.map { "\($0): " } ?? "")\(context): \(overflow.message)")
    }
}

extension BillingEngine {
    /// Late usage (Docs/ENGINE-RULES.md, "Late usage"): an event in a period a finalized invoice billed is
    /// late only when no subscription of its customer still bills it: a draft of one whose usage line
    /// covers it (it lands at finalization), or a running one whose open metered item on that meter
    /// bills usage from before the event (or a held usage line that covers it). Decided against the
    /// engine's state when the events were received (no work happens between their receipt and this call).
    func countLateEvents() {
        let candidates = intake.lateCandidates
        intake.lateCandidates = []
        var byCustomer: [String: [Int]] = [:]
        for index in subscriptions.indices { byCustomer[subscriptions[index].definition.customer, default: []].append(index) }
        var draftsBySubscription: [String: [Draft]] = [:]
        for (id, draft) in drafts where !frozen.contains(id) { draftsBySubscription[draft.invoice.subscription, default: []].append(draft) }
        for event in candidates {
            let billedElsewhere = (byCustomer[event.customer] ?? []).contains { index in
                stillBills(event, subscriptions[index], drafts: draftsBySubscription[subscriptions[index].definition.id] ?? [])
            }
            guard !billedElsewhere else { continue }
            intake.usage.late += 1
            if intake.usage.lateSamples.count < UsageReport.sampleLimit { intake.usage.lateSamples.append(event) }
        }
    }

    /// Whether `subscription` (or one of its `drafts`) will still bill `event`'s usage.
    func stillBills(_ event: RecordedMeterEvent, _ subscription: BilledSubscription, drafts: [Draft]) -> Bool {
        let at = event.timestamp
        for draft in drafts where draft.usageLines.contains(where: { $0.query.key == event.key && $0.query.period.contains(at) }) {
            return true
        }
        switch subscription.lifecycle.state {
        case .active, .cancelingAtPeriodEnd, .trialing, .trialingToCancel, .pastDue, .unpaid: break
        case .notCreated, .incomplete, .paused, .canceled, .incompleteExpired: return false
        }
        func key(_ slot: Int) -> Int? {
            subscription.prices[slot].meterID.flatMap { eventKeys.key(meter: $0, customer: subscription.definition.customer) }
        }
        if subscription.meteredItems.contains(where: { key($0) == event.key && subscription.usageStart(of: $0) <= at }) { return true }
        return subscription.pendingUsage.contains { $0.kind == .usage && key($0.item) == event.key && $0.period.contains(at) }
    }
}
