import BillingCore
import BillingDocument
import Foundation

/// A usage file read in large chunks into one reused buffer, so a file of any size is read in
/// bounded memory. Readers scan `[start, end)` byte by byte and move `start` past what they consumed.
final class ChunkedFile {
    /// The buffer's size for files, and so the longest line (or CSV record) a usage file may have.
    static let defaultCapacity = 4 << 20

    /// The buffer's size: the longest line (or CSV record) this file may have.
    let capacity: Int
    /// The file read, or `nil` for bytes in ``memory``.
    let handle: FileHandle?
    /// Bytes read from memory instead of a file, at most ``memoryReadSize`` per refill (tests and
    /// fuzzing use tiny buffers and reads to put chunk boundaries everywhere).
    let memory: [UInt8]
    let memoryReadSize: Int
    var memoryOffset = 0
    let base: UnsafeMutablePointer<UInt8>
    /// The first byte not consumed yet.
    var start = 0
    /// One past the last byte read.
    var end = 0
    var atEnd = false
    var readError: String?

    init?(path: String) {
        guard let handle = FileHandle(forReadingAtPath: path) else { return nil }
        self.handle = handle
        capacity = Self.defaultCapacity
        memory = []
        memoryReadSize = 0
        base = .allocate(capacity: capacity)
        skipByteOrderMark()
    }

    /// `bytes` read through a buffer of `capacity` bytes, at most `readSize` bytes at a time.
    init(bytes: [UInt8], capacity: Int, readSize: Int) {
        handle = nil
        self.capacity = max(1, capacity)
        memory = bytes
        memoryReadSize = max(1, readSize)
        base = .allocate(capacity: self.capacity)
        skipByteOrderMark()
    }

    /// Reads the first chunk; a UTF-8 byte order mark is not part of the first line.
    private func skipByteOrderMark() {
        _ = refill()
        while end < 3, refill() {}
        if end >= 3, base[0] == 0xEF, base[1] == 0xBB, base[2] == 0xBF { start = 3 }
    }

    deinit {
        base.deallocate()
        try? handle?.close()
    }

    /// The buffer holds one unfinished row and no more fits: reading stops there (a row longer than the buffer).
    var isFull: Bool { !atEnd && readError == nil && end - start >= capacity }

    /// The buffer's size in a message (`4 MiB`).
    var capacityText: String { capacity >= 1 << 20 ? "\(capacity >> 20) MiB" : "\(capacity) bytes" }

    /// Moves the unconsumed bytes to the front and reads more after them. `false` when nothing was
    /// added: the end of the file, a read error, or a full buffer (a line longer than ``capacity``).
    func refill() -> Bool {
        if start > 0 {
            if end > start { (base).update(from: base + start, count: end - start) }
            end -= start
            start = 0
        }
        guard !atEnd, end < capacity else { return false }
        guard let handle else {
            let count = min(capacity - end, memoryReadSize, memory.count - memoryOffset)
            guard count > 0 else {
                atEnd = true
                return false
            }
            memory.withUnsafeBufferPointer { (base + end).update(from: $0.baseAddress! + memoryOffset, count: count) }
            memoryOffset += count
            end += count
            return true
        }
        // read(2) straight into the buffer: no `Data` per chunk, no second copy.
        while true {
            let count = read(handle.fileDescriptor, base + end, capacity - end)
            if count > 0 {
                end += count
                return true
            }
            if count < 0, errno == EINTR { continue }
            if count < 0 { readError = String(cString: strerror(errno)) }
            atEnd = true
            return false
        }
    }

    subscript(index: Int) -> UInt8 { base[index] }

    func bytes(_ range: Range<Int>) -> UnsafeBufferPointer<UInt8> { UnsafeBufferPointer(start: base + range.lowerBound, count: range.count) }
}

/// The problems found in one usage file: every one is counted, the first ``limit`` are kept with their
/// line and column, and the rest are summed up in one last diagnostic.
struct UsageFileProblems {
    static let limit = 20

