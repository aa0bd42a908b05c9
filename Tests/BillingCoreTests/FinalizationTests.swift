import Testing

@testable import BillingCore

/// Finalization as a function of values, no store (Docs/ENGINE-RULES.md, "Status", "Totals", "Minimum
/// charge", "Late usage"). Each case is worked out by hand from "Totals": `amount_due = max(0, total +
/// starting_balance)`, `ending_balance = min(0, total + starting_balance)`, except that an amount owed
/// above 0 but below the currency's minimum (USD 50) is paid without a charge and becomes the ending
/// balance; then "Status": paid at once when nothing is due or a card is on file under charge_automatically.
@Suite("Finalization")
struct FinalizationTests {
    static let usd = Currency(code: "usd")!
    static let jan1 = Instant(year: 2026, month: 1, day: 1)
    static let feb1 = Instant(year: 2026, month: 2, day: 1)

    /// A draft of one line of `total`.
    static func draft(total: Int64, collection: CollectionMethod = .chargeAutomatically, reason: BillingReason = .subscriptionCycle) throws -> Invoice
    {
        let line = try InvoiceLine(
            id: "il_0001_01", price: "price_seat", subscriptionItem: "si_seat", description: "1 × Seat", period: Period(start: jan1, end: feb1),
            quantity: ExactDecimal(1), rated: RatedAmount(exact: ExactDecimal(total)), metered: false)
        return Invoice(
            id: "in_0001", number: 1, customer: "cus_a", subscription: "sub_a", billingReason: reason, currency: usd, collectionMethod: collection,
            created: jan1, periodStart: jan1, periodEnd: feb1, lines: [line])
    }

    struct Case: Sendable, CustomTestStringConvertible {
        var name: String
        var total: Int64
        var balance: Int64
        var card: Bool
        var collection: CollectionMethod = .chargeAutomatically
        var status: InvoiceStatus
        var amountDue: Int64
        var balanceAfter: Int64
        var testDescription: String { name }
    }

    @Test(arguments: [
        // 6000 − 1000 credit = 5000 due, charged to the card; no credit left.
        Case(name: "credit applied, card", total: 6000, balance: -1000, card: true, status: .paid, amountDue: 5000, balanceAfter: 0),
        // 6000 − 10000 credit: nothing due, paid without a card; 4000 of credit left.
        Case(name: "credit covers it", total: 6000, balance: -10_000, card: false, status: .paid, amountDue: 0, balanceAfter: -4000),
        // 6000 + 500 debit = 6500 due, no card: stays open.
        Case(name: "debit, no card", total: 6000, balance: 500, card: false, status: .open, amountDue: 6500, balanceAfter: 0),
        // 30 owed, below USD 0.50: paid without a charge, the 30 becomes a debit.
        Case(name: "below the minimum", total: 30, balance: 0, card: false, status: .paid, amountDue: 0, balanceAfter: 30),
        // 30 + 20 debit = 50: the minimum itself is charged.
        Case(name: "at the minimum", total: 30, balance: 20, card: true, status: .paid, amountDue: 50, balanceAfter: 0),
        // send_invoice with 6000 due stays open even with a card; with nothing due it is paid.
        Case(
            name: "send_invoice due", total: 6000, balance: 0, card: true, collection: .sendInvoice, status: .open, amountDue: 6000, balanceAfter: 0),
        Case(
            name: "send_invoice, nothing due", total: 0, balance: 0, card: false, collection: .sendInvoice, status: .paid, amountDue: 0,
            balanceAfter: 0),
    ])
    func finalize(_ c: Case) throws {
        let at = Self.feb1 + .hours(1)
        let result = try Finalization.finalize(
            Self.draft(total: c.total, collection: c.collection), at: at, balance: c.balance, paymentMethod: c.card ? "pm_card_visa" : nil,
            daysUntilDue: 14)
        #expect(result.invoice.status == c.status)
        #expect(result.invoice.startingBalance == c.balance)
        #expect(result.invoice.amountDue == c.amountDue)
        #expect(result.invoice.endingBalance == c.balanceAfter)
        #expect(result.balance == c.balanceAfter)
        #expect(result.invoice.finalizedAt == at)
        #expect(result.invoice.paidAt == (c.status == .paid ? at : nil))
        // One attempt when something was charged automatically (paid or not); none when nothing was due or under send_invoice.
        #expect(result.invoice.attemptCount == (c.amountDue > 0 && c.collection == .chargeAutomatically ? 1 : 0))
        // send_invoice: due 14 days after finalization (Feb 15 01:00); charge_automatically has no due date.
        #expect(result.invoice.dueDate == (c.collection == .sendInvoice ? Instant(year: 2026, month: 2, day: 15, hour: 1) : nil))
    }

