/// A subscription while the clock runs: its definition with its prices and schedule, where its billing
/// stands (the current period, lines held for the next invoice, what each licensed item was charged),
/// and its status (``SubscriptionStateMachine``).
///
/// Plain values: the planning functions read it, the engine updates it as it performs their plans.
struct BilledSubscription: Sendable, Hashable {
    var definition: Subscription
    var schedule: BillingSchedule
    /// The price of each item, by item index.
    var prices: [Price]
    /// The display name of each item's product, by item index (line descriptions).
    var productNames: [String]
    /// The current service period.
    var period: Period
    /// Where the next metered lines start (the backdated start for a classic first period).
    var usageStart: Instant
    /// Lines waiting for the next invoice (classic backdating with a future anchor).
    var pending: [InvoiceLine] = []
    /// What each licensed item (by index) was charged for the current period: flexible credits it back.
    var debits: [Int: Debit] = [:]
    var lifecycle = SubscriptionStateMachine()

    /// A subscription that has not started: its period is empty at its start until the first invoice is planned.
    /// `prices` (one per item, at least one) set the schedule's interval; `productNames` default to the product ids.
    init(definition: Subscription, prices: [Price], productNames: [String]? = nil) {
        self.definition = definition
        self.prices = prices
        self.productNames = productNames ?? prices.map(\.product)
        schedule = definition.schedule(interval: prices[0].interval)
        period = Period(start: definition.start, end: definition.start)
        usageStart = definition.start
    }

    /// `definition` with its prices looked up in `catalog`; an unknown price or no items is an error.
    init(definition: Subscription, catalog: Catalog) throws {
        let prices = try definition.items.map { item in
            guard let price = catalog.price(item.price) else { throw EngineError("subscription \(definition.id): no price \(item.price)") }
            return price
        }
        guard !prices.isEmpty else { throw EngineError("subscription \(definition.id) has no items") }
        self.init(definition: definition, prices: prices, productNames: prices.map { catalog.product($0.product)?.name ?? $0.product })
    }

    /// Item indices of metered prices, in item order.
    var meteredItems: [Int] { prices.indices.filter { prices[$0].isMetered } }
    /// Item indices of licensed prices, in item order.
    var licensedItems: [Int] { prices.indices.filter { !prices[$0].isMetered } }

    /// Remembers what a line for the whole current period charged, so a flexible cancellation can credit it back.
    mutating func recordCharge(_ line: InvoiceLine, for plan: PlannedLine) {
        guard plan.kind == .licensed, plan.period == period else { return }
        debits[plan.item] = Debit(amount: line.amount, period: plan.period)
    }
}
