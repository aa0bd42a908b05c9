import BillingCore
import Synchronization
import Testing

/// Billing threshold checks (Docs/ENGINE-RULES.md, "Billing thresholds") are made from the engine's
/// running usage: a check that reaches nothing asks the store nothing, and events count from their
/// timestamp on, whatever their receipt.
///
/// Every subscription here is classic, from Jan 1, with one item on price_usage (graduated: the first
/// 1000 tokens free, then 4 cents each) and `amount_gte: 2000`: the amount so far is (usage − 1000) × 4
/// until a threshold invoice, so the threshold is reached at 1500 tokens.
@Suite("Billing threshold checks")
struct ThresholdCheckTests {
    static func subscription(_ customer: String) -> Subscription {
        Subscription(
            id: "sub_" + customer, customer: customer, created: EngineTests.day(1, 1), billingMode: .classic,
            items: [SubscriptionItem(id: "si_" + customer, price: "price_usage")], billingThresholds: BillingThresholds(amountGTE: 2000))
    }

    static func run(_ events: [MeterEvent], customers: [String], store: any BillingStore = InMemoryBillingStore()) async throws -> [Invoice] {
        let simulation = Simulation(
            clockStart: EngineTests.day(1, 1), clockUntil: EngineTests.day(1, 10), catalog: EngineTests.catalog,
            customers: customers.map { Customer(id: $0, currency: EngineTests.usd, defaultPaymentMethod: "pm_card_visa") },
            subscriptions: customers.map(Self.subscription))
        var source = ArrayMeterEventSource(events)
        return try await BillingEngine(simulation: simulation, store: store).run(events: &source).invoices
    }

    static func thresholdInvoices(_ invoices: [Invoice]) -> [(subscription: String, created: Instant, quantity: ExactDecimal, total: Int64)] {
        invoices.filter { $0.billingReason == .subscriptionThreshold }.map { ($0.subscription, $0.created, $0.lines[0].quantity, $0.total) }
    }

    /// 2,000 events of 1 token, one a minute from Jan 2 00:00 (event i, from 0, at minute i): 2,000
    /// checks. By hand: 1500 tokens (event 1,499, at minute 1,499) reach 2000 → a threshold invoice at
    /// minute 1,499 + 1 s, quantity 1500, (1500 − 1000) × 4 = 2000. Then the amount so far is
    /// rate(u) − rate(1500) = (u − 1500) × 4, 2000 at u = 2000: event 1,999 → a second one, quantity
    /// 500, 2000. The store is asked once per threshold invoice (its usage line; the second read of
    /// the check is cached), not once per check: before the running usage, this run made 2,000
    /// aggregations, one per receipt instant, each over the whole period so far (quadratic).
    @Test func checksThatReachNothingAskTheStoreNothing() async throws {
        let minute = TimeSpan(seconds: 60)
        let start = EngineTests.day(1, 2)
        let events = (0..<2_000).map { index in
            EngineTests.tokens("1", at: start + TimeSpan(seconds: minute.seconds * Int64(index)), id: "evt_\(index)")
        }
        let store = EngineBatchingTests.RecordingStore()
        let invoices = try await Self.run(events, customers: ["cus_john"], store: store)
        let thresholds = Self.thresholdInvoices(invoices)
        #expect(thresholds.map(\.created) == [start + TimeSpan(seconds: 1_499 * 60 + 1), start + TimeSpan(seconds: 1_999 * 60 + 1)])
        #expect(thresholds.map(\.quantity) == [ExactDecimal(1500), ExactDecimal(500)])
        #expect(thresholds.map(\.total) == [2000, 2000])
        let aggregations = store.calls.withLock { calls in calls.filter { if case .aggregate = $0 { true } else { false } }.count }
        #expect(aggregations == 2)
    }

    /// An event received at Jan 5 00:00:00 but timestamped 00:02:00 (in the event window's future)
    /// with 1600 tokens would reach the threshold ((1600 − 1000) × 4 = 2400) if it counted before its
    /// time. By hand: the check at 00:00:01 sees [Jan 1, 00:00:01): nothing. 1 token at 00:01:00 →
    /// the check at 00:01:01 sees 1 token: (1 − 1000 → 0). 1 token at 00:03:00 → the check at
    /// 00:03:01 sees 1 + 1600 + 1 = 1602 tokens: (1602 − 1000) × 4 = 2408 ≥ 2000, a threshold invoice then.
    @Test func eventsTimestampedAheadCountFromTheirTimestamp() async throws {
        let events = [
            EngineTests.tokens("1600", at: EngineTests.day(1, 5, 0, 2), id: "evt_ahead", receivedAt: EngineTests.day(1, 5)),
            EngineTests.tokens("1", at: EngineTests.day(1, 5, 0, 1), id: "evt_1"),
            EngineTests.tokens("1", at: EngineTests.day(1, 5, 0, 3), id: "evt_3"),
        ]
        let thresholds = Self.thresholdInvoices(try await Self.run(events, customers: ["cus_john"]))
        #expect(thresholds.count == 1)
        #expect(thresholds.first?.created == EngineTests.day(1, 5, 0, 3, 1))
        #expect(thresholds.first?.quantity == ExactDecimal(1602))
        #expect(thresholds.first?.total == 2408)
    }

    /// Two watched customers, their events interleaved. By hand:
    /// - Jan 5 00:00:00: a 1400 (amount 1600), b 1499 (1996): the checks at 00:00:01 reach nothing.
    /// - 00:00:01: b 1 (b: 1500 → 2000) and a 99 timestamped 00:00:00 (received late: a 1499, 1996):
    ///   the checks at 00:00:02: b's reaches 2000 (an invoice, quantity 1500, created 00:00:02), a's not.
    /// - 00:00:05: a 1 (1500 → 2000): a's invoice at 00:00:06, quantity 1500. b's events never make a
    ///   check of a's, nor a's of b's.
    @Test func twoWatchedCustomersInterleaved() async throws {
        let events = [
            EngineTests.tokens("1400", at: EngineTests.day(1, 5), id: "evt_a1", customer: "cus_a"),
            EngineTests.tokens("1499", at: EngineTests.day(1, 5), id: "evt_b1", customer: "cus_b"),
            EngineTests.tokens("1", at: EngineTests.day(1, 5, 0, 0, 1), id: "evt_b2", customer: "cus_b"),
            EngineTests.tokens("99", at: EngineTests.day(1, 5), id: "evt_a2", receivedAt: EngineTests.day(1, 5, 0, 0, 1), customer: "cus_a"),
            EngineTests.tokens("1", at: EngineTests.day(1, 5, 0, 0, 5), id: "evt_a3", customer: "cus_a"),
        ]
        let thresholds = Self.thresholdInvoices(try await Self.run(events, customers: ["cus_a", "cus_b"]))
        #expect(thresholds.map(\.subscription) == ["sub_cus_b", "sub_cus_a"])
        #expect(thresholds.map(\.created) == [EngineTests.day(1, 5, 0, 0, 2), EngineTests.day(1, 5, 0, 0, 6)])
        #expect(thresholds.map(\.quantity) == [ExactDecimal(1500), ExactDecimal(1500)])
        #expect(thresholds.map(\.total) == [2000, 2000])
    }
}
