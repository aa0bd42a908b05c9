/// What the clock does to a subscription at its instants (start, renewal, trial end, period end) and
/// what timeline actions ask (cancel, update, previews): each asks the subscription's state machine,
/// has the lines planned by the pure planners, and hands them to ``createInvoice(for:reason:period:lines:finalizingFrom:)``.
extension BillingEngine {
    /// The subscription's `created` instant: its first invoice, then its first renewal scheduled.
    func start(_ index: Int) async throws {
        let definition = subscriptions[index].definition
        let trialEnd = definition.trialEnd.flatMap { $0 > definition.created ? $0 : nil }
        if case .reject(let why) = subscriptions[index].lifecycle.start(trial: trialEnd != nil) {
            throw EngineError("subscription \(definition.id): \(why.explanation(for: definition))")
        }
        // cancel_at at creation cuts its period short, prorated (§5.6); flexible with proration_behavior none
        // charges that period whole instead (§5.3(10)), then cancels at cancel_at like a cancel_at set by an update.
        if let cancelAt = definition.cancelAt, definition.billingMode == .classic || definition.prorationBehavior != .none {
            subscriptions[index].endsAt = cancelAt
        }
        let plan: FirstInvoice.Plan
        var freeStub = false
        if let trialEnd {
            plan = FirstInvoice.trial(subscriptions[index], until: trialEnd)
            subscriptions[index].trialEnd = trialEnd
        } else if definition.prorationBehavior == .none, let anchor = definition.billingCycleAnchor, anchor > definition.created {
            plan = FirstInvoice.freeStub(subscriptions[index])
            freeStub = true
            // Nothing was charged for the stub: nothing to credit back (flexible).
            for item in subscriptions[index].licensedItems { subscriptions[index].debits[definition.items[item].id] = [] }
        } else {
            plan = inPlace(index) { FirstInvoice.plan($0) }
        }
        subscriptions[index].period = plan.period
        subscriptions[index].usageStart = plan.usageStart
        // add_invoice_items: pending for the first invoice (the next one when the stub is free).
        for item in definition.addInvoiceItems { subscriptions[index].pending.append(try invoiceItemLine(item, of: definition)) }
        let subscription = subscriptions[index]
        var deferred: [InvoiceLine] = []
        for line in plan.deferred { deferred.append(try await price(line, of: subscription).line) }
        let pendingItems = !freeStub && !definition.addInvoiceItems.isEmpty
        let created = try await FirstInvoice.isCreated(plan.lines, mode: definition.billingMode, pendingItems: pendingItems) { line in
            try await self.storage.usage(self.usageQuery(line, of: subscription)) > .zero
        }
        if created {
            try FirstInvoice.checkLineLimit(plan.lines, of: definition)
            try await createInvoice(
                for: index, reason: .subscriptionCreate, period: Period(start: definition.created, end: definition.created), lines: plan.lines,
                finalizingFrom: definition.created)
        }
        subscriptions[index].pending += deferred
        if definition.cancelAtPeriodEnd {
            subscriptions[index].lifecycle.cancelAtPeriodEnd(true)
            subscriptions[index].canceledAt = definition.created
        }
        queue.schedule(.renew(subscription: index), at: plan.period.end)
        if let at = definition.cancelAt { try schedule(cancelAt: at, prorates: false, for: index) }
        if let interval = definition.pendingInvoiceItemInterval {
            queue.schedule(.invoicePendingItems(subscription: index), at: interval.boundary(1, from: definition.created))
        }
    }

    /// A tick of `pending_invoice_item_interval` (Docs/ENGINE-RULES.md, "Invoice items"; §5.10: "analogous
    /// to calling Create an invoice … at the specified interval"): ticks every interval from `created`;
    /// while the subscription is active or trialing, its pending invoice items (and prorations and usage
    /// held for the next invoice) go on an invoice now (`automatic_pending_invoice_item_invoice`, over the
    /// interval that ended), finalized after the grace; no pending item, no invoice. Ticks stop when it ends.
    func invoicePendingItems(_ index: Int) async throws {
        let subscription = subscriptions[index]
        let definition = subscription.definition
        guard subscription.endedAt == nil, let interval = definition.pendingInvoiceItemInterval else { return }
        let ticks = BillingSchedule(anchor: definition.created, interval: interval)
        queue.schedule(.invoicePendingItems(subscription: index), at: ticks.nextBoundary(after: now))
        guard subscription.lifecycle.update() == nil, !subscription.pending.isEmpty || !subscription.pendingUsage.isEmpty else { return }
        let previous = ticks.period(containing: Instant(seconds: now.seconds - 1)).start
        try await createInvoice(
            for: index, reason: .automaticPendingInvoiceItemInvoice, period: Period(start: max(previous, definition.created), end: now),
            lines: [], finalizingFrom: now)
    }

