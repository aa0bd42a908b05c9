import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import BillingStoreSQLite
import Foundation
import Testing

/// Issue 8's reproducers ("Wrong money", "Crashes", "Hangs and unbounded memory", "Also"): each one
/// is a clear located error (INVALID from the loader, or ERROR naming the subscription's line, price
/// and period) or a correct bill; never a wrap, a trap or a hang. "M" is the issue's one-subscription
/// licensed scenario; each test changes one part of it.
struct HostileInputTests {
    static let path = "hostile.yaml"

    /// M: `clock { start: 2026-01-01, until: 2026-01-02 }`, one monthly price of `unit_amount:
    /// 10000000`, one `usd` customer, one licensed subscription (line 11 is its `- id:`).
    static func m(
        clock: String = "{ start: 2026-01-01, until: 2026-01-02 }", price: String = "unit_amount: 10000000", quantity: String = "1",
        customer: String = "currency: usd", more: String = ""
    ) -> String {
        """
        name: M
        clock: \(clock)
        meters:
          - { id: mtr_calls, display_name: Calls, event_name: calls, default_aggregation: { formula: sum } }
        products: [{ id: prod_a, name: A }]
        prices:
          - { id: price_a, product: prod_a, currency: usd, \(price), recurring: { interval: month, usage_type: licensed } }
          - { id: price_calls, product: prod_a, currency: usd, unit_amount: 1, recurring: { interval: month, usage_type: metered, meter: mtr_calls } }
        customers: [{ id: cus_a, \(customer) }]
        subscriptions:
          - id: sub_a
            customer: cus_a
            items: [{ price: price_a, quantity: \(quantity) }]
        \(more)
        """
    }

    /// M plus a metered subscription `sub_calls` on `price_calls` (1 ¢ per call; line 14) and these events.
    static func metered(_ values: [String], price: String = "unit_amount: 10000000") -> String {
        let events = values.enumerated().map { index, value in
            "      - { event_name: calls, timestamp: 2026-01-01T00:00:\(index % 60 < 10 ? "0" : "")\(index % 60)Z, identifier: e\(index), payload: { stripe_customer_id: cus_a, value: \"\(value)\" } }"
        }
        return m(
            clock: "{ start: 2026-01-01, until: 2026-02-01T02:00:00Z }", price: price,
            more: """
                  - id: sub_calls
                    customer: cus_a
                    items: [{ price: price_calls }]
                usage:
                  - events:
                \(events.joined(separator: "\n"))
                """)
    }

    /// The loader's diagnostics (`file:line:col: error: message` lines), or [] when the file loads.
    static func diagnostics(_ yaml: String) -> [String] {
        switch ScenarioLoader.load(yaml: yaml, path: path) {
        case .success: []
        case .failure(let error): error.diagnostics.map { "\($0.location): \($0.message)" }
        }
    }

