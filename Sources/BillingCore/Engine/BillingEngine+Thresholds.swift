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

    /// Makes the threshold checks due at the intake's next check instant `T + 1s` (every event received
    /// by then is in `intake`) from the running usage: those that reach a threshold, or that the running
    /// usage cannot answer, are scheduled as work at that instant (``checkThreshold(_:)`` then bills from
    /// the store); the others change nothing. Returns whether any was scheduled.
    func scheduleReachedThresholds(_ intake: inout EventIntake) -> Bool {
        guard var tallies = intake.tallies.take() else { return false }
        defer { intake.tallies = tallies }
        let instant = tallies.nextCheck
        var scheduled = false
        for index in tallies.takeDue() where mayReachThreshold(index, at: instant, tallies: tallies, keys: eventKeys) {
            queue.schedule(.threshold(subscription: index), at: instant)
            scheduled = true
        }
        return scheduled
    }

    /// Whether a check of `index` at `instant` reaches a threshold, priced from the running usage as
    /// ``checkThreshold(_:)`` prices from the store; `true` too when the running usage cannot tell
    /// (a backdated usage start, an amount out of range: the check itself decides and reports).
    /// `keys`: the intake's validator (the engine's intake is the hot loop's while it runs).
    func mayReachThreshold(_ index: Int, at instant: Instant, tallies: ThresholdTallies, keys: EventKeys) -> Bool {
        let subscription = subscriptions[index]
        guard Threshold.isEvaluated(subscription, at: instant) else { return false }
        var amounts = subscription.pending.map(\.amount)
        var usage: [Int: ExactDecimal] = [:]
        for plan in Threshold.plan(subscription, at: instant) {
            var used = ExactDecimal.zero
            if plan.kind == .usage {
                guard let query = try? plan.usageQuery(of: subscription, catalog: simulation.catalog, keys: keys),
                    let value = tallies.usage(query, subscription: index, slot: plan.item)
                else { return true }
                used = max(value.exact, .zero)
                usage[plan.item] = used - (plan.billed?.quantity ?? .zero)
            }
            // Rated as the line would be, without its description.
            let amount: Int64?
            if let rated = plan.amount(for: subscription, usage: used) {
                amount = try? rated.amount
            } else {
                amount = try? plan.priced(for: subscription, usage: used).amount
            }
            guard let amount else { return true }
            amounts.append(amount)
        }
        guard let amount = try? Threshold.amount(of: amounts) else { return true }
        return Threshold.isReached(subscription, amount: amount, usage: usage)
    }

    /// Counts the usage of `index`'s metered items from their usage starts, when it is watched (after
    /// each work that concerns it: a start, a renewal or an update moves a usage start).
    func trackUsage(of index: Int) {
        let subscription = subscriptions[index]
        let customer = subscription.definition.customer
        guard thresholdWatch[customer]?.contains(index) == true else { return }
        for slot in subscription.meteredItems {
            guard let meter = subscription.prices[slot].meterID, let key = eventKeys.key(meter: meter, customer: customer) else { continue }
            intake.tallies?.track(subscription: index, slot: slot, key: key, from: subscription.usageStart(of: slot))
        }
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
            var lines: [InvoiceLine] = []
            for plan in planned {
                let (line, query, _) = try await price(plan, of: subscription)
                lines.append(line)
                invoiced[plan.item] = try (invoiced[plan.item] ?? 0).adding(line.amount, "the amount so far")
                if let query {
                    let used = try await storage.usage(query)
                    aggregate[plan.item] = used
                    usage[plan.item] = used - (plan.billed?.quantity ?? .zero)
                }
            }
            amount = try Threshold.amount(of: (lines + subscription.pending).map(\.amount))
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
