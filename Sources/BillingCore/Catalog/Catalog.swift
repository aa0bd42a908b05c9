/// How a meter combines the events of a period.
public enum AggregationFormula: String, Sendable, Hashable, CaseIterable {
    /// Adds the values.
    case sum
    /// Counts the events; values are ignored.
    case count
    /// The value of the event with the greatest timestamp (ties: the one received later).
    case last
}

/// A Stripe billing meter.
public struct Meter: Sendable, Hashable {
    public var id: String
    public var displayName: String
    public var eventName: String
    public var formula: AggregationFormula
    /// The payload key that holds the customer id (default `stripe_customer_id`).
    public var customerPayloadKey: String
    /// The payload key that holds the value (default `value`).
    public var valuePayloadKey: String
    /// Keys every event's payload must carry.
    public var dimensionPayloadKeys: [String]
    public var isActive: Bool

    public init(
        id: String, displayName: String = "", eventName: String, formula: AggregationFormula = .sum,
        customerPayloadKey: String = "stripe_customer_id", valuePayloadKey: String = "value",
        dimensionPayloadKeys: [String] = [], isActive: Bool = true
    ) {
        self.id = id
        self.displayName = displayName
        self.eventName = eventName
        self.formula = formula
        self.customerPayloadKey = customerPayloadKey
        self.valuePayloadKey = valuePayloadKey
        self.dimensionPayloadKeys = dimensionPayloadKeys
        self.isActive = isActive
    }
}

/// A product: what a price sells.
public struct Product: Sendable, Hashable {
    public var id: String
    public var name: String

    public init(id: String, name: String) {
        self.id = id
        self.name = name
    }
}

/// One tier of a tiered price. Amounts are decimal minor units.
public struct PriceTier: Sendable, Hashable {
    /// Inclusive upper bound; `nil` is `inf`.
    public var upTo: Int64?
    public var unitAmount: ExactDecimal
    public var flatAmount: ExactDecimal

    public init(upTo: Int64?, unitAmount: ExactDecimal = .zero, flatAmount: ExactDecimal = .zero) {
        self.upTo = upTo
        self.unitAmount = unitAmount
        self.flatAmount = flatAmount
    }
}

/// Package pricing: the quantity is divided and rounded before the unit amount applies.
public struct TransformQuantity: Sendable, Hashable {
    public var divideBy: Int64
    public var roundUp: Bool

    public init(divideBy: Int64, roundUp: Bool) {
        self.divideBy = divideBy
        self.roundUp = roundUp
    }

    public func apply(_ quantity: ExactDecimal) -> ExactDecimal {
        quantity.scaled(by: 1, over: divideBy).rounded(up: roundUp)
    }
}

/// How a price turns a quantity into an amount.
public enum PricingScheme: Sendable, Hashable {
    /// `unit_amount × quantity`, optionally after `transform_quantity`.
    case perUnit(unitAmount: ExactDecimal, transform: TransformQuantity?)
    /// Graduated: each tier's slice at its own rate, plus the flat amount of each tier reached.
    case graduated([PriceTier])
    /// Volume: the whole quantity at the rate of the tier that contains it, plus its flat amount.
    case volume([PriceTier])
}

/// Whether a recurring price charges a quantity in advance or metered usage in arrears.
public enum UsageType: Sendable, Hashable {
    case licensed
    /// Billed in arrears from the meter's aggregate.
    case metered(meter: String)
}

/// A Stripe price: recurring, or one-time (`type: one_time`, for invoice items only).
public struct Price: Sendable, Hashable {
    public var id: String
    public var product: String
    public var currency: Currency
    /// The recurring interval (ignored for a one-time price).
    public var interval: BillingInterval
    public var usageType: UsageType
    public var scheme: PricingScheme
    /// `type: one_time`: no `recurring`; billed only as an invoice item (Docs/ENGINE-RULES.md, "Invoice items").
    public var isOneTime: Bool

    public init(
        id: String, product: String, currency: Currency, interval: BillingInterval, usageType: UsageType, scheme: PricingScheme,
        isOneTime: Bool = false
    ) {
        self.isOneTime = isOneTime
        self.id = id
        self.product = product
        self.currency = currency
        self.interval = interval
        self.usageType = usageType
        self.scheme = scheme
    }

    public var meterID: String? {
        if case .metered(let meter) = usageType { return meter }
        return nil
    }

    public var isMetered: Bool { meterID != nil }
}

/// Meters, products, prices, coupons, tax rates and credit grants, looked up by id (immutable, so the indexes always match the arrays).
public struct Catalog: Sendable {
    public let meters: [Meter]
    public let products: [Product]
    public let prices: [Price]
    public let coupons: [Coupon]
    public let taxRates: [TaxRate]
    /// `credit_grants`, in scenario (creation) order (Docs/ENGINE-RULES.md, "Billing credits").
    public let creditGrants: [CreditGrant]
    let couponIndex: [String: Int]
    let taxRateIndex: [String: Int]
    let metersByEventName: [String: Int]
    let meterIndex: [String: Int]
    let priceIndex: [String: Int]
    let productIndex: [String: Int]

    public init(
        meters: [Meter], products: [Product], prices: [Price], coupons: [Coupon] = [], taxRates: [TaxRate] = [], creditGrants: [CreditGrant] = []
    ) {
        self.meters = meters
        self.creditGrants = creditGrants
        self.products = products
        self.prices = prices
        self.coupons = coupons
        self.taxRates = taxRates
        taxRateIndex = Dictionary(taxRates.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        couponIndex = Dictionary(coupons.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        metersByEventName = Dictionary(meters.enumerated().map { ($1.eventName, $0) }, uniquingKeysWith: { first, _ in first })
        meterIndex = Dictionary(meters.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        priceIndex = Dictionary(prices.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
        productIndex = Dictionary(products.enumerated().map { ($1.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    public func price(_ id: String) -> Price? { priceIndex[id].map { prices[$0] } }
    public func meter(_ id: String) -> Meter? { meterIndex[id].map { meters[$0] } }
    public func product(_ id: String) -> Product? { productIndex[id].map { products[$0] } }
    public func coupon(_ id: String) -> Coupon? { couponIndex[id].map { coupons[$0] } }
    public func taxRate(_ id: String) -> TaxRate? { taxRateIndex[id].map { taxRates[$0] } }
}
