/// An exact decimal number with up to 12 fractional digits, stored as an `Int128` count of 10⁻¹².
///
/// Meter event values and metered quantities use it: parsing and aggregation are integer-only, so
/// millions of events add up exactly and fast. Unit prices use ``ExactDecimal`` per invoice line.
public struct Decimal12: Sendable, Hashable, Comparable, CustomStringConvertible {
    /// The value × 10¹².
    public var units: Int128

    /// 10¹²: one whole unit.
    public static let scale: Int128 = 1_000_000_000_000
    public static let zero = Decimal12(units: 0)
    /// The most integer digits a value may have (keeps sums of millions of values far from overflow).
    static let maxIntegerDigits = 24
    /// The most fractional digits a value may have.
    static let maxFractionDigits = 12

    public init(units: Int128) { self.units = units }
    public init(_ integer: Int) { units = Int128(integer) * Self.scale }

    /// Why a string is not a `Decimal12`.
    public enum ParseFailure: Error, Sendable, Equatable {
        /// Not a plain decimal number (`12`, `-3`, `0.5`).
        case invalid
        /// More than 12 fractional digits or more than 24 integer digits.
        case tooManyDigits
    }

    /// Parses a plain decimal string: optional sign, digits, optional `.` and digits.
    public static func parse(_ text: String) -> Result<Decimal12, ParseFailure> {
        var text = text
        return text.withUTF8 { bytes in parse(bytes) }
    }

    /// Parses UTF-8 bytes in one pass; a text that is too long is only `tooManyDigits` if it is
    /// otherwise well formed. Digits accumulate in 64-bit integers (Int128 only past 18 integer digits).
    static func parse(_ bytes: UnsafeBufferPointer<UInt8>) -> Result<Decimal12, ParseFailure> {
        var index = 0
        var negative = false
        if let first = bytes.first, first == UInt8(ascii: "-") || first == UInt8(ascii: "+") {
            negative = first == UInt8(ascii: "-")
            index = 1
        }
        var integer: UInt64 = 0
        var wideInteger: Int128?
        var integerDigits = 0
        var fraction: UInt64 = 0
        var fractionDigits = 0
        var seenPoint = false
        var anyDigit = false
        var tooMany = false
        while index < bytes.count {
            let byte = bytes[index]
            index += 1
            if byte == UInt8(ascii: ".") {
                if seenPoint { return .failure(.invalid) }
                seenPoint = true
                continue
            }
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return .failure(.invalid) }
            anyDigit = true
            guard !tooMany else { continue }
            let digit = UInt64(byte - UInt8(ascii: "0"))
            if seenPoint {
                fractionDigits += 1
                if fractionDigits > maxFractionDigits {
                    if digit != 0 { tooMany = true }
                    continue
                }
                fraction = fraction * 10 + digit
            } else {
                if integerDigits > 0 || digit != 0 { integerDigits += 1 }
                if integerDigits > maxIntegerDigits {
                    tooMany = true
                } else if let wide = wideInteger {
                    wideInteger = wide * 10 + Int128(digit)
                } else if integerDigits > 18 {
                    wideInteger = Int128(integer) * 10 + Int128(digit)
                } else {
                    integer = integer * 10 + digit
                }
            }
        }
        guard anyDigit else { return .failure(.invalid) }
        if tooMany { return .failure(.tooManyDigits) }
        for _ in min(fractionDigits, maxFractionDigits)..<maxFractionDigits { fraction *= 10 }
        let units = (wideInteger ?? Int128(integer)) * scale + Int128(fraction)
        return .success(Decimal12(units: negative ? -units : units))
    }

    /// Parses or returns `nil`.
    public init?(_ text: String) {
        guard case .success(let value) = Self.parse(text) else { return nil }
        self = value
    }

    public static func < (lhs: Decimal12, rhs: Decimal12) -> Bool { lhs.units < rhs.units }
    public static func + (lhs: Decimal12, rhs: Decimal12) -> Decimal12 { Decimal12(units: lhs.units + rhs.units) }
    public static func - (lhs: Decimal12, rhs: Decimal12) -> Decimal12 { Decimal12(units: lhs.units - rhs.units) }
    public static func += (lhs: inout Decimal12, rhs: Decimal12) { lhs.units += rhs.units }

    public var isInteger: Bool { units % Self.scale == 0 }

    /// The canonical text: no trailing zeros, no exponent (`3000`, `12.5`, `-0.25`).
    public var description: String {
        let magnitude = units.magnitude
        let whole = magnitude / UInt128(Self.scale)
        var fraction = magnitude % UInt128(Self.scale)
        let sign = units < 0 ? "-" : ""
        guard fraction != 0 else { return "\(sign)\(whole)" }
        var digits = 12
        while fraction % 10 == 0 {
            fraction /= 10
            digits -= 1
        }
        var text = String(fraction)
        while text.count < digits { text = "0" + text }
        return "\(sign)\(whole).\(text)"
    }

    /// The same value as an ``ExactDecimal``.
    public var exact: ExactDecimal { ExactDecimal(units: units, exponent: -Self.maxFractionDigits) }
}
