import Foundation

/// An exact decimal amount for per-line arithmetic (unit prices with up to 12 decimal places,
/// tier sums, proration fractions), backed by Foundation's 38-digit `Decimal`.
///
/// Only used once per invoice line, never per meter event. Values are built from strings by our
/// own parser (no locale, no binary floating point) and rounded once with ``roundedToMinorUnits()``.
public struct ExactDecimal: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var value: Decimal

    public static let zero = ExactDecimal(value: 0)

    public init(value: Decimal) { self.value = value }
    public init(_ integer: Int64) { value = Decimal(integer) }
    public init(_ integer: Int) { value = Decimal(integer) }

    /// Parses a plain decimal string as a person writes one (at most 12 fractional digits, 38
    /// significant digits); `nil` otherwise. Stores read computed amounts back with ``init(exactText:)``.
    public init?(parsing text: String) {
        var digits = Substring(text)
        var sign = FloatingPointSign.plus
        if digits.first == "-" || digits.first == "+" {
            if digits.first == "-" { sign = .minus }
            digits = digits.dropFirst()
        }
        let parts = digits.split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !digits.isEmpty,
            parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
            parts[0].count + (parts.count == 2 ? parts[1].count : 0) > 0
        else { return nil }
        var fraction = parts.count == 2 ? String(parts[1]) : ""
        while fraction.hasSuffix("0") { fraction.removeLast() }
        guard fraction.count <= 12 else { return nil }
        var whole = String(parts[0]).drop(while: { $0 == "0" })
        if whole.isEmpty { whole = "0" }
        let significandDigits = String(whole) + fraction
        guard significandDigits.count <= 38 else { return nil }
        // Build the significand digit by digit so no parser of Foundation's is involved.
        var significand = Decimal(0)
        for character in significandDigits {
            significand = significand * 10 + Decimal(Int(character.asciiValue! - 48))
        }
        value = Decimal(sign: sign, exponent: -fraction.count, significand: significand)
        if value.isZero { value = 0 }
    }

    /// Reads back any text ``description`` wrote (stores persist computed amounts as text): every
    /// digit kept, up to the 128-bit significand a `Decimal` holds; `nil` for anything else.
    public init?(exactText text: String) {
        let negative = text.hasPrefix("-")
        let parts = text.dropFirst(negative ? 1 : 0).split(separator: ".", omittingEmptySubsequences: false)
        guard parts.count <= 2, !parts[0].isEmpty, parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }) else { return nil }
        var digits = parts.joined().drop { $0 == "0" }
        var exponent = parts.count == 2 ? -parts[1].count : 0
        while digits.last == "0" {
            digits.removeLast()
            exponent += 1
        }
        var significand: UInt128 = 0
        for digit in digits.utf8 {
            let (shifted, overflow) = significand.multipliedReportingOverflow(by: 10)
            let (sum, carry) = shifted.addingReportingOverflow(UInt128(digit - UInt8(ascii: "0")))
            guard !overflow, !carry else { return nil }
            significand = sum
        }
        guard significand != 0 else {
            value = 0
            return
        }
        guard (-128...127).contains(exponent) else { return nil }
        let magnitude = Decimal(UInt64(significand >> 64)) * (Decimal(UInt64.max) + 1) + Decimal(UInt64(truncatingIfNeeded: significand))
        value = Decimal(sign: negative ? .minus : .plus, exponent: exponent, significand: magnitude)
    }

    public static func < (lhs: ExactDecimal, rhs: ExactDecimal) -> Bool { lhs.value < rhs.value }
    public static func + (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal { ExactDecimal(value: lhs.value + rhs.value) }
    public static func - (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal { ExactDecimal(value: lhs.value - rhs.value) }
    public static func * (lhs: ExactDecimal, rhs: ExactDecimal) -> ExactDecimal { ExactDecimal(value: lhs.value * rhs.value) }
    public static prefix func - (operand: ExactDecimal) -> ExactDecimal { ExactDecimal(value: -operand.value) }

    /// `self × numerator ÷ denominator`: the multiplication is exact, the division carries 38 digits.
    public func scaled(by numerator: Int64, over denominator: Int64) -> ExactDecimal {
        ExactDecimal(value: value * Decimal(numerator) / Decimal(denominator))
    }

    /// Rounds to a whole number, half away from zero (`1.5` → 2, `-2.5` → -3).
    public func rounded(scale: Int = 0) -> ExactDecimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, scale, .plain)
        return ExactDecimal(value: result)
    }

    /// Rounds half away from zero to a whole number of minor units.
    public func roundedToMinorUnits() -> Int64 {
        NSDecimalNumber(decimal: rounded().value).int64Value
    }

    /// Rounds up (`ceil`) or down (`floor`) to a whole number.
    public func rounded(up: Bool) -> ExactDecimal {
        var input = value
        var result = Decimal()
        NSDecimalRound(&result, &input, 0, up ? .up : .down)
        return ExactDecimal(value: result)
    }

    public var isInteger: Bool { rounded() == self }

    /// Plain text without exponent (`4`, `0.05`, `-12.5`).
    public var description: String {
        if value.isZero { return "0" }
        var text = "\(value)"
        if text.contains("e") || text.contains("E") { text = "\(NSDecimalNumber(decimal: value).stringValue)" }
        return text
    }
}
