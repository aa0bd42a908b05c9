import BillingCore
import Foundation
import BillingDocument

/// Turns a scenario's usage streams into one ``MeterEventSource`` in arrival order.
public enum UsageSources {
    /// Opens every stream of the scenario (reading files now) and merges them by arrival; ties keep
    /// `usage:` order, then each stream's own order. File problems come back as diagnostics.
    public static func open(_ streams: [UsageStream]) -> Result<MergedEventSource, ScenarioLoadError> {
        var sources: [any MeterEventSource] = []
        var diagnostics: [Diagnostic] = []
        var failedPath = ""
        for stream in streams {
            switch stream {
            case .events(let events):
                sources.append(ArrayMeterEventSource(events))
            case .generate(let spec):
                sources.append(GeneratedEventSource(spec))
            case .file(let path, let format, let location):
                switch UsageFileReader.read(path: path, format: format, referencedAt: location) {
                case .success(let events): sources.append(ArrayMeterEventSource(events))
                case .failure(let error):
                    diagnostics += error.diagnostics
                    failedPath = error.path
                }
            }
        }
        guard diagnostics.isEmpty else { return .failure(ScenarioLoadError(path: failedPath, diagnostics: diagnostics)) }
        return .success(MergedEventSource(sources))
    }
}

/// A k-way merge of sources by arrival; ties go to the earlier source.
public struct MergedEventSource: MeterEventSource {
    var sources: [any MeterEventSource]
    /// Each source's next event; read on the first call to `next()` so a source's error surfaces there.
    var heads: [MeterEvent?]?

    public init(_ sources: [any MeterEventSource]) { self.sources = sources }

    public mutating func next() throws -> MeterEvent? {
        if heads == nil {
            var first: [MeterEvent?] = []
            for index in sources.indices { first.append(try sources[index].next()) }
            heads = first
        }
        var best: Int?
        for index in heads!.indices {
            guard let head = heads![index] else { continue }
            if let current = best, let bestHead = heads![current], bestHead.arrival <= head.arrival { continue }
            best = index
        }
        guard let index = best else { return nil }
        let event = heads![index]
        heads![index] = try sources[index].next()
        return event
    }
}

/// A seeded synthetic stream: each customer has its own arrival process and random source, and the
/// customers' events are interleaved by time (ties in customer order).
public struct GeneratedEventSource: MeterEventSource {
    struct Arrival: Comparable {
        var at: Instant
        var customer: Int
        static func < (lhs: Arrival, rhs: Arrival) -> Bool { (lhs.at, lhs.customer) < (rhs.at, rhs.customer) }
    }

    let spec: GeneratorSpec
    var randoms: [SplitMix64]
    var arrivals = Heap<Arrival>()
    var emitted: Int64 = 0

    public init(_ spec: GeneratorSpec) {
        self.spec = spec
        randoms = spec.customers.indices.map { index in
            SplitMix64(seed: spec.seed &+ UInt64(index) &* 0xD1B5_4A32_D192_ED03)
        }
        for index in spec.customers.indices {
            arrivals.insert(Arrival(at: spec.arrivals.first(from: spec.from, random: &randoms[index]), customer: index))
        }
    }

    public mutating func next() throws -> MeterEvent? {
        guard let arrival = arrivals.removeMin(), arrival.at < spec.to else { return nil }
        let index = arrival.customer
        let value = spec.values.value(random: &randoms[index])
        arrivals.insert(Arrival(at: spec.arrivals.next(after: arrival.at, random: &randoms[index]), customer: index))
        emitted += 1
        var payload = MeterEventPayload()
        payload[spec.customerKey] = spec.customers[index]
        payload[spec.valueKey] = value.description
        return MeterEvent(eventName: spec.eventName, timestamp: arrival.at, identifier: spec.identifierPrefix + String(emitted), payload: payload)
    }
}

