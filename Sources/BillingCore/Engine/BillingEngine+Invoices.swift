/// The engine's invoices: drafts priced from planned lines, finalized by ``Finalization`` at their
/// instant, voided, and saved through the ``StoreSession``.
extension BillingEngine {
    /// Prices `planned` into a new draft; finalizes it now if due now (the store only ever sees the
    /// final invoice), else saves the draft and schedules its finalization (``Finalization/instant(of:collection:created:grace:)``
    /// from `start`: the instant the invoice is due, which the clock may have passed).
    func createInvoice(
        for index: Int, reason: BillingReason, period: Period, lines planned: [PlannedLine], finalizingFrom start: Instant
    ) async throws {
        // Changed in place, then read from one copy: a copy written back retained and released each of its fields twice (perf, `billsim bench --stores compare`).
        let held = subscriptions[index].pendingUsage
        subscriptions[index].pendingUsage = []
        let coupons = activeCoupons(for: index)
        subscriptions[index].lastCoupons = coupons
        let finalizeAt = Finalization.instant(
            of: reason, collection: subscriptions[index].definition.collectionMethod, created: start, grace: simulation.settings.finalizationGrace)
        invoiceCount += 1
        let plans = held.isEmpty ? planned : planned + held
        // Drafted from a copy of the subscription (pricing awaits its usage) that is gone when the subscription changes
        // below: alive then, it made the first change copy the charges recorded (a dictionary for every invoice, perf).
        let (invoice, usageLines, taxRates) = try await draft(
            plans, of: subscriptions[index], index: index, reason: reason, period: period, coupons: coupons)
        // What each licensed line charged, net of its discounts, for flexible credits (the invoice's first lines are the planned ones).
        for (position, plan) in plans.enumerated() { subscriptions[index].recordCharge(invoice.lines[position], for: plan) }
        subscriptions[index].pending = []
        useOnceCoupons(of: invoice, subscription: index)
        drafts[invoice.id] = Draft(invoice: invoice, usageLines: usageLines, coupons: coupons, taxRates: taxRates)
        if !subscriptions[index].lifecycle.finalizesInvoices {
            // Unpaid: the invoice stays a draft until finalize_invoice (Docs/ENGINE-RULES.md, "Payments").
            try await storage.save(invoice)
        } else if finalizeAt <= now {
            try await finalize(invoice.id, of: index)
        } else {
            try await storage.save(invoice)
            queue.schedule(.finalize(invoice: invoice.id, subscription: index), at: finalizeAt)
        }
    }

    /// The draft invoice number ``invoiceCount`` of `subscription` (at `index`) for the lines `plans`, priced, discounted by
    /// `coupons` and taxed; its metered lines' usage, to rate them again at finalization; each line's tax rates.
    func draft(
        _ plans: [PlannedLine], of subscription: BilledSubscription, index: Int, reason: BillingReason, period: Period, coupons: [Coupon]
    ) async throws -> (invoice: Invoice, usageLines: [Draft.UsageLine], taxRates: [[TaxRate]]) {
        var lines: [InvoiceLine] = []
        var usageLines: [Draft.UsageLine] = []
        for plan in plans {
            let (line, query, quantity) = try await price(plan, of: subscription)
            // A threshold invoice's usage is not re-aggregated: its usage start stays, and later usage is billed next.
            if let query, reason != .subscriptionThreshold {
                usageLines.append(
                    Draft.UsageLine(index: lines.count, query: query, price: subscription.prices[plan.item], billed: plan.billed, quantity: quantity))
            }
            lines.append(line)
        }
        var invoice = Invoice.draft(number: invoiceCount, of: subscription, reason: reason, created: now, period: period, lines: lines)
        invoice = try discounted(invoice, by: coupons, subscription: index)
        let taxRates = lineTaxRates(of: invoice, subscription: subscription)
        invoice = try taxed(invoice, rates: taxRates, subscription: subscription.definition)
        do { try invoice.checkTotals() } catch { throw Self.located(error, subscription.definition, invoice: invoice.id) }
        return (invoice, usageLines, taxRates)
    }

