/// An invoice's lifecycle state (Stripe's `status`).
public enum InvoiceStatus: String, Sendable, Hashable, CaseIterable {
    case draft, open, paid, void, uncollectible
}

/// Why an invoice exists (Stripe's `billing_reason`).
public enum BillingReason: String, Sendable, Hashable, CaseIterable {
    case subscriptionCreate = "subscription_create"
    case subscriptionCycle = "subscription_cycle"
    case subscriptionUpdate = "subscription_update"
    /// A billing threshold was reached (Docs/ENGINE-RULES.md, "Billing thresholds").
    case subscriptionThreshold = "subscription_threshold"
    case upcoming
    /// An invoice of pending invoice items at the subscription's `pending_invoice_item_interval` (§5.10).
    case automaticPendingInvoiceItemInvoice = "automatic_pending_invoice_item_invoice"
}

/// How an invoice is collected.
public enum CollectionMethod: String, Sendable, Hashable, CaseIterable {
    case chargeAutomatically = "charge_automatically"
    case sendInvoice = "send_invoice"
}

/// One entry of Stripe's `discount_amounts`: the amount a discount (named by its coupon's id) took off.
public struct DiscountAmount: Sendable, Hashable {
    public var amount: Int64
    public var discount: String

    public init(amount: Int64, discount: String) {
        self.amount = amount
        self.discount = discount
    }
}

/// One invoice line.
public struct InvoiceLine: Sendable, Hashable {
    public var id: String
    public var price: String
    public var subscriptionItem: String
    public var description: String
    public var period: Period
    /// Seats, or the meter's aggregate for the period (negative totals shown as 0), before
    /// `transform_quantity`.
    public var quantity: ExactDecimal
    /// The quantity after `transform_quantity`, when the price has one.
    public var transformedQuantity: ExactDecimal?
    /// The exact amount before rounding (decimal minor units).
    public var exactAmount: ExactDecimal
    /// The amount in minor units, rounded once, half away from zero.
    public var amount: Int64
    public var proration: Bool
    public var tiers: [TierAmount]
    /// Whether the line bills metered usage (re-aggregated at finalization).
    public var metered: Bool
    /// Stripe's `discount_amounts`: what each discount took off this line (Docs/ENGINE-RULES.md, "Discounts").
    public var discountAmounts: [DiscountAmount] = []

    /// Stripe's `pretax_credit_amounts`: what each credit grant paid of this line, after its discounts
    /// and before taxes (Docs/ENGINE-RULES.md, "Billing credits"); set at finalization (``CreditLedger``).
    public var pretaxCreditAmounts: [CreditAmount] = []
    /// Stripe's `taxes`: what each tax rate charged on this line (Docs/ENGINE-RULES.md, "Taxes").
    public var taxes: [TaxAmount] = []

    // Inlinable, these four: another module (the comparison's revenue sums) reads them on every line where it lies;
    // called across the module boundary, each call worked on a copy of the line (2% of a re-rated variant's CPU, perf).

    /// The sum of ``discountAmounts``.
    @inlinable public var discountTotal: Int64 { discountAmounts.reduce(0) { $0 + $1.amount } }
    /// The sum of ``pretaxCreditAmounts`` (never more than the line's amount less its discounts).
    @inlinable public var creditTotal: Int64 { pretaxCreditAmounts.reduce(0) { $0 + $1.amount } }

    /// What the line's taxes are computed on: its amount less its discounts and its billing credits
    /// (BILLING-SEMANTICS §6.2: credits apply after discounts, before taxes). The invoice's sums are
    /// checked to fit by ``Invoice/checkTotals()``, so a line's never overflows.
    @inlinable public var taxableAmount: Int64 { amount - discountTotal - creditTotal }

    /// The sum of the line's exclusive taxes (added to the total) or inclusive ones (inside its amount).
    @inlinable public func taxTotal(inclusive: Bool) -> Int64 { taxes.reduce(0) { $0 + ($1.inclusive == inclusive ? $1.amount : 0) } }

