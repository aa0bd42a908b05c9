/// An exact decimal amount for per-line arithmetic (unit prices with up to 12 decimal places, tier
/// sums, quantities × unit amounts, proration fractions), in pure Swift.
///
/// The value is `±significand × 10^exponent` with an arbitrary-precision significand
/// (``LimbMagnitude``), so `+`, `-` and `*` are exact at any size: a 36-digit meter quantity times a
/// 12-decimal unit amount keeps all of its digits (Foundation's `Decimal`, used before, kept 38).
/// The representation is canonical (no trailing zeros in the significand, zero is `+0 × 10⁰`), so
/// `1.50 == 1.5` and both hash alike. Only ``scaled(by:over:)`` can be inexact, and only when the
/// quotient does not terminate (see there). Rounding to minor units happens once per line, half away
/// from zero (``roundedToMinorUnits()``), and reports a result beyond `Int64` as `nil`.
///
/// Only used once per invoice line, never per meter event. Values are built from text by our own
/// parser (no locale, no binary floating point).
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The digits, without trailing zeros (zero for the value 0).
    var significand: LimbMagnitude
    /// The power of ten the significand is scaled by (0 for the value 0).
    var exponent: Int
    /// Never set for zero.
    var isNegative: Bool

    public static let zero = ExactDecimal(significand: .zero, exponent: 0, isNegative: false)

    /// The most characters ``init(exactText:)`` reads: far beyond any computed amount, and a bound
    /// on the work a malformed store row can cause.
    public static let maxExactTextLength = 4096

    /// The canonical value `±significand × 10^exponent`.
    init(significand: LimbMagnitude, exponent: Int, isNegative: Bool) {
        let (digits, zeros) = significand.removingTrailingZeros()
        self.significand = digits
        self.exponent = digits.isZero ? 0 : exponent + zeros
        self.isNegative = digits.isZero ? false : isNegative
    }

    /// `units × 10^exponent`, exactly.
    init(units: Int128, exponent: Int) {
        self.init(significand: LimbMagnitude(units.magnitude), exponent: exponent, isNegative: units < 0)
    }

    public init(_ integer: Int64) {
        self.init(significand: LimbMagnitude(integer.magnitude), exponent: 0, isNegative: integer < 0)
    }

    public init(_ integer: Int) { self.init(Int64(integer)) }

    /// Parses a plain decimal string as a person writes one (optional sign, digits, optional `.` and
    /// digits; at most 12 fractional digits and 38 significant digits, trailing fractional zeros not
    /// counted); `nil` otherwise. Stores read computed amounts back with ``init(exactText:)``.
    public init?(parsing text: String) {
        var digits = Substring(text)
        var negative = false
        if digits.first == "-" || digits.first == "+" {
            negative = digits.first == "-"
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !digits.isEmpty,
            parts.allSatisfy({ $0.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }),
            parts[0].count + (parts.count == 2 ? parts[1].count : 0) > 0
        else { return nil }
        var fraction = parts.count == 2 ? parts[1] : ""
        while fraction.last == "0" { fraction.removeLast() }
        guard fraction.count <= 12 else { return nil }
        let whole = parts[0].drop { $0 == "0" }
        // The whole part counts at least one digit ("0.5" has two), as it always has.
        guard max(whole.count, 1) + fraction.count <= 38 else { return nil }
        let significandDigits = Substring(String(whole) + fraction)
        guard let magnitude = significandDigits.isEmpty ? LimbMagnitude.zero : LimbMagnitude(decimalDigits: significandDigits.utf8)
        else { return nil }
        self.init(significand: magnitude, exponent: -fraction.count, isNegative: negative)
    }

    /// Reads back any text ``description`` wrote (stores persist computed amounts as text): an
    /// optional `-`, digits, an optional `.` and digits, every digit kept, trailing zeros allowed (a
    /// PostgreSQL `numeric` may add them); `nil` for anything else or beyond ``maxExactTextLength``.
    public init?(exactText text: String) {
        guard text.utf8.count <= Self.maxExactTextLength else { return nil }
        let negative = text.hasPrefix("-")
        let parts = text.dropFirst(negative ? 1 : 0).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, let whole = LimbMagnitude(decimalDigits: parts[0].utf8) else { return nil }
        let fractionText = parts.count == 2 ? parts[1] : ""
        guard let fraction = fractionText.isEmpty ? LimbMagnitude.zero : LimbMagnitude(decimalDigits: fractionText.utf8) else { return nil }
        self.init(significand: whole.multipliedByPowerOfTen(fractionText.count) + fraction, exponent: -fractionText.count, isNegative: negative)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool {
        if lhs.isNegative != rhs.isNegative { return lhs.isNegative }
        let order = compareMagnitudes(lhs, rhs)
        return lhs.isNegative ? order > 0 : order < 0
    }

    /// −1, 0 or 1 as `|lhs|` is below, equal to or above `|rhs|`.
    static func compareMagnitudes(_ lhs: ExactDecimal, _ rhs: ExactDecimal) -> Int {
        if lhs.significand.isZero || rhs.significand.isZero {
            return lhs.significand.isZero ? (rhs.significand.isZero ? 0 : -1) : 1
        }
        if lhs.exponent == rhs.exponent { return lhs.significand < rhs.significand ? -1 : lhs.significand == rhs.significand ? 0 : 1 }
        // Align the one with the larger exponent, unless its size alone decides (10ᵈ ≥ 2³ᵈ): no
        // multiplication by a huge power of ten for far-apart exponents.
        let (larger, smaller, sign) = lhs.exponent > rhs.exponent ? (lhs, rhs, 1) : (rhs, lhs, -1)
        let gap = larger.exponent - smaller.exponent
        if larger.significand.bitWidth - 1 + min(gap, Int.max / 8) * 3 >= smaller.significand.bitWidth { return sign }
        let aligned = larger.significand.multipliedByPowerOfTen(gap)
        if aligned == smaller.significand { return 0 }
        return aligned < smaller.significand ? -sign : sign
    }

    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        if lhs.significand.isZero { return rhs }
        if rhs.significand.isZero { return lhs }
        let exponent = min(lhs.exponent, rhs.exponent)
        let left = lhs.significand.multipliedByPowerOfTen(lhs.exponent - exponent)
        let right = rhs.significand.multipliedByPowerOfTen(rhs.exponent - exponent)
        if lhs.isNegative == rhs.isNegative {
            return ExactDecimal(significand: left + right, exponent: exponent, isNegative: lhs.isNegative)
        }
        if left < right { return ExactDecimal(significand: right - left, exponent: exponent, isNegative: rhs.isNegative) }
        return ExactDecimal(significand: left - right, exponent: exponent, isNegative: lhs.isNegative)
    }

    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal { lhs + -rhs }

    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal {
        ExactDecimal(
            significand: lhs.significand * rhs.significand, exponent: lhs.exponent + rhs.exponent, isNegative: lhs.isNegative != rhs.isNegative)
    }

    public static prefix func - (operand: ExactDecimal) -> ExactDecimal {
        var result = operand
        result.isNegative = !operand.isNegative && !operand.significand.isZero
        return result
    }

    /// `self × numerator ÷ denominator`, the division last (prorations: `amount × covered ÷ length`).
    ///
    /// The product is exact. The quotient is exact whenever it terminates (`999 × 25 ÷ 30 = 832.5`,
    /// at any number of digits). A quotient that does not terminate (`10000 × 17 ÷ 31`) is truncated
    /// toward zero, keeping the digits Foundation's `Decimal` kept so that amounts recorded before
    /// read the same (the dividend's significant digits followed by 38 more, cut back to fit 128
    /// bits: `5483.8709677419354838709677419354838709`), and in any case at least 20 digits finer than
    /// both 1 and the dividend's last digit. (Where Foundation first rounded the dividend, its exponent
    /// 19 or more above the divisor's, it got digits wrong; these are the right ones.)
    ///
    /// Why 20 digits suffice: with `u` the finer of 1 and the dividend's last digit, a quotient
    /// `p ÷ q` (`0 < q < 2⁶³`) that does not terminate is at least `u ÷ 2q > u × 10⁻²⁰` away from every
    /// multiple of ½, so the truncation never changes a rounding to whole minor units: up, down or half
    /// away from zero.
    public func scaled(by numerator: Int64, over denominator: Int64) -> ExactDecimal {
        precondition(denominator != 0, "ExactDecimal.scaled(by:over:) divides by zero")
        let product = self * ExactDecimal(numerator)
        guard !product.significand.isZero else { return .zero }
        let negative = product.isNegative != (denominator < 0)
        // Dividend A × 10^eA and divisor B × 10^eB, both without trailing zeros.
        let (dividend, dividendExponent) = (product.significand, product.exponent)
        var (divisor, divisorExponent) = (denominator.magnitude, 0)
        while divisor % 10 == 0 { (divisor, divisorExponent) = (divisor / 10, divisorExponent + 1) }
        let exponent = dividendExponent - divisorExponent

        // The quotient terminates iff B ÷ gcd(A, B) has no prime factors but 2 and 5; then A × 10ᵏ is
        // a multiple of B for k = the larger of the two exponents.
        var reduced = divisor / commonDivisor(dividend.quotientAndRemainder(dividingBy: divisor).remainder, divisor)
        var (twos, fives) = (0, 0)
        while reduced % 2 == 0 { (reduced, twos) = (reduced / 2, twos + 1) }
        while reduced % 5 == 0 { (reduced, fives) = (reduced / 5, fives + 1) }
        if reduced == 1 {
            let digits = max(twos, fives)
            let quotient = dividend.multipliedByPowerOfTen(digits).quotientAndRemainder(dividingBy: divisor).quotient
            return ExactDecimal(significand: quotient, exponent: exponent - digits, isNegative: negative)
        }

        // Foundation's digits: ⌊A × 10³⁸ ÷ B⌋, then while it needs more than nine 16-bit words four
        // digits dropped at a time, while more than eight one digit at a time.
        var foundation = dividend.multipliedByPowerOfTen(38).quotientAndRemainder(dividingBy: divisor).quotient
        var dropped = 0
        while (foundation.bitWidth + 15) / 16 > 9 {
            foundation = foundation.dividedByPowerOfTen(4).quotient
            dropped += 4
        }
        while (foundation.bitWidth + 15) / 16 > 8 {
            foundation = foundation.dividedByPowerOfTen(1).quotient
            dropped += 1
        }
        let finest = min(exponent, 0) - 20
        let resultExponent = min(exponent - 38 + dropped, finest)
        // resultExponent ≤ exponent − 20, so A is scaled up by at least 20 digits before dividing.
        let quotient = dividend.multipliedByPowerOfTen(exponent - resultExponent).quotientAndRemainder(dividingBy: divisor).quotient
        return ExactDecimal(significand: quotient, exponent: resultExponent, isNegative: negative)
    }

    /// Rounds to `scale` fractional digits, half away from zero (`1.5` → 2, `-2.5` → -3).
    public func rounded(scale: Int = 0) -> ExactDecimal {
        let drop = -scale - exponent
        guard drop > 0 else { return self }
        // Keep one more digit than wanted: it decides the rounding (a 5 is at least half).
        let (kept, _) = significand.dividedByPowerOfTen(drop - 1)
        let (truncated, decider) = kept.quotientAndRemainder(dividingBy: 10)
        let magnitude = decider >= 5 ? truncated + .one : truncated
        return ExactDecimal(significand: magnitude, exponent: -scale, isNegative: isNegative)
    }

    /// Rounds half away from zero to a whole number of minor units; `nil` if that does not fit an
    /// `Int64` (the caller decides how to report it: never a wrapped or clamped amount).
    public func roundedToMinorUnits() -> Int64? { rounded().int64 }

    /// The value as an `Int64` if it is a whole number in range; `nil` otherwise.
    public var int64: Int64? {
        guard exponent >= 0 else { return nil }
        guard exponent <= 18, let digits = significand.uint64 else { return significand.isZero ? 0 : nil }
        let (magnitude, overflow) = digits.multipliedReportingOverflow(by: LimbMagnitude.powerOfTen(exponent))
        guard !overflow else { return nil }
        if isNegative { return magnitude <= UInt64(Int64.max) + 1 ? Int64(truncatingIfNeeded: 0 &- magnitude) : nil }
        return magnitude <= UInt64(Int64.max) ? Int64(magnitude) : nil
    }

    /// Rounds up (`ceil`) or down (`floor`) to a whole number.
    public func rounded(up: Bool) -> ExactDecimal {
        guard exponent < 0 else { return self }
        let (truncated, exact) = significand.dividedByPowerOfTen(-exponent)
        // Truncation goes toward zero: away from it for ceil of a positive or floor of a negative.
        let away = !exact && up != isNegative
        return ExactDecimal(significand: away ? truncated + .one : truncated, exponent: 0, isNegative: isNegative)
    }

    public var isInteger: Bool { exponent >= 0 }

    /// Plain text without exponent or trailing zeros (`4`, `0.05`, `-12.5`, `10000`).
    public var description: String {
        guard !significand.isZero else { return "0" }
        let digits = significand.decimalDigits
        let sign = isNegative ? "-" : ""
        if exponent >= 0 { return sign + digits + String(repeating: "0", count: exponent) }
        let fractionDigits = -exponent
        if digits.count <= fractionDigits { return sign + "0." + String(repeating: "0", count: fractionDigits - digits.count) + digits }
        return sign + String(digits.dropLast(fractionDigits)) + "." + String(digits.suffix(fractionDigits))
    }
}

/// The greatest common divisor of two 64-bit numbers (`b` nonzero).
private func commonDivisor(_ a: UInt64, _ b: UInt64) -> UInt64 {
    var (x, y) = (a, b)
    while y != 0 { (x, y) = (y, x % y) }
    return x
}
