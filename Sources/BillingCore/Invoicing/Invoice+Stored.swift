// Initializers taking every stored field, for the stores' row codec (BillingStoreRows): a line or a
// tier read back from a database is built whole, from what was stored, rather than rated again and
// patched after `init` (the public initializers derive `amount` from the rated exact amount, which a
// stored row already holds). `Invoice`'s public initializer already takes every stored field.
// Kept apart from Invoice.swift so that the engine's types and the storage seam change independently.

extension InvoiceLine {
    /// A line with every stored field given as it was stored (nothing derived).
    package init(
        id: String, price: String, subscriptionItem: String, description: String, period: Period, quantity: ExactDecimal,
        transformedQuantity: ExactDecimal?, exactAmount: ExactDecimal, amount: Int64, proration: Bool, tiers: [TierAmount], metered: Bool,
        discountAmounts: [DiscountAmount] = [], pretaxCreditAmounts: [CreditAmount] = [], taxes: [TaxAmount] = []
    ) {
        self.id = id
        self.price = price
        self.subscriptionItem = subscriptionItem
        self.description = description
        self.period = period
        self.quantity = quantity
        self.transformedQuantity = transformedQuantity
        self.exactAmount = exactAmount
        self.amount = amount
        self.proration = proration
        self.tiers = tiers
        self.metered = metered
        self.discountAmounts = discountAmounts
        self.pretaxCreditAmounts = pretaxCreditAmounts
        self.taxes = taxes
    }
}

extension TierAmount {
    /// A tier part with every stored field given, `amount` included (not recomputed).
    package init(tier: Int, upTo: Int64?, quantity: ExactDecimal, unitAmount: ExactDecimal, flatAmount: ExactDecimal, amount: ExactDecimal) {
        self.tier = tier
        self.upTo = upTo
        self.quantity = quantity
        self.unitAmount = unitAmount
        self.flatAmount = flatAmount
        self.amount = amount
    }
}
