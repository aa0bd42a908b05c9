import Testing

@testable import BillingCore

/// Taxes (Docs/ENGINE-RULES.md, "Taxes"): expected values computed by hand in each comment.
@Suite struct Taxes {
    let usd = Currency(code: "usd")!

    func rate(_ id: String, _ percentage: Int64, inclusive: Bool = false) -> TaxRate {
        TaxRate(id: id, percentage: percentage, inclusive: inclusive)
    }

    func amounts(_ taxable: Int64, _ rates: [TaxRate]) throws -> [Int64] {
        try InvoiceAdjustments.taxes(on: taxable, rates: rates).map(\.amount)
    }

    /// Stripe's example: 15 % on 43 = 6.45 → 6, on 484 = 72.6 → 73 (0.06 + 0.73 = 0.79 on 5.27).
    @Test func stripesFifteenPercentExample() throws {
        let fifteen = rate("txr_15", 150_000)
        #expect(try amounts(43, [fifteen]) == [6])
        #expect(try amounts(484, [fifteen]) == [73])
    }

    /// 10 % on 60000: exclusive 6000 (660.00 due); inclusive 60000 × 10 / 110 = 5454.54… → 5455, net 54545.
    @Test func stripesSixHundredEuroExample() throws {
        #expect(try amounts(60_000, [rate("txr", 100_000)]) == [6000])
        let inclusive = try InvoiceAdjustments.taxes(on: 60_000, rates: [rate("txr", 100_000, inclusive: true)])
        #expect(inclusive == [TaxAmount(amount: 5455, taxRate: "txr", inclusive: true, taxableAmount: 54_545)])
    }

    /// Two inclusive rates, 19 % and 7 %, in 12600: net = 12600 / 1.26 = 10000; 19 % of it 1900, 7 % 700
    /// (each 12600 × pᵢ / 126). Both report the net, 12600 − 2600 = 10000, as their taxable amount.
    /// With 5 % and 3 % in 1000: 1000 × 5 / 108 = 46.296 → 46, 1000 × 3 / 108 = 27.777 → 28; net 926.
    @Test func severalInclusiveRatesShareTheAmount() throws {
        let taxes = try InvoiceAdjustments.taxes(on: 12_600, rates: [rate("a", 190_000, inclusive: true), rate("b", 70_000, inclusive: true)])
        #expect(taxes.map(\.amount) == [1900, 700])
        #expect(taxes.map(\.taxableAmount) == [10_000, 10_000])
        let small = try InvoiceAdjustments.taxes(on: 1000, rates: [rate("a", 50_000, inclusive: true), rate("b", 30_000, inclusive: true)])
        #expect(small.map(\.amount) == [46, 28])
        #expect(small.map(\.taxableAmount) == [926, 926])
    }

