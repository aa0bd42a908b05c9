import BillingCore
import Testing

/// The test-clock engine over the in-memory store, built from core values (no YAML).
/// Every expectation is computed from Docs/ENGINE-RULES.md and BILLING-SEMANTICS §4.6, §5, §6.
@Suite("BillingEngine")
struct EngineTests {
    // MARK: Fixture: the seed plan (BILLING-SEMANTICS §4.6, Scenarios/seed/*.yaml)

    static let usd = Currency(code: "usd")!
    static func day(_ month: Int, _ day: Int, _ hour: Int = 0, _ minute: Int = 0, _ second: Int = 0) -> Instant {
        Instant(year: 2026, month: month, day: day, hour: hour, minute: minute, second: second)
    }

    /// price_license: 10000 per seat per month, licensed. price_usage: graduated 1–1000 @ 0, 1001+ @ 4, metered on mtr_tokens (sum).
    static let catalog = Catalog(
        meters: [Meter(id: "mtr_tokens", displayName: "Hypernian tokens", eventName: "hypernian_tokens", formula: .sum)],
        products: [Product(id: "prod_license", name: "Hypernian license fee"), Product(id: "prod_usage", name: "Hypernian usage")],
        prices: [
            Price(
                id: "price_license", product: "prod_license", currency: usd, interval: BillingInterval(.month), usageType: .licensed,
                scheme: .perUnit(unitAmount: ExactDecimal(10_000), transform: nil)),
            Price(
                id: "price_usage", product: "prod_usage", currency: usd, interval: BillingInterval(.month), usageType: .metered(meter: "mtr_tokens"),
                scheme: .graduated([PriceTier(upTo: 1000, unitAmount: .zero), PriceTier(upTo: nil, unitAmount: ExactDecimal(4))])),
        ])

    static let seedItems = [
        SubscriptionItem(id: "si_license", price: "price_license", quantity: 1), SubscriptionItem(id: "si_usage", price: "price_usage"),
    ]

    static func john(balance: Int64 = 0, paymentMethod: String? = "pm_card_visa") -> Customer {
        Customer(id: "cus_john", name: "John Doe", currency: usd, balance: balance, defaultPaymentMethod: paymentMethod)
    }

    static func subscription(
        _ id: String = "sub_john", created: Instant = day(1, 1), mode: BillingMode = .flexible, collection: CollectionMethod = .chargeAutomatically,
        daysUntilDue: Int = 30, backdate: Instant? = nil, anchor: Instant? = nil, items: [SubscriptionItem] = seedItems
    ) -> Subscription {
        Subscription(
            id: id, customer: "cus_john", created: created, backdateStartDate: backdate, billingCycleAnchor: anchor, billingMode: mode,
            collectionMethod: collection, daysUntilDue: daysUntilDue, items: items)
    }

    static func tokens(_ value: String, at timestamp: Instant, id: String? = nil, receivedAt: Instant? = nil, customer: String = "cus_john")
        -> MeterEvent
    {
        MeterEvent(
            eventName: "hypernian_tokens", timestamp: timestamp, identifier: id, payload: ["stripe_customer_id": customer, "value": value],
            receivedAt: receivedAt)
    }

    /// John's 3000 tokens on Jan 15 12:00 (the seed's one event).
    static let janTokens = tokens("3000", at: day(1, 15, 12), id: "evt_john_jan")

    static func run(
        start: Instant = day(1, 1), until: Instant = day(3, 1, 2), customers: [Customer] = [john()], subscriptions: [Subscription],
        timeline: [TimelineEntry] = [], events: [MeterEvent] = [janTokens], settings: EngineSettings = EngineSettings(), catalog: Catalog = catalog
    ) async throws -> SimulationOutcome {
        let simulation = Simulation(
            clockStart: start, clockUntil: until, catalog: catalog, customers: customers, subscriptions: subscriptions, timeline: timeline,
            settings: settings)
        let engine = try BillingEngine(simulation: simulation, store: InMemoryBillingStore())
        var source = ArrayMeterEventSource(events)
        return try await engine.run(events: &source)
    }

    static func line(_ invoice: Invoice, item: String, proration: Bool = false) throws -> InvoiceLine {
        try #require(invoice.lines.first { $0.subscriptionItem == item && $0.proration == proration }, "no line for \(item) on \(invoice.id)")
    }

    static func period(_ start: Instant, _ end: Instant) -> Period { Period(start: start, end: end) }

    // MARK: Seed plan, flexible and classic

    /// Seed, flexible (Scenarios/seed/flexible.yaml):
    /// in_0001 Jan 1: license [Jan 1, Feb 1) = 10000 (metered items left out); paid at once (card on file).
    /// in_0002 Feb 1: usage Jan = 3000 → 1000 × 0 + 2000 × 4 = 8000, license [Feb 1, Mar 1) = 10000; 18000; finalized 01:00.
    /// in_0003 Mar 1: usage Feb = 0 → 0 (still a line), license [Mar 1, Apr 1) = 10000; finalized 01:00.
    @Test func seedFlexible() async throws {
        let outcome = try await Self.run(subscriptions: [Self.subscription()])
        let invoices = outcome.invoices
        #expect(invoices.map(\.id) == ["in_0001", "in_0002", "in_0003"])
        #expect(invoices.map(\.number) == [1, 2, 3])
        #expect(invoices.map(\.status) == [.paid, .paid, .paid])
        #expect(invoices.map(\.billingReason) == [.subscriptionCreate, .subscriptionCycle, .subscriptionCycle])
        #expect(invoices.map(\.total) == [10_000, 18_000, 10_000])
        try #require(invoices.count == 3)

        let first = invoices[0]
        #expect(first.customer == "cus_john")
        #expect(first.subscription == "sub_john")
        #expect(first.currency == Self.usd)
        #expect(first.collectionMethod == .chargeAutomatically)
        #expect(first.created == Self.day(1, 1))
        #expect(first.periodStart == Self.day(1, 1))
        #expect(first.periodEnd == Self.day(1, 1))
        #expect(first.lines.count == 1)
        let license = try Self.line(first, item: "si_license")
        #expect(license.id == "il_0001_01")
        #expect(license.price == "price_license")
        #expect(license.quantity == ExactDecimal(1))
        #expect(license.amount == 10_000)
        #expect(license.proration == false)
        #expect(license.metered == false)
        #expect(license.period == Self.period(Self.day(1, 1), Self.day(2, 1)))
        #expect(first.startingBalance == 0)
        #expect(first.endingBalance == 0)
        #expect(first.amountDue == 10_000)
        #expect(first.amountPaid == 10_000)
        #expect(first.amountRemaining == 0)
        #expect(first.finalizedAt == Self.day(1, 1))
        #expect(first.paidAt == Self.day(1, 1))
        #expect(first.dueDate == nil)

        let second = invoices[1]
        #expect(second.created == Self.day(2, 1))
        #expect(second.periodStart == Self.day(1, 1))
        #expect(second.periodEnd == Self.day(2, 1))
        // Arrears (usage) first, then advance (license).
        #expect(second.lines.map(\.subscriptionItem) == ["si_usage", "si_license"])
        #expect(second.lines.map(\.id) == ["il_0002_01", "il_0002_02"])
        #expect(second.lines.map(\.amount) == [8000, 10_000])
        let usage = second.lines[0]
        #expect(usage.price == "price_usage")
        #expect(usage.quantity == ExactDecimal(3000))
        #expect(usage.metered)
        #expect(usage.proration == false)
        #expect(usage.period == Self.period(Self.day(1, 1), Self.day(2, 1)))
        #expect(usage.tiers.map(\.quantity) == [ExactDecimal(1000), ExactDecimal(2000)])
        #expect(usage.tiers.map(\.amount) == [ExactDecimal(0), ExactDecimal(8000)])
        #expect(second.lines[1].period == Self.period(Self.day(2, 1), Self.day(3, 1)))
        #expect(second.subtotal == 18_000)
        #expect(second.amountDue == 18_000)
        #expect(second.amountPaid == 18_000)
        // Draft for the 1 h grace, finalized and paid at 01:00.
        #expect(second.finalizedAt == Self.day(2, 1, 1))
        #expect(second.paidAt == Self.day(2, 1, 1))

        let third = invoices[2]
        #expect(third.periodStart == Self.day(2, 1))
        #expect(third.periodEnd == Self.day(3, 1))
        #expect(third.lines.map(\.subscriptionItem) == ["si_usage", "si_license"])
        #expect(third.lines.map(\.amount) == [0, 10_000])
        #expect(third.lines[0].quantity == .zero)
        #expect(third.lines[0].period == Self.period(Self.day(2, 1), Self.day(3, 1)))
        #expect(third.lines[1].period == Self.period(Self.day(3, 1), Self.day(4, 1)))
        #expect(third.finalizedAt == Self.day(3, 1, 1))

        #expect(outcome.usage.received == 1)
        #expect(outcome.usage.accepted == 1)
        #expect(outcome.usage.rejectedTotal == 0)
        #expect(outcome.usage.late == 0)
        #expect(outcome.usage.notReceived == 0)
        #expect(outcome.previews.isEmpty)
    }