    /// Runs a scenario that loads on the memory store and on SQLite: both must say the same.
    static func run(_ yaml: String) async throws -> ScenarioResult {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: path).get()
        let memory = await ScenarioRunner(makeStore: { InMemoryBillingStore() }).run(scenario)
        let sqlite = await ScenarioRunner(makeStore: { try SQLiteBillingStore(path: ":memory:") }).run(scenario)
        #expect(memory.status == sqlite.status)
        #expect(memory.errorMessage == sqlite.errorMessage)
        #expect(memory.outcome?.invoices == sqlite.outcome?.invoices)
        return memory
    }

    // MARK: Wrong money, silently

    /// One event of the largest value Stripe takes (24 digits) at 1 ¢: 10²⁴ − 1 ¢, beyond Int64 minor units.
    @Test func aMaximalMeterValueIsAnOverflowNamingTheLine() async throws {
        let result = try await Self.run(Self.metered(["999999999999999999999999"]))
        #expect(result.status == .error)
        #expect(
            result.errorMessage
                == "hostile.yaml:14:5: subscription sub_calls, price price_calls, period 2026-01-01T00:00:00Z → 2026-02-01T00:00:00Z: the line amount 999999999999999999999999 is beyond ±9223372036854775807 minor units"
        )
    }

    /// 24 of them: 24 × (10²⁴ − 1) fits 128 bits, the amount does not fit Int64 (was a negative total).
    @Test func twentyFourMaximalValuesAreAnOverflowNotANegativeTotal() async throws {
        let result = try await Self.run(Self.metered(Array(repeating: "999999999999999999999999", count: 24)))
        #expect(result.status == .error)
        #expect(result.errorMessage?.hasSuffix("the line amount 23999999999999999999999976 is beyond ±9223372036854775807 minor units") == true)
    }

    /// Control: the largest metered amount that fits is billed to the cent (9223372036854775807 calls × 1 ¢).
    @Test func theLargestAmountThatFitsIsBilledExactly() async throws {
        let result = try await Self.run(Self.metered(["9223372036854775807"], price: "unit_amount: 0"))
        #expect(result.status == .passed)
        let renewal = try #require(result.outcome?.invoices.first { $0.subscription == "sub_calls" && $0.billingReason == .subscriptionCycle })
        #expect(renewal.total == Int64.max)
        #expect(renewal.status == .paid || renewal.status == .open)
    }

    // MARK: Crashes

    /// ~170 events of the documented maximum: the sum passes 128 bits; memory and SQLite give the same error.
    @Test func aUsageSumBeyond128BitsIsTheSameErrorOnEveryStore() async throws {
        let result = try await Self.run(Self.metered(Array(repeating: "999999999999999999999999.999999999999", count: 171)))
        #expect(result.status == .error)
        #expect(
            result.errorMessage
                == "hostile.yaml:14:5: subscription sub_calls, price price_calls, period 2026-01-01T00:00:00Z → 2026-02-01T00:00:00Z: \(AmountOverflow.usageSum.message)"
        )
    }

    /// A customer balance near Int64.max: total + balance overflows at finalization (was a trap in
    /// `Invoice.isBelowMinimumCharge`).
    @Test func aHugeCustomerBalanceIsAnOverflowNotATrap() async throws {
        let result = try await Self.run(Self.m(customer: "currency: usd, balance: 9223372036854775000"))
        #expect(result.status == .error)
        #expect(
            result.errorMessage
                == "hostile.yaml:11:5: subscription sub_a, invoice in_0001: the invoice total plus the customer balance (10000000 + 9223372036854775000) is beyond ±9223372036854775807 minor units"
        )
    }

    /// A clock or an event in a year ≤ −1000, a year past 9999, or Unix seconds beyond RFC 3339: INVALID
    /// at the value (was a trap in `CivilDate.description`, or a clock that ran for ever).
    @Test(arguments: [
        ("{ start: -62198755200, until: 2026-01-02 }", 2, 17),
        ("{ start: 2026-01-01, until: 99999999999999999 }", 2, 36),
        ("{ start: 2026-01-01, until: -9223372036854775808 }", 2, 36),
    ])
    func aClockOutsideYears0To9999IsInvalid(clock: String, line: Int, column: Int) {
        let problems = Self.diagnostics(Self.m(clock: clock))
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("hostile.yaml:\(line):\(column): ") == true, "\(problems)")
        #expect(problems.first?.contains("a timestamp from year 0000 to 9999") == true)
    }

    /// An event timestamp of Int64.min, or in year −1000, is INVALID at the timestamp.
    @Test(arguments: ["-9223372036854775808", "-93692592000"])
    func anEventTimestampOutsideYears0To9999IsInvalid(timestamp: String) {
        let yaml = Self.m(
            more: """
                usage:
                  - events:
                      - { event_name: calls, timestamp: \(timestamp), payload: { stripe_customer_id: cus_a, value: "1" } }
                """)
        let problems = Self.diagnostics(yaml)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("hostile.yaml:16:41: ") == true, "\(problems)")
    }

    /// `event_window.past` of Int64.max seconds: INVALID (at most 10,000 years), not an overflow in the validator.
    @Test func anEventWindowOfInt64MaxSecondsIsInvalid() {
        let problems = Self.diagnostics(Self.m(more: "settings: { event_window: { past: 9223372036854775807 } }"))
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix("hostile.yaml:14:35: ") == true, "\(problems)")
        #expect(problems.first?.contains("at most 10,000 years") == true)
    }

    /// The validator itself never overflows, whatever window and timestamps it is given.
    @Test func theValidatorComparesWithoutOverflow() {
        let catalog = Catalog(meters: [Meter(id: "m", eventName: "e", formula: .sum)], products: [], prices: [])
        var validator = MeterEventValidator(
            catalog: catalog, customers: ["c"], window: EventWindow(past: TimeSpan(seconds: .max), future: TimeSpan(seconds: .max)))
        let event = MeterEvent(eventName: "e", timestamp: Instant(seconds: .min), payload: ["stripe_customer_id": "c", "value": "1"])
        guard case .success = validator.validate(event, receivedAt: Instant(seconds: -10), sequence: 1) else {
            Issue.record("an unbounded window accepts every timestamp")
            return
        }
        #expect(Instant(seconds: .min).description.hasPrefix("-"))
        #expect(CivilDate(year: -1000, month: 1, day: 1).description == "-1000-01-01")
    }

    /// A uniform generator with `max` past Int64, and one over the whole Int64 range: values drawn in range.
    @Test(arguments: [("0", "99999999999999999999"), ("-9223372036854775808", "9223372036854775807")])
    func aUniformGeneratorWiderThanInt64Runs(min: String, max: String) throws {
        let low = try #require(Decimal12(min))
        let high = try #require(Decimal12(max))
        var random = SplitMix64(seed: 1)
        let uniform = UniformValue(min: low, max: high, decimals: 0)
        for _ in 0..<1000 {
            let value = uniform.value(random: &random)
            #expect(low <= value && value <= high && value.isInteger)
        }
    }
}

