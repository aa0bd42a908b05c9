import BillingCore
import BillingDocument
import Foundation

/// Meter events from a JSON Lines usage file, streamed: one Stripe-shaped event object per line
/// (`{"event_name": …, "timestamp": …, "identifier": …, "payload": {…}, "received_at": …}`).
///
/// A strict RFC 8259 reader over the bytes of each line (Foundation's `JSONSerialization` would turn
/// payload numbers into binary floats and cost a dictionary per line). `timestamp` and `received_at`
/// are strings (RFC 3339, a date or Unix seconds) or integers; payload values are strings or numbers,
/// numbers kept as written. `object`, `created` and `livemode` (Stripe's own fields) are read and
/// ignored; any other field is an error. Lines end with LF or CRLF; a UTF-8 byte order mark and blank
/// lines are skipped; lines must come in arrival order, as in a CSV file. Every malformed line is
/// counted and reported at its `file:line:col`; the rest of the file is still read.
struct JSONLinesEventReader {
    let file: ChunkedFile
    let path: String
    var problems: UsageFileProblems
    var line = 0
    var rows = 0
    var interner = StringInterner()
    var timestamps = TimestampReader()
    var arrivalOrder = ArrivalOrder(lines: "lines", record: "event")
    var finished = false

    init(file: ChunkedFile, path: String) {
        self.file = file
        self.path = path
        problems = UsageFileProblems(path: path)
    }

    mutating func next() throws(ScenarioLoadError) -> MeterEvent? {
        while !finished, !problems.fatal {
            guard let (lineStart, lineEnd) = readLine() else { break }
            line += 1
            var contentEnd = lineEnd
            if contentEnd > lineStart, file[contentEnd - 1] == 0x0D { contentEnd -= 1 }
            var parser = JSONLineParser(base: file.base, p: lineStart, end: contentEnd)
            parser.skipSpace()
            if parser.p == contentEnd { continue }
            rows += 1
            do throws(JSONLineParser.Problem) {
                let event = try parser.event(interner: &interner, timestamps: &timestamps)
                if let outOfOrder = arrivalOrder.check(event.arrival, line: line) {
                    throw JSONLineParser.Problem(offset: lineStart, message: outOfOrder)
                }
                return event
            } catch {
                problems.add(offset: error.offset, line: line, lineStart: lineStart, error.message, in: file)
            }
        }
        finished = true
        if let error = problems.error(rows: rows, lastLine: line) { throw error }
        return nil
    }

    /// The next line's byte range (without its LF), consuming it; `nil` at the end of the file or after
    /// a problem that stops the reading (reported).
    mutating func readLine() -> (start: Int, end: Int)? {
        var searched = file.start
        while true {
            if let found = memchr(file.base + searched, 0x0A, file.end - searched) {
                let newline = file.base.distance(to: found.assumingMemoryBound(to: UInt8.self))
                let start = file.start
                file.start = newline + 1
                return (start, newline)
            }
            searched = file.end - file.start
            if file.refill() { continue }
            if let error = file.readError {
                problems.add(line: line + 1, column: 1, "cannot read the file: \(error)")
            } else if file.atEnd {
                guard file.start < file.end else { return nil }
                let start = file.start
                file.start = file.end
                return (start, file.end)
            } else {
                problems.add(line: line + 1, column: 1, "a line longer than \(file.capacityText)")
            }
            problems.fatal = true
            return nil
        }
    }
}

/// One line's JSON object as a meter event. Strings are decoded in place in the buffer (an escape is
/// never shorter than what it stands for), so reading a line makes no copy of it.
struct JSONLineParser {
    struct Problem: Error {
        var offset: Int
        var message: String
    }

    let base: UnsafeMutablePointer<UInt8>
    var p: Int
    let end: Int

    static let fields = "(expected event_name, timestamp, identifier, payload, received_at)"

    mutating func skipSpace() {
        while p < end, base[p] == 0x20 || base[p] == 0x09 || base[p] == 0x0D || base[p] == 0x0A { p += 1 }
    }

    var found: String { p < end ? UsageText.describe(base[p]) : "the end of the line" }