    /// Seed, classic (Scenarios/seed/classic.yaml): the same, plus a zero-amount metered line on in_0001 for
    /// the current period [Jan 1, Feb 1). The January usage is billed once, on in_0002.
    @Test func seedClassic() async throws {
        let outcome = try await Self.run(subscriptions: [Self.subscription(mode: .classic)])
        let invoices = outcome.invoices
        #expect(invoices.map(\.id) == ["in_0001", "in_0002", "in_0003"])
        #expect(invoices.map(\.status) == [.paid, .paid, .paid])
        #expect(invoices.map(\.total) == [10_000, 18_000, 10_000])
        try #require(invoices.count == 3)
        let first = invoices[0]
        #expect(first.lines.count == 2)
        let zero = try Self.line(first, item: "si_usage")
        #expect(zero.quantity == .zero)
        #expect(zero.amount == 0)
        #expect(zero.metered)
        #expect(zero.proration == false)
        #expect(zero.period == Self.period(Self.day(1, 1), Self.day(2, 1)))
        #expect(try Self.line(first, item: "si_license").amount == 10_000)
        #expect(invoices[1].lines.map(\.subscriptionItem) == ["si_usage", "si_license"])
        #expect(invoices[1].lines.map(\.amount) == [8000, 10_000])
        #expect(invoices[1].lines[0].period == Self.period(Self.day(1, 1), Self.day(2, 1)))
        #expect(invoices[2].lines.map(\.amount) == [0, 10_000])
    }

