import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

/// Reads `content` as a usage file: the events before the end, and each problem as `line:col: message`.
func readUsage(_ content: [UInt8], format: UsageFileFormat) -> (events: [MeterEvent], problems: [String]) {
    let path = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-usage-\(UUID().uuidString).\(format.rawValue)").path
    _ = FileManager.default.createFile(atPath: path, contents: Data(content))
    defer { try? FileManager.default.removeItem(atPath: path) }
    func lines(_ error: ScenarioLoadError) -> [String] {
        error.diagnostics.map { "\($0.location.line):\($0.location.column): \($0.message)" }
    }
    var source: UsageFileSource
    switch UsageFileSource.open(path: path, format: format, referencedAt: SourceLocation(file: "s.yaml", line: 1, column: 1)) {
    case .success(let opened): source = opened
    case .failure(let error): return ([], lines(error))
    }
    var events: [MeterEvent] = []
    do {
        while let event = try source.nextEvent() { events.append(event) }
    } catch {
        return (events, lines(error))
    }
    return (events, [])
}

func readUsage(_ content: String, format: UsageFileFormat) -> (events: [MeterEvent], problems: [String]) {
    readUsage(Array(content.utf8), format: format)
}

struct UsageFileCase: CustomTestStringConvertible, Sendable {
    var name: String
    var content: String
    /// Each event as `event_name timestamp identifier payload received_at`.
    var events: [String] = []
    var problems: [String] = []
    var testDescription: String { name }
}

func summary(_ event: MeterEvent) -> String {
    let payload = event.payload.map { "\($0.key)=\($0.value)" }.joined(separator: ";")
    return "\(event.eventName) \(event.timestamp) \(event.identifier ?? "-") \(payload)" + (event.receivedAt.map { " received \($0)" } ?? "")
}

struct CSVUsageFileTests {
    static let header = "event_name,timestamp,identifier,stripe_customer_id,value\n"

    static let cases: [UsageFileCase] = [
        UsageFileCase(
            name: "plain rows; payload.<key> and bare columns are payload keys; empty cells are absent",
            content: "event_name,timestamp,identifier,payload.stripe_customer_id,value,received_at\n"
                + "tokens,2026-01-02T10:00:00Z,evt_1,cus_1,5,\ntokens,1767355200,,cus_2,7,2026-01-03\n",
            events: [
                "tokens 2026-01-02T10:00:00Z evt_1 stripe_customer_id=cus_1;value=5",
                "tokens 2026-01-02T12:00:00Z - stripe_customer_id=cus_2;value=7 received 2026-01-03T00:00:00Z",
            ]),
        UsageFileCase(
            name: "quoted cells with embedded commas, doubled quotes and a line break",
            content: header + "tokens,2026-01-02,\"evt,1\",\"cus \"\"a\"\"\nb\",5\ntokens,2026-01-03,evt_2,cus_2,x\"y\n",
            events: ["tokens 2026-01-02T00:00:00Z evt,1 stripe_customer_id=cus \"a\"\nb;value=5"],
            problems: ["4:32: a quote inside an unquoted cell: quote the whole cell and write the quote twice (\"\")"]),
        UsageFileCase(
            name: "CRLF line endings, a BOM and blank lines",
            content: "\u{FEFF}event_name,timestamp,identifier,stripe_customer_id,value\r\n\r\ntokens,2026-01-02,evt_1,cus_1,5\r\n"
                + "tokens,2026-01-03,evt_2,cus_2,\"6\"\r\n",
            events: [
                "tokens 2026-01-02T00:00:00Z evt_1 stripe_customer_id=cus_1;value=5",
                "tokens 2026-01-03T00:00:00Z evt_2 stripe_customer_id=cus_2;value=6",
            ]),
        UsageFileCase(
            name: "CR-only line endings are line breaks",
            content: "event_name,timestamp,identifier,stripe_customer_id,value\rtokens,2026-01-02,evt_1,cus_1,5\rtokens,soon,evt_2,cus_2,6\r",
            events: ["tokens 2026-01-02T00:00:00Z evt_1 stripe_customer_id=cus_1;value=5"],
            problems: ["3:8: timestamp: expected RFC 3339, a date or Unix seconds, found \"soon\""]),
        UsageFileCase(
            name: "a missing and an extra cell",
            content: header + "tokens,2026-01-02,evt_1,cus_1\ntokens,2026-01-02,evt_2,cus_1,5,9\ntokens,2026-01-02,evt_3,cus_1,5\n",
            events: ["tokens 2026-01-02T00:00:00Z evt_3 stripe_customer_id=cus_1;value=5"],
            problems: ["2:30: expected 5 cells as in the header, found 4", "3:33: expected 5 cells as in the header, found 6"]),
        UsageFileCase(
            name: "an unterminated quote is reported where it opens and swallows no row silently",
            content: header + "tokens,2026-01-02,evt_1,cus_1,5\ntokens,2026-01-03,\"evt_2,cus_1,5\ntokens,2026-01-04,evt_3,cus_1,5\n"
                + "tokens,2026-01-05,evt_4,cus_1,5\n",
            events: ["tokens 2026-01-02T00:00:00Z evt_1 stripe_customer_id=cus_1;value=5"],
            problems: [
                "3:19: unterminated quoted cell: the quote opened here is never closed, so the rest of the file is not read (3 lines)"
            ]),
        UsageFileCase(
            name: "text after a closing quote",
            content: header + "tokens,2026-01-02,\"evt\"x,cus_1,5\n",
            problems: ["2:24: unexpected `x` after the closing quote of a quoted cell (a quote inside a quoted cell is written twice: \"\")"]),
        UsageFileCase(
            name: "bad fields: empty event_name, a bad timestamp, a bad received_at",
            content: "event_name,timestamp,identifier,stripe_customer_id,value,received_at\n,2026-01-02,evt_1,cus_1,5,\n"
                + "tokens,yesterday,evt_2,cus_1,5,\ntokens,2026-01-02,evt_3,cus_1,5,later\ntokens,,evt_4,cus_1,5,\n",
            problems: [
                "2:1: event_name is empty", "3:8: timestamp: expected RFC 3339, a date or Unix seconds, found \"yesterday\"",
                "4:33: received_at: expected RFC 3339, a date or Unix seconds, found \"later\"", "5:8: timestamp is empty",
            ]),
        UsageFileCase(
            name: "rows out of arrival order",
            content: header + "tokens,2026-01-05,evt_1,cus_1,5\ntokens,2026-01-04,evt_2,cus_1,5\n",
            events: ["tokens 2026-01-05T00:00:00Z evt_1 stripe_customer_id=cus_1;value=5"],
            problems: [
                "3:8: rows must be in arrival order (received_at, else timestamp): this row arrives at 2026-01-04T00:00:00Z, "
                    + "before the row of line 2 (2026-01-05T00:00:00Z)"
            ]),
        UsageFileCase(
            name: "a duplicated column",
            content: "event_name,timestamp,value,payload.value\n",
            problems: ["1:28: duplicate column `payload.value`: column 3 already gives payload key `value`"]),
        UsageFileCase(
            name: "a header without timestamp and with an unnamed column",
            content: "event_name,,value\ntokens,,1\n",
            problems: ["1:12: column 2 of the header has no name", "1:1: CSV header lacks the `timestamp` column"]),
        UsageFileCase(name: "an empty file holds no event", content: ""),
        UsageFileCase(name: "a header alone holds no event", content: header),
    ]

