import BillingCore
import BillingDocument
import BillingHarness

/// A run as report sections: one per scenario (verdict, every difference, invoices per customer,
/// usage per period), and the run's counts at the top.
public enum RunPage {
    public static let title = "billsim run"

    /// At most this many customers' invoices are shown per scenario (a generated population can have
    /// thousands); the rest are counted, and `invoices.json` holds them all.
    public static let customerLimit = 50

    /// The run's counts.
    public static func head(_ summary: RunSummary) -> [ReportBlock] {
        [
            .figures([
                ReportFigure("scenarios", "\(summary.total)"),
                ReportFigure("passed", "\(summary.passed)", tone: summary.passed > 0 ? .good : .neutral),
                ReportFigure("failed", "\(summary.failed)", tone: summary.failed > 0 ? .bad : .neutral),
                ReportFigure("invalid", "\(summary.invalid)", tone: summary.invalid > 0 ? .bad : .neutral),
                ReportFigure("errors", "\(summary.errors)", tone: summary.errors > 0 ? .bad : .neutral),
                ReportFigure("nothing checked", "\(summary.unchecked)", tone: summary.unchecked > 0 ? .warning : .neutral),
            ])
        ]
    }

    /// `PASS`, `FAIL`, …, as the text report labels a scenario.
    public static func badge(_ result: ScenarioResult) -> ReportBadge {
        switch result.status {
        case .passed where !result.hasExpectations: ReportBadge("PASS (nothing checked)", tone: .warning)
        case .passed: ReportBadge("PASS", tone: .good)
        case .failed: ReportBadge("FAIL", tone: .bad)
        case .invalid: ReportBadge("INVALID", tone: .bad)
        case .error: ReportBadge("ERROR", tone: .bad)
        }
    }

    public static func section(_ result: ScenarioResult) -> ReportSection {
        var blocks: [ReportBlock] = []
        if let outcome = result.outcome { blocks.append(.text(outcomeSummary(outcome))) }
        if !result.differences.isEmpty {
            blocks.append(.heading(plural(result.differences.count, "difference")))
            blocks.append(
                .table(
                    ReportTable(
                        columns: [.init("Field"), .init("Expected"), .init("Actual"), .init("Expected at")],
                        rows: result.differences.map { .init([$0.path, $0.expected, $0.actual, $0.location?.description ?? ""]) })))
        }
        if !result.diagnostics.isEmpty {
            blocks.append(.heading(plural(result.diagnostics.count, "problem")))
            blocks.append(.preformatted(result.diagnostics.map(\.description).joined(separator: "\n")))
        }
        if let message = result.errorMessage { blocks.append(.preformatted("error: \(message)")) }
        if !result.notes.isEmpty {
            blocks.append(.heading("Not compared"))
            blocks += result.notes.map { .text($0) }
        }
        if let outcome = result.outcome {
            blocks += usageBlocks(outcome)
            blocks += invoiceBlocks(outcome.invoices)
        }
        return ReportSection(title: result.name, subtitle: result.name == result.path ? nil : result.path, badge: badge(result), blocks: blocks)
    }

    /// The usage counts, and each metered price's billed quantity per period as a bar chart.
    static func usageBlocks(_ outcome: SimulationOutcome) -> [ReportBlock] {
        let usage = outcome.usage
        func count(_ label: String, _ value: Int, warn: Bool = false) -> ReportFigure {
            ReportFigure(label, "\(value)", tone: warn && value > 0 ? .warning : .neutral)
        }
        var blocks: [ReportBlock] = [
            .heading("Usage"),
            .figures([
                count("events received", usage.received), count("accepted", usage.accepted), count("rejected", usage.rejectedTotal, warn: true),
                count("late", usage.late, warn: true), count("not received", usage.notReceived, warn: true),
            ]),
        ]
        // Metered lines that are not prorations, summed per price and period, in period order.
        var quantities: [String: [Period: ExactDecimal]] = [:]
        for line in outcome.invoices.flatMap(\.lines) where line.metered && !line.proration {
            quantities[line.price, default: [:]][line.period, default: .zero] =
                quantities[line.price, default: [:]][line.period, default: .zero] + line.quantity
        }
        for (price, periods) in quantities.sorted(by: { $0.key < $1.key }) {
            let bars = periods.sorted { $0.key < $1.key }.map { period, quantity in
                BarChart.Bar(label: day(period.start), value: quantity, display: quantity.description)
            }
            blocks.append(.barChart(BarChart(title: "\(price): billed quantity per period", unit: "units", bars: bars)))
        }
        return blocks
    }

