import BillingCore
import BillingDocument
import BillingHarness

/// A rendering of a run's results: one part per scenario, then the whole around the parts.
///
/// A part depends on its scenario alone, so a scenario's part can be rendered (and the text one
/// printed) as soon as it finishes, even in another process (`billsim run` runs each scenario in a
/// child process), and the report assembled from the parts and the summary.
public protocol ReportFormat: Sendable {
    /// The name `--format` uses.
    var name: String { get }
    /// The file a run writes this report to, in its folder under `Reports/`.
    var fileName: String { get }
    /// What the file holds, for the reports folder's README.
    var about: String { get }
    /// One scenario's part of the report.
    func render(_ result: ScenarioResult) -> String
    /// The report: the scenarios' parts in order, with the summary.
    func assemble(_ parts: [String], summary: RunSummary) -> String
}

extension ReportFormat {
    /// The whole report of a run.
    public func render(_ run: RunResult) -> String { assemble(run.results.map { render($0) }, summary: run.summary) }
}

/// Report formats by name. Adding one is one type and one line here.
public enum ReportRegistry {
    public static let formats: [String: any ReportFormat] = [
        "text": TextReport(),
        "json": JSONReport(),
        "junit": JUnitReport(),
        "html": HTMLReport(),
        "markdown": MarkdownReport(),
        "invoices": InvoicesReport(),
    ]

    public static var names: [String] { formats.keys.sorted() }
}

/// `1 invoice`, `3 invoices`.
func plural(_ count: Int, _ noun: String) -> String { "\(count) \(noun)\(count == 1 ? "" : "s")" }

/// The usage summary of a scenario: received, accepted, rejected by code, late, not received.
func usageSummary(_ usage: UsageReport) -> String {
    var parts = [plural(usage.received, "event") + " received", "\(usage.accepted) accepted"]
    if usage.rejectedTotal > 0 {
        let codes = usage.rejected.sorted { $0.key < $1.key }.map { "\($0.key.rawValue) \($0.value)" }.joined(separator: ", ")
        parts.append("\(usage.rejectedTotal) rejected (\(codes))")
    }
    if usage.late > 0 { parts.append("\(usage.late) late (accepted after their invoice was finalized; billed nowhere)") }
    if usage.notReceived > 0 { parts.append("\(usage.notReceived) not received before clock.until") }
    return parts.joined(separator: ", ")
}

/// `3 invoices, total USD 380.00; 1 event received, 1 accepted`: what a scenario's run produced.
func outcomeSummary(_ outcome: SimulationOutcome) -> String {
    // Int128: the totals of many invoices near Int64.max each still add up exactly.
    let total = outcome.invoices.reduce(into: [Currency: Int128]()) { $0[$1.currency, default: 0] += Int128($1.total) }
    let totals = total.sorted { $0.key < $1.key }.map { $0.key.describe($0.value) }.joined(separator: ", ")
    return "\(plural(outcome.invoices.count, "invoice"))\(totals.isEmpty ? "" : ", total \(totals)"); \(usageSummary(outcome.usage))"
}

/// The status history of each subscription whose status changed after it was created (the first
/// ten; then how many more), one line each: `sub_a: active 2026-01-01T00:00:00Z → canceled 2026-01-21T00:00:00Z`.
func statusHistories(_ subscriptions: [SubscriptionSnapshot]) -> String {
    let changed = subscriptions.filter { $0.history.count > 1 }
    var out = ""
    for subscription in changed.prefix(10) {
        let steps = subscription.history.map { "\($0.status) \($0.at)" }.joined(separator: " → ")
        out += "        \(subscription.id): \(steps)\n"
    }
    if changed.count > 10 { out += "        … and \(changed.count - 10) more subscriptions whose status changed\n" }
    return out
}

/// What a person reads in a terminal: PASS/FAIL per scenario, each difference with its place.
public struct TextReport: ReportFormat {
    public init() {}
    public var name: String { "text" }
    public var fileName: String { "output.txt" }
    public var about: String {
        "what the terminal showed: PASS/FAIL per scenario with each difference and where it is expected, a note listing once what an invoice pasted from Stripe holds that was not compared (fields billsim does not model, ids Stripe generated), then the summary line"
    }

    public func render(_ result: ScenarioResult) -> String {
        let label =
            switch result.status {
            case .passed: "PASS   "
            case .failed: "FAIL   "
            case .invalid: "INVALID"
            case .error: "ERROR  "
            }
        // What the scenario controls goes through TerminalText: a name cannot print a fake line.
        let path = TerminalText.escaped(result.path, limit: nil)
        var out = "\(label) \(path)"
        if result.name != result.path { out += "  (\(TerminalText.escaped(result.name)))" }
        if result.status == .passed && !result.hasExpectations { out += "  [no expectations: nothing was checked]" }
        out += "\n"
        if let outcome = result.outcome {
            out += "        \(outcomeSummary(outcome))\n"
            out += statusHistories(outcome.subscriptions)
        }
        for note in result.notes { out += "        note: \(TerminalText.escaped(note, limit: nil))\n" }
        if let outcome = result.outcome {
            for (code, samples) in outcome.usage.samples.sorted(by: { $0.key < $1.key }) where result.status != .passed {
                for sample in samples.prefix(2) {
                    let identifier = TerminalText.escaped(sample.event.identifier ?? "none")
                    out +=
                        "        rejected \(code.rawValue): \(TerminalText.escaped(sample.message)) (identifier \(identifier), timestamp \(sample.event.timestamp))\n"
                }
            }
        }
        for difference in result.differences {
            out += "        \(difference)\n"
            if let location = difference.location { out += "          expected at \(TerminalText.escaped(location.description, limit: nil))\n" }
        }
        for diagnostic in result.diagnostics {
            out +=
                diagnostic.description.split(separator: "\n", omittingEmptySubsequences: false).map { "        \($0)" }.joined(separator: "\n") + "\n"
        }
        if let message = result.errorMessage { out += "        error: \(TerminalText.escaped(message, limit: 500))\n" }
        return out
    }

