import Testing

@testable import BillingCore

/// The engine's compact batches of accepted events: what a store reads from them equals the events
/// accepted, whichever form it takes them in.
struct AcceptedEventsTests {
    static let catalog = Catalog(
        meters: [Meter(id: "mtr_tokens", eventName: "tokens", formula: .sum), Meter(id: "mtr_calls", eventName: "calls", formula: .count)],
        products: [], prices: [])
    static let january = Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 2, day: 1))

    /// Three events validated into a batch: each comes back as the `RecordedMeterEvent` it stands for
    /// (meter and customer ids from its key, identifier bytes as given or generated, value and sequence).
    @Test func eventsComeBackWithTheirIdsAndIdentifiers() throws {
        var validator = MeterEventValidator(catalog: Self.catalog, customers: ["cus_a", "cus_b"], window: EventWindow())
        var batch = AcceptedEvents(keys: validator.keys)
        let at = Self.january.start
        let long = "an_identifier_longer_than_sixteen_bytes_\u{E9}"
        let events = [
            MeterEvent(eventName: "tokens", timestamp: at, identifier: long, payload: ["stripe_customer_id": "cus_b", "value": "2.5"]),
            MeterEvent(eventName: "calls", timestamp: at, payload: ["stripe_customer_id": "cus_a"]),
            MeterEvent(eventName: "tokens", timestamp: at, identifier: "e", payload: ["stripe_customer_id": "cus_a", "value": "-4"]),
        ]
        for (index, event) in events.enumerated() {
            #expect(validator.check(event, receivedAt: at, sequence: Int64(index + 1), into: &batch) == nil)
        }
        #expect(batch.count == 3)
        let recorded = batch.recorded
        #expect(recorded.map(\.meter) == ["mtr_tokens", "mtr_calls", "mtr_tokens"])
        #expect(recorded.map(\.customer) == ["cus_b", "cus_a", "cus_a"])
        #expect(recorded.map(\.identifier) == [long, "mevt_generated_1", "e"])
        #expect(recorded.map(\.value) == [try #require(Decimal12("2.5")), Decimal12(1), Decimal12(-4)])
        #expect(recorded.map(\.sequence) == [1, 2, 3])
        #expect(
            recorded.map(\.key) == [
                validator.key(meter: "mtr_tokens", customer: "cus_b"), validator.key(meter: "mtr_calls", customer: "cus_a"),
                validator.key(meter: "mtr_tokens", customer: "cus_a"),
            ])
    }

    /// The memory store files a compact batch as it files the same events as `RecordedMeterEvent`s. By
    /// hand: 1,000 events, event i for customer i % 2 at second i with value i; customer 0 (even i)
    /// sums 0 + 2 + … + 998 = 249,500 over 500 events, customer 1 sums 1 + 3 + … + 999 = 250,000, and
    /// the last of each is its greatest i (998, 999).
    @Test func theMemoryStoreFilesBothFormsAlike() async throws {
        var validator = MeterEventValidator(catalog: Self.catalog, customers: ["cus_0", "cus_1"], window: EventWindow(past: .days(400)))
        var batch = AcceptedEvents(keys: validator.keys)
        let end = Self.january.end
        for index in 0..<1000 {
            let event = MeterEvent(
                eventName: "tokens", timestamp: Self.january.start + TimeSpan(seconds: Int64(index)), identifier: "evt_\(index)",
                payload: ["stripe_customer_id": "cus_\(index % 2)", "value": "\(index)"])
            #expect(validator.check(event, receivedAt: end, sequence: Int64(index + 1), into: &batch) == nil)
        }
        let (compact, recorded) = (InMemoryBillingStore(), InMemoryBillingStore())
        try await compact.ingest(batch)
        try await recorded.ingest(batch.recorded)
        var queries: [UsageQuery] = []
        for customer in ["cus_0", "cus_1"] {
            let key = try #require(validator.key(meter: "mtr_tokens", customer: customer))
            for formula in [AggregationFormula.sum, .count, .last] {
                queries.append(UsageQuery(meter: "mtr_tokens", customer: customer, key: key, formula: formula, period: Self.january))
            }
        }
        let expected = [249_500, 500, 998, 250_000, 500, 999].map { Decimal12($0) }
        #expect(try await compact.aggregate(queries) == expected)
        #expect(try await recorded.aggregate(queries) == expected)
    }
}