/// Reads meter events from CSV or JSON Lines.
///
/// CSV: a header row; the columns `event_name`, `timestamp`, `identifier`, `received_at` are the
/// event's fields, `payload.<key>` or any other column is a payload key; empty cells are absent.
/// JSON Lines: one Stripe-shaped event object per line
/// (`{"event_name": …, "timestamp": …, "identifier": …, "payload": {…}, "received_at": …}`);
/// payload numbers are kept as written. Every bad row is reported with its line and column.
public enum UsageFileReader {
    public static func read(path: String, format: UsageFileFormat, referencedAt location: SourceLocation) -> Result<[MeterEvent], ScenarioLoadError> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            let problem = Diagnostic(location: location, message: "usage file \(path) cannot be read as UTF-8 text")
            return .failure(ScenarioLoadError(path: location.file, diagnostics: [problem]))
        }
        switch format {
        case .csv: return readCSV(text, path: path)
        case .jsonl: return readJSONLines(text, path: path)
        }
    }

    static let fields: Set<String> = ["event_name", "timestamp", "identifier", "received_at"]

    static func readCSV(_ text: String, path: String) -> Result<[MeterEvent], ScenarioLoadError> {
        var rows = CSV.rows(text)
        guard !rows.isEmpty else { return .success([]) }
        let header = rows.removeFirst().cells.map(\.text)
        var problems: [Diagnostic] = []
        for required in ["event_name", "timestamp"] where !header.contains(required) {
            problems.append(Diagnostic(location: SourceLocation(file: path, line: 1, column: 1), message: "CSV header lacks the `\(required)` column", sourceLine: nil))
        }
        guard problems.isEmpty else { return .failure(ScenarioLoadError(path: path, diagnostics: problems)) }
        var events: [MeterEvent] = []
        events.reserveCapacity(rows.count)
        for row in rows where !(row.cells.count == 1 && row.cells[0].text.isEmpty) {
            var fieldsByName: [String: (text: String, column: Int)] = [:]
            var payload: [String: String] = [:]
            if row.cells.count != header.count {
                problems.append(
                    Diagnostic(
                        location: SourceLocation(file: path, line: row.line, column: 1),
                        message: "expected \(header.count) cells as in the header, found \(row.cells.count)", sourceLine: row.source))
                continue
            }
            for (name, cell) in zip(header, row.cells) where !cell.text.isEmpty {
                if fields.contains(name) {
                    fieldsByName[name] = (cell.text, cell.column)
                } else {
                    payload[name.hasPrefix("payload.") ? String(name.dropFirst(8)) : name] = cell.text
                }
            }
            func problem(_ column: Int, _ message: String) {
                problems.append(Diagnostic(location: SourceLocation(file: path, line: row.line, column: column), message: message, sourceLine: row.source))
            }
            guard let name = fieldsByName["event_name"] else {
                problem(1, "event_name is empty")
                continue
            }
            guard let stamp = fieldsByName["timestamp"], let timestamp = Instant(parsing: stamp.text) else {
                problem(fieldsByName["timestamp"]?.column ?? 1, "timestamp: expected RFC 3339, a date or Unix seconds, found \"\(fieldsByName["timestamp"]?.text ?? "")\"")
                continue
            }
            var receivedAt: Instant?
            if let received = fieldsByName["received_at"] {
                guard let instant = Instant(parsing: received.text) else {
                    problem(received.column, "received_at: expected RFC 3339, a date or Unix seconds, found \"\(received.text)\"")
                    continue
                }
                receivedAt = instant
            }
            events.append(MeterEvent(eventName: name.text, timestamp: timestamp, identifier: fieldsByName["identifier"]?.text, payload: payload, receivedAt: receivedAt))
        }
        return problems.isEmpty ? .success(events) : .failure(ScenarioLoadError(path: path, diagnostics: problems))
    }

    static func readJSONLines(_ text: String, path: String) -> Result<[MeterEvent], ScenarioLoadError> {
        var events: [MeterEvent] = []
        var problems: [Diagnostic] = []
        var lineNumber = 0
        for line in text.split(separator: "\n", omittingEmptySubsequences: false) {
            lineNumber += 1
            let source = String(line.hasSuffix("\r") ? line.dropLast() : line)
            guard !source.allSatisfy(\.isWhitespace) else { continue }
            func problem(_ column: Int, _ message: String) {
                problems.append(Diagnostic(location: SourceLocation(file: path, line: lineNumber, column: column), message: message, sourceLine: source))
            }
            var parser = FlatJSON(source)
            guard case .success(let object) = parser.parseObject() else {
                problem(parser.column, "expected a JSON object: \(parser.error ?? "invalid JSON")")
                continue
            }
            var event = MeterEvent(eventName: "", timestamp: Instant(seconds: 0), payload: [:])
            var valid = true
            for (key, value) in object {
                switch (key, value) {
                case ("event_name", .text(let name)): event.eventName = name
                case ("identifier", .text(let identifier)): event.identifier = identifier
                case ("timestamp", .text(let stamp)), ("received_at", .text(let stamp)):
                    guard let instant = Instant(parsing: stamp) else {
                        problem(1, "\(key): expected RFC 3339, a date or Unix seconds, found \"\(stamp)\"")
                        valid = false
                        continue
                    }
                    if key == "timestamp" { event.timestamp = instant } else { event.receivedAt = instant }
                case ("payload", .object(let payload)): event.payload = MeterEventPayload(payload)
                case ("object", _), ("created", _), ("livemode", _): continue
                default:
                    problem(1, "unexpected field `\(key)` (expected event_name, timestamp, identifier, payload, received_at)")
                    valid = false
                }
            }
            if event.eventName.isEmpty || object.first(where: { $0.0 == "timestamp" }) == nil {
                problem(1, "an event needs event_name and timestamp")
                valid = false
            }
            if valid { events.append(event) }
        }
        return problems.isEmpty ? .success(events) : .failure(ScenarioLoadError(path: path, diagnostics: problems))
    }
}

