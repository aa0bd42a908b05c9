/// A recurring interval: `day`, `week`, `month` or `year`, times `interval_count`.
public struct BillingInterval: Sendable, Hashable, CustomStringConvertible {
    public enum Unit: String, Sendable, Hashable, CaseIterable {
        case day, week, month, year
    }

    public var unit: Unit
    public var count: Int

    public init(_ unit: Unit, count: Int = 1) {
        self.unit = unit
        self.count = count
    }

    /// Stripe's cap: three years (3 years, 36 months, 156 weeks, 1095 days).
    public var isWithinStripeMaximum: Bool {
        switch unit {
        case .day: count <= 1095
        case .week: count <= 156
        case .month: count <= 36
        case .year: count <= 3
        }
    }

    public var description: String { count == 1 ? unit.rawValue : "\(count) \(unit.rawValue)s" }

    /// The `k`-th boundary after (k > 0) or before (k < 0) `anchor`, always computed from the anchor
    /// so that month-end anchors clamp and return (Jan 31 → Feb 28 → Mar 31).
    public func boundary(_ k: Int, from anchor: Instant) -> Instant {
        switch unit {
        case .day: return Instant(seconds: anchor.seconds + Int64(k * count) * 86_400)
        case .week: return Instant(seconds: anchor.seconds + Int64(k * count) * 604_800)
        case .month, .year:
            let months = k * count * (unit == .year ? 12 : 1)
            let (date, secondOfDay) = anchor.civil
            let total = date.year * 12 + (date.month - 1) + months
            let year = total >= 0 ? total / 12 : (total - 11) / 12
            let month = total - year * 12 + 1
            let day = min(date.day, CivilDate.daysIn(year: year, month: month))
            return Instant(seconds: Int64(CivilDate.daysFromCivil(year: year, month: month, day: day)) * 86_400 + secondOfDay)
        }
    }

    /// The index `k` of the period `[boundary(k), boundary(k+1))` that contains `instant`.
    public func periodIndex(containing instant: Instant, anchor: Instant) -> Int {
        let approxSeconds: Int64 =
            switch unit {
            case .day: 86_400
            case .week: 604_800
            case .month: 2_629_746
            case .year: 31_556_952
            }
        var k = Int((instant.seconds - anchor.seconds) / (approxSeconds * Int64(count)))
        while boundary(k, from: anchor) > instant { k -= 1 }
        while boundary(k + 1, from: anchor) <= instant { k += 1 }
        return k
    }
}

/// A half-open span of time `[start, end)`.
public struct Period: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var start: Instant
    public var end: Instant

    public init(start: Instant, end: Instant) {
        self.start = start
        self.end = end
    }

    public var seconds: Int64 { end - start }
    public func contains(_ instant: Instant) -> Bool { start <= instant && instant < end }

    public static func < (lhs: Period, rhs: Period) -> Bool { (lhs.start, lhs.end) < (rhs.start, rhs.end) }

    public var description: String { "\(start) → \(end)" }
}

/// The billing periods of a subscription: boundaries `anchor + k × interval`.
public struct BillingSchedule: Sendable, Hashable {
    public var anchor: Instant
    public var interval: BillingInterval

    public init(anchor: Instant, interval: BillingInterval) {
        self.anchor = anchor
        self.interval = interval
    }

    /// The full period `[boundary(k), boundary(k+1))` containing `instant`.
    public func period(containing instant: Instant) -> Period {
        let k = interval.periodIndex(containing: instant, anchor: anchor)
        return Period(start: interval.boundary(k, from: anchor), end: interval.boundary(k + 1, from: anchor))
    }

    /// The first boundary strictly after `instant`.
    public func nextBoundary(after instant: Instant) -> Instant { period(containing: instant).end }
}
