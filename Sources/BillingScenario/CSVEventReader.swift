// CSV usage files: a hand-written, byte-level RFC 4180 reader.
//
// Why not a CSV library. Measured before writing this (release build, a throwaway program in /tmp that
// counts rows and sums one column of a 5,000,000-row, 262 MB usage file in this package's CSV layout;
// 2 shared cores, 2026-12-01):
//
//   swiftcsv/SwiftCSV 0.10.0   (CSV<Enumerated>.enumerateAsArray)  114.7 s   43,600 rows/s   2,404 MB peak
//   yaslab/CSV.swift 2.5.2      (CSVReader over an InputStream)      44.6 s  112,082 rows/s      18 MB peak
//
// Both read quotes, embedded commas and newlines, CRLF and a BOM correctly, but both build a `String` per
// field and an `[String]` per row, and SwiftCSV loads the whole file as one `String` first; neither
// reports a malformed row's line and column. The target is 1,500,000 events/s end to end, parsing
// included (3.3 s for those 5M rows), so both are more than 10× too slow before billing starts. This
// reader scans bytes in a reused 4 MiB buffer, parses timestamps straight from bytes into `Instant`,
// and makes no `String` per row: it fills batches of rows in compact form (`UsageRows`: event names and
// payload values as numbers into a byte-keyed table of the file's distinct values, the identifier's
// bytes), which the engine validates where they are. Memory is the buffer plus the table (restarted past
// 65,536 values), whatever the file's size. `billsim validate` of that file:
// 1.5–2.0 s of CPU (2.5M–3.3M rows/s), 30 MB peak; README "Performance" has the billing figures.
//
// The dialect (SCENARIO-FORMAT.md, `usage: - file:`): a header row, then one event per row. The columns
// `event_name`, `timestamp`, `identifier`, `received_at` are the event's fields; `payload.<key>` or any
// other column is a payload key; an empty cell is absent. Cells are separated by commas; a cell may be
// quoted with `"` (then it may hold commas, quotes written twice, and line breaks); rows end with LF,
// CRLF or a lone CR; a UTF-8 byte order mark is skipped; blank lines are skipped. Rows must come in
// arrival order (`received_at`, else `timestamp`), so the file streams without sorting it in memory.
// Every malformed row is counted and reported at its `file:line:col`; the rest of the file is still read.

import BillingCore
import BillingDocument

struct CSVEventReader {
    enum Column: Hashable {
        case eventName, timestamp, identifier, receivedAt
        case payload(String)
    }

    /// One cell of the current record: byte offsets into the file's buffer.
    struct Cell {
        /// The first content byte (after an opening quote) and one past the last.
        var start: Int
        var end: Int
        var quoted: Bool
        /// Holds `""` to be read as one `"`.
        var escaped: Bool
        /// The line the cell starts on and the buffer offset of that line's first byte.
        var line: Int
        var lineStart: Int

        var first: Int { quoted ? start - 1 : start }
    }

    /// A problem found while scanning a record, at a byte offset.
    struct ScanProblem {
        var offset: Int
        var line: Int
        var lineStart: Int
        var message: String
    }

    enum Scan {
        case record(next: Int, nextLine: Int, problem: ScanProblem?)
        case endOfFile
        /// The record runs past the bytes read; `openQuote` when inside a quoted cell.
        case incomplete(openQuote: ScanProblem?, line: Int)
    }

    let file: ChunkedFile
    let path: String
    var problems: UsageFileProblems
    var columns: [Column] = []
    var cells: [Cell] = []
    /// The line the next record starts on.
    var line = 1
    var rows = 0
    /// The file's distinct event names and payload values, numbered as ``UsageRows`` carries them.
    var values = ByteInterner()
    /// How many of `values` have gone out in a batch of rows.
    var valuesSent = 0
    /// The previous row's event name in `values` (-1: none): rows of one file mostly share it, so it is
    /// compared rather than looked up.
    var lastEventName: Int32 = -1
    var timestamps = TimestampReader()
    /// The payload keys of the payload columns, and each column's place among them (-1 for the event's fields).
    var payloadKeys: [String] = []
    var payloadSlots: [Int] = []
    /// The current row's payload cells.
    var rowCells: [Int32] = []
    /// One row at a time for ``next()``, and the strings of its values.
    var single = UsageRows(payloadKeys: [])
    var singleStrings = UsageRowStrings()
    var arrivalOrder = ArrivalOrder(lines: "rows", record: "row")
    var finished = false

