/// A Stripe tax rate (BILLING-SEMANTICS §6.4): a percentage added to a line (exclusive) or already
/// inside its amount (inclusive) (Docs/ENGINE-RULES.md, "Taxes").
public struct TaxRate: Sendable, Hashable {
    /// The largest `percentage` in ten-thousandths of a percent (100 %).
    public static let maxPercentage: Int64 = 1_000_000
    /// At most this many tax rates apply to one line (Stripe's limit).
    public static let maxPerLine = 5

    public var id: String
    public var displayName: String
    /// `percentage` in ten-thousandths of a percent (19 % is 190000, 8.875 % is 88750): 0 ≤ value ≤ 1000000.
    public var percentage: Int64
    public var inclusive: Bool

    public init(id: String, displayName: String = "", percentage: Int64, inclusive: Bool) {
        self.id = id
        self.displayName = displayName
        self.percentage = percentage
        self.inclusive = inclusive
    }
}

/// One entry of a line's `taxes` (Stripe's `invoice_line_item.taxes[]`, `invoice.total_taxes[]`): what
/// a tax rate charged on a taxable amount.
public struct TaxAmount: Sendable, Hashable {
    public var amount: Int64
    /// The tax rate's id.
    public var taxRate: String
    public var inclusive: Bool
    /// What the tax was computed on: the line's amount after discounts (``InvoiceLine/taxableAmount``),
    /// tax included for an inclusive rate.
    public var taxableAmount: Int64

    public init(amount: Int64, taxRate: String, inclusive: Bool, taxableAmount: Int64) {
        self.amount = amount
        self.taxRate = taxRate
        self.inclusive = inclusive
        self.taxableAmount = taxableAmount
    }
}

extension TaxRate {
    /// The tax rates named by `ids`; an id not in `catalog` is an error naming `owner`.
    static func resolve(_ ids: [String], catalog: Catalog, for owner: String) throws -> [TaxRate] {
        try ids.map { id in
            guard let rate = catalog.taxRate(id) else { throw EngineError("\(owner): no tax rate \(id)") }
            return rate
        }
    }
}
