import BillingCore
import BillingDocument
import BillingScenario
import Foundation
import Testing

/// `bursty` and `diurnal` arrivals: exact shapes, seeded per customer, and their parameter errors.
struct ArrivalShapeTests {
    /// A weekday profile of 48 weight units: at 10/h a weekday has 240 events, so hour h has 240 × w/48 = 5 × w.
    static let weekdays = "[0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 6, 5, 3, 5, 6, 4, 3, 2, 1, 0, 0, 0, 0, 0]"
    /// Weekends on the same scale: 2 units (10 events) in each hour from 10:00 to 13:59, 40 a day.
    static let weekends = "[0, 0, 0, 0, 0, 0, 0, 0, 0, 0, 2, 2, 2, 2, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0]"

    static func scenario(arrivals: String, customers: String = "cus_a, cus_b, cus_c", value: String = "{ kind: constant, value: \"1\" }") -> String {
        """
        name: shapes
        clock: { start: 2026-01-01, until: 2026-02-01 }
        meters:
          - { id: mtr_calls, display_name: Calls, event_name: calls, default_aggregation: { formula: sum } }
        customers:
        \(customers.split(separator: ",").map { "  - { id: \($0.trimmingCharacters(in: .whitespaces)), currency: usd }" }.joined(separator: "\n"))
        usage:
          - generate:
              event_name: calls
              customers: [\(customers)]
              from: 2026-01-01
              to: 2026-02-01
              arrivals: \(arrivals)
              value: \(value)
              seed: 11

        """
    }

    static func events(_ yaml: String) throws -> [MeterEvent] {
        var source = try UsageSources.open(try loaded(yaml).usage).get()
        var events: [MeterEvent] = []
        while let event = try source.next() { events.append(event) }
        return events
    }

    static func byCustomer(_ events: [MeterEvent]) -> [String: [Int64]] {
        Dictionary(grouping: events) { $0.payload["stripe_customer_id"] ?? "" }.mapValues { $0.map(\.timestamp.seconds) }
    }

    static let diurnal = "{ kind: diurnal, rate: 10/h, weekdays: \(weekdays), weekends: \(weekends) }"

    /// January 2026 starts on a Thursday: 22 weekdays and 9 weekend days (3-4, 10-11, 17-18, 24-25, 31).
    /// Every hour's share is a whole number of events, so each hour holds exactly its share: 5 × weight on a
    /// weekday, 10 from 10:00 to 13:59 on a weekend day, nothing elsewhere; 22 × 240 + 9 × 40 = 5640 a customer.
    @Test func diurnalHoursHoldExactlyTheirShare() throws {
        let weekdayWeights: [Int] = [0, 0, 0, 0, 0, 0, 1, 2, 4, 6, 6, 5, 3, 5, 6, 4, 3, 2, 1, 0, 0, 0, 0, 0]
        let perCustomer = Self.byCustomer(try Self.events(Self.scenario(arrivals: Self.diurnal)))
        #expect(perCustomer.keys.sorted() == ["cus_a", "cus_b", "cus_c"])
        let jan1 = Instant(year: 2026, month: 1, day: 1).seconds
        for (customer, seconds) in perCustomer {
            #expect(seconds.count == 5640, "\(customer)")
            #expect(Set(seconds).count == seconds.count, "at most one event a second")
            var perHour: [Int64: Int] = [:]
            for second in seconds { perHour[(second - jan1) / 3600, default: 0] += 1 }
            for hour in Int64(0)..<(31 * 24) {
                let day = Int(hour / 24) + 1
                let weekend = [3, 4, 10, 11, 17, 18, 24, 25, 31].contains(day)
                let clockHour = Int(hour % 24)
                let expected = weekend ? ((10...13).contains(clockHour) ? 10 : 0) : 5 * weekdayWeights[clockHour]
                #expect(perHour[hour, default: 0] == expected, "\(customer) day \(day) hour \(clockHour)")
            }
        }
    }

    /// Without `weekends`, Saturday and Sunday follow the weekday profile: 31 × 240 events.
    @Test func weekendsDefaultToTheWeekdayProfile() throws {
        let events = try Self.events(Self.scenario(arrivals: "{ kind: diurnal, rate: 10/h, weekdays: \(Self.weekdays) }", customers: "cus_a"))
        #expect(events.count == 31 * 240)
    }