    /// Opens the file and reads its header; header problems are in `problems` (and stop the reading).
    init(file: ChunkedFile, path: String) {
        self.file = file
        self.path = path
        problems = UsageFileProblems(path: path)
        cells.reserveCapacity(16)
        readHeader()
        for column in columns {
            guard case .payload(let key) = column else {
                payloadSlots.append(-1)
                continue
            }
            payloadSlots.append(payloadKeys.count)
            payloadKeys.append(key)
        }
        rowCells = Array(repeating: -1, count: payloadKeys.count)
        single = UsageRows(payloadKeys: payloadKeys)
    }

    static let fieldColumns: [String: Column] = [
        "event_name": .eventName, "timestamp": .timestamp, "identifier": .identifier, "received_at": .receivedAt,
    ]

    mutating func readHeader() {
        guard let record = readRecord() else {
            finished = true
            return
        }
        if let problem = record.problem {
            report(problem)
            problems.fatal = true
            return
        }
        var seen: [Column: Int] = [:]
        for index in cells.indices {
            let cell = cells[index]
            let name = String(decoding: cellBytes(index), as: UTF8.self)
            let column: Column
            if name.isEmpty {
                report(cell, "column \(index + 1) of the header has no name")
                continue
            } else if let field = Self.fieldColumns[name] {
                column = field
            } else {
                column = .payload(name.hasPrefix("payload.") ? String(name.dropFirst(8)) : name)
            }
            if let earlier = seen[column] {
                let what = if case .payload(let key) = column { "payload key `\(key)`" } else { "`\(name)`" }
                report(cell, "duplicate column `\(name)`: column \(earlier + 1) already gives \(what)")
            }
            seen[column] = seen[column] ?? index
            columns.append(column)
        }
        for (required, column) in [("event_name", Column.eventName), ("timestamp", .timestamp)] where !columns.contains(column) {
            let header = UsageText.line(at: cells.first?.lineStart ?? 0, in: file)
            problems.add(line: 1, column: 1, "CSV header lacks the `\(required)` column", sourceLine: header)
        }
        if problems.total > 0 { problems.fatal = true }
    }

    /// The next well-formed event; at the end of the file, every problem found, thrown as one error.
    /// (Reading by ``read(into:limit:)`` and by this on the same reader is not supported.)
    mutating func next() throws(ScenarioLoadError) -> MeterEvent? {
        var row = UsageRows(payloadKeys: payloadKeys)
        swap(&row, &single)
        defer { single = row }
        row.removeAll()
        try read(into: &row, limit: 1)
        singleStrings.take(row)
        return row.isEmpty ? nil : row.event(0, strings: singleStrings.strings)
    }

    /// Appends the next well-formed rows, up to `limit`, to `batch` (empty), with the values first seen
    /// in them. At the end of the file `batch` stays empty and every problem found is thrown as one error.
    mutating func read(into batch: inout UsageRows, limit: Int) throws(ScenarioLoadError) {
        if values.count >= ByteInterner.maxEntries {
            (values, valuesSent, lastEventName) = (ByteInterner(), 0, -1)
            batch.restartTable()
        }
        while batch.count < limit {
            guard !finished, !problems.fatal, let record = readRecord() else {
                finished = true
                break
            }
            if cells.count == 1, !cells[0].quoted, cells[0].start == cells[0].end { continue }
            rows += 1
            if let problem = record.problem {
                report(problem)
                continue
            }
            guard cells.count == columns.count else {
                // An extra cell is shown where it starts; a missing one where the row ends.
                let cell = cells.count > columns.count ? cells[columns.count] : cells[cells.count - 1]
                let at = cells.count > columns.count ? cell.first : cell.end + (cell.quoted ? 1 : 0)
                report(
                    ScanProblem(
                        offset: at, line: cell.line, lineStart: cell.lineStart,
                        message: "expected \(columns.count) cells as in the header, found \(cells.count)"))
                continue
            }
            appendRow(line: record.line, to: &batch)
        }
        let (table, sent) = (values, valuesSent)
        table.bytes.withUnsafeBufferPointer { bytes in
            for value in sent..<table.count { batch.addValue(UnsafeBufferPointer(rebasing: bytes[table.range(value)])) }
        }
        valuesSent = table.count
        if finished, batch.isEmpty, let error = problems.error(rows: rows, lastLine: max(1, line - 1)) { throw error }
    }

