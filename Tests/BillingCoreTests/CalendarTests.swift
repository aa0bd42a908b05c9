import BillingCore
import Testing

/// Instants, time spans, billing intervals and schedules (ENGINE-RULES "Calendar"; BILLING-SEMANTICS §4.11, §5.1).
@Suite("Calendar")
struct CalendarTests {
    // MARK: Instant

    struct InstantCase: Sendable, CustomTestStringConvertible {
        var text: String
        var seconds: Int64
        var testDescription: String { "\"\(text)\"" }
    }

    /// 2026-01-01T00:00:00Z = 1767225600 (2025-01-01 = 1735689600, + 365 × 86400).
    /// 2026-01-15T12:00:00Z = 1767225600 + 14 × 86400 + 12 × 3600 = 1768478400.
    @Test(arguments: [
        InstantCase(text: "2026-01-15T12:00:00Z", seconds: 1_768_478_400),
        InstantCase(text: "2026-01-15t12:00:00z", seconds: 1_768_478_400),
        InstantCase(text: "2026-01-15 12:00:00Z", seconds: 1_768_478_400),
        // An offset is subtracted: 13:00+01:00 and 07:00−05:00 are both 12:00Z.
        InstantCase(text: "2026-01-15T13:00:00+01:00", seconds: 1_768_478_400),
        InstantCase(text: "2026-01-15T07:00:00-05:00", seconds: 1_768_478_400),
        InstantCase(text: "2026-01-15T17:30:00+05:30", seconds: 1_768_478_400),
        // Zero fractional seconds are allowed (instants are whole seconds).
        InstantCase(text: "2026-01-15T12:00:00.000Z", seconds: 1_768_478_400),
        InstantCase(text: "2026-01-15T12:00:00.0+00:00", seconds: 1_768_478_400),
        // A bare date is midnight UTC: 1768478400 − 12 × 3600.
        InstantCase(text: "2026-01-15", seconds: 1_768_435_200),
        InstantCase(text: "  2026-01-15  ", seconds: 1_768_435_200),
        // Unix seconds.
        InstantCase(text: "1768478400", seconds: 1_768_478_400),
        InstantCase(text: "0", seconds: 0),
        InstantCase(text: "-1", seconds: -1),
        // Leap day 2024: 2024-02-29 = 1709164800; 23:59:59 is 86399 s later.
        InstantCase(text: "2024-02-29T23:59:59Z", seconds: 1_709_251_199),
        InstantCase(text: "1970-01-01T00:00:00Z", seconds: 0),
        // Offset crossing midnight: 2026-01-01T00:30+01:00 = 2025-12-31T23:30Z = 1767225600 − 1800.
        InstantCase(text: "2026-01-01T00:30:00+01:00", seconds: 1_767_223_800),
    ])
    func instantParses(_ c: InstantCase) throws {
        let instant = try #require(Instant(parsing: c.text))
        #expect(instant.seconds == c.seconds)
    }

    @Test(arguments: [
        "", "garbage", "2026-02-30", "2025-02-29", "2026-13-01", "2026-00-10", "2026-01-00", "2026-1-5", "2026/01/15",
        "2026-01-15T12:00:00",  // no zone
        "2026-01-15T12:00Z",  // no seconds
        "2026-01-15T24:00:00Z", "2026-01-15T12:60:00Z", "2026-01-15T12:00:60Z",
        "2026-01-15T12:00:00+0100",  // offset without colon
        "2026-01-15T12:00:00.Z",  // point without digits
        "2026-01-15T12:00:00.5Z",  // instants are whole seconds
        "2026-01-15T12:00:00Zjunk", "2026-01-15X12:00:00Z", "12.5",
    ])
    func instantRejects(_ text: String) {
        #expect(Instant(parsing: text) == nil)
    }

    /// RFC 3339 `time-numoffset` is `±hh:mm` with hh 00–23 and mm 00–59; an out-of-range offset is not an instant.
    @Test(arguments: ["2026-01-15T12:00:00+24:00", "2026-01-15T12:00:00+99:99", "2026-01-15T12:00:00-05:60"])
    func instantRejectsOutOfRangeOffset(_ text: String) {
        #expect(Instant(parsing: text) == nil)
    }

