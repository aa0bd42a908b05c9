import Testing

@testable import BillingCore

/// ``BucketSums`` answers a `sum` only where it gives what summing the bucket's events one by one gives.
struct BucketSumsTests {
    /// A bucket of `count` events one second apart from t = 0, sequences 1…count, values from `value` (the units
    /// too wide for an entry in `wide`).
    static func bucket(_ count: Int, wide: inout [Int128], value: (Int) -> Int128) -> UsageBuckets.Bucket {
        UsageBuckets.Bucket(
            entries: (0..<count).map { UsageBuckets.Entry(timestamp: Int64($0), sequence: Int64($0 + 1), units: value($0), wide: &wide) })
    }

    static func query(key: Int, from start: Int64, to end: Int64) -> UsageQuery {
        UsageQuery(meter: "m", customer: "c", key: key, formula: .sum, period: Period(start: Instant(seconds: start), end: Instant(seconds: end)))
    }

    /// Every period over 0…300 (stride 64: within one block, across blocks, from and to block edges, empty) gives the
    /// events' sum, e.g. [10, 200) sums values 10…199 of value(i) = 3i − 250: 3 × (10 + … + 199) − 250 × 190
    /// = 3 × 19,855 − 47,500 = 12,065.
    @Test func everyPeriodSumsItsEvents() throws {
        var usage = UsageBuckets()
        usage.buckets = [Self.bucket(300, wide: &usage.wide) { Int128(3 * $0 - 250) }, Self.bucket(0, wide: &usage.wide) { _ in 0 }]
        let sums = BucketSums(usage)
        #expect(sums.sum(Self.query(key: 0, from: 10, to: 200), of: usage, receivedThrough: .max) == 12_065)
        for start in stride(from: Int64(0), through: 300, by: 7) {
            for end in stride(from: start, through: 300, by: 5) {
                let query = Self.query(key: 0, from: start, to: end)
                let expected = try usage.aggregate(query, receivedThrough: 300).units
                #expect(sums.sum(query, of: usage, receivedThrough: 300) == expected, "[\(start), \(end))")
            }
        }
        #expect(sums.sum(Self.query(key: 1, from: 0, to: 10), of: usage, receivedThrough: .max) == 0)
    }

    /// Events not all received by `receivedThrough` (299 of 300), an unknown key, or running sums near Int128's range
    /// (2¹²⁴ + 2¹²⁴ = 2¹²⁵ fits, a third passes the bound): no answer, the buckets sum event by event.
    @Test func noAnswerWhereItCouldDiffer() {
        var usage = UsageBuckets()
        usage.buckets = [
            Self.bucket(300, wide: &usage.wide) { Int128($0) }, Self.bucket(3, wide: &usage.wide) { _ in Int128(1) << 124 },
            Self.bucket(2, wide: &usage.wide) { _ in Int128(1) << 124 },
        ]
        let sums = BucketSums(usage)
        #expect(sums.sum(Self.query(key: 0, from: 0, to: 300), of: usage, receivedThrough: 299) == nil)
        #expect(sums.sum(Self.query(key: 0, from: 0, to: 300), of: usage, receivedThrough: 300) == 44_850)  // 0 + 1 + … + 299 = 299 × 300 ÷ 2
        #expect(sums.sum(Self.query(key: 3, from: 0, to: 300), of: usage, receivedThrough: .max) == nil)
        #expect(sums.sum(Self.query(key: 1, from: 0, to: 3), of: usage, receivedThrough: .max) == nil)
        #expect(sums.sum(Self.query(key: 2, from: 0, to: 2), of: usage, receivedThrough: .max) == Int128(1) << 125)
    }
}
