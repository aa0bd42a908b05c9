import Foundation
import Testing

/// End-to-end tests of the `billsim` executable, run as a user would run it.
struct CLI {
    /// The package root (this file is Tests/billsimTests/CLITests.swift).
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

    /// The built `billsim` beside the test bundle.
    static let binary: URL = {
        var directory = URL(fileURLWithPath: CommandLine.arguments[0]).deletingLastPathComponent()
        for _ in 0..<4 {
            let candidate = directory.appendingPathComponent("billsim")
            if FileManager.default.isExecutableFile(atPath: candidate.path) { return candidate }
            directory = directory.deletingLastPathComponent()
        }
        return root.appendingPathComponent(".build/debug/billsim")
    }()

    struct Output {
        var status: Int32
        var stdout: String
        var stderr: String
        var all: String { stdout + stderr }
    }

    static func run(_ arguments: [String], in directory: URL = root, environment: [String: String?] = [:], executable: String? = nil) throws -> Output
    {
        let process = Process()
        process.executableURL = executable.map { URL(fileURLWithPath: $0) } ?? binary
        process.arguments = arguments
        if !environment.isEmpty {
            var merged = ProcessInfo.processInfo.environment
            for (key, value) in environment { merged[key] = value }
            process.environment = merged
        }
        process.currentDirectoryURL = directory
        let out = Pipe()
        let err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return Output(
            status: process.terminationStatus, stdout: String(decoding: stdout, as: UTF8.self), stderr: String(decoding: stderr, as: UTF8.self))
    }

    /// The one run folder `billsim run --reports reports` wrote (named after the paths run).
    static func runFolder(_ reports: URL) -> URL {
        let names = (try? FileManager.default.contentsOfDirectory(atPath: reports.path)) ?? []
        return reports.appendingPathComponent(names.filter { $0 != "README.md" }.sorted().first ?? "missing")
    }

    /// A fresh temporary folder.
    static func temporaryFolder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-tests-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    static func seed() throws -> String {
        try String(contentsOf: root.appendingPathComponent("Scenarios/seed/flexible.yaml"), encoding: .utf8)
    }
}

@Suite(.serialized) struct CLITests {
    @Test func bundledScenariosAllPass() throws {
        let reports = try CLI.temporaryFolder()
        let output = try CLI.run(["run", "Scenarios", "--reports", reports.path])
        #expect(output.status == 0, "\(output.all)")
        #expect(output.stdout.contains(" 0 failed, 0 invalid, 0 errors"))
        #expect(!output.stdout.contains("FAIL"))
        #expect(FileManager.default.fileExists(atPath: CLI.runFolder(reports).appendingPathComponent("results.json").path))
        #expect(FileManager.default.fileExists(atPath: CLI.runFolder(reports).appendingPathComponent("output.txt").path))
        let junit = try String(contentsOf: CLI.runFolder(reports).appendingPathComponent("junit.xml"), encoding: .utf8)
        #expect(junit.contains(" failures=\"0\" errors=\"0\" skipped=\"0\">"), "\(junit.prefix(300))")
        #expect(junit.contains("<testcase classname=\"Scenarios.seed\" name=\"Scenarios/seed/flexible.yaml "), "\(junit.prefix(600))")
    }