    func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base + range.lowerBound, count: range.count) }

    func text(_ range: Range<Int>) -> String { String(decoding: bytes(range), as: UTF8.self) }

    func isKey(_ range: Range<Int>, _ name: StaticString) -> Bool {
        range.count == name.utf8CodeUnitCount && memcmp(base + range.lowerBound, name.utf8Start, range.count) == 0
    }

    mutating func event(interner: inout StringInterner, timestamps: inout TimestampReader) throws(Problem) -> MeterEvent {
        let objectStart = p
        guard p < end, base[p] == UInt8(ascii: "{") else { throw Problem(offset: p, message: "expected a JSON object, found \(found)") }
        p += 1
        var eventName: String?
        var timestamp: Instant?
        var identifier: String?
        var receivedAt: Instant?
        var payload = MeterEventPayload()
        var seen: Set<String> = []
        var seenMask = 0
        skipSpace()
        if p < end, base[p] == UInt8(ascii: "}") {
            p += 1
        } else {
            while true {
                let (key, keyOffset) = try memberKey()
                let valueOffset = p
                let bit: Int
                if isKey(key, "event_name") {
                    bit = 1
                    let value = try stringValue("event_name")
                    guard let name = interner.string(bytes(value)) else { throw Problem(offset: valueOffset, message: "event_name: not valid UTF-8") }
                    guard !name.isEmpty else { throw Problem(offset: valueOffset, message: "event_name is empty") }
                    eventName = name
                } else if isKey(key, "identifier") {
                    bit = 2
                    let value = try stringValue("identifier")
                    identifier = UsageText.string(bytes(value))
                    if identifier == nil { throw Problem(offset: valueOffset, message: "identifier: not valid UTF-8") }
                } else if isKey(key, "timestamp") || isKey(key, "received_at") {
                    let name = isKey(key, "timestamp") ? "timestamp" : "received_at"
                    bit = name == "timestamp" ? 4 : 8
                    let value = try stringOrNumber(name, expected: "a string or an integer")
                    guard let instant = timestamps.instant(bytes(value)) else {
                        throw Problem(
                            offset: valueOffset,
                            message: "\(name): expected RFC 3339, a date or Unix seconds, found \(UsageText.quoted(bytes(value)))")
                    }
                    if bit == 4 { timestamp = instant } else { receivedAt = instant }
                } else if isKey(key, "payload") {
                    bit = 16
                    payload = try payloadObject(interner: &interner)
                } else if isKey(key, "object") || isKey(key, "created") || isKey(key, "livemode") {
                    bit = 0
                    let name = text(key)
                    guard seen.insert(name).inserted else { throw Problem(offset: keyOffset, message: "duplicate key `\(name)`") }
                    try skipValue(depth: 0)
                } else {
                    throw Problem(offset: keyOffset, message: "unexpected field `\(text(key))` \(Self.fields)")
                }
                if bit != 0 {
                    guard seenMask & bit == 0 else { throw Problem(offset: keyOffset, message: "duplicate key `\(text(key))`") }
                    seenMask |= bit
                }
                if try objectEnds() { break }
            }
        }
        skipSpace()
        guard p == end else { throw Problem(offset: p, message: "invalid JSON: unexpected \(found) after the object") }
        guard let eventName else { throw Problem(offset: objectStart, message: "an event needs event_name \(Self.fields)") }
        guard let timestamp else { throw Problem(offset: objectStart, message: "an event needs timestamp \(Self.fields)") }
        return MeterEvent(eventName: eventName, timestamp: timestamp, identifier: identifier, payload: payload, receivedAt: receivedAt)
    }

    /// `payload`: an object whose values are strings or numbers (kept as written).
    mutating func payloadObject(interner: inout StringInterner) throws(Problem) -> MeterEventPayload {
        guard p < end, base[p] == UInt8(ascii: "{") else { throw Problem(offset: p, message: "payload: expected an object, found \(try kind())") }
        p += 1
        var payload = MeterEventPayload()
        skipSpace()
        if p < end, base[p] == UInt8(ascii: "}") {
            p += 1
            return payload
        }
        while true {
            let (keyRange, keyOffset) = try memberKey()
            guard let key = interner.string(bytes(keyRange)) else { throw Problem(offset: keyOffset, message: "payload: a key is not valid UTF-8") }
            let valueOffset = p
            let value = try stringOrNumber("payload.\(key)", expected: "a string or a number")
            guard let text = interner.string(bytes(value)) else { throw Problem(offset: valueOffset, message: "payload.\(key): not valid UTF-8") }
            guard payload[key] == nil else { throw Problem(offset: keyOffset, message: "payload: duplicate key `\(key)`") }
            payload[key] = text
            if try objectEnds() { return payload }
        }
    }

    /// A string value for `field`, or a problem naming what was there instead.
    mutating func stringValue(_ field: String) throws(Problem) -> Range<Int> {
        guard p < end, base[p] == UInt8(ascii: "\"") else { throw Problem(offset: p, message: "\(field): expected a string, found \(try kind())") }
        return try string()
    }

    /// What the value at `p` is, for a message (`a number`, `null`, …); a malformed value is a problem.
    mutating func kind() throws(Problem) -> String {
        guard p < end else { throw Problem(offset: p, message: "invalid JSON: expected a value, found the end of the line") }
        let start = p
        defer { p = start }
        switch base[p] {
        case UInt8(ascii: "{"): return "an object"
        case UInt8(ascii: "["): return "an array"
        case UInt8(ascii: "\""): return "a string"
        case UInt8(ascii: "-"), 0x30...0x39: return "a number"
        default:
            try skipValue(depth: 0)
            return text(start..<p)
        }
    }

    /// Past a member's value: `,` (another member follows: `false`) or `}` (the object ends: `true`).
    mutating func objectEnds() throws(Problem) -> Bool {
        skipSpace()
        if p < end, base[p] == UInt8(ascii: ",") {
            p += 1
            return false
        }
        if p < end, base[p] == UInt8(ascii: "}") {
            p += 1
            return true
        }
        throw Problem(offset: p, message: "invalid JSON: expected `,` or `}` after a value, found \(found)")
    }

    /// The content of a string, or the text of a number, at `p`; anything else is an error naming `field`.
    mutating func stringOrNumber(_ field: String, expected: String) throws(Problem) -> Range<Int> {
        if p < end, base[p] == UInt8(ascii: "\"") { return try string() }
        if p < end, base[p] == UInt8(ascii: "-") || (base[p] >= 0x30 && base[p] <= 0x39) { return try number() }
        throw Problem(offset: p, message: "\(field): expected \(expected), found \(try kind())")
    }

    /// An object member's `"key":` at `p`, spaces around it skipped: the key's content and where it starts.
    mutating func memberKey() throws(Problem) -> (key: Range<Int>, offset: Int) {
        skipSpace()
        let offset = p
        guard p < end, base[p] == UInt8(ascii: "\"") else {
            throw Problem(offset: p, message: "invalid JSON: expected a string key, found \(found)")
        }
        let key = try string()
        skipSpace()
        guard p < end, base[p] == UInt8(ascii: ":") else {
            throw Problem(offset: p, message: "invalid JSON: expected `:` after the key, found \(found)")
        }
        p += 1
        skipSpace()
        return (key, offset)
    }

    /// The content of the string at `p` (past its closing quote after), escapes decoded in place.
    mutating func string() throws(Problem) -> Range<Int> {
        let open = p
        p += 1
        let start = p
        var write = p
        while p < end {
            let byte = base[p]
            if byte == UInt8(ascii: "\"") {
                p += 1
                return start..<write
            }
            if byte < 0x20 {
                throw Problem(offset: p, message: "invalid JSON: a control character (\(UsageText.describe(byte))) in a string must be escaped")
            }
            guard byte == UInt8(ascii: "\\") else {
                base[write] = byte
                write += 1
                p += 1
                continue
            }
            guard p + 1 < end else { break }
            let escape = p
            let code = base[p + 1]
            p += 2
            switch code {
            case UInt8(ascii: "\""), UInt8(ascii: "\\"), UInt8(ascii: "/"): base[write] = code
            case UInt8(ascii: "b"): base[write] = 0x08
            case UInt8(ascii: "f"): base[write] = 0x0C
            case UInt8(ascii: "n"): base[write] = 0x0A
            case UInt8(ascii: "r"): base[write] = 0x0D
            case UInt8(ascii: "t"): base[write] = 0x09
            case UInt8(ascii: "u"):
                var scalar = try hex4(at: escape)
                if scalar >= 0xD800, scalar < 0xDC00 {
                    guard p + 1 < end, base[p] == UInt8(ascii: "\\"), base[p + 1] == UInt8(ascii: "u") else {
                        throw Problem(offset: escape, message: "invalid JSON: a high surrogate \\u escape without its low surrogate")
                    }
                    let second = p
                    p += 2
                    let low = try hex4(at: second)
                    guard low >= 0xDC00, low < 0xE000 else {
                        throw Problem(offset: second, message: "invalid JSON: a high surrogate \\u escape without its low surrogate")
                    }
                    scalar = 0x10000 + ((scalar - 0xD800) << 10) + (low - 0xDC00)
                } else if scalar >= 0xDC00, scalar < 0xE000 {
                    throw Problem(offset: escape, message: "invalid JSON: a lone low surrogate \\u escape")
                }
                for unit in UTF8.encode(Unicode.Scalar(scalar)!)! {
                    base[write] = unit
                    write += 1
                }
                continue
            default:
                throw Problem(offset: escape, message: "invalid JSON: invalid escape `\\\(Character(Unicode.Scalar(code)))` in a string")
            }
            write += 1
        }
        throw Problem(offset: open, message: "invalid JSON: unterminated string")
    }

    /// Four hex digits after `\u` at `escape`; `p` moves past them.
    mutating func hex4(at escape: Int) throws(Problem) -> UInt32 {
        guard p + 4 <= end else { throw Problem(offset: escape, message: "invalid JSON: invalid \\u escape") }
        var value: UInt32 = 0
        for _ in 0..<4 {
            let byte = base[p]
            let digit: UInt8
            switch byte {
            case 0x30...0x39: digit = byte - 0x30
            case UInt8(ascii: "a")...UInt8(ascii: "f"): digit = byte - UInt8(ascii: "a") + 10
            case UInt8(ascii: "A")...UInt8(ascii: "F"): digit = byte - UInt8(ascii: "A") + 10
            default: throw Problem(offset: escape, message: "invalid JSON: invalid \\u escape")
            }
            value = value << 4 | UInt32(digit)
            p += 1
        }
        return value
    }

    /// A JSON number (`-?(0|[1-9][0-9]*)(.[0-9]+)?([eE][+-]?[0-9]+)?`), as written.
    mutating func number() throws(Problem) -> Range<Int> {
        let start = p
        func digits() -> Int {
            let from = p
            while p < end, base[p] >= 0x30, base[p] <= 0x39 { p += 1 }
            return p - from
        }
        if base[p] == UInt8(ascii: "-") { p += 1 }
        let integerStart = p
        let integerDigits = digits()
        var valid = integerDigits > 0 && !(integerDigits > 1 && base[integerStart] == 0x30)
        if valid, p < end, base[p] == UInt8(ascii: ".") {
            p += 1
            valid = digits() > 0
        }
        if valid, p < end, base[p] == UInt8(ascii: "e") || base[p] == UInt8(ascii: "E") {
            p += 1
            if p < end, base[p] == UInt8(ascii: "+") || base[p] == UInt8(ascii: "-") { p += 1 }
            valid = digits() > 0
        }
        if valid, p < end,
            !(base[p] == UInt8(ascii: ",") || base[p] == UInt8(ascii: "}") || base[p] == UInt8(ascii: "]")
                || base[p] == 0x20 || base[p] == 0x09 || base[p] == 0x0D || base[p] == 0x0A)
        {
            valid = false
        }
        guard valid else { throw Problem(offset: start, message: "invalid JSON: invalid number") }
        return start..<p
    }

    /// Reads past any JSON value (a field billsim ignores).
    mutating func skipValue(depth: Int) throws(Problem) {
        guard depth < 64 else { throw Problem(offset: p, message: "invalid JSON: nested more than 64 deep") }
        guard p < end else { throw Problem(offset: p, message: "invalid JSON: expected a value, found the end of the line") }
        switch base[p] {
        case UInt8(ascii: "\""): _ = try string()
        case UInt8(ascii: "-"), 0x30...0x39: _ = try number()
        case UInt8(ascii: "{"), UInt8(ascii: "["):
            let close = base[p] == UInt8(ascii: "{") ? UInt8(ascii: "}") : UInt8(ascii: "]")
            p += 1
            skipSpace()
            if p < end, base[p] == close {
                p += 1
                return
            }
            while true {
                skipSpace()
                if close == UInt8(ascii: "}") {
                    guard p < end, base[p] == UInt8(ascii: "\"") else {
                        throw Problem(offset: p, message: "invalid JSON: expected a string key, found \(found)")
                    }
                    _ = try string()
                    skipSpace()
                    guard p < end, base[p] == UInt8(ascii: ":") else {
                        throw Problem(offset: p, message: "invalid JSON: expected `:` after the key, found \(found)")
                    }
                    p += 1
                    skipSpace()
                }
                try skipValue(depth: depth + 1)
                skipSpace()
                if p < end, base[p] == UInt8(ascii: ",") {
                    p += 1
                    continue
                }
                if p < end, base[p] == close {
                    p += 1
                    return
                }
                throw Problem(offset: p, message: "invalid JSON: expected `,` or `\(Character(Unicode.Scalar(close)))`, found \(found)")
            }
        default:
            for literal: StaticString in ["true", "false", "null"]
            where p + literal.utf8CodeUnitCount <= end && memcmp(base + p, literal.utf8Start, literal.utf8CodeUnitCount) == 0 {
                p += literal.utf8CodeUnitCount
                return
            }
            throw Problem(offset: p, message: "invalid JSON: expected a value, found \(found)")
        }
    }
}