    /// The end of the current period: the renewal invoice, then the next renewal scheduled.
    func renew(_ index: Int) async throws {
        // A renewal scheduled for a period an anchor reset replaced.
        guard subscriptions[index].period.end == now else { return }
        switch subscriptions[index].lifecycle.periodEnded() {
        case .stop: return
        case .billFinalInvoice: return try await endAtPeriodEnd(index)
        case .endTrial: return try await endTrial(index, reason: .subscriptionCycle)
        case .billRenewal: break
        }
        let ended = subscriptions[index].period
        let (next, lines) = inPlace(index) { Renewal.plan($0) }
        subscriptions[index].period = next
        endsWithPeriod(index)
        subscriptions[index].usageStart = next.start
        subscriptions[index].slotUsageStart = [:]
        subscriptions[index].thresholdBilled = [:]
        try await createInvoice(for: index, reason: .subscriptionCycle, period: ended, lines: lines, finalizingFrom: ended.end)
        queue.schedule(.renew(subscription: index), at: next.end)
    }

    /// The trial ended (Docs/ENGINE-RULES.md, "Trials"): at `trial_end` (`reason` subscription_cycle) or
    /// early by `trial_end: now` (subscription_update, and a new anchor at `now` unless one was given).
    func endTrial(_ index: Int, reason: BillingReason) async throws {
        let definition = subscriptions[index].definition
        let hasPaymentMethod = paymentMethod(for: index) != nil
        let trial = subscriptions[index].period
        subscriptions[index].trialEnd = now
        switch subscriptions[index].lifecycle.trialEnded(hasPaymentMethod: hasPaymentMethod, behavior: definition.trialEndBehavior) {
        case .cancel:
            // canceled_at: when cancel_at_period_end was set during the trial, else now (no payment method).
            subscriptions[index].canceledAt = subscriptions[index].canceledAt ?? now
            subscriptions[index].endedAt = now
        case .pause:
            break
        case .billFirstPeriod:
            if reason == .subscriptionUpdate && definition.billingCycleAnchor == nil {
                subscriptions[index].schedule = BillingSchedule(anchor: now, interval: subscriptions[index].schedule.interval)
            }
            let (next, lines) = TrialEnd.plan(subscriptions[index], at: now)
            subscriptions[index].period = next
            endsWithPeriod(index)
            subscriptions[index].usageStart = now
            subscriptions[index].slotUsageStart = [:]
            try await createInvoice(for: index, reason: reason, period: Period(start: trial.start, end: now), lines: lines, finalizingFrom: now)
            queue.schedule(.renew(subscription: index), at: next.end)
        }
    }

    /// `cancel_at_period_end` reached the period end (Docs/ENGINE-RULES.md, "Cancellation at period end"):
    /// the final invoice bills the period's usage and the held lines; no new period.
    func endAtPeriodEnd(_ index: Int) async throws {
        let subscription = subscriptions[index]
        let ended = subscription.period
        subscriptions[index].lifecycle.endedAtPeriodEnd()
        subscriptions[index].endedAt = now
        let lines = Renewal.finalLines(subscription)
        guard !lines.isEmpty || !subscription.pending.isEmpty || !subscription.pendingUsage.isEmpty else { return }
        try await createInvoice(for: index, reason: .subscriptionCycle, period: ended, lines: lines, finalizingFrom: ended.end)
    }

