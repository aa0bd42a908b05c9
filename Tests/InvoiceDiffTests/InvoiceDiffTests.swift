import BillingCore
import BillingDocument
import InvoiceDiff
import Testing

/// Builds expectation trees tersely: scalars, lists and mappings at a dummy location.
private let here = SourceLocation(file: "t.yaml", line: 1, column: 1)
private func s(_ text: String) -> Expected { .scalar(text, here) }
private func m(_ entries: [(String, Expected)]) -> Expected {
    .map(entries.map { ExpectedEntry(key: $0.0, keyLocation: here, value: $0.1) }, here)
}
private func l(_ items: [Expected]) -> Expected { .list(items, here) }

private let usd = Currency(code: "usd")!
private let jan = Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 2, day: 1))
private let feb = Period(start: Instant(year: 2026, month: 2, day: 1), end: Instant(year: 2026, month: 3, day: 1))

/// The seed's second invoice: usage 3000 tokens → 8000, license 10000.
private func seedRenewal() -> Invoice {
    let usage = InvoiceLine(
        id: "il_0002_01", price: "price_usage", subscriptionItem: "si_usage", description: "usage", period: jan, quantity: ExactDecimal(3000),
        transformedQuantity: nil, exactAmount: ExactDecimal(8000), amount: 8000, proration: false, tiers: [], metered: true)
    let license = InvoiceLine(
        id: "il_0002_02", price: "price_license", subscriptionItem: "si_license", description: "license", period: feb, quantity: ExactDecimal(1),
        transformedQuantity: nil, exactAmount: ExactDecimal(10000), amount: 10000, proration: false, tiers: [], metered: false)
    return Invoice(
        id: "in_0002", number: 2, customer: "cus_john", subscription: "sub_john", billingReason: .subscriptionCycle, status: .paid,
        currency: usd, collectionMethod: .chargeAutomatically, created: feb.start, periodStart: jan.start, periodEnd: jan.end,
        lines: [usage, license])
}

@Test func matchingPartialExpectationHasNoDifferences() {
    let expected = l([
        m([
            ("total", s("18000")), ("status", s("paid")), ("created", s("2026-02-01")),
            ("lines", l([m([("price", s("price_license")), ("amount", s("10000"))]), m([("price", s("price_usage")), ("quantity", s("3000"))])])),
        ])
    ])
    #expect(InvoiceDiff.compare(invoices: expected, with: [InvoiceDocument.document(seedRenewal())]).isEmpty)
}

@Test func wrongAmountNamesInvoiceLineFieldAndBothValues() {
    let expected = l([m([("lines", l([m([("price", s("price_usage")), ("amount", s("80"))]), m([("price", s("price_license"))])]))])])
    let differences = InvoiceDiff.compare(invoices: expected, with: [InvoiceDocument.document(seedRenewal())])
    #expect(differences.map(\.description) == ["invoices[0].lines[0].amount: expected 80 (USD 0.80), got 8000 (USD 80.00)"])
    #expect(differences.first?.location == here)
}

@Test func linesAreMatchedByPeriodNotPosition() {
    // Two lines; the expectation lists them in the other order, told apart by period.
    let expected = l([
        m([
            (
                "lines",
                l([
                    m([("period", m([("start", s("2026-02-01")), ("end", s("2026-03-01"))])), ("amount", s("10000"))]),
                    m([("period", m([("start", s("2026-01-01T00:00:00Z")), ("end", s("1769904000"))])), ("amount", s("8000"))]),
                ])
            )
        ])
    ])
    #expect(InvoiceDiff.compare(invoices: expected, with: [InvoiceDocument.document(seedRenewal())]).isEmpty)
}

@Test func missingAndExtraLinesAreReported() {
    let expected = l([m([("lines", l([m([("price", s("price_other"))])]))])])
    let differences = InvoiceDiff.compare(invoices: expected, with: [InvoiceDocument.document(seedRenewal())])
    #expect(differences.count == 3)  // no price_other line, then both generated lines unaccounted for
    #expect(differences[0].expected == "a line with price price_other")
    #expect(differences[1].expected == "no such line")
}

@Test func missingInvoiceIsReported() {
    let expected = l([m([("total", s("18000"))]), m([("total", s("10000"))])])
    let differences = InvoiceDiff.compare(invoices: expected, with: [InvoiceDocument.document(seedRenewal())])
    #expect(differences.map(\.path) == ["invoices[1]"])
}

