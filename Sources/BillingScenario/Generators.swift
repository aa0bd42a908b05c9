import BillingCore
import BillingDocument
import Foundation

/// A small, fast, seeded random source (SplitMix64): same seed, same sequence, on every machine.
public struct SplitMix64: Sendable {
    var state: UInt64

    public init(seed: UInt64) { state = seed }

    public mutating func next() -> UInt64 {
        state &+= 0x9E37_79B9_7F4A_7C15
        var z = state
        z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
        z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
        return z ^ (z >> 31)
    }

    /// A uniform integer in `0..<bound` (multiply-high; no modulo bias worth noting for bounds ≪ 2⁶⁴).
    public mutating func next(below bound: UInt64) -> UInt64 {
        next().multipliedFullWidth(by: bound).high
    }
}

/// When a generated stream's events arrive.
public protocol ArrivalProcess: Sendable {
    /// The first arrival at or after `from`.
    func first(from: Instant, random: inout SplitMix64) -> Instant
    /// The arrival after one at `previous`.
    func next(after previous: Instant, random: inout SplitMix64) -> Instant
    /// How many arrivals `seconds` of clock time hold (the mean, for a random process), for
    /// `settings.limits.max_generated_events`.
    func expectedCount(over seconds: Int64) -> Double
    /// The process of one customer: a process whose rate is drawn per customer draws it here, once,
    /// from the customer's own source (the default is the same process for everyone).
    func forCustomer(random: inout SplitMix64) -> any ArrivalProcess
}

extension ArrivalProcess {
    public func forCustomer(random: inout SplitMix64) -> any ArrivalProcess { self }
}

/// What value each generated event carries.
public protocol ValueDistribution: Sendable {
    func value(random: inout SplitMix64) -> Decimal12
}

/// The parameters written beside `kind:` in `arrivals:` or `value:`, with their locations.
public struct GeneratorParameters {
    public var kind: String
    var values: [String: (text: String, location: SourceLocation)]
    /// Parameters written as a mapping (`rate: { kind: lognormal, median: 40/h, sigma: 1.2 }`).
    var nested: [String: GeneratorParameters] = [:]
    let location: SourceLocation
    /// Keys a plugin read; the rest are reported as unknown.
    public private(set) var used: Set<String> = []

    public init(kind: String, values: [String: (text: String, location: SourceLocation)], location: SourceLocation) {
        self.kind = kind
        self.values = values
        self.location = location
    }

    /// A problem with one parameter (or the whole mapping when `key` is nil).
    public struct Problem: Error, Sendable {
        public var location: SourceLocation
        public var message: String
    }

    public var keys: [String] { Array(values.keys) }

    /// The raw text of `key`, or an error naming it as required.
    public mutating func text(_ key: String) throws -> (text: String, location: SourceLocation) {
        used.insert(key)
        guard let value = values[key] else { throw Problem(location: location, message: "\(kind): missing `\(key)`") }
        return value
    }

    /// The mapping written at `key`, if it is one.
    mutating func nestedParameters(_ key: String) -> GeneratorParameters? {
        guard let inner = nested[key] else { return nil }
        used.insert(key)
        return inner
    }

    public mutating func optionalText(_ key: String) -> (text: String, location: SourceLocation)? {
        used.insert(key)
        return values[key]
    }

    public mutating func duration(_ key: String) throws -> TimeSpan {
        let (text, location) = try text(key)
        guard let span = TimeSpan(parsing: text), span.seconds > 0 else {
            throw Problem(location: location, message: "\(key): expected a positive duration like 90s, 15m, 1h, 3d, found \"\(text)\"")
        }
        return span
    }

    public mutating func decimal(_ key: String) throws -> Decimal12 {
        let (text, location) = try text(key)
        guard let value = Decimal12(text) else { throw Problem(location: location, message: "\(key): expected a decimal number, found \"\(text)\"") }
        return value
    }

    public mutating func optionalInteger(_ key: String, in range: ClosedRange<Int>) throws -> Int? {
        guard let (text, location) = optionalText(key) else { return nil }
        guard let value = Int(text), range.contains(value) else {
            throw Problem(location: location, message: "\(key): expected an integer in \(range.lowerBound)...\(range.upperBound), found \"\(text)\"")
        }
        return value
    }
}