    /// `cancel_subscription` (Docs/ENGINE-RULES.md, "Cancellation").
    func cancel(_ index: Int, invoiceNow: Bool, prorate: Bool) async throws {
        let definition = subscriptions[index].definition
        switch subscriptions[index].lifecycle.cancel() {
        case .reject(let why):
            throw EngineError("cancel_subscription \(definition.id) at \(now): \(why.explanation(for: definition))")
        case .voidFirstInvoice(let invoice):
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
            try await void(invoice)
        case .endWithoutInvoice:
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
        case .billCancellation:
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
            let subscription = subscriptions[index]
            for (draftID, draft) in drafts where draft.invoice.subscription == definition.id { frozen.insert(draftID) }
            let lines = Cancellation.plan(subscription, at: now, invoiceNow: invoiceNow, prorate: prorate)
            if invoiceNow {
                guard !lines.isEmpty || !subscription.pending.isEmpty || !subscription.pendingUsage.isEmpty else { return }
                try await createInvoice(
                    for: index, reason: .subscriptionUpdate, period: Cancellation.invoicePeriod(subscription, at: now), lines: lines,
                    finalizingFrom: now)
            } else {
                var balance = customers[definition.customer]?.balance ?? 0
                do {
                    for planned in lines {
                        balance = try balance.adding(try await price(planned, of: subscription).line.amount, "the customer balance")
                    }
                } catch let overflow as AmountOverflow {
                    throw Self.located(overflow, definition)
                }
                customers[definition.customer]?.balance = balance
            }
        }
    }

    /// `update_subscription` (Docs/ENGINE-RULES.md, "Updates"): the plan of ``Update/plan(_:of:at:catalog:)``
    /// performed: an invoice now, or its lines held for the next invoice.
    func update(_ index: Int, with update: SubscriptionUpdate) async throws {
        let definition = subscriptions[index].definition
        if let why = subscriptions[index].lifecycle.update() {
            throw EngineError("update_subscription \(definition.id) at \(now): \(why.explanation(for: definition))")
        }
        if subscriptions[index].lifecycle.isTrialing {
            if update.endsTrial {
                try await endTrial(index, reason: .subscriptionUpdate)
            } else if update.resetsAnchor {
                // Stripe: subscription_update_trial_after_billing_cycle_anchor (the loader reports it first).
                throw EngineError("update_subscription \(definition.id) at \(now): billing_cycle_anchor: now during a trial; end the trial first")
            }
        }
        let plan = try Update.plan(update, of: subscriptions[index], at: now, catalog: simulation.catalog)
        let resetsPeriod = plan.subscription.period != subscriptions[index].period
        subscriptions[index] = plan.subscription
        if let thresholds = update.billingThresholds { subscriptions[index].definition.billingThresholds = thresholds }
        if let method = update.defaultPaymentMethod { subscriptions[index].definition.defaultPaymentMethod = method }
        if let ids = update.discounts {
            // A discount-only change makes no proration (§5.7); the new coupons discount the invoices from now on.
            subscriptions[index].discounts = try AppliedDiscount.resolve(
                ids, at: now, catalog: simulation.catalog, for: "update_subscription \(definition.id)")
        }
        // Like discounts: no proration; the new rates tax the lines invoiced from now on, this update's included.
        try applyTaxRates(of: update, to: &subscriptions[index])
        let lines = plan.usage + plan.advance + plan.prorations
        let nothingToInvoice = lines.isEmpty && subscriptions[index].pending.isEmpty && subscriptions[index].pendingUsage.isEmpty
        if let period = plan.invoicePeriod, !nothingToInvoice {
            try await createInvoice(
                for: index, reason: .subscriptionUpdate, period: period, lines: lines, finalizingFrom: now)
        } else if plan.invoicePeriod == nil {
            subscriptions[index].pendingUsage += plan.usage
            for planned in plan.prorations {
                let line = try await price(planned, of: subscriptions[index]).line
                subscriptions[index].recordCharge(line, for: planned)
                subscriptions[index].pending.append(line)
            }
        }
        if resetsPeriod { queue.schedule(.renew(subscription: index), at: subscriptions[index].period.end) }
        if let on = update.cancelAtPeriodEnd {
            subscriptions[index].lifecycle.cancelAtPeriodEnd(on)
            subscriptions[index].canceledAt = on ? now : nil
        }
        if let at = update.cancelAt { try schedule(cancelAt: at, prorates: update.prorationBehavior != .none, for: index) }
    }

