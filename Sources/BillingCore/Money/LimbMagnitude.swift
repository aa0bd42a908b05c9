/// An unsigned integer of any size, for ``ExactDecimal``'s significand.
///
/// Little-endian 64-bit limbs without high zero limbs (zero has no limbs), so equal numbers are
/// equal arrays. Only what exact decimal arithmetic needs: add, subtract, schoolbook multiply, and
/// division by a 64-bit divisor (every divisor the engine uses is an `Int64`: seconds, `divide_by`,
/// powers of ten). Values are per invoice line, a few limbs long.
struct LimbMagnitude: Sendable, Hashable, Comparable {
    /// Little-endian limbs; the last one is never 0.
    private(set) var limbs: [UInt64]

    static let zero = LimbMagnitude(limbs: [])
    static let one = LimbMagnitude(limbs: [1])

    /// The largest power of ten that fits a limb: 10¹⁹.
    static let limbPowerOfTen: UInt64 = 10_000_000_000_000_000_000
    static let limbPowerOfTenDigits = 19

    private init(limbs: [UInt64]) {
        self.limbs = limbs
        normalize()
    }

    init(_ value: UInt64) { limbs = value == 0 ? [] : [value] }

    init(_ value: UInt128) { self.init(limbs: [UInt64(truncatingIfNeeded: value), UInt64(truncatingIfNeeded: value >> 64)]) }

    var isZero: Bool { limbs.isEmpty }

    /// The number of significant bits (0 for zero).
    var bitWidth: Int { limbs.isEmpty ? 0 : limbs.count * 64 - limbs[limbs.count - 1].leadingZeroBitCount }

    /// The value as a `UInt64`, or `nil` if it does not fit.
    var uint64: UInt64? {
        switch limbs.count {
        case 0: 0
        case 1: limbs[0]
        default: nil
        }
    }

    private mutating func normalize() {
        while let last = limbs.last, last == 0 { limbs.removeLast() }
    }

    static func < (lhs: LimbMagnitude, rhs: LimbMagnitude) -> Bool {
        if lhs.limbs.count != rhs.limbs.count { return lhs.limbs.count < rhs.limbs.count }
        for index in stride(from: lhs.limbs.count - 1, through: 0, by: -1) where lhs.limbs[index] != rhs.limbs[index] {
            return lhs.limbs[index] < rhs.limbs[index]
        }
        return false
    }

