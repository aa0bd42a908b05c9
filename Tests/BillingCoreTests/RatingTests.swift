import BillingCore
import Testing

/// Pure rating: per-unit, package (transform_quantity), graduated and volume tiers (BILLING-SEMANTICS §3.2,
/// §3.3, §4.1–§4.6; ENGINE-RULES "Rating"). Amounts are minor units (cents).
@Suite("Rating")
struct RatingTests {
    static func tiers(_ rows: [(upTo: Int64?, unit: String, flat: String)]) -> [PriceTier] {
        rows.map { PriceTier(upTo: $0.upTo, unitAmount: ExactDecimal(parsing: $0.unit)!, flatAmount: ExactDecimal(parsing: $0.flat)!) }
    }

    /// §4.1 Typographic: 1–5 @ 700, 6–10 @ 650, 11+ @ 600, no flat fees.
    static let typographic = tiers([(5, "700", "0"), (10, "650", "0"), (nil, "600", "0")])
    /// §4.2 older table: 1–5 @ 5, 6–10 @ 4, 11–15 @ 3, 16–20 @ 2, 21+ @ 1.
    static let olderTable = tiers([(5, "5", "0"), (10, "4", "0"), (15, "3", "0"), (20, "2", "0"), (nil, "1", "0")])
    /// §4.3 flat fees: up_to 5/10/15/20/inf, unit 500/400/300/200/100, flat 1000/2000/3000/4000/5000.
    static let flatFees = tiers([(5, "500", "1000"), (10, "400", "2000"), (15, "300", "3000"), (20, "200", "4000"), (nil, "100", "5000")])
    /// §4.6 Hypernian overage: 1–1000 @ 0, 1001+ @ 4 ¢ (per unit, not per hundred), flat 0.
    static let hypernian = tiers([(1000, "0", "0"), (nil, "4", "0")])

    struct TierCase: Sendable, CustomTestStringConvertible {
        var table: String
        var quantity: Int64
        var volume: Int64
        var graduated: Int64
        var testDescription: String { "\(table) × \(quantity)" }

        var tiers: [PriceTier] {
            switch table {
            case "typographic": RatingTests.typographic
            case "older": RatingTests.olderTable
            case "flat fees": RatingTests.flatFees
            default: RatingTests.hypernian
            }
        }
    }

    @Test(arguments: [
        // §4.1 (D): volume = q × the rate of q's tier; graduated = sum of slices.
        TierCase(table: "typographic", quantity: 1, volume: 700, graduated: 700),
        TierCase(table: "typographic", quantity: 5, volume: 3500, graduated: 3500),
        // 6: volume 6 × 650 = 3900; graduated 5 × 700 + 1 × 650 = 4150.
        TierCase(table: "typographic", quantity: 6, volume: 3900, graduated: 4150),
        // 10: volume 10 × 650 = 6500; graduated 3500 + 5 × 650 = 6750.
        TierCase(table: "typographic", quantity: 10, volume: 6500, graduated: 6750),
        // 20: volume 20 × 600 = 12000; graduated 3500 + 3250 + 10 × 600 = 12750.
        TierCase(table: "typographic", quantity: 20, volume: 12000, graduated: 12750),
        // 25: volume 25 × 600 = 15000; graduated 3500 + 3250 + 15 × 600 = 15750.
        TierCase(table: "typographic", quantity: 25, volume: 15000, graduated: 15750),
        // §4.2: 1 → 5/5; 5 → 25/25; 6 → 24 (6 × 4) / 29 (25 + 4); 20 → 40 / 25 + 20 + 15 + 10 = 70; 25 → 25 / 70 + 5 = 75.
        TierCase(table: "older", quantity: 1, volume: 5, graduated: 5),
        TierCase(table: "older", quantity: 5, volume: 25, graduated: 25),
        TierCase(table: "older", quantity: 6, volume: 24, graduated: 29),
        TierCase(table: "older", quantity: 20, volume: 40, graduated: 70),
        TierCase(table: "older", quantity: 25, volume: 25, graduated: 75),
        // §4.3: 12 → volume 12 × 300 + 3000 = 6600; graduated (2500 + 1000) + (2000 + 2000) + (600 + 3000) = 11100.
        TierCase(table: "flat fees", quantity: 12, volume: 6600, graduated: 11100),
        // 0 → the first tier's flat fee, 1000, in either mode.
        TierCase(table: "flat fees", quantity: 0, volume: 1000, graduated: 1000),
        // 5 → tier 1 only: 2500 + 1000 = 3500 either way (tier 2 not reached: its slice is 0).
        TierCase(table: "flat fees", quantity: 5, volume: 3500, graduated: 3500),
        // 6 → volume 6 × 400 + 2000 = 4400; graduated 3500 + (400 + 2000) = 5900.
        TierCase(table: "flat fees", quantity: 6, volume: 4400, graduated: 5900),
        // 25 → volume 25 × 100 + 5000 = 7500; graduated 3500 + 4000 + 4500 + 5000 + (500 + 5000) = 22500.
        TierCase(table: "flat fees", quantity: 25, volume: 7500, graduated: 22500),
        // §4.6: 3000 tokens → graduated 1000 × 0 + 2000 × 4 = 8000; volume 3000 × 4 = 12000.
        TierCase(table: "hypernian", quantity: 3000, volume: 12000, graduated: 8000),
        // Boundaries: 1000 is still free (up_to inclusive); 1001 bills one token (4); 0 bills 0 (flat 0).
        TierCase(table: "hypernian", quantity: 1000, volume: 0, graduated: 0),
        TierCase(table: "hypernian", quantity: 1001, volume: 4004, graduated: 4),
        TierCase(table: "hypernian", quantity: 0, volume: 0, graduated: 0),
    ])
    func volumeAndGraduated(_ c: TierCase) throws {
        let quantity = ExactDecimal(c.quantity)
        let volume = Rating.rate(.volume(c.tiers), quantity: quantity)
        let graduated = Rating.rate(.graduated(c.tiers), quantity: quantity)
        #expect(try volume.amount == c.volume)
        #expect(try graduated.amount == c.graduated)
        #expect(volume.exact == ExactDecimal(c.volume))
        #expect(graduated.exact == ExactDecimal(c.graduated))
        #expect(volume.transformedQuantity == nil)
        #expect(graduated.transformedQuantity == nil)
        // The breakdown adds up to the line's exact amount.
        #expect(graduated.tiers.reduce(ExactDecimal.zero) { $0 + $1.amount } == graduated.exact)
        #expect(volume.tiers.count == 1)
    }

