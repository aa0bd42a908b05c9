/// A subscription while the clock runs: its definition with its prices and schedule, where its billing
/// stands (the current period, lines held for the next invoice, what each licensed item was charged),
/// and its status (``SubscriptionStateMachine``).
///
/// Items are *slots*: a slot is one price at one quantity, never changed. An update that changes an
/// item's price or quantity closes its slot and opens a new one under the same item id (``replace(_:with:at:)``),
/// so that a line planned for an old slot (a credit of the old price, the usage before a price change)
/// still prices as it was. `itemOrder` lists the open slots in the subscription's item order.
///
/// Plain values: the planning functions read it, the engine updates it as it performs their plans.
struct BilledSubscription: Sendable, Hashable {
    /// What changes only with an update, in one immutable box replaced on change: the engine passes
    /// subscriptions by value, and a copy retained each of these fields (copies and destroys of subscriptions
    /// were 8% of a re-rated variant's CPU: perf, `billsim bench --stores compare`).
    final class Setup: Sendable, Hashable {
        struct Fields: Sendable, Hashable {
            var definition: Subscription
            var prices: [Price]
            var productNames: [String]
            var discounts: [AppliedDiscount] = []
            var defaultTaxRates: [TaxRate] = []
            var itemTaxRates: [String: [TaxRate]] = [:]
        }
        let fields: Fields
        init(_ fields: Fields) { self.fields = fields }
        static func == (lhs: Setup, rhs: Setup) -> Bool { lhs === rhs || lhs.fields == rhs.fields }
        func hash(into hasher: inout Hasher) { hasher.combine(fields) }
    }
    private var setup: Setup
    /// Changes the fields of ``setup`` (a new box: others may share the old one).
    private mutating func change(_ body: (inout Setup.Fields) -> Void) {
        var fields = setup.fields
        body(&fields)
        setup = Setup(fields)
    }

    var definition: Subscription {
        get { setup.fields.definition }
        set { change { $0.definition = newValue } }
    }
    var schedule: BillingSchedule
    /// The price of each slot, by slot index.
    var prices: [Price] {
        get { setup.fields.prices }
        set { change { $0.prices = newValue } }
    }
    /// The display name of each slot's product, by slot index (line descriptions).
    var productNames: [String] {
        get { setup.fields.productNames }
        set { change { $0.productNames = newValue } }
    }
    /// The open slots, in item order.
    var itemOrder: [Int]
    /// The current service period.
    var period: Period
    /// Where the next metered lines start (the backdated start for a classic first period).
    var usageStart: Instant
    /// Slots opened during the current period: where their usage starts (after ``usageStart``).
    var slotUsageStart: [Int: Instant] = [:]
    /// Lines waiting for the next invoice (classic backdating with a future anchor, pending prorations).
    var pending: [InvoiceLine] = []
    /// Usage lines waiting for the next invoice (flexible: usage before a metered price change or removal).
    var pendingUsage: [PlannedLine] = []
    /// What each licensed item (by item id) was charged for the current period and not yet credited:
    /// flexible credits these back (§5.3(4)). `nil` for an item never charged.
    var debits: [String: [Debit]] = [:]
    var lifecycle = SubscriptionStateMachine()
    /// Stripe's `canceled_at`: the cancellation, or the update that set `cancel_at_period_end`.
    var canceledAt: Instant?
    /// Stripe's `ended_at`.
    var endedAt: Instant?
    /// Stripe's `trial_end`.
    var trialEnd: Instant?
    /// Each status it took, with the instant (``noteStatus(at:)``).
    var history: [StatusChange] = []
    /// Stripe's `cancel_at` before the current period end, and whether reaching it prorates.
    var cancelAt: ScheduledCancellation?
    /// Stripe's `cancel_at` after the current period end: the period that contains it is cut short
    /// there (``periodEnd(after:)``) and is the last one.
    var endsAt: Instant?
    /// What threshold invoices billed of each metered slot's usage not yet invoiced otherwise (Docs/ENGINE-RULES.md,
    /// "Billing thresholds"); cleared wherever the slot's usage start moves.
    var thresholdBilled: [Int: BilledUsage] = [:]
    /// Its `discounts`: the coupons applied to it, from `created` or the update that set them.
    var discounts: [AppliedDiscount] {
        get { setup.fields.discounts }
        set { change { $0.discounts = newValue } }
    }
    /// The coupons of its last invoice: what its proration lines are net of (Docs/ENGINE-RULES.md,
    /// "Discounts and prorations"; Stripe's "the last discounts used").
    var lastCoupons: [Coupon] = []
    /// Its `default_tax_rates` (Docs/ENGINE-RULES.md, "Taxes").
    var defaultTaxRates: [TaxRate] {
        get { setup.fields.defaultTaxRates }
        set { change { $0.defaultTaxRates = newValue } }
    }
    /// Each item's own `tax_rates`, by item id, kept after the item is removed (its credit lines are taxed
    /// at them); an item without its own has none here and gets ``defaultTaxRates``.
    var itemTaxRates: [String: [TaxRate]] {
        get { setup.fields.itemTaxRates }
        set { change { $0.itemTaxRates = newValue } }
    }