/// "Hangs and unbounded memory": each bound is INVALID where the file asks for too much, and a
/// `settings.limits` entry raises it.
extension HostileInputTests {
    /// Daily billing until 9999-12-31 (died at 4 GB): 2026-01-01 to 10000-01-01 is 7974 years of 365
    /// days plus 1933 leap days (1993 multiples of 4, less 79 centuries, plus 19 of 400) = 2,912,443
    /// days; clock.until is in the last of them, so 2,912,443 periods.
    @Test func dailyBillingUntilYear9999IsInvalid() {
        let daily = Self.m(clock: "{ start: 2026-01-01, until: 9999-12-31 }").replacingOccurrences(
            of: "interval: month, usage_type: licensed", with: "interval: day, usage_type: licensed")
        #expect(
            Self.diagnostics(daily) == [
                "hostile.yaml:11:5: subscription `sub_a` bills 2912443 periods (every day from 2026-01-01T00:00:00Z to clock.until 9999-12-31T00:00:00Z): more than settings.limits.max_periods (1000000); shorten the clock or raise the limit"
            ])
        #expect(Self.diagnostics(daily + "\nsettings: { limits: { max_periods: 2912443 } }") == [])
        // Monthly over the same span: 7974 × 12 = 95,688 periods, within the default.
        #expect(Self.diagnostics(Self.m(clock: "{ start: 2026-01-01, until: 9999-12-31 }")) == [])
    }

    /// `rate: 1000/s` for a month grew 45 MB/s and generated past clock.until: the stream is cut at
    /// clock.until (one day and one second: 86,401 s × 1000/s) and still INVALID for its size.
    @Test func aGeneratorBeyondTheEventLimitIsInvalid() {
        func generator(_ rate: String, limit: String = "") -> String {
            Self.m(
                more: """
                    usage:
                      - generate:
                          event_name: calls
                          customers: all
                          from: 2026-01-01
                          to: 2026-02-01
                          arrivals: { kind: poisson, rate: \(rate) }
                          value: { kind: constant, value: "1" }
                    \(limit)
                    """)
        }
        #expect(
            Self.diagnostics(generator("1000/s")) == [
                "hostile.yaml:16:7: this stream generates about 86401000 events (1 customer from 2026-01-01T00:00:00Z to 2026-01-02T00:00:01Z): more than settings.limits.max_generated_events (10000000); lower the rate, shorten the span or raise the limit"
            ])
        #expect(Self.diagnostics(generator("1000/s", limit: "settings: { limits: { max_generated_events: 90000000 } }")) == [])
        #expect(Self.diagnostics(generator("100/s")) == [])
    }

    /// Generators stop at clock.until: a month of hourly events on a one-day clock generates 25 (00:00
    /// to 24:00 inclusive), none left over as `not_received`.
    @Test func generatorsStopAtTheClock() async throws {
        let yaml = Self.m(
            more: """
                usage:
                  - generate:
                      event_name: calls
                      customers: all
                      from: 2026-01-01
                      to: 2026-02-01
                      arrivals: { kind: constant, every: 1h }
                      value: { kind: constant, value: "1" }
                """)
        let result = try await Self.run(yaml)
        #expect(result.outcome?.usage.received == 25)
        #expect(result.outcome?.usage.notReceived == 0)
    }
}

