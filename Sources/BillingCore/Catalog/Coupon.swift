/// A Stripe coupon (BILLING-SEMANTICS §6.3): a percent or an amount off, for how long, on which products.
public struct Coupon: Sendable, Hashable {
    /// What the coupon takes off.
    public enum Off: Sendable, Hashable {
        /// `percent_off` in hundredths of a percent (25.5 % is 2550): 0 < value ≤ 10000.
        case percent(hundredths: Int64)
        /// `amount_off` in minor units of `currency`.
        case amount(Int64, Currency)
    }

    /// How many invoices it discounts once applied.
    public enum Duration: Sendable, Hashable {
        /// The first invoice it discounts.
        case once
        /// Every invoice created in the `months` months after it is applied.
        case repeating(months: Int)
        case forever
    }

    public var id: String
    public var off: Off
    public var duration: Duration
    /// `applies_to.products`: only lines of these products are discounted; `nil`: every line.
    public var products: [String]?

    public init(id: String, off: Off, duration: Duration, products: [String]? = nil) {
        self.id = id
        self.off = off
        self.duration = duration
        self.products = products
    }

    /// Whether a line of `product` (`nil`: an invoice item without a price) may be discounted by it.
    public func applies(to product: String?) -> Bool {
        guard let products else { return true }
        return product.map(products.contains) ?? false
    }
}

/// A coupon applied to a customer or a subscription at `start` (Docs/ENGINE-RULES.md, "Discounts").
public struct AppliedDiscount: Sendable, Hashable {
    public var coupon: Coupon
    /// When it was applied: the subscription's creation, the update that set it, or the clock's start
    /// for a customer's discount.
    public var start: Instant
    /// A `once` coupon that already discounted an invoice.
    public var used = false

    public init(coupon: Coupon, start: Instant) {
        self.coupon = coupon
        self.start = start
    }

    /// Whether it discounts an invoice created at `instant`: once applied, a `once` coupon until it is
    /// used, a `repeating` one for the invoices created before `start` + its months, `forever` always.
    public func isActive(at instant: Instant) -> Bool {
        guard instant >= start else { return false }
        switch coupon.duration {
        case .once: return !used
        case .repeating(let months): return instant < BillingInterval(.month, count: months).boundary(1, from: start)
        case .forever: return true
        }
    }
}

extension AppliedDiscount {
    /// The coupons named by `ids`, applied at `start`; an id not in `catalog` is an error naming `owner`.
    static func resolve(_ ids: [String], at start: Instant, catalog: Catalog, for owner: String) throws -> [AppliedDiscount] {
        try ids.map { id in
            guard let coupon = catalog.coupon(id) else { throw EngineError("\(owner): no coupon \(id)") }
            return AppliedDiscount(coupon: coupon, start: start)
        }
    }
}
