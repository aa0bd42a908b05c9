import BillingCore
import BillingDocument
import Yams

/// Collects the diagnostics of one file while its YAML tree is read.
///
/// Readers never throw: a bad value is reported here and read as `nil`, so the loader keeps going
/// and reports every problem of the file at once.
final class DiagnosticSink {
    let file: String
    private let lines: [Substring]
    private var collected: [Diagnostic] = []

    init(file: String, text: String) {
        self.file = file
        lines = text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.hasSuffix("\r") ? $0.dropLast() : $0 }
    }

    /// The text of a 1-based line, if the file has it.
    func sourceLine(_ line: Int) -> String? {
        lines.indices.contains(line - 1) ? String(lines[line - 1]) : nil
    }

    func location(_ mark: Mark?) -> SourceLocation {
        SourceLocation(file: file, line: mark?.line ?? 1, column: mark?.column ?? 1)
    }

    func report(_ message: String, at location: SourceLocation) {
        collected.append(Diagnostic(location: location, message: message, sourceLine: sourceLine(location.line)))
    }

    /// `path: message`, or the message alone at the top level.
    func report(_ path: String, _ message: String, at location: SourceLocation) {
        report(path.isEmpty ? message : "\(path): \(message)", at: location)
    }

    var isEmpty: Bool { collected.isEmpty }

    /// Stripe object (``FieldTable/object``) → the fields its section reader looked at, for the
    /// test that every `.billed` field of a table is read.
    private(set) var fieldsRead: [String: Set<String>] = [:]

    func recordRead(_ keys: Set<String>, of object: String) { fieldsRead[object, default: []].formUnion(keys) }

    /// Takes in what reading another file (`expect.file`) found: its diagnostics keep their own file and lines.
    func absorb(_ other: DiagnosticSink) {
        collected += other.collected
        for (object, keys) in other.fieldsRead { recordRead(keys, of: object) }
    }

    /// What `body` read, or `nil` when reading it reported any problem (so that objects with
    /// problems are never built, and references to them are not checked a second time).
    func clean<T>(_ body: () -> T?) -> T? {
        let before = collected.count
        let result = body()
        return collected.count == before ? result : nil
    }

    /// The diagnostics in file order (stable for one location), without repeats (an aliased node
    /// read twice reports its problem once per path, never twice for the same path).
    var diagnostics: [Diagnostic] {
        var seen: Set<Diagnostic> = []
        return collected.enumerated()
            .sorted {
                ($0.element.location.line, $0.element.location.column, $0.offset) < ($1.element.location.line, $1.element.location.column, $1.offset)
            }
            .map(\.element)
            .filter { seen.insert($0).inserted }
    }
}

/// A node of the scenario tree with its path (`prices[1].tiers[0].up_to`): typed reads that report
/// what they expected and what they found.
struct YAMLValue {
    let node: Node
    let path: String
    let sink: DiagnosticSink

    var location: SourceLocation { sink.location(node.mark) }

    func child(_ key: String) -> String { path.isEmpty ? key : "\(path).\(key)" }

    func error(_ message: String) { sink.report(path, message, at: location) }

    /// `null`, `~` or nothing at all, written without quotes.
    var isNull: Bool {
        guard case .scalar(let scalar) = node, scalar.style == .plain else { return false }
        return ["", "~", "null", "Null", "NULL"].contains(scalar.string)
    }

    /// Null, `false`, `[]`, `{}`, one of `defaults`, or a mapping of such values (`custom_unit_amount:
    /// { maximum: null, minimum: null, preset: null }`): a Stripe field at its "off" value.
    func isOff(defaults: [String] = []) -> Bool {
        switch node {
        case .scalar(let scalar): isNull || ["false", "False", "FALSE"].contains(scalar.string) || defaults.contains(scalar.string)
        case .sequence(let sequence): sequence.isEmpty
        case .mapping(let mapping): mapping.allSatisfy { YAMLValue(node: $0.value, path: path, sink: sink).isOff(defaults: defaults) }
        case .alias: false
        }
    }

    /// How the value reads in "found …": the scalar's text in quotes, or its shape.
    var found: String {
        switch node {
        case .scalar(let scalar): isNull ? "null" : "\"\(scalar.string)\""
        case .sequence: "a list"
        case .mapping: "a mapping"
        case .alias: "an alias"
        }
    }

    /// The text of a scalar as written (unquoted numbers and dates stay text), or an error.
    func scalar(expecting what: String) -> String? {
        guard case .scalar(let scalar) = node, !isNull else {
            error("expected \(what), found \(found)")
            return nil
        }
        return scalar.string
    }

    func string() -> String? { scalar(expecting: "a string") }

    /// A string that is not empty (ids, names of things).
    func identifier() -> String? {
        guard let text = scalar(expecting: "an id") else { return nil }
        guard !text.isEmpty else {
            error("expected an id, found \"\"")
            return nil
        }
        return text
    }

