/// A line an invoice will carry, before it is priced: which item, for which span, billed how.
struct PlannedLine: Sendable, Hashable {
    enum Kind: Sendable, Hashable {
        /// The item's price for the period (prorated when the period is not one full period).
        case licensed
        /// Metered usage aggregated over the period.
        case usage
        /// The classic first invoice's zero-amount metered line.
        case zero
        /// A credit for the unused part of a licensed period, negated: of the debit it gives back
        /// (`flexible`), or of the slot's current amount (`nil`: `classic`) (``Proration/credits(for:over:of:)``).
        case credit(Debit?)
        /// The debit for the remaining time of a period after a change: always a proration.
        case remaining
        /// A licensed item's zero-amount line for its trial (Docs/ENGINE-RULES.md, "Trials").
        case trial
        /// A volume price's credit for what threshold invoices billed of the period's usage (§4.9).
        case previouslyBilled
    }

    var item: Int
    var period: Period
    var kind: Kind
    /// A `usage` or `previouslyBilled` line: what threshold invoices already billed of the usage (``ThresholdRating``).
    var billed: BilledUsage? = nil

    /// The aggregation a `usage` line bills: its item's meter, for the subscription's customer, over its period.
    /// `keys` gives the (meter, customer) key the store indexes usage by.
    func usageQuery(of subscription: BilledSubscription, catalog: Catalog, keys: EventKeys) throws -> UsageQuery {
        let price = subscription.prices[item]
        let customer = subscription.definition.customer
        guard let meterID = price.meterID, let meter = catalog.meter(meterID) else {
            throw EngineError("price \(price.id) has no meter")
        }
        guard let key = keys.key(meter: meterID, customer: customer) else {
            throw EngineError("subscription \(subscription.definition.id): no customer \(customer)")
        }
        return UsageQuery(meter: meterID, customer: customer, key: key, formula: meter.formula, period: period)
    }

    /// The priced line: amount, proration flag and description (Docs/ENGINE-RULES.md, "Rating", "First
    /// invoice", "Cancellation").
    ///
    /// - Parameters:
    ///   - subscription: the item's subscription (its prices, product names, schedule, and debits for flexible credits).
    ///   - usage: the period's aggregate for a `usage` line (negative totals already raised to 0); ignored otherwise.
    ///   An amount beyond `Int64` minor units is an ``AmountOverflow``.
    func priced(for subscription: BilledSubscription, usage: ExactDecimal = .zero) throws(AmountOverflow) -> InvoiceLine {
        let productName = subscription.productNames[self.item]
        let item = subscription.definition.items[self.item]
        let price = subscription.prices[self.item]
        func make(quantity: ExactDecimal, rated: RatedAmount, proration: Bool, description: String) throws(AmountOverflow) -> InvoiceLine {
            try InvoiceLine(
                price: price.id, subscriptionItem: item.id, description: description, period: period, quantity: quantity, rated: rated,
                proration: proration, metered: price.isMetered)
        }
        switch kind {
        case .licensed, .credit, .remaining:
            let quantity = ExactDecimal(item.quantity)
            var rated = Rating.rate(price.scheme, quantity: quantity)
            let schedule = subscription.schedule
            let debit: Debit? = if case .credit(let debit) = kind { debit } else { nil }
            // A proration is not discountable: its amount is net of the last discounts used (Docs/ENGINE-RULES.md,
            // "Discounts and prorations"). It prorates the debit it gives back (a `flexible` credit), net of that
            // debit's discounts, else the list amount, net of what the last coupons take off it billed alone.
            let base = debit.map { ExactDecimal($0.amount) } ?? rated.exact
            let discounts =
                debit?.discounts
                ?? InvoiceAdjustments.discounts(of: rated.exact.roundedToMinorUnits() ?? 0, product: price.product, by: subscription.lastCoupons)
            func prorated(_ amount: ExactDecimal) -> LicensedAmount {
                switch kind {
                case .credit: LicensedAmount.credit(amount, over: period, schedule: schedule, debit: debit)
                case .remaining: LicensedAmount.remaining(amount, over: period, schedule: schedule)
                default: LicensedAmount.charge(amount, over: period, schedule: schedule)
                }
            }
            let gross = prorated(base)
            let net = gross.isProration ? prorated(base - ExactDecimal(discounts.reduce(0) { $0 + $1.amount })) : gross
            let definition = subscription.definition
            // `flexible` shows the discounts (`proration_discounts`); `classic` shows the net amount alone.
            let shown = definition.billingMode == .flexible && gross.isProration
            let itemized = shown && definition.prorationDiscounts == .itemized
            rated.exact = itemized ? gross.exact : net.exact
            let isCredit = if case .credit = kind { true } else { false }
            let description = LineDescription.licensed(
                quantity: item.quantity, product: productName, period: period, isCredit: isCredit, isProration: gross.isProration)
            var line = try make(quantity: quantity, rated: rated, proration: gross.isProration, description: description)
            if shown {
                line.discountAmounts = try InvoiceAdjustments.prorationDiscounts(
                    discounts, gross: gross.exact.roundedToMinorUnits() ?? 0, net: net.exact.roundedToMinorUnits() ?? 0, itemized: itemized)
            }
            return line
        case .trial:
            let rated = RatedAmount(exact: .zero, transformedQuantity: nil, tiers: [])
            let description = LineDescription.trial(
                quantity: item.quantity, product: productName, mode: subscription.definition.billingMode)
            return try make(quantity: ExactDecimal(item.quantity), rated: rated, proration: false, description: description)
        case .zero:
            let rated = RatedAmount(exact: .zero, transformedQuantity: nil, tiers: [])
            return try make(quantity: .zero, rated: rated, proration: false, description: LineDescription.meteredInArrears(product: productName))
        case .usage:
            let (quantity, rated) = ThresholdRating.rate(price.scheme, usage: usage, after: billed)
            return try make(quantity: quantity, rated: rated, proration: false, description: LineDescription.usage(product: productName))
        case .previouslyBilled:
            let quantity = billed?.quantity ?? .zero
            let description = LineDescription.previouslyBilled(unitAmount: billed?.unitAmount ?? .zero, currency: price.currency)
            return try InvoiceLine(
                price: price.id, subscriptionItem: item.id, description: description, period: period, quantity: quantity,
                rated: RatedAmount(exact: self.amount(for: subscription, usage: usage)?.exact ?? .zero), proration: false, metered: false)
        }
    }