    /// 120/h for 10 minutes, then 50 minutes off: every burst holds 20 events inside 600 s, bursts are 3600 s
    /// apart at a phase of each customer's own; January has 744 hours, so 743 to 745 bursts (the first and
    /// last may be cut by `from` and `to`).
    @Test func burstyEventsComeInBurstsOfOnTimesRate() throws {
        let perCustomer = Self.byCustomer(try Self.events(Self.scenario(arrivals: "{ kind: bursty, rate: 120/h, on: 10m, off: 50m }")))
        for (customer, seconds) in perCustomer {
            var bursts: [[Int64]] = [[seconds[0]]]
            for (previous, second) in zip(seconds, seconds.dropFirst()) {
                #expect(second > previous)
                if second - previous >= 3000 { bursts.append([second]) } else { bursts[bursts.count - 1].append(second) }
            }
            #expect((743...745).contains(bursts.count), "\(customer)")
            for burst in bursts.dropFirst().dropLast() {
                #expect(burst.count == 20, "\(customer)")
                #expect(burst.last! - burst.first! < 600)
            }
            // Bursts start one period apart: the same phase modulo 3600 throughout.
            let starts = Set(bursts.dropFirst().map { burst in burst.first! - (burst.first! % 3600) })
            #expect(starts.count == bursts.count - 1)
        }
        #expect(perCustomer.count == 3)
    }

    /// Same seed → same events; another seed → others; a customer's events do not depend on which other
    /// customers share the stream or where they stand in it (its source is keyed by its id).
    @Test(arguments: ["{ kind: bursty, rate: 30/h, on: 2h, off: 5h }", "{ kind: diurnal, rate: 3/h, weekdays: \(weekdays) }"])
    func seededPerCustomer(arrivals: String) throws {
        let base = try Self.events(Self.scenario(arrivals: arrivals))
        #expect(base == (try Self.events(Self.scenario(arrivals: arrivals))))
        let reseeded = try Self.events(Self.scenario(arrivals: arrivals).replacingOccurrences(of: "seed: 11", with: "seed: 12"))
        #expect(Self.byCustomer(reseeded)["cus_b"] != Self.byCustomer(base)["cus_b"])
        let more = try Self.events(Self.scenario(arrivals: arrivals, customers: "cus_z, cus_c, cus_new, cus_b, cus_a"))
        for customer in ["cus_a", "cus_b", "cus_c"] {
            #expect(Self.byCustomer(more)[customer] == Self.byCustomer(base)[customer], "\(customer)")
        }
        #expect(Self.byCustomer(base)["cus_a"] != Self.byCustomer(base)["cus_b"])
    }

    /// A rate drawn per customer: at 5/h a weekday has 120 events and a weekend day 20 (whole days hold whole
    /// numbers of events: 22 × 120 + 9 × 20 = 2820), at 10/h twice as many.
    @Test func aDiurnalRateDrawnPerCustomer() throws {
        let customers = (1...40).map { "cus_\($0)" }.joined(separator: ", ")
        let arrivals = "{ kind: diurnal, rate: { kind: choice, values: [5/h, 10/h] }, weekdays: \(Self.weekdays), weekends: \(Self.weekends) }"
        let counts = Self.byCustomer(try Self.events(Self.scenario(arrivals: arrivals, customers: customers))).mapValues(\.count)
        #expect(counts.count == 40)
        #expect(Set(counts.values) == [2820, 5640])
    }