    @Test func instantDescriptionAndCivil() {
        #expect(Instant(seconds: 1_768_478_400).description == "2026-01-15T12:00:00Z")
        #expect(Instant(seconds: 0).description == "1970-01-01T00:00:00Z")
        // One second before the epoch: the previous day's last second.
        #expect(Instant(seconds: -1).description == "1969-12-31T23:59:59Z")
        #expect(Instant(year: 2026, month: 1, day: 15, hour: 12).seconds == 1_768_478_400)
        #expect(Instant(year: 2024, month: 2, day: 29).seconds == 1_709_164_800)
        let (date, secondOfDay) = Instant(seconds: 1_768_478_400 + 61).civil
        #expect(date == CivilDate(year: 2026, month: 1, day: 15))
        #expect(secondOfDay == 12 * 3600 + 61)
        // Arithmetic with spans and differences.
        let t = Instant(year: 2026, month: 1, day: 1)
        #expect(t + .hours(1) == Instant(year: 2026, month: 1, day: 1, hour: 1))
        #expect(t - .days(1) == Instant(year: 2025, month: 12, day: 31))
        #expect(Instant(year: 2026, month: 2, day: 1) - t == 31 * 86_400)
        // Round trip: description parses back.
        for seconds: Int64 in [0, 1_709_251_199, 1_768_478_400, -86_401] {
            #expect(Instant(parsing: Instant(seconds: seconds).description)?.seconds == seconds)
        }
    }

    @Test func civilDate() {
        #expect(CivilDate.isLeap(2024))
        #expect(!CivilDate.isLeap(2026))
        #expect(!CivilDate.isLeap(1900))
        #expect(CivilDate.isLeap(2000))
        #expect(CivilDate.daysIn(year: 2024, month: 2) == 29)
        #expect(CivilDate.daysIn(year: 2026, month: 2) == 28)
        #expect(CivilDate.daysIn(year: 2026, month: 4) == 30)
        #expect(CivilDate.daysIn(year: 2026, month: 12) == 31)
        // 2026-01-01 is 1767225600 / 86400 = 20454 days after the epoch.
        #expect(CivilDate(year: 2026, month: 1, day: 1).daysSinceEpoch == 20_454)
        #expect(CivilDate(daysSinceEpoch: 20_454) == CivilDate(year: 2026, month: 1, day: 1))
        #expect(CivilDate(year: 2026, month: 3, day: 9).description == "2026-03-09")
    }

    // MARK: TimeSpan

    struct SpanCase: Sendable, CustomTestStringConvertible {
        var text: String
        var seconds: Int64
        var testDescription: String { "\"\(text)\"" }
    }

    /// s = 1, m = 60, h = 3600, d = 86400, w = 604800; a bare number is seconds.
    @Test(arguments: [
        SpanCase(text: "90s", seconds: 90), SpanCase(text: "15m", seconds: 900), SpanCase(text: "1h", seconds: 3600),
        SpanCase(text: "72h", seconds: 259_200), SpanCase(text: "3d", seconds: 259_200), SpanCase(text: "35d", seconds: 3_024_000),
        SpanCase(text: "2w", seconds: 1_209_600), SpanCase(text: "45", seconds: 45), SpanCase(text: "0s", seconds: 0),
        SpanCase(text: " 5m ", seconds: 300),
    ])
    func timeSpanParses(_ c: SpanCase) {
        #expect(TimeSpan(parsing: c.text)?.seconds == c.seconds)
    }

    @Test(arguments: ["", "h", "1.5h", "-1h", "1x", "1 h", "h1", "1hh", "1y", "one"])
    func timeSpanRejects(_ text: String) {
        #expect(TimeSpan(parsing: text) == nil)
    }

    /// A span too large for Int64 seconds is not a span: 99999999999999999 weeks × 604800 overflows,
    /// so parsing returns nil instead of trapping (a bad `finalization_grace` must not crash a run).
    @Test func timeSpanOverflowIsNotASpan() {
        #expect(TimeSpan(parsing: "99999999999999999w") == nil)
    }