    public func assemble(_ parts: [String], summary: RunSummary) -> String {
        parts.joined() + Self.summaryLine(summary) + "\n"
    }

    /// `3 passed, 1 failed, 0 invalid, 0 errors`.
    static func summaryLine(_ summary: RunSummary) -> String {
        "\(summary.passed) passed, \(summary.failed) failed, \(summary.invalid) invalid, \(summary.errors) errors"
    }
}

/// Machine-readable results: one object per scenario with its invoices, usage and differences.
public struct JSONReport: ReportFormat {
    public init() {}
    public var name: String { "json" }
    public var fileName: String { "results.json" }
    public var about: String {
        "the run as JSON: per scenario its status, differences, diagnostics, `notes` (what was not compared, when an expectation was pasted from Stripe), usage summary (received, accepted, rejected by Stripe code with samples, late, not received), generated invoices and previews"
    }

    public func render(_ result: ScenarioResult) -> String {
        var entries: [(key: String, value: DocumentValue)] = [
            ("path", .string(result.path)),
            ("name", .string(result.name)),
            ("status", .string(result.status.rawValue)),
            ("has_expectations", .bool(result.hasExpectations)),
            (
                "differences",
                .list(
                    result.differences.map { difference in
                        .object([
                            ("path", .string(difference.path)),
                            ("expected", .string(difference.expected)),
                            ("actual", .string(difference.actual)),
                            ("location", difference.location.map { .string($0.description) } ?? .null),
                        ])
                    })
            ),
            ("diagnostics", .list(result.diagnostics.map { .string($0.description) })),
            ("error", result.errorMessage.map { .string($0) } ?? .null),
        ]
        if !result.notes.isEmpty { entries.append(("notes", .list(result.notes.map { .string($0) }))) }
        if let outcome = result.outcome {
            entries.append(("usage", usageDocument(outcome.usage)))
            entries.append(("invoices", .list(outcome.invoices.map(InvoiceDocument.document))))
            entries.append(("previews", .object(outcome.previews.sorted { $0.key < $1.key }.map { ($0.key, InvoiceDocument.document($0.value)) })))
            entries.append(
                (
                    "subscriptions",
                    .list(
                        outcome.subscriptions.map { subscription in
                            .object([
                                ("id", .string(subscription.id)),
                                (
                                    "status_history",
                                    .list(subscription.history.map { .object([("at", .timestamp($0.at)), ("status", .string($0.status))]) })
                                ),
                            ])
                        })
                ))
        }
        // Indented as an element of the top object's "scenarios" list.
        return DocumentValue.object(entries).json(pretty: true, indent: Self.partIndent)
    }

    static let partIndent = "    "

    public func assemble(_ parts: [String], summary: RunSummary) -> String {
        let counts: DocumentValue = .object([
            ("passed", .integer(Int64(summary.passed))),
            ("failed", .integer(Int64(summary.failed))),
            ("invalid", .integer(Int64(summary.invalid))),
            ("errors", .integer(Int64(summary.errors))),
        ])
        return "{\n  \"summary\": \(counts.json(pretty: true, indent: "  ")),\n  \"scenarios\": \(Self.list(parts))\n}\n"
    }

    /// What DocumentValue.json(pretty:) writes for a list of the parts as the value of a top-level key.
    static func list(_ parts: [String]) -> String {
        parts.isEmpty ? "[]" : "[\n" + parts.map { partIndent + $0 }.joined(separator: ",\n") + "\n  ]"
    }

    func usageDocument(_ usage: UsageReport) -> DocumentValue {
        .object([
            ("received", .integer(Int64(usage.received))),
            ("accepted", .integer(Int64(usage.accepted))),
            ("rejected", .object(usage.rejected.sorted { $0.key < $1.key }.map { ($0.key.rawValue, .integer(Int64($0.value))) })),
            (
                "rejected_samples",
                .list(
                    usage.samples.sorted { $0.key < $1.key }.flatMap { code, samples in
                        samples.map { sample in
                            .object([
                                ("code", .string(code.rawValue)),
                                ("message", .string(sample.message)),
                                ("event_name", .string(sample.event.eventName)),
                                ("identifier", sample.event.identifier.map { .string($0) } ?? .null),
                                ("timestamp", .timestamp(sample.event.timestamp)),
                                ("payload", .object(sample.event.payload.sorted { $0.key < $1.key }.map { ($0.key, .string($0.value)) })),
                            ])
                        }
                    })
            ),
            ("late", .integer(Int64(usage.late))),
            (
                "late_samples",
                .list(
                    usage.lateSamples.map { event in
                        .object([
                            ("identifier", .string(event.identifier)), ("meter", .string(event.meter)), ("customer", .string(event.customer)),
                            ("timestamp", .timestamp(event.timestamp)), ("value", .decimal(event.value.exact, asString: true)),
                        ])
                    })
            ),
            ("not_received", .integer(Int64(usage.notReceived))),
        ])
    }
}
