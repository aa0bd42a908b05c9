import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario

/// The libFuzzer targets (README "Fuzzing"): each takes any bytes and must return, never crash,
/// hang or leak. A broken invariant is a `fatalError` naming it (``require(_:_:)``), which
/// libFuzzer records as a crash. `Fuzz/Entry.swift` calls these from `LLVMFuzzerTestOneInput`; `FuzzCorpusTests`
/// replays every file of `Tests/FuzzCorpus/<target>/` through the same functions.
public enum FuzzTarget: String, CaseIterable, Sendable {
    /// Bytes as a scenario file: a validated scenario or diagnostics.
    case scenario
    /// Bytes as a CSV usage file, read through tiny buffers and short reads.
    case csv
    /// Bytes as a JSON Lines usage file, likewise.
    case jsonl
    /// Bytes as a meter event value, against an independent reading.
    case value
    /// Bytes steering a small generated scenario, run to the end on the memory store.
    case e2e

    /// Runs the target on one input (the corpus tests).
    public func run(_ bytes: [UInt8]) async {
        if self == .e2e { await Self.endToEnd(bytes) } else { runSynchronous(bytes) }
    }

    /// Runs the target on one input on the calling thread (libFuzzer's): an end-to-end scenario runs
    /// its tasks' jobs right here (``CallingThreadExecutor``), with no thread hop per input.
    public func runBlocking(_ bytes: [UInt8]) {
        guard self == .e2e else { return runSynchronous(bytes) }
        CallingThreadExecutor().run { await Self.endToEnd(bytes) }
    }

    func runSynchronous(_ bytes: [UInt8]) {
        switch self {
        case .scenario: Self.scenario(bytes)
        case .csv: Self.usageFile(bytes, format: .csv)
        case .jsonl: Self.usageFile(bytes, format: .jsonl)
        case .value: Self.value(bytes)
        case .e2e: fatalError("e2e runs asynchronously")
        }
    }

    /// Loads the bytes as a scenario: a problem must come as diagnostics with a location in the file.
    static func scenario(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        if case .failure(let error) = ScenarioLoader.load(yaml: text, path: "fuzz.yaml") {
            require(!error.diagnostics.isEmpty, "a rejected scenario without a diagnostic")
            for diagnostic in error.diagnostics { _ = diagnostic.description }
        }
    }

    /// Reads the bytes (after the first two, which choose the buffer size and the read size) as a
    /// usage file twice: through one buffer that holds it all, and through a tiny buffer filled a few bytes at a
    /// time. Both must give the same events and the same problems, unless a row is longer than the
    /// tiny buffer (then that is a problem of its own, which ends the reading).
    static func usageFile(_ bytes: [UInt8], format: UsageFileFormat) {
        guard bytes.count >= 2 else { return }
        let capacity = 1 + Int(bytes[0]) * 4
        let readSize = 1 + Int(bytes[1] % 16)
        let file = Array(bytes.dropFirst(2))
        let whole = readAll(file, format: format, capacity: file.count + 1, readSize: .max)
        let chunked = readAll(file, format: format, capacity: capacity, readSize: readSize)
        // A row or quoted cell longer than the tiny buffer stops the reading (and says so).
        if chunked.stoppedAtLongRow { return }
        require(whole.events == chunked.events, "chunk boundaries change the events read")
        let differing = zip(whole.problems, chunked.problems).first { $0 != $1 }
        require(
            whole.problems == chunked.problems,
            "chunk boundaries change the problems (\(whole.problems.count) vs \(chunked.problems.count)): \(differing.map { "\($0)\nvs\n\($1)" } ?? "")"
        )
    }

    static func readAll(
        _ bytes: [UInt8], format: UsageFileFormat, capacity: Int, readSize: Int
    ) -> (events: [MeterEvent], problems: [String], stoppedAtLongRow: Bool) {
        var source: UsageFileSource
        switch UsageFileSource.open(bytes: bytes, path: "fuzz.\(format)", format: format, capacity: capacity, readSize: readSize) {
        case .success(let opened): source = opened
        case .failure(let error):  // a CSV header's problems, all shown ("a row longer than 9 bytes", "runs on for more than 9 bytes")
            return ([], error.diagnostics.map(\.description), error.diagnostics.contains { $0.message.contains("than \(capacity) bytes") })
        }
        var events: [MeterEvent] = []
        do {
            while let event = try source.nextEvent() { events.append(event) }
        } catch {
            require(!error.diagnostics.isEmpty, "a failed usage file without a diagnostic")
            return (events, error.diagnostics.map(\.description), source.stoppedAtLongRow)
        }
        return (events, [], source.stoppedAtLongRow)
    }