/// RFC 4180 CSV rows with the line and column of each cell.
enum CSV {
    struct Cell {
        var text: String
        var column: Int
    }

    struct Row {
        var cells: [Cell]
        var line: Int
        var source: String
    }

    static func rows(_ text: String) -> [Row] {
        var rows: [Row] = []
        var cells: [Cell] = []
        var cell = ""
        var cellColumn = 1
        var column = 1
        var line = 1
        var rowLine = 1
        var rowSource = ""
        var quoted = false
        var chars = Array(text.unicodeScalars)
        if chars.last != "\n" { chars.append("\n") }
        var index = 0
        while index < chars.count {
            let c = chars[index]
            index += 1
            if quoted {
                if c == "\"" {
                    if index < chars.count, chars[index] == "\"" {
                        cell.unicodeScalars.append("\"")
                        rowSource.unicodeScalars.append("\"")
                        index += 1
                        column += 1
                    } else {
                        quoted = false
                    }
                } else {
                    cell.unicodeScalars.append(c)
                    if c == "\n" { line += 1; column = 0 }
                }
                rowSource.unicodeScalars.append(c)
                column += 1
                continue
            }
            switch c {
            case "\"":
                quoted = true
                rowSource.unicodeScalars.append(c)
            case ",":
                cells.append(Cell(text: cell, column: cellColumn))
                cell = ""
                cellColumn = column + 1
                rowSource.unicodeScalars.append(c)
            case "\r":
                continue
            case "\n":
                cells.append(Cell(text: cell, column: cellColumn))
                rows.append(Row(cells: cells, line: rowLine, source: rowSource))
                cells = []
                cell = ""
                rowSource = ""
                line += 1
                rowLine = line
                column = 0
                cellColumn = 1
            default:
                cell.unicodeScalars.append(c)
                rowSource.unicodeScalars.append(c)
            }
            column += 1
        }
        return rows
    }
}