    /// `--tag` keeps the scenarios carrying every tag given: `seed` is on the four files of Scenarios/seed
    /// and on sources/generate-constant.yaml; `seed` and `classic` together only on seed/classic.yaml.
    @Test func tagSelectsScenariosWithEveryTag() throws {
        let seed = try CLI.run(["run", "Scenarios", "--tag", "seed", "--no-reports"])
        #expect(seed.status == 0, "\(seed.all)")
        #expect(seed.stdout.hasSuffix("5 passed, 0 failed, 0 invalid, 0 errors\n"), "\(seed.all)")
        #expect(seed.stdout.contains("PASS    Scenarios/sources/generate-constant.yaml"))
        let classic = try CLI.run(["run", "Scenarios", "--tag", "seed", "--tag", "classic", "--no-reports"])
        #expect(classic.stdout.hasPrefix("PASS    Scenarios/seed/classic.yaml"), "\(classic.all)")
        #expect(classic.stdout.hasSuffix("1 passed, 0 failed, 0 invalid, 0 errors\n"), "\(classic.all)")
        // An invalid file cannot be told apart by its tags: it is reported, never skipped silently.
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        try "name: [unclosed".write(to: folder.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let broken = try CLI.run(["run", folder.path, "--tag", "seed", "--no-reports"])
        #expect(broken.status == 2, "\(broken.all)")
        #expect(broken.stdout.contains("INVALID"), "\(broken.all)")
    }

    @Test func wrongExpectationPrintsInvoiceLineFieldAndValuesAndExits1() throws {
        let folder = try CLI.temporaryFolder()
        // The seed's January usage line bills 8000 (2000 tokens × 4¢); expect a wrong 8001.
        let wrong = try CLI.seed().replacingOccurrences(of: "quantity: 3000, amount: 8000", with: "quantity: 3000, amount: 8001")
        #expect(wrong != (try CLI.seed()))
        try wrong.write(to: folder.appendingPathComponent("wrong.yaml"), atomically: true, encoding: .utf8)
        let output = try CLI.run(["run", folder.path, "--no-reports"])
        #expect(output.status == 1, "\(output.all)")
        #expect(output.stdout.contains("FAIL"))
        #expect(output.stdout.contains("invoices[1].lines[0].amount: expected 8001 (USD 80.01), got 8000 (USD 80.00)"), "\(output.stdout)")
        #expect(output.stdout.contains("wrong.yaml:"))
    }

    @Test func malformedScenarioExits2WithoutStoppingTheOthers() throws {
        let folder = try CLI.temporaryFolder()
        try CLI.seed().write(to: folder.appendingPathComponent("a-good.yaml"), atomically: true, encoding: .utf8)
        let bad = """
            name: broken
            clock: { start: 2026-01-01, until: 2026-02-01 }
            prices:
              - id: p
                product: nope
                currency: usd
                unit_amount: ten
                recurring: { interval: month }
            """
        try bad.write(to: folder.appendingPathComponent("b-bad.yaml"), atomically: true, encoding: .utf8)
        let output = try CLI.run(["run", folder.path, "--no-reports"])
        #expect(output.status == 2, "\(output.all)")
        #expect(output.stdout.contains("PASS    \(folder.path)/a-good.yaml"), "\(output.stdout)")
        #expect(output.stdout.contains("INVALID \(folder.path)/b-bad.yaml"))
        // Both problems, each with file:line:col.
        #expect(output.stdout.contains("b-bad.yaml:5:"), "\(output.stdout)")
        #expect(output.stdout.contains("b-bad.yaml:7:"), "\(output.stdout)")
        let validate = try CLI.run(["validate", folder.path])
        #expect(validate.status == 2)
        #expect(validate.stderr.contains("b-bad.yaml:7:"))
    }

    @Test func invoicesOutputIsByteIdenticalAndPastesBackAsExpectations() throws {
        let path = "Scenarios/seed/classic.yaml"
        let first = try CLI.run(["invoices", path])
        let second = try CLI.run(["invoices", path])
        #expect(first.status == 0, "\(first.all)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.contains("\"billing_reason\": \"subscription_cycle\""))
        // The printed JSON is what `expect.invoices` takes: paste it back and the run passes.
        let rerun = try Self.run(path, expecting: first.stdout)
        #expect(rerun.status == 0, "\(rerun.all)")
    }

    /// Runs the scenario at `path` with its `expect` replaced by `invoices` (printed invoices, pasted as they are).
    static func run(_ path: String, expecting invoices: String) throws -> CLI.Output {
        let folder = try CLI.temporaryFolder()
        var scenario = try String(contentsOf: CLI.root.appendingPathComponent(path), encoding: .utf8)
        scenario = String(scenario[..<scenario.range(of: "\nexpect:")!.lowerBound])
        scenario += "\nexpect:\n  invoices: " + invoices.split(separator: "\n").joined(separator: "\n    ") + "\n"
        try scenario.write(to: folder.appendingPathComponent("pasted.yaml"), atomically: true, encoding: .utf8)
        return try CLI.run(["run", folder.path, "--no-reports"])
    }

    @Test(arguments: [
        "Scenarios/seed/classic.yaml", "Scenarios/invoices/coupon-proration-flexible.yaml", "Scenarios/invoices/amount-off-allocation.yaml",
        "Scenarios/lifecycle/invoice-items.yaml", "Scenarios/invoices/stacked-coupon-credit-tax-balance.yaml",
        "Scenarios/invoices/tax-inclusive-600-eur.yaml", "Scenarios/payments/renewal-retry-after-attach.yaml",
    ])
    func stripeFormatIsStripesShapeAndPastesBackAsExpectations(path: String) throws {
        let first = try CLI.run(["invoices", "--format", "stripe", path])
        let second = try CLI.run(["invoices", "--format", "stripe", path])
        #expect(first.status == 0, "\(first.all)")
        #expect(first.stdout == second.stdout)
        let invoices = try #require(try JSONSerialization.jsonObject(with: Data(first.stdout.utf8)) as? [[String: Any]])
        #expect(invoices.allSatisfy { $0["object"] as? String == "invoice" && $0["created"] is Int })
        #expect(invoices.allSatisfy { ($0["lines"] as? [String: Any])?["object"] as? String == "list" })
        // Pasted back into `expect.invoices` as it is: the run passes, with nothing left uncompared but the
        // lines' descriptions (billsim words them its own way, so a pasted Stripe description is never compared).
        let rerun = try Self.run(path, expecting: first.stdout)
        #expect(rerun.status == 0, "\(rerun.all)")
        let notes = rerun.stdout.split(separator: "\n").filter { $0.contains("note:") }
        #expect(
            notes.map { $0.trimmingCharacters(in: .whitespaces) } == [
                "note: expect: 1 Stripe invoice field billsim does not model (or words its own way), not compared: lines.data[].description"
            ])
        let unknown = try CLI.run(["invoices", "--format", "xml", path])
        #expect(unknown.status != 0)
        #expect(unknown.stderr.contains("unknown format \"xml\" (known: billsim, stripe)"), "\(unknown.stderr)")
    }