/// `{ kind: constant, every: 1m }`: one event at `from`, then one every interval.
public struct ConstantArrivals: ArrivalProcess {
    public var every: TimeSpan
    public init(every: TimeSpan) { self.every = every }
    public func first(from: Instant, random: inout SplitMix64) -> Instant { from }
    public func next(after previous: Instant, random: inout SplitMix64) -> Instant { previous + every }
    public func expectedCount(over seconds: Int64) -> Double { seconds <= 0 ? 0 : Double((seconds - 1) / every.seconds + 1) }
}

/// `{ kind: poisson, rate: 12/h }`: exponential gaps with the given mean rate, rounded to whole seconds.
///
/// The gap uses one `log` of a seeded uniform draw; it is clock time, never money or a quantity.
public struct PoissonArrivals: ArrivalProcess {
    /// Mean seconds between events.
    public var meanGap: Double

    public init(meanGap: Double) { self.meanGap = meanGap }

    public func first(from: Instant, random: inout SplitMix64) -> Instant { next(after: from, random: &random) }
    public func expectedCount(over seconds: Int64) -> Double { Double(seconds) / meanGap }

    public func next(after previous: Instant, random: inout SplitMix64) -> Instant {
        let uniform = (Double(random.next() >> 11) + 0.5) / 9_007_199_254_740_992.0
        // A gap past the longest span a scenario can hold ends the stream anyway (and `Int64(_:)` of a
        // larger Double would trap).
        let gap = min((-meanGap * log(uniform)).rounded(), Double(TimeSpan.maximum.seconds))
        return previous + TimeSpan(seconds: Int64(gap))
    }

    /// `12/h` in events per hour, exactly (to 12 decimal places).
    public static func perHour(rate text: String) -> Decimal12? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Decimal12(String(parts[0])), count >= .zero, let unit = TimeSpan(parsing: "1" + parts[1]) else {
            return nil
        }
        return Decimal12(units: count.units * 3600 / Int128(unit.seconds))
    }

    /// Parses `12/h` (events per `s`, `m`, `h`, `d` or `w`; the count may be decimal).
    public static func meanGap(rate text: String) -> Double? {
        let parts = text.split(separator: "/")
        guard parts.count == 2, let count = Decimal12(String(parts[0])), count > .zero,
            let unit = TimeSpan(parsing: "1" + parts[1])
        else { return nil }
        let perUnit = Double(count.units) / Double(Decimal12.scale)
        return Double(unit.seconds) / perUnit
    }
}

/// `{ kind: poisson, rate: { kind: lognormal, median: 40/h, sigma: 1.2 } }`: each customer's rate is
/// drawn once (in events per hour) from the distribution, then its events arrive as a Poisson process
/// at that rate. A rate drawn at or below 0 gives that customer no events.
public struct PerCustomerPoisson: ArrivalProcess {
    public var rate: any ValueDistribution

    public init(rate: any ValueDistribution) { self.rate = rate }

    public func forCustomer(random: inout SplitMix64) -> any ArrivalProcess {
        let perHour = rate.value(random: &random)
        guard perHour > .zero else { return NoArrivals() }
        return PoissonArrivals(meanGap: 3600 * Double(Decimal12.scale) / Double(perHour.units))
    }

    // Used only through `forCustomer`: on its own (no customer, so no rate) it never arrives.
    public func first(from: Instant, random: inout SplitMix64) -> Instant { NoArrivals().first(from: from, random: &random) }
    public func next(after previous: Instant, random: inout SplitMix64) -> Instant { NoArrivals().next(after: previous, random: &random) }
    public func expectedCount(over seconds: Int64) -> Double { 0 }

    /// The rate distribution of `rate: { kind: …, … }`: every `N/unit` parameter becomes events per hour,
    /// and samples keep 6 decimal places unless `decimals` says otherwise.
    static func distribution(_ written: GeneratorParameters) throws -> any ValueDistribution {
        var parameters = written
        for (key, value) in written.values where key != "decimals" && key != "weights" {
            let converted = try value.text.split(separator: ",").map { part -> String in
                let text = part.trimmingCharacters(in: .whitespaces)
                guard text.contains("/") else { return text }
                guard let perHour = PoissonArrivals.perHour(rate: text) else {
                    throw GeneratorParameters.Problem(
                        location: value.location, message: "rate: expected events per unit like 12/h, found \"\(text)\"")
                }
                return perHour.description
            }
            parameters.values[key] = (converted.joined(separator: ", "), value.location)
        }
        if parameters.values["decimals"] == nil { parameters.values["decimals"] = ("6", written.location) }
        guard let factory = GeneratorRegistry.values[written.kind] else {
            throw GeneratorParameters.Problem(
                location: written.location,
                message:
                    "rate: unknown distribution kind `\(written.kind)` (known: \(GeneratorRegistry.values.keys.sorted().joined(separator: ", ")))")
        }
        let distribution: any ValueDistribution
        do {
            distribution = try factory(&parameters)
        } catch let problem as GeneratorParameters.Problem {
            throw GeneratorParameters.Problem(location: problem.location, message: "rate: " + problem.message)
        }
        let unread = Set(written.values.keys).subtracting(parameters.used).subtracting(["decimals"]).sorted()
        if let first = unread.first {
            throw GeneratorParameters.Problem(
                location: written.values[first]!.location, message: "rate: unknown parameter `\(first)` of \(written.kind)")
        }
        return distribution
    }
}