/// A minimal JSON reader for one meter event per line: an object of strings, numbers (kept as
/// written, never through a binary float), booleans, nulls and one nested object of scalars.
struct FlatJSON {
    enum Value {
        case text(String)
        case object([String: String])
    }

    let chars: [Unicode.Scalar]
    var index = 0
    var error: String?
    var column: Int { index + 1 }

    init(_ text: String) { chars = Array(text.unicodeScalars) }

    mutating func skipSpace() {
        while index < chars.count, chars[index] == " " || chars[index] == "\t" || chars[index] == "\r" { index += 1 }
    }

    mutating func expect(_ c: Unicode.Scalar) -> Bool {
        skipSpace()
        guard index < chars.count, chars[index] == c else {
            error = "expected `\(c)`"
            return false
        }
        index += 1
        return true
    }

    mutating func parseObject() -> Result<[(String, Value)], Never> {
        var entries: [(String, Value)] = []
        guard expect("{") else { return .success([]) }
        skipSpace()
        if index < chars.count, chars[index] == "}" {
            index += 1
            return .success(entries)
        }
        while true {
            guard let key = parseString(), expect(":") else { return fail() }
            skipSpace()
            if index < chars.count, chars[index] == "{" {
                var nested: [String: String] = [:]
                index += 1
                skipSpace()
                if index < chars.count, chars[index] == "}" {
                    index += 1
                } else {
                    while true {
                        guard let nestedKey = parseString(), expect(":"), let value = parseScalar() else { return fail() }
                        nested[nestedKey] = value
                        skipSpace()
                        if index < chars.count, chars[index] == "," { index += 1; continue }
                        guard expect("}") else { return fail() }
                        break
                    }
                }
                entries.append((key, .object(nested)))
            } else {
                guard let value = parseScalar() else { return fail() }
                entries.append((key, .text(value)))
            }
            skipSpace()
            if index < chars.count, chars[index] == "," { index += 1; continue }
            guard expect("}") else { return fail() }
            skipSpace()
            guard index == chars.count else {
                error = "unexpected text after the object"
                return fail()
            }
            return .success(entries)
        }
    }

    mutating func fail() -> Result<[(String, Value)], Never> {
        if error == nil { error = "invalid JSON" }
        return .success([])
    }

    mutating func parseString() -> String? {
        skipSpace()
        guard index < chars.count, chars[index] == "\"" else {
            error = "expected a string"
            return nil
        }
        index += 1
        var text = ""
        while index < chars.count {
            let c = chars[index]
            index += 1
            switch c {
            case "\"": return text
            case "\\":
                guard index < chars.count else { break }
                let escaped = chars[index]
                index += 1
                switch escaped {
                case "n": text += "\n"
                case "t": text += "\t"
                case "r": text += "\r"
                case "b": text += "\u{8}"
                case "f": text += "\u{c}"
                case "u":
                    guard index + 4 <= chars.count, let code = UInt32(String(String.UnicodeScalarView(chars[index..<index + 4])), radix: 16),
                        let scalar = Unicode.Scalar(code)
                    else {
                        error = "invalid \\u escape"
                        return nil
                    }
                    text.unicodeScalars.append(scalar)
                    index += 4
                default: text.unicodeScalars.append(escaped)
                }
            default: text.unicodeScalars.append(c)
            }
        }
        error = "unterminated string"
        return nil
    }

    /// A string, or the literal text of a number, `true`, `false` or `null`.
    mutating func parseScalar() -> String? {
        skipSpace()
        guard index < chars.count else {
            error = "expected a value"
            return nil
        }
        if chars[index] == "\"" { return parseString() }
        let start = index
        while index < chars.count, !",}] \t".unicodeScalars.contains(chars[index]) { index += 1 }
        let literal = String(String.UnicodeScalarView(chars[start..<index]))
        guard !literal.isEmpty else {
            error = "expected a value"
            return nil
        }
        return literal
    }
}