    /// Appends the current record's cells to `batch` as a row, or reports why they are not an event.
    mutating func appendRow(line rowLine: Int, to batch: inout UsageRows) {
        var eventName: Int32?
        var timestamp: Instant?
        var identifier: UnsafeBufferPointer<UInt8>?
        var receivedAt: Instant?
        for slot in rowCells.indices { rowCells[slot] = -1 }
        for index in 0..<columns.count where cells[index].start != cells[index].end {
            let bytes = cellBytes(index)
            switch columns[index] {
            case .timestamp, .receivedAt:
                guard let instant = timestamps.instant(bytes) else {
                    let name = columns[index] == .timestamp ? "timestamp" : "received_at"
                    report(cells[index], "\(name): expected RFC 3339, a date or Unix seconds, found \(UsageText.quoted(bytes))")
                    return
                }
                if columns[index] == .timestamp { timestamp = instant } else { receivedAt = instant }
            case .eventName:
                if lastEventName < 0 || !values.equal(Int(lastEventName), bytes) {
                    guard let name = values.id(bytes) else { return invalidUTF8(index) }
                    lastEventName = name
                }
                eventName = lastEventName
            case .identifier:
                guard UsageText.isValid(bytes) else { return invalidUTF8(index) }
                identifier = bytes
            case .payload:
                guard let value = values.id(bytes) else { return invalidUTF8(index) }
                rowCells[payloadSlots[index]] = value
            }
        }
        guard let eventName else {
            report(cells[columns.firstIndex(of: .eventName)!], "event_name is empty")
            return
        }
        guard let timestamp else {
            report(cells[columns.firstIndex(of: .timestamp)!], "timestamp is empty")
            return
        }
        let arrival = receivedAt ?? timestamp
        if let outOfOrder = arrivalOrder.check(arrival, line: rowLine) {
            report(cells[columns.firstIndex(of: receivedAt == nil ? .timestamp : .receivedAt)!], outOfOrder)
            return
        }
        rowCells.withUnsafeBufferPointer { cells in
            batch.append(name: eventName, timestamp: timestamp, receivedAt: receivedAt, identifier: identifier, cells: cells)
        }
    }

    mutating func invalidUTF8(_ index: Int) {
        let name: String =
            switch columns[index] {
            case .eventName: "event_name"
            case .timestamp: "timestamp"
            case .identifier: "identifier"
            case .receivedAt: "received_at"
            case .payload(let key): "payload key `\(key)`"
            }
        report(cells[index], "\(name): the cell is not valid UTF-8")
    }

    /// The bytes of a cell; a quoted cell's doubled quotes are undoubled in place the first time.
    mutating func cellBytes(_ index: Int) -> UnsafeBufferPointer<UInt8> {
        let cell = cells[index]
        if cell.escaped {
            var write = cell.start
            var read = cell.start
            while read < cell.end {
                file.base[write] = file.base[read]
                read += file.base[read] == UInt8(ascii: "\"") ? 2 : 1
                write += 1
            }
            cells[index].end = write
            cells[index].escaped = false
        }
        return file.bytes(cells[index].start..<cells[index].end)
    }

    mutating func report(_ cell: Cell, _ message: String) {
        report(ScanProblem(offset: cell.first, line: cell.line, lineStart: cell.lineStart, message: message))
    }

    mutating func report(_ problem: ScanProblem) {
        problems.add(offset: problem.offset, line: problem.line, lineStart: problem.lineStart, problem.message, in: file)
    }

    /// Scans the next record into `cells`, reading more of the file as needed; `nil` at the end of the
    /// file or after a problem that stops the reading (reported).
    mutating func readRecord() -> (line: Int, problem: ScanProblem?)? {
        while true {
            switch scan() {
            case .record(let next, let nextLine, let problem):
                let recordLine = line
                file.start = next
                line = nextLine
                return (recordLine, problem)
            case .endOfFile:
                if let error = file.readError { problems.add(line: line, column: 1, "cannot read the file: \(error)") }
                return nil
            case .incomplete(let openQuote, let lastLine):
                let wasAtEnd = file.atEnd
                if file.refill() || (!wasAtEnd && file.atEnd && file.readError == nil) { continue }
                if let error = file.readError {
                    problems.add(line: line, column: 1, "cannot read the file: \(error)")
                } else if var quote = openQuote {
                    let endsWithBreak = file.end > file.start && (file[file.end - 1] == 0x0A || file[file.end - 1] == 0x0D)
                    let lines = lastLine - quote.line + (endsWithBreak ? 0 : 1)
                    quote.message =
                        file.atEnd
                        ? "unterminated quoted cell: the quote opened here is never closed, so the rest of the file is not read "
                            + "(\(lines) \(lines == 1 ? "line" : "lines"))"
                        : "a quoted cell opened here runs on for more than \(file.capacityText): an unterminated quote?"
                    report(quote)
                } else {
                    problems.add(line: line, column: 1, "a row longer than \(file.capacityText)")
                }
                problems.fatal = true
                return nil
            }
        }
    }

