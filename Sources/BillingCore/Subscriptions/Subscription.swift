/// A customer: who subscriptions bill and meter events name.
public struct Customer: Sendable, Hashable {
    public var id: String
    public var name: String
    public var currency: Currency?
    /// Stripe's customer balance in minor units: negative is a credit, positive is owed.
    public var balance: Int64
    /// `invoice_settings.default_payment_method`; `nil` means no payment method on file.
    public var defaultPaymentMethod: String?
    /// `discount.coupon`: a customer-wide coupon's id, applied at the clock's start.
    public var discount: String?

    public init(
        id: String, name: String = "", currency: Currency? = nil, balance: Int64 = 0, defaultPaymentMethod: String? = nil, discount: String? = nil
    ) {
        self.discount = discount
        self.id = id
        self.name = name
        self.currency = currency
        self.balance = balance
        self.defaultPaymentMethod = defaultPaymentMethod
    }
}

/// `billing_mode.type`: how the first invoice, backdating and metered changes behave.
public enum BillingMode: String, Sendable, Hashable, CaseIterable {
    case classic, flexible
}

/// `billing_mode.flexible.proration_discounts`: how a flexible subscription's proration lines show the
/// discounts their amounts are net of (Docs/ENGINE-RULES.md, "Discounts and prorations"). The totals are the same.
public enum ProrationDiscounts: String, Sendable, Hashable, CaseIterable {
    /// The net amount, with each coupon's id and a discount amount of 0 (Stripe's default).
    case included
    /// The gross amount, with the discount amounts the net amount is the gross less.
    case itemized
}

/// `trial_settings.end_behavior.missing_payment_method`: what the trial's end does when the customer
/// has no payment method (BILLING-SEMANTICS §5.5).
public enum TrialEndBehavior: String, Sendable, Hashable, CaseIterable {
    case createInvoice = "create_invoice"
    case cancel
    case pause
}

/// One item of a subscription: a price and, for licensed prices, a quantity.
public struct SubscriptionItem: Sendable, Hashable {
    public var id: String
    public var price: String
    public var quantity: Int64
    /// `billing_thresholds.usage_gte` of a metered item (Docs/ENGINE-RULES.md, "Billing thresholds").
    public var usageGTE: Int64?
    /// `tax_rates`: the tax rates' ids for this item's lines, instead of the subscription's
    /// `default_tax_rates`; empty: the defaults (Docs/ENGINE-RULES.md, "Taxes").
    public var taxRates: [String]

    public init(id: String, price: String, quantity: Int64 = 1, usageGTE: Int64? = nil, taxRates: [String] = []) {
        self.taxRates = taxRates
        self.id = id
        self.price = price
        self.quantity = quantity
        self.usageGTE = usageGTE
    }
}

/// A subscription's `billing_thresholds` (BILLING-SEMANTICS §5.9; classic only).
public struct BillingThresholds: Sendable, Hashable {
    /// `amount_gte` in minor units: an invoice as soon as the next invoice's amount so far reaches it.
    public var amountGTE: Int64?
    /// `reset_billing_cycle_anchor`: the threshold invoice starts a new full period.
    public var resetBillingCycleAnchor: Bool

    public init(amountGTE: Int64?, resetBillingCycleAnchor: Bool = false) {
        self.amountGTE = amountGTE
        self.resetBillingCycleAnchor = resetBillingCycleAnchor
    }
}

/// A subscription as the scenario defines it.
public struct Subscription: Sendable, Hashable {
    public var id: String
    public var customer: String
    public var created: Instant
    public var backdateStartDate: Instant?
    public var billingCycleAnchor: Instant?
    public var billingMode: BillingMode
    /// `billing_mode.flexible.proration_discounts` (`flexible` only).
    public var prorationDiscounts: ProrationDiscounts = .included
    public var collectionMethod: CollectionMethod
    /// Days from finalization to `due_date` for `send_invoice`.
    public var daysUntilDue: Int
    public var items: [SubscriptionItem]
    /// Where the scenario defines it (`file:line:col`), named by the errors a run stops on.
    public var source: String?
    /// `cancel_at_period_end` at creation: the first period is its last.
    public var cancelAtPeriodEnd: Bool
    /// `trial_end` (or `created` + `trial_period_days`): the subscription is `trialing` until then.
    public var trialEnd: Instant?
    public var trialEndBehavior: TrialEndBehavior
    /// `proration_behavior` at creation: `none` makes a future anchor's stub free, with no first invoice.
    public var prorationBehavior: ProrationBehavior
    /// `cancel_at` at creation (Docs/ENGINE-RULES.md, "cancel_at"): the period containing it ends there.
    public var cancelAt: Instant?
    /// `billing_thresholds` (classic only; an update can set them later).
    public var billingThresholds: BillingThresholds?
    /// `discounts[].coupon`: the coupons' ids, applied at `created`, in order.
    public var discounts: [String] = []
    /// `add_invoice_items`: one-off lines for the first invoice (or the next one when there is none).
    public var addInvoiceItems: [InvoiceItem] = []
    /// `pending_invoice_item_interval`: pending invoice items are invoiced this often between the regular invoices (§5.10).
    public var pendingInvoiceItemInterval: BillingInterval?
    /// `default_payment_method`: pays its invoices instead of the customer's (Docs/ENGINE-RULES.md, "Payments").
    public var defaultPaymentMethod: String?
    /// `default_tax_rates`: the tax rates' ids for its lines whose item has no `tax_rates`, and for its
    /// invoice items (Docs/ENGINE-RULES.md, "Taxes").
    public var defaultTaxRates: [String] = []