    /// A first invoice of 6000 that used a 1000 credit and was left open (no card): voiding it gives the
    /// 1000 credit back (−1000 − ending balance 0), `amount_due` unchanged, `amount_paid` 0.
    @Test func voidingGivesTheUsedBalanceBack() throws {
        let open = try Finalization.finalize(
            Self.draft(total: 6000, reason: .subscriptionCreate), at: Self.jan1, balance: -1000, paymentMethod: nil, daysUntilDue: 30)
        #expect(open.invoice.status == .open && open.balance == 0)
        let (voided, givenBack) = Payments.voided(open.invoice, at: Self.jan1 + .hours(23))
        #expect(voided.status == .void)
        #expect(voided.voidedAt == Self.jan1 + .hours(23))
        #expect(givenBack == -1000)
        #expect(voided.amountDue == 5000)
        #expect(voided.amountPaid == 0)
    }

    /// Renewals after the grace; first and cancellation invoices at once, or 1h later under send_invoice.
    @Test func whenInvoicesAreFinalized() {
        let grace = TimeSpan.hours(3)
        #expect(Finalization.instant(of: .subscriptionCycle, collection: .chargeAutomatically, created: Self.feb1, grace: grace) == Self.feb1 + grace)
        #expect(Finalization.instant(of: .subscriptionCycle, collection: .sendInvoice, created: Self.feb1, grace: grace) == Self.feb1 + grace)
        #expect(Finalization.instant(of: .subscriptionCreate, collection: .chargeAutomatically, created: Self.jan1, grace: grace) == Self.jan1)
        #expect(Finalization.instant(of: .subscriptionCreate, collection: .sendInvoice, created: Self.jan1, grace: grace) == Self.jan1 + .hours(1))
        #expect(Finalization.instant(of: .subscriptionUpdate, collection: .chargeAutomatically, created: Self.feb1, grace: grace) == Self.feb1)
        #expect(Finalization.instant(of: .subscriptionUpdate, collection: .sendInvoice, created: Self.feb1, grace: grace) == Self.feb1 + .hours(1))
    }

    /// Late usage: a metered line read at 1000 calls is billed again at finalization for 2500: 2500 × 2 = 5000,
    /// keeping its id, description and period.
    @Test func lateUsageIsRerated() throws {
        let calls = Price(
            id: "price_calls", product: "prod_calls", currency: Self.usd, interval: BillingInterval(.month), usageType: .metered(meter: "mtr_calls"),
            scheme: .perUnit(unitAmount: ExactDecimal(2), transform: nil))
        let january = Period(start: Self.jan1, end: Self.feb1)
        let line = try InvoiceLine(
            id: "il_0002_01", price: "price_calls", subscriptionItem: "si_calls", description: "API calls usage", period: january,
            quantity: ExactDecimal(1000), rated: Rating.rate(calls.scheme, quantity: ExactDecimal(1000)), metered: true)
        var invoice = try Self.draft(total: 6000)
        invoice.lines.insert(line, at: 0)
        let query = UsageQuery(meter: "mtr_calls", customer: "cus_a", key: 0, formula: .sum, period: january)
        var draft = Draft(invoice: invoice, usageLines: [Draft.UsageLine(index: 0, query: query, price: calls, quantity: ExactDecimal(1000))])
        #expect(draft.invoice.lines[0].amount == 2000)
        try draft.rerate(draft.usageLines[0], quantity: ExactDecimal(2500))
        let rerated = draft.invoice.lines[0]
        #expect(rerated.amount == 5000)
        #expect(rerated.quantity == ExactDecimal(2500))
        #expect(rerated.id == "il_0002_01" && rerated.description == "API calls usage" && rerated.period == january && rerated.metered)
        #expect(draft.invoice.lines[1] == invoice.lines[1])
        #expect(draft.invoice.total == 11_000)
    }
}
