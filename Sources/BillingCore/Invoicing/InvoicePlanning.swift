/// What each subscription invoice bills, as planned lines (Docs/ENGINE-RULES.md, "First invoice",
/// "Renewal", "Line order", "Cancellation", "Preview", "Ids"). Functions of values: the engine reads
/// the usage they ask for and prices the lines (``PlannedLine/priced(for:usage:)``).

/// The first invoice, at `created` (Docs/ENGINE-RULES.md, "First invoice").
enum FirstInvoice {
    /// The most lines Stripe puts on one invoice (BILLING-SEMANTICS §5.2, §6.1); backdating beyond it fails.
    static let lineLimit = 250

    /// The first invoice's lines and the period the subscription is in after it.
    struct Plan: Sendable, Hashable {
        /// The current period after `created`.
        var period: Period
        /// Where the first renewal's metered lines start.
        var usageStart: Instant
        /// The invoice's lines, in the order of "Line order": arrears, advance, then classic backdating's prorations.
        var lines: [PlannedLine]
        /// Classic backdating with a future anchor: prorations held for the next invoice (§5.2).
        var deferred: [PlannedLine]
    }

    /// The first invoice by billing mode: ``flexible(_:)`` or ``classic(_:)``.
    static func plan(_ subscription: BilledSubscription) -> Plan {
        switch subscription.definition.billingMode {
        case .flexible: flexible(subscription)
        case .classic: classic(subscription)
        }
    }

    /// `flexible`: periods aligned to the (backdated) start; each period that ended before `created` is
    /// billed whole, one line per item (metered: its usage; licensed: its amount), then the current
    /// period's licensed lines. Metered items get no line for the current period.
    static func flexible(_ subscription: BilledSubscription) -> Plan {
        let created = subscription.definition.created
        let schedule = subscription.schedule
        var current = Period(start: subscription.definition.start, end: schedule.nextBoundary(after: subscription.definition.start))
        var past: [Period] = []
        while current.end <= created {
            past.append(current)
            current = Period(start: current.end, end: schedule.nextBoundary(after: current.end))
        }
        current.end = subscription.periodEnd(after: current.start)
        var arrears: [PlannedLine] = []
        for item in subscription.prices.indices {
            for period in past {
                arrears.append(PlannedLine(item: item, period: period, kind: subscription.prices[item].isMetered ? .usage : .licensed))
            }
        }
        let advance = subscription.licensedItems.map { PlannedLine(item: $0, period: current, kind: .licensed) }
        return Plan(period: current, usageStart: current.start, lines: arrears + advance, deferred: [])
    }

    /// `classic`: the period starts at `created`; one zero-amount line per metered item and one licensed
    /// line per licensed item for it; backdating adds a licensed proration per item for
    /// `[backdate_start_date, created)`, held for the next invoice when the anchor is after `created`.
    /// The first renewal's metered lines start at the backdated start.
    static func classic(_ subscription: BilledSubscription) -> Plan {
        let definition = subscription.definition
        let (start, created) = (definition.start, definition.created)
        let period = Period(start: created, end: subscription.periodEnd(after: created))
        var advance: [PlannedLine] = []
        var prorations: [PlannedLine] = []
        var deferred: [PlannedLine] = []
        for item in subscription.prices.indices {
            guard !subscription.prices[item].isMetered else {
                advance.append(PlannedLine(item: item, period: period, kind: .zero))
                continue
            }
            if start < created {
                let backdated = PlannedLine(item: item, period: Period(start: start, end: created), kind: .licensed)
                if let anchor = definition.billingCycleAnchor, anchor > created {
                    deferred.append(backdated)
                } else {
                    prorations.append(backdated)
                }
            }
            advance.append(PlannedLine(item: item, period: period, kind: .licensed))
        }
        return Plan(period: period, usageStart: start, lines: advance + prorations, deferred: deferred)
    }

