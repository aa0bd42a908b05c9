import BillingCore
import Synchronization
import Testing

/// How the engine talks to its store: the work due at one instant asks for its usage in one
/// aggregation batch and saves its invoices in one batch, before the clock moves on; aggregates are
/// reused until more events reach the store.
@Suite("BillingEngine store batching")
struct EngineBatchingTests {
    /// A store that records each call (and its size) and forwards it to the in-memory store.
    final class RecordingStore: BillingStore {
        enum Call: Equatable, CustomStringConvertible {
            case ingest(Int)
            case aggregate([String])
            case save([String])

            var description: String {
                switch self {
                case .ingest(let count): "ingest(\(count))"
                case .aggregate(let customers): "aggregate(\(customers.joined(separator: ",")))"
                case .save(let ids): "save(\(ids.joined(separator: ",")))"
                }
            }
        }

        let inner = InMemoryBillingStore()
        let calls = Mutex<[Call]>([])

        func ingest(_ events: [RecordedMeterEvent]) async throws {
            calls.withLock { $0.append(.ingest(events.count)) }
            try await inner.ingest(events)
        }

        func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
            calls.withLock { $0.append(.aggregate(queries.map(\.customer))) }
            return try await inner.aggregate(queries)
        }

        func save(_ invoices: [Invoice]) async throws {
            calls.withLock { $0.append(.save(invoices.map { "\($0.id):\($0.status.rawValue)" })) }
            try await inner.save(invoices)
        }

