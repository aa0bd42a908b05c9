import BillingCore
import BillingDocument

// Arrival shapes: `bursty` (on/off) and `diurnal` (a 24-hour profile, weekdays and weekends). Both are a
// rate that repeats (every on + off, every week) and share one exact, lazy construction:
//
// - The rate is piecewise constant. Counted in integer "parts" (one event = `perEvent` parts), Λ(t), the
//   parts expected from the period's anchor to the second t, is an exact integer.
// - Event k of a customer stands for the parts [k·perEvent, (k+1)·perEvent): it happens in the second where
//   Λ reaches a point drawn uniformly in that slot (a seeded draw keyed by the customer and k alone).
//   So any span whose ends Λ puts on whole events holds exactly that many events (each hour of a
//   diurnal profile whose share is a whole number, each burst of `on × rate` events), events never fall
//   where the rate is 0, and a customer's events depend on its own key only.
// - Nothing is kept between events: the next event after second p is found from Λ(p + 1), so memory does
//   not grow with the number of events; the shape's tables are shared by every customer of a stream. A
//   customer sends at most one event a second (a drawn rate whose busiest hour passes 3600/h is lowered
//   to it, keeping the shape's proportions).
// Only integers here: no `Double` but `expectedCount`, the estimate for `settings.limits`.

/// The shape of a rate that repeats every period: consecutive segments, each with a constant weight
/// (parts per second at a rate of one unit). Shared by every customer of a stream (its arrays are
/// copied on write, never per customer).
struct PeriodicShape: Sendable {
    let period: Int64
    /// Each segment's first second within the period, then the period's length.
    let starts: [Int64]
    let weights: [Int128]
    /// The weight before each segment within the period (Σ seconds × weight), then a whole period's.
    let before: [Int128]

    init(segments: [(seconds: Int64, weight: Int128)]) {
        var starts: [Int64] = [0]
        var before: [Int128] = [0]
        for segment in segments {
            starts.append(starts.last! + segment.seconds)
            before.append(before.last! + Int128(segment.seconds) * segment.weight)
        }
        period = starts.last!
        self.starts = starts
        weights = segments.map(\.weight)
        self.before = before
    }
}

/// One customer's periodic rate: the shape at `rate` units, its periods starting at `anchor`, counted in
/// parts (one event = `perEvent` parts).
struct PeriodicIntensity: Sendable {
    let shape: PeriodicShape
    /// Where a period starts (Unix seconds).
    let anchor: Int64
    /// The multiplier of the shape's weights (> 0).
    let rate: Int128
    let perEvent: Int128

    var period: Int64 { shape.period }
    var perPeriod: Int128 { shape.before.last! * rate }

    /// Λ(t): the parts from the anchor to second t (negative before the anchor).
    func parts(at second: Int64) -> Int128 {
        let (cycles, offset) = floorDivision(second - anchor, shape.period)
        // The last segment starting at or before `offset` (the first starts at 0).
        let low = shape.starts.prefix(shape.weights.count).partitioningIndex { $0 > offset } - 1
        return rate * (Int128(cycles) * shape.before.last! + shape.before[low] + Int128(offset - shape.starts[low]) * shape.weights[low])
    }

    /// The second t with Λ(t) ≤ x < Λ(t + 1): where Λ passes x (needs `perPeriod > 0`). Λ = rate × U with U
    /// an integer, so U(t) ≤ x / rate < U(t + 1) is U(t) ≤ ⌊x / rate⌋ < U(t + 1).
    func second(reaching x: Int128) -> Int64 {
        let (cycles, remainder) = floorDivision(floorDivision(x, rate).0, shape.before.last!)
        // The last segment with weight before it ≤ remainder (the first has 0): its weight is > 0.
        let low = shape.before.prefix(shape.weights.count).partitioningIndex { $0 > remainder } - 1
        let into = Int64((remainder - shape.before[low]) / shape.weights[low])
        return anchor + Int64(cycles) * shape.period + shape.starts[low] + into
    }
}

/// Floor division and its non-negative remainder.
func floorDivision<T: BinaryInteger>(_ value: T, _ divisor: T) -> (T, T) {
    var quotient = value / divisor
    var remainder = value % divisor
    if remainder < 0 {
        quotient -= 1
        remainder += divisor
    }
    return (quotient, remainder)
}