/// "Wrong money" reproducers that `validate` said OK to: Stripe's limits (at most 8 digits of minor
/// units per amount, 8 digits of quantity) make them INVALID at the value.
extension HostileInputTests {
    @Test(arguments: [
        // quantity: 1000000000000 billed −8446744073709551616 beside amount_decimal 10000000000000000000.
        (Self.m(quantity: "1000000000000"), "hostile.yaml:13:41: subscriptions[0].items[0].quantity: expected an integer from 0 to 99999999"),
        // unit_amount_decimal: "100000000000000000000" × 2000 billed 0.
        (
            Self.m(price: "unit_amount_decimal: \"100000000000000000000\"", quantity: "2000"),
            "hostile.yaml:7:73: prices[0].unit_amount_decimal: expected a non-negative decimal string below 100000000"
        ),
        // Two prices of unit_amount 5000000000000000000 on one subscription trapped in the total.
        (
            Self.m(price: "unit_amount: 5000000000000000000"),
            "hostile.yaml:7:65: prices[0].unit_amount: expected a non-negative integer of at most 8 digits"
        ),
        // A tier flat_amount of Int64.max gave a negative total.
        (
            Self.m(price: "billing_scheme: tiered, tiers_mode: volume, tiers: [{ up_to: inf, unit_amount: 1, flat_amount: 9223372036854775807 }]"),
            "hostile.yaml:7:147: prices[0].tiers[0].flat_amount: expected a non-negative integer of at most 8 digits"
        ),
    ])
    func amountsBeyondStripesLimitsAreInvalid(yaml: String, problem: String) {
        let problems = Self.diagnostics(yaml)
        #expect(problems.count == 1, "\(problems)")
        #expect(problems.first?.hasPrefix(problem) == true, "\(problems)")
    }

    /// The largest amounts Stripe takes still bill exactly: 99999999 × quantity 99999999 =
    /// 9,999,999,800,000,001 per line, twice on one invoice = 19,999,999,600,000,002 (fits Int64).
    @Test func twoMaximalLicensedLinesBillExactly() async throws {
        let yaml = Self.m(price: "unit_amount: 99999999", quantity: "99999999")
            .replacingOccurrences(
                of: "items: [{ price: price_a, quantity: 99999999 }]",
                with: "items: [{ price: price_a, quantity: 99999999 }, { price: price_b, quantity: 99999999 }]"
            )
            .replacingOccurrences(
                of: "  - { id: price_calls,",
                with:
                    "  - { id: price_b, product: prod_a, currency: usd, unit_amount: 99999999, recurring: { interval: month, usage_type: licensed } }\n  - { id: price_calls,"
            )
        let result = try await Self.run(yaml)
        #expect(result.status == .passed, "\(result.errorMessage ?? "") \(result.diagnostics)")
        #expect(result.outcome?.invoices.map(\.total) == [19_999_999_600_000_002])
        #expect(result.outcome?.invoices.first?.lines.map(\.amount) == [9_999_999_800_000_001, 9_999_999_800_000_001])
    }
}

