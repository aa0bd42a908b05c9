import Testing

@testable import BillingCore

/// Invoice items (Docs/ENGINE-RULES.md, "Invoice items"): the line of a one-time price, the first
/// invoice they create, and the `pending_invoice_item_interval` ticks.
@Suite struct InvoiceItemTests {
    static let usd = Currency(code: "usd")!
    static let setup = Price(
        id: "price_setup", product: "prod_setup", currency: usd, interval: BillingInterval(.month), usageType: .licensed,
        scheme: .perUnit(unitAmount: ExactDecimal(parsing: "0.5")!, transform: nil), isOneTime: true)

    /// 3 × 0.5 = 1.5 minor units, rounded once half away from zero: 2; the exact amount is kept.
    @Test func aOneTimePriceLineIsRatedAndRoundedOnce() throws {
        let item = InvoiceItem(subscription: "sub_john", price: "price_setup", quantity: 3)
        let line = try InvoiceLine.invoiceItem(item, price: Self.setup, productName: "Setup fee", at: EngineTests.day(1, 5))
        #expect(line.price == "price_setup" && line.subscriptionItem == "" && !line.proration)
        #expect(line.quantity == ExactDecimal(3) && line.exactAmount == ExactDecimal(parsing: "1.5")! && line.amount == 2)
        #expect(line.description == "Setup fee" && line.period == Period(start: EngineTests.day(1, 5), end: EngineTests.day(1, 5)))
        var described = item
        described.description = "Onboarding"
        #expect(try InvoiceLine.invoiceItem(described, price: Self.setup, at: EngineTests.day(1, 5)).description == "Onboarding")
        let credit = try InvoiceLine.invoiceItem(InvoiceItem(subscription: "sub_john", amount: -250, description: nil), at: EngineTests.day(1, 5))
        #expect(credit.price == "" && credit.quantity == ExactDecimal(1) && credit.amount == -250 && credit.description == "Invoice item")
    }

    /// Pending invoice items create the first invoice without asking about usage (§5.3).
    @Test func pendingItemsCreateTheFirstInvoice() async {
        var asked = false
        let created = await FirstInvoice.isCreated([], mode: .flexible, pendingItems: true) { _ in
            asked = true
            return false
        }
        #expect(created && !asked)
    }

    /// Weekly ticks from Jan 1: Jan 8 invoices the Jan 3 item (100); the Jan 10 item (200) goes on the
    /// Jan 12 cancellation's invoice; the Jan 15 and later ticks create nothing.
    @Test func ticksInvoicePendingItemsUntilTheSubscriptionEnds() async throws {
        var subscription = EngineTests.subscription()
        subscription.pendingInvoiceItemInterval = BillingInterval(.week)
        let outcome = try await EngineTests.run(
            until: EngineTests.day(2, 1), subscriptions: [subscription],
            timeline: [
                TimelineEntry(
                    at: EngineTests.day(1, 3), action: .addInvoiceItem(InvoiceItem(subscription: "sub_john", amount: 100, description: "A"))),
                TimelineEntry(
                    at: EngineTests.day(1, 10), action: .addInvoiceItem(InvoiceItem(subscription: "sub_john", amount: 200, description: "B"))),
                TimelineEntry(at: EngineTests.day(1, 12), action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: false)),
            ], events: [])
        #expect(outcome.invoices.map(\.billingReason) == [.subscriptionCreate, .automaticPendingInvoiceItemInvoice, .subscriptionUpdate])
        let weekly = outcome.invoices[1]
        #expect(weekly.created == EngineTests.day(1, 8) && weekly.periodStart == EngineTests.day(1, 1) && weekly.periodEnd == EngineTests.day(1, 8))
        #expect(weekly.lines.map(\.amount) == [100] && weekly.status == .paid && weekly.finalizedAt == EngineTests.day(1, 8, 1))
        #expect(outcome.invoices[2].lines.map(\.description).last == "B" && outcome.invoices[2].total == 200)
    }

    /// Pending prorations are pending invoice items too: a seat change on Jan 9 (1 → 2, create_prorations,
    /// flexible) waits for the Jan 15 tick. Remaining time [Jan 9, Feb 1) = 23 of 31 days: credit
    /// −10000 × 23/31 = −7419.35… → −7419, debit 20000 × 23/31 = 14838.70… → 14839; total 7420.
    /// The Feb 1 renewal then bills 2 seats (20000) and nothing more.
    @Test func ticksInvoicePendingProrations() async throws {
        var subscription = EngineTests.subscription()
        subscription.pendingInvoiceItemInterval = BillingInterval(.week)
        let change = SubscriptionUpdate(subscription: "sub_john", items: [.change(item: "si_license", price: nil, quantity: 2)])
        let outcome = try await EngineTests.run(
            until: EngineTests.day(2, 1, 2), subscriptions: [subscription],
            timeline: [TimelineEntry(at: EngineTests.day(1, 9), action: .updateSubscription(change))], events: [])
        #expect(outcome.invoices.map(\.billingReason) == [.subscriptionCreate, .automaticPendingInvoiceItemInvoice, .subscriptionCycle])
        let weekly = outcome.invoices[1]
        #expect(weekly.created == EngineTests.day(1, 15) && weekly.periodStart == EngineTests.day(1, 8))
        #expect(weekly.lines.map(\.amount) == [-7419, 14839] && weekly.lines.allSatisfy(\.proration) && weekly.total == 7420)
        #expect(outcome.invoices[2].total == 20000)
    }
}
