import Testing

@testable import BillingCore

/// Rating after threshold invoices (ENGINE-RULES "Billing thresholds"; BILLING-SEMANTICS §4.9, §5.9):
/// graduated tiers continue (the increment is billed), volume bills the whole quantity and the
/// "amount previously billed" line takes off the rest. Expected values computed by hand in each comment.
@Suite struct ThresholdRatingTests {
    static func tiers(_ rows: [(upTo: Int64?, unit: Int64, flat: Int64)]) -> [PriceTier] {
        rows.map { PriceTier(upTo: $0.upTo, unitAmount: ExactDecimal($0.unit), flatAmount: ExactDecimal($0.flat)) }
    }
    /// §4.9: 1–10000 @ 50, 10000+ @ 40.
    static let exampleTiers = tiers([(10000, 50, 0), (nil, 40, 0)])

    static func billed(_ scheme: PricingScheme, _ quantity: Int64, amount: Int64) throws -> BilledUsage {
        try BilledUsage.after(nil, scheme: scheme, usage: ExactDecimal(quantity), invoiced: amount)
    }

    /// Graduated, §4.9's variant: 10000 @ 50 billed (500000); at 10250 the increment is 250 × 40 = 10000,
    /// all in the second tier (restarting the tiers would bill 250 × 50 = 12500).
    @Test func graduatedBillsTheIncrement() throws {
        let scheme = PricingScheme.graduated(Self.exampleTiers)
        let before = try Self.billed(scheme, 10000, amount: 500000)
        #expect(before.exact == ExactDecimal(500000))
        let (quantity, rated) = ThresholdRating.rate(scheme, usage: ExactDecimal(10250), after: before)
        #expect(quantity == ExactDecimal(250))
        #expect(try rated.amount == 10000)
        #expect(rated.tiers.map(\.tier) == [1])
        #expect(rated.tiers.map(\.quantity) == [ExactDecimal(250)])
    }

    /// Graduated across a tier boundary with flat amounts: tiers 100 @ 10 + flat 500, then @ 5 + flat 300.
    /// Billed 60: 60 × 10 + 500 = 1100. At 150: rate = 100 × 10 + 500 + 50 × 5 + 300 = 2050; increment
    /// 2050 − 1100 = 950 = 40 × 10 (tier 1, no second flat 500) + 50 × 5 + 300 (tier 2 newly reached).
    @Test func graduatedFlatAmountsAreBilledOnce() throws {
        let scheme = PricingScheme.graduated(Self.tiers([(100, 10, 500), (nil, 5, 300)]))
        let before = try Self.billed(scheme, 60, amount: 1100)
        let (quantity, rated) = ThresholdRating.rate(scheme, usage: ExactDecimal(150), after: before)
        #expect(quantity == ExactDecimal(90))
        #expect(try rated.amount == 950)
        #expect(rated.tiers.map(\.flatAmount) == [.zero, ExactDecimal(300)])
    }

    /// Volume, §4.9: after 500000 billed at 10000 units, 25000 units rate whole at 40: 1000000; the
    /// previously billed amount and its unit amount (50: "at 0.50") are kept for the credit line.
    @Test func volumeBillsTheWholeQuantity() throws {
        let scheme = PricingScheme.volume(Self.exampleTiers)
        let before = try Self.billed(scheme, 10000, amount: 500000)
        #expect(before.amount == 500000)
        #expect(before.unitAmount == ExactDecimal(50))
        let (quantity, rated) = ThresholdRating.rate(scheme, usage: ExactDecimal(25000), after: before)
        #expect(quantity == ExactDecimal(25000))
        #expect(try rated.amount == 1_000_000)
        #expect(
            LineDescription.previouslyBilled(unitAmount: before.unitAmount, currency: Currency(code: "usd")!) == "Amount previously billed (at 0.50)")
        let after = try BilledUsage.after(before, scheme: scheme, usage: ExactDecimal(25000), invoiced: 1_000_000 - 500000)
        #expect(after.amount == 1_000_000)
        #expect(after.unitAmount == ExactDecimal(40))
    }

    /// Per unit: 3 per unit, 1100 billed; at 2100 the line is 1000 × 3 = 3000. Nothing billed: the plain rating.
    @Test func perUnitAndNothingBilled() throws {
        let scheme = PricingScheme.perUnit(unitAmount: ExactDecimal(3), transform: nil)
        let before = try Self.billed(scheme, 1100, amount: 3300)
        #expect(try ThresholdRating.rate(scheme, usage: ExactDecimal(2100), after: before).rated.amount == 3000)
        let plain = ThresholdRating.rate(scheme, usage: ExactDecimal(2100), after: nil)
        #expect(plain.quantity == ExactDecimal(2100))
        #expect(try plain.rated.amount == 6300)
    }
}