    static func + (lhs: LimbMagnitude, rhs: LimbMagnitude) -> LimbMagnitude {
        let (long, short) = lhs.limbs.count >= rhs.limbs.count ? (lhs.limbs, rhs.limbs) : (rhs.limbs, lhs.limbs)
        var result = [UInt64]()
        result.reserveCapacity(long.count + 1)
        var carry: UInt64 = 0
        for index in 0..<long.count {
            let (partial, overflow1) = long[index].addingReportingOverflow(index < short.count ? short[index] : 0)
            let (sum, overflow2) = partial.addingReportingOverflow(carry)
            result.append(sum)
            carry = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        if carry != 0 { result.append(carry) }
        return LimbMagnitude(limbs: result)
    }

    /// `lhs − rhs`; the caller guarantees `lhs ≥ rhs`.
    static func - (lhs: LimbMagnitude, rhs: LimbMagnitude) -> LimbMagnitude {
        precondition(!(lhs < rhs), "LimbMagnitude subtraction below zero")
        var result = lhs.limbs
        var borrow: UInt64 = 0
        for index in 0..<result.count {
            let (partial, overflow1) = result[index].subtractingReportingOverflow(index < rhs.limbs.count ? rhs.limbs[index] : 0)
            let (difference, overflow2) = partial.subtractingReportingOverflow(borrow)
            result[index] = difference
            borrow = (overflow1 ? 1 : 0) + (overflow2 ? 1 : 0)
        }
        return LimbMagnitude(limbs: result)
    }

    static func * (lhs: LimbMagnitude, rhs: LimbMagnitude) -> LimbMagnitude {
        if lhs.isZero || rhs.isZero { return .zero }
        if rhs.limbs.count == 1 { return lhs.multiplied(by: rhs.limbs[0], adding: 0) }
        if lhs.limbs.count == 1 { return rhs.multiplied(by: lhs.limbs[0], adding: 0) }
        var result = [UInt64](repeating: 0, count: lhs.limbs.count + rhs.limbs.count)
        for i in 0..<lhs.limbs.count {
            var carry: UInt64 = 0
            for j in 0..<rhs.limbs.count {
                // high:low = a × b + result + carry never overflows 128 bits.
                let (high, low) = lhs.limbs[i].multipliedFullWidth(by: rhs.limbs[j])
                let (sum1, overflow1) = low.addingReportingOverflow(result[i + j])
                let (sum2, overflow2) = sum1.addingReportingOverflow(carry)
                result[i + j] = sum2
                carry = high &+ (overflow1 ? 1 : 0) &+ (overflow2 ? 1 : 0)
            }
            result[i + rhs.limbs.count] = carry
        }
        return LimbMagnitude(limbs: result)
    }

    /// `self × factor + addend`.
    func multiplied(by factor: UInt64, adding addend: UInt64) -> LimbMagnitude {
        var result = [UInt64]()
        result.reserveCapacity(limbs.count + 1)
        var carry = addend
        for limb in limbs {
            let (high, low) = limb.multipliedFullWidth(by: factor)
            let (sum, overflow) = low.addingReportingOverflow(carry)
            result.append(sum)
            carry = high &+ (overflow ? 1 : 0)
        }
        if carry != 0 { result.append(carry) }
        return LimbMagnitude(limbs: result)
    }

    /// Floor division by a nonzero 64-bit divisor.
    func quotientAndRemainder(dividingBy divisor: UInt64) -> (quotient: LimbMagnitude, remainder: UInt64) {
        precondition(divisor != 0, "division by zero")
        var quotient = [UInt64](repeating: 0, count: limbs.count)
        var remainder: UInt64 = 0
        for index in stride(from: limbs.count - 1, through: 0, by: -1) {
            (quotient[index], remainder) = divisor.dividingFullWidth((remainder, limbs[index]))
        }
        return (LimbMagnitude(limbs: quotient), remainder)
    }

    /// `self × 10ⁿ` (n ≥ 0).
    func multipliedByPowerOfTen(_ exponent: Int) -> LimbMagnitude {
        precondition(exponent >= 0)
        var result = self
        var left = exponent
        while left > 0, !result.isZero {
            let step = min(left, Self.limbPowerOfTenDigits)
            result = result.multiplied(by: Self.powerOfTen(step), adding: 0)
            left -= step
        }
        return result
    }

    /// `⌊self ÷ 10ⁿ⌋` (n ≥ 0), and whether anything was dropped.
    func dividedByPowerOfTen(_ exponent: Int) -> (quotient: LimbMagnitude, exact: Bool) {
        precondition(exponent >= 0)
        var result = self
        var exact = true
        var left = exponent
        while left > 0, !result.isZero {
            let step = min(left, Self.limbPowerOfTenDigits)
            let (quotient, remainder) = result.quotientAndRemainder(dividingBy: Self.powerOfTen(step))
            if remainder != 0 { exact = false }
            result = quotient
            left -= step
        }
        return (result, exact)
    }

    /// 10ⁿ for 0 ≤ n ≤ 19.
    static func powerOfTen(_ exponent: Int) -> UInt64 {
        precondition((0...limbPowerOfTenDigits).contains(exponent))
        var result: UInt64 = 1
        for _ in 0..<exponent { result *= 10 }
        return result
    }

    /// Removes trailing decimal zeros: `(self ÷ 10ᵏ, k)` with the largest such k.
    func removingTrailingZeros() -> (magnitude: LimbMagnitude, count: Int) {
        guard !isZero else { return (self, 0) }
        // One limb (every amount and quantity of an ordinary invoice): machine division, one array at most.
        if var value = uint64 {
            guard value % 10 == 0 else { return (self, 0) }
            var count = 0
            while value % 10 == 0 {
                value /= 10
                count += 1
            }
            return (LimbMagnitude(value), count)
        }
        var result = self
        var count = 0
        while true {
            let (quotient, remainder) = result.quotientAndRemainder(dividingBy: Self.limbPowerOfTen)
            guard remainder == 0 else { break }
            result = quotient
            count += Self.limbPowerOfTenDigits
        }
        while true {
            let (quotient, remainder) = result.quotientAndRemainder(dividingBy: 10)
            guard remainder == 0 else { break }
            result = quotient
            count += 1
        }
        return (result, count)
    }

    /// The decimal digits, most significant first (`"0"` for zero).
    var decimalDigits: String {
        guard !isZero else { return "0" }
        var chunks: [UInt64] = []
        var rest = self
        while !rest.isZero {
            let (quotient, remainder) = rest.quotientAndRemainder(dividingBy: Self.limbPowerOfTen)
            chunks.append(remainder)
            rest = quotient
        }
        var text = String(chunks[chunks.count - 1])
        for chunk in chunks.dropLast().reversed() {
            let digits = String(chunk)
            text += String(repeating: "0", count: Self.limbPowerOfTenDigits - digits.count) + digits
        }
        return text
    }

    /// Parses ASCII digits (`0`–`9` only, at least one); `nil` for anything else.
    init?(decimalDigits digits: Substring.UTF8View) {
        guard !digits.isEmpty else { return nil }
        var result = LimbMagnitude.zero
        var chunk: UInt64 = 0
        var chunkDigits = 0
        for byte in digits {
            guard byte >= UInt8(ascii: "0"), byte <= UInt8(ascii: "9") else { return nil }
            chunk = chunk * 10 + UInt64(byte - UInt8(ascii: "0"))
            chunkDigits += 1
            if chunkDigits == Self.limbPowerOfTenDigits {
                result = result.multiplied(by: Self.limbPowerOfTen, adding: chunk)
                (chunk, chunkDigits) = (0, 0)
            }
        }
        if chunkDigits > 0 { result = result.multiplied(by: Self.powerOfTen(chunkDigits), adding: chunk) }
        self = result
    }
}