    /// A trial (Docs/ENGINE-RULES.md, "Trials"): the period is the trial `[created, trial_end)`; the
    /// 0 USD invoice has a zero-amount trial line per licensed item (classic: and the zero-amount line
    /// per metered item); no usage of the trial is ever billed (the first usage line starts at `trial_end`).
    static func trial(_ subscription: BilledSubscription, until trialEnd: Instant) -> Plan {
        let definition = subscription.definition
        let period = Period(start: definition.created, end: trialEnd)
        let lines = subscription.itemOrder.compactMap { item -> PlannedLine? in
            if !subscription.prices[item].isMetered { return PlannedLine(item: item, period: period, kind: .trial) }
            return definition.billingMode == .classic ? PlannedLine(item: item, period: period, kind: .zero) : nil
        }
        return Plan(period: period, usageStart: trialEnd, lines: lines, deferred: [])
    }

    /// A future anchor with `proration_behavior: none` (§4.11): the stub `[created, anchor)` is free and
    /// no first invoice is created; the first renewal at the anchor bills the stub's usage.
    static func freeStub(_ subscription: BilledSubscription) -> Plan {
        let created = subscription.definition.created
        let period = Period(start: created, end: subscription.periodEnd(after: created))
        return Plan(period: period, usageStart: created, lines: [], deferred: [])
    }

    /// Backdating that would put more than ``lineLimit`` lines on the first invoice stops the run with an
    /// error naming the subscription (§5.2, §6.1: Stripe refuses it).
    static func checkLineLimit(_ lines: [PlannedLine], of definition: Subscription) throws {
        guard lines.count > lineLimit else { return }
        throw EngineError(
            "subscription \(definition.id): backdating to \(definition.start) would put \(lines.count) lines on the first invoice; Stripe refuses more than \(lineLimit)"
        )
    }

    /// Whether the first invoice is created: it has lines or `pendingItems` (invoice items of
    /// `add_invoice_items`), and a flexible subscription with metered items only gets one only for
    /// backdated periods with usage or for pending invoice items (BILLING-SEMANTICS §5.3: "becomes active
    /// with no invoice, unless it is backdated with usage or has pending invoice items"). `hasUsage` is
    /// asked, in line order, only then, and no more once one answers yes.
    static func isCreated(
        _ lines: [PlannedLine], mode: BillingMode, pendingItems: Bool = false, hasUsage: (PlannedLine) async throws -> Bool
    ) async rethrows -> Bool {
        if pendingItems { return true }
        guard mode == .flexible, lines.allSatisfy({ $0.kind == .usage }) else { return !lines.isEmpty }
        for line in lines where try await hasUsage(line) { return true }
        return false
    }
}

/// The renewal at the end of each period (Docs/ENGINE-RULES.md, "Renewal").
enum Renewal {
    /// The next period, and what the renewal at the end of the current one bills: metered usage since
    /// `usageStart` in arrears, then licensed items for the next period in advance (every metered item
    /// gets a line, even at quantity 0).
    static func plan(_ subscription: BilledSubscription) -> (next: Period, lines: [PlannedLine]) {
        let ended = subscription.period
        let next = Period(start: ended.end, end: subscription.periodEnd(after: ended.end))
        let arrears = subscription.meteredItems.flatMap { subscription.usageLines(of: $0, until: ended.end) }
        let advance = subscription.licensedItems.map { PlannedLine(item: $0, period: next, kind: .licensed) }
        return (next, arrears + advance)
    }

    /// The final invoice of `cancel_at_period_end` at the period end: the metered lines of
    /// ``plan(_:)``, no licensed line (no period starts).
    static func finalLines(_ subscription: BilledSubscription) -> [PlannedLine] {
        plan(subscription).lines.filter { $0.kind != .licensed }
    }
}

/// The end of a trial (Docs/ENGINE-RULES.md, "Trials").
enum TrialEnd {
    /// The first paid period from `instant` (the trial's end) to the schedule's next boundary (a full
    /// period when the anchor is the trial's end, a prorated stub up to an explicit later anchor), and
    /// its licensed lines, billed in advance; no usage line (usage during the trial is never billed).
    static func plan(_ subscription: BilledSubscription, at instant: Instant) -> (next: Period, lines: [PlannedLine]) {
        let next = Period(start: instant, end: subscription.periodEnd(after: instant))
        return (next, subscription.licensedItems.map { PlannedLine(item: $0, period: next, kind: .licensed) })
    }
}

