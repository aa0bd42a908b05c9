import Testing

@testable import BillingCore

/// Discounts (Docs/ENGINE-RULES.md, "Discounts"): expected values computed by hand in each comment.
@Suite struct InvoiceAdjustments_ {
    let usd = Currency(code: "usd")!

    func coupon(_ off: Coupon.Off, products: [String]? = nil) -> Coupon {
        Coupon(id: "co", off: off, duration: .forever, products: products)
    }

    /// Stripe's example: 500 on 1000 + 2000 → ⌊500 × 1000 / 3000⌋ = 166, the last line 500 − 166 = 334.
    /// (Nearest rounding per line would give 167 / 333.)
    @Test func amountOffSplitsLikeStripe() throws {
        #expect(try InvoiceAdjustments.discounts(of: coupon(.amount(500, usd)), on: [1000, 2000]) == [166, 334])
    }

    /// Three lines 1, 1, 1 and 2 off: ⌊2/3⌋ = 0, 0, then the last takes 2 but has room for 1: the rest (1)
    /// goes to the line before it: [0, 1, 1]. Parts sum to 2 and none exceeds its line.
    @Test func theRemainderNeverExceedsALine() throws {
        #expect(try InvoiceAdjustments.discounts(of: coupon(.amount(2, usd)), on: [1, 1, 1]) == [0, 1, 1])
    }

    /// More off than the lines hold: capped at their sum, every line fully discounted.
    @Test func amountOffIsCappedAtTheLines() throws {
        #expect(try InvoiceAdjustments.discounts(of: coupon(.amount(5000, usd)), on: [700, 500]) == [700, 500])
    }

    /// 25.5 % of 999 = 254.745 → 255; of 1 = 0.255 → 0; of 2 = 0.51 → 1; 100 % of 4500 = 4500.
    @Test func percentOffRoundsOncePerLineHalfAwayFromZero() throws {
        #expect(try InvoiceAdjustments.discounts(of: coupon(.percent(hundredths: 2550)), on: [999, 1, 2]) == [255, 0, 1])
        #expect(try InvoiceAdjustments.discounts(of: coupon(.percent(hundredths: 10_000)), on: [4500]) == [4500])
        // 50 % of 5 = 2.5 → 3 (half away from zero).
        #expect(try InvoiceAdjustments.discounts(of: coupon(.percent(hundredths: 5000)), on: [5]) == [3])
    }

    /// Amounts near Int64.max: the proportional split computes in full width, never overflowing.
    @Test func hugeAmountsDoNotOverflow() throws {
        let big = Int64.max / 2
        let parts = try InvoiceAdjustments.discounts(of: coupon(.amount(99_999_999, usd)), on: [big, big])
        #expect(parts.reduce(0, +) == 99_999_999)
    }

    func invoice(_ lines: [(price: String, amount: Int64, proration: Bool)]) throws -> Invoice {
        let period = Period(start: Instant(seconds: 0), end: Instant(seconds: 100))
        let invoiceLines = try lines.map { line in
            try InvoiceLine(
                price: line.price, subscriptionItem: "si", description: "", period: period, quantity: ExactDecimal(1),
                rated: RatedAmount(exact: ExactDecimal(line.amount)), proration: line.proration, metered: false)
        }
        return Invoice(
            id: "in_0001", number: 1, customer: "cus", subscription: "sub", billingReason: .subscriptionCycle, currency: usd,
            collectionMethod: .chargeAutomatically, created: period.start, periodStart: period.start, periodEnd: period.end, lines: invoiceLines)
    }

    var catalog: Catalog {
        let price = { (id: String, product: String) in
            Price(
                id: id, product: product, currency: usd, interval: BillingInterval(.month), usageType: .licensed,
                scheme: .perUnit(unitAmount: ExactDecimal(1), transform: nil))
        }
        return Catalog(meters: [], products: [], prices: [price("price_a", "prod_a"), price("price_b", "prod_b")])
    }

    /// A proration (−500) and a negative invoice item are not discountable; 10 % of the 2000 line is 200;
    /// subtotal 2000 − 500 = 1500, total 1500 − 200 = 1300.
    @Test func prorationsAreNotDiscountable() throws {
        let adjusted = try InvoiceAdjustments.adjusted(
            try invoice([("price_a", 2000, false), ("price_b", -500, true)]), discounts: [coupon(.percent(hundredths: 1000))], catalog: catalog)
        #expect(adjusted.lines.map(\.discountTotal) == [200, 0])
        #expect(adjusted.subtotal == 1500)
        #expect(adjusted.total == 1300)
        #expect(adjusted.totalDiscountAmounts == [DiscountAmount(amount: 200, discount: "co")])
    }