    let path: String
    var shown: [Diagnostic] = []
    var total = 0
    /// Set by a problem after which the rest of the file cannot be read.
    var fatal = false

    init(path: String) { self.path = path }

    mutating func add(line: Int, column: Int, _ message: String, sourceLine: String? = nil) {
        total += 1
        guard shown.count < Self.limit else { return }
        shown.append(Diagnostic(location: SourceLocation(file: path, line: line, column: column), message: message, sourceLine: sourceLine))
    }

    /// A problem at a byte `offset` of the file, on the line starting at `lineStart`; its column and source
    /// line are worked out only for the problems shown (past ``limit`` it is only counted).
    mutating func add(offset: Int, line: Int, lineStart: Int, _ message: String, in file: ChunkedFile) {
        guard shown.count < Self.limit else {
            total += 1
            return
        }
        add(
            line: line, column: UsageText.column(of: offset, lineStart: lineStart, in: file), message,
            sourceLine: UsageText.line(at: lineStart, in: file))
    }

    /// Every problem as one error, or `nil` when there were none.
    func error(rows: Int, lastLine: Int) -> ScenarioLoadError? {
        guard total > 0 else { return nil }
        var diagnostics = shown
        if total > shown.count {
            let more = Diagnostic(
                location: SourceLocation(file: path, line: lastLine, column: 1),
                message: "\(total - shown.count) more problems in this file (\(total) in all, over \(rows) rows); the first \(shown.count) are shown")
            diagnostics.append(more)
        }
        return ScenarioLoadError(path: path, diagnostics: diagnostics)
    }
}

/// Rows of a usage file come in arrival order (`received_at`, else `timestamp`): the engine reads the file
/// as a stream, so a row that arrives before the one above it cannot be billed where it belongs.
struct ArrivalOrder {
    /// What the message calls the file's lines (`rows`, `lines`) and one record (`row`, `event`).
    let lines: String
    let record: String
    var last: (instant: Instant, line: Int)?

    /// Records `arrival` as the latest, or says why it is out of order (and keeps the latest as it was).
    mutating func check(_ arrival: Instant, line: Int) -> String? {
        if let last, arrival < last.instant {
            return "\(lines) must be in arrival order (received_at, else timestamp): this \(record) arrives at \(arrival), "
                + "before the \(record) of line \(last.line) (\(last.instant))"
        }
        last = (arrival, line)
        return nil
    }
}

/// Timestamps read with the day of the one before: a usage file's rows come in time order, so thousands
/// of `YYYY-MM-DDThh:mm:ssZ` share their date, and only the time of day is read again. Any other shape,
/// or another day, goes through `Instant(utf8:)` (which then gives the day to the next). Reading every
/// date in full was 8% of a 5M-row CSV run's CPU (perf, `billsim bench --sources csv`).
struct TimestampReader {
    /// The date bytes (`YYYY-MM-DD`) of the last such timestamp, and the Unix seconds its day starts at.
    private var date: (UInt64, UInt16) = (0, 0)
    private var dayStart: Int64?

    mutating func instant(_ bytes: UnsafeBufferPointer<UInt8>) -> Instant? {
        let shaped = bytes.count == 20 && bytes[10] == UInt8(ascii: "T") && bytes[19] == UInt8(ascii: "Z")
        if shaped, let dayStart, Self.date(bytes) == date, let time = Self.timeOfDay(bytes) { return Instant(seconds: dayStart + time) }
        guard let instant = Instant(utf8: bytes) else { return nil }
        if shaped, let time = Self.timeOfDay(bytes) { (date, dayStart) = (Self.date(bytes), instant.seconds - time) }
        return instant
    }

