import Testing

@testable import BillingCore

/// `Update.plan` without a store (Docs/ENGINE-RULES.md, "Updates"): which slots open and close and
/// which lines a change plans, by billing mode. Expected values restate the rules.
struct UpdatePlanningTests {
    typealias T = InvoicePlanningTests
    static let callsB = Price(
        id: "price_calls_b", product: "prod_calls", currency: T.usd, interval: BillingInterval(.month), usageType: .metered(meter: "mtr_calls"),
        scheme: .perUnit(unitAmount: ExactDecimal(3), transform: nil))
    static let catalog = Catalog(meters: [], products: [], prices: [T.seat, T.calls, callsB])
    static let january = T.period(T.day(2026, 1, 1), T.day(2026, 2, 1))

    /// In January, seats slot 0 and calls slot 1, with the flexible Jan 1 debit of 2 seats (6000).
    static func running(_ mode: BillingMode) -> BilledSubscription {
        var subscription = T.subscription(mode: mode)
        subscription.period = january
        subscription.usageStart = january.start
        subscription.debits["si_seat"] = [Debit(slot: 0, amount: 6000, period: january, uncredited: january)]
        return subscription
    }

    /// §5.3(2): classic drops the usage before a metered price change; flexible bills it at the old
    /// price. Either way the new price's usage starts at the change, in the item's place.
    @Test(arguments: [BillingMode.classic, .flexible])
    func aMeteredPriceChange(mode: BillingMode) throws {
        let change = SubscriptionUpdate(subscription: "sub_a", items: [.change(item: "si_calls", price: "price_calls_b", quantity: nil)])
        let plan = try Update.plan(change, of: Self.running(mode), at: T.day(2026, 1, 15), catalog: Self.catalog)
        #expect(plan.usage == (mode == .flexible ? [T.line(1, T.period(T.day(2026, 1, 1), T.day(2026, 1, 15)), .usage)] : []))
        #expect(plan.prorations.isEmpty)
        #expect(plan.invoicePeriod == nil)
        #expect(plan.subscription.itemOrder == [0, 2])
        let renewal = Renewal.plan(plan.subscription).lines
        #expect(renewal.first == T.line(2, T.period(T.day(2026, 1, 15), T.day(2026, 2, 1)), .usage))
    }

    /// A quantity change with a proration_date: the old slot's credit (classic: at its price; flexible:
    /// of its Jan 1 debit, which is then credited up to the proration date), then the new slot's debit.
    @Test(arguments: [BillingMode.classic, .flexible])
    func aQuantityChangeCreditsThenDebits(mode: BillingMode) throws {
        let at = T.day(2026, 1, 20)
        let date = T.day(2026, 1, 16, 12)
        let change = SubscriptionUpdate(
            subscription: "sub_a", items: [.change(item: "si_seat", price: nil, quantity: 5)], prorationDate: date)
        let plan = try Update.plan(change, of: Self.running(mode), at: at, catalog: Self.catalog)
        let unused = T.period(date, T.day(2026, 2, 1))
        let debit = Debit(slot: 0, amount: 6000, period: Self.january, uncredited: Self.january)
        #expect(plan.prorations == [T.line(0, unused, .credit(mode == .flexible ? debit : nil)), T.line(2, unused, .remaining)])
        // 5 × 3000 × 15.5/31 = 7500; the credit −6000 × 15.5/31 = −3000 in both modes.
        #expect(try plan.prorations.map { try $0.priced(for: plan.subscription).amount } == [-3000, 7500])
        if mode == .flexible {
            #expect(
                plan.subscription.debits["si_seat"] == [
                    Debit(slot: 0, amount: 6000, period: Self.january, uncredited: T.period(Self.january.start, date))
                ])
        }
    }

    /// `none` plans no proration; an unknown item and a proration_date outside the period are errors.
    @Test func noneAndErrors() throws {
        let none = SubscriptionUpdate(
            subscription: "sub_a", items: [.change(item: "si_seat", price: nil, quantity: 5)], prorationBehavior: .none)
        #expect(try Update.plan(none, of: Self.running(.classic), at: T.day(2026, 1, 20), catalog: Self.catalog).prorations.isEmpty)
        let unknown = SubscriptionUpdate(subscription: "sub_a", items: [.remove(item: "si_nope")])
        #expect(throws: EngineError.self) { try Update.plan(unknown, of: Self.running(.classic), at: T.day(2026, 1, 20), catalog: Self.catalog) }
        let early = SubscriptionUpdate(subscription: "sub_a", prorationDate: T.day(2025, 12, 31))
        #expect(throws: EngineError.self) { try Update.plan(early, of: Self.running(.classic), at: T.day(2026, 1, 20), catalog: Self.catalog) }
    }

    /// billing_cycle_anchor now: the seats' unused time credited, the calls so far billed, a new full
    /// period from the update with the seats in advance.
    @Test func anAnchorResetStartsAFullPeriod() throws {
        let at = T.day(2026, 1, 16)
        let change = SubscriptionUpdate(subscription: "sub_a", resetsAnchor: true)
        let plan = try Update.plan(change, of: Self.running(.classic), at: at, catalog: Self.catalog)
        let next = T.period(at, T.day(2026, 2, 16))
        #expect(plan.subscription.period == next)
        #expect(plan.usage == [T.line(1, T.period(T.day(2026, 1, 1), at), .usage)])
        #expect(plan.advance == [T.line(0, next, .licensed)])
        #expect(plan.prorations == [T.line(0, T.period(at, T.day(2026, 2, 1)), .credit(nil))])
        #expect(plan.invoicePeriod == T.period(T.day(2026, 1, 1), at))
    }

    /// A change during a trial (Docs/ENGINE-RULES.md, "Changes during a trial"): the slots change, but
    /// nothing was charged and no usage is billed, so no credit, debit, usage or zero line is planned,
    /// and `always_invoice` makes no invoice; the trial's end bills the new seats.
    @Test(arguments: [BillingMode.classic, .flexible])
    func aChangeDuringATrialBillsNothing(mode: BillingMode) throws {
        var trialing = T.subscription(mode: mode)
        let trial = T.period(T.day(2026, 1, 1), T.day(2026, 1, 15))
        trialing.period = trial
        trialing.usageStart = trial.end
        _ = trialing.lifecycle.start(trial: true)
        let change = SubscriptionUpdate(
            subscription: "sub_a",
            items: [.change(item: "si_seat", price: nil, quantity: 5), .change(item: "si_calls", price: "price_calls_b", quantity: nil)],
            prorationBehavior: .alwaysInvoice)
        let plan = try Update.plan(change, of: trialing, at: T.day(2026, 1, 5), catalog: Self.catalog)
        #expect(plan.usage.isEmpty)
        #expect(plan.prorations.isEmpty)
        #expect(plan.invoicePeriod == nil)
        #expect(plan.subscription.itemOrder == [2, 3])
        #expect(plan.subscription.definition.items[2].quantity == 5)
        let end = TrialEnd.plan(plan.subscription, at: trial.end)
        #expect(end.lines == [T.line(2, end.next, .licensed)])
        // The new metered item's usage starts at the trial's end, not at the change.
        #expect(plan.subscription.usageStart(of: 3) == trial.end)
    }
}