    public init(
        id: String = "", price: String, subscriptionItem: String, description: String, period: Period, quantity: ExactDecimal,
        rated: RatedAmount, proration: Bool = false, metered: Bool
    ) throws(AmountOverflow) {
        self.init(
            id: id, price: price, subscriptionItem: subscriptionItem, description: description, period: period, quantity: quantity,
            transformedQuantity: rated.transformedQuantity, exactAmount: rated.exact, amount: try rated.amount, proration: proration,
            tiers: rated.tiers, metered: metered)
    }
}

extension InvoiceLine {
    /// An invoice item added at `instant` (Docs/ENGINE-RULES.md, "Invoice items"): no subscription item
    /// (empty), the period the instant itself. With a one-time `price`: the price's id, the item's
    /// quantity, the amount the price rates for it (`unit_amount × quantity`, rounded once), described by
    /// the item's description or else `productName`; without: no price (empty), quantity 1, `item.amount`.
    static func invoiceItem(_ item: InvoiceItem, price: Price? = nil, productName: String = "", at instant: Instant) throws(AmountOverflow)
        -> InvoiceLine
    {
        let period = Period(start: instant, end: instant)
        guard let price else {
            return try InvoiceLine(
                price: "", subscriptionItem: "", description: item.description ?? "Invoice item", period: period, quantity: ExactDecimal(1),
                rated: RatedAmount(exact: ExactDecimal(item.amount)), metered: false)
        }
        let quantity = ExactDecimal(item.quantity)
        return try InvoiceLine(
            price: price.id, subscriptionItem: "", description: item.description ?? productName, period: period, quantity: quantity,
            rated: Rating.rate(price.scheme, quantity: quantity), metered: false)
    }
}

/// An invoice, as billsim generates it and stores persist it.
public struct Invoice: Sendable, Hashable {
    public var id: String
    /// Position in creation order across the run (1-based).
    public var number: Int
    public var customer: String
    public var subscription: String
    public var billingReason: BillingReason
    public var status: InvoiceStatus
    public var currency: Currency
    public var collectionMethod: CollectionMethod
    public var created: Instant
    /// The service period the invoice closes: for a renewal, the period that just ended.
    public var periodStart: Instant
    public var periodEnd: Instant
    public var lines: [InvoiceLine]
    public var startingBalance: Int64
    public var finalizedAt: Instant?
    public var paidAt: Instant?
    public var dueDate: Instant?
    /// Stripe's `attempt_count`: payment attempts made on it (Docs/ENGINE-RULES.md, "Payments").
    public var attemptCount: Int = 0
    /// `status_transitions.voided_at`.
    public var voidedAt: Instant?
    /// `status_transitions.marked_uncollectible_at`.
    public var markedUncollectibleAt: Instant?
    /// `next_payment_attempt`: the scheduled retry of an open invoice, if any.
    public var nextPaymentAttempt: Instant?

    public init(
        id: String, number: Int, customer: String, subscription: String, billingReason: BillingReason, status: InvoiceStatus = .draft,
        currency: Currency, collectionMethod: CollectionMethod, created: Instant, periodStart: Instant, periodEnd: Instant,
        lines: [InvoiceLine], startingBalance: Int64 = 0, finalizedAt: Instant? = nil, paidAt: Instant? = nil, dueDate: Instant? = nil,
        attemptCount: Int = 0, voidedAt: Instant? = nil, markedUncollectibleAt: Instant? = nil, nextPaymentAttempt: Instant? = nil
    ) {
        self.attemptCount = attemptCount
        self.voidedAt = voidedAt
        self.markedUncollectibleAt = markedUncollectibleAt
        self.nextPaymentAttempt = nextPaymentAttempt
        self.id = id
        self.number = number
        self.customer = customer
        self.subscription = subscription
        self.billingReason = billingReason
        self.status = status
        self.currency = currency
        self.collectionMethod = collectionMethod
        self.created = created
        self.periodStart = periodStart
        self.periodEnd = periodEnd
        self.lines = lines
        self.startingBalance = startingBalance
        self.finalizedAt = finalizedAt
        self.paidAt = paidAt
        self.dueDate = dueDate
    }

