import BillingCore
import BillingScenario
import Testing

/// Generated streams: seeded, deterministic, and shaped as their parameters say.
struct GeneratorTests {
    static let jan = Instant(year: 2026, month: 1, day: 1)
    static let feb = Instant(year: 2026, month: 2, day: 1)

    static func spec(arrivals: any ArrivalProcess, values: any ValueDistribution, customers: [String] = ["cus_a"], seed: UInt64 = 42) -> GeneratorSpec
    {
        GeneratorSpec(
            eventName: "tokens", customerKey: "stripe_customer_id", valueKey: "value", customers: customers, from: jan, to: feb,
            arrivals: arrivals, values: values, seed: seed, identifierPrefix: "gen0_")
    }

    static func drain(_ spec: GeneratorSpec) throws -> [MeterEvent] {
        var source = GeneratedEventSource(spec)
        var events: [MeterEvent] = []
        while let event = try source.next() { events.append(event) }
        return events
    }

    /// Constant arrivals every 1h from Jan 1 (inclusive) to Feb 1 (exclusive): 31 × 24 = 744 events per customer,
    /// interleaved by time, ties in customer order; identifiers are the prefix, the customer and its own count.
    @Test func constantArrivalsForTwoCustomers() throws {
        let events = try Self.drain(
            Self.spec(arrivals: ConstantArrivals(every: .hours(1)), values: ConstantValue(value: Decimal12(2)), customers: ["cus_a", "cus_b"]))
        #expect(events.count == 2 * 744)
        #expect(events[0].timestamp == Self.jan && events[0].payload["stripe_customer_id"] == "cus_a")
        #expect(events[1].timestamp == Self.jan && events[1].payload["stripe_customer_id"] == "cus_b")
        #expect(events.last?.timestamp == Self.feb - .hours(1))
        #expect(events.map(\.identifier) == (1...744).flatMap { ["gen0_cus_a_\($0)", "gen0_cus_b_\($0)"] })
        #expect(events.allSatisfy { $0.payload["value"] == "2" })
        #expect(zip(events, events.dropFirst()).allSatisfy { $0.arrival <= $1.arrival })
    }

    /// Same seed → the same stream; another seed → another one.
    @Test func poissonAndUniformAreSeeded() throws {
        let gap = try #require(PoissonArrivals.meanGap(rate: "12/h"))
        let spec = Self.spec(arrivals: PoissonArrivals(meanGap: gap), values: UniformValue(min: Decimal12(1), max: Decimal12(500), decimals: 0))
        let first = try Self.drain(spec)
        #expect(first == (try Self.drain(spec)))
        var other = spec
        other.seed = 43
        #expect(first != (try Self.drain(other)))
    }

    /// Each customer's events come from a source keyed by the seed and its id: adding a customer before
    /// it, or reordering the list, changes none of its events (arrival times, values, identifiers).
    @Test func aCustomersEventsDoNotDependOnTheOthers() throws {
        let gap = try #require(PoissonArrivals.meanGap(rate: "12/h"))
        func events(of customer: String, among customers: [String]) throws -> [MeterEvent] {
            let spec = Self.spec(
                arrivals: PoissonArrivals(meanGap: gap), values: UniformValue(min: Decimal12(1), max: Decimal12(500), decimals: 0),
                customers: customers)
            return try Self.drain(spec).filter { $0.payload["stripe_customer_id"] == customer }
        }
        let alone = try events(of: "cus_b", among: ["cus_b"])
        #expect(alone.count > 8000)
        #expect(try events(of: "cus_b", among: ["cus_a", "cus_b", "cus_c"]) == alone)
        #expect(try events(of: "cus_b", among: ["cus_c", "cus_b"]) == alone)
    }

    /// A Poisson stream at 12/h over 744 hours has mean 8928 events and standard deviation √8928 ≈ 94;
    /// ±5σ (±470) is a bound a correct generator never misses with this fixed seed. Gaps are
    /// non-negative and events stay inside [from, to).
    @Test func poissonRateIsRespected() throws {
        let gap = try #require(PoissonArrivals.meanGap(rate: "12/h"))
        #expect(gap == 300)
        let events = try Self.drain(Self.spec(arrivals: PoissonArrivals(meanGap: gap), values: ConstantValue(value: Decimal12(1))))
        #expect((8928 - 470...8928 + 470).contains(events.count))
        #expect(events.allSatisfy { $0.timestamp >= Self.jan && $0.timestamp < Self.feb })
    }

    /// Uniform whole numbers from 1 to 5: every value appears, none outside; with `decimals: 2` values sit on
    /// the 0.01 grid between min and max.
    @Test func uniformValuesStayOnTheirGrid() throws {
        let whole = try Self.drain(
            Self.spec(arrivals: ConstantArrivals(every: .minutes(10)), values: UniformValue(min: Decimal12(1), max: Decimal12(5), decimals: 0)))
        #expect(Set(whole.compactMap { $0.payload["value"] }) == ["1", "2", "3", "4", "5"])
        let cents = try Self.drain(
            Self.spec(arrivals: ConstantArrivals(every: .minutes(10)), values: UniformValue(min: Decimal12(0), max: Decimal12(1), decimals: 2)))
        for event in cents {
            let value = try #require(event.payload["value"].flatMap { Decimal12($0) })
            #expect(value >= Decimal12(0) && value <= Decimal12(1))
            #expect(value.units % 10_000_000_000 == 0)
        }
    }

    @Test(arguments: [("12/h", 300.0), ("1/s", 1.0), ("0.5/m", 120.0), ("2/d", 43_200.0)])
    func rates(text: String, gap: Double) {
        #expect(PoissonArrivals.meanGap(rate: text) == gap)
    }

    @Test(arguments: ["12", "12/x", "0/h", "-1/h", "a/h"])
    func invalidRates(text: String) {
        #expect(PoissonArrivals.meanGap(rate: text) == nil)
    }
}
