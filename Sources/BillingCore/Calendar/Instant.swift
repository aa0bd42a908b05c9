/// A UTC instant in whole seconds since the Unix epoch.
public struct Instant: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    static let distantFuture = Instant(seconds: Int64.max / 4)

    /// The earliest instant a scenario or usage file may name: 0000-01-01T00:00:00Z, RFC 3339's first.
    public static let earliest = Instant(seconds: -62_167_219_200)
    /// The latest: 9999-12-31T23:59:59Z, RFC 3339's last (Unix seconds have no upper bound; a clock
    /// beyond it would run for ever).
    public static let latest = Instant(seconds: 253_402_300_799)
    /// Whether the instant is within ``earliest`` ... ``latest``, the range every parser accepts.
    public var isWithinRFC3339: Bool { Self.earliest <= self && self <= Self.latest }

    public static func < (lhs: Instant, rhs: Instant) -> Bool { lhs.seconds < rhs.seconds }
    public static func + (lhs: Instant, rhs: TimeSpan) -> Instant { Instant(seconds: lhs.seconds + rhs.seconds) }
    public static func - (lhs: Instant, rhs: TimeSpan) -> Instant { Instant(seconds: lhs.seconds - rhs.seconds) }
    /// Seconds from `rhs` to `lhs`.
    public static func - (lhs: Instant, rhs: Instant) -> Int64 { lhs.seconds - rhs.seconds }

    /// The instant of a civil UTC date and time.
    public init(year: Int, month: Int, day: Int, hour: Int = 0, minute: Int = 0, second: Int = 0) {
        let days = CivilDate.daysFromCivil(year: year, month: month, day: day)
        seconds = Int64(days) * 86_400 + Int64(hour * 3600 + minute * 60 + second)
    }

    /// The civil UTC date and the seconds into that day.
    public var civil: (date: CivilDate, secondOfDay: Int64) {
        // Floor division without `seconds - 86_399`, which overflows near Int64.min.
        var (days, secondOfDay) = seconds.quotientAndRemainder(dividingBy: 86_400)
        if secondOfDay < 0 { (days, secondOfDay) = (days - 1, secondOfDay + 86_400) }
        return (CivilDate(daysSinceEpoch: Int(days)), secondOfDay)
    }

    /// RFC 3339 in UTC: `2026-01-15T12:00:00Z`.
    public var description: String {
        let (date, secondOfDay) = civil
        return "\(date)T\(pad(secondOfDay / 3600)):\(pad(secondOfDay / 60 % 60)):\(pad(secondOfDay % 60))Z"
    }

    /// Parses RFC 3339 (`2026-01-15T12:00:00Z`, with `Z` or a `±hh:mm` offset and optional fractional
    /// seconds that must be zero), a bare date (`2026-01-15`, midnight UTC) or Unix seconds; `nil` for
    /// anything else or outside ``earliest`` ... ``latest`` (years 0000 to 9999, as RFC 3339).
    public init?(parsing text: String) {
        var text = text.trimmingWhitespace()
        guard let instant = text.withUTF8({ Instant(utf8: $0) }) else { return nil }
        self = instant
    }
}

/// A span of clock time in whole seconds (`90s`, `15m`, `1h`, `3d`, `2w`).
public struct TimeSpan: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var seconds: Int64

    public init(seconds: Int64) { self.seconds = seconds }

    /// The longest span a scenario may write: 10,000 years of 366 days (the whole RFC 3339 range), so
    /// that an instant plus or minus any span stays far inside `Int64`.
    public static let maximum = TimeSpan(seconds: 10_000 * 366 * 86_400)
    public static func hours(_ n: Int64) -> TimeSpan { TimeSpan(seconds: n * 3600) }
    public static func days(_ n: Int64) -> TimeSpan { TimeSpan(seconds: n * 86_400) }
    public static func minutes(_ n: Int64) -> TimeSpan { TimeSpan(seconds: n * 60) }

    public static func < (lhs: TimeSpan, rhs: TimeSpan) -> Bool { lhs.seconds < rhs.seconds }

    /// Parses `90s`, `15m`, `1h`, `3d`, `2w` (a bare number is seconds); `nil` beyond ``maximum``.
    public init?(parsing text: String) {
        let text = text.trimmingWhitespace()
        guard let last = text.last else { return nil }
        let multiplier: Int64
        var digits = Substring(text)
        switch last {
        case "s": multiplier = 1
        case "m": multiplier = 60
        case "h": multiplier = 3600
        case "d": multiplier = 86_400
        case "w": multiplier = 604_800
        default:
            guard last.isNumber else { return nil }
            multiplier = 1
        }
        if !last.isNumber { digits = digits.dropLast() }
        guard !digits.isEmpty, digits.allSatisfy({ $0.isASCII && $0.isNumber }), let value = Int64(digits) else { return nil }
        let (product, overflow) = value.multipliedReportingOverflow(by: multiplier)
        guard !overflow, product <= Self.maximum.seconds else { return nil }
        seconds = product
    }

    /// The shortest exact form: `3600` seconds → `1h`.
    public var description: String {
        for (unit, size) in [("w", Int64(604_800)), ("d", 86_400), ("h", 3600), ("m", 60)] where seconds != 0 && seconds % size == 0 {
            return "\(seconds / size)\(unit)"
        }
        return "\(seconds)s"
    }
}

/// A proleptic Gregorian calendar date.
public struct CivilDate: Sendable, Hashable, CustomStringConvertible {
    public var year: Int
    public var month: Int
    public var day: Int

    public init(year: Int, month: Int, day: Int) {
        self.year = year
        self.month = month
        self.day = day
    }

    /// Howard Hinnant's `civil_from_days`.
    public init(daysSinceEpoch: Int) {
        let z = daysSinceEpoch + 719_468
        let era = (z >= 0 ? z : z - 146_096) / 146_097
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36_524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        day = doy - (153 * mp + 2) / 5 + 1
        month = mp < 10 ? mp + 3 : mp - 9
        year = yoe + era * 400 + (month <= 2 ? 1 : 0)
    }

    /// Howard Hinnant's `days_from_civil`.
    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int {
        let y = month <= 2 ? year - 1 : year
        let era = (y >= 0 ? y : y - 399) / 400
        let yoe = y - era * 400
        let mp = month > 2 ? month - 3 : month + 9
        let doy = (153 * mp + 2) / 5 + day - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    public static func isLeap(_ year: Int) -> Bool { year % 4 == 0 && (year % 100 != 0 || year % 400 == 0) }

    public static func daysIn(year: Int, month: Int) -> Int {
        switch month {
        case 2: return isLeap(year) ? 29 : 28
        case 4, 6, 9, 11: return 30
        default: return 31
        }
    }

    public var daysSinceEpoch: Int { Self.daysFromCivil(year: year, month: month, day: day) }

    /// `2026-01-15`; years 0 to 999 padded to four digits, negative years with their sign (`-1000-01-01`).
    public var description: String {
        let digits = String(year.magnitude)
        let padded = digits.count < 4 ? String(repeating: "0", count: 4 - digits.count) + digits : digits
        return "\(year < 0 ? "-" : "")\(padded)-\(pad(Int64(month)))-\(pad(Int64(day)))"
    }
}

func pad(_ value: Int64) -> String { value < 10 ? "0\(value)" : "\(value)" }

extension String {
    func trimmingWhitespace() -> String {
        String(drop(while: \.isWhitespace).reversed().drop(while: \.isWhitespace).reversed())
    }
}
