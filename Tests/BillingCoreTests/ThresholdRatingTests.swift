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

/// When thresholds are evaluated, what a threshold invoice plans and when it is reached
/// (ENGINE-RULES "Billing thresholds"; BILLING-SEMANTICS §5.5, §5.9), on the planning tests' subscription.
@Suite struct ThresholdPlanningTests {
    typealias Planning = InvoicePlanningTests

    /// Classic seat + calls, started (active) with period [Jan 1, Feb 1) and `amount_gte` 10000.
    static func active(trial: Bool = false, volume: Bool = false) -> BilledSubscription {
        var calls = Planning.calls
        if volume { calls.scheme = .volume(ThresholdRatingTests.exampleTiers) }
        var subscription = Planning.subscription(mode: .classic, prices: [Planning.seat, calls])
        subscription.definition.billingThresholds = BillingThresholds(amountGTE: 10000)
        _ = subscription.lifecycle.start(trial: trial)
        subscription.period = Planning.period(Planning.day(2026, 1, 1), Planning.day(2026, 2, 1))
        return subscription
    }

    /// Evaluated inside the period up to 24 hours before its end (Jan 31 00:00 excluded), never while
    /// trialing, nor without a threshold.
    @Test func evaluatedOutsideTheLastDayAndTrials() {
        let subscription = Self.active()
        #expect(Threshold.isEvaluated(subscription, at: Planning.day(2026, 1, 15)))
        #expect(Threshold.isEvaluated(subscription, at: Planning.day(2026, 1, 30, 23)))
        #expect(!Threshold.isEvaluated(subscription, at: Planning.day(2026, 1, 31)))
        #expect(!Threshold.isEvaluated(subscription, at: Planning.day(2026, 1, 31, 12)))
        #expect(!Threshold.isEvaluated(Self.active(trial: true), at: Planning.day(2026, 1, 15)))
        var none = subscription
        none.definition.billingThresholds = nil
        #expect(!Threshold.isEvaluated(none, at: Planning.day(2026, 1, 15)))
        none.definition.items[1].usageGTE = 5
        #expect(Threshold.isEvaluated(none, at: Planning.day(2026, 1, 15)))
    }

    /// The plan bills each metered item's usage since its start; a volume price billed before adds the
    /// "amount previously billed" line after it (§4.9). The seat is not on it.
    @Test func planBillsUsageOnly() throws {
        let at = Planning.day(2026, 1, 15)
        let span = Planning.period(Planning.day(2026, 1, 1), at)
        #expect(Threshold.plan(Self.active(), at: at) == [Planning.line(1, span, .usage)])
        var volume = Self.active(volume: true)
        let billed = try BilledUsage.after(nil, scheme: volume.prices[1].scheme, usage: ExactDecimal(10000), invoiced: 500000)
        volume.thresholdBilled[1] = billed
        #expect(
            Threshold.plan(volume, at: at) == [
                PlannedLine(item: 1, period: span, kind: .usage, billed: billed),
                PlannedLine(item: 1, period: span, kind: .previouslyBilled, billed: billed),
            ])
        let credit = try PlannedLine(item: 1, period: span, kind: .previouslyBilled, billed: billed).priced(for: volume)
        #expect(credit.amount == -500000)
        #expect(credit.description == "Amount previously billed (at 0.50)")
    }

    /// Reached at `amount ≥ amount_gte` (10000) or an item's usage ≥ its `usage_gte`.
    @Test func reachedAtGreaterOrEqual() {
        var subscription = Self.active()
        #expect(!Threshold.isReached(subscription, amount: 9999, usage: [1: ExactDecimal(100)]))
        #expect(Threshold.isReached(subscription, amount: 10000, usage: [:]))
        subscription.definition.items[1].usageGTE = 100
        #expect(!Threshold.isReached(subscription, amount: 0, usage: [1: ExactDecimal(99)]))
        #expect(Threshold.isReached(subscription, amount: 0, usage: [1: ExactDecimal(100)]))
    }
}