/// Immediate cancellation (Docs/ENGINE-RULES.md, "Cancellation").
enum Cancellation {
    /// The lines a cancellation at `instant` bills: with `invoiceNow`, each metered item's usage since
    /// `usageStart`; with `prorate` (and time left in the period), a credit per licensed item for
    /// `[instant, period end)`. Without `invoiceNow` the credits go to the customer balance.
    static func plan(_ subscription: BilledSubscription, at instant: Instant, invoiceNow: Bool, prorate: Bool) -> [PlannedLine] {
        var lines: [PlannedLine] = []
        if invoiceNow {
            lines += subscription.meteredItems.flatMap { subscription.usageLines(of: $0, until: instant) }
        }
        if prorate && instant < subscription.period.end {
            let unused = Period(start: instant, end: subscription.period.end)
            for item in subscription.licensedItems { lines += Proration.credits(for: item, over: unused, of: subscription).lines }
        }
        return lines
    }

    /// The final invoice's period: `[period start, instant)`.
    static func invoicePeriod(_ subscription: BilledSubscription, at instant: Instant) -> Period {
        Period(start: subscription.period.start, end: instant)
    }
}

/// `update_subscription` (Docs/ENGINE-RULES.md, "Updates").
enum Update {
    /// What an update does: the subscription after it, and the lines it bills.
    struct Plan: Sendable, Hashable {
        /// Slots opened and closed, charges credited, and (anchor reset) the new schedule and period.
        var subscription: BilledSubscription
        /// Metered usage the change bills (flexible: before a price change or a removal; classic
        /// `always_invoice` and an anchor reset: every open item's usage not yet invoiced).
        var usage: [PlannedLine]
        /// An anchor reset: the licensed lines of the new full period.
        var advance: [PlannedLine]
        /// Per changed item in the update's order: its credits, then its remaining-time debit.
        var prorations: [PlannedLine]
        /// The period of the invoice the update creates now (`always_invoice`, `billing_cycle_anchor: now`);
        /// `nil`: the lines wait for the next invoice.
        var invoicePeriod: Period?
    }