    /// Parses the bytes as a meter event value and checks the result against a plain reading of the
    /// same text (sign, digits, point, digits; at most 24 integer and 12 fractional digits, not
    /// counting leading and trailing zeros), then that the value's text parses back to it.
    static func value(_ bytes: [UInt8]) {
        let text = String(decoding: bytes, as: UTF8.self)
        let parsed = Decimal12.parse(text)
        var body = Substring(text)
        let negative = body.first == "-"
        if body.first == "-" || body.first == "+" { body = body.dropFirst() }
        let parts = body.split(separator: ".", maxSplits: 1, omittingEmptySubsequences: false)
        let isDigits = { (part: Substring) in part.utf8.allSatisfy { $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") } }
        let whole = parts.first ?? ""
        let fraction = parts.count == 2 ? parts[1] : ""
        guard parts.allSatisfy(isDigits), whole.count + fraction.count > 0 else {
            require(parsed == .failure(.invalid), "`\(text)` is not a number, but parses as \(parsed)")
            return
        }
        let wholeDigits = whole.drop { $0 == "0" }.count
        let fractionDigits = fraction.count - fraction.reversed().prefix { $0 == "0" }.count
        guard wholeDigits <= 24, fractionDigits <= 12 else {
            require(parsed == .failure(.tooManyDigits), "`\(text)` has too many digits, but parses as \(parsed)")
            return
        }
        guard case .success(let value) = parsed else { fatalError("`\(text)` is a number, but parses as \(parsed)") }
        let exact = "\(negative ? "-" : "")\(whole.isEmpty ? "0" : whole)\(fraction.isEmpty ? "" : "." + fraction)"
        if let expected = ExactDecimal(exactText: exact) {
            require(value.exact == expected, "`\(text)` parses as \(value), not \(expected)")
        }
        require(Decimal12.parse(value.description) == .success(value), "`\(value)` does not parse back to itself")
    }

    /// Runs the scenario the bytes describe (``FuzzScenario``) on the memory store and checks every
    /// invoice: the total is the sum of the lines, each line is its exact amount rounded once, and
    /// nothing due, paid or remaining is negative. A scenario the loader accepts must run.
    static func endToEnd(_ bytes: [UInt8]) async {
        let yaml = FuzzScenario(bytes).yaml
        guard case .success(let scenario) = ScenarioLoader.load(yaml: yaml, path: "fuzz.yaml") else { return }
        let outcome: SimulationOutcome
        do {
            outcome = try await ScenarioRunner(makeStore: { InMemoryBillingStore() }).simulate(scenario)
        } catch {
            fatalError("a scenario that loads fails to run: \(error)\n\(yaml)")
        }
        for invoice in outcome.invoices {
            var sum: Int64 = 0
            for line in invoice.lines {
                require(line.exactAmount.roundedToMinorUnits() == line.amount, "line \(line.id) is not its exact amount rounded\n\(yaml)")
                sum += line.amount
            }
            require(invoice.total == sum, "invoice \(invoice.id): total \(invoice.total) is not the sum of its lines \(sum)\n\(yaml)")
            require(
                invoice.amountDue >= 0 && invoice.amountPaid >= 0 && invoice.amountRemaining >= 0, "invoice \(invoice.id): a negative amount\n\(yaml)"
            )
            require(invoice.amountPaid + invoice.amountRemaining == invoice.amountDue, "invoice \(invoice.id): paid + remaining ≠ due\n\(yaml)")
        }
    }
}

/// Stops with `message` unless `condition` holds (a `precondition` drops its message in release builds).
func require(_ condition: Bool, _ message: @autoclosure () -> String) {
    if !condition { fatalError(message()) }
}