/// One customer's events under a periodic rate (see the top of this file).
struct ShapedArrivals: ArrivalProcess {
    let intensity: PeriodicIntensity
    /// The customer's own key: event k's draw is a function of (key, k) only.
    let key: UInt64

    /// Seconds outside the RFC 3339 range (where every instant of a scenario lies) end the stream.
    static let range = Instant.earliest.seconds...Instant.latest.seconds

    func first(from: Instant, random: inout SplitMix64) -> Instant { next(after: from - TimeSpan(seconds: 1), random: &random) }

    func next(after previous: Instant, random: inout SplitMix64) -> Instant {
        guard intensity.perPeriod > 0, Self.range.contains(previous.seconds) else { return NoArrivals.never }
        let slot = floorDivision(intensity.parts(at: previous.seconds + 1), intensity.perEvent).0
        let candidate = second(ofEvent: slot)
        return Instant(seconds: candidate > previous.seconds ? candidate : second(ofEvent: slot + 1))
    }

    /// The second of event k: where Λ reaches a seeded point of the slot, moved to the first second whose
    /// start lies in the slot when the second straddles the slot's start (one event a second at most).
    func second(ofEvent slot: Int128) -> Int64 {
        var random = SplitMix64(seed: key &+ UInt64(truncatingIfNeeded: slot) &* 0xD1B5_4A32_D192_ED03)
        let wide = UInt128(random.next()) << 64 | UInt128(random.next())
        let start = slot * intensity.perEvent
        let second = intensity.second(reaching: start + Int128(wide.multipliedFullWidth(by: UInt128(intensity.perEvent)).high))
        guard intensity.parts(at: second) < start else { return second }
        return intensity.second(reaching: intensity.parts(at: second + 1))
    }

    func expectedCount(over seconds: Int64) -> Double {
        Double(seconds) / Double(intensity.period) * Double(intensity.perPeriod) / Double(intensity.perEvent)
    }
}

/// `bursty` and `diurnal` as written: a rate (fixed, or drawn once per customer) and the shape it takes.
struct ShapedArrivalPlugin: ArrivalProcess {
    /// Events per hour, or the distribution each customer's is drawn from.
    let rate: Rate
    let shape: PeriodicShape
    /// Parts in one event: one unit of a rate in events per hour over a second of weight w gives w parts.
    let perEvent: Int128
    /// Where periods start: Monday for `diurnal`; for `bursty`, each customer's own seeded phase.
    let anchor: Int64
    let phased: Bool

    enum Rate: Sendable {
        case fixed(Decimal12)
        case drawn(any ValueDistribution)
    }

    func forCustomer(random: inout SplitMix64) -> any ArrivalProcess {
        let perHour: Decimal12
        switch rate {
        case .fixed(let value): perHour = value
        case .drawn(let distribution): perHour = distribution.value(random: &random)
        }
        let key = random.next()
        // A rate drawn at or below 0 gives that customer no events; one whose busiest second would pass one
        // event is lowered to one (the whole shape, so it keeps its proportions).
        guard perHour > .zero, let busiest = shape.weights.max(), busiest > 0 else { return NoArrivals() }
        let phase = phased ? Int64(random.next(below: UInt64(shape.period))) : 0
        let intensity = PeriodicIntensity(shape: shape, anchor: anchor + phase, rate: min(perHour.units, perEvent / busiest), perEvent: perEvent)
        return ShapedArrivals(intensity: intensity, key: key)
    }

    /// One event a second.
    static let maxPerHour = Decimal12(3600)

    // Used only through `forCustomer`, like `PerCustomerPoisson`.
    func first(from: Instant, random: inout SplitMix64) -> Instant { NoArrivals.never }
    func next(after previous: Instant, random: inout SplitMix64) -> Instant { NoArrivals.never }
    func expectedCount(over seconds: Int64) -> Double { 0 }

