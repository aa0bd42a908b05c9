/// What a run produced.
public struct SimulationOutcome: Sendable {
    /// Every invoice, in creation order, as read back from the store.
    public var invoices: [Invoice]
    /// Upcoming invoices recorded by `preview_invoice`, by name.
    public var previews: [String: Invoice]
    public var usage: UsageReport
    /// Each subscription's state when the clock stopped, in scenario order.
    public var subscriptions: [SubscriptionSnapshot]
    /// Each customer's state when the clock stopped, in scenario order.
    public var customers: [CustomerSnapshot]
    /// Each credit grant's state when the clock stopped, in scenario order.
    public var creditGrants: [CreditGrantSnapshot]

    public init(
        invoices: [Invoice], previews: [String: Invoice], usage: UsageReport, subscriptions: [SubscriptionSnapshot] = [],
        customers: [CustomerSnapshot] = [], creditGrants: [CreditGrantSnapshot] = []
    ) {
        self.creditGrants = creditGrants
        self.invoices = invoices
        self.previews = previews
        self.usage = usage
        self.subscriptions = subscriptions
        self.customers = customers
    }
}

/// A subscription's Stripe fields when the clock stopped (`expect.subscriptions`).
public struct SubscriptionSnapshot: Sendable, Hashable {
    public var id: String
    /// Stripe's `status`; `nil` when the clock stopped before it was created.
    public var status: String?
    public var currentPeriodStart: Instant?
    public var currentPeriodEnd: Instant?
    public var cancelAtPeriodEnd: Bool
    /// When it is set to end (`cancel_at`, the period end under `cancel_at_period_end`).
    public var cancelAt: Instant?
    /// When it was canceled: the cancellation, or the update that set `cancel_at_period_end`.
    public var canceledAt: Instant?
    /// When it ended (the end of the period for `cancel_at_period_end`).
    public var endedAt: Instant?
    public var trialEnd: Instant?
    /// Each status it had, from the instant it took it (its status history).
    public var history: [StatusChange] = []

    public init(
        id: String, status: String?, currentPeriodStart: Instant?, currentPeriodEnd: Instant?, cancelAtPeriodEnd: Bool = false,
        cancelAt: Instant? = nil, canceledAt: Instant? = nil, endedAt: Instant? = nil, trialEnd: Instant? = nil
    ) {
        self.cancelAt = cancelAt
        self.id = id
        self.status = status
        self.currentPeriodStart = currentPeriodStart
        self.currentPeriodEnd = currentPeriodEnd
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.canceledAt = canceledAt
        self.endedAt = endedAt
        self.trialEnd = trialEnd
    }
}

/// A subscription took `status` at `at`.
public struct StatusChange: Sendable, Hashable {
    public var at: Instant
    public var status: String

    public init(at: Instant, status: String) {
        self.at = at
        self.status = status
    }
}

/// A customer's state when the clock stopped (`expect.customers`).
public struct CustomerSnapshot: Sendable, Hashable {
    public var id: String
    /// Stripe's `balance` in minor units: negative is a credit.
    public var balance: Int64
    public var currency: Currency?

    public init(id: String, balance: Int64, currency: Currency?) {
        self.id = id
        self.balance = balance
        self.currency = currency
    }
}

/// A credit grant's state when the clock stopped (`expect.credit_grants`).
public struct CreditGrantSnapshot: Sendable, Hashable {
    public var id: String
    /// Stripe's available balance in minor units of `currency`: what is left, 0 once expired or while pending.
    public var available: Int64
    public var currency: Currency

    public init(id: String, available: Int64, currency: Currency) {
        self.id = id
        self.available = available
        self.currency = currency
    }
}

/// A problem found while running (a scenario asked for something the engine cannot do then).
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