    /// The rated amount of a `usage` or `previouslyBilled` line (a threshold invoice's kinds) without the
    /// line itself, as ``priced(for:usage:)`` rates it: what a threshold check adds up; `nil` for other kinds.
    func amount(for subscription: BilledSubscription, usage: ExactDecimal) -> RatedAmount? {
        switch kind {
        case .usage: RatedAmount(exact: ThresholdRating.exact(subscription.prices[item].scheme, usage: usage, after: billed))
        case .previouslyBilled: RatedAmount(exact: ExactDecimal(-(billed?.amount ?? 0)))
        default: nil
        }
    }
}

/// The descriptions Stripe gives subscription lines.
enum LineDescription {
    /// A licensed line: "2 × Seat", a proration "Remaining time on 2 × Seat from 2026-01-15 to 2026-02-01",
    /// a credit "Unused time on 2 × Seat after 2026-01-15".
    static func licensed(quantity: Int64, product: String, period: Period, isCredit: Bool, isProration: Bool) -> String {
        if isCredit { return "Unused time on \(quantity) × \(product) after \(period.start.civil.date)" }
        if isProration { return "Remaining time on \(quantity) × \(product) from \(period.start.civil.date) to \(period.end.civil.date)" }
        return "\(quantity) × \(product)"
    }

    /// A trial line: "Trial period for 1 × Seat" (classic), "Free trial for 1 × Seat" (flexible, §5.3(7)).
    static func trial(quantity: Int64, product: String, mode: BillingMode) -> String {
        "\(mode == .flexible ? "Free trial for" : "Trial period for") \(quantity) × \(product)"
    }

    /// The classic first invoice's zero-amount metered line.
    static func meteredInArrears(product: String) -> String { "\(product) (metered, billed in arrears)" }

    /// A metered line.
    static func usage(product: String) -> String { "\(product) usage" }

    /// A volume price's credit for what threshold invoices billed (§4.9): "Amount previously billed
    /// (at 0.50)", the unit amount the last of them billed, in major units.
    static func previouslyBilled(unitAmount: ExactDecimal, currency: Currency) -> String {
        "Amount previously billed (at \(currency.majorUnits(unitAmount)))"
    }
}