    private static func date(_ bytes: UnsafeBufferPointer<UInt8>) -> (UInt64, UInt16) {
        let raw = UnsafeRawPointer(bytes.baseAddress!)
        return (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: 8, as: UInt16.self))
    }

    /// `hh:mm:ss` at bytes 11–18 as seconds, or `nil` when they are not a time of day.
    private static func timeOfDay(_ bytes: UnsafeBufferPointer<UInt8>) -> Int64? {
        func two(_ at: Int) -> Int64? {
            let (high, low) = (bytes[at] &- 48, bytes[at + 1] &- 48)
            return high < 10 && low < 10 ? Int64(high) * 10 + Int64(low) : nil
        }
        guard bytes[13] == UInt8(ascii: ":"), bytes[16] == UInt8(ascii: ":"), let hour = two(11), let minute = two(14), let second = two(17),
            hour < 24, minute < 60, second < 60
        else { return nil }
        return hour * 3600 + minute * 60 + second
    }
}

/// Byte-keyed interning: distinct values numbered in the order they are first added, looked up by
/// their bytes (``ByteHash``, open addressing) without making a `String`.
struct ByteInterner {
    /// Distinct values kept at most (memory stays bounded); callers decide what to do past it.
    static let maxEntries = 1 << 16

    /// A value's length and its first and last eight bytes (zero-padded when shorter than eight, overlapping
    /// when shorter than sixteen): for a value of up to 16 bytes (customer ids, numbers), equal keys are
    /// equal values, so a lookup compares one key instead of calling `memcmp` on the bytes (which, with
    /// byte-at-a-time hashing, made this table a tenth of a 5M-row CSV run's CPU; perf).
    struct Key: Equatable {
        var head: UInt64
        var tail: UInt64
        var count: Int32

        init(head: UInt64, tail: UInt64, count: Int32) { (self.head, self.tail, self.count) = (head, tail, count) }

        init(_ value: UnsafeBufferPointer<UInt8>) {
            let count = value.count
            self.count = Int32(count)
            guard count >= 8 else {
                (head, tail) = (0, 0)
                for index in 0..<count { head |= UInt64(value[index]) << (8 * index) }
                return
            }
            let raw = UnsafeRawPointer(value.baseAddress!)
            (head, tail) = (raw.loadUnaligned(as: UInt64.self), raw.loadUnaligned(fromByteOffset: count - 8, as: UInt64.self))
        }

        /// The key is the whole value.
        var isWhole: Bool { count <= 16 }

        func hash(of value: UnsafeBufferPointer<UInt8>) -> UInt64 {
            isWhole ? ByteHash.mix(ByteHash.step(ByteHash.step(UInt64(count), head), tail)) : ByteHash.hash(value)
        }
    }

    private var slots: [Int32]
    private(set) var bytes: [UInt8] = []
    private var ends: [Int] = []
    private var keys: [Key] = []
    private var hashes: [UInt64] = []

    init() { slots = [Int32](repeating: -1, count: 1024) }

    var count: Int { ends.count }

    /// Where value `id`'s bytes are in ``bytes``.
    func range(_ id: Int) -> Range<Int> { (id == 0 ? 0 : ends[id - 1])..<ends[id] }

    /// The number of `value`, or `nil` when it was never added.
    func find(_ value: UnsafeBufferPointer<UInt8>) -> Int? {
        let key = Key(value)
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: key.hash(of: value)) & mask
        while slots[index] >= 0 {
            let found = Int(slots[index])
            if keys[found] == key, key.isWhole || sameBytes(found, value) { return found }
            index = (index + 1) & mask
        }
        return nil
    }

    /// Adds `value` (not added before) and returns its number.
    @discardableResult
    mutating func add(_ value: UnsafeBufferPointer<UInt8>) -> Int {
        let id = count
        let key = Key(value)
        bytes.append(contentsOf: value)
        ends.append(bytes.count)
        keys.append(key)
        hashes.append(key.hash(of: value))
        if count * 2 > slots.count {
            slots = [Int32](repeating: -1, count: slots.count * 2)
            for position in hashes.indices { place(position) }
        } else {
            place(id)
        }
        return id
    }

    /// The number of `value`, added if it is new; `nil` when it is not valid UTF-8 (checked once per distinct value).
    mutating func id(_ value: UnsafeBufferPointer<UInt8>) -> Int32? {
        if let found = find(value) { return Int32(found) }
        guard UsageText.isValid(value) else { return nil }
        return Int32(add(value))
    }

    private mutating func place(_ position: Int) {
        let mask = slots.count - 1
        var index = Int(truncatingIfNeeded: hashes[position]) & mask
        while slots[index] >= 0 { index = (index + 1) & mask }
        slots[index] = Int32(position)
    }

    /// Whether value `id` is `value`.
    func equal(_ id: Int, _ value: UnsafeBufferPointer<UInt8>) -> Bool { keys[id] == Key(value) && (keys[id].isWhole || sameBytes(id, value)) }

    private func sameBytes(_ id: Int, _ value: UnsafeBufferPointer<UInt8>) -> Bool {
        let range = range(id)
        return bytes.withUnsafeBufferPointer { memcmp($0.baseAddress! + range.lowerBound, value.baseAddress!, value.count) == 0 }
    }
}

