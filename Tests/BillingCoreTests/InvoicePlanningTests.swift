import Testing

@testable import BillingCore

/// Line planning and pricing as functions of values, no store (Docs/ENGINE-RULES.md, "First invoice",
/// "Renewal", "Line order", "Cancellation", "Ids"). Each expectation is worked out by hand from the rule
/// it names: the periods from the anchor (`anchor + k × interval`), the lines in "Line order", and the
/// amounts as price × quantity × (covered seconds ÷ period seconds), rounded once, half away from zero.
@Suite("Invoice planning")
struct InvoicePlanningTests {
    static let usd = Currency(code: "usd")!
    static func day(_ year: Int, _ month: Int, _ day: Int, _ hour: Int = 0) -> Instant { Instant(year: year, month: month, day: day, hour: hour) }
    static func period(_ start: Instant, _ end: Instant) -> Period { Period(start: start, end: end) }

    /// Seat: 3000 a month per seat (licensed). Calls: 2 per call, metered, per unit.
    static let seat = Price(
        id: "price_seat", product: "prod_seat", currency: usd, interval: BillingInterval(.month), usageType: .licensed,
        scheme: .perUnit(unitAmount: ExactDecimal(3000), transform: nil))
    static let calls = Price(
        id: "price_calls", product: "prod_calls", currency: usd, interval: BillingInterval(.month), usageType: .metered(meter: "mtr_calls"),
        scheme: .perUnit(unitAmount: ExactDecimal(2), transform: nil))

    /// Two seats and metered calls, created Jan 1 2026 (flexible unless said).
    static func subscription(
        mode: BillingMode = .flexible, created: Instant = day(2026, 1, 1), backdate: Instant? = nil, anchor: Instant? = nil,
        prices: [Price] = [seat, calls]
    ) -> BilledSubscription {
        let items = prices.map { SubscriptionItem(id: "si_" + $0.product.dropFirst(5), price: $0.id, quantity: $0.isMetered ? 1 : 2) }
        let definition = Subscription(
            id: "sub_a", customer: "cus_a", created: created, backdateStartDate: backdate, billingCycleAnchor: anchor, billingMode: mode, items: items
        )
        return BilledSubscription(definition: definition, prices: prices, productNames: prices.map { $0.isMetered ? "API calls" : "Seat" })
    }

    static func line(_ item: Int, _ period: Period, _ kind: PlannedLine.Kind) -> PlannedLine { PlannedLine(item: item, period: period, kind: kind) }

    // MARK: First invoice

    /// Flexible, not backdated: the current period [Jan 1, Feb 1) for the seat only (metered items are left out).
    @Test func flexibleBillsLicensesInAdvanceOnly() {
        let plan = FirstInvoice.plan(Self.subscription())
        let january = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        #expect(plan == FirstInvoice.Plan(period: january, usageStart: Self.day(2026, 1, 1), lines: [Self.line(0, january, .licensed)], deferred: []))
    }