    /// The shortest exact form.
    @Test func timeSpanDescription() {
        #expect(TimeSpan(seconds: 3600).description == "1h")
        #expect(TimeSpan(seconds: 90).description == "90s")
        #expect(TimeSpan(seconds: 5400).description == "90m")
        #expect(TimeSpan(seconds: 86_400).description == "1d")
        #expect(TimeSpan(seconds: 1_209_600).description == "2w")
        #expect(TimeSpan(seconds: 0).description == "0s")
        #expect(TimeSpan.days(35).description == "5w")
        #expect(TimeSpan.minutes(5).seconds == 300)
    }

    // MARK: Billing intervals

    struct BoundaryCase: Sendable, CustomTestStringConvertible {
        var name: String
        var interval: BillingInterval
        var anchor: CivilDate
        /// Boundaries k = -1, 0, 1, 2, … from the anchor.
        var boundaries: [CivilDate]
        var testDescription: String { name }
    }

    static func date(_ y: Int, _ m: Int, _ d: Int) -> CivilDate { CivilDate(year: y, month: m, day: d) }

    /// Boundaries are `anchor + k × interval`, each computed from the anchor: a missing day clamps to the
    /// month's last day and the next boundary returns to the anchor day (§4.11, §5.1).
    @Test(arguments: [
        // Jan 31 monthly, 2026 (common): Dec 31 ← Jan 31 → Feb 28 → Mar 31 → Apr 30 → May 31.
        BoundaryCase(
            name: "month-end anchor, common year", interval: BillingInterval(.month), anchor: date(2026, 1, 31),
            boundaries: [date(2025, 12, 31), date(2026, 1, 31), date(2026, 2, 28), date(2026, 3, 31), date(2026, 4, 30), date(2026, 5, 31)]),
        // Leap year 2028: Feb 29.
        BoundaryCase(
            name: "month-end anchor, leap year", interval: BillingInterval(.month), anchor: date(2028, 1, 31),
            boundaries: [date(2027, 12, 31), date(2028, 1, 31), date(2028, 2, 29), date(2028, 3, 31), date(2028, 4, 30)]),
        // Jan 30 monthly: Feb clamps to 28, then back to the 30th.
        BoundaryCase(
            name: "anchor on the 30th", interval: BillingInterval(.month), anchor: date(2026, 1, 30),
            boundaries: [date(2025, 12, 30), date(2026, 1, 30), date(2026, 2, 28), date(2026, 3, 30)]),
        // Sep 2 monthly bills on the 2nd (§4.11).
        BoundaryCase(
            name: "anchor on the 2nd", interval: BillingInterval(.month), anchor: date(2026, 9, 2),
            boundaries: [date(2026, 8, 2), date(2026, 9, 2), date(2026, 10, 2), date(2026, 11, 2), date(2026, 12, 2), date(2027, 1, 2)]),
        // Feb 29, 2024 yearly: Feb 28 in 2025, 2026, 2027, Feb 29 in 2028.
        BoundaryCase(
            name: "Feb 29 yearly", interval: BillingInterval(.year), anchor: date(2024, 2, 29),
            boundaries: [date(2023, 2, 28), date(2024, 2, 29), date(2025, 2, 28), date(2026, 2, 28), date(2027, 2, 28), date(2028, 2, 29)]),
        // Weekly from Friday Jun 3, 2022: every Friday (§4.11).
        BoundaryCase(
            name: "weekly from a Friday", interval: BillingInterval(.week), anchor: date(2022, 6, 3),
            boundaries: [date(2022, 5, 27), date(2022, 6, 3), date(2022, 6, 10), date(2022, 6, 17), date(2022, 6, 24), date(2022, 7, 1)]),
        // interval_count 3 months from Jan 31: Apr 30, Jul 31, Oct 31, Jan 31.
        BoundaryCase(
            name: "every 3 months from Jan 31", interval: BillingInterval(.month, count: 3), anchor: date(2026, 1, 31),
            boundaries: [date(2025, 10, 31), date(2026, 1, 31), date(2026, 4, 30), date(2026, 7, 31), date(2026, 10, 31), date(2027, 1, 31)]),
        // Every 2 weeks, every 10 days.
        BoundaryCase(
            name: "every 2 weeks", interval: BillingInterval(.week, count: 2), anchor: date(2026, 1, 1),
            boundaries: [date(2025, 12, 18), date(2026, 1, 1), date(2026, 1, 15), date(2026, 1, 29)]),
        BoundaryCase(
            name: "every 10 days", interval: BillingInterval(.day, count: 10), anchor: date(2026, 2, 25),
            boundaries: [date(2026, 2, 15), date(2026, 2, 25), date(2026, 3, 7), date(2026, 3, 17)]),
        // Every 2 years from Feb 29, 2024: 2026-02-28, 2028-02-29.
        BoundaryCase(
            name: "every 2 years from Feb 29", interval: BillingInterval(.year, count: 2), anchor: date(2024, 2, 29),
            boundaries: [date(2022, 2, 28), date(2024, 2, 29), date(2026, 2, 28), date(2028, 2, 29)]),
    ])
    func boundaries(_ c: BoundaryCase) {
        // The time of day is kept: the anchor is at 15:30:00.
        let secondOfDay: Int64 = 15 * 3600 + 30 * 60
        let anchor = Instant(seconds: Int64(c.anchor.daysSinceEpoch) * 86_400 + secondOfDay)
        for (offset, expected) in c.boundaries.enumerated() {
            let k = offset - 1
            let boundary = c.interval.boundary(k, from: anchor)
            #expect(boundary.civil.date == expected, "k = \(k)")
            #expect(boundary.civil.secondOfDay == secondOfDay, "k = \(k)")
        }
    }