/// Repeated values (event names, payload keys and values such as customer ids) as `String`s, one made
/// per distinct value rather than one per row. Values of up to 15 UTF-8 bytes are small strings,
/// stored inline without an allocation, and skip the table; past ``ByteInterner/maxEntries`` distinct
/// values, values are made afresh (memory stays bounded).
struct StringInterner {
    private var table = ByteInterner()
    private var strings: [String] = []

    /// The string of valid UTF-8 `bytes`, or `nil` when they are not valid UTF-8.
    mutating func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        if bytes.count <= 15 { return UsageText.string(bytes) }
        if let found = table.find(bytes) { return strings[found] }
        guard let made = UsageText.string(bytes) else { return nil }
        if table.count < ByteInterner.maxEntries {
            table.add(bytes)
            strings.append(made)
        }
        return made
    }
}

enum UsageText {
    /// The string of valid UTF-8 `bytes`, or `nil`. ASCII (the usual case) goes through the specialized
    /// `String(decoding:as:)`; `String(validating:as:)` is generic at run time and cost a fifth of the parse
    /// time in metadata lookups when it took every cell.
    @inline(__always)
    static func string(_ bytes: UnsafeBufferPointer<UInt8>) -> String? {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        if high < 0x80 { return String(decoding: bytes, as: UTF8.self) }
        return String(validating: bytes, as: UTF8.self)
    }

    /// Whether `bytes` are valid UTF-8.
    static func isValid(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var high: UInt8 = 0
        for byte in bytes { high |= byte }
        return high < 0x80 || String(validating: bytes, as: UTF8.self) != nil
    }

    /// The 1-based column of byte `offset` in a line starting at byte `lineStart`, counting Unicode
    /// scalars as the diagnostics do.
    static func column(of offset: Int, lineStart: Int, in file: ChunkedFile) -> Int {
        var column = 1
        var index = lineStart
        while index < offset {
            if file[index] & 0xC0 != 0x80 { column += 1 }
            index += 1
        }
        return column
    }

    /// The text of the line starting at `lineStart` (without its line break), for a diagnostic's caret.
    static func line(at lineStart: Int, in file: ChunkedFile) -> String {
        var index = lineStart
        while index < file.end, file[index] != 0x0A, file[index] != 0x0D, index - lineStart < 400 { index += 1 }
        return String(decoding: file.bytes(lineStart..<index), as: UTF8.self)
    }

    /// How a byte reads in a message: `,` for printable ASCII, else its hex value.
    static func describe(_ byte: UInt8) -> String {
        byte >= 0x20 && byte < 0x7F ? "`\(Character(Unicode.Scalar(byte)))`" : String(format: "byte 0x%02X", byte)
    }

    /// The text of a cell or JSON string for a message, cut at 60 characters.
    static func quoted(_ bytes: UnsafeBufferPointer<UInt8>) -> String {
        let text = String(decoding: bytes, as: UTF8.self)
        return "\"" + (text.count > 60 ? String(text.prefix(60)) + "…" : text) + "\""
    }
}