    /// A drawn rate of 2/s is lowered to one event a second: each one-minute burst is then 60 events in
    /// 60 consecutive seconds (a fixed 2/s is an error, see `badParameters`).
    @Test func aDrawnRateAboveOneASecondIsLowered() throws {
        let arrivals = "{ kind: bursty, rate: { kind: constant, value: 2/s }, on: 1m, off: 59m }"
        let seconds = try #require(Self.byCustomer(try Self.events(Self.scenario(arrivals: arrivals, customers: "cus_a")))["cus_a"])
        var bursts: [[Int64]] = [[seconds[0]]]
        for (previous, second) in zip(seconds, seconds.dropFirst()) {
            if second - previous > 1 { bursts.append([second]) } else { bursts[bursts.count - 1].append(second) }
        }
        #expect((743...745).contains(bursts.count))
        for burst in bursts.dropFirst().dropLast() { #expect(burst.count == 60 && burst.last! - burst.first! == 59) }
    }

    /// The limit check's estimate: a week of the diurnal profile holds 5 × 240 + 2 × 40 = 1280 events.
    @Test func expectedCountsFollowTheShape() throws {
        var random = SplitMix64(seed: 1)
        var parameters = GeneratorParameters(
            kind: "diurnal",
            values: [
                "rate": ("10/h", Self.location), "weekdays": (String(Self.weekdays.dropFirst().dropLast()), Self.location),
                "weekends": (String(Self.weekends.dropFirst().dropLast()), Self.location),
            ], location: Self.location)
        let diurnalFactory = try #require(GeneratorRegistry.arrivals["diurnal"])
        let diurnal = try diurnalFactory(&parameters).forCustomer(random: &random)
        #expect(diurnal.expectedCount(over: 7 * 86_400) == 1280)
        var burstyParameters = GeneratorParameters(
            kind: "bursty", values: ["rate": ("120/h", Self.location), "on": ("10m", Self.location), "off": ("50m", Self.location)],
            location: Self.location)
        let burstyFactory = try #require(GeneratorRegistry.arrivals["bursty"])
        let bursty = try burstyFactory(&burstyParameters).forCustomer(random: &random)
        #expect(bursty.expectedCount(over: 86_400) == 24 * 20)
    }

    static let location = SourceLocation(file: "x.yaml", line: 1, column: 1)

    struct BadParameter: Sendable, CustomTestStringConvertible {
        var arrivals: String
        var message: String
        /// Text on the reported line, and where the column points.
        var at: String
        var testDescription: String { message }
    }

    static let badParameters: [BadParameter] = [
        .init(
            arrivals: "{ kind: diurnal, rate: 10/h, weekdays: [1, 2, 3] }",
            message: "weekdays: expected 24 whole numbers from 0 to 1000000 (one per UTC hour, 00 to 23), found 3 values", at: "[1, 2, 3]"),
        .init(
            arrivals: "{ kind: diurnal, rate: 10/h, weekdays: \(weekdays.replacingOccurrences(of: "[0, 0,", with: "[0.5, 0,")) }",
            message: "weekdays: expected 24 whole numbers from 0 to 1000000 (one per UTC hour, 00 to 23), found \"0.5\"", at: "[0.5"),
        .init(
            arrivals:
                "{ kind: diurnal, rate: 10/h, weekdays: \(weekdays), weekends: \(weekends.replacingOccurrences(of: "[0, 0,", with: "[-1, 0,")) }",
            message: "weekends: expected 24 whole numbers from 0 to 1000000 (one per UTC hour, 00 to 23), found \"-1\"", at: "[-1"),
        .init(
            arrivals: "{ kind: diurnal, rate: 10/h, weekdays: [\(Array(repeating: "0", count: 24).joined(separator: ", "))] }",
            message: "weekdays: expected at least one weight above 0", at: "[0, 0"),
        .init(arrivals: "{ kind: diurnal, rate: 10/h }", message: "diurnal: missing `weekdays`", at: "{ kind: diurnal"),
        // The busiest hour, weight 6 of 48, at 1000/h: 1000 × 24 × 6 / 48 = 3000/h passes; 1300/h gives 3900/h.
        .init(
            arrivals: "{ kind: diurnal, rate: 1300/h, weekdays: \(weekdays) }",
            message: "rate: a customer sends at most one event a second, but the busiest hour's rate is 3900/h (above 3600/h)", at: "1300/h"),
        .init(
            arrivals: "{ kind: bursty, rate: 2/s, on: 1m, off: 1m }",
            message: "rate: a customer sends at most one event a second, but the busiest hour's rate is 7200/h (above 3600/h)", at: "2/s"),
        .init(
            arrivals: "{ kind: bursty, rate: often, on: 1m, off: 1m }", message: "rate: expected events per unit like 12/h, found \"often\"",
            at: "often"),
        .init(
            arrivals: "{ kind: bursty, rate: 0/h, on: 1m, off: 1m }", message: "rate: expected events per unit like 12/h, found \"0/h\"", at: "0/h"),
        .init(arrivals: "{ kind: bursty, rate: 1/h, off: 1m }", message: "bursty: missing `on`", at: "{ kind: bursty"),
        .init(
            arrivals: "{ kind: bursty, rate: 1/h, on: 0s, off: 1m }", message: "on: expected a positive duration like 90s, 15m, 1h, 3d, found \"0s\"",
            at: "0s"),
        .init(arrivals: "{ kind: bursty, rate: 1/h, on: 1m, off: 400d }", message: "off: at most 366d, found 34560000s", at: "400d"),
        .init(arrivals: "{ kind: bursty, rate: 1/h, on: 1m, off: 1m, jitter: 5s }", message: "unknown field `jitter`", at: "jitter"),
    ]

    /// Each bad parameter is one diagnostic at its own line and column.
    @Test(arguments: badParameters)
    func aBadParameterPointsAtIt(_ bad: BadParameter) {
        let yaml = Self.scenario(arrivals: bad.arrivals, customers: "cus_a")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        #expect(found.first.map { $0.message.contains(bad.message) } == true, "\(found.map(\.message))")
        #expect(found.first?.location.line == line(of: "arrivals:", in: yaml))
        #expect(found.first?.location.column == column(of: bad.at, in: yaml))
    }
}