/// A customer who sends nothing (a rate drawn at 0).
struct NoArrivals: ArrivalProcess {
    static let never = Instant(seconds: Int64.max / 4)
    func first(from: Instant, random: inout SplitMix64) -> Instant { Self.never }
    func next(after previous: Instant, random: inout SplitMix64) -> Instant { Self.never }
    func expectedCount(over seconds: Int64) -> Double { 0 }
}

/// `{ kind: constant, value: "1" }`.
public struct ConstantValue: ValueDistribution {
    public var value: Decimal12
    public init(value: Decimal12) { self.value = value }
    public func value(random: inout SplitMix64) -> Decimal12 { value }
}

/// `{ kind: uniform, min: 1, max: 500, decimals: 0 }`: uniform on the grid of `decimals` places, both ends included.
public struct UniformValue: ValueDistribution {
    public var min: Decimal12
    public var max: Decimal12
    public var decimals: Int

    public init(min: Decimal12, max: Decimal12, decimals: Int) {
        self.min = min
        self.max = max
        self.decimals = decimals
    }

    var step: Int128 {
        var step = Decimal12.scale
        for _ in 0..<decimals { step /= 10 }
        return step
    }

    /// Values of up to 24 integer digits each side: the number of grid points may pass 2⁶⁴ (a range
    /// wider than `Int64`), then the draw takes two 64-bit numbers.
    public func value(random: inout SplitMix64) -> Decimal12 {
        let steps = UInt128((max.units - min.units) / step) + 1
        let draw: UInt128
        if steps <= UInt128(UInt64.max) {
            draw = UInt128(random.next(below: UInt64(steps)))
        } else {
            let wide = UInt128(random.next()) << 64 | UInt128(random.next())
            draw = wide.multipliedFullWidth(by: steps).high
        }
        return Decimal12(units: min.units + Int128(draw) * step)
    }
}

/// Generator plugins by the `kind` a scenario names. Adding one is one type and one line here.
public enum GeneratorRegistry {
    public typealias ArrivalFactory = @Sendable (inout GeneratorParameters) throws -> any ArrivalProcess
    public typealias ValueFactory = @Sendable (inout GeneratorParameters) throws -> any ValueDistribution

    public static let arrivals: [String: ArrivalFactory] = [
        "constant": { parameters in ConstantArrivals(every: try parameters.duration("every")) },
        "poisson": { parameters in
            if let rate = parameters.nestedParameters("rate") { return PerCustomerPoisson(rate: try PerCustomerPoisson.distribution(rate)) }
            let (text, location) = try parameters.text("rate")
            guard let gap = PoissonArrivals.meanGap(rate: text) else {
                throw GeneratorParameters.Problem(location: location, message: "rate: expected events per unit like 12/h, found \"\(text)\"")
            }
            return PoissonArrivals(meanGap: gap)
        },
        "bursty": ShapedArrivalPlugin.bursty,
        "diurnal": ShapedArrivalPlugin.diurnal,
    ]

    public static let values: [String: ValueFactory] = builtInValues.merging(Distributions.factories) { own, _ in own }

    static let builtInValues: [String: ValueFactory] = [
        "constant": { parameters in ConstantValue(value: try parameters.decimal("value")) },
        "uniform": { parameters in
            let low = try parameters.decimal("min")
            let high = try parameters.decimal("max")
            let decimals = try parameters.optionalInteger("decimals", in: 0...12) ?? 0
            guard low <= high else { throw GeneratorParameters.Problem(location: try parameters.text("max").location, message: "max: must be ≥ min") }
            return UniformValue(min: low, max: high, decimals: decimals)
        },
    ]
}