    /// Parses the scalar's text; on failure reports "expected \(what), found …".
    func parse<T>(_ what: String, _ parser: (String) -> T?) -> T? {
        guard let text = scalar(expecting: what) else { return nil }
        guard let value = parser(text) else {
            error("expected \(what), found \(found)")
            return nil
        }
        return value
    }

    /// A whole number (no separators, no exponent) in `range`.
    func integer(_ range: ClosedRange<Int64> = Int64.min...Int64.max, _ what: String? = nil) -> Int64? {
        let what = what ?? Self.describe(range)
        return parse(what) { text in Int64(text).flatMap { range.contains($0) ? $0 : nil } }
    }

    static func describe(_ range: ClosedRange<Int64>) -> String {
        switch (range.lowerBound, range.upperBound) {
        case (Int64.min, Int64.max): "an integer"
        case (let low, Int64.max): "an integer ≥ \(low)"
        case (let low, let high): "an integer in \(low)...\(high)"
        }
    }

    func int(_ range: ClosedRange<Int64>) -> Int? { integer(range).map { Int($0) } }

    func bool() -> Bool? {
        parse("true or false") { text in
            switch text {
            case "true", "True", "TRUE": true
            case "false", "False", "FALSE": false
            default: nil
            }
        }
    }

    func instant() -> Instant? {
        parse("a timestamp from year 0000 to 9999 (RFC 3339 like 2026-01-15T12:00:00Z, a date like 2026-01-15, or Unix seconds)") {
            Instant(parsing: $0)
        }
    }

    /// A duration like `90s`, `15m`, `1h`, `3d`, `2w` (a bare number is seconds).
    func duration() -> TimeSpan? {
        parse("a duration like 90s, 15m, 1h, 3d or 2w, at most 10,000 years") { TimeSpan(parsing: $0) }
    }

    /// One of the raw values of `E`, as listed in the message.
    func oneOf<E: RawRepresentable & CaseIterable>(_ type: E.Type) -> E? where E.RawValue == String {
        oneOf(E.allCases.map { ($0.rawValue, $0) })
    }

    func oneOf<T>(_ choices: [(String, T)]) -> T? {
        let names = choices.map(\.0)
        let what =
            switch names.count {
            case 1: names[0]
            case 2: "\(names[0]) or \(names[1])"
            default: "one of " + names.joined(separator: ", ")
            }
        return parse(what) { text in choices.first { $0.0 == text }?.1 }
    }

    /// The elements of a list (null reads as an empty list).
    func list() -> [YAMLValue]? {
        if isNull { return [] }
        guard case .sequence(let sequence) = node else {
            error("expected a list, found \(found)")
            return nil
        }
        return sequence.enumerated().map { YAMLValue(node: $1, path: "\(path)[\($0)]", sink: sink) }
    }

    /// Reads a mapping field by field; fields `body` did not read are reported as unknown.
    func mapping<T>(_ body: (Fields) -> T) -> T? {
        guard let fields = fields() else { return nil }
        let result = body(fields)
        fields.finish()
        return result
    }

    /// The mapping's fields, or an error when this is not a mapping. Prefer ``mapping(_:)``.
    func fields() -> Fields? {
        guard case .mapping(let mapping) = node else {
            error("expected a mapping, found \(found)")
            return nil
        }
        return Fields(self, mapping)
    }

    /// The tree as written, for comparison against generated documents (`expect:`).
    func expected() -> Expected {
        switch node {
        case .scalar(let scalar): return .scalar(isNull ? "null" : scalar.string, location)
        case .sequence: return .list((list() ?? []).map { $0.expected() }, location)
        case .mapping(let mapping):
            let entries = Fields.entries(of: mapping, in: self).map { entry in
                ExpectedEntry(key: entry.key, keyLocation: entry.keyLocation, value: entry.value.expected())
            }
            return .map(entries, location)
        case .alias: return .scalar("", location)
        }
    }
}

/// The fields of one mapping. Each read marks its key as known; ``finish()`` reports the rest as
/// unknown fields (a typo is never silently ignored).
final class Fields {
    struct Entry {
        var key: String
        var keyLocation: SourceLocation
        var value: YAMLValue
    }

    let value: YAMLValue
    /// In file order; keys merged in with `<<: *anchor` come after the mapping's own keys.
    let entries: [Entry]
    private var known: Set<String> = []
    /// The keys the reader asked for (present or not), as opposed to those it ignored.
    private var read: Set<String> = []
    private var finished = false
    /// The Stripe object's field table, once ``apply(_:)`` applied it.
    var table: FieldTable?

    init(_ value: YAMLValue, _ mapping: Node.Mapping) {
        self.value = value
        entries = Self.entries(of: mapping, in: value)
    }

    var path: String { value.path }
    var location: SourceLocation { value.location }
    var sink: DiagnosticSink { value.sink }