    struct IndexCase: Sendable, CustomTestStringConvertible {
        var instant: Instant
        var index: Int
        var start: Instant
        var end: Instant
        var testDescription: String { "\(instant)" }
    }

    /// Anchor Jan 31, 2026 monthly: periods [Jan 31, Feb 28) = 0, [Feb 28, Mar 31) = 1, [Mar 31, Apr 30) = 2,
    /// [Dec 31, Jan 31) = −1. Half-open: a boundary instant opens the next period.
    @Test(arguments: [
        IndexCase(
            instant: Instant(year: 2026, month: 1, day: 31), index: 0, start: Instant(year: 2026, month: 1, day: 31),
            end: Instant(year: 2026, month: 2, day: 28)),
        IndexCase(
            instant: Instant(year: 2026, month: 2, day: 27, hour: 23, minute: 59, second: 59), index: 0,
            start: Instant(year: 2026, month: 1, day: 31),
            end: Instant(year: 2026, month: 2, day: 28)),
        IndexCase(
            instant: Instant(year: 2026, month: 2, day: 28), index: 1, start: Instant(year: 2026, month: 2, day: 28),
            end: Instant(year: 2026, month: 3, day: 31)),
        IndexCase(
            instant: Instant(year: 2026, month: 3, day: 30, hour: 23, minute: 59, second: 59), index: 1,
            start: Instant(year: 2026, month: 2, day: 28),
            end: Instant(year: 2026, month: 3, day: 31)),
        IndexCase(
            instant: Instant(year: 2026, month: 3, day: 31), index: 2, start: Instant(year: 2026, month: 3, day: 31),
            end: Instant(year: 2026, month: 4, day: 30)),
        IndexCase(
            instant: Instant(year: 2026, month: 1, day: 30, hour: 23, minute: 59, second: 59), index: -1,
            start: Instant(year: 2025, month: 12, day: 31),
            end: Instant(year: 2026, month: 1, day: 31)),
        IndexCase(
            instant: Instant(year: 2025, month: 12, day: 31), index: -1, start: Instant(year: 2025, month: 12, day: 31),
            end: Instant(year: 2026, month: 1, day: 31)),
        // 12 months on: [Jan 31 2027, Feb 28 2027) is index 12.
        IndexCase(
            instant: Instant(year: 2027, month: 2, day: 1), index: 12, start: Instant(year: 2027, month: 1, day: 31),
            end: Instant(year: 2027, month: 2, day: 28)),
    ])
    func periodIndexAtBoundaries(_ c: IndexCase) {
        let anchor = Instant(year: 2026, month: 1, day: 31)
        let interval = BillingInterval(.month)
        #expect(interval.periodIndex(containing: c.instant, anchor: anchor) == c.index)
        let schedule = BillingSchedule(anchor: anchor, interval: interval)
        let period = schedule.period(containing: c.instant)
        #expect(period == Period(start: c.start, end: c.end))
        #expect(period.contains(c.instant))
        #expect(schedule.nextBoundary(after: c.instant) == c.end)
    }

