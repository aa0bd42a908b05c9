import BillingCore
import Foundation
import FoundationXML
import Testing

@testable import BillingReports

struct ReportPageTests {
    /// Bar heights are exact: 5 of 10 on a 160-high scale is 80; 1 of 3 is 53 (160 / 3 = 53.3, down);
    /// a tiny non-zero value stays visible (1); zero and a zero scale are 0.
    @Test func barHeightsAreExactProportions() {
        #expect(BarChart.height(of: ExactDecimal(5), largest: ExactDecimal(10), full: 160) == 80)
        #expect(BarChart.height(of: ExactDecimal(10), largest: ExactDecimal(10), full: 160) == 160)
        #expect(BarChart.height(of: ExactDecimal(1), largest: ExactDecimal(3), full: 160) == 53)
        #expect(BarChart.height(of: ExactDecimal(parsing: "0.0001")!, largest: ExactDecimal(1_000_000), full: 160) == 1)
        #expect(BarChart.height(of: .zero, largest: ExactDecimal(10), full: 160) == 0)
        #expect(BarChart.height(of: ExactDecimal(3), largest: .zero, full: 160) == 0)
    }

    /// One model, two renderings with the same cells; markup in the text is shown, not obeyed.
    @Test func htmlAndMarkdownRenderTheSameSection() throws {
        let section = ReportSection(
            title: "a <b>&", subtitle: "x|y", badge: ReportBadge("FAIL", tone: .bad),
            blocks: [
                .table(
                    ReportTable(
                        columns: [.init("Field"), .init("Amount", numeric: true)],
                        rows: [.init(["lines[0]", "USD 1.50"]), .init(["total", "USD 2.00"], emphasised: true)])),
                .barChart(BarChart(title: "usage", unit: "units", bars: [.init(label: "2026-01-01", value: ExactDecimal(3), display: "3")])),
                .preformatted("```\nline"),
            ])
        let html = HTMLPage.page(title: "t", head: [], sections: [HTMLPage.render(section)])
        #expect(XMLParser(data: Data(html.utf8)).parse())
        #expect(html.contains("<span class=\"badge bad\">FAIL</span> a &lt;b&gt;&amp;</h2>"))
        #expect(html.contains("<tr class=\"total\"><td>total</td><td class=\"num\">USD 2.00</td></tr>"))
        #expect(html.contains("<rect x=\"20\" y=\"24\" width=\"48\" height=\"160\" class=\"bar\"/>"))
        let markdown = MarkdownPage.render(section)
        #expect(
            markdown.hasPrefix(
                "## FAIL · a \\<b\\>&\n\n` x|y `\n\n| Field | Amount |\n| --- | ---: |\n| lines\\[0\\] | USD 1.50 |\n| **total** | **USD 2.00** |\n"))
        #expect(markdown.contains("| 2026-01-01 | 3 |"))
        #expect(markdown.contains("````\n```\nline\n````"))
    }
}
