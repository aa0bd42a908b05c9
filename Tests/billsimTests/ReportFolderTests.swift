import BillingHarness
import Foundation
import FoundationXML
import Synchronization
import Testing

@testable import billsim

/// The report folder of `billsim run`: its files, their determinism and well-formedness, the
/// terminal's colour, and `--record`.
@Suite(.serialized) struct ReportFolderTests {
    static let files = ["report.html", "summary.md", "junit.xml", "invoices.json", "results.json", "output.txt"]

    @Test func sameScenarioWritesTheSameBytesToAFolderNamedAfterIt() throws {
        let first = try CLI.temporaryFolder()
        let second = try CLI.temporaryFolder()
        for reports in [first, second] {
            let output = try CLI.run(["run", "Scenarios/seed/flexible.yaml", "--reports", reports.path])
            #expect(output.status == 0, "\(output.all)")
        }
        for file in Self.files {
            let a = try Data(contentsOf: first.appendingPathComponent("Scenarios-seed-flexible/\(file)"))
            let b = try Data(contentsOf: second.appendingPathComponent("Scenarios-seed-flexible/\(file)"))
            #expect(!a.isEmpty && a == b, "\(file)")
        }
        // The README each run writes is the one committed in Reports/.
        let readme = try String(contentsOf: first.appendingPathComponent("README.md"), encoding: .utf8)
        #expect(readme == (try String(contentsOf: CLI.root.appendingPathComponent("Reports/README.md"), encoding: .utf8)))
        for file in Self.files { #expect(readme.contains("`\(file)`"), "\(file)") }
    }

    /// junit.xml parses with Foundation's XML parser and has one testcase per scenario; report.html is
    /// well-formed XML too, self-contained, and shows every figure of summary.md.
    @Test func junitAndHTMLParseAndTheHTMLCarriesEveryMarkdownFigure() throws {
        let reports = try CLI.temporaryFolder()
        let output = try CLI.run(["run", "Scenarios", "--reports", reports.path])
        #expect(output.status == 0, "\(output.all)")
        let folder = reports.appendingPathComponent("Scenarios")
        let scenarios = try #require(output.stdout.split(separator: "\n").last.flatMap { Int($0.split(separator: " ")[0]) })

        let junit = ElementCounter()
        let junitParser = try #require(XMLParser(contentsOf: folder.appendingPathComponent("junit.xml")))
        junitParser.delegate = junit
        #expect(junitParser.parse(), "\(String(describing: junitParser.parserError))")
        #expect(junit.counts["testcase"] == scenarios && scenarios > 10)

        let htmlData = try Data(contentsOf: folder.appendingPathComponent("report.html"))
        let html = String(decoding: htmlData, as: UTF8.self)
        let page = ElementCounter()
        let htmlParser = XMLParser(data: htmlData)
        htmlParser.delegate = page
        #expect(htmlParser.parse(), "\(String(describing: htmlParser.parserError))")
        #expect(page.counts["section"] == scenarios)
        #expect((page.counts["svg"] ?? 0) > 5)
        #expect(page.counts["script"] == nil && page.counts["link"] == nil && page.counts["img"] == nil)
        #expect(!html.contains("https://") && !html.contains("url("))
        #expect(html.contains("@media print") && html.contains("name=\"viewport\""))

        let markdown = try String(contentsOf: folder.appendingPathComponent("summary.md"), encoding: .utf8)
        let figures = Set(markdown.matches(of: /[0-9][0-9.,:\-T]*[0-9Z]|[0-9]/).map { String($0.output) })
        #expect(figures.count > 50)
        for figure in figures.sorted() { #expect(html.contains(figure), "\(figure) is in summary.md, not in report.html") }
        // The flexible seed's three invoices: 10000 + 18000 + 10000 = 38000.
        #expect(markdown.contains("USD 380.00") && html.contains("USD 380.00"))

        // invoices.json: the scenario's invoices in Stripe's shape, what `billsim invoices --format stripe` prints.
        let json = try JSONSerialization.jsonObject(with: Data(contentsOf: folder.appendingPathComponent("invoices.json"))) as? [String: Any]
        let scenario = try #require(
            (json?["scenarios"] as? [[String: Any]])?.first { ($0["path"] as? String)?.hasSuffix("seed/flexible.yaml") == true })
        let invoices = try #require(scenario["invoices"] as? [[String: Any]])
        let printed = try CLI.run(["invoices", "--format", "stripe", "Scenarios/seed/flexible.yaml"])
        let stripe = try #require(try JSONSerialization.jsonObject(with: Data(printed.stdout.utf8)) as? [[String: Any]])
        #expect(invoices.map { NSDictionary(dictionary: $0) } == stripe.map { NSDictionary(dictionary: $0) })
        #expect(invoices.map { $0["total"] as? Int } == [10000, 18000, 10000])
        #expect(invoices.allSatisfy { $0["object"] as? String == "invoice" && ($0["lines"] as? [String: Any])?["object"] as? String == "list" })
    }

    @Test func textOfTheScenarioIsEscapedInEveryFormat() throws {
        let folder = try CLI.temporaryFolder()
        let reports = try CLI.temporaryFolder()
        let nasty = "<script>alert(1)</script> & \\\"x\\\" | *y* ]]>"
        let scenario = try CLI.seed().split(separator: "\n", omittingEmptySubsequences: false).map { line in
            line.hasPrefix("name:") ? "name: \"\(nasty)\"" : String(line)
        }.joined(separator: "\n")
        try scenario.write(to: folder.appendingPathComponent("nasty.yaml"), atomically: true, encoding: .utf8)
        let output = try CLI.run(["run", folder.appendingPathComponent("nasty.yaml").path, "--reports", reports.path])
        #expect(output.status == 0, "\(output.all)")
        let run = CLI.runFolder(reports)
        let htmlData = try Data(contentsOf: run.appendingPathComponent("report.html"))
        #expect(XMLParser(data: htmlData).parse())
        let html = String(decoding: htmlData, as: UTF8.self)
        #expect(!html.contains("<script") && html.contains("&lt;script&gt;alert(1)&lt;/script&gt; &amp; &quot;x&quot;"))
        let markdown = try String(contentsOf: run.appendingPathComponent("summary.md"), encoding: .utf8)
        #expect(markdown.contains("\\<script\\>alert(1)\\</script\\> & \"x\" \\| \\*y\\* \\]\\]\\>"), "\(markdown.prefix(400))")
    }

    /// Colour on a terminal (a pseudo-terminal from `script`), never with NO_COLOR, never into a pipe.
    @Test func colourOnlyOnATerminalAndNeverWithNoColor() throws {
        let command = "\(CLI.binary.path) run Scenarios/seed/flexible.yaml --no-reports"
        let coloured = try CLI.run(["-qec", command, "/dev/null"], environment: ["NO_COLOR": nil], executable: "/usr/bin/script")
        #expect(coloured.stdout.contains("\u{1B}[32mPASS\u{1B}[0m"), "\(coloured.all)")
        let plain = try CLI.run(["-qec", command, "/dev/null"], environment: ["NO_COLOR": "1"], executable: "/usr/bin/script")
        #expect(plain.status == 0 && plain.stdout.contains("PASS") && !plain.stdout.contains("\u{1B}["), "\(plain.all)")
        let piped = try CLI.run(["run", "Scenarios/seed/flexible.yaml", "--no-reports"], environment: ["NO_COLOR": nil])
        #expect(piped.stdout.hasPrefix("PASS    Scenarios/seed/flexible.yaml") && !piped.all.contains("\u{1B}"), "\(piped.all)")
    }

    @Test func recordIsRefusedUnderCI() throws {
        let folder = try CLI.temporaryFolder()
        try Self.withoutExpectations().write(to: folder.appendingPathComponent("s.yaml"), atomically: true, encoding: .utf8)
        let output = try CLI.run(["run", "--record", folder.appendingPathComponent("s.yaml").path, "--no-reports"], environment: ["CI": "true"])
        #expect(output.status == 64, "\(output.all)")
        #expect(output.stderr.contains("--record is refused when CI is set"), "\(output.all)")
        #expect(!FileManager.default.fileExists(atPath: folder.appendingPathComponent("s.expected.yaml").path))
    }

    /// Recorded expectations pass; a changed figure in them fails at its line of the expectations file.
    @Test func recordedExpectationsRoundTrip() throws {
        let folder = try CLI.temporaryFolder()
        let path = folder.appendingPathComponent("s.yaml").path
        try Self.withoutExpectations().write(toFile: path, atomically: true, encoding: .utf8)
        let recorded = try CLI.run(["run", "--record", path, "--no-reports"], environment: ["CI": nil])
        #expect(recorded.status == 0, "\(recorded.all)")
        #expect(recorded.stdout.hasPrefix("PASS    \(path)  ("), "\(recorded.all)")
        #expect(try String(contentsOfFile: path, encoding: .utf8).hasSuffix("\nexpect: { file: s.expected.yaml }\n"))
        let expectedPath = folder.appendingPathComponent("s.expected.yaml").path
        let expected = try String(contentsOfFile: expectedPath, encoding: .utf8)
        #expect(expected.contains("invoice_count: 3\n"), "\(expected.prefix(300))")
        let again = try CLI.run(["run", path, "--no-reports"])
        #expect(again.status == 0 && !again.stdout.contains("nothing was checked"), "\(again.all)")
        // The flexible seed's cycle invoice: 10000 license + 3000 units → 8000 usage (hand-computed in the scenario).
        #expect(expected.contains("\"total\": 18000"), "\(expected)")
        try expected.replacingOccurrences(of: "\"total\": 18000", with: "\"total\": 18001").write(
            toFile: expectedPath, atomically: true, encoding: .utf8)
        let changed = try CLI.run(["run", path, "--no-reports"])
        #expect(changed.status == 1, "\(changed.all)")
        #expect(changed.stdout.contains("expected 18001 (USD 180.01), got 18000 (USD 180.00)"), "\(changed.all)")
        #expect(changed.stdout.contains("expected at \(expectedPath):"), "\(changed.all)")
    }

    /// Every bundled scenario, its `expect` section taken out, records expectations that then pass:
    /// what the recorder writes (`billsim invoices`' documents) is what `expect` reads, for every
    /// feature the scenarios use (prorations with long exact amounts, tiers, previews, usage files).
    @Test func everyBundledScenarioRoundTripsThroughRecord() throws {
        let folder = try CLI.temporaryFolder()
        let copy = folder.appendingPathComponent("Scenarios")
        try FileManager.default.copyItem(at: CLI.root.appendingPathComponent("Scenarios"), to: copy)
        let files = try #require(FileManager.default.enumerator(atPath: copy.path)).compactMap { $0 as? String }.filter { $0.hasSuffix(".yaml") }
        for file in files {
            let path = copy.appendingPathComponent(file).path
            var lines = try String(contentsOfFile: path, encoding: .utf8).split(separator: "\n", omittingEmptySubsequences: false)
            if let start = lines.firstIndex(where: { $0.hasPrefix("expect:") }) {
                let end = lines[(start + 1)...].firstIndex { $0.first?.isLetter == true } ?? lines.endIndex
                lines.removeSubrange(start..<end)
            }
            try lines.joined(separator: "\n").write(toFile: path, atomically: true, encoding: .utf8)
        }
        let recorded = try CLI.run(["run", "--record", "Scenarios", "--no-reports"], in: folder, environment: ["CI": nil])
        #expect(recorded.status == 0, "\(recorded.all)")
        #expect(recorded.stdout.hasSuffix("\(files.count) passed, 0 failed, 0 invalid, 0 errors\n"), "\(recorded.all)")
        #expect(!recorded.stdout.contains("nothing was checked"), "\(recorded.all)")
    }

    /// The flexible seed with its `expect` section removed.
    static func withoutExpectations() throws -> String {
        let seed = try CLI.seed()
        let start = try #require(seed.range(of: "\nexpect:"))
        return String(seed[..<start.lowerBound]) + "\n"
    }
}

/// Counts the elements of an XML document by name.
final class ElementCounter: NSObject, XMLParserDelegate {
    var counts: [String: Int] = [:]
    func parser(_ parser: XMLParser, didStartElement name: String, namespaceURI: String?, qualifiedName: String?, attributes: [String: String] = [:])
    {
        counts[name, default: 0] += 1
    }
}

/// The pieces of `billsim run`'s reporting that need no process.
struct ReportingUnitTests {
    /// The folder is named after the selection: extensions dropped, `/` as `-`, paths joined by `+`,
    /// no leading dot (no hidden folder, no `..`), anything else as `_`, long names cut with a hash.
    @Test func folderNames() {
        #expect(ReportFolder.name(paths: ["Scenarios"], filter: nil, tags: []) == "Scenarios")
        #expect(ReportFolder.name(paths: ["Scenarios/seed/flexible.yaml"], filter: nil, tags: []) == "Scenarios-seed-flexible")
        #expect(
            ReportFolder.name(paths: ["Scenarios/seed/", "x.yml"], filter: "flat fee", tags: ["seed"])
                == "Scenarios-seed+x--filter-flat_fee--tag-seed")
        #expect(ReportFolder.name(paths: ["../a/b.yaml"], filter: nil, tags: []) == "a-b")
        #expect(ReportFolder.name(paths: ["/tmp/ü <x>.yaml"], filter: nil, tags: []) == "tmp-___x_")
        #expect(ReportFolder.name(paths: ["."], filter: nil, tags: []) == "run")
        let long = ReportFolder.name(paths: [String(repeating: "a", count: 200)], filter: nil, tags: [])
        let other = ReportFolder.name(paths: [String(repeating: "a", count: 201)], filter: nil, tags: [])
        #expect(long.count <= 80 && other.count <= 80 && long != other && long.hasPrefix(String(repeating: "a", count: 63) + "-"))
    }