    @Test func periodIsHalfOpen() {
        let period = Period(start: Instant(seconds: 100), end: Instant(seconds: 200))
        #expect(period.contains(Instant(seconds: 100)))
        #expect(period.contains(Instant(seconds: 199)))
        #expect(!period.contains(Instant(seconds: 200)))
        #expect(!period.contains(Instant(seconds: 99)))
        #expect(period.seconds == 100)
    }

    /// Stripe's cap: three years (3 years, 36 months, 156 weeks, 1095 days), §3.4.
    @Test func stripeMaximum() {
        #expect(BillingInterval(.month, count: 36).isWithinStripeMaximum)
        #expect(!BillingInterval(.month, count: 37).isWithinStripeMaximum)
        #expect(BillingInterval(.year, count: 3).isWithinStripeMaximum)
        #expect(!BillingInterval(.year, count: 4).isWithinStripeMaximum)
        #expect(BillingInterval(.week, count: 156).isWithinStripeMaximum)
        #expect(!BillingInterval(.week, count: 157).isWithinStripeMaximum)
        #expect(BillingInterval(.day, count: 1095).isWithinStripeMaximum)
        #expect(!BillingInterval(.day, count: 1096).isWithinStripeMaximum)
        #expect(BillingInterval(.month).description == "month")
        #expect(BillingInterval(.month, count: 3).description == "3 months")
    }

    // MARK: Coverage (prorations of licensed lines)

    struct CoverageCase: Sendable, CustomTestStringConvertible {
        var name: String
        var anchor: Instant
        var interval: BillingInterval
        var span: Period
        var coverage: String
        var testDescription: String { name }
    }