    /// Reads `rate`: `N/unit`, or a distribution drawn per customer (`{ kind: lognormal, median: 40/h, … }`).
    /// `peak` is the busiest rate a fixed `rate` gives, which must not pass one event a second.
    static func rate(_ parameters: inout GeneratorParameters, peak: (Decimal12) -> Decimal12) throws -> Rate {
        if let written = parameters.nestedParameters("rate") { return .drawn(try PerCustomerPoisson.distribution(written)) }
        let (text, location) = try parameters.text("rate")
        guard let perHour = PoissonArrivals.perHour(rate: text), perHour > .zero else {
            throw GeneratorParameters.Problem(location: location, message: "rate: expected events per unit like 12/h, found \"\(text)\"")
        }
        guard peak(perHour) <= maxPerHour else {
            throw GeneratorParameters.Problem(
                location: location,
                message: "rate: a customer sends at most one event a second, but the busiest hour's rate is \(peak(perHour))/h (above 3600/h)")
        }
        return .fixed(perHour)
    }

    /// `{ kind: bursty, rate: 120/h, on: 10m, off: 50m }`: bursts of `on` at `rate`, then `off` with no
    /// events, again and again; each customer's bursts start at its own seeded phase.
    static func bursty(_ parameters: inout GeneratorParameters) throws -> any ArrivalProcess {
        let rate = try rate(&parameters) { $0 }
        let on = try parameters.duration("on").seconds
        let off = try parameters.duration("off").seconds
        for (key, seconds) in [("on", on), ("off", off)] where seconds > 366 * 86_400 {
            throw GeneratorParameters.Problem(location: try parameters.text(key).location, message: "\(key): at most 366d, found \(seconds)s")
        }
        // A second of a burst at `perHour` holds `perHour.units` parts: 3600 · 10¹² of them make an event.
        return ShapedArrivalPlugin(
            rate: rate, shape: PeriodicShape(segments: [(on, 1), (off, 0)]), perEvent: 3600 * Decimal12.scale, anchor: 0, phased: true)
    }

    /// 1970-01-05, a Monday: where a week of the diurnal profile starts.
    static let monday: Int64 = 4 * 86_400

    /// `{ kind: diurnal, rate: 10/h, weekdays: [24 weights], weekends: [24 weights] }`: hour h of a weekday
    /// (UTC) has rate × 24 × weekdays[h] / Σ weekdays events, so a weekday has 24 × rate; a Saturday or
    /// Sunday hour has rate × 24 × weekends[h] / Σ weekdays (the same scale; default: the weekday profile).
    static func diurnal(_ parameters: inout GeneratorParameters) throws -> any ArrivalProcess {
        let weekdays = try hourWeights(&parameters, "weekdays")
        let weekends = parameters.optionalText("weekends") == nil ? weekdays : try hourWeights(&parameters, "weekends")
        let total = Int128(weekdays.reduce(0, +))
        guard total > 0 else {
            throw GeneratorParameters.Problem(
                location: try parameters.text("weekdays").location, message: "weekdays: expected at least one weight above 0")
        }
        let busiest = Int128(max(weekdays.max()!, weekends.max()!))
        let rate = try rate(&parameters) { Decimal12(units: $0.units * 24 * busiest / total) }
        let week: [Int64] = (0..<7).flatMap { day in day < 5 ? weekdays : weekends }
        // A second of hour h at `perHour` holds perHour.units × 24 × w[h] parts; 3600 · 10¹² · Σ weekdays make an event.
        let segments: [(seconds: Int64, weight: Int128)] = week.map { (3600, 24 * Int128($0)) }
        return ShapedArrivalPlugin(
            rate: rate, shape: PeriodicShape(segments: segments), perEvent: 3600 * Decimal12.scale * total, anchor: monday, phased: false)
    }

    /// 24 whole numbers from 0 to 1,000,000, one per UTC hour from 00 to 23.
    static func hourWeights(_ parameters: inout GeneratorParameters, _ key: String) throws -> [Int64] {
        let items = try parameters.list(key)
        let weights = items.compactMap { Int64($0.text) }.filter { (0...1_000_000).contains($0) }
        guard items.count == 24, weights.count == 24 else {
            let shown =
                items.count == 24 ? items.map(\.text).first { Int64($0).map { !(0...1_000_000).contains($0) } ?? true }.map { "\"\($0)\"" } : nil
            throw GeneratorParameters.Problem(
                location: try parameters.text(key).location,
                message: "\(key): expected 24 whole numbers from 0 to 1000000 (one per UTC hour, 00 to 23), found "
                    + (shown ?? "\(items.count) values"))
        }
        return weights
    }
}