    public init(
        id: String, customer: String, created: Instant, backdateStartDate: Instant? = nil, billingCycleAnchor: Instant? = nil,
        billingMode: BillingMode = .flexible, prorationDiscounts: ProrationDiscounts = .included,
        collectionMethod: CollectionMethod = .chargeAutomatically, daysUntilDue: Int = 30,
        items: [SubscriptionItem], cancelAtPeriodEnd: Bool = false, trialEnd: Instant? = nil,
        trialEndBehavior: TrialEndBehavior = .createInvoice, prorationBehavior: ProrationBehavior = .createProrations,
        cancelAt: Instant? = nil, billingThresholds: BillingThresholds? = nil, discounts: [String] = [], source: String? = nil
    ) {
        self.discounts = discounts
        self.source = source
        self.cancelAt = cancelAt
        self.billingThresholds = billingThresholds
        self.trialEnd = trialEnd
        self.trialEndBehavior = trialEndBehavior
        self.prorationBehavior = prorationBehavior
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
        self.id = id
        self.customer = customer
        self.created = created
        self.backdateStartDate = backdateStartDate
        self.billingCycleAnchor = billingCycleAnchor
        self.billingMode = billingMode
        self.prorationDiscounts = prorationDiscounts
        self.collectionMethod = collectionMethod
        self.daysUntilDue = daysUntilDue
        self.items = items
    }

    /// When service starts: the backdated start date, else `created`.
    public var start: Instant { backdateStartDate ?? created }

    /// The billing schedule: the explicit anchor, else the trial's end (§5.1), else the start
    /// (`flexible`) or `created` (`classic`).
    public func schedule(interval: BillingInterval) -> BillingSchedule {
        let anchor = billingCycleAnchor ?? trialEnd ?? (billingMode == .flexible ? start : created)
        return BillingSchedule(anchor: anchor, interval: interval)
    }
}

/// `proration_behavior` of an update (BILLING-SEMANTICS §5.7).
public enum ProrationBehavior: String, Sendable, Hashable, CaseIterable {
    /// Proration lines wait for the subscription's next invoice (Stripe's default).
    case createProrations = "create_prorations"
    /// An invoice at once with the prorations (and, in classic, the usage not yet invoiced).
    case alwaysInvoice = "always_invoice"
    /// No prorations: the change applies from the next invoice.
    case none
}

/// One entry of an update's `items` (Stripe's `items[]` of `POST /v1/subscriptions/:id`).
public enum ItemChange: Sendable, Hashable {
    /// An existing item gets a new price and/or quantity (`nil`: unchanged).
    case change(item: String, price: String?, quantity: Int64?)
    /// `deleted: true`.
    case remove(item: String)
    /// No `id` of an existing item: a new item.
    case add(item: String, price: String, quantity: Int64)
}

/// `update_subscription`: the fields billsim bills (Docs/ENGINE-RULES.md, "Updates").
public struct SubscriptionUpdate: Sendable, Hashable {
    public var subscription: String
    public var items: [ItemChange]
    public var prorationBehavior: ProrationBehavior
    /// The instant prorations are computed from (default: the update's instant).
    public var prorationDate: Instant?
    /// `billing_cycle_anchor: now`: a new full period starts at the update.
    public var resetsAnchor: Bool
    /// `cancel_at_period_end` when written.
    public var cancelAtPeriodEnd: Bool?
    /// `cancel_at` when written: the subscription ends then (Docs/ENGINE-RULES.md, "cancel_at").
    public var cancelAt: Instant?
    /// `trial_end: now`: a trialing subscription's trial ends at the update (Docs/ENGINE-RULES.md, "Trials").
    public var endsTrial: Bool
    /// `billing_thresholds` when written: they replace the subscription's (Docs/ENGINE-RULES.md, "Billing thresholds").
    public var billingThresholds: BillingThresholds?
    /// `discounts` when written: the coupons' ids that replace the subscription's, applied at the update.
    public var discounts: [String]?
    /// `default_payment_method` when written: it pays the subscription's invoices from the update on.
    public var defaultPaymentMethod: String?
    /// `default_tax_rates` when written: the tax rates' ids that replace the subscription's, from the update on.
    public var defaultTaxRates: [String]? = nil
    /// Items' `tax_rates` when written, by item id (an added item's too): they replace the item's; empty
    /// gives the item the subscription's defaults again.
    public var itemTaxRates: [String: [String]] = [:]