    /// Flexible with only metered items: the first invoice would be empty, so none is created (§5.3 item 1);
    /// the first invoice is the Feb 1 renewal, numbered in_0001: usage 3000 → 8000.
    @Test func flexibleMeteredOnlyHasNoFirstInvoice() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 1, 2), subscriptions: [Self.subscription(items: [SubscriptionItem(id: "si_usage", price: "price_usage")])])
        #expect(outcome.invoices.map(\.id) == ["in_0001"])
        #expect(outcome.invoices.first?.billingReason == .subscriptionCycle)
        #expect(outcome.invoices.first?.total == 8000)
    }

    // MARK: Usage: half-open periods, late usage

    /// Periods are half-open: an event at exactly Feb 1 00:00 belongs to February. Jan: 3000 → 8000;
    /// Feb: 1500 → 500 × 4 = 2000.
    @Test func eventAtBoundaryBelongsToNextPeriod() async throws {
        let outcome = try await Self.run(
            subscriptions: [Self.subscription()], events: [Self.janTokens, Self.tokens("1500", at: Self.day(2, 1), id: "evt_feb_first_instant")])
        #expect(outcome.invoices.map(\.total) == [10_000, 18_000, 12_000])
        #expect(outcome.invoices.dropFirst().map { $0.lines[0].quantity } == [ExactDecimal(3000), ExactDecimal(1500)])
        #expect(outcome.usage.late == 0)
    }

    struct LateCase: Sendable, CustomTestStringConvertible {
        var name: String
        var receivedAt: Instant
        /// January's usage quantity on in_0002.
        var januaryQuantity: Int64
        var januaryAmount: Int64
        var late: Int
        var testDescription: String { name }
    }

    /// ENGINE-RULES "Late usage": in_0002 is a draft from Feb 1 00:00 to its finalization at 01:00; 500 more January
    /// tokens (timestamp Jan 31 23:00) received up to and including 01:00 land on it: 3500 → 2500 × 4 = 10000.
    /// Received after 01:00 they are accepted, billed nowhere (not on February's in_0003 either) and counted late:
    /// January stays 3000 → 8000.
    @Test(arguments: [
        LateCase(name: "received before the renewal", receivedAt: day(1, 31, 23, 30), januaryQuantity: 3500, januaryAmount: 10_000, late: 0),
        LateCase(name: "received in the grace", receivedAt: day(2, 1, 0, 30), januaryQuantity: 3500, januaryAmount: 10_000, late: 0),
        LateCase(name: "received at the finalization instant", receivedAt: day(2, 1, 1), januaryQuantity: 3500, januaryAmount: 10_000, late: 0),
        LateCase(name: "received 1 s after finalization", receivedAt: day(2, 1, 1, 0, 1), januaryQuantity: 3000, januaryAmount: 8000, late: 1),
        LateCase(name: "received a week later", receivedAt: day(2, 8), januaryQuantity: 3000, januaryAmount: 8000, late: 1),
    ])
    func lateUsage(_ c: LateCase) async throws {
        let late = Self.tokens("500", at: Self.day(1, 31, 23), id: "evt_late", receivedAt: c.receivedAt)
        let outcome = try await Self.run(subscriptions: [Self.subscription()], events: [Self.janTokens, late])
        try #require(outcome.invoices.count == 3)
        let second = outcome.invoices[1]
        #expect(second.lines[0].quantity == ExactDecimal(c.januaryQuantity))
        #expect(second.lines[0].amount == c.januaryAmount)
        #expect(second.total == c.januaryAmount + 10_000)
        #expect(second.status == .paid)
        // February's usage never picks up a January event.
        #expect(outcome.invoices[2].lines[0].quantity == .zero)
        #expect(outcome.usage.accepted == 2)
        #expect(outcome.usage.late == c.late)
        #expect(outcome.usage.lateSamples.map(\.identifier) == (c.late == 1 ? ["evt_late"] : []))
    }

    /// A longer finalization grace (settings.finalization_grace = 3h): received at 02:59 it still lands.
    @Test func configurableGrace() async throws {
        let late = Self.tokens("500", at: Self.day(1, 31, 23), id: "evt_late", receivedAt: Self.day(2, 1, 2, 59))
        let outcome = try await Self.run(
            until: Self.day(2, 2), subscriptions: [Self.subscription()], events: [Self.janTokens, late],
            settings: EngineSettings(finalizationGrace: .hours(3)))
        #expect(outcome.invoices.map(\.total) == [10_000, 20_000])
        #expect(outcome.invoices.last?.finalizedAt == Self.day(2, 1, 3))
        #expect(outcome.usage.late == 0)
    }

    /// Rejected, duplicate and never-received events are reported, not billed: a duplicate identifier within 24 h,
    /// an unknown customer, and an event arriving after clock.until. January bills 3000 only.
    @Test func rejectedAndUnreceivedEvents() async throws {
        let events = [
            Self.janTokens,
            Self.tokens("999", at: Self.day(1, 15, 13), id: "evt_john_jan"),  // duplicate id 1 h later
            Self.tokens("999", at: Self.day(1, 16), customer: "cus_nobody"),
            Self.tokens("999", at: Self.day(1, 20), receivedAt: Self.day(3, 2)),  // after until
        ]
        let outcome = try await Self.run(subscriptions: [Self.subscription()], events: events)
        #expect(outcome.invoices.map(\.total) == [10_000, 18_000, 10_000])
        #expect(outcome.usage.accepted == 1)
        #expect(outcome.usage.rejected == [.duplicateMeterEvent: 1, .customerNotFound: 1])
        #expect(outcome.usage.notReceived == 1)
    }

    /// A negative period total is billed as quantity 0 (Decisions 2): 3000 − 4000 = −1000 → quantity 0, amount 0.
    @Test func negativeUsageBillsZero() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2), subscriptions: [Self.subscription()], events: [Self.janTokens, Self.tokens("-4000", at: Self.day(1, 20))])
        let usage = try Self.line(try #require(outcome.invoices.last), item: "si_usage")
        #expect(usage.quantity == .zero)
        #expect(usage.amount == 0)
        #expect(outcome.invoices.last?.total == 10_000)
    }

    /// `last` and `count` meters through the engine, 100 ¢ per unit, all in January (billed Feb 1):
    /// seats (last): 5 at Jan 10, 7 at Jan 20 received first, then 9 at Jan 20 received later (tie → later received),
    ///   then 3 at Jan 12 received last (earlier timestamp: ignored) → 9 → 900.
    /// logins (count): 4 events, values ignored (one has none) → 4 → 400.
    @Test func lastAndCountMeters() async throws {
        let catalog = Catalog(
            meters: [Meter(id: "mtr_seats", eventName: "seats", formula: .last), Meter(id: "mtr_logins", eventName: "logins", formula: .count)],
            products: [Product(id: "prod", name: "Product")],
            prices: [
                Price(
                    id: "price_seats", product: "prod", currency: Self.usd, interval: BillingInterval(.month),
                    usageType: .metered(meter: "mtr_seats"),
                    scheme: .perUnit(unitAmount: ExactDecimal(100), transform: nil)),
                Price(
                    id: "price_logins", product: "prod", currency: Self.usd, interval: BillingInterval(.month),
                    usageType: .metered(meter: "mtr_logins"),
                    scheme: .perUnit(unitAmount: ExactDecimal(100), transform: nil)),
            ])
        func event(_ name: String, _ value: String?, at timestamp: Instant, receivedAt: Instant? = nil) -> MeterEvent {
            var payload = ["stripe_customer_id": "cus_john"]
            payload["value"] = value
            return MeterEvent(eventName: name, timestamp: timestamp, payload: payload, receivedAt: receivedAt)
        }
        let events = [
            event("seats", "5", at: Self.day(1, 10)),
            event("seats", "7", at: Self.day(1, 20)),
            event("seats", "9", at: Self.day(1, 20), receivedAt: Self.day(1, 20, 0, 1)),
            event("seats", "3", at: Self.day(1, 12), receivedAt: Self.day(1, 21)),
            event("logins", "1", at: Self.day(1, 2)), event("logins", "50", at: Self.day(1, 3)), event("logins", nil, at: Self.day(1, 4)),
            event("logins", "-2", at: Self.day(1, 5)),
        ]
        let outcome = try await Self.run(
            until: Self.day(2, 2),
            subscriptions: [
                Self.subscription(items: [
                    SubscriptionItem(id: "si_seats", price: "price_seats"), SubscriptionItem(id: "si_logins", price: "price_logins"),
                ])
            ], events: events, catalog: catalog)
        #expect(outcome.usage.accepted == 8)
        let renewal = try #require(outcome.invoices.first)
        #expect(renewal.lines.map(\.subscriptionItem) == ["si_seats", "si_logins"])
        #expect(renewal.lines.map(\.quantity) == [ExactDecimal(9), ExactDecimal(4)])
        #expect(renewal.lines.map(\.amount) == [900, 400])
    }

    /// Package pricing on a metered line keeps both quantities (Decisions 10): 3000 tokens, 4 ¢ per 100, round up
    /// → line quantity 3000, transformed 30, amount 120 (§4.4 Hypernian pay-as-you-go).
    @Test func meteredPackageLineKeepsBothQuantities() async throws {
        let catalog = Catalog(
            meters: Self.catalog.meters, products: Self.catalog.products,
            prices: [
                Price(
                    id: "price_payg", product: "prod_usage", currency: Self.usd, interval: BillingInterval(.month),
                    usageType: .metered(meter: "mtr_tokens"),
                    scheme: .perUnit(unitAmount: ExactDecimal(4), transform: TransformQuantity(divideBy: 100, roundUp: true)))
            ])
        let outcome = try await Self.run(
            until: Self.day(2, 2), subscriptions: [Self.subscription(items: [SubscriptionItem(id: "si_payg", price: "price_payg")])], catalog: catalog
        )
        let line = try #require(outcome.invoices.first?.lines.first)
        #expect(line.quantity == ExactDecimal(3000))
        #expect(line.transformedQuantity == ExactDecimal(30))
        #expect(line.amount == 120)
    }

    /// Several drafts finalizing at the same instant are finalized in creation order, so a customer credit goes to
    /// the earliest invoice (the engine schedules with a FIFO `order` tie-breaker for this).
    /// Six license-only subscriptions (10000 each), balance −65000: the six first invoices (in_0001…in_0006, finalized
    /// at once, in order) consume 60000 and leave −5000. The six renewals (in_0007…in_0012) all finalize Feb 1 01:00; in creation order
    /// in_0007 takes the −5000 (amount_due 5000), the five others start at 0.
    @Test func sameInstantFinalizationsInCreationOrder() async throws {
        let subscriptions = (1...6).map { index in
            Self.subscription("sub_\(index)", items: [SubscriptionItem(id: "si_\(index)", price: "price_license")])
        }
        let outcome = try await Self.run(until: Self.day(2, 2), customers: [Self.john(balance: -65_000)], subscriptions: subscriptions, events: [])
        #expect(outcome.invoices.count == 12)
        // First invoices: starting balances −65000, −55000, …, −15000; each fully covered (amount_due 0).
        #expect(outcome.invoices.prefix(6).map(\.startingBalance) == [-65_000, -55_000, -45_000, -35_000, -25_000, -15_000])
        #expect(outcome.invoices.prefix(6).map(\.amountDue) == [0, 0, 0, 0, 0, 0])
        #expect(outcome.invoices.suffix(6).map(\.startingBalance) == [-5000, 0, 0, 0, 0, 0])
        // Whatever the order, the credit is applied exactly once.
        #expect(outcome.invoices.suffix(6).map(\.startingBalance).reduce(0, +) == -5000)
    }

    // MARK: Preview

    /// ENGINE-RULES "Preview" at Jan 20: the next renewal as if now: usage [Jan 1, Feb 1) so far (3000 → 8000) +
    /// license [Feb 1, Mar 1) 10000 = 18000; `upcoming`, draft, id upcoming_sub_john. Tokens reported after the
    /// preview (1000 on Jan 25) are not in it but are on in_0002: 4000 → 3000 × 4 = 12000.
    @Test func previewInvoice() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2), subscriptions: [Self.subscription()],
            timeline: [TimelineEntry(at: Self.day(1, 20), action: .previewInvoice(subscription: "sub_john", name: "jan_preview"))],
            events: [Self.janTokens, Self.tokens("1000", at: Self.day(1, 25))])
        let preview = try #require(outcome.previews["jan_preview"])
        #expect(preview.id == "upcoming_sub_john")
        #expect(preview.billingReason == .upcoming)
        #expect(preview.status == .draft)
        #expect(preview.customer == "cus_john")
        #expect(preview.subscription == "sub_john")
        #expect(preview.lines.map(\.subscriptionItem) == ["si_usage", "si_license"])
        #expect(preview.lines.map(\.amount) == [8000, 10_000])
        #expect(preview.lines[0].quantity == ExactDecimal(3000))
        #expect(preview.lines[0].period == Self.period(Self.day(1, 1), Self.day(2, 1)))
        #expect(preview.lines[1].period == Self.period(Self.day(2, 1), Self.day(3, 1)))
        #expect(preview.total == 18_000)
        #expect(preview.amountDue == 18_000)
        #expect(preview.finalizedAt == nil)
        // Previews are not invoices: numbering is unaffected.
        #expect(outcome.invoices.map(\.id) == ["in_0001", "in_0002"])
        #expect(outcome.invoices.last?.total == 22_000)
        #expect(outcome.invoices.last?.lines.first?.amount == 12_000)
    }

    /// The preview applies the customer balance to amount_due: balance −5000 (credit), and the first invoice
    /// (10000) already consumed 10000 of an initial −15000. Preview at Jan 20: 18000 − 5000 = 13000.
    @Test func previewAppliesBalance() async throws {
        let outcome = try await Self.run(
            until: Self.day(1, 21), customers: [Self.john(balance: -15_000)], subscriptions: [Self.subscription()],
            timeline: [TimelineEntry(at: Self.day(1, 20), action: .previewInvoice(subscription: "sub_john", name: "p"))])
        let preview = try #require(outcome.previews["p"])
        #expect(preview.startingBalance == -5000)
        #expect(preview.total == 18_000)
        #expect(preview.amountDue == 13_000)
    }

    // MARK: Cancellation

    /// Cancel Jan 16 12:00 with invoice_now + prorate. January has 31 days; 15.5 remain = half the period.
    /// in_0002 (subscription_update, created Jan 16 12:00, period [Jan 1, Jan 16 12:00)):
    ///   usage [Jan 1, Jan 16 12:00) = 3000 (Jan 15 12:00) → 8000;
    ///   credit −10000 × 15.5/31 = −5000, proration, period [Jan 16 12:00, Feb 1).
    ///   total 3000, finalized and paid at once. No renewal afterwards.
    @Test func cancelInvoiceNowProrate() async throws {
        let cancelAt = Self.day(1, 16, 12)
        let outcome = try await Self.run(
            subscriptions: [Self.subscription()],
            timeline: [TimelineEntry(at: cancelAt, action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: true))],
            events: [Self.janTokens, Self.tokens("700", at: Self.day(1, 20), id: "evt_after_cancel")])
        #expect(outcome.invoices.map(\.id) == ["in_0001", "in_0002"])
        let final = try #require(outcome.invoices.last)
        #expect(final.billingReason == .subscriptionUpdate)
        #expect(final.created == cancelAt)
        #expect(final.periodStart == Self.day(1, 1))
        #expect(final.periodEnd == cancelAt)
        #expect(final.lines.count == 2)
        let usage = try Self.line(final, item: "si_usage")
        #expect(usage.quantity == ExactDecimal(3000))
        #expect(usage.amount == 8000)
        #expect(usage.period == Self.period(Self.day(1, 1), cancelAt))
        let credit = try Self.line(final, item: "si_license", proration: true)
        #expect(credit.amount == -5000)
        #expect(credit.quantity == ExactDecimal(1))
        #expect(credit.period == Self.period(cancelAt, Self.day(2, 1)))
        // Usage before prorations (Decisions 9).
        #expect(final.lines.map(\.proration) == [false, true])
        #expect(final.total == 3000)
        #expect(final.status == .paid)
        #expect(final.finalizedAt == cancelAt)
    }

    /// A credit that is not a round fraction: cancel Jan 17 00:00 → 15 of 31 days remain; −10000 × 15/31 = −4838.709… → −4839.
    /// Usage [Jan 1, Jan 17) = 3000 → 8000; total 8000 − 4839 = 3161.
    @Test func cancelProrationRoundsHalfAwayOncePerLine() async throws {
        let outcome = try await Self.run(
            subscriptions: [Self.subscription()],
            timeline: [TimelineEntry(at: Self.day(1, 17), action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: true))])
        let final = try #require(outcome.invoices.last)
        #expect(try Self.line(final, item: "si_license", proration: true).amount == -4839)
        #expect(final.total == 3161)
    }

    /// invoice_now without prorate: only the usage line (8000), no credit.
    @Test func cancelInvoiceNowWithoutProrate() async throws {
        let outcome = try await Self.run(
            subscriptions: [Self.subscription()],
            timeline: [
                TimelineEntry(at: Self.day(1, 16, 12), action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: false))
            ])
        #expect(outcome.invoices.map(\.total) == [10_000, 8000])
        #expect(outcome.invoices.last?.lines.map(\.subscriptionItem) == ["si_usage"])
    }

    /// Neither invoice_now nor prorate: the period's usage is discarded, no invoice, no credit.
    @Test func cancelWithoutInvoice() async throws {
        let outcome = try await Self.run(
            subscriptions: [Self.subscription()],
            timeline: [
                TimelineEntry(at: Self.day(1, 16, 12), action: .cancelSubscription(subscription: "sub_john", invoiceNow: false, prorate: false))
            ])
        #expect(outcome.invoices.map(\.id) == ["in_0001"])
    }

    /// prorate without invoice_now puts the credit (−5000) on the customer balance; a second subscription created
    /// Feb 1 (license only, 10000) sees it: starting_balance −5000, amount_due 5000, ending_balance 0.
    @Test func cancelProrateCreditsBalance() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2),
            subscriptions: [
                Self.subscription(),
                Self.subscription("sub_two", created: Self.day(2, 1), items: [SubscriptionItem(id: "si_two", price: "price_license")]),
            ],
            timeline: [
                TimelineEntry(at: Self.day(1, 16, 12), action: .cancelSubscription(subscription: "sub_john", invoiceNow: false, prorate: true))
            ])
        #expect(outcome.invoices.map(\.id) == ["in_0001", "in_0002"])
        let second = try #require(outcome.invoices.last)
        #expect(second.subscription == "sub_two")
        #expect(second.total == 10_000)
        #expect(second.startingBalance == -5000)
        #expect(second.amountDue == 5000)
        #expect(second.endingBalance == 0)
        #expect(second.status == .paid)
    }

    /// Cancel during a renewal's grace (Feb 1 00:30) without invoice_now: the draft in_0002 stays a draft
    /// (Stripe turns auto-advance off); nothing more is invoiced.
    @Test func cancelDuringGraceFreezesDraft() async throws {
        let outcome = try await Self.run(
            subscriptions: [Self.subscription()],
            timeline: [
                TimelineEntry(at: Self.day(2, 1, 0, 30), action: .cancelSubscription(subscription: "sub_john", invoiceNow: false, prorate: false))
            ])
        #expect(outcome.invoices.map(\.id) == ["in_0001", "in_0002"])
        let draft = try #require(outcome.invoices.last)
        #expect(draft.status == .draft)
        #expect(draft.finalizedAt == nil)
        #expect(draft.total == 18_000)
        #expect(draft.amountDue == 18_000)
        #expect(draft.endingBalance == nil)
    }

    // MARK: Collection and balance

    /// send_invoice with days_until_due 14: the first invoice is finalized 1 h after creation (Jan 1 01:00), stays
    /// open (no automatic charge) with due_date = Jan 1 01:00 + 14 d = Jan 15 01:00. The renewal is finalized
    /// after the grace, Feb 1 01:00, due Feb 15 01:00.
    @Test func sendInvoiceDueDate() async throws {
        let outcome = try await Self.run(until: Self.day(2, 2), subscriptions: [Self.subscription(collection: .sendInvoice, daysUntilDue: 14)])
        #expect(outcome.invoices.map(\.status) == [.open, .open])
        #expect(outcome.invoices.map(\.collectionMethod) == [.sendInvoice, .sendInvoice])
        #expect(outcome.invoices.map(\.finalizedAt) == [Self.day(1, 1, 1), Self.day(2, 1, 1)])
        #expect(outcome.invoices.map(\.dueDate) == [Self.day(1, 15, 1), Self.day(2, 15, 1)])
        #expect(outcome.invoices.map(\.paidAt) == [nil, nil])
        #expect(outcome.invoices.map(\.amountRemaining) == [10_000, 18_000])
        #expect(outcome.invoices.map(\.amountPaid) == [0, 0])
    }

    /// Default days_until_due is 30: Jan 1 01:00 + 30 d = Jan 31 01:00.
    @Test func sendInvoiceDefaultDueDate() async throws {
        let outcome = try await Self.run(until: Self.day(1, 2), subscriptions: [Self.subscription(collection: .sendInvoice)])
        #expect(outcome.invoices.map(\.dueDate) == [Self.day(1, 31, 1)])
    }

    /// send_invoice: the first invoice is still a draft before its hour is up.
    @Test func sendInvoiceDraftBeforeFinalization() async throws {
        let outcome = try await Self.run(until: Self.day(1, 1, 0, 59, 59), subscriptions: [Self.subscription(collection: .sendInvoice)])
        #expect(outcome.invoices.map(\.status) == [.draft])
        #expect(outcome.invoices.first?.dueDate == nil)
    }

    /// charge_automatically without a payment method: the first invoice is finalized at once and stays open (nothing to
    /// charge); 23 hours later the subscription expires and the invoice is voided (§5.11).
    @Test func noPaymentMethodFirstInvoiceExpires() async throws {
        let outcome = try await Self.run(until: Self.day(2, 2), customers: [Self.john(paymentMethod: nil)], subscriptions: [Self.subscription()])
        // §5.11: open at creation (nothing to charge), void 23 hours later, and no Feb 1 renewal.
        #expect(outcome.invoices.map(\.status) == [.void])
        #expect(outcome.invoices.map(\.finalizedAt) == [Self.day(1, 1)])
        #expect(outcome.invoices.map(\.paidAt) == [nil])
        #expect(outcome.invoices.map(\.amountPaid) == [0])
    }

    /// Before its 23 hours are up, the incomplete subscription's first invoice is still open.
    @Test func noPaymentMethodFirstInvoiceOpenForTwentyThreeHours() async throws {
        let outcome = try await Self.run(
            until: Self.day(1, 1, 22, 59, 59), customers: [Self.john(paymentMethod: nil)], subscriptions: [Self.subscription()])
        #expect(outcome.invoices.map(\.status) == [.open])
        #expect(outcome.invoices.map(\.amountRemaining) == [10_000])
    }

    /// The expired invoice gives back the credit it used: balance −3000, first invoice 10000 → starting −3000, amount_due
    /// 7000, open; voided Jan 1 23:00 → the balance is −3000 again, as a second subscription created Jan 5 (license only)
    /// shows at noon: its first invoice starts at −3000 (10000 − 3000 = 7000 due), still open.
    @Test func expiredFirstInvoiceGivesTheBalanceBack() async throws {
        let license = [SubscriptionItem(id: "si_license", price: "price_license")]
        let outcome = try await Self.run(
            until: Self.day(1, 5, 12), customers: [Self.john(balance: -3000, paymentMethod: nil)],
            subscriptions: [Self.subscription(items: license), Self.subscription("sub_again", created: Self.day(1, 5), items: license)], events: [])
        #expect(outcome.invoices.map(\.status) == [.void, .open])
        #expect(outcome.invoices.map(\.startingBalance) == [-3000, -3000])
        #expect(outcome.invoices.map(\.amountDue) == [7000, 7000])
    }

    /// An incomplete subscription does not renew: a stub to Jan 1 12:00 (anchor), no payment method: the stub invoice is
    /// open, no renewal at 12:00 (nothing was paid), void at 23:00.
    @Test func incompleteSubscriptionDoesNotRenew() async throws {
        let outcome = try await Self.run(
            until: Self.day(1, 2), customers: [Self.john(paymentMethod: nil)],
            subscriptions: [Self.subscription(anchor: Self.day(1, 1, 12), items: [SubscriptionItem(id: "si_license", price: "price_license")])],
            events: [])
        #expect(outcome.invoices.map(\.billingReason) == [.subscriptionCreate])
        #expect(outcome.invoices.map(\.status) == [.void])
    }

    /// §5.11 "Subscriptions that need no payment at creation (… a 0 total) are active immediately": classic, the usage
    /// price only, a debit balance of 100 and no payment method: the first invoice totals 0 but is due 100 and stays
    /// open; the subscription is active and renews Feb 1 (1500 tokens -> 500 × 4 = 2000, balance 0 by then: due 2000).
    @Test func zeroTotalFirstInvoiceIsActiveDespiteADebit() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2), customers: [Self.john(balance: 100, paymentMethod: nil)],
            subscriptions: [Self.subscription(mode: .classic, items: [SubscriptionItem(id: "si_usage", price: "price_usage")])],
            events: [Self.tokens("1500", at: Self.day(1, 10))])
        #expect(outcome.invoices.map(\.status) == [.open, .open])
        #expect(outcome.invoices.map(\.total) == [0, 2000])
        #expect(outcome.invoices.map(\.amountDue) == [100, 2000])
    }

    /// Canceling an incomplete subscription ends it as an expiry would: the unpaid first invoice is voided, the credit it
    /// used (−3000) is given back, and neither invoice_now nor prorate invoice or credit anything (nothing was paid).
    /// A second subscription created later starts from the −3000 credit.
    @Test func cancelWhileIncompleteEndsItLikeAnExpiry() async throws {
        let license = [SubscriptionItem(id: "si_license", price: "price_license")]
        let outcome = try await Self.run(
            until: Self.day(1, 5, 12), customers: [Self.john(balance: -3000, paymentMethod: nil)],
            subscriptions: [Self.subscription(items: license), Self.subscription("sub_again", created: Self.day(1, 5), items: license)],
            timeline: [TimelineEntry(at: Self.day(1, 1, 10), action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: true))],
            events: [])
        #expect(outcome.invoices.map(\.subscription) == ["sub_john", "sub_again"])
        #expect(outcome.invoices.map(\.status) == [.void, .open])
        #expect(outcome.invoices.map(\.startingBalance) == [-3000, -3000])
    }

    /// An incomplete subscription has no upcoming renewal to preview.
    @Test func previewOfAnIncompleteSubscriptionSaysWhy() async throws {
        let error = await #expect(throws: EngineError.self) {
            _ = try await Self.run(
                until: Self.day(1, 2), customers: [Self.john(paymentMethod: nil)], subscriptions: [Self.subscription()],
                timeline: [TimelineEntry(at: Self.day(1, 1, 6), action: .previewInvoice(subscription: "sub_john", name: "p"))])
        }
        #expect(error?.message.contains("not active (incomplete: its first invoice is unpaid)") == true, "\(String(describing: error))")
    }

    /// A subscription that ended as incomplete_expired cannot be canceled, and says why.
    @Test func cancelAfterExpiryExplains() async throws {
        await #expect(throws: EngineError.self) {
            _ = try await Self.run(
                until: Self.day(1, 3), customers: [Self.john(paymentMethod: nil)], subscriptions: [Self.subscription()],
                timeline: [
                    TimelineEntry(at: Self.day(1, 2), action: .cancelSubscription(subscription: "sub_john", invoiceNow: false, prorate: false))
                ])
        }
    }

    /// Customer balance −15000 (credit), no payment method:
    /// in_0001: total 10000, starting −15000 → amount_due max(0, −5000) = 0 → paid (nothing to charge);
    ///          ending_balance min(0, −5000) = −5000 stays on the customer.
    /// in_0002: total 18000, starting −5000 → amount_due 13000, ending 0; no card → open.
    @Test func customerBalanceCredit() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2), customers: [Self.john(balance: -15_000, paymentMethod: nil)], subscriptions: [Self.subscription()])
        try #require(outcome.invoices.count == 2)
        let (first, second) = (outcome.invoices[0], outcome.invoices[1])
        #expect(first.startingBalance == -15_000)
        #expect(first.amountDue == 0)
        #expect(first.endingBalance == -5000)
        #expect(first.status == .paid)
        #expect(first.paidAt == Self.day(1, 1))
        #expect(second.startingBalance == -5000)
        #expect(second.amountDue == 13_000)
        #expect(second.endingBalance == 0)
        #expect(second.status == .open)
        #expect(second.amountRemaining == 13_000)
    }

    /// A positive balance (a debit of 250) is added to the next invoice: 10000 + 250 = 10250, then cleared.
    @Test func customerBalanceDebit() async throws {
        let outcome = try await Self.run(until: Self.day(2, 2), customers: [Self.john(balance: 250)], subscriptions: [Self.subscription()])
        #expect(outcome.invoices.map(\.amountDue) == [10_250, 18_000])
        #expect(outcome.invoices.map(\.startingBalance) == [250, 0])
        #expect(outcome.invoices.map(\.endingBalance) == [0, 0])
    }

    // MARK: Ids, order, anchors and backdating

    /// Invoices are numbered in creation order across the run; at one instant, subscriptions in scenario order.
    /// sub_b (listed first) and sub_a both start Jan 1: sub_b → in_0001, sub_a → in_0002; renewals Feb 1 → in_0003 (sub_b),
    /// in_0004 (sub_a). Line ids carry the invoice number.
    @Test func invoiceIdsInCreationOrder() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2),
            subscriptions: [
                Self.subscription("sub_b", items: [SubscriptionItem(id: "si_b", price: "price_license", quantity: 2)]),
                Self.subscription("sub_a", items: [SubscriptionItem(id: "si_a", price: "price_license", quantity: 3)]),
            ])
        #expect(outcome.invoices.map(\.id) == ["in_0001", "in_0002", "in_0003", "in_0004"])
        #expect(outcome.invoices.map(\.subscription) == ["sub_b", "sub_a", "sub_b", "sub_a"])
        // 2 × 10000 and 3 × 10000.
        #expect(outcome.invoices.map(\.total) == [20_000, 30_000, 20_000, 30_000])
        #expect(outcome.invoices.map { $0.lines.map(\.id) } == [["il_0001_01"], ["il_0002_01"], ["il_0003_01"], ["il_0004_01"]])
        #expect(outcome.invoices.map { $0.lines.first?.quantity } == [ExactDecimal(2), ExactDecimal(3), ExactDecimal(2), ExactDecimal(3)])
    }

    /// A future billing_cycle_anchor: created Jan 15, anchor Feb 1 (flexible). The first invoice prorates the stub
    /// [Jan 15, Feb 1): 17 of the full period [Jan 1, Feb 1)'s 31 days: 10000 × 17/31 = 5483.87… → 5484, proration.
    /// Then the Feb 1 renewal bills Jan 15–Feb 1 usage (3000 on Jan 15 12:00 → 8000) and a full license.
    @Test func futureAnchorProratesStub() async throws {
        let outcome = try await Self.run(
            start: Self.day(1, 15), until: Self.day(2, 2), subscriptions: [Self.subscription(created: Self.day(1, 15), anchor: Self.day(2, 1))])
        #expect(outcome.invoices.map(\.total) == [5484, 18_000])
        let stub = try #require(outcome.invoices.first?.lines.first)
        #expect(stub.proration)
        #expect(stub.period == Self.period(Self.day(1, 15), Self.day(2, 1)))
        #expect(outcome.invoices.last?.lines.first?.period == Self.period(Self.day(1, 15), Self.day(2, 1)))
    }

    /// §4.8 backdated metered, flexible: 100 GB in March, 150 GB in April, 100 pence per GB (10 GBP per 10 GB);
    /// created May 1, backdated to Mar 1. The first invoice has one line per past period: 10000 (March), 15000 (April).
    @Test func backdatedFlexibleSplitsPerPeriod() async throws {
        let outcome = try await Self.run(
            start: Self.day(3, 1), until: Self.day(5, 1, 2), customers: [Self.gbpCustomer], subscriptions: [Self.backdated(.flexible)],
            events: Self.gigabytes, catalog: Self.storageCatalog)
        let first = try #require(outcome.invoices.first)
        #expect(first.created == Self.day(5, 1))
        #expect(first.lines.map(\.amount) == [10_000, 15_000])
        #expect(first.lines.map(\.period) == [Self.period(Self.day(3, 1), Self.day(4, 1)), Self.period(Self.day(4, 1), Self.day(5, 1))])
        #expect(first.total == 25_000)
    }

    /// §4.8 backdated metered, classic: one line for all 250 GB = 25000, on the first renewal (Jun 1), whose metered
    /// line starts at the backdate (Mar 1). The first invoice (May 1) only has the zero metered line.
    @Test func backdatedClassicBillsOnFirstRenewal() async throws {
        let outcome = try await Self.run(
            start: Self.day(3, 1), until: Self.day(6, 1, 2), customers: [Self.gbpCustomer], subscriptions: [Self.backdated(.classic)],
            events: Self.gigabytes, catalog: Self.storageCatalog)
        #expect(outcome.invoices.map(\.total) == [0, 25_000])
        let renewal = try #require(outcome.invoices.last)
        #expect(renewal.lines.count == 1)
        #expect(renewal.lines.first?.quantity == ExactDecimal(250))
        #expect(renewal.lines.first?.period == Self.period(Self.day(3, 1), Self.day(6, 1)))
    }

    /// Backdated flexible with a licensed and a metered item: created May 1, backdated Mar 1 (anchor Mar 1). Periods
    /// [Mar 1, Apr 1) and [Apr 1, May 1) ended before `created`; one line per item and period, item order then period
    /// order, then the current period's license: license Mar 10000, license Apr 10000, usage Mar (0 tokens → 0),
    /// usage Apr (0 → 0), license [May 1, Jun 1) 10000 → 30000.
    @Test func backdatedFlexibleLineOrder() async throws {
        let outcome = try await Self.run(
            start: Self.day(3, 1), until: Self.day(5, 1, 2), subscriptions: [Self.subscription(created: Self.day(5, 1), backdate: Self.day(3, 1))],
            events: [])
        let first = try #require(outcome.invoices.first)
        #expect(first.lines.map(\.subscriptionItem) == ["si_license", "si_license", "si_usage", "si_usage", "si_license"])
        #expect(
            first.lines.map(\.period) == [
                Self.period(Self.day(3, 1), Self.day(4, 1)), Self.period(Self.day(4, 1), Self.day(5, 1)), Self.period(Self.day(3, 1), Self.day(4, 1)),
                Self.period(Self.day(4, 1), Self.day(5, 1)), Self.period(Self.day(5, 1), Self.day(6, 1)),
            ])
        #expect(first.lines.map(\.amount) == [10_000, 10_000, 0, 0, 10_000])
        #expect(first.lines.map(\.proration) == [false, false, false, false, false])
        #expect(first.total == 30_000)
    }

    /// Backdated classic licensed: created May 15, backdated Mar 1, anchor = created. Counted back from May 15:
    /// [Apr 15, May 15) and [Mar 15, Apr 15) are whole (2), then [Mar 1, Mar 15) is 14 days of [Feb 15, Mar 15)'s 28 = 0.5:
    /// 2.5 × 10000 = 25000, one proration line for [Mar 1, May 15); then the license for [May 15, Jun 15): 10000.
    /// The metered item gets its zero line. Total 35000. Line order (Decision 9: advance lines in item order, then
    /// prorations): license [May 15, Jun 15), usage zero line, then the backdated proration.
    @Test func backdatedClassicLicensedProration() async throws {
        let outcome = try await Self.run(
            start: Self.day(3, 1), until: Self.day(5, 15, 2),
            subscriptions: [Self.subscription(created: Self.day(5, 15), mode: .classic, backdate: Self.day(3, 1))], events: [])
        let first = try #require(outcome.invoices.first)
        let backdated = try Self.line(first, item: "si_license", proration: true)
        #expect(backdated.period == Self.period(Self.day(3, 1), Self.day(5, 15)))
        #expect(backdated.amount == 25_000)
        #expect(first.lines.map(\.subscriptionItem) == ["si_license", "si_usage", "si_license"])
        #expect(first.lines.map(\.proration) == [false, false, true])
        #expect(try Self.line(first, item: "si_license").period == Self.period(Self.day(5, 15), Self.day(6, 15)))
        #expect(try Self.line(first, item: "si_usage").amount == 0)
        #expect(first.total == 35_000)
    }

    static let gbp = Currency(code: "gbp")!
    static let gbpCustomer = Customer(id: "cus_john", currency: gbp, defaultPaymentMethod: "pm_card")
    static let storageCatalog = Catalog(
        meters: [Meter(id: "mtr_gb", eventName: "storage_gb", formula: .sum)], products: [Product(id: "prod_storage", name: "Storage")],
        prices: [
            Price(
                id: "price_gb", product: "prod_storage", currency: gbp, interval: BillingInterval(.month), usageType: .metered(meter: "mtr_gb"),
                scheme: .perUnit(unitAmount: ExactDecimal(100), transform: nil))
        ])
    static let gigabytes = [
        MeterEvent(eventName: "storage_gb", timestamp: day(3, 10), payload: ["stripe_customer_id": "cus_john", "value": "100"]),
        MeterEvent(eventName: "storage_gb", timestamp: day(4, 10), payload: ["stripe_customer_id": "cus_john", "value": "150"]),
    ]
    static func backdated(_ mode: BillingMode) -> Subscription {
        subscription(created: day(5, 1), mode: mode, backdate: day(3, 1), items: [SubscriptionItem(id: "si_gb", price: "price_gb")])
    }

    /// BILLING-SEMANTICS §5.2: classic, backdated, with a future billing_cycle_anchor: "the elapsed time appears as a
    /// prorated item on the *next* invoice" (the engine's own comment on `pending`: "Lines waiting for the next invoice").
    /// Created Jan 15, backdated Jan 1, anchor Feb 1, license 10000: the first invoice bills the stub [Jan 15, Feb 1)
    /// only (17/31 → 5484); the backdated [Jan 1, Jan 15) proration waits for the Feb 1 invoice.
    @Test func classicBackdateWithFutureAnchorWaitsForNextInvoice() async throws {
        let outcome = try await Self.run(
            until: Self.day(2, 2),
            subscriptions: [
                Self.subscription(
                    created: Self.day(1, 15), mode: .classic, backdate: Self.day(1, 1), anchor: Self.day(2, 1),
                    items: [SubscriptionItem(id: "si_license", price: "price_license")])
            ], events: [])
        try #require(outcome.invoices.count == 2)
        #expect(outcome.invoices[0].lines.map(\.period) == [Self.period(Self.day(1, 15), Self.day(2, 1))])
        #expect(outcome.invoices[1].lines.contains { $0.period == Self.period(Self.day(1, 1), Self.day(1, 15)) })
    }

    /// §5.2 holds the backdated time back only "with billing_cycle_anchor in the future": an anchor equal to
    /// `created` (Jan 15) changes nothing, so the backdated [Jan 1, Jan 15) is on the first invoice. Counted back
    /// from Jan 15, [Jan 1, Jan 15) is 14 days of the period [Dec 15, Jan 15) (31 days): 10000 × 14/31 =
    /// 4516.129… → 4516; plus the license [Jan 15, Feb 15) 10000 = 14516.
    @Test func classicBackdateWithAnchorAtCreationBillsAtOnce() async throws {
        let outcome = try await Self.run(
            until: Self.day(1, 16),
            subscriptions: [
                Self.subscription(
                    created: Self.day(1, 15), mode: .classic, backdate: Self.day(1, 1), anchor: Self.day(1, 15),
                    items: [SubscriptionItem(id: "si_license", price: "price_license")])
            ], events: [])
        let first = try #require(outcome.invoices.first)
        #expect(first.lines.map(\.period) == [Self.period(Self.day(1, 15), Self.day(2, 15)), Self.period(Self.day(1, 1), Self.day(1, 15))])
        #expect(first.lines.map(\.amount) == [10_000, 4516])
        #expect(first.total == 14_516)
    }

    /// §5.3: "A flexible subscription with only metered items becomes active with no invoice, unless it is
    /// backdated with usage". Storage (100 a GB) created May 1, backdated Mar 1: without usage no first invoice, and
    /// the Jun 1 renewal bills May's 0 GB; with the §4.8 usage (100 GB in March, 150 in April) the first invoice
    /// bills March 10000 and April 15000.
    @Test func flexibleMeteredOnlyBackdatedInvoicesOnlyWithUsage() async throws {
        let quiet = try await Self.run(
            start: Self.day(3, 1), until: Self.day(6, 1, 2), customers: [Self.gbpCustomer], subscriptions: [Self.backdated(.flexible)], events: [],
            catalog: Self.storageCatalog)
        #expect(quiet.invoices.map(\.billingReason) == [.subscriptionCycle])
        #expect(quiet.invoices.map(\.total) == [0])
        let used = try await Self.run(
            start: Self.day(3, 1), until: Self.day(5, 2), customers: [Self.gbpCustomer], subscriptions: [Self.backdated(.flexible)],
            events: Self.gigabytes, catalog: Self.storageCatalog)
        #expect(used.invoices.map(\.billingReason) == [.subscriptionCreate])
        #expect(used.invoices.first?.lines.map(\.amount) == [10_000, 15_000])
    }

    /// §5.2: "Backdating fails if the invoice would exceed 250 line items": a daily license backdated a year (flexible:
    /// one line per past day, 365, plus today's) stops the run with an error naming the subscription.
    @Test func backdatingPastTheLineLimitFails() async throws {
        let daily = Catalog(
            meters: [], products: [Product(id: "prod_day", name: "Day pass")],
            prices: [
                Price(
                    id: "price_day", product: "prod_day", currency: Self.usd, interval: BillingInterval(.day), usageType: .licensed,
                    scheme: .perUnit(unitAmount: ExactDecimal(100), transform: nil))
            ])
        let subscription = Self.subscription(
            created: Instant(year: 2027, month: 1, day: 1), backdate: Self.day(1, 1), items: [SubscriptionItem(id: "si_day", price: "price_day")])
        let error = await #expect(throws: EngineError.self) {
            _ = try await Self.run(
                start: Instant(year: 2027, month: 1, day: 1), until: Instant(year: 2027, month: 1, day: 2), subscriptions: [subscription], events: [],
                catalog: daily)
        }
        #expect(
            error?.message.contains("sub_john: backdating to 2026-01-01T00:00:00Z would put 366 lines on the first invoice") == true,
            "\(String(describing: error))")
        // Metered only and no usage: no first invoice at all (§5.3), so no limit to break.
        let meteredDaily = Catalog(
            meters: [Meter(id: "mtr_units", eventName: "units", formula: .sum)], products: [Product(id: "prod_units", name: "Units")],
            prices: [
                Price(
                    id: "price_units", product: "prod_units", currency: Self.usd, interval: BillingInterval(.day),
                    usageType: .metered(meter: "mtr_units"),
                    scheme: .perUnit(unitAmount: ExactDecimal(1), transform: nil))
            ])
        let quiet = try await Self.run(
            start: Instant(year: 2027, month: 1, day: 1), until: Instant(year: 2027, month: 1, day: 1, hour: 1),
            subscriptions: [
                Self.subscription(
                    created: Instant(year: 2027, month: 1, day: 1), backdate: Self.day(1, 1),
                    items: [SubscriptionItem(id: "si_units", price: "price_units")])
            ],
            events: [], catalog: meteredDaily)
        #expect(quiet.invoices.isEmpty)
    }

    /// §6.5: "If an invoice's amount due is below the minimum chargeable amount (0.50 USD or equivalent), the invoice is
    /// marked paid and the amount is moved to the balance as a debit". A metered price of 1 per unit (flexible, metered
    /// only: no first invoice): January 30 units -> the Feb 1 invoice totals 30, below 50: paid, amount_due 0, amount_paid
    /// 0, ending_balance +30. February 1000 units -> the Mar 1 invoice totals 1000, starts at +30: amount_due 1030, paid.
    /// A currency without a listed minimum (KES) charges the 30 as it is.
    @Test(arguments: [("usd", true), ("kes", false)])
    func amountsBelowTheMinimumChargeMoveToTheBalance(_ code: String, _ hasMinimum: Bool) async throws {
        let currency = try #require(Currency(code: code))
        let catalog = Catalog(
            meters: [Meter(id: "mtr_units", eventName: "units", formula: .sum)], products: [Product(id: "prod_units", name: "Units")],
            prices: [
                Price(
                    id: "price_unit", product: "prod_units", currency: currency, interval: BillingInterval(.month),
                    usageType: .metered(meter: "mtr_units"),
                    scheme: .perUnit(unitAmount: ExactDecimal(1), transform: nil))
            ])
        let units = { (value: String, at: Instant) in
            MeterEvent(eventName: "units", timestamp: at, payload: ["stripe_customer_id": "cus_john", "value": value])
        }
        let outcome = try await Self.run(
            customers: [Customer(id: "cus_john", currency: currency, defaultPaymentMethod: "pm_card_visa")],
            subscriptions: [Self.subscription(items: [SubscriptionItem(id: "si_units", price: "price_unit")])],
            events: [units("30", Self.day(1, 10)), units("1000", Self.day(2, 10))], catalog: catalog)
        try #require(outcome.invoices.count == 2)
        let (small, next) = (outcome.invoices[0], outcome.invoices[1])
        #expect(small.total == 30)
        #expect(small.status == .paid)
        #expect(small.isBelowMinimumCharge == hasMinimum)
        #expect(small.amountDue == (hasMinimum ? 0 : 30))
        #expect(small.amountPaid == (hasMinimum ? 0 : 30))
        #expect(small.endingBalance == (hasMinimum ? 30 : 0))
        #expect(next.startingBalance == (hasMinimum ? 30 : 0))
        #expect(next.amountDue == (hasMinimum ? 1030 : 1000))
        #expect(next.endingBalance == 0)
    }

    /// §5.3(4) credit prorations: "classic: credits use the item's current price"; "flexible: credits use the amount
    /// originally debited". License 10000, created Jan 15 with anchor Feb 1: the stub [Jan 15, Feb 1) is charged
    /// 10000 × 17/31 = 5483.87… → 5484 in both modes. Canceled Jan 15 01:00 with invoice_now and prorate, 407 of the
    /// stub's 408 hours are left:
    /// - flexible: −5484 × 407/408 = −5470.558… → −5471;
    /// - classic: −10000 × 407/744 (hours of [Jan 1, Feb 1)) = −5470.430… → −5470.
    @Test(arguments: [(BillingMode.flexible, Int64(-5471)), (BillingMode.classic, Int64(-5470))])
    func creditProrationsByBillingMode(_ mode: BillingMode, _ credit: Int64) async throws {
        let outcome = try await Self.run(
            until: Self.day(1, 16),
            subscriptions: [
                Self.subscription(
                    created: Self.day(1, 15), mode: mode, anchor: Self.day(2, 1), items: [SubscriptionItem(id: "si_license", price: "price_license")])
            ],
            timeline: [TimelineEntry(at: Self.day(1, 15, 1), action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: true))],
            events: [])
        #expect(outcome.invoices.map(\.total) == [5484, credit])
        #expect(outcome.invoices.last?.lines.map(\.period) == [Self.period(Self.day(1, 15, 1), Self.day(2, 1))])
    }
}