    /// Plans `update` of `subscription` at `instant` (prices looked up in `catalog`).
    ///
    /// Prorations cover `[proration_date, period end)` (default `proration_date`: `instant`): a licensed
    /// item whose price or quantity changes, or that is removed, is credited (``Proration/credits(for:over:of:)``);
    /// one whose price or quantity changes, or that is added, is debited for the remaining time
    /// (``LicensedAmount/remaining(_:over:schedule:)``). Metered items are never prorated: a price change
    /// starts the new price's usage at `instant` (classic drops the usage before it; flexible bills it at
    /// the old price), a removal bills the usage so far in flexible (unless `none`) and nothing in
    /// classic, an addition bills usage from `instant` (classic: with a zero-amount line).
    static func plan(_ update: SubscriptionUpdate, of subscription: BilledSubscription, at instant: Instant, catalog: Catalog) throws -> Plan {
        var updated = subscription
        let id = subscription.definition.id
        let prorationDate = update.prorationDate ?? instant
        guard prorationDate >= subscription.period.start, prorationDate <= instant else {
            throw EngineError(
                "update_subscription \(id) at \(instant): proration_date \(prorationDate) is outside the current period \(subscription.period.start) → \(instant)"
            )
        }
        // During a trial nothing was charged and no usage is billed: a change bills nothing (Docs/ENGINE-RULES.md,
        // "Changes during a trial"); the new items bill from the trial's end.
        let trialing = subscription.lifecycle.isTrialing
        let prorates = update.prorationBehavior != .none && !trialing
        let span = Period(start: prorationDate, end: subscription.period.end)
        let flexible = subscription.definition.billingMode == .flexible
        var usage: [PlannedLine] = []
        var prorations: [PlannedLine] = []
        var credited: Set<Int> = []
        func usageSoFar(_ slot: Int) -> [PlannedLine] { updated.usageLines(of: slot, until: instant) }
        func credit(_ slot: Int) {
            credited.insert(slot)
            guard prorates else { return }
            let (lines, left) = Proration.credits(for: slot, over: span, of: updated)
            prorations += lines
            updated.debits[updated.definition.items[slot].id] = left
        }
        func open(_ item: SubscriptionItem, replacing closing: Int?) throws {
            guard let price = catalog.price(item.price) else { throw EngineError("update_subscription \(id): no price \(item.price)") }
            let slot = updated.open(
                item, price: price, productName: catalog.product(price.product)?.name ?? price.product, at: instant, replacing: closing)
            if price.isMetered {
                // classic: "a 0-amount line item is created for each metered item … when one is added" (§5.3(1)).
                if !flexible && closing == nil && !update.resetsAnchor && !trialing {
                    prorations.append(PlannedLine(item: slot, period: Period(start: instant, end: span.end), kind: .zero))
                }
            } else if prorates && !update.resetsAnchor {
                prorations.append(PlannedLine(item: slot, period: span, kind: .remaining))
            }
        }
        func openSlot(_ item: String) throws -> Int {
            guard let slot = updated.slot(of: item) else { throw EngineError("update_subscription \(id) at \(instant): no item \(item)") }
            return slot
        }
        for change in update.items {
            switch change {
            case .remove(let item):
                let slot = try openSlot(item)
                if !updated.prices[slot].isMetered {
                    credit(slot)
                } else if flexible && prorates {
                    usage += usageSoFar(slot)
                }
                updated.close(slot)
            case .change(let item, let price, let quantity):
                let slot = try openSlot(item)
                let old = updated.definition.items[slot]
                let new = SubscriptionItem(id: old.id, price: price ?? old.price, quantity: quantity ?? old.quantity, usageGTE: old.usageGTE)
                guard new != old else { continue }
                if !updated.prices[slot].isMetered {
                    credit(slot)
                } else if flexible && !trialing {
                    usage += usageSoFar(slot)
                }
                try open(new, replacing: slot)
            case .add(let item, let price, let quantity):
                try open(SubscriptionItem(id: item, price: price, quantity: quantity), replacing: nil)
            }
        }
        guard update.resetsAnchor else {
            guard update.prorationBehavior == .alwaysInvoice, !trialing else {
                return Plan(subscription: updated, usage: usage, advance: [], prorations: prorations)
            }
            if !flexible {
                for slot in updated.meteredItems {
                    usage += usageSoFar(slot)
                    updated.slotUsageStart[slot] = instant
                    updated.thresholdBilled[slot] = nil
                }
            }
            return Plan(
                subscription: updated, usage: usage, advance: [], prorations: prorations,
                invoicePeriod: Period(start: subscription.period.start, end: instant))
        }
        // billing_cycle_anchor: now (§5.1): every licensed item's unused time is credited, the usage so far
        // is billed, and a new full period starts now.
        for slot in subscription.licensedItems where !credited.contains(slot) { credit(slot) }
        usage += updated.meteredItems.flatMap(usageSoFar)
        updated.schedule = BillingSchedule(anchor: instant, interval: updated.schedule.interval)
        updated.period = Period(start: instant, end: updated.schedule.nextBoundary(after: instant))
        updated.usageStart = instant
        updated.slotUsageStart = [:]
        updated.thresholdBilled = [:]
        let advance = updated.licensedItems.map { PlannedLine(item: $0, period: updated.period, kind: .licensed) }
        return Plan(
            subscription: updated, usage: usage, advance: advance, prorations: prorations,
            invoicePeriod: Period(start: subscription.period.start, end: instant))
    }
}

