import BillingCore
import BillingDocument
import Foundation

// Distributions a pricing analyst expects, as `value:` plugins (and quantities of generated
// subscriptions). `Double` is used only inside sampling (a log, an exp, a square root of a seeded
// uniform draw); every sample is rounded once, half away from zero, to the grid of `decimals`
// places and leaves here as an exact `Decimal12`. Money is never a `Double`.

extension SplitMix64 {
    /// The source of one (seed, stream, key) triple: a stream name (`created`, `plan`, …) and a key
    /// (a customer id or index) each select their own sequence, so adding a customer or a stream never
    /// changes the values another one draws.
    public init(seed: UInt64, stream: String, key: String) {
        var hash: UInt64 = 0xCBF2_9CE4_8422_2325  // FNV-1a over "stream\u{0}key"
        for byte in stream.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        hash = (hash ^ 0) &* 0x0000_0100_0000_01B3
        for byte in key.utf8 { hash = (hash ^ UInt64(byte)) &* 0x0000_0100_0000_01B3 }
        var mixer = SplitMix64(seed: seed ^ hash)
        self.init(seed: mixer.next())
    }

    /// A uniform draw in the open interval (0, 1), for sampling only.
    mutating func unitInterval() -> Double { (Double(next() >> 11) + 0.5) / 9_007_199_254_740_992.0 }

    /// A standard normal draw (Box–Muller with two uniforms), for sampling only.
    mutating func standardNormal() -> Double {
        let u = unitInterval()
        let v = unitInterval()
        return (-2 * log(u)).squareRoot() * cos(2 * Double.pi * v)
    }
}

extension Decimal12 {
    /// `sample` rounded half away from zero to `decimals` places; nil when it is not finite or out of range.
    static func rounded(_ sample: Double, decimals: Int) -> Decimal12? {
        let step = pow(10.0, Double(decimals))
        let scaled = (sample * step).rounded(.toNearestOrAwayFromZero)
        guard scaled.isFinite, abs(scaled) < 9.0e15 else { return nil }
        var units = Int128(Int64(scaled)) * Decimal12.scale
        for _ in 0..<decimals { units /= 10 }
        return Decimal12(units: units)
    }

    /// The nearest whole number (half away from zero), for quantities.
    public var roundedToInteger: Int64? {
        let half = Decimal12.scale / 2
        let whole = units >= 0 ? (units + half) / Decimal12.scale : (units - half) / Decimal12.scale
        return Int64(exactly: whole)
    }

    var double: Double { Double(units) / Double(Decimal12.scale) }
}

/// A distribution sampled as a `Double` and rounded to `decimals` places (0: whole numbers).
struct SampledValue: ValueDistribution {
    let decimals: Int
    let sample: @Sendable (inout SplitMix64) -> Double

    func value(random: inout SplitMix64) -> Decimal12 {
        // A sample beyond ±9e15 (a heavy tail) is cut to the largest representable value, never wrapped.
        let drawn = sample(&random)
        if let value = Decimal12.rounded(drawn, decimals: decimals) { return value }
        return Decimal12(units: (drawn < 0 ? -9_000_000_000_000_000 : 9_000_000_000_000_000) * Decimal12.scale)
    }
}

/// `{ kind: choice, values: [1, 5, 20], weights: [70, 20, 10] }`: one of the values, with integer weights.
public struct ChoiceValue: ValueDistribution {
    public var values: [Decimal12]
    public var weights: [UInt64]

    public func value(random: inout SplitMix64) -> Decimal12 { values[Self.pick(weights, random: &random)] }

    /// The index drawn with these weights (their sum is > 0).
    static func pick(_ weights: [UInt64], random: inout SplitMix64) -> Int {
        var draw = random.next(below: weights.reduce(0, +))
        for (index, weight) in weights.enumerated() {
            if draw < weight { return index }
            draw -= weight
        }
        return weights.count - 1
    }
}

extension GeneratorParameters {
    /// A positive decimal as a `Double` parameter of a sampler.
    mutating func positive(_ key: String) throws -> Double {
        let value = try decimal(key)
        guard value > .zero else { throw Problem(location: try text(key).location, message: "\(key): must be > 0") }
        return value.double
    }

    /// A list written `[a, b, c]` (its elements joined with commas by the loader).
    mutating func list(_ key: String) throws -> [(text: String, location: SourceLocation)] {
        let (text, location) = try text(key)
        return text.split(separator: ",").map { (String($0).trimmingCharacters(in: .whitespaces), location) }
    }

    mutating func decimals() throws -> Int { try optionalInteger("decimals", in: 0...12) ?? 0 }
}

/// The `value` kinds beyond `constant` and `uniform` (GeneratorRegistry.values lists them all).
enum Distributions {
    static let factories: [String: GeneratorRegistry.ValueFactory] = [
        // { kind: normal, mean: 100, sd: 15 }
        "normal": { parameters in
            let mean = try parameters.decimal("mean").double
            let sd = try parameters.positive("sd")
            return SampledValue(decimals: try parameters.decimals()) { mean + sd * $0.standardNormal() }
        },
        // { kind: lognormal, median: 40, sigma: 1.2 }: exp(ln(median) + sigma · N(0, 1))
        "lognormal": { parameters in
            let median = try parameters.positive("median")
            let sigma = try parameters.positive("sigma")
            return SampledValue(decimals: try parameters.decimals()) { median * exp(sigma * $0.standardNormal()) }
        },
        // { kind: pareto, scale: 10, alpha: 1.5 }: scale / U^(1/alpha), never below scale
        "pareto": { parameters in
            let scale = try parameters.positive("scale")
            let alpha = try parameters.positive("alpha")
            return SampledValue(decimals: try parameters.decimals()) { scale / pow($0.unitInterval(), 1 / alpha) }
        },
        "choice": { parameters in
            let values = try parameters.list("values").map { item in
                guard let value = Decimal12(item.text) else {
                    throw GeneratorParameters.Problem(location: item.location, message: "values: expected decimal numbers, found \"\(item.text)\"")
                }
                return value
            }
            let weightItems: [(text: String, location: SourceLocation)] =
                parameters.optionalText("weights") != nil ? try parameters.list("weights") : values.map { _ in ("1", parameters.location) }
            let weights = try weightItems.map { item in
                guard let weight = UInt64(item.text), weight <= UInt64(UInt32.max) else {
                    throw GeneratorParameters.Problem(location: item.location, message: "weights: expected whole numbers, found \"\(item.text)\"")
                }
                return weight
            }
            guard !values.isEmpty, weights.count == values.count, weights.contains(where: { $0 > 0 }) else {
                throw GeneratorParameters.Problem(
                    location: try parameters.text("values").location,
                    message:
                        "values: expected one or more values with as many weights (not all 0), found \(values.count) values and \(weights.count) weights"
                )
            }
            return ChoiceValue(values: values, weights: weights)
        },
    ]
}