    /// 1 of 4 scenarios after 10 s with 50,000 events: 5,000 events/s, 30 s left (10 s per scenario).
    @Test func progressLine() {
        #expect(
            Progress.line(done: 1, total: 4, events: 50_000, elapsed: .seconds(10))
                == "[######..................] 25% · 1/4 scenarios · 50000 events · 5000 events/s · 0:10 elapsed · ~0:30 left")
        // One long scenario, 250 thousandths of its clock reached after 20 s: a quarter done, 60 s left
        // (20 s per quarter × 3 quarters); 6 of 24 marks.
        #expect(
            Progress.line(done: 0, total: 1, events: 1_000_000, runningPermille: 250, elapsed: .seconds(20))
                == "[######..................] 25% · 0/1 scenarios · 1000000 events · 50000 events/s · 0:20 elapsed · ~1:00 left")
        // Two scenarios done of three and the third 500 thousandths along at 25 s: 2.5 done, 5 s a half, 5 s left.
        #expect(Progress.line(done: 2, total: 3, events: 10, runningPermille: 500, elapsed: .seconds(25)).hasSuffix("0:25 elapsed · ~0:05 left"))
        // The running scenarios are counted and drawn from what the workers report, and forgotten when they finish.
        let progress = Progress(total: 2, enabled: false)
        progress.running(worker: 0, ScenarioProgress.Snapshot(events: 7, permille: 400))
        progress.running(worker: 1, ScenarioProgress.Snapshot(events: 5, permille: 100))
        #expect(progress.state.withLock { $0.running.values.reduce(0) { $0 + $1.permille } } == 500)
        progress.running(worker: 0, nil)
        progress.finished(events: 9)
        #expect(progress.state.withLock { ($0.done, $0.events, $0.running.count) } == (1, 9, 1))
        // A worker's progress line round-trips, and an answer is never taken for one.
        let line = ProgressLine.encode(ScenarioProgress.Snapshot(events: 1_234_567, permille: 998))
        #expect(String(decoding: line, as: UTF8.self) == "{\"progress\":[1234567,998]}\n")
        #expect(ProgressLine.decode(line.dropLast()) == ScenarioProgress.Snapshot(events: 1_234_567, permille: 998))
        let answer = try! JSONEncoder().encode(ScenarioProcesses.ChildReport(status: "passed", parts: ["text": "{\"progress\":[1,2]}"]))
        #expect(!answer.starts(with: ProgressLine.prefix))
        #expect(Progress.line(done: 0, total: 2, events: 0, elapsed: .seconds(65)).hasSuffix("0 events/s · 1:05 elapsed"))
        #expect(!Progress(total: 3, enabled: false).enabled)
        // billsim compare: the base (1000 thousandths) and three re-rated variants (100 each), 1300 in all.
        // Half the base's clock after 13 s: 500 of 1300, 38 %, 13 s per 500 so 20.8 s left (~0:21); 9 of 24 marks.
        let weights = [1000, 100, 100, 100]
        #expect(
            Progress.line(done: 0, total: 4, unit: "runs", events: 100, runningPermille: 500, weights: weights, elapsed: .seconds(13))
                == "[#########...............] 38% · 0/4 runs · 100 events · 7 events/s · 0:13 elapsed · ~0:21 left")
        // The base and one variant done after 22 s: 1100 of 1300, 2 s left; the next variant's reading is its own weight's share.
        #expect(Progress.line(done: 2, total: 4, unit: "runs", events: 0, weights: weights, elapsed: .seconds(22)).contains("84% · 2/4 runs"))
        #expect(
            Progress.line(done: 2, total: 4, unit: "runs", events: 0, runningPermille: 1000, weights: weights, elapsed: .seconds(24))
                .contains("92% · 2/4 runs"))
    }
}