    /// Sum of the line amounts (the engine checks it fits before an invoice leaves it: ``checkTotals()``):
    /// Stripe's `subtotal`, before discounts (billsim's discounts are all invoice-level: subscription or customer).
    public var subtotal: Int64 { lines.reduce(0) { $0 + $1.amount } }

    /// Stripe's `total_discount_amounts`: per discount, in the order the lines first name them, the sum
    /// of what it took off every line.
    public var totalDiscountAmounts: [DiscountAmount] {
        Self.grouped(lines.lazy.flatMap(\.discountAmounts), by: \.discount) { $0.amount += $1.amount }
    }

    /// The sum of every line's discounts.
    public var discountTotal: Int64 { lines.reduce(0) { $0 + $1.discountTotal } }

    /// Stripe's `total_pretax_credit_amounts`: per credit grant, in the order the lines first name them,
    /// the sum of what it paid of every line.
    public var totalPretaxCreditAmounts: [CreditAmount] {
        Self.grouped(lines.lazy.flatMap(\.pretaxCreditAmounts), by: \.creditGrant) { $0.amount += $1.amount }
    }

    /// Stripe's `total_taxes`: per tax rate, in the order the lines first name them, the sums of its
    /// amounts and taxable amounts over every line.
    public var totalTaxes: [TaxAmount] {
        Self.grouped(lines.lazy.flatMap(\.taxes), by: \.taxRate) { total, tax in
            total.amount += tax.amount
            total.taxableAmount += tax.taxableAmount
        }
    }

    /// The invoice's totals of one kind of line part (discounts, credits, taxes): `parts` grouped by
    /// `key`, in the order each key first appears, each group merged into its first part by `merge`.
    static func grouped<Part, Failure: Error>(
        _ parts: some Sequence<Part>, by key: (Part) -> String, merge: (inout Part, Part) throws(Failure) -> Void
    ) throws(Failure) -> [Part] {
        var totals: [Part] = []
        var positions: [String: Int] = [:]
        for part in parts {
            if let index = positions[key(part)] {
                try merge(&totals[index], part)
            } else {
                positions[key(part)] = totals.count
                totals.append(part)
            }
        }
        return totals
    }

    /// The sum of every line's credits.
    public var creditTotal: Int64 { lines.reduce(0) { $0 + $1.creditTotal } }

    /// Whether any line has taxes (a rate at 0 % counts: it is shown).
    public var hasTaxes: Bool { lines.contains { !$0.taxes.isEmpty } }

    /// The sum of every line's exclusive taxes (`inclusive: false`) or inclusive ones (`true`).
    public func taxTotal(inclusive: Bool) -> Int64 { lines.reduce(0) { $0 + $1.taxTotal(inclusive: inclusive) } }