    /// A subscription that has not started: its period is empty at its start until the first invoice is planned.
    /// `prices` (one per item, at least one) set the schedule's interval; `productNames` default to the product ids.
    init(definition: Subscription, prices: [Price], productNames: [String]? = nil) {
        setup = Setup(Setup.Fields(definition: definition, prices: prices, productNames: productNames ?? prices.map(\.product)))
        itemOrder = Array(prices.indices)
        schedule = definition.schedule(interval: prices[0].interval)
        period = Period(start: definition.start, end: definition.start)
        usageStart = definition.start
    }

    /// `definition` with its prices looked up in `catalog`; an unknown price or no items is an error. `previous`: a
    /// subscription made the same way just before; when its items have the same prices, its price and product name
    /// lists are shared rather than looked up and made again (subscriptions of one plan follow one another: 10,000 of
    /// them made four lookups and three arrays each, in every re-rated variant).
    init(definition: Subscription, catalog: Catalog, previous: BilledSubscription? = nil) throws {
        if let previous, previous.prices.count == definition.items.count,
            zip(previous.prices, definition.items).allSatisfy({ $0.id == $1.price })
        {
            self.init(definition: definition, prices: previous.prices, productNames: previous.productNames)
        } else {
            let prices = try definition.items.map { item in
                guard let price = catalog.price(item.price) else { throw EngineError("subscription \(definition.id): no price \(item.price)") }
                return price
            }
            guard !prices.isEmpty else { throw EngineError("subscription \(definition.id) has no items") }
            self.init(definition: definition, prices: prices, productNames: prices.map { catalog.product($0.product)?.name ?? $0.product })
        }
        let discounts = try AppliedDiscount.resolve(
            definition.discounts, at: definition.created, catalog: catalog, for: "subscription \(definition.id)")
        let defaultTaxRates = try TaxRate.resolve(definition.defaultTaxRates, catalog: catalog, for: "subscription \(definition.id)")
        var itemTaxRates: [String: [TaxRate]] = [:]
        for item in definition.items where !item.taxRates.isEmpty {
            itemTaxRates[item.id] = try TaxRate.resolve(item.taxRates, catalog: catalog, for: "subscription item \(item.id)")
        }
        // Most subscriptions have none of these: their box is the one made above (a second was made for each).
        guard !discounts.isEmpty || !defaultTaxRates.isEmpty || !itemTaxRates.isEmpty else { return }
        change { fields in
            fields.discounts = discounts
            fields.defaultTaxRates = defaultTaxRates
            fields.itemTaxRates = itemTaxRates
        }
    }

    /// The end of the period that starts at `start`: the schedule's next boundary, or ``endsAt`` when
    /// that comes first (a `cancel_at` cuts its period short).
    func periodEnd(after start: Instant) -> Instant {
        let natural = schedule.nextBoundary(after: start)
        guard let endsAt, endsAt > start else { return natural }
        return min(natural, endsAt)
    }