    /// Flexible backdated to Oct 15 2025, created Jan 10: periods aligned to Oct 15; Oct 15–Nov 15 and
    /// Nov 15–Dec 15 ended before Jan 10 and are billed whole, item order then period order; then the current
    /// period Dec 15–Jan 15 for the seat. The first renewal's usage starts Dec 15.
    @Test func flexibleBackdatingBillsEachPastPeriod() {
        let plan = FirstInvoice.plan(Self.subscription(created: Self.day(2026, 1, 10), backdate: Self.day(2025, 10, 15)))
        let october = Self.period(Self.day(2025, 10, 15), Self.day(2025, 11, 15))
        let november = Self.period(Self.day(2025, 11, 15), Self.day(2025, 12, 15))
        let current = Self.period(Self.day(2025, 12, 15), Self.day(2026, 1, 15))
        #expect(plan.period == current)
        #expect(plan.usageStart == Self.day(2025, 12, 15))
        #expect(
            plan.lines == [
                Self.line(0, october, .licensed), Self.line(0, november, .licensed), Self.line(1, october, .usage), Self.line(1, november, .usage),
                Self.line(0, current, .licensed),
            ])
        #expect(plan.deferred.isEmpty)
    }

    /// Classic, not backdated: the seat for [Jan 1, Feb 1) and a zero-amount line for calls, in item order.
    @Test func classicBillsAZeroLinePerMeteredItem() {
        let plan = FirstInvoice.plan(Self.subscription(mode: .classic))
        let january = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        #expect(plan.lines == [Self.line(0, january, .licensed), Self.line(1, january, .zero)])
        #expect(plan.usageStart == Self.day(2026, 1, 1))
    }

    /// Classic backdated to Dec 20: anchored at `created` (Jan 1); the backdated seat time [Dec 20, Jan 1) is a
    /// proration after the advance lines; the first renewal's usage starts Dec 20.
    @Test func classicBackdatingAddsAProrationAfterTheAdvanceLines() {
        let plan = FirstInvoice.plan(Self.subscription(mode: .classic, backdate: Self.day(2025, 12, 20)))
        let january = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        #expect(plan.period == january)
        #expect(plan.usageStart == Self.day(2025, 12, 20))
        #expect(
            plan.lines == [
                Self.line(0, january, .licensed), Self.line(1, january, .zero),
                Self.line(0, Self.period(Self.day(2025, 12, 20), Self.day(2026, 1, 1)), .licensed),
            ])
        #expect(plan.deferred.isEmpty)
    }

    /// Classic backdated to Dec 20 with an anchor on Jan 15: the stub [Jan 1, Jan 15) is billed now, the backdated
    /// proration waits for the next invoice (§5.2).
    @Test func classicBackdatingWithAFutureAnchorDefersTheProration() {
        let plan = FirstInvoice.plan(Self.subscription(mode: .classic, backdate: Self.day(2025, 12, 20), anchor: Self.day(2026, 1, 15)))
        let stub = Self.period(Self.day(2026, 1, 1), Self.day(2026, 1, 15))
        #expect(plan.period == stub)
        #expect(plan.lines == [Self.line(0, stub, .licensed), Self.line(1, stub, .zero)])
        #expect(plan.deferred == [Self.line(0, Self.period(Self.day(2025, 12, 20), Self.day(2026, 1, 1)), .licensed)])
    }

    /// A flexible subscription with metered items only: no lines → no invoice, and no usage asked.
    /// Backdated usage lines: an invoice only if one has usage, asking in order and stopping at the first yes.
    /// Any licensed line (or classic): an invoice without asking.
    @Test func firstInvoiceIsCreatedWhenItHasSomethingToBill() async {
        let months = [(2025, 11), (2025, 12), (2026, 1)]
        let past = months.map { Self.line(0, Self.period(Self.day($0.0, $0.1, 1), Self.day($0.0, $0.1, 2)), .usage) }
        var asked: [PlannedLine] = []
        let none = await FirstInvoice.isCreated([], mode: .flexible) {
            asked.append($0)
            return true
        }
        #expect(!none && asked.isEmpty)
        let secondHasUsage = await FirstInvoice.isCreated(past, mode: .flexible) {
            asked.append($0)
            return $0 == past[1]
        }
        #expect(secondHasUsage && asked == [past[0], past[1]])
        asked = []
        let noUsage = await FirstInvoice.isCreated(past, mode: .flexible) {
            asked.append($0)
            return false
        }
        #expect(!noUsage && asked == past)
        asked = []
        let classic = await FirstInvoice.isCreated(past, mode: .classic) {
            asked.append($0)
            return false
        }
        let licensed = await FirstInvoice.isCreated([Self.line(0, past[0].period, .licensed)], mode: .flexible) {
            asked.append($0)
            return false
        }
        #expect(classic && licensed && asked.isEmpty)
    }

    /// 250 lines pass; 251 stop the run, naming the subscription and the backdated start.
    @Test func backdatingBeyond250LinesFails() throws {
        let definition = Self.subscription(backdate: Self.day(2020, 1, 1)).definition
        let lines = Array(repeating: Self.line(0, Self.period(Self.day(2020, 1, 1), Self.day(2020, 2, 1)), .licensed), count: 251)
        try FirstInvoice.checkLineLimit(Array(lines.prefix(250)), of: definition)
        #expect(
            throws: EngineError(
                "subscription sub_a: backdating to \(Self.day(2020, 1, 1)) would put 251 lines on the first invoice; Stripe refuses more than 250")
        ) {
            try FirstInvoice.checkLineLimit(lines, of: definition)
        }
    }

    // MARK: Renewal and cancellation

    /// Classic backdated to Dec 20, in its first period [Jan 1, Feb 1): the renewal bills calls for
    /// [Dec 20, Feb 1) in arrears, then the seat for [Feb 1, Mar 1) in advance.
    @Test func renewalBillsUsageInArrearsThenLicensesInAdvance() {
        var subscription = Self.subscription(mode: .classic, backdate: Self.day(2025, 12, 20))
        subscription.period = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        subscription.usageStart = Self.day(2025, 12, 20)
        let (next, lines) = Renewal.plan(subscription)
        let february = Self.period(Self.day(2026, 2, 1), Self.day(2026, 3, 1))
        #expect(next == february)
        #expect(lines == [Self.line(1, Self.period(Self.day(2025, 12, 20), Self.day(2026, 2, 1)), .usage), Self.line(0, february, .licensed)])
    }

    struct CancelCase: Sendable, CustomTestStringConvertible {
        var invoiceNow: Bool
        var prorate: Bool
        var at: Instant
        var kinds: [PlannedLine.Kind]
        var testDescription: String { "invoice_now \(invoiceNow), prorate \(prorate) at \(at)" }
    }

    /// In [Jan 1, Feb 1): invoice_now bills the calls since Jan 1; prorate credits the seat from the cancellation
    /// to Feb 1, but not at the period's end (nothing unused).
    @Test(arguments: [
        CancelCase(invoiceNow: true, prorate: true, at: day(2026, 1, 16, 12), kinds: [.usage, .credit(nil)]),
        CancelCase(invoiceNow: true, prorate: false, at: day(2026, 1, 16, 12), kinds: [.usage]),
        CancelCase(invoiceNow: false, prorate: true, at: day(2026, 1, 16, 12), kinds: [.credit(nil)]),
        CancelCase(invoiceNow: false, prorate: false, at: day(2026, 1, 16, 12), kinds: []),
        CancelCase(invoiceNow: true, prorate: true, at: day(2026, 2, 1), kinds: [.usage]),
    ])
    func cancellationPlansUsageAndCredits(_ c: CancelCase) {
        var subscription = Self.subscription()
        subscription.period = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        subscription.usageStart = Self.day(2026, 1, 1)
        let expected = c.kinds.map { kind in
            kind == .usage
                ? Self.line(1, Self.period(Self.day(2026, 1, 1), c.at), .usage) : Self.line(0, Self.period(c.at, Self.day(2026, 2, 1)), .credit(nil))
        }
        #expect(Cancellation.plan(subscription, at: c.at, invoiceNow: c.invoiceNow, prorate: c.prorate) == expected)
        #expect(Cancellation.invoicePeriod(subscription, at: c.at) == Self.period(Self.day(2026, 1, 1), c.at))
    }

    // MARK: Pricing

    /// Two seats for the whole of January: 2 × 3000 = 6000, not a proration.
    @Test func aFullPeriodIsTheListAmount() throws {
        let line = try Self.line(0, Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1)), .licensed).priced(for: Self.subscription())
        #expect(line.amount == 6000)
        #expect(!line.proration)
        #expect(line.description == "2 × Seat")
        #expect(line.quantity == ExactDecimal(2))
    }

    /// Anchor Jan 15, stub [Jan 1, Jan 15): the full period is [Dec 15, Jan 15), 31 days; 6000 × 14/31 =
    /// 2709.677… → 2710.
    @Test func aStubIsProrated() throws {
        let subscription = Self.subscription(anchor: Self.day(2026, 1, 15))
        let line = try Self.line(0, Self.period(Self.day(2026, 1, 1), Self.day(2026, 1, 15)), .licensed).priced(for: subscription)
        #expect(line.amount == 2710)
        #expect(line.proration)
        #expect(line.description == "Remaining time on 2 × Seat from 2026-01-01 to 2026-01-15")
    }

    /// Classic credit from Jan 16 12:00 to Feb 1: 15.5 of January's 31 days: 6000 × 15.5/31 = 3000, negated.
    @Test func aClassicCreditIsTheCurrentPriceForTheUnusedShare() throws {
        var subscription = Self.subscription(mode: .classic)
        let january = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        subscription.debits["si_seat"] = [Debit(slot: 0, amount: 1234, period: january, uncredited: january)]  // classic ignores it
        let unused = Self.period(Self.day(2026, 1, 16, 12), Self.day(2026, 2, 1))
        let planned = Proration.credits(for: 0, over: unused, of: subscription).lines
        #expect(planned == [Self.line(0, unused, .credit(nil))])
        let line = try planned[0].priced(for: subscription)
        #expect(line.amount == -3000)
        #expect(line.proration)
        #expect(line.description == "Unused time on 2 × Seat after 2026-01-16")
    }

    /// Flexible credit of a stub charged 2710 for [Jan 1, Jan 15) (14 days), canceled Jan 8: 2710 × 7/14 = 1355,
    /// negated. Without a debit it falls back to the list price: [Jan 8, Jan 15) of [Dec 15, Jan 15) = 6000 × 7/31
    /// = 1354.838… → 1355 as well, so the fallback is checked on January instead: 6000 × 15.5/31 = 3000.
    @Test func aFlexibleCreditIsTheDebitForTheUnusedShare() throws {
        var subscription = Self.subscription(anchor: Self.day(2026, 1, 15))
        let stub = Self.period(Self.day(2026, 1, 1), Self.day(2026, 1, 15))
        subscription.period = stub
        let charge = try Self.line(0, stub, .licensed).priced(for: subscription)
        subscription.recordCharge(charge, for: Self.line(0, stub, .licensed))
        let debit = Debit(slot: 0, amount: 2710, period: stub, uncredited: stub)
        #expect(subscription.debits["si_seat"] == [debit])
        let unused = Self.period(Self.day(2026, 1, 8), Self.day(2026, 1, 15))
        let (planned, left) = Proration.credits(for: 0, over: unused, of: subscription)
        #expect(planned == [Self.line(0, unused, .credit(debit))])
        #expect(try planned[0].priced(for: subscription).amount == -1355)
        // What is left to credit: [Jan 1, Jan 8).
        #expect(left == [Debit(slot: 0, amount: 2710, period: stub, uncredited: Self.period(Self.day(2026, 1, 1), Self.day(2026, 1, 8)))])

        let undebited = Self.subscription()
        let january = Self.period(Self.day(2026, 1, 16, 12), Self.day(2026, 2, 1))
        #expect(Proration.credits(for: 0, over: january, of: undebited).lines == [Self.line(0, january, .credit(nil))])
        #expect(try Self.line(0, january, .credit(nil)).priced(for: undebited).amount == -3000)
    }

    /// Only a licensed line for the whole current period is recorded as a debit.
    @Test func onlyAWholeCurrentPeriodChargeIsADebit() throws {
        var subscription = Self.subscription()
        subscription.period = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        let other = Self.line(0, Self.period(Self.day(2025, 12, 1), Self.day(2026, 1, 1)), .licensed)
        subscription.recordCharge(try other.priced(for: subscription), for: other)
        let usage = Self.line(1, subscription.period, .usage)
        subscription.recordCharge(try usage.priced(for: subscription, usage: ExactDecimal(5)), for: usage)
        #expect(subscription.debits.isEmpty)
    }

    /// Usage: 1500 calls × 2 = 3000. The classic zero line: quantity 0, amount 0, no usage read.
    @Test func meteredLines() throws {
        let january = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        let usage = try Self.line(1, january, .usage).priced(for: Self.subscription(), usage: ExactDecimal(1500))
        #expect(usage.amount == 3000)
        #expect(usage.quantity == ExactDecimal(1500))
        #expect(usage.metered)
        #expect(usage.description == "API calls usage")
        let zero = try Self.line(1, january, .zero).priced(for: Self.subscription(mode: .classic))
        #expect(zero.amount == 0)
        #expect(zero.quantity == .zero)
        #expect(zero.description == "API calls (metered, billed in arrears)")
    }

    // MARK: Ids and drafts

    @Test func ids() {
        #expect(InvoiceIDs.invoice(1) == "in_0001")
        #expect(InvoiceIDs.invoice(12_345) == "in_12345")
        #expect(InvoiceIDs.line(invoice: 7, position: 3) == "il_0007_03")
        #expect(InvoiceIDs.line(invoice: 123_456, position: 250) == "il_123456_250")
        #expect(InvoiceIDs.line(invoice: 0, position: 0) == "il_0000_00")
        #expect(InvoiceIDs.preview(subscription: "sub_a") == "upcoming_sub_a")
        #expect(InvoiceIDs.previewLine(position: 12) == "il_upcoming_12")
    }

    /// A draft carries the priced lines, then the held ones, numbered in that order.
    @Test func aDraftAppendsTheHeldLines() throws {
        var subscription = Self.subscription()
        let january = Self.period(Self.day(2026, 1, 1), Self.day(2026, 2, 1))
        subscription.pending = [try Self.line(0, Self.period(Self.day(2025, 12, 20), Self.day(2026, 1, 1)), .licensed).priced(for: subscription)]
        let seat = try Self.line(0, january, .licensed).priced(for: subscription)
        let invoice = Invoice.draft(
            number: 2, of: subscription, reason: .subscriptionCycle, created: Self.day(2026, 1, 1), period: january, lines: [seat])
        #expect(invoice.id == "in_0002")
        #expect(invoice.lines.map(\.id) == ["il_0002_01", "il_0002_02"])
        #expect(invoice.lines.map(\.period) == [january, Self.period(Self.day(2025, 12, 20), Self.day(2026, 1, 1))])
        #expect(invoice.status == .draft)
        #expect(invoice.periodStart == january.start && invoice.periodEnd == january.end)
    }
}
