extension Instant {
    /// ``init(parsing:)`` over UTF-8 bytes, without building a `String`: what the usage file readers
    /// call once per row. Surrounding ASCII whitespace is ignored; an instant outside ``earliest`` ...
    /// ``latest`` is `nil`.
    public init?(utf8 text: UnsafeBufferPointer<UInt8>) {
        guard let instant = Self.parse(utf8: text), instant.isWithinRFC3339 else { return nil }
        self = instant
    }

    /// The instant the text names, in any year.
    static func parse(utf8 text: UnsafeBufferPointer<UInt8>) -> Instant? {
        var lower = 0
        var upper = text.count
        func isSpace(_ byte: UInt8) -> Bool { byte == 0x20 || (byte >= 0x09 && byte <= 0x0D) }
        while lower < upper, isSpace(text[lower]) { lower += 1 }
        while upper > lower, isSpace(text[upper - 1]) { upper -= 1 }
        guard lower < upper else { return nil }
        let chars = UnsafeBufferPointer(rebasing: text[lower..<upper])
        if let unix = Self.unixSeconds(chars) { return Instant(seconds: unix) }
        func number(_ range: Range<Int>) -> Int? {
            guard range.upperBound <= chars.count else { return nil }
            var value = 0
            for index in range {
                let c = chars[index]
                guard c >= 48, c <= 57 else { return nil }
                value = value * 10 + Int(c - 48)
            }
            return value
        }
        guard chars.count >= 10, let year = number(0..<4), chars[4] == UInt8(ascii: "-"), let month = number(5..<7),
            chars[7] == UInt8(ascii: "-"), let day = number(8..<10), (1...12).contains(month),
            (1...CivilDate.daysIn(year: year, month: month)).contains(day)
        else { return nil }
        if chars.count == 10 { return Instant(year: year, month: month, day: day) }
        guard chars.count >= 20, chars[10] == UInt8(ascii: "T") || chars[10] == UInt8(ascii: "t") || chars[10] == UInt8(ascii: " "),
            let hour = number(11..<13), chars[13] == UInt8(ascii: ":"), let minute = number(14..<16),
            chars[16] == UInt8(ascii: ":"), let second = number(17..<19), hour < 24, minute < 60, second < 60
        else { return nil }
        var index = 19
        if index < chars.count, chars[index] == UInt8(ascii: ".") {
            index += 1
            let start = index
            while index < chars.count, chars[index] == UInt8(ascii: "0") { index += 1 }
            guard index > start, index < chars.count, !(chars[index] >= 48 && chars[index] <= 57) else { return nil }
        }
        var offset = 0
        guard index < chars.count else { return nil }
        switch chars[index] {
        case UInt8(ascii: "Z"), UInt8(ascii: "z"):
            guard index + 1 == chars.count else { return nil }
        case UInt8(ascii: "+"), UInt8(ascii: "-"):
            guard index + 6 == chars.count, let oh = number(index + 1..<index + 3), chars[index + 3] == UInt8(ascii: ":"),
                let om = number(index + 4..<index + 6), oh < 24, om < 60
            else { return nil }
            offset = (oh * 3600 + om * 60) * (chars[index] == UInt8(ascii: "-") ? -1 : 1)
        default:
            return nil
        }
        return Instant(seconds: Instant(year: year, month: month, day: day, hour: hour, minute: minute, second: second).seconds - Int64(offset))
    }

    /// Unix seconds as `Int64(_:)` reads them (an optional sign, then digits), or `nil`.
    static func unixSeconds(_ chars: UnsafeBufferPointer<UInt8>) -> Int64? {
        var index = 0
        var negative = false
        if chars[0] == UInt8(ascii: "-") || chars[0] == UInt8(ascii: "+") {
            negative = chars[0] == UInt8(ascii: "-")
            index = 1
        }
        guard index < chars.count else { return nil }
        var value: Int64 = 0
        while index < chars.count {
            let c = chars[index]
            guard c >= 48, c <= 57 else { return nil }
            let (shifted, overflowA) = value.multipliedReportingOverflow(by: 10)
            let (next, overflowB) = negative ? shifted.subtractingReportingOverflow(Int64(c - 48)) : shifted.addingReportingOverflow(Int64(c - 48))
            guard !overflowA, !overflowB else { return nil }
            value = next
            index += 1
        }
        return value
    }
}