/// "Also": loader checks that were missing.
extension HostileInputTests {
    /// Currency `xyz` was accepted: only the ISO 4217 codes Stripe takes are.
    @Test func anUnknownCurrencyIsInvalid() {
        #expect(
            Self.diagnostics(Self.m(customer: "currency: xyz"))
                == ["hostile.yaml:9:36: customers[0].currency: expected a currency code Stripe accepts, like usd (ISO 4217), found \"xyz\""])
    }

    /// Cancelling a subscription twice passed `validate` and failed `run` without a location.
    @Test func cancellingTwiceIsInvalidAtTheSecondCancel() {
        let yaml = Self.m(
            more: """
                timeline:
                  - { at: 2026-01-01T06:00:00Z, cancel_subscription: { subscription: sub_a } }
                  - { at: 2026-01-01T12:00:00Z, cancel_subscription: { subscription: sub_a } }
                """)
        // The timeline checks each change against the subscription's state then: at 12:00 it is canceled.
        #expect(
            Self.diagnostics(yaml) == [
                "hostile.yaml:16:70: timeline[1].cancel_subscription.subscription: cancel_subscription at 2026-01-01T12:00:00Z: subscription `sub_a` was canceled at 2026-01-01T06:00:00Z"
            ])
    }

    /// A malformed expectation was a FAIL (exit 1): it is INVALID (exit 2) at the value.
    @Test(arguments: [
        ("amount_due: 8000.0", "hostile.yaml:16:19: expect.invoices[0].amount_due: expected an integer (minor units), found \"8000.0\""),
        ("status: maybe", "hostile.yaml:16:15: expect.invoices[0].status: expected one of draft, open, paid, void, uncollectible, found \"maybe\""),
        (
            "lines: [{ amount: 8000.0 }]",
            "hostile.yaml:16:25: expect.invoices[0].lines[0].amount: expected an integer (minor units), found \"8000.0\""
        ),
        ("created: tomorrow", "hostile.yaml:16:16: expect.invoices[0].created: expected a timestamp from year 0000 to 9999, found \"tomorrow\""),
    ])
    func aMalformedExpectationIsInvalid(field: String, problem: String) {
        let yaml = Self.m(
            more: """
                expect:
                  invoices:
                    - \(field)
                """)
        #expect(Self.diagnostics(yaml) == [problem])
    }

    /// The value syntax Docs/ENGINE-RULES.md states (row 8): an optional sign, digits with an optional
    /// point and at least one digit on either side; `+5`, `.5` and `5.` are read as 5, 0.5 and 5.
    @Test(arguments: [("+5", "5"), (".5", "0.5"), ("5.", "5"), ("-0.25", "-0.25"), ("007", "7")])
    func meterValueSyntax(text: String, value: String) {
        #expect(Decimal12(text)?.description == value)
    }

    @Test(arguments: ["", ".", "+", "-", "1e3", "1,000", "0x10", " 5", "5 ", "--5", "1.2.3", "∞"])
    func meterValuesThatAreNotNumbers(text: String) {
        #expect(Decimal12(text) == nil)
    }

    /// `preview --at 99999999999999999` ran for ever: the instant parser rejects it.
    @Test func instantsPastYear9999AreNotParsed() {
        #expect(Instant(parsing: "99999999999999999") == nil)
        #expect(Instant(parsing: "253402300799") == Instant(year: 9999, month: 12, day: 31, hour: 23, minute: 59, second: 59))
        #expect(Instant(parsing: "253402300800") == nil)
        #expect(Instant(parsing: "9999-12-31T23:59:59-01:00") == nil)
    }
}

extension HostileInputTests {
    /// A usage file row with a timestamp of Int64.min (the validator overflowed on it) is a located row
    /// error: the scenario is INVALID with the row's line, and no event of it is billed.
    @Test func aUsageFileTimestampOfInt64MinIsARowError() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("hostile-\(UInt64.random(in: 0...UInt64.max))")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let csv = "event_name,timestamp,stripe_customer_id,value\ncalls,2026-01-01T00:00:00Z,cus_a,1\ncalls,-9223372036854775808,cus_a,1\n"
        try csv.write(to: folder.appendingPathComponent("usage.csv"), atomically: true, encoding: .utf8)
        let path = folder.appendingPathComponent("hostile.yaml").path
        let scenario = try ScenarioLoader.load(yaml: Self.m(more: "usage: [{ file: usage.csv }]"), path: path).get()
        let result = await ScenarioRunner(makeStore: { InMemoryBillingStore() }).run(scenario)
        #expect(result.status == .invalid)
        #expect(result.diagnostics.map { "\($0.location.line)" } == ["3"], "\(result.diagnostics)")
    }
}