    @Test(arguments: cases)
    func reads(_ test: UsageFileCase) {
        let read = readUsage(test.content, format: .csv)
        #expect(read.events.map(summary) == test.events)
        #expect(read.problems == test.problems)
    }

    @Test func invalidUTF8IsReportedAtItsCell() {
        let read = readUsage(Array((Self.header + "tokens,2026-01-02,evt_1,cus_").utf8) + [0xFF] + Array(",5\n".utf8), format: .csv)
        #expect(read.problems == ["2:25: payload key `stripe_customer_id`: the cell is not valid UTF-8"])
    }

    @Test func problemsPastTheLimitAreCounted() {
        let rows = (1...25).map { "tokens,never,evt_\($0),cus_1,5\n" }.joined()
        let read = readUsage(Self.header + rows, format: .csv)
        #expect(read.problems.count == 21)
        #expect(read.problems.first == "2:8: timestamp: expected RFC 3339, a date or Unix seconds, found \"never\"")
        #expect(read.problems.last == "26:1: 5 more problems in this file (25 in all, over 25 rows); the first 20 are shown")
    }

    /// Rows across many 4 MiB chunks, with quoted line breaks and CRLF falling on chunk boundaries.
    @Test func aFileLargerThanTheBufferStreams() {
        var text = Self.header
        let count = 250_000
        for index in 0..<count {
            text +=
                index % 3 == 0
                ? "hypernian_tokens,\(1_767_225_600 + index),evt_\(index),\"cus\r\n\(index % 10)\",\(index % 500)\r\n"
                : "hypernian_tokens,\(1_767_225_600 + index),evt_\(index),cus_\(index % 10),\(index % 500)\n"
        }
        #expect(text.utf8.count > ChunkedFile.defaultCapacity * 2)
        let read = readUsage(text, format: .csv)
        #expect(read.problems == [])
        #expect(read.events.count == count)
        #expect(
            read.events.last.map(summary) == "hypernian_tokens \(Instant(seconds: 1_767_225_600 + Int64(count - 1))) evt_\(count - 1) "
                + "stripe_customer_id=cus\r\n9;value=\((count - 1) % 500)")
        #expect(read.events[3].payload["stripe_customer_id"] == "cus\r\n3")
    }
}