    /// Whether any byte of `word` is `,`, `"`, LF or CR (the classic has-zero-byte test on `word` XOR each).
    @inline(__always)
    static func hasDelimiter(_ word: UInt64) -> Bool {
        let ones: UInt64 = 0x0101_0101_0101_0101
        let highs: UInt64 = 0x8080_8080_8080_8080
        func hasZero(_ value: UInt64) -> Bool { (value &- ones) & ~value & highs != 0 }
        return hasZero(word ^ (ones &* 0x2C)) || hasZero(word ^ (ones &* 0x22)) || hasZero(word ^ (ones &* 0x0A))
            || hasZero(word ^ (ones &* 0x0D))
    }

    /// Scans one record from the buffer's unconsumed bytes into `cells`.
    mutating func scan() -> Scan {
        let base = file.base
        let end = file.end
        let atEnd = file.atEnd
        var p = file.start
        if p == end { return atEnd ? .endOfFile : .incomplete(openQuote: nil, line: line) }
        let quote = UInt8(ascii: "\"")
        let comma = UInt8(ascii: ",")
        let lf: UInt8 = 0x0A
        let cr: UInt8 = 0x0D
        cells.removeAll(keepingCapacity: true)
        var line = self.line
        var lineStart = p
        var problem: ScanProblem?
        while true {
            if p < end, base[p] == quote {
                let open = ScanProblem(offset: p, line: line, lineStart: lineStart, message: "")
                p += 1
                let contentStart = p
                var escaped = false
                while true {
                    if p == end { return .incomplete(openQuote: open, line: line) }
                    let byte = base[p]
                    if byte == quote {
                        if p + 1 == end, !atEnd { return .incomplete(openQuote: open, line: line) }
                        if p + 1 < end, base[p + 1] == quote {
                            escaped = true
                            p += 2
                            continue
                        }
                        break
                    }
                    if byte == lf {
                        line += 1
                        lineStart = p + 1
                    } else if byte == cr {
                        if p + 1 == end, !atEnd { return .incomplete(openQuote: open, line: line) }
                        if !(p + 1 < end && base[p + 1] == lf) {
                            line += 1
                            lineStart = p + 1
                        }
                    }
                    p += 1
                }
                cells.append(Cell(start: contentStart, end: p, quoted: true, escaped: escaped, line: open.line, lineStart: open.lineStart))
                p += 1
                if p < end, base[p] != comma, base[p] != lf, base[p] != cr {
                    if problem == nil {
                        problem = ScanProblem(
                            offset: p, line: line, lineStart: lineStart,
                            message: "unexpected \(UsageText.describe(base[p])) after the closing quote of a quoted cell "
                                + "(a quote inside a quoted cell is written twice: \"\")")
                    }
                    while p < end, base[p] != comma, base[p] != lf, base[p] != cr { p += 1 }
                }
            } else {
                let contentStart = p
                // Eight bytes at a time while none of them is a comma, line break or quote (a cell's
                // common case; byte by byte, this loop was the reader's largest cost after the value table).
                while p + 8 <= end, !Self.hasDelimiter(UnsafeRawPointer(base + p).loadUnaligned(as: UInt64.self)) { p += 8 }
                while p < end {
                    let byte = base[p]
                    if byte == comma || byte == lf || byte == cr { break }
                    if byte == quote, problem == nil {
                        problem = ScanProblem(
                            offset: p, line: line, lineStart: lineStart,
                            message: "a quote inside an unquoted cell: quote the whole cell and write the quote twice (\"\")")
                    }
                    p += 1
                }
                cells.append(Cell(start: contentStart, end: p, quoted: false, escaped: false, line: line, lineStart: lineStart))
            }
            if p == end {
                if !atEnd { return .incomplete(openQuote: nil, line: line) }
                return .record(next: p, nextLine: line + 1, problem: problem)
            }
            let byte = base[p]
            if byte == comma {
                p += 1
                continue
            }
            if byte == lf { return .record(next: p + 1, nextLine: line + 1, problem: problem) }
            if p + 1 == end, !atEnd { return .incomplete(openQuote: nil, line: line) }
            return .record(next: p + 1 < end && base[p + 1] == lf ? p + 2 : p + 1, nextLine: line + 1, problem: problem)
        }
    }
}
