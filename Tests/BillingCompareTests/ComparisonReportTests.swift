import BillingCompare
import BillingCore
import BillingHarness
import BillingScenario
import Foundation
import FoundationXML
import Testing

private let whatif = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    .appendingPathComponent("Scenarios/whatif")
private let memory = CompareRunner(runner: ScenarioRunner(makeStore: { InMemoryBillingStore() }))

/// `report.html` and `summary.md` of a comparison.
struct ComparisonReportTests {
    /// The body cells of every Markdown table, unescaped (`cheaper\_overage` → `cheaper_overage`, `**x**` → `x`).
    static func cells(ofMarkdown markdown: String) -> [String] {
        var cells: [String] = []
        var header = false
        for line in markdown.split(separator: "\n", omittingEmptySubsequences: false) {
            guard line.hasPrefix("| ") else {
                header = true  // the next table row is a header
                continue
            }
            if header {
                header = false
                continue
            }
            if line.hasPrefix("| ---") || line.hasPrefix("| ---:") { continue }
            for cell in line.dropFirst(2).dropLast(2).components(separatedBy: " | ") {
                var text = cell.replacingOccurrences(of: "**", with: "")
                text = text.replacing(/\\(.)/) { String($0.output.1) }
                if !text.isEmpty { cells.append(text) }
            }
        }
        return cells.filter { !$0.hasPrefix("---") }
    }

    /// Text as the XHTML page writes it.
    static func xml(_ text: String) -> String {
        text.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;").replacingOccurrences(of: ">", with: "&gt;")
    }

    /// Every bundled comparison: the page parses as XML (well-formed XHTML), holds no script and nothing from
    /// the network, carries every figure of the Markdown summary, and is the same bytes on a second run.
    @Test func theHTMLParsesAndCarriesEverySummaryFigure() async throws {
        let files = ScenarioRunner.discover([whatif.path])
        #expect(files.count >= 5)
        for file in files {
            let comparison = try await memory.compare(try ScenarioLoader.load(path: file).get())
            let html = comparison.html
            let parser = XMLParser(data: Data(html.utf8))
            #expect(parser.parse(), "\(file): \(String(describing: parser.parserError))")
            #expect(!html.contains("<script") && !html.contains("https://") && !html.contains("src=") && !html.contains("url("))
            let markdown = comparison.markdown
            let cells = Self.cells(ofMarkdown: markdown)
            #expect(cells.count > 20, "\(file)")
            for cell in cells { #expect(html.contains(Self.xml(cell)), "\(file): \(cell)") }
            #expect(html.contains("<polyline") && html.contains("<rect"))
            let again = try await memory.compare(try ScenarioLoader.load(path: file).get())
            #expect(again.html == html && again.markdown == markdown)
        }
    }

    /// The cheaper-overage deltas -23000, -8000 and 0 (see the scenario): the span 23000 takes bins of 2000
    /// (1000 × 12 < 23000 ≤ 2000 × 12), [-24000, -22000) up to [-2000, 0) (12 bins), then the bin of exactly 0.
    @Test func theHistogramOfCheaperOverage() async throws {
        let comparison = try await memory.compare(try ScenarioLoader.load(path: whatif.appendingPathComponent("cheaper-overage.yaml").path).get())
        let rows = [
            "| -240.00 | -220.00 | 1 |", "| -220.00 | -200.00 | 0 |", "| -200.00 | -180.00 | 0 |", "| -180.00 | -160.00 | 0 |",
            "| -160.00 | -140.00 | 0 |", "| -140.00 | -120.00 | 0 |", "| -120.00 | -100.00 | 0 |", "| -100.00 | -80.00 | 0 |",
            "| -80.00 | -60.00 | 1 |", "| -60.00 | -40.00 | 0 |", "| -40.00 | -20.00 | 0 |", "| -20.00 | 0.00 | 0 |", "| 0.00 | 0.00 | 1 |",
        ]
        let table = "**Customers by the change in what they pay (USD)**\n\n| From | To | customers |\n| ---: | ---: | ---: |\n"
        #expect(comparison.markdown.contains(table + rows.joined(separator: "\n") + "\n\n"))
        // Revenue over time, per plan: January 30000 each, February 82000 and 51000 (the scenario's comment).
        #expect(comparison.markdown.contains("| 2026-01 | USD 300.00 | USD 300.00 |\n| 2026-02 | USD 820.00 | USD 510.00 |"))
        #expect(comparison.html.contains("<title>cheaper_overage 2026-02: USD 510.00</title>"))
        #expect(comparison.html.contains("class=\"bar good\"") && comparison.html.contains("class=\"bar neutral\""))
    }

    /// Deltas all above 0 (solo +900, small +4500, large +10800; the scenario's comment): span 9900 → bins of
    /// 1000 (500 × 12 < 9900 ≤ 1000 × 12) from (0, 1000] to (10000, 11000], 11 bins, no bin of 0.
    @Test func theHistogramOfASeatPriceRise() async throws {
        let comparison = try await memory.compare(try ScenarioLoader.load(path: whatif.appendingPathComponent("seat-price-rise.yaml").path).get())
        let counts = [1, 0, 0, 0, 1, 0, 0, 0, 0, 0, 1]
        let rows = counts.enumerated().map { index, count in
            "| \(index * 10).00 | \((index + 1) * 10).00 | \(count) |"
        }
        let table = "**Customers by the change in what they pay (USD)**\n\n| From | To | customers |\n| ---: | ---: | ---: |\n"
        #expect(comparison.markdown.contains(table + rows.joined(separator: "\n") + "\n\n"))
        #expect(!comparison.html.contains("class=\"bar good\"") && comparison.html.contains("class=\"bar warning\""))
    }
}