struct JSONLinesUsageFileTests {
    static let cases: [UsageFileCase] = [
        UsageFileCase(
            name: "Stripe-shaped events; escapes; numbers kept as written; Stripe's own fields ignored",
            content: #"{"object": "billing.meter_event", "event_name": "tokens", "timestamp": "2026-01-02T10:00:00Z", "identifier": "e\u00e9\"1", "#
                + #""payload": {"stripe_customer_id": "cus_1", "value": 12.50}, "created": 1767355200, "livemode": false}"# + "\n"
                + #"{"event_name":"tokens","timestamp":1767355200,"received_at":"2026-01-03","payload":{"stripe_customer_id":"cus_\ud83d\ude00"}}"#,
            events: [
                "tokens 2026-01-02T10:00:00Z eé\"1 stripe_customer_id=cus_1;value=12.50",
                "tokens 2026-01-02T12:00:00Z - stripe_customer_id=cus_😀 received 2026-01-03T00:00:00Z",
            ]),
        UsageFileCase(
            name: "CRLF line endings, a BOM and blank lines",
            content: "\u{FEFF}{\"event_name\":\"tokens\",\"timestamp\":1}\r\n\r\n  \r\n{\"event_name\":\"tokens\",\"timestamp\":2}\r\n",
            events: ["tokens 1970-01-01T00:00:01Z - ", "tokens 1970-01-01T00:00:02Z - "]),
        UsageFileCase(
            name: "malformed JSON",
            content: "[1, 2]\n" + #"{"event_name": "x", "timestamp""# + "\n" + #"{"event_name":"x","timestamp":01}"# + "\n"
                + #"{"event_name":"x","timestamp":1} x"# + "\n" + #"{"event_name":"x","timestamp":1,}"# + "\n"
                + #"{"event_name":"x\q","timestamp":1}"# + "\n" + #"{"event_name":"x,"timestamp":1}"# + "\n" + "hello\n",
            problems: [
                "1:1: expected a JSON object, found `[`",
                "2:32: invalid JSON: expected `:` after the key, found the end of the line",
                "3:31: invalid JSON: invalid number",
                "4:34: invalid JSON: unexpected `x` after the object",
                "5:33: invalid JSON: expected a string key, found `}`",
                "6:17: invalid JSON: invalid escape `\\q` in a string",
                "7:19: invalid JSON: expected `,` or `}` after a value, found `t`",
                "8:1: expected a JSON object, found `h`",
            ]),
        UsageFileCase(
            name: "events that are JSON but not meter events",
            content: #"{"event_name":"x"}"# + "\n" + #"{"event_name":"x","timestamp":1,"foo":1}"# + "\n"
                + #"{"event_name":"x","timestamp":1,"payload":{"value":null}}"# + "\n" + #"{"event_name":"x","event_name":"y","timestamp":1}"# + "\n"
                + #"{"event_name":7,"timestamp":1}"# + "\n" + #"{"event_name":"x","timestamp":"noon"}"# + "\n"
                + #"{"event_name":"x","timestamp":1,"payload":{"v":"1","v":"2"}}"# + "\n" + #"{"event_name":"x","timestamp":1,"payload":[]}"#,
            problems: [
                "1:1: an event needs timestamp (expected event_name, timestamp, identifier, payload, received_at)",
                "2:33: unexpected field `foo` (expected event_name, timestamp, identifier, payload, received_at)",
                "3:52: payload.value: expected a string or a number, found null",
                "4:19: duplicate key `event_name`",
                "5:15: event_name: expected a string, found a number",
                "6:31: timestamp: expected RFC 3339, a date or Unix seconds, found \"noon\"",
                "7:52: payload: duplicate key `v`",
                "8:43: payload: expected an object, found an array",
            ]),
        UsageFileCase(
            name: "lines out of arrival order",
            content: #"{"event_name":"x","timestamp":5}"# + "\n" + #"{"event_name":"x","timestamp":9,"received_at":4}"# + "\n",
            events: ["x 1970-01-01T00:00:05Z - "],
            problems: [
                "2:1: lines must be in arrival order (received_at, else timestamp): this event arrives at 1970-01-01T00:00:04Z, "
                    + "before the event of line 1 (1970-01-01T00:00:05Z)"
            ]),
        UsageFileCase(name: "an empty file holds no event", content: ""),
    ]

    @Test(arguments: cases)
    func reads(_ test: UsageFileCase) {
        let read = readUsage(test.content, format: .jsonl)
        #expect(read.events.map(summary) == test.events)
        #expect(read.problems == test.problems)
    }

    @Test func aFileLargerThanTheBufferStreams() {
        var text = ""
        let count = 60_000
        for index in 0..<count {
            text +=
                #"{"event_name":"hypernian_tokens","timestamp":\#(1_767_225_600 + index),"identifier":"evt_\#(index)","#
                + #""payload":{"stripe_customer_id":"cus_\#(index % 10)","value":"\#(index % 500)"}}"# + (index % 2 == 0 ? "\r\n" : "\n")
        }
        #expect(text.utf8.count > ChunkedFile.defaultCapacity)
        let read = readUsage(text, format: .jsonl)
        #expect(read.problems == [])
        #expect(read.events.count == count)
        #expect(read.events.last?.identifier == "evt_\(count - 1)")
    }
}
