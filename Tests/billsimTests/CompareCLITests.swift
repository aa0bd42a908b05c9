import Foundation
import FoundationXML
import Testing

/// `billsim compare` and `billsim export`, end to end.
struct CompareCLITests {
    static let file = "Scenarios/whatif/cheaper-overage.yaml"

    @Test func compareExitsZeroAndIsByteIdentical() throws {
        let first = try CLI.run(["compare", Self.file, "--no-reports"])
        let second = try CLI.run(["compare", Self.file, "--no-reports"])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.contains("cheaper_overage         6    81000 (USD 810.00)  -31000 (USD -310.00)  -27.68%"))
        #expect(first.stdout.hasSuffix("PASS  every expectation holds\n"))
        let json = try CLI.run(["compare", Self.file, "--format", "json", "--variant", "cheaper_overage", "--no-reports"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["base"] as? [String: Any])?["total"] as? Int == 112_000)
    }

    @Test func aDifferenceExitsOneAndABadFileTwo() throws {
        let folder = try CLI.temporaryFolder()
        let text = try String(contentsOf: CLI.root.appendingPathComponent(Self.file), encoding: .utf8)
        let wrong = folder.appendingPathComponent("wrong.yaml")
        try text.replacingOccurrences(of: "      total: 81000", with: "      total: 81001").write(to: wrong, atomically: true, encoding: .utf8)
        let failed = try CLI.run(["compare", wrong.path, "--no-reports"])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("variants.cheaper_overage.total: expected 81001 (USD 810.01), got 81000 (USD 810.00)"))
        let invalid = folder.appendingPathComponent("invalid.yaml")
        try text.replacingOccurrences(
            of: "  - name: cheaper_overage\n", with: "  - name: cheaper_overage\n    replace_prices: { price_nope: price_tokens }\n"
        )
        .write(to: invalid, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["compare", invalid.path, "--no-reports"])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid.yaml:58:"), "\(bad.stderr)")
        #expect(bad.stderr.contains("no price `price_nope`"))
        let unknown = try CLI.run(["compare", Self.file, "--variant", "nope", "--no-reports"])
        #expect(unknown.status == 64 && unknown.stderr.contains("no variant nope"))
    }

    /// `compare` writes `NAME--compare/` with the page, the summary and the JSON (the same bytes each time),
    /// and the README saying what they are; `--no-reports` writes nothing.
    @Test func compareWritesItsReportFolder() throws {
        let reports = try CLI.temporaryFolder().appendingPathComponent("reports")
        let first = try CLI.run(["compare", Self.file, "--reports", reports.path])
        #expect(first.status == 0, "\(first.stderr)")
        let folder = reports.appendingPathComponent("Scenarios-whatif-cheaper-overage--compare")
        let names = try FileManager.default.contentsOfDirectory(atPath: folder.path).sorted()
        #expect(names == ["comparison.json", "invoices.json", "junit.xml", "report.html", "summary.md"])
        // junit.xml: a real XML parser reads it, one testcase per plan (the base and its one variant).
        let junit = try Data(contentsOf: folder.appendingPathComponent("junit.xml"))
        let cases = TestcaseCounter()
        let parser = XMLParser(data: junit)
        parser.delegate = cases
        #expect(parser.parse())
        #expect(cases.names == ["base", "cheaper_overage"])
        // invoices.json: each plan's invoices, whose totals sum to the plan's total in comparison.json.
        let invoices = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("invoices.json"))) as? [String: Any]
        let plans = try #require(invoices?["plans"] as? [[String: Any]])
        let comparison = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("comparison.json"))) as? [String: Any]
        #expect(plans.map { $0["name"] as? String } == ["base", "cheaper_overage"])
        // Each plan's invoices in Stripe's shape (Unix timestamps, `lines` a list object).
        let objects = plans.flatMap { ($0["invoices"] as? [[String: Any]]) ?? [] }
        #expect(
            !objects.isEmpty && objects.allSatisfy { $0["object"] as? String == "invoice" && $0["created"] is Int && $0["lines"] is [String: Any] })
        let totals = plans.map { plan in ((plan["invoices"] as? [[String: Any]]) ?? []).reduce(0) { $0 + (($1["total"] as? Int) ?? 0) } }
        let base = comparison?["base"] as? [String: Any]
        let variants = comparison?["variants"] as? [[String: Any]]
        #expect(totals == [base?["total"] as? Int, variants?.first?["total"] as? Int].compactMap { $0 })
        let html = try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8)
        #expect(html.contains("<svg"))
        #expect(!html.contains("<script") && !html.contains("https://") && !html.contains("src="))
        let readme = try String(contentsOf: reports.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme.contains("`comparison.json`"))
        let again = try CLI.run(["compare", Self.file, "--reports", reports.path])
        #expect(again.status == 0)
        #expect(try String(contentsOf: folder.appendingPathComponent("report.html"), encoding: .utf8) == html)
        let chosen = try CLI.run(["compare", Self.file, "--variant", "cheaper_overage", "--reports", reports.path])
        #expect(chosen.status == 0)
        #expect(
            FileManager.default.fileExists(
                atPath: reports.appendingPathComponent("Scenarios-whatif-cheaper-overage--compare--variant-cheaper_overage").path))
        let none = try CLI.temporaryFolder().appendingPathComponent("none")
        #expect(try CLI.run(["compare", Self.file, "--no-reports", "--reports", none.path]).status == 0)
        #expect(!FileManager.default.fileExists(atPath: none.path))
    }

    @Test func exportPrintsTheGeneratedInputs() throws {
        let usage = try CLI.run(["export", "usage", "Scenarios/whatif/generated-population.yaml"])
        #expect(usage.status == 0)
        #expect(usage.stdout.hasPrefix("event_name,timestamp,identifier,customer,value\ntokens,"))
        let subscriptions = try CLI.run(["export", "subscriptions", "Scenarios/whatif/generated-population.yaml"])
        #expect(subscriptions.stdout.split(separator: "\n").count == 401)
    }
}

/// Collects the `name` of every `<testcase>` an XMLParser reads.
final class TestcaseCounter: NSObject, XMLParserDelegate {
    var names: [String] = []
    func parser(
        _ parser: XMLParser, didStartElement elementName: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:]
    ) {
        if elementName == "testcase", let name = attributes["name"] { names.append(name) }
    }
}