    /// Draft → open → paid: re-aggregates usage (late usage in the grace lands), applies the balance.
    /// A draft of a canceled subscription is parked, one of an unpaid subscription stays a draft, unless
    /// `finalize_invoice` finalizes it `now`. `known`: the index of its subscription, when the caller has it.
    func finalize(_ id: String, of known: Int? = nil, now forced: Bool = false) async throws {
        guard var draft = drafts.removeValue(forKey: id) ?? (forced ? parked.removeValue(forKey: id) : nil) else { return }
        let index = try known ?? subscriptionIndex(draft.invoice.subscription)
        // Empty sets and dictionaries are not asked: a lookup hashes its key even then.
        if !forced, !frozen.isEmpty, frozen.contains(id) {
            parked[id] = draft
            return
        }
        if !forced, !subscriptions[index].lifecycle.finalizesInvoices {
            drafts[id] = draft
            return
        }
        if !frozen.isEmpty { frozen.remove(id) }
        let definition = subscriptions[index].definition
        var rerated = false
        for usageLine in draft.usageLines {
            do {
                // The same aggregate rates the same line: it stays as priced (a rebuilt line also copied the lines the store shares).
                let quantity = try await storage.usage(usageLine.query)
                if quantity != usageLine.quantity {
                    try draft.rerate(usageLine, quantity: quantity)
                    rerated = true
                }
            } catch let overflow as AmountOverflow {
                throw Self.located(overflow, definition, price: usageLine.price.id, period: usageLine.query.period)
            }
            // Only events received from now on are checked against the billed periods: a re-rated run receives none.
            if storage.shared == nil { intake.billedPeriods[usageLine.query.key, default: []].append(usageLine.query.period) }
        }
        // The discounts of the lines as re-rated (``InvoiceAdjustments/adjusted(_:discounts:catalog:)`` replaces them: lines kept keep theirs).
        if rerated, !draft.coupons.isEmpty { draft.invoice = try discounted(draft.invoice, by: draft.coupons, subscription: index) }
        // Billing credits, after the discounts: taken now, by the first invoice finalized (ENGINE-RULES "Billing credits");
        // then the taxes, on what discounts and credits left (BILLING-SEMANTICS §6.2).
        let credited = credits.applied(to: draft.invoice, at: now, catalog: simulation.catalog)
        draft.invoice = try taxed(credited.invoice, rates: draft.taxRates, subscription: definition)
        let customer = customers[draft.invoice.customer]
        let finalized: Finalization.Finalized
        do {
            finalized = try Finalization.finalize(
                draft.invoice, at: now, balance: customer?.balance ?? 0, paymentMethod: Self.paymentMethod(of: definition, customer: customer),
                daysUntilDue: definition.daysUntilDue)
        } catch {
            throw Self.located(error, definition, invoice: id)
        }
        if let customer, customer.balance != finalized.balance { customers[draft.invoice.customer]?.balance = finalized.balance }
        credits = credited.ledger
        try await storage.save(try collected(finalized.invoice, of: index))
    }

    /// Voids an open (or uncollectible) invoice, as it stands now, and gives back the customer balance and
    /// the billing credits it used (``CreditLedger/giveBack(_:)``): an incomplete subscription's unpaid
    /// first invoice, or `void_invoice`. A subscription past due on it is active again; an incomplete one
    /// whose first invoice it is expires.
    func void(_ invoice: Invoice) async throws {
        let invoice = openInvoices[invoice.id] ?? invoice
        let (voided, givenBack) = Payments.voided(invoice, at: now)
        credits.giveBack(invoice)
        if let index = subscriptionIndexByID[invoice.subscription] { subscriptions[index].lifecycle.invoiceSettled(invoice.id, paid: false) }
        track(voided)
        if let balance = customers[invoice.customer]?.balance {
            do {
                customers[invoice.customer]?.balance = try balance.adding(givenBack, "the customer balance")
            } catch {
                throw Self.located(error, subscriptions[try subscriptionIndex(invoice.subscription)].definition, invoice: invoice.id)
            }
        }
        try await storage.save(voided)
    }

    /// The line of invoice item `item` of `definition` added now (``InvoiceLine/invoiceItem(_:price:productName:at:)``):
    /// its one-time price looked up in the catalog; an amount beyond `Int64` minor units is an error naming the subscription.
    func invoiceItemLine(_ item: InvoiceItem, of definition: Subscription) throws -> InvoiceLine {
        let catalog = simulation.catalog
        let price = try item.price.map { id in
            guard let price = catalog.price(id) else { throw EngineError("invoice item of \(definition.id): no price \(id)") }
            return price
        }
        do {
            return try InvoiceLine.invoiceItem(
                item, price: price, productName: price.flatMap { catalog.product($0.product)?.name } ?? price?.product ?? "", at: now)
        } catch {
            throw Self.located(error, definition, price: price?.id)
        }
    }
}
