import BillingCore
import Testing

/// The in-memory store files ingested events into their buckets in groups (every 131,072 events and
/// before each aggregation); what it aggregates must not depend on where a group ends.
struct InMemoryStoreFilingTests {
    static let january = Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 2, day: 1))

    static func event(key: Int, second: Int64, sequence: Int64, value: Int) -> RecordedMeterEvent {
        RecordedMeterEvent(
            meter: "mtr", customer: "cus_\(key)", key: key, timestamp: Instant(seconds: january.start.seconds + second), sequence: sequence,
            value: Decimal12(value), identifier: "evt_\(sequence)")
    }

    static func query(key: Int, _ formula: AggregationFormula) -> UsageQuery {
        UsageQuery(meter: "mtr", customer: "cus_\(key)", key: key, formula: formula, period: january)
    }

    /// 300,000 events over keys 0, 1, 2 (round robin, event i has value i % 7 and timestamp i seconds),
    /// ingested in batches of 50,000: filed after 150,000 (the threshold crossed inside the third
    /// batch), at the read after 200,000 and at the read after 300,000. Then key 2 gets one event timestamped before
    /// all of its others, with value 1,000, and one more with the latest timestamp of the month and
    /// value 9: the bucket, sorted before, must be sorted again.
    @Test func groupsDoNotChangeTheAggregates() async throws {
        let store = InMemoryBillingStore()
        var sequence: Int64 = 0
        for batch in 0..<6 {
            var events: [RecordedMeterEvent] = []
            for index in (batch * 50_000)..<((batch + 1) * 50_000) {
                sequence += 1
                events.append(Self.event(key: index % 3, second: Int64(index), sequence: sequence, value: index % 7))
            }
            try await store.ingest(events)
            if batch == 3 {
                // After 200,000 events: key 0 holds events 0, 3, …, 199,998.
                #expect(try await store.aggregate(Self.query(key: 0, .count)) == Decimal12(66_667))
            }
        }
        // By hand: among 21 consecutive i, the 7 with i ≡ k (mod 3) have every residue mod 7 once
        // (3 and 7 are coprime), so they add up to 0 + 1 + … + 6 = 21. 14,285 such runs cover
        // i < 299,985 (= 21 × 14,285, ≡ 0 mod 3 and mod 7), 299,985 per key; the last 15 are
        // i = 299,985 + j, j < 15, with i % 3 = j % 3 and i % 7 = j % 7: key 0 gets j = 0, 3, 6, 9, 12
        // (0 + 3 + 6 + 2 + 5 = 16), key 1 j = 1, 4, 7, 10, 13 (1 + 4 + 0 + 3 + 6 = 14), key 2
        // j = 2, 5, 8, 11, 14 (2 + 5 + 1 + 4 + 0 = 12).
        let results = try await store.aggregate([0, 1, 2].map { Self.query(key: $0, .sum) } + [Self.query(key: 2, .last)])
        #expect(Array(results.prefix(3)) == [Decimal12(300_001), Decimal12(299_999), Decimal12(299_997)])
        // Key 2's latest event is i = 299,999 (299,999 % 7 = 299,999 - 7 × 42,857 = 0).
        #expect(results[3] == Decimal12(0))
        try await store.ingest([
            Self.event(key: 2, second: 0, sequence: sequence + 1, value: 1000),
            Self.event(key: 2, second: 31 * 86_400 - 1, sequence: sequence + 2, value: 9),
        ])
        #expect(try await store.aggregate(Self.query(key: 2, .last)) == Decimal12(9))
        #expect(try await store.aggregate(Self.query(key: 2, .sum)) == Decimal12(299_997 + 1000 + 9))
        #expect(try await store.aggregate(Self.query(key: 2, .count)) == Decimal12(100_002))
    }

    /// A few events among many keys are filed by sorting them (not by a count over every key): key
    /// 5,000 exists from the first batch, then two batches of 3 events: key 4,999 value 1 at base + 5 s,
    /// key 7 value 2 at base, key 4,999 value 3 at base + 15 s, with base 10 s then 5 s (the second
    /// batch timestamped before the first: the bucket must be sorted again). By hand: key 4,999 has
    /// timestamps 15, 25, 10, 20: sum 1 + 3 + 1 + 3 = 8, count 4, latest (25 s) 3; key 7 sums 2 + 2 = 4.
    @Test func fewEventsAmongManyKeysAreSorted() async throws {
        let store = InMemoryBillingStore()
        try await store.ingest([Self.event(key: 5_000, second: 0, sequence: 1, value: 9)])
        #expect(try await store.aggregate(Self.query(key: 5_000, .sum)) == Decimal12(9))
        var sequence: Int64 = 1
        for base in [Int64(10), 5] {
            var events: [RecordedMeterEvent] = []
            for (key, value) in [(4_999, 1), (7, 2), (4_999, 3)] {
                sequence += 1
                events.append(Self.event(key: key, second: base + (key == 7 ? 0 : Int64(value) * 5), sequence: sequence, value: value))
            }
            try await store.ingest(events)
            _ = try await store.aggregate([Self.query(key: 7, .count)])
        }
        let results = try await store.aggregate([
            Self.query(key: 4_999, .sum), Self.query(key: 4_999, .count), Self.query(key: 4_999, .last), Self.query(key: 7, .sum),
        ])
        #expect(results == [Decimal12(8), Decimal12(4), Decimal12(3), Decimal12(4)])
    }
}