    /// An exclusive rate beside an inclusive one is on the taxable amount: 10 % inclusive in 1100 is 100;
    /// 5 % exclusive on 1100 is 55 (taxable 1100); the inclusive one's taxable is the net 1000.
    @Test func exclusiveBesideInclusive() throws {
        let taxes = try InvoiceAdjustments.taxes(on: 1100, rates: [rate("in", 100_000, inclusive: true), rate("ex", 50_000)])
        #expect(
            taxes == [
                TaxAmount(amount: 100, taxRate: "in", inclusive: true, taxableAmount: 1000),
                TaxAmount(amount: 55, taxRate: "ex", inclusive: false, taxableAmount: 1100),
            ])
    }

    /// Half away from zero on both signs: 10 % of 1005 = 100.5 → 101; of −1005 = −100.5 → −101 (a
    /// credit's tax); 8.875 % (88750) of 1999 = 177.41125 → 177; 0 % is 0; 100 % of 7 is 7.
    @Test func roundingIsHalfAwayFromZero() throws {
        #expect(try amounts(1005, [rate("t", 100_000)]) == [101])
        #expect(try amounts(-1005, [rate("t", 100_000)]) == [-101])
        #expect(try amounts(1999, [rate("t", 88_750)]) == [177])
        #expect(try amounts(500, [rate("t", 0)]) == [0])
        #expect(try amounts(7, [rate("t", 1_000_000)]) == [7])
    }

    /// Amounts near Int64.max: a tax is never more than its taxable amount, so it fits.
    @Test func hugeAmountsDoNotOverflow() throws {
        #expect(try amounts(Int64.max, [rate("t", 1_000_000)]) == [Int64.max])
        #expect(try amounts(Int64.min + 1, [rate("t", 500_000)]) == [Int64.min / 2])
    }

    func makeInvoice(_ amounts: [Int64]) throws -> Invoice {
        let period = Period(start: Instant(seconds: 0), end: Instant(seconds: 100))
        let lines = try amounts.map { amount in
            try InvoiceLine(
                price: "price", subscriptionItem: "si", description: "", period: period, quantity: ExactDecimal(1),
                rated: RatedAmount(exact: ExactDecimal(amount)), metered: false)
        }
        return Invoice(
            id: "in_0001", number: 1, customer: "cus", subscription: "sub", billingReason: .subscriptionCycle, currency: usd,
            collectionMethod: .chargeAutomatically, created: period.start, periodStart: period.start, periodEnd: period.end, lines: lines)
    }

    /// Taxes are on the amount after discounts: 10000 less 2500 at 20 % exclusive is 1500 on 7500; with a
    /// second line of 1100 at 10 % inclusive (100, net 1000): subtotal 11100, subtotal_excluding_tax
    /// 11100 − 100 = 11000, total_excluding_tax 11100 − 2500 − 100 = 8500, total 11100 − 2500 + 1500 = 10100.
    @Test func invoiceTotals() throws {
        var invoice = try makeInvoice([10_000, 1100])
        invoice.lines[0].discountAmounts = [DiscountAmount(amount: 2500, discount: "co")]
        invoice = try InvoiceAdjustments.taxed(invoice, rates: [[rate("vat", 200_000)], [rate("incl", 100_000, inclusive: true)]])
        #expect(invoice.lines[0].taxes == [TaxAmount(amount: 1500, taxRate: "vat", inclusive: false, taxableAmount: 7500)])
        #expect(invoice.subtotal == 11_100)
        #expect(invoice.subtotalExcludingTax == 11_000)
        #expect(invoice.totalExcludingTax == 8500)
        #expect(invoice.total == 10_100)
        #expect(invoice.amountDue == 10_100)
        #expect(invoice.totalTaxes.map(\.amount) == [1500, 100])
        try invoice.checkTotals()
    }

    /// total_taxes sums per rate, in the order the lines first name them: [a 10, b 20] then [b 5]
    /// gives [a 10, b 25], each with its taxable amounts added.
    @Test func totalTaxesPerRate() throws {
        var invoice = try makeInvoice([100, 50])
        invoice.lines[0].taxes = [
            TaxAmount(amount: 10, taxRate: "a", inclusive: false, taxableAmount: 100),
            TaxAmount(amount: 20, taxRate: "b", inclusive: false, taxableAmount: 100),
        ]
        invoice.lines[1].taxes = [TaxAmount(amount: 5, taxRate: "b", inclusive: false, taxableAmount: 50)]
        #expect(
            invoice.totalTaxes == [
                TaxAmount(amount: 10, taxRate: "a", inclusive: false, taxableAmount: 100),
                TaxAmount(amount: 25, taxRate: "b", inclusive: false, taxableAmount: 150),
            ])
    }

    /// A total with exclusive tax beyond Int64 is an AmountOverflow from checkTotals, never a trap:
    /// Int64.max at 100 % exclusive doubles it.
    @Test func totalsWithTaxesAreOverflowChecked() throws {
        let invoice = try InvoiceAdjustments.taxed(try makeInvoice([Int64.max]), rates: [[rate("t", 1_000_000)]])
        #expect(throws: AmountOverflow.self) { try invoice.checkTotals() }
        // Two lines whose taxable amounts fit one by one but not summed for their rate.
        let two = try InvoiceAdjustments.taxed(try makeInvoice([Int64.max / 2 + 1, Int64.max / 2 + 1]), rates: [[rate("t", 0)], [rate("t", 0)]])
        #expect(throws: AmountOverflow.self) { try two.checkTotals() }
        // A rate's taxes that overflow summed while its taxable amounts do not (taxes set by hand: Int64.max
        // then 1 of tax, on Int64.max then −5): the error names the rate's taxes.
        var handMade = try makeInvoice([0, 0])
        handMade.lines[0].taxes = [TaxAmount(amount: Int64.max, taxRate: "t", inclusive: false, taxableAmount: Int64.max)]
        handMade.lines[1].taxes = [TaxAmount(amount: 1, taxRate: "t", inclusive: false, taxableAmount: -5)]
        let error = #expect(throws: AmountOverflow.self) { try handMade.checkTotals() }
        #expect(error?.message.hasPrefix("the taxes of rate t") == true, "\(String(describing: error))")
    }
}