    /// §4.3, graduated 12: the breakdown lists every tier reached with its slice, rates and amount.
    @Test func graduatedBreakdownWithFlatFees() {
        let rated = Rating.rate(.graduated(Self.flatFees), quantity: ExactDecimal(12))
        #expect(
            rated.tiers == [
                // 5 × 500 + 1000 = 3500
                TierAmount(tier: 0, upTo: 5, quantity: ExactDecimal(5), unitAmount: ExactDecimal(500), flatAmount: ExactDecimal(1000)),
                // 5 × 400 + 2000 = 4000
                TierAmount(tier: 1, upTo: 10, quantity: ExactDecimal(5), unitAmount: ExactDecimal(400), flatAmount: ExactDecimal(2000)),
                // 2 × 300 + 3000 = 3600
                TierAmount(tier: 2, upTo: 15, quantity: ExactDecimal(2), unitAmount: ExactDecimal(300), flatAmount: ExactDecimal(3000)),
            ])
        #expect(rated.tiers.map(\.amount) == [ExactDecimal(3500), ExactDecimal(4000), ExactDecimal(3600)])
    }

    /// §4.6, 3000 tokens: tier 0 holds 1000 free tokens, tier 1 the 2000 others at 4 ¢ = 8000.
    @Test func hypernianBreakdown() {
        let rated = Rating.rate(.graduated(Self.hypernian), quantity: ExactDecimal(3000))
        #expect(rated.tiers.count == 2)
        #expect(rated.tiers.map(\.tier) == [0, 1])
        #expect(rated.tiers.map(\.upTo) == [1000, nil])
        #expect(rated.tiers.map(\.quantity) == [ExactDecimal(1000), ExactDecimal(2000)])
        #expect(rated.tiers.map(\.amount) == [ExactDecimal(0), ExactDecimal(8000)])
        // 1001: slices 1000 and 1.
        #expect(Rating.rate(.graduated(Self.hypernian), quantity: ExactDecimal(1001)).tiers.map(\.quantity) == [ExactDecimal(1000), ExactDecimal(1)])
        // 1000: only the first tier (the second's slice is 0).
        #expect(Rating.rate(.graduated(Self.hypernian), quantity: ExactDecimal(1000)).tiers.map(\.quantity) == [ExactDecimal(1000)])
        // 0: the first tier is always listed (its flat amount is always billed).
        let zero = Rating.rate(.graduated(Self.hypernian), quantity: .zero)
        #expect(zero.tiers.map(\.tier) == [0])
        #expect(zero.tiers.map(\.quantity) == [ExactDecimal.zero])
    }

    /// Volume: the single tier containing the quantity; up_to inclusive; 0 in the first tier.
    @Test func volumeBreakdown() throws {
        let at10 = Rating.rate(.volume(Self.typographic), quantity: ExactDecimal(10))
        #expect(at10.tiers == [TierAmount(tier: 1, upTo: 10, quantity: ExactDecimal(10), unitAmount: ExactDecimal(650), flatAmount: .zero)])
        let at11 = Rating.rate(.volume(Self.typographic), quantity: ExactDecimal(11))
        #expect(at11.tiers.map(\.tier) == [2])
        #expect(try at11.amount == 6600)  // 11 × 600
        let atZero = Rating.rate(.volume(Self.flatFees), quantity: .zero)
        #expect(atZero.tiers.map(\.tier) == [0])
        #expect(atZero.tiers.map(\.flatAmount) == [ExactDecimal(1000)])
    }

    struct PackageCase: Sendable, CustomTestStringConvertible {
        var unitAmount: Int64
        var divideBy: Int64
        var roundUp: Bool
        var quantity: Int64
        var transformed: Int64
        var amount: Int64
        var testDescription: String { "\(quantity) ÷ \(divideBy) \(roundUp ? "up" : "down") × \(unitAmount)" }
    }

    /// §4.4 package pricing: amount = unit_amount × round(quantity ÷ divide_by).
    @Test(arguments: [
        // 1000 per 5 users, round up: 1/3/5 → 1 package = 1000; 6/7 → 2 packages = 2000 (D).
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: true, quantity: 1, transformed: 1, amount: 1000),
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: true, quantity: 3, transformed: 1, amount: 1000),
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: true, quantity: 5, transformed: 1, amount: 1000),
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: true, quantity: 6, transformed: 2, amount: 2000),
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: true, quantity: 7, transformed: 2, amount: 2000),
        // Round down: floor(7 / 5) = 1 → 1000 (C); floor(4 / 5) = 0 → 0.
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: false, quantity: 7, transformed: 1, amount: 1000),
        PackageCase(unitAmount: 1000, divideBy: 5, roundUp: false, quantity: 4, transformed: 0, amount: 0),
        // Car rental: 150 minutes ÷ 60, up → 3 hours × 1000 = 3000 (D).
        PackageCase(unitAmount: 1000, divideBy: 60, roundUp: true, quantity: 150, transformed: 3, amount: 3000),
        // Hypernian pay-as-you-go: 3000 tokens ÷ 100 = 30 × 4 = 120 (C); 25 tokens → ceil(0.25) = 1 → 4 (C).
        PackageCase(unitAmount: 4, divideBy: 100, roundUp: true, quantity: 3000, transformed: 30, amount: 120),
        PackageCase(unitAmount: 4, divideBy: 100, roundUp: true, quantity: 25, transformed: 1, amount: 4),
        // Nothing used: ceil(0) = 0 packages.
        PackageCase(unitAmount: 4, divideBy: 100, roundUp: true, quantity: 0, transformed: 0, amount: 0),
    ])
    func packagePricing(_ c: PackageCase) throws {
        let scheme = PricingScheme.perUnit(
            unitAmount: ExactDecimal(c.unitAmount), transform: TransformQuantity(divideBy: c.divideBy, roundUp: c.roundUp))
        let rated = Rating.rate(scheme, quantity: ExactDecimal(c.quantity))
        #expect(rated.transformedQuantity == ExactDecimal(c.transformed))
        #expect(try rated.amount == c.amount)
        #expect(rated.tiers.isEmpty)
    }

    /// Package pricing of a decimal quantity: 150.5 minutes ÷ 60 = 2.508… → up 3, down 2.
    @Test func packageOfDecimalQuantity() throws {
        let quantity = ExactDecimal(parsing: "150.5")!
        #expect(
            try Rating.rate(.perUnit(unitAmount: ExactDecimal(1000), transform: TransformQuantity(divideBy: 60, roundUp: true)), quantity: quantity)
                .amount == 3000)
        #expect(
            try Rating.rate(.perUnit(unitAmount: ExactDecimal(1000), transform: TransformQuantity(divideBy: 60, roundUp: false)), quantity: quantity)
                .amount == 2000)
    }

    struct DecimalCase: Sendable, CustomTestStringConvertible {
        var unitAmount: String
        var quantity: String
        var exact: String
        var amount: Int64
        var testDescription: String { "\(unitAmount) × \(quantity)" }
    }

    /// §4.5 and Decisions 4: exact product, rounded once, half away from zero.
    @Test(arguments: [
        // 0.05 ¢ × 30 = 1.5 ¢ → 2 ¢ (D).
        DecimalCase(unitAmount: "0.05", quantity: "30", exact: "1.5", amount: 2),
        // 0.05 × 29 = 1.45 → 1.
        DecimalCase(unitAmount: "0.05", quantity: "29", exact: "1.45", amount: 1),
        // 0.25 × 2 = 0.5 → 1; 0.25 × 10 = 2.5 → 3 (half-even would give 2).
        DecimalCase(unitAmount: "0.25", quantity: "2", exact: "0.5", amount: 1),
        DecimalCase(unitAmount: "0.25", quantity: "10", exact: "2.5", amount: 3),
        // Twelve decimal places: 0.000000000001 × 10¹² = 1.
        DecimalCase(unitAmount: "0.000000000001", quantity: "1000000000000", exact: "1", amount: 1),
        // Decimal quantity (meter values may be decimal): 4 × 2.5 = 10.
        DecimalCase(unitAmount: "4", quantity: "2.5", exact: "10", amount: 10),
        // 1.333333333333 × 3 = 3.999999999999 → 4.
        DecimalCase(unitAmount: "1.333333333333", quantity: "3", exact: "3.999999999999", amount: 4),
        // JPY-like whole units: 150 × 7 = 1050.
        DecimalCase(unitAmount: "150", quantity: "7", exact: "1050", amount: 1050),
        // A negative quantity is billed as 0 (Decisions 2).
        DecimalCase(unitAmount: "4", quantity: "-5", exact: "0", amount: 0),
    ])
    func perUnitDecimal(_ c: DecimalCase) throws {
        let scheme = PricingScheme.perUnit(unitAmount: try #require(ExactDecimal(parsing: c.unitAmount)), transform: nil)
        let rated = Rating.rate(scheme, quantity: try #require(ExactDecimal(parsing: c.quantity)))
        #expect(rated.exact == ExactDecimal(parsing: c.exact))
        #expect(try rated.amount == c.amount)
        #expect(rated.transformedQuantity == nil)
    }

    /// Decisions 4: a tiered line is rounded once, on the sum of exact tier amounts, not per tier.
    /// Tiers 1 @ 0.4, 2+ @ 0.4: quantity 2 → 0.4 + 0.4 = 0.8 → 1 (per-tier rounding would give 0 + 0 = 0).
    @Test func tieredRoundsOncePerLine() throws {
        let tiers = Self.tiers([(1, "0.4", "0"), (nil, "0.4", "0")])
        let rated = Rating.rate(.graduated(tiers), quantity: ExactDecimal(2))
        #expect(rated.exact == ExactDecimal(parsing: "0.8"))
        #expect(try rated.amount == 1)
        #expect(rated.tiers.map(\.amount) == [ExactDecimal(parsing: "0.4")!, ExactDecimal(parsing: "0.4")!])
    }

    /// Decimal quantities between tiers: 5.5 on the typographic table. Graduated: 5 × 700 + 0.5 × 650 = 3825.
    /// Volume: 5.5 > up_to 5, so the second tier: 5.5 × 650 = 3575.
    @Test func decimalQuantityAcrossTiers() throws {
        let quantity = ExactDecimal(parsing: "5.5")!
        #expect(try Rating.rate(.graduated(Self.typographic), quantity: quantity).amount == 3825)
        #expect(try Rating.rate(.volume(Self.typographic), quantity: quantity).amount == 3575)
    }

    /// A negative quantity rates as 0: tiered prices still bill the first tier's flat amount (§3.2).
    @Test func negativeQuantityRatesAsZero() throws {
        #expect(try Rating.rate(.graduated(Self.flatFees), quantity: ExactDecimal(-3)).amount == 1000)
        #expect(try Rating.rate(.volume(Self.flatFees), quantity: ExactDecimal(-3)).amount == 1000)
        #expect(Rating.rate(.graduated(Self.flatFees), quantity: ExactDecimal(-3)).tiers.map(\.quantity) == [.zero])
    }

    /// §4.6 variant: tier 1 flat_amount 10000 instead of a licensed price: 3000 tokens → 10000 + 8000 = 18000;
    /// zero usage → 10000 (the first flat tier is always billed).
    @Test func flatFeeInFirstTier() throws {
        let tiers = Self.tiers([(1000, "0", "10000"), (nil, "4", "0")])
        #expect(try Rating.rate(.graduated(tiers), quantity: ExactDecimal(3000)).amount == 18000)
        #expect(try Rating.rate(.graduated(tiers), quantity: .zero).amount == 10000)
    }

    /// RatedAmount rounds its exact amount; TierAmount computes quantity × unit + flat.
    @Test func ratedAmountAndTierAmount() throws {
        #expect(try RatedAmount(exact: ExactDecimal(parsing: "-5161.29")!).amount == -5161)
        #expect(try RatedAmount(exact: ExactDecimal(parsing: "-0.5")!).amount == -1)
        let tier = TierAmount(tier: 3, upTo: nil, quantity: ExactDecimal(parsing: "2.5")!, unitAmount: ExactDecimal(4), flatAmount: ExactDecimal(7))
        #expect(tier.amount == ExactDecimal(17))  // 2.5 × 4 + 7
    }
}
