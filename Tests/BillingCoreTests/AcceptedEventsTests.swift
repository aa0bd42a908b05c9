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

    /// Units that fit in 63 bits stay in the entry, others go to the side array, at both edges and past them.
    @Test func entriesKeepEveryValue() {
        var wide: [Int128] = []
        let edge = Int128(Int64.max >> 1)
        let values: [Int128] = [0, -1, 1, edge, edge + 1, -edge - 1, -edge - 2, Int128(Int64.max), Int128(Int64.min), 10_000_000 * 1_000_000_000_000]
        let entries = values.map { UsageBuckets.Entry(timestamp: 0, sequence: 0, units: $0, wide: &wide) }
        #expect(entries.map { $0.units(in: wide) } == values)
        // In the entry: 0, -1, 1, 2⁶² − 1 and −2⁶²; the other five (2⁶², −2⁶² − 1, Int64's edges, ten million) aside.
        #expect(wide == [edge + 1, -edge - 2, Int128(Int64.max), Int128(Int64.min), 10_000_000 * 1_000_000_000_000])
    }

    /// Two batches with values too wide for an entry (ten million tokens: 10¹⁹ units) among small ones: the
    /// memory store keeps each batch's wide values apart from the other's. By hand, for the one customer:
    /// batch one 10,000,000 + 2 + 10,000,000 = 20,000,002, batch two 3 + 30,000,000 = 30,000,003; sum
    /// 50,000,005, count 5, last (latest timestamp, the fifth event) 30,000,000.
    @Test func wideValuesFromSeveralBatches() async throws {
        var validator = MeterEventValidator(catalog: Self.catalog, customers: ["cus_a"], window: EventWindow(past: .days(400)))
        let store = InMemoryBillingStore()
        var sequence: Int64 = 0
        for batchValues in [["10000000", "2", "10000000"], ["3", "30000000"]] {
            var batch = AcceptedEvents(keys: validator.keys)
            for value in batchValues {
                sequence += 1
                let event = MeterEvent(
                    eventName: "tokens", timestamp: Self.january.start + TimeSpan(seconds: sequence), identifier: "evt_\(sequence)",
                    payload: ["stripe_customer_id": "cus_a", "value": value])
                #expect(validator.check(event, receivedAt: Self.january.end, sequence: sequence, into: &batch) == nil)
            }
            #expect(batch.recorded.map(\.value) == batchValues.map { Decimal12(Int($0)!) })
            try await store.ingest(batch)
        }
        let key = try #require(validator.key(meter: "mtr_tokens", customer: "cus_a"))
        let queries = [AggregationFormula.sum, .count, .last].map {
            UsageQuery(meter: "mtr_tokens", customer: "cus_a", key: key, formula: $0, period: Self.january)
        }
        #expect(try await store.aggregate(queries) == [Decimal12(50_000_005), Decimal12(5), Decimal12(30_000_000)])
    }
}
