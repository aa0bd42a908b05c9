import Foundation
import Testing

/// `billsim compare` and `billsim export`, end to end.
struct CompareCLITests {
    static let file = "Scenarios/whatif/cheaper-overage.yaml"

    @Test func compareExitsZeroAndIsByteIdentical() throws {
        let first = try CLI.run(["compare", Self.file])
        let second = try CLI.run(["compare", Self.file])
        #expect(first.status == 0, "\(first.stderr)")
        #expect(first.stdout == second.stdout)
        #expect(first.stdout.contains("cheaper_overage         6    81000 (USD 810.00)  -31000 (USD -310.00)  -27.68%"))
        #expect(first.stdout.hasSuffix("PASS  every expectation holds\n"))
        let json = try CLI.run(["compare", Self.file, "--format", "json", "--variant", "cheaper_overage"])
        #expect(json.status == 0)
        let object = try JSONSerialization.jsonObject(with: Data(json.stdout.utf8)) as? [String: Any]
        #expect((object?["base"] as? [String: Any])?["total"] as? Int == 112_000)
    }

    @Test func aDifferenceExitsOneAndABadFileTwo() throws {
        let folder = try CLI.temporaryFolder()
        let text = try String(contentsOf: CLI.root.appendingPathComponent(Self.file), encoding: .utf8)
        let wrong = folder.appendingPathComponent("wrong.yaml")
        try text.replacingOccurrences(of: "      total: 81000", with: "      total: 81001").write(to: wrong, atomically: true, encoding: .utf8)
        let failed = try CLI.run(["compare", wrong.path])
        #expect(failed.status == 1)
        #expect(failed.stdout.contains("variants.cheaper_overage.total: expected 81001 (USD 810.01), got 81000 (USD 810.00)"))
        let invalid = folder.appendingPathComponent("invalid.yaml")
        try text.replacingOccurrences(
            of: "  - name: cheaper_overage\n", with: "  - name: cheaper_overage\n    replace_prices: { price_nope: price_tokens }\n"
        )
        .write(to: invalid, atomically: true, encoding: .utf8)
        let bad = try CLI.run(["compare", invalid.path])
        #expect(bad.status == 2)
        #expect(bad.stderr.contains("invalid.yaml:58:"), "\(bad.stderr)")
        #expect(bad.stderr.contains("no price `price_nope`"))
        let unknown = try CLI.run(["compare", Self.file, "--variant", "nope"])
        #expect(unknown.status == 64 && unknown.stderr.contains("no variant nope"))
    }

    @Test func exportPrintsTheGeneratedInputs() throws {
        let usage = try CLI.run(["export", "usage", "Scenarios/whatif/generated-population.yaml"])
        #expect(usage.status == 0)
        #expect(usage.stdout.hasPrefix("event_name,timestamp,identifier,customer,value\ntokens,"))
        let subscriptions = try CLI.run(["export", "subscriptions", "Scenarios/whatif/generated-population.yaml"])
        #expect(subscriptions.stdout.split(separator: "\n").count == 401)
    }
}
