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
// and makes a `String` only for what an event keeps: identifiers and customer ids of up to 15 bytes are
// small strings (no allocation), longer repeated values (event names) come from a byte-keyed interning
// table. Memory is the buffer plus the table, whatever the file's size. `billsim validate` of that file:
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
    var interner = StringInterner()
    var arrivalOrder = ArrivalOrder(lines: "rows", record: "row")
    var finished = false

    /// Opens the file and reads its header; header problems are in `problems` (and stop the reading).
    init(file: ChunkedFile, path: String) {
        self.file = file
        self.path = path
        problems = UsageFileProblems(path: path)
        cells.reserveCapacity(16)
        readHeader()
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
    mutating func next() throws(ScenarioLoadError) -> MeterEvent? {
        while !finished, !problems.fatal {
            guard let record = readRecord() else { break }
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
            if let event = event(line: record.line) { return event }
        }
        finished = true
        if let error = problems.error(rows: rows, lastLine: max(1, line - 1)) { throw error }
        return nil
    }

    /// The current record's cells as an event, or `nil` after reporting why not.
    mutating func event(line rowLine: Int) -> MeterEvent? {
        var eventName: String?
        var timestamp: Instant?
        var identifier: String?
        var receivedAt: Instant?
        var payload = MeterEventPayload()
        for index in 0..<columns.count where cells[index].start != cells[index].end {
            let bytes = cellBytes(index)
            switch columns[index] {
            case .timestamp, .receivedAt:
                guard let instant = Instant(utf8: bytes) else {
                    let name = columns[index] == .timestamp ? "timestamp" : "received_at"
                    report(cells[index], "\(name): expected RFC 3339, a date or Unix seconds, found \(UsageText.quoted(bytes))")
                    return nil
                }
                if columns[index] == .timestamp { timestamp = instant } else { receivedAt = instant }
            case .eventName:
                eventName = interner.string(bytes)
                if eventName == nil { return invalidUTF8(index) }
            case .identifier:
                identifier = UsageText.string(bytes)
                if identifier == nil { return invalidUTF8(index) }
            case .payload(let key):
                guard let value = interner.string(bytes) else { return invalidUTF8(index) }
                payload[key] = value
            }
        }
        guard let eventName else {
            report(cells[columns.firstIndex(of: .eventName)!], "event_name is empty")
            return nil
        }
        guard let timestamp else {
            report(cells[columns.firstIndex(of: .timestamp)!], "timestamp is empty")
            return nil
        }
        let arrival = receivedAt ?? timestamp
        if let outOfOrder = arrivalOrder.check(arrival, line: rowLine) {
            report(cells[columns.firstIndex(of: receivedAt == nil ? .timestamp : .receivedAt)!], outOfOrder)
            return nil
        }
        return MeterEvent(eventName: eventName, timestamp: timestamp, identifier: identifier, payload: payload, receivedAt: receivedAt)
    }

    mutating func invalidUTF8(_ index: Int) -> MeterEvent? {
        let name: String =
            switch columns[index] {
            case .eventName: "event_name"
            case .timestamp: "timestamp"
            case .identifier: "identifier"
            case .receivedAt: "received_at"
            case .payload(let key): "payload key `\(key)`"
            }
        report(cells[index], "\(name): the cell is not valid UTF-8")
        return nil
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