    /// `cancel_at` (Docs/ENGINE-RULES.md, "cancel_at"), replacing any earlier one: at the current period
    /// end it is `cancel_at_period_end`; before it, a cancellation then, with the final invoice and (when
    /// prorations are on) the credit (a trialing subscription: nothing billed; classic pulls `trial_end`
    /// back to it, §5.3(7)); after it, the period containing it is cut short there (its licensed lines
    /// prorated) and is the last.
    func schedule(cancelAt at: Instant, prorates: Bool, for index: Int) throws {
        let subscription = subscriptions[index]
        subscriptions[index].cancelAt = nil
        subscriptions[index].endsAt = nil
        subscriptions[index].lifecycle.cancelAtPeriodEnd(false)
        if at == subscription.period.end {
            subscriptions[index].lifecycle.cancelAtPeriodEnd(true)
        } else if at < subscription.period.end {
            subscriptions[index].cancelAt = ScheduledCancellation(at: at, prorates: prorates)
            queue.schedule(.cancelAt(subscription: index), at: at)
            if subscription.lifecycle.isTrialing && subscription.definition.billingMode == .classic { subscriptions[index].trialEnd = at }
        } else {
            subscriptions[index].endsAt = at
        }
        subscriptions[index].canceledAt = now
    }

    /// A period just planned ends at the subscription's later `cancel_at`: it is the last one.
    func endsWithPeriod(_ index: Int) {
        guard let endsAt = subscriptions[index].endsAt, endsAt == subscriptions[index].period.end else { return }
        subscriptions[index].endsAt = nil
        subscriptions[index].lifecycle.cancelAtPeriodEnd(true)
    }

    /// The upcoming invoice: the next renewal as if it happened now, with the usage received so far.
    func preview(_ index: Int) async throws -> Invoice { try await preview(of: subscriptions[index]) }

    /// The upcoming invoice if `change` were made now (Docs/ENGINE-RULES.md, "Preview of a change"): the
    /// update planned on a copy; `always_invoice` or an anchor reset previews the invoice the update
    /// would create now, otherwise the next renewal with the change's lines held for it.
    func preview(_ index: Int, changedBy change: SubscriptionUpdate) async throws -> Invoice {
        var subscription = subscriptions[index]
        let definition = subscription.definition
        if let why = subscription.lifecycle.update() {
            throw EngineError("preview_invoice \(definition.id) at \(now): \(why.explanation(for: definition))")
        }
        let plan = try Update.plan(change, of: subscription, at: now, catalog: simulation.catalog)
        subscription = plan.subscription
        try applyTaxRates(of: change, to: &subscription)
        if let on = change.cancelAtPeriodEnd { subscription.lifecycle.cancelAtPeriodEnd(on) }
        let balance = customers[definition.customer]?.balance ?? 0
        guard plan.invoicePeriod == nil else {
            var lines: [InvoiceLine] = []
            for planned in plan.usage + plan.advance + plan.prorations + subscription.pendingUsage {
                lines.append(try await price(planned, of: subscription).line)
            }
            var invoice = Invoice.preview(of: subscription, lines: lines, balance: balance)
            invoice.created = now
            invoice = tentativelyCredited(try discounted(invoice, by: activeCoupons(for: index), subscription: index))
            return try taxed(invoice, of: subscription)
        }
        subscription.pendingUsage += plan.usage
        for planned in plan.prorations { subscription.pending.append(try await price(planned, of: subscription).line) }
        return try await preview(of: subscription)
    }

    /// The upcoming invoice of `subscription` as it stands.
    func preview(of subscription: BilledSubscription) async throws -> Invoice {
        if let why = subscription.lifecycle.preview() {
            throw EngineError("preview_invoice \(subscription.definition.id) at \(now): \(why.explanation(for: subscription.definition))")
        }
        var lines: [InvoiceLine] = []
        let planned =
            switch subscription.lifecycle.periodEnded() {
            case .billFinalInvoice: Renewal.finalLines(subscription)
            case .endTrial where subscription.lifecycle.state == .trialingToCancel: [PlannedLine]()
            case .endTrial: TrialEnd.plan(subscription, at: subscription.period.end).lines
            case .billRenewal, .stop: Renewal.plan(subscription).lines
            }
        for plan in planned + subscription.pendingUsage { lines.append(try await price(plan, of: subscription).line) }
        var preview = Invoice.preview(of: subscription, lines: lines, balance: customers[subscription.definition.customer]?.balance ?? 0)
        if let index = subscriptionIndexByID[subscription.definition.id] {
            preview = try discounted(preview, by: activeCoupons(for: index, at: preview.created), subscription: index)
        }
        preview = try taxed(tentativelyCredited(preview), of: subscription)
        do { try preview.checkTotals() } catch { throw Self.located(error, subscription.definition, invoice: preview.id) }
        return preview
    }
}