    /// The entries of a mapping with YAML merge keys (`<<`) expanded; own keys win.
    static func entries(of mapping: Node.Mapping, in parent: YAMLValue) -> [Entry] {
        var own: [Entry] = []
        var merged: [Entry] = []
        for (key, node) in mapping {
            guard case .scalar(let scalar) = key else {
                parent.sink.report(parent.path, "mapping keys must be plain text", at: parent.sink.location(key.mark))
                continue
            }
            if scalar.style == .plain, scalar.string == "<<" {
                let sources: [Node] = if case .sequence(let sequence) = node { Array(sequence) } else { [node] }
                for source in sources {
                    guard case .mapping(let inner) = source else {
                        parent.sink.report(parent.path, "`<<` merges a mapping or a list of mappings", at: parent.sink.location(source.mark))
                        continue
                    }
                    merged += entries(of: inner, in: parent)
                }
                continue
            }
            let child = YAMLValue(node: node, path: parent.child(scalar.string), sink: parent.sink)
            own.append(Entry(key: scalar.string, keyLocation: parent.sink.location(scalar.mark), value: child))
        }
        var result = own
        var keys = Set(own.map(\.key))
        for entry in merged where keys.insert(entry.key).inserted { result.append(entry) }
        return result
    }

    func entry(_ key: String) -> Entry? {
        known.insert(key)
        read.insert(key)
        return entries.first { $0.key == key }
    }

    /// The value of `key`; `nil` when absent or null (Stripe's JSON writes unset fields as null).
    func optional(_ key: String) -> YAMLValue? {
        guard let value = entry(key)?.value, !value.isNull else { return nil }
        return value
    }

    /// The value of `key`, or an error that it is missing.
    func required(_ key: String) -> YAMLValue? {
        guard let entry = entry(key) else {
            sink.report(path, "missing `\(key)`", at: location)
            return nil
        }
        guard !entry.value.isNull else {
            entry.value.error("expected a value, found null")
            return nil
        }
        return entry.value
    }

    /// The value of `key` read by `read`; `fallback` when absent, `nil` when it has a problem.
    func read<T>(_ key: String, default fallback: T, _ read: (YAMLValue) -> T?) -> T? {
        guard let value = optional(key) else { return fallback }
        return read(value)
    }

    /// Whether `key` is written with a non-null value (does not mark it as read).
    func has(_ key: String) -> Bool { entries.contains { $0.key == key && !$0.value.isNull } }

    /// Accepts Stripe fields that do not affect the bill.
    func ignore(_ keys: [String]) { known.formUnion(keys) }

    /// A field billsim does not model yet: accepted only at its "off" value (null, false, empty, or
    /// one of `defaults`). Stripe objects list theirs in StripeFields.swift.
    func unsupported(_ key: String, _ message: String, defaults: [String] = []) {
        guard let entry = entry(key), !entry.value.isOff(defaults: defaults) else { return }
        sink.report(entry.value.path, message, at: entry.keyLocation)
    }

    /// Reports every field nobody read as unknown, with the closest known name as a hint.
    func finish() {
        guard !finished else { return }
        finished = true
        if let table { sink.recordRead(read, of: table.object) }
        for entry in entries where !known.contains(entry.key) {
            var message = "unknown field `\(entry.key)`"
            if let guess = Self.closest(to: entry.key, in: known) { message += " (did you mean `\(guess)`?)" }
            sink.report(path, message, at: entry.keyLocation)
        }
    }

    /// The known name within a small edit distance of `word`, if one is close enough to be a typo.
    static func closest(to word: String, in candidates: Set<String>) -> String? {
        let limit = max(1, word.count / 4)
        return
            candidates
            .map { ($0, editDistance(word, $0)) }
            .filter { $0.1 <= limit }
            .min { ($0.1, $0.0) < ($1.1, $1.0) }?.0
    }

    /// Edits (insert, delete, substitute, swap two neighbours) that turn `a` into `b`.
    static func editDistance(_ a: String, _ b: String) -> Int {
        let a = Array(a)
        let b = Array(b)
        var d = [[Int]](repeating: [Int](repeating: 0, count: b.count + 1), count: a.count + 1)
        for i in 0...a.count { d[i][0] = i }
        for j in 0...b.count { d[0][j] = j }
        for i in stride(from: 1, through: a.count, by: 1) {
            for j in stride(from: 1, through: b.count, by: 1) {
                d[i][j] = min(d[i - 1][j] + 1, d[i][j - 1] + 1, d[i - 1][j - 1] + (a[i - 1] == b[j - 1] ? 0 : 1))
                if i > 1, j > 1, a[i - 1] == b[j - 2], a[i - 2] == b[j - 1] { d[i][j] = min(d[i][j], d[i - 2][j - 2] + 1) }
            }
        }
        return d[a.count][b.count]
    }
}