@Test(arguments: [
    ("2026-02-01", true), ("2026-02-01T00:00:00Z", true), ("2026-02-01T01:00:00+01:00", true), ("1769904000", true), ("2026-02-02", false),
])
func timestampsAreComparedAsInstants(text: String, equal: Bool) {
    #expect(InvoiceDiff.matches(text, .timestamp(feb.start)) == equal)
}

@Test func decimalsAreComparedExactly() {
    #expect(InvoiceDiff.matches("12.50", .decimal(ExactDecimal(parsing: "12.5")!, asString: false)))
    #expect(!InvoiceDiff.matches("12.500000000001", .decimal(ExactDecimal(parsing: "12.5")!, asString: false)))
}

@Test func documentJSONIsDeterministicAndEscaped() {
    let value = DocumentValue.object([
        ("a", .string("x\"y\n")), ("b", .money(-5, usd)), ("c", .decimal(ExactDecimal(parsing: "0.05")!, asString: true)),
    ])
    #expect(value.json() == #"{"a":"x\"y\n","b":-5,"c":"0.05"}"#)
}

@Test func schemaRejectsUnknownFields() {
    let problems = InvoiceDocument.problems(in: m([("totl", s("1")), ("lines", l([m([("amout", s("1"))])]))]), path: "expect.invoices[0]")
    #expect(problems.map(\.message).map { $0.prefix(while: { $0 != ":" }) } == ["expect.invoices[0].totl", "expect.invoices[0].lines[0].amout"])
}

/// An invoice without taxes leaves its tax fields out: `taxes: []` and `total_taxes: []` match,
/// `subtotal_excluding_tax` and `total_excluding_tax` are compared with `subtotal` and `total`
/// (18000 each for the seed's renewal), so a wrong one is still a difference.
@Test func taxFieldsOfAnInvoiceWithoutTaxes() {
    let untaxed = InvoiceDocument.document(seedRenewal())
    let expected = l([
        m([
            ("subtotal_excluding_tax", s("18000")), ("total_taxes", l([])), ("total_excluding_tax", s("18000")),
            ("lines", l([m([("price", s("price_license")), ("taxes", l([]))]), m([("price", s("price_usage"))])])),
        ])
    ])
    #expect(InvoiceDiff.compare(invoices: expected, with: [untaxed]).isEmpty)
    let wrong = l([m([("total_excluding_tax", s("17999"))])])
    #expect(
        InvoiceDiff.compare(invoices: wrong, with: [untaxed]).map(\.description) == [
            "invoices[0].total_excluding_tax: expected 17999 (USD 179.99), got 18000 (USD 180.00)"
        ])
}

/// A taxed line: 19 % exclusive on the license (1900) and 10 % inclusive in the usage (8000 × 10 / 110
/// = 727.27 → 727, net 7273). subtotal 18000; subtotal_excluding_tax 18000 − 727 = 17273; total
/// 18000 + 1900 = 19900; a wrong tax amount names the generated line (the license, line 1), its tax entry and field.
@Test func taxesAreComparedEntryByEntry() {
    var invoice = seedRenewal()
    invoice.lines[0].taxes = [TaxAmount(amount: 727, taxRate: "txr_incl", inclusive: true, taxableAmount: 7273)]
    invoice.lines[1].taxes = [TaxAmount(amount: 1900, taxRate: "txr_vat", inclusive: false, taxableAmount: 10000)]
    let document = InvoiceDocument.document(invoice)
    let expected = l([
        m([
            ("subtotal_excluding_tax", s("17273")), ("total", s("19900")), ("total_excluding_tax", s("17273")),
            ("total_taxes", l([m([("amount", s("727")), ("tax_rate", s("txr_incl"))]), m([("amount", s("1900"))])])),
            (
                "lines",
                l([
                    m([("price", s("price_license")), ("taxes", l([m([("amount", s("1901")), ("inclusive", s("false"))])]))]),
                    m([("price", s("price_usage"))]),
                ])
            ),
        ])
    ])
    #expect(
        InvoiceDiff.compare(invoices: expected, with: [document]).map(\.description) == [
            "invoices[0].lines[1].taxes[0].amount: expected 1901 (USD 19.01), got 1900 (USD 19.00)"
        ])
}