    /// Checks that the sums behind every amount of the invoice fit `Int64` minor units: the subtotal,
    /// the discounts, each tax rate's amounts and taxable amounts, the subtotal and total excluding tax,
    /// and the total plus the starting balance (`amount_due`, `ending_balance`). The engine calls it on
    /// every invoice it creates, finalizes or previews, so the computed amounts never overflow.
    public func checkTotals() throws(AmountOverflow) {
        // Summed through the lines' indices, so no line is copied (the engine checks every invoice it makes).
        // A discount is negative only on a credit proration (`itemized`): its negation fits unless it is Int64.min.
        var discounts: Int64 = 0
        for index in lines.indices {
            for part in lines[index].discountAmounts { discounts = try discounts.adding(part.amount, "the invoice's discounts") }
        }
        guard discounts != .min else { throw AmountOverflow("the invoice's discounts (\(discounts)) are beyond ±\(Int64.max) minor units") }
        // Credits are never negative either (``CreditLedger``).
        var credits: Int64 = 0
        for index in lines.indices {
            for part in lines[index].pretaxCreditAmounts { credits = try credits.adding(part.amount, "the invoice's credits") }
        }
        var subtotal: Int64 = 0
        for index in lines.indices { subtotal = try subtotal.adding(lines[index].amount, "the invoice total") }
        let reduced = try subtotal.adding(-discounts, "the invoice total after discounts").adding(-credits, "the invoice total after credits")
        guard lines.indices.contains(where: { !lines[$0].taxes.isEmpty }) else {
            _ = try reduced.adding(startingBalance, "the invoice total plus the customer balance")
            return
        }
        let taxes = lines.lazy.flatMap(\.taxes)
        // `total_taxes`: each rate's amounts and taxable amounts, summed in line order as ``totalTaxes`` sums them.
        _ = try Self.grouped(taxes, by: \.taxRate) { (total: inout TaxAmount, tax: TaxAmount) throws(AmountOverflow) in
            total.taxableAmount = try total.taxableAmount.adding(tax.taxableAmount, "the amounts tax rate \(tax.taxRate) taxed")
            total.amount = try total.amount.adding(tax.amount, "the taxes of rate \(tax.taxRate)")
        }
        // Each line's sums (``InvoiceLine/taxTotal(inclusive:)``) and the invoice's, in line order (``taxTotal(inclusive:)``).
        for line in lines {
            _ = try line.taxes.filter { !$0.inclusive }.map(\.amount).checkedSum("line \(line.id)'s exclusive taxes")
            _ = try line.taxes.filter(\.inclusive).map(\.amount).checkedSum("line \(line.id)'s inclusive taxes")
        }
        let exclusive = try taxes.filter { !$0.inclusive }.map(\.amount).checkedSum("the invoice's exclusive taxes")
        let inclusive = try taxes.filter(\.inclusive).map(\.amount).checkedSum("the invoice's inclusive taxes")
        _ = try subtotal.adding(-inclusive, "the invoice subtotal excluding tax")
        _ = try reduced.adding(-inclusive, "the invoice total excluding tax")
        let total = try reduced.adding(exclusive, "the invoice total with taxes")
        _ = try total.adding(startingBalance, "the invoice total plus the customer balance")
    }
    /// Stripe's `subtotal_excluding_tax`: `subtotal` less the inclusive taxes (Docs/ENGINE-RULES.md, "Taxes").
    public var subtotalExcludingTax: Int64 { subtotal - taxTotal(inclusive: true) }
    /// Stripe's `total_excluding_tax`: `subtotal` less the discounts, the billing credits and the inclusive taxes.
    public var totalExcludingTax: Int64 { subtotal - discountTotal - creditTotal - taxTotal(inclusive: true) }
    /// `subtotal` less the discounts and the billing credits, plus the exclusive taxes (inclusive ones are
    /// already in the amounts): Stripe's order, BILLING-SEMANTICS §6.2.
    public var total: Int64 { subtotal - discountTotal - creditTotal + taxTotal(inclusive: false) }
    /// Whether the finalized invoice owed less than the currency's minimum charge: then it is paid
    /// without a charge and the amount moves to the customer's balance as a debit (BILLING-SEMANTICS §6.5).
    public var isBelowMinimumCharge: Bool {
        guard status != .draft, let minimum = currency.minimumCharge else { return false }
        let owed = total + startingBalance
        return owed > 0 && owed < minimum
    }
    /// What the customer owes now: the total after the starting balance, never below 0; 0 when that is
    /// below the minimum charge.
    public var amountDue: Int64 { isBelowMinimumCharge ? 0 : max(0, total + startingBalance) }
    /// The customer's balance after this invoice: a credit left over (≤ 0), or the debit of an amount
    /// below the minimum charge (> 0).
    public var endingBalance: Int64? {
        status == .draft ? nil : isBelowMinimumCharge ? total + startingBalance : min(0, total + startingBalance)
    }
    public var amountPaid: Int64 { status == .paid ? amountDue : 0 }
    public var amountRemaining: Int64 { amountDue - amountPaid }
    /// Stripe's `attempted`: whether a payment was attempted.
    public var attempted: Bool { attemptCount > 0 }
}