    /// An `itemized` credit (−500 with its own −83) keeps its discount when the invoice's coupon (500 off,
    /// all on the 2000 line) is applied: subtotal 2000 − 500 = 1500, discounts 500 − 83 = 417, total
    /// 1500 − 417 = 1083 (§4.10 under flexible). Discounts summing to Int64.min cannot be negated: an overflow.
    @Test func anItemizedProrationKeepsItsOwnDiscounts() throws {
        var draft = try invoice([("price_a", 2000, false), ("price_b", -500, true)])
        draft.lines[1].discountAmounts = [DiscountAmount(amount: -83, discount: "co")]
        let adjusted = try InvoiceAdjustments.adjusted(draft, discounts: [coupon(.amount(500, usd))], catalog: catalog)
        #expect(adjusted.lines.map(\.discountTotal) == [500, -83])
        #expect(adjusted.totalDiscountAmounts == [DiscountAmount(amount: 417, discount: "co")])
        #expect(adjusted.total == 1083)
        #expect(throws: Never.self) { try adjusted.checkTotals() }
        var extreme = adjusted
        extreme.lines[1].discountAmounts = [DiscountAmount(amount: .min, discount: "co")]
        extreme.lines[0].discountAmounts = []
        #expect(throws: AmountOverflow.self) { try extreme.checkTotals() }
    }

    /// applies_to prod_b only: 50 % of the 3000 prod_b line = 1500; the prod_a line keeps its 1000.
    @Test func appliesToRestrictsTheLines() throws {
        let adjusted = try InvoiceAdjustments.adjusted(
            try invoice([("price_a", 1000, false), ("price_b", 3000, false)]),
            discounts: [coupon(.percent(hundredths: 5000), products: ["prod_b"])], catalog: catalog)
        #expect(adjusted.lines.map(\.discountTotal) == [0, 1500])
        #expect(adjusted.total == 2500)
    }

    /// A proration's amount is net of the discounts as if its line were billed alone, per coupon in order:
    /// 500 off 1000 → 500, then 25 % of the 500 left → 125; a coupon for another product is not listed.
    @Test func aProrationIsNetOfTheLastDiscounts() {
        let coupons = [
            Coupon(id: "co_5usd", off: .amount(500, usd), duration: .forever),
            Coupon(id: "co_25", off: .percent(hundredths: 2500), duration: .forever),
            Coupon(id: "co_b", off: .percent(hundredths: 2500), duration: .forever, products: ["prod_b"]),
        ]
        #expect(
            InvoiceAdjustments.discounts(of: 1000, product: "prod_a", by: coupons)
                == [DiscountAmount(amount: 500, discount: "co_5usd"), DiscountAmount(amount: 125, discount: "co_25")])
        #expect(InvoiceAdjustments.discounts(of: 0, product: "prod_b", by: coupons).map(\.amount) == [0, 0, 0])
    }

    /// `included`: each coupon's id with 0. `itemized`: gross − net over the coupons in proportion to what
    /// each took. §4.10's credit: gross −500, net −417 → −83 (one coupon). Two coupons that took 500 and 125
    /// of 1000, half the period: gross 500, net 375 × ½ = 187.5 → 188, so 312 to split over 500 / 125:
    /// ⌊312 × 500 / 625⌋ = ⌊249.6⌋ = 249, the last 312 − 249 = 63; 500 − 249 − 63 = 188 = net.
    @Test func prorationDiscountsIncludedOrItemized() throws {
        let one = [DiscountAmount(amount: 166, discount: "co_5usd")]
        #expect(
            try InvoiceAdjustments.prorationDiscounts(one, gross: -500, net: -417, itemized: false) == [
                DiscountAmount(amount: 0, discount: "co_5usd")
            ])
        #expect(
            try InvoiceAdjustments.prorationDiscounts(one, gross: -500, net: -417, itemized: true) == [
                DiscountAmount(amount: -83, discount: "co_5usd")
            ])
        let two = [DiscountAmount(amount: 500, discount: "co_5usd"), DiscountAmount(amount: 125, discount: "co_25")]
        #expect(
            try InvoiceAdjustments.prorationDiscounts(two, gross: 500, net: 188, itemized: true)
                == [DiscountAmount(amount: 249, discount: "co_5usd"), DiscountAmount(amount: 63, discount: "co_25")])
    }

    /// once: until used; repeating 3 months from Jan 1: invoices before Apr 1; forever: always; none before it starts.
    @Test func durations() throws {
        let jan1 = try #require(Instant(parsing: "2026-01-01"))
        let apr1 = try #require(Instant(parsing: "2026-04-01"))
        var once = AppliedDiscount(coupon: Coupon(id: "o", off: .percent(hundredths: 100), duration: .once), start: jan1)
        #expect(once.isActive(at: jan1))
        once.used = true
        #expect(!once.isActive(at: apr1))
        let repeating = AppliedDiscount(coupon: Coupon(id: "r", off: .percent(hundredths: 100), duration: .repeating(months: 3)), start: jan1)
        #expect(repeating.isActive(at: Instant(seconds: apr1.seconds - 1)))
        #expect(!repeating.isActive(at: apr1))
        #expect(!repeating.isActive(at: Instant(seconds: jan1.seconds - 1)))
        let forever = AppliedDiscount(coupon: Coupon(id: "f", off: .percent(hundredths: 100), duration: .forever), start: jan1)
        #expect(forever.isActive(at: Instant(parsing: "2036-01-01")!))
    }
}