    /// Open metered slots, in item order.
    var meteredItems: [Int] { itemOrder.filter { prices[$0].isMetered } }
    /// Open licensed slots, in item order.
    var licensedItems: [Int] { itemOrder.filter { !prices[$0].isMetered } }

    /// The open slot of item `id`.
    func slot(of id: String) -> Int? { itemOrder.first { definition.items[$0].id == id } }

    /// Where the usage of `slot` not yet invoiced starts.
    func usageStart(of slot: Int) -> Instant { max(usageStart, slotUsageStart[slot] ?? usageStart) }

    /// The lines that bill `slot`'s usage not yet invoiced, up to `end`: the usage line (after what
    /// threshold invoices billed of it) and, for a volume price they billed, the "amount previously
    /// billed" credit (§4.9).
    func usageLines(of slot: Int, until end: Instant) -> [PlannedLine] {
        let period = Period(start: usageStart(of: slot), end: end)
        let billed = thresholdBilled[slot]
        var lines = [PlannedLine(item: slot, period: period, kind: .usage, billed: billed)]
        if let billed, case .volume = prices[slot].scheme {
            lines.append(PlannedLine(item: slot, period: period, kind: .previouslyBilled, billed: billed))
        }
        return lines
    }

    /// Opens a slot for `item` at `price` (usage from `instant`), after the open slots or in place of `closing`.
    mutating func open(_ item: SubscriptionItem, price: Price, productName: String, at instant: Instant, replacing closing: Int? = nil) -> Int {
        let slot = prices.count
        change { fields in
            fields.definition.items.append(item)
            fields.prices.append(price)
            fields.productNames.append(productName)
        }
        slotUsageStart[slot] = instant
        if let closing, let position = itemOrder.firstIndex(of: closing) {
            itemOrder[position] = slot
        } else {
            itemOrder.append(slot)
        }
        return slot
    }

    /// Closes `slot`: it bills nothing more.
    mutating func close(_ slot: Int) { itemOrder.removeAll { $0 == slot } }

    /// Remembers what a licensed line charged: a line for the whole current period replaces what the
    /// item was charged before (a new period); a remaining-time debit adds to it.
    mutating func recordCharge(_ line: InvoiceLine, for plan: PlannedLine) {
        // The debit is made only for the kinds that keep one (most lines are not).
        func debit() -> Debit {
            Debit(slot: plan.item, amount: line.amount, discounts: line.discountAmounts, period: plan.period, uncredited: plan.period)
        }
        switch plan.kind {
        case .licensed where plan.period == period: debits[definition.items[plan.item].id] = [debit()]
        case .remaining: debits[definition.items[plan.item].id, default: []].append(debit())
        case .licensed, .usage, .zero, .credit, .trial, .previouslyBilled: break
        }
    }

    /// Its Stripe fields now (`expect.subscriptions`): the current period only while it runs.
    var snapshot: SubscriptionSnapshot {
        let status = lifecycle.status
        let running = status != nil && status != .canceled && status != .incompleteExpired
        let atPeriodEnd = lifecycle.state == .cancelingAtPeriodEnd || lifecycle.state == .trialingToCancel
        var snapshot = SubscriptionSnapshot(
            id: definition.id, status: status?.rawValue, currentPeriodStart: running ? period.start : nil,
            currentPeriodEnd: running ? period.end : nil, cancelAtPeriodEnd: atPeriodEnd, cancelAt: atPeriodEnd ? period.end : cancelAt?.at ?? endsAt,
            canceledAt: canceledAt, endedAt: endedAt, trialEnd: trialEnd)
        snapshot.history = history
        return snapshot
    }

    /// Records the status at `instant` when it differs from the last one recorded.
    mutating func noteStatus(at instant: Instant) {
        guard let status = lifecycle.status?.rawValue, history.last?.status != status else { return }
        history.append(StatusChange(at: instant, status: status))
    }
}

/// A `cancel_at` inside the current period: when, and whether the unused time is credited.
struct ScheduledCancellation: Sendable, Hashable {
    var at: Instant
    var prorates: Bool
}
