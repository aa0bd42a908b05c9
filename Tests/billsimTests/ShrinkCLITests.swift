import Foundation
import Testing

/// `billsim shrink` as a user runs it.
@Suite(.serialized) struct ShrinkCLITests {
    /// The seed with January's usage line expected at 8001 instead of 8000: the shrunk file keeps that
    /// one wrong amount (at `invoices[*].lines[*].amount`), loses the rest, and fails the same way.
    @Test func shrinksTheSeedWithAWrongAmountToAScenarioThatFailsTheSameWay() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let seed = try CLI.seed()
        let wrong = seed.replacingOccurrences(of: "quantity: 3000, amount: 8000,", with: "quantity: 3000, amount: 8001,")
        #expect(wrong != seed)
        try wrong.write(to: folder.appendingPathComponent("wrong.yaml"), atomically: true, encoding: .utf8)
        let output = try CLI.run(["shrink", "wrong.yaml", "--output", "small.yaml"], in: folder)
        #expect(output.status == 0, "\(output.all)")
        #expect(output.stderr.contains("keeps diff: differences at invoices[*].lines[*].amount"), "\(output.all)")
        let small = try String(contentsOf: folder.appendingPathComponent("small.yaml"), encoding: .utf8)
        #expect(small.hasPrefix("# Reduced by `billsim shrink` from wrong.yaml\n"), "\(small)")
        #expect(small.contains("amount: 8001"), "\(small)")
        let run = try CLI.run(["run", "small.yaml", "--no-reports"], in: folder)
        #expect(run.status == 1, "\(run.all)")
        #expect(run.stdout.contains("lines[0].amount: expected 8001 (USD 80.01), got"), "\(run.all)\n\(small)")
        #expect(small.count < seed.count / 2, "\(small)")
    }

    @Test func aPassingScenarioExits1AndAnInvalidOneExits2() throws {
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let passing = try CLI.run(["shrink", CLI.root.appendingPathComponent("Scenarios/seed/flexible.yaml").path])
        #expect(passing.status == 1 && passing.stderr.contains("passes: there is no failure to keep"), "\(passing.all)")
        try "name: broken\n".write(to: folder.appendingPathComponent("broken.yaml"), atomically: true, encoding: .utf8)
        let invalid = try CLI.run(["shrink", "broken.yaml"], in: folder)
        #expect(invalid.status == 2 && invalid.stderr.contains("clock"), "\(invalid.all)")
    }
}
