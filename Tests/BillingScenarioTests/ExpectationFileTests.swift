import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

/// `expect: { file: NAME.expected.yaml }`: the expectations in a file beside the scenario (what
/// `billsim run --record` writes), with their problems reported at that file's lines.
struct ExpectationFileTests {
    /// The seed without its `expect` section, and that section's body unindented (the file's text).
    static var parts: (scenario: String, expectations: String) {
        let range = seed.range(of: "expect:\n")!
        let body = seed[range.upperBound...].split(separator: "\n", omittingEmptySubsequences: false).map { $0.dropFirst(2) }.joined(separator: "\n")
        return (String(seed[..<range.lowerBound]), body)
    }

    static func folder() throws -> URL {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-expect-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url
    }

    @Test func expectationsAreReadFromTheFileBesideTheScenario() throws {
        let folder = try Self.folder()
        try Self.parts.expectations.write(to: folder.appendingPathComponent("s.expected.yaml"), atomically: true, encoding: .utf8)
        let path = folder.appendingPathComponent("s.yaml").path
        let scenario = try loaded(Self.parts.scenario + "expect: { file: s.expected.yaml }\n", path: path)
        #expect(scenario.expectation.invoiceCount == 3)
        #expect(scenario.expectation.lateEvents == 0)
        #expect(scenario.expectation.location.file == folder.appendingPathComponent("s.expected.yaml").path)
    }

    @Test func problemsAreReportedAtTheirFileAndLine() throws {
        let folder = try Self.folder()
        let path = folder.appendingPathComponent("s.yaml").path
        let expectedPath = folder.appendingPathComponent("s.expected.yaml").path
        let scenarioText = Self.parts.scenario + "expect: { file: s.expected.yaml, late_events: 0 }\n"
        let expectLine = scenarioText.split(separator: "\n", omittingEmptySubsequences: false).count - 1
        // No file yet: one problem at the `file` value, one for the key written beside it.
        let missing = diagnostics(scenarioText, path: path)
        #expect(missing.contains { $0.location.line == expectLine && $0.message.contains("no expectations file at \(expectedPath)") }, "\(missing)")
        #expect(missing.contains { $0.message.contains("`late_events`: with `file`, every expectation is written in s.expected.yaml") }, "\(missing)")
        // A bad value in the file is reported at its line there (line 2: `invoice_count: -1`).
        try "late_events: 0\ninvoice_count: -1\n".write(toFile: expectedPath, atomically: true, encoding: .utf8)
        let bad = diagnostics(Self.parts.scenario + "expect: { file: s.expected.yaml }\n", path: path)
        #expect(bad.count == 1 && bad.first?.location.file == expectedPath && bad.first?.location.line == 2, "\(bad)")
    }
}
