/// The part of a line's amount that one tier contributes.
public struct TierAmount: Sendable, Hashable {
    /// The tier's position in the price (0-based).
    public var tier: Int
    public var upTo: Int64?
    /// The quantity billed in this tier.
    public var quantity: ExactDecimal
    public var unitAmount: ExactDecimal
    public var flatAmount: ExactDecimal
    /// `quantity × unit_amount + flat_amount`, exact.
    public var amount: ExactDecimal

    public init(tier: Int, upTo: Int64?, quantity: ExactDecimal, unitAmount: ExactDecimal, flatAmount: ExactDecimal) {
        self.tier = tier
        self.upTo = upTo
        self.quantity = quantity
        self.unitAmount = unitAmount
        self.flatAmount = flatAmount
        amount = quantity * unitAmount + flatAmount
    }
}

/// What a price charges for a quantity, before the one rounding per line.
public struct RatedAmount: Sendable, Hashable {
    /// The exact amount in minor units.
    public var exact: ExactDecimal
    /// The quantity after `transform_quantity`, when the price has one.
    public var transformedQuantity: ExactDecimal?
    /// The tier breakdown of a tiered price.
    public var tiers: [TierAmount]

    public init(exact: ExactDecimal, transformedQuantity: ExactDecimal? = nil, tiers: [TierAmount] = []) {
        self.exact = exact
        self.transformedQuantity = transformedQuantity
        self.tiers = tiers
    }

    /// The exact amount rounded half away from zero to minor units; beyond `Int64` an ``AmountOverflow``.
    public var amount: Int64 {
        get throws(AmountOverflow) {
            guard let amount = exact.roundedToMinorUnits() else {
                throw AmountOverflow("the line amount \(exact) is beyond ±\(Int64.max) minor units")
            }
            return amount
        }
    }
}

/// Pure rating: a price and a quantity give an exact amount (BILLING-SEMANTICS §3.2, §3.3).
public enum Rating {
    /// Rates a non-negative quantity. A negative quantity is billed as 0 (Decisions 2).
    public static func rate(_ scheme: PricingScheme, quantity rawQuantity: ExactDecimal) -> RatedAmount {
        let quantity = max(rawQuantity, .zero)
        switch scheme {
        case .perUnit(let unitAmount, let transform):
            let billed = transform.map { $0.apply(quantity) } ?? quantity
            return RatedAmount(exact: billed * unitAmount, transformedQuantity: transform == nil ? nil : billed, tiers: [])
        case .graduated(let tiers):
            var parts: [TierAmount] = []
            var lower = ExactDecimal.zero
            for (index, tier) in tiers.enumerated() {
                let upper = tier.upTo.map { ExactDecimal($0) }
                let slice = max(.zero, min(quantity, upper ?? quantity) - lower)
                if index == 0 || slice > .zero {
                    parts.append(TierAmount(tier: index, upTo: tier.upTo, quantity: slice, unitAmount: tier.unitAmount, flatAmount: tier.flatAmount))
                }
                guard let upper, quantity > upper else { break }
                lower = upper
            }
            return RatedAmount(exact: parts.reduce(.zero) { $0 + $1.amount }, transformedQuantity: nil, tiers: parts)
        case .volume(let tiers):
            let index = tiers.firstIndex { tier in tier.upTo.map { quantity <= ExactDecimal($0) } ?? true } ?? tiers.count - 1
            let tier = tiers[index]
            let part = TierAmount(tier: index, upTo: tier.upTo, quantity: quantity, unitAmount: tier.unitAmount, flatAmount: tier.flatAmount)
            return RatedAmount(exact: part.amount, transformedQuantity: nil, tiers: [part])
        }
    }
}