    /// Whole periods count 1, partial ones their share of seconds (Decisions 5; ENGINE-RULES "First invoice").
    @Test(arguments: [
        // Anchor Feb 1, 2026 monthly; [Feb 15, Mar 1) is 14 of February's 28 days = 0.5.
        CoverageCase(
            name: "stub: 14 of 28 days", anchor: Instant(year: 2026, month: 2, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 2, day: 15), end: Instant(year: 2026, month: 3, day: 1)), coverage: "0.5"),
        // A stub before a future anchor Mar 1: the full period is [Feb 1, Mar 1), 28 days; [Feb 22, Mar 1) = 7/28.
        CoverageCase(
            name: "stub before a future anchor: 7 of 28 days", anchor: Instant(year: 2026, month: 3, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 2, day: 22), end: Instant(year: 2026, month: 3, day: 1)), coverage: "0.25"),
        // One whole period.
        CoverageCase(
            name: "one full month", anchor: Instant(year: 2026, month: 1, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 2, day: 1)), coverage: "1"),
        // [Jan 1, Apr 1) = three whole months (31, 28 and 31 days all count 1).
        CoverageCase(
            name: "three full months", anchor: Instant(year: 2026, month: 1, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 4, day: 1)), coverage: "3"),
        // [Jan 1, Feb 15) = January (1) + 14 of February's 28 days (0.5) = 1.5.
        CoverageCase(
            name: "one month and a half", anchor: Instant(year: 2026, month: 1, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 2, day: 15)), coverage: "1.5"),
        // Anchor Mar 1: [Feb 15, May 1) = 14/28 of February + March + April = 2.5.
        CoverageCase(
            name: "partial then two full months", anchor: Instant(year: 2026, month: 3, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 2, day: 15), end: Instant(year: 2026, month: 5, day: 1)), coverage: "2.5"),
        // Weekly anchor Monday Jan 5, 2026: [Jan 1 12:00, Jan 5) = 3.5 days of 7 = 0.5.
        CoverageCase(
            name: "half a week", anchor: Instant(year: 2026, month: 1, day: 5), interval: BillingInterval(.week),
            span: Period(start: Instant(year: 2026, month: 1, day: 1, hour: 12), end: Instant(year: 2026, month: 1, day: 5)), coverage: "0.5"),
        // Yearly anchor 2026-01-01: 2026 has 365 days, [Jan 1, Jan 1 + 73 days) = 73/365 = 0.2.
        CoverageCase(
            name: "73 days of a year", anchor: Instant(year: 2026, month: 1, day: 1), interval: BillingInterval(.year),
            span: Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 3, day: 15)), coverage: "0.2"),
        CoverageCase(
            name: "empty span", anchor: Instant(year: 2026, month: 1, day: 1), interval: BillingInterval(.month),
            span: Period(start: Instant(year: 2026, month: 1, day: 10), end: Instant(year: 2026, month: 1, day: 10)), coverage: "0"),
    ])
    func coverage(_ c: CoverageCase) throws {
        let schedule = BillingSchedule(anchor: c.anchor, interval: c.interval)
        #expect(schedule.coverage(of: c.span) == ExactDecimal(parsing: c.coverage))
    }

    /// Decision 5 divides last: 999 × 25/30 is exactly 832.5 and rounds half away from zero to 833; a
    /// 24-hour period's 20 hours of 3 is exactly 2.5 -> 3. (Multiplying by the fraction truncated to
    /// 38 digits first gives 832.4999… and 2.4999…, which round down.)
    @Test func prorationsThatEndInAnExactHalf() {
        let november = BillingSchedule(anchor: Instant(year: 2026, month: 12, day: 1), interval: BillingInterval(.month))
        let stub = november.prorate(
            ExactDecimal(999), over: Period(start: Instant(year: 2026, month: 11, day: 6), end: Instant(year: 2026, month: 12, day: 1)))
        #expect(stub == ExactDecimal(parsing: "832.5"))
        #expect(stub.roundedToMinorUnits() == 833)
        let daily = BillingSchedule(anchor: Instant(year: 2026, month: 11, day: 6), interval: BillingInterval(.day))
        let credit = -daily.prorate(
            ExactDecimal(3), over: Period(start: Instant(year: 2026, month: 11, day: 6, hour: 4), end: Instant(year: 2026, month: 11, day: 7)))
        #expect(credit.roundedToMinorUnits() == -3)
        // Two partial weeks, added before dividing: anchor Fri Jan 9, [Jan 2 12:00, Jan 13) covers 156 of the 168 hours of
        // [Jan 2, Jan 9) and 96 of [Jan 9, Jan 16): 999 × 252/168 = 1498.5 -> 1499 (each share divided alone gives 1498.4999…).
        let weekly = BillingSchedule(anchor: Instant(year: 2026, month: 1, day: 9), interval: BillingInterval(.week))
        let twoParts = weekly.prorate(
            ExactDecimal(999), over: Period(start: Instant(year: 2026, month: 1, day: 2, hour: 12), end: Instant(year: 2026, month: 1, day: 13)))
        #expect(twoParts == ExactDecimal(parsing: "1498.5"))
        #expect(twoParts.roundedToMinorUnits() == 1499)
        // Whole periods are the amount itself, partial ones their share: 1 + 14/28 of 1000 = 1500.
        let monthly = BillingSchedule(anchor: Instant(year: 2026, month: 1, day: 1), interval: BillingInterval(.month))
        #expect(
            monthly.prorate(
                ExactDecimal(1000), over: Period(start: Instant(year: 2026, month: 1, day: 1), end: Instant(year: 2026, month: 2, day: 15)))
                == ExactDecimal(1500))
    }

    /// A stub with a non-terminating fraction: anchor Feb 1, [Jan 15, Feb 1) = 17 of January's 31 days;
    /// 10000 × 17/31 = 5483.87… → 5484.
    @Test func stubWithRepeatingFraction() {
        let schedule = BillingSchedule(anchor: Instant(year: 2026, month: 2, day: 1), interval: BillingInterval(.month))
        let factor = schedule.coverage(of: Period(start: Instant(year: 2026, month: 1, day: 15), end: Instant(year: 2026, month: 2, day: 1)))
        #expect((ExactDecimal(10_000) * factor).roundedToMinorUnits() == 5484)
        #expect(factor > ExactDecimal(parsing: "0.548387096774")!)
        #expect(factor < ExactDecimal(parsing: "0.548387096775")!)
    }
}