    public init(
        subscription: String, items: [ItemChange] = [], prorationBehavior: ProrationBehavior = .createProrations, prorationDate: Instant? = nil,
        resetsAnchor: Bool = false, cancelAtPeriodEnd: Bool? = nil, cancelAt: Instant? = nil, endsTrial: Bool = false,
        billingThresholds: BillingThresholds? = nil, discounts: [String]? = nil, defaultPaymentMethod: String? = nil
    ) {
        self.defaultPaymentMethod = defaultPaymentMethod
        self.discounts = discounts
        self.billingThresholds = billingThresholds
        self.endsTrial = endsTrial
        self.cancelAt = cancelAt
        self.subscription = subscription
        self.items = items
        self.prorationBehavior = prorationBehavior
        self.prorationDate = prorationDate
        self.resetsAnchor = resetsAnchor
        self.cancelAtPeriodEnd = cancelAtPeriodEnd
    }
}

/// An invoice item: a one-off line pending until the subscription's next invoice (Docs/ENGINE-RULES.md,
/// "Invoice items"): `add_invoice_item` on the timeline (a one-time price and a quantity, or an amount),
/// or one of a subscription's `add_invoice_items` (a price and a quantity).
public struct InvoiceItem: Sendable, Hashable {
    public var subscription: String
    /// Minor units; negative is a credit. Ignored when `price` is set.
    public var amount: Int64
    /// A one-time price: the line bills `quantity` of it.
    public var price: String?
    public var quantity: Int64
    /// `nil`: the price's product name (or "Invoice item" for an amount).
    public var description: String?

    public init(subscription: String, amount: Int64, description: String?) {
        self.subscription = subscription
        self.amount = amount
        self.price = nil
        self.quantity = 1
        self.description = description
    }

    public init(subscription: String, price: String, quantity: Int64, description: String? = nil) {
        self.subscription = subscription
        self.amount = 0
        self.price = price
        self.quantity = quantity
        self.description = description
    }
}

/// A change at a given clock time.
public enum TimelineAction: Sendable, Hashable {
    /// Changes items, prorations, the anchor or the period-end cancellation; see Docs/ENGINE-RULES.md, "Updates".
    case updateSubscription(SubscriptionUpdate)
    /// Cancels immediately; see Docs/ENGINE-RULES.md, "Cancellation".
    case cancelSubscription(subscription: String, invoiceNow: Bool, prorate: Bool)
    /// Records the subscription's upcoming invoice under a name.
    case previewInvoice(subscription: String, name: String)
    /// A one-off line for the subscription's next invoice.
    case addInvoiceItem(InvoiceItem)
    /// `preview_invoice` with `subscription_details`: the upcoming invoice as if `change` were made now,
    /// without making it (Docs/ENGINE-RULES.md, "Preview of a change").
    case previewChange(name: String, change: SubscriptionUpdate)
    /// Adds `amount` (negative: a credit) to the customer's balance, which the next finalized invoice
    /// applies (Docs/ENGINE-RULES.md, "Customer balance").
    case customerBalanceTransaction(customer: String, amount: Int64)
    /// `attach_payment_method`: the payment method becomes the customer's default (Docs/ENGINE-RULES.md, "Payments").
    case attachPaymentMethod(customer: String, paymentMethod: String)
    /// `detach_payment_method`: the customer's default is removed when it is this one.
    case detachPaymentMethod(customer: String, paymentMethod: String)
    /// `pay_invoice`, `void_invoice`, `mark_uncollectible`, `finalize_invoice` (Docs/ENGINE-RULES.md, "Invoice actions").
    case invoiceAction(InvoiceAction, invoice: String)
}

/// A timeline entry: an action at an instant.
public struct TimelineEntry: Sendable, Hashable {
    public var at: Instant
    public var action: TimelineAction

    public init(at: Instant, action: TimelineAction) {
        self.at = at
        self.action = action
    }
}

/// Run-wide settings.
public struct EngineSettings: Sendable, Hashable {
    /// Draft → finalize delay of renewal invoices (≤ 72h).
    public var finalizationGrace: TimeSpan
    public var eventWindow: EventWindow
    /// `payment_retries`: when a declined renewal is retried and what happens after the last retry.
    public var paymentRetries: PaymentRetries

    public init(finalizationGrace: TimeSpan = .hours(1), eventWindow: EventWindow = EventWindow(), paymentRetries: PaymentRetries = PaymentRetries())
    {
        self.finalizationGrace = finalizationGrace
        self.eventWindow = eventWindow
        self.paymentRetries = paymentRetries
    }
}

/// Everything a run needs except usage: the clock, the catalog, customers, subscriptions, timeline.
public struct Simulation: Sendable {
    public var clockStart: Instant
    public var clockUntil: Instant
    public var catalog: Catalog
    public var customers: [Customer]
    public var subscriptions: [Subscription]
    public var timeline: [TimelineEntry]
    public var settings: EngineSettings

    public init(
        clockStart: Instant, clockUntil: Instant, catalog: Catalog, customers: [Customer], subscriptions: [Subscription],
        timeline: [TimelineEntry] = [], settings: EngineSettings = EngineSettings()
    ) {
        self.clockStart = clockStart
        self.clockUntil = clockUntil
        self.catalog = catalog
        self.customers = customers
        self.subscriptions = subscriptions
        self.timeline = timeline
        self.settings = settings
    }
}