    @Test func previewShowsUsageReceivedSoFar() throws {
        // Mid-January the seed's 3000 tokens (Jan 15) are in: usage 8000 + next license 10000.
        let output = try CLI.run(["preview", "Scenarios/seed/flexible.yaml", "--subscription", "sub_john", "--at", "2026-01-20"])
        #expect(output.status == 0, "\(output.all)")
        #expect(output.stdout.contains("\"billing_reason\": \"upcoming\""))
        #expect(output.stdout.contains("\"total\": 18000"))
        let early = try CLI.run(["preview", "Scenarios/seed/flexible.yaml", "--subscription", "sub_john", "--at", "2026-01-10"])
        #expect(early.stdout.contains("\"total\": 10000"), "\(early.all)")
    }

    @Test func jsonFormatIsValidJSON() throws {
        let output = try CLI.run(["run", "Scenarios/seed", "--format", "json", "--no-reports"])
        #expect(output.status == 0, "\(output.all)")
        let parsed = try JSONSerialization.jsonObject(with: Data(output.stdout.utf8)) as? [String: Any]
        #expect((parsed?["summary"] as? [String: Any])?["failed"] as? Int == 0)
    }

    /// `billsim bench` on a small workload: a row per store and source (generated, CSV and JSON Lines files) and the
    /// same total on every row. The total
    /// from the workload's rules: 20,000 events round-robin over 100 customers, event i worth
    /// 1 + (i × 7919 mod 500) tokens, all in January; each customer pays 10000 on Jan 1, and on Feb 1 the
    /// license 10000 plus 4 per token beyond the first 1000 of January.
    @Test func benchMeasuresEveryStoreAndTheyAgree() throws {
        let (events, customers) = (20_000, 100)
        var tokens = [Int](repeating: 0, count: customers)
        for index in 0..<events { tokens[index % customers] += 1 + (index * 7919) % 500 }
        let total = tokens.reduce(2 * customers * 10_000) { $0 + max(0, $1 - 1000) * 4 }
        let output = try CLI.run(["bench", "--events", "\(events)", "--customers", "\(customers)", "--no-duckdb"])
        #expect(output.status == 0, "\(output.all)")
        let rows = output.stdout.split(separator: "\n").map(String.init)
        for store in ["memory", "sqlite", "memory (csv)", "memory (jsonl)", "sqlite (csv)", "sqlite (jsonl)"] {
            #expect(rows.contains { $0.hasPrefix(store + " ") && !$0.contains("skipped") }, "\(output.all)")
        }
        // The compare row (base + 3 variants against the base alone) billed the same base total (else bench fails).
        #expect(
            rows.contains {
                $0.hasPrefix("compare ") && $0.contains("the base run, median of 3 alternated pairs (") && $0.contains("× wall; target ≤ 1.30×)")
                    && $0.contains("each variant run whole")
            },
            "\(output.all)")
        // PostgreSQL is measured when the tests have a server (Scripts/test starts one).
        if ProcessInfo.processInfo.environment["BILLSIM_POSTGRES_URL"] != nil {
            #expect(rows.contains { $0.hasPrefix("postgres ") && !$0.contains("skipped") }, "\(output.all)")
        }
        let dollars = "USD \(total / 100).\(String(format: "%02d", total % 100))"
        #expect(rows.last?.hasPrefix("every row measured billed \(total) (") == true, "expected \(total) (\(dollars)): \(output.all)")
        #expect(rows.last?.hasSuffix("in \(2 * customers) invoices") == true, "\(output.all)")
    }
}
