/// Billing thresholds (Docs/ENGINE-RULES.md, "Billing thresholds"; BILLING-SEMANTICS §5.9): checked one
/// second after a watched customer's events reach the store; a threshold reached is an invoice at once.
extension BillingEngine {
    /// Customer → the subscriptions that have billing thresholds at creation or get them by an update.
    static func thresholdWatch(_ simulation: Simulation) -> [String: [Int]] {
        var updated: Set<String> = []
        for entry in simulation.timeline {
            if case .updateSubscription(let update) = entry.action, update.billingThresholds != nil { updated.insert(update.subscription) }
        }
        var watch: [String: [Int]] = [:]
        for (index, subscription) in simulation.subscriptions.enumerated()
        where subscription.billingThresholds != nil || subscription.items.contains(where: { $0.usageGTE != nil }) || updated.contains(subscription.id)
        {
            watch[subscription.customer, default: []].append(index)
        }
        return watch
    }

    /// Schedules the threshold checks of the subscriptions whose customer's events were received at
    /// `now`, one second later, so that the usage of `[usage start, check)` includes every event
    /// timestamped up to `now` (periods are half-open).
    func scheduleThresholdChecks() {
        let at = now + TimeSpan(seconds: 1)
        for index in thresholdTouched.sorted() where thresholdScheduled[index] != at {
            thresholdScheduled[index] = at
            queue.schedule(.threshold(subscription: index), at: at)
        }
        thresholdTouched = []
    }

    /// One subscription's thresholds at `now`: the lines a threshold invoice would bill are priced; when
    /// they (with the held lines) reach `amount_gte`, or an item's usage since the last threshold invoice
    /// reaches its `usage_gte`, that invoice is made.
    func checkThreshold(_ index: Int) async throws {
        let subscription = subscriptions[index]
        guard Threshold.isEvaluated(subscription, at: now) else { return }
        let planned = Threshold.plan(subscription, at: now)
        var amount: Int64 = 0
        var usage: [Int: ExactDecimal] = [:]
        var invoiced: [Int: Int64] = [:]
        var aggregate: [Int: ExactDecimal] = [:]
        do {
            for plan in planned {
                let (line, query) = try await price(plan, of: subscription)
                amount = try amount.adding(line.amount, "the amount so far")
                invoiced[plan.item] = try (invoiced[plan.item] ?? 0).adding(line.amount, "the amount so far")
                if let query {
                    let used = try await storage.usage(query)
                    aggregate[plan.item] = used
                    usage[plan.item] = used - (plan.billed?.quantity ?? .zero)
                }
            }
            for line in subscription.pending { amount = try amount.adding(line.amount, "the amount so far") }
        } catch let overflow as AmountOverflow {
            throw Self.located(overflow, subscription.definition)
        }
        guard Threshold.isReached(subscription, amount: amount, usage: usage) else { return }
        if subscription.definition.billingThresholds?.resetBillingCycleAnchor == true {
            // reset_billing_cycle_anchor (§5.9): as an update with `billing_cycle_anchor: now` (a new full period from now).
            let plan = try Update.plan(
                SubscriptionUpdate(subscription: subscription.definition.id, resetsAnchor: true), of: subscription, at: now,
                catalog: simulation.catalog)
            subscriptions[index] = plan.subscription
            try await createInvoice(
                for: index, reason: .subscriptionThreshold, period: Period(start: subscription.period.start, end: now),
                lines: plan.usage + plan.advance + plan.prorations, finalizingFrom: now)
            queue.schedule(.renew(subscription: index), at: subscriptions[index].period.end)
            return
        }
        try await createInvoice(
            for: index, reason: .subscriptionThreshold, period: Period(start: subscription.period.start, end: now), lines: planned,
            finalizingFrom: now)
        do {
            for (slot, used) in aggregate {
                subscriptions[index].thresholdBilled[slot] = try BilledUsage.after(
                    subscription.thresholdBilled[slot], scheme: subscription.prices[slot].scheme, usage: used, invoiced: invoiced[slot] ?? 0)
            }
        } catch {
            throw Self.located(error, subscription.definition)
        }
    }
}