        func invoices() async throws -> [Invoice] { try await inner.invoices() }
    }

    static let customers = ["cus_a", "cus_b", "cus_c"]

    static func subscription(_ customer: String) -> Subscription {
        Subscription(
            id: "sub_" + customer, customer: customer, created: EngineTests.day(1, 1),
            items: [
                SubscriptionItem(id: "si_license_" + customer, price: "price_license"),
                SubscriptionItem(id: "si_usage_" + customer, price: "price_usage"),
            ])
    }

    /// Three customers on the seed plan (flexible) from Jan 1, run to Feb 1 02:00:
    /// - Jan 1 00:00: three first invoices (license 10000 each), finalized and paid at once: one save of three.
    /// - a sends 3000 tokens on Jan 15, b 500 on Jan 20: both reach the store in one ingest before Feb 1's work.
    /// - Feb 1 00:00: three renewals ask for three January aggregates in one call; three drafts saved together.
    /// - Feb 1 00:30: b's late 1500 tokens (timestamp Jan 31 23:00) arrive in the grace: one ingest, which
    ///   invalidates the aggregates read at 00:00.
    /// - Feb 1 01:00: three finalizations ask again, in one call; three finalized invoices saved together.
    /// Amounts (graduated: 1000 free, then 4 each): a 3000 → 2000 × 4 = 8000; b 500 + 1500 = 2000 → 1000 × 4 = 4000;
    /// c nothing → 0. Renewal totals with February's license: 18000, 14000, 10000.
    @Test func oneInstantOneAggregationAndOneSave() async throws {
        let events = [
            EngineTests.tokens("3000", at: EngineTests.day(1, 15), id: "evt_a", customer: "cus_a"),
            EngineTests.tokens("500", at: EngineTests.day(1, 20), id: "evt_b", customer: "cus_b"),
            EngineTests.tokens("1500", at: EngineTests.day(1, 31, 23), id: "evt_b_late", receivedAt: EngineTests.day(2, 1, 0, 30), customer: "cus_b"),
        ]
        let store = RecordingStore()
        let simulation = Simulation(
            clockStart: EngineTests.day(1, 1), clockUntil: EngineTests.day(2, 1, 2), catalog: EngineTests.catalog,
            customers: Self.customers.map { Customer(id: $0, currency: EngineTests.usd, defaultPaymentMethod: "pm_card_visa") },
            subscriptions: Self.customers.map(Self.subscription))
        var source = ArrayMeterEventSource(events)
        let outcome = try await BillingEngine(simulation: simulation, store: store).run(events: &source)

        #expect(outcome.invoices.map(\.total) == [10_000, 10_000, 10_000, 18_000, 14_000, 10_000])
        #expect(outcome.invoices.map(\.status) == Array(repeating: .paid, count: 6))
        #expect(
            store.calls.withLock { $0 } == [
                .save(["in_0001:paid", "in_0002:paid", "in_0003:paid"]),
                .ingest(2),
                .aggregate(Self.customers),
                .save(["in_0004:draft", "in_0005:draft", "in_0006:draft"]),
                .ingest(1),
                .aggregate(Self.customers),
                .save(["in_0004:paid", "in_0005:paid", "in_0006:paid"]),
            ])
    }

    /// Without events between a renewal and its finalization, the finalization reuses the renewal's
    /// aggregate: the seed (one customer, 3000 tokens in January) asks the store once per month.
    @Test func finalizationReusesTheRenewalsAggregate() async throws {
        let store = RecordingStore()
        let simulation = Simulation(
            clockStart: EngineTests.day(1, 1), clockUntil: EngineTests.day(3, 1, 2), catalog: EngineTests.catalog, customers: [EngineTests.john()],
            subscriptions: [EngineTests.subscription()])
        var source = ArrayMeterEventSource([EngineTests.janTokens])
        let outcome = try await BillingEngine(simulation: simulation, store: store).run(events: &source)
        // Flexible seed: 10000 on Jan 1; 8000 + 10000 on Feb 1; 0 + 10000 on Mar 1.
        #expect(outcome.invoices.map(\.total) == [10_000, 18_000, 10_000])
        let calls = store.calls.withLock { $0 }
        #expect(calls.filter { if case .aggregate = $0 { true } else { false } }.count == 2, "\(calls)")
    }

    /// send_invoice, canceled Jan 16 12:00 with invoice_now (no proration): the cancel invoice's usage line
    /// [Jan 1, Jan 16 12:00) reads 3000 at the cancel, then 400 tokens stamped Jan 16 arrive at 12:30, inside
    /// the hour before its finalization. The finalization must read again: 3400 → 2400 × 4 = 9600 (not 8000).
    @Test func usageArrivingBeforeAFinalizationIsReadAgain() async throws {
        let cancelAt = EngineTests.day(1, 16, 12)
        let late = EngineTests.tokens("400", at: EngineTests.day(1, 16), id: "evt_late", receivedAt: EngineTests.day(1, 16, 12, 30))
        let outcome = try await EngineTests.run(
            until: EngineTests.day(1, 17), subscriptions: [EngineTests.subscription(collection: .sendInvoice)],
            timeline: [TimelineEntry(at: cancelAt, action: .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: false))],
            events: [EngineTests.janTokens, late])
        let final = try #require(outcome.invoices.last)
        #expect(final.billingReason == .subscriptionUpdate)
        #expect(final.finalizedAt == EngineTests.day(1, 16, 13))
        #expect(final.lines.map(\.quantity) == [ExactDecimal(3400)])
        #expect(final.total == 9600)
        #expect(outcome.usage.late == 0)
    }

    /// More invoices at one instant than ``BillingEngine/saveBatchSize`` are saved in batches of that size.
    @Test func largeInstantsAreSavedInChunks() async throws {
        let count = BillingEngine.saveBatchSize + 1
        let customers = (0..<count).map { "cus_\($0)" }
        let store = RecordingStore()
        let simulation = Simulation(
            clockStart: EngineTests.day(1, 1), clockUntil: EngineTests.day(1, 2), catalog: EngineTests.catalog,
            customers: customers.map { Customer(id: $0, currency: EngineTests.usd, defaultPaymentMethod: "pm_card_visa") },
            subscriptions: customers.map(Self.subscription))
        var source = ArrayMeterEventSource([])
        let outcome = try await BillingEngine(simulation: simulation, store: store).run(events: &source)
        #expect(outcome.invoices.count == count)
        let sizes = store.calls.withLock { $0 }.map { call -> Int in
            if case .save(let ids) = call { ids.count } else { -1 }
        }
        #expect(sizes == [BillingEngine.saveBatchSize, 1])
    }
}