/// Invoice and line ids (Docs/ENGINE-RULES.md, "Ids").
enum InvoiceIDs {
    /// `in_0001`, … in creation order across the run.
    static func invoice(_ number: Int) -> String { ascii("in_", number) }
    /// `il_0001_01`, …: the invoice's number, then the line's position (1-based).
    static func line(invoice number: Int, position: Int) -> String { ascii("il_", number, then: position) }
    /// `upcoming_<subscription>`.
    static func preview(subscription: String) -> String { "upcoming_\(subscription)" }
    /// `il_upcoming_01`, …
    static func previewLine(position: Int) -> String { "il_upcoming_\(pad(Int64(position)))" }
}

extension InvoiceIDs {
    /// `prefix`, `number` as ``pad4(_:)`` writes it, then `_` and `position` as ``pad(_:)`` writes it when given, written
    /// as ASCII digits straight into the string: the interpolations and padding made several strings per id (perf,
    /// `billsim bench --stores compare`).
    static func ascii(_ prefix: StaticString, _ number: Int, then position: Int? = nil) -> String {
        guard number >= 0, (position ?? 0) >= 0 else {
            return position.map { "\(prefix)\(pad4(number))_\(pad(Int64($0)))" } ?? "\(prefix)\(pad4(number))"
        }
        func digits(_ value: Int) -> Int {
            var (count, rest) = (1, value / 10)
            while rest > 0 { (count, rest) = (count + 1, rest / 10) }
            return count
        }
        let numberWidth = max(4, digits(number))
        let positionWidth = position.map { max(2, digits($0)) } ?? 0
        let total = prefix.utf8CodeUnitCount + numberWidth + (position == nil ? 0 : 1 + positionWidth)
        return String(unsafeUninitializedCapacity: total) { buffer in
            var index = 0
            func write(_ value: Int, width: Int) {
                var rest = value
                for offset in stride(from: width - 1, through: 0, by: -1) {
                    buffer[index + offset] = UInt8(ascii: "0") + UInt8(rest % 10)
                    rest /= 10
                }
                index += width
            }
            prefix.withUTF8Buffer { bytes in
                for byte in bytes {
                    buffer[index] = byte
                    index += 1
                }
            }
            write(number, width: numberWidth)
            if let position {
                buffer[index] = UInt8(ascii: "_")
                index += 1
                write(position, width: positionWidth)
            }
            return index
        }
    }
}

func pad4(_ value: Int) -> String {
    let text = String(value)
    return text.count >= 4 ? text : String(repeating: "0", count: 4 - text.count) + text
}

extension Invoice {
    /// A new draft of `subscription`: its priced `lines`, then the lines it held for its next invoice,
    /// numbered `number` (ids per "Ids").
    static func draft(
        number: Int, of subscription: BilledSubscription, reason: BillingReason, created: Instant, period: Period, lines: [InvoiceLine]
    ) -> Invoice {
        var lines = lines + subscription.pending
        for index in lines.indices { lines[index].id = InvoiceIDs.line(invoice: number, position: index + 1) }
        let definition = subscription.definition
        return Invoice(
            id: InvoiceIDs.invoice(number), number: number, customer: definition.customer, subscription: definition.id, billingReason: reason,
            currency: subscription.prices[0].currency, collectionMethod: definition.collectionMethod, created: created,
            periodStart: period.start, periodEnd: period.end, lines: lines)
    }

    /// The upcoming invoice (Docs/ENGINE-RULES.md, "Preview"): the next renewal's priced `lines` as if it
    /// happened now, then the lines held for it; a draft dated at the period end with the customer
    /// balance as its starting balance.
    static func preview(of subscription: BilledSubscription, lines: [InvoiceLine], balance: Int64) -> Invoice {
        var lines = lines + subscription.pending
        for index in lines.indices { lines[index].id = InvoiceIDs.previewLine(position: index + 1) }
        let definition = subscription.definition
        let period = subscription.period
        return Invoice(
            id: InvoiceIDs.preview(subscription: definition.id), number: 0, customer: definition.customer, subscription: definition.id,
            billingReason: .upcoming, currency: subscription.prices[0].currency, collectionMethod: definition.collectionMethod,
            created: period.end, periodStart: period.start, periodEnd: period.end, lines: lines, startingBalance: balance)
    }
}