    /// Per customer, in order of first invoice: each invoice's lines, then its total, status, reason and amount due
    /// (amounts before periods: what a phone shows without scrolling sideways).
    static func invoiceBlocks(_ invoices: [Invoice]) -> [ReportBlock] {
        guard !invoices.isEmpty else { return [.heading("Invoices"), .text("No invoices.")] }
        var order: [String] = []
        var byCustomer: [String: [Invoice]] = [:]
        for invoice in invoices {
            if byCustomer[invoice.customer] == nil { order.append(invoice.customer) }
            byCustomer[invoice.customer, default: []].append(invoice)
        }
        var blocks: [ReportBlock] = [.heading("Invoices per customer")]
        for customer in order.prefix(customerLimit) {
            let own = byCustomer[customer] ?? []
            var rows: [ReportTable.Row] = []
            for invoice in own {
                for line in invoice.lines {
                    let period = "\(day(line.period.start)) → \(day(line.period.end))" + (line.proration ? " (proration)" : "")
                    rows.append(.init([invoice.id, line.price, line.quantity.description, invoice.currency.format(line.amount), period]))
                }
                let due = "\(invoice.billingReason.rawValue), due \(invoice.currency.format(invoice.amountDue))"
                rows.append(
                    .init([invoice.id, "total, \(invoice.status.rawValue)", "", invoice.currency.format(invoice.total), due], emphasised: true))
            }
            let totals = own.reduce(into: [Currency: Int64]()) { $0[$1.currency, default: 0] += $1.total }
                .sorted { $0.key < $1.key }.map { $0.key.format($0.value) }.joined(separator: ", ")
            blocks.append(
                .table(
                    ReportTable(
                        caption: "\(customer): \(plural(own.count, "invoice")), total \(totals)",
                        columns: [
                            .init("Invoice"), .init("Price"), .init("Quantity", numeric: true), .init("Amount", numeric: true), .init("Period"),
                        ],
                        rows: rows)))
        }
        if order.count > customerLimit {
            blocks.append(.text("\(order.count - customerLimit) more customers: every invoice is in invoices.json."))
        }
        return blocks
    }

    /// `2026-01-01` for midnight, else the full RFC 3339 time.
    static func day(_ instant: Instant) -> String {
        let text = instant.description
        return text.hasSuffix("T00:00:00Z") ? String(text.dropLast("T00:00:00Z".count)) : text
    }
}

/// `report.html`: the run as one self-contained page.
public struct HTMLReport: ReportFormat {
    public init() {}
    public var name: String { "html" }
    public var fileName: String { "report.html" }
    public var about: String {
        "one self-contained page (no scripts, nothing from the network; readable on a phone and printed): the run's counts, then per scenario its verdict with every difference (field, expected, actual, where the expectation is written), what an invoice pasted from Stripe holds that was not compared, its usage with the billed quantity per period as a bar chart, and its invoices per customer (lines, totals, status, amount due)"
    }
    public func render(_ result: ScenarioResult) -> String { HTMLPage.render(RunPage.section(result)) }
    public func assemble(_ parts: [String], summary: RunSummary) -> String {
        HTMLPage.page(title: RunPage.title, head: RunPage.head(summary), sections: parts)
    }
}

/// `summary.md`: the same figures as `report.html`, in Markdown.
public struct MarkdownReport: ReportFormat {
    public init() {}
    public var name: String { "markdown" }
    public var fileName: String { "summary.md" }
    public var about: String {
        "the same figures as report.html in Markdown (GitHub tables; charts as tables), for a pull request or a CI job summary"
    }
    public func render(_ result: ScenarioResult) -> String { MarkdownPage.render(RunPage.section(result)) }
    public func assemble(_ parts: [String], summary: RunSummary) -> String {
        MarkdownPage.page(title: RunPage.title, head: RunPage.head(summary), sections: parts)
    }
}

/// `invoices.json`: every scenario's invoices as Stripe's invoice objects (``StripeInvoice``), each list
/// what `billsim invoices --format stripe` prints.
public struct InvoicesReport: ReportFormat {
    public init() {}
    public var name: String { "invoices" }
    public var fileName: String { "invoices.json" }
    public var about: String {
        "every scenario's generated invoices: `{\"scenarios\": [{\"path\", \"name\", \"invoices\"}]}`, each `invoices` an array of invoice objects in the shape of Stripe's API (version 2025-03-31.basil and later: Unix timestamps, `lines` a list object, each line's `pricing` and `parent`), what `billsim invoices --format stripe SCENARIO` prints; `expect.invoices` takes one as it is (README, \"Pasting an invoice from Stripe\")"
    }
    public func render(_ result: ScenarioResult) -> String {
        let invoices = result.outcome.map { DocumentValue.list($0.invoices.map { StripeInvoice.object($0, catalog: result.catalog) }) } ?? .null
        return DocumentValue.object([("path", .string(result.path)), ("name", .string(result.name)), ("invoices", invoices)])
            .unixTimestamps.json(pretty: true, indent: JSONReport.partIndent)
    }
    public func assemble(_ parts: [String], summary: RunSummary) -> String {
        "{\n  \"scenarios\": \(JSONReport.list(parts))\n}\n"
    }
}
