import BillingCore
import BillingDocument
import BillingScenario
import Foundation

/// Writes a reduced scenario to a file; many events go to a CSV beside it.
public enum ShrinkOutput {
    /// Writes `scenario` (whose usage is literal events) to `file`. With more than `inlineEventLimit`
    /// events, they go to `<file name>.usage.csv` beside it, referenced by name.
    public static func write(_ scenario: Scenario, header: [String], to file: URL, inlineEventLimit: Int) throws {
        try text(scenario, header: header, file: file, inlineEventLimit: inlineEventLimit).write(to: file, atomically: true, encoding: .utf8)
    }

    /// The YAML for `file`, writing the CSV it names when the events are too many to inline.
    public static func text(_ scenario: Scenario, header: [String], file: URL?, inlineEventLimit: Int) throws -> String {
        let events = scenario.usage.flatMap { stream -> [MeterEvent] in
            if case .events(let events) = stream { return events }
            return []
        }
        guard let file, events.count > inlineEventLimit else { return ScenarioWriter.yaml(scenario, header: header) }
        let csvName = file.deletingPathExtension().lastPathComponent + ".usage.csv"
        let arrivalOrder = events.enumerated().sorted { ($0.element.arrival, $0.offset) < ($1.element.arrival, $1.offset) }.map(\.element)
        try UsageCSVWriter.csv(arrivalOrder).write(
            to: file.deletingLastPathComponent().appendingPathComponent(csvName), atomically: true, encoding: .utf8)
        var written = scenario
        written.usage = [.file(path: csvName, format: .csv, location: scenario.expectation.location)]
        return ScenarioWriter.yaml(written, header: header)
    }
}
