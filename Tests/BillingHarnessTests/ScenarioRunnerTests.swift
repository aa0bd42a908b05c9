import BillingCore
import BillingDocument
import BillingHarness
import BillingReports
import BillingScenario
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let memory = ScenarioRunner(makeStore: { InMemoryBillingStore() })

private func bundledScenarios() throws -> [String] {
    ScenarioRunner.discover([root.appendingPathComponent("Scenarios").path])
}

private func rendered(_ outcome: SimulationOutcome) -> String { CrossStoreTests.rendered(outcome) }

@Test func everyBundledScenarioPasses() async throws {
    let run = await memory.run(files: try bundledScenarios())
    #expect(run.results.count >= 24)
    for result in run.results where result.status != .passed {
        Issue.record("\(result.path): \(result.status)\n\(TextReport().render(RunResult(results: [result])))")
    }
    #expect(run.results.allSatisfy { $0.hasExpectations })
}

@Test func sameScenarioTwiceGivesByteIdenticalInvoices() async throws {
    for file in try bundledScenarios() {
        let scenario = try ScenarioLoader.load(path: file).get()
        let first = rendered(try await memory.simulate(scenario))
        let second = rendered(try await memory.simulate(scenario))
        #expect(first == second, "\(file)")
    }
}

@Test func reportsAreDeterministic() async throws {
    let files = try bundledScenarios()
    let first = await memory.run(files: files)
    let second = await memory.run(files: files)
    for format in ReportRegistry.formats.values {
        #expect(format.render(first) == format.render(second), "\(format.name)")
    }
}

private let location = SourceLocation(file: "x.yaml", line: 3, column: 5)

@Test func countsAndErrorsAreChecked() {
    var usage = UsageReport()
    usage.rejected[.noMeter] = 2
    usage.late = 1
    let outcome = SimulationOutcome(invoices: [], previews: [:], usage: usage)
    let expectation = Expectation(
        invoiceCount: 1, previews: [("p", .map([], location))],
        meterEventErrors: [(.noMeter, 2, location), (.duplicateMeterEvent, 1, location)], lateEvents: 0, location: location)
    let differences = ScenarioRunner.check(expectation, against: outcome, catalog: nil).map(\.description)
    #expect(
        differences == [
            "invoice_count: expected 1, got 0",
            "previews.p: expected a preview, got none recorded",
            "meter_event_errors.duplicate_meter_event: expected 1, got 0",
            "late_events: expected 0, got 1",
        ])
}

@Test func aScenarioWithoutExpectationsIsMarked() async throws {
    let yaml = """
        name: nothing expected
        clock: { start: 2026-01-01, until: 2026-01-02 }
        """
    let scenario = try ScenarioLoader.load(yaml: yaml, path: "inline.yaml").get()
    let result = await memory.run(scenario)
    #expect(result.status == .passed)
    #expect(!result.hasExpectations)
    #expect(TextReport().render(RunResult(results: [result])).contains("no expectations"))
}

/// Each subscription's status history, from the rules (Docs/ENGINE-RULES.md, Trials): trials from
/// Jan 1 to Jan 8; without a payment method create_invoice activates, and its invoice's failed payment
/// at its finalization (Jan 8 01:00) makes it past due (Payments); cancel cancels, pause pauses;
/// the text report prints each history that changed.
@Test func statusHistoriesAreRecordedAndReported() async throws {
    let file = root.appendingPathComponent("Scenarios/lifecycle/trial-end-behaviors.yaml").path
    let outcome = try await memory.simulate(try ScenarioLoader.load(path: file).get())
    let jan1 = Instant(year: 2026, month: 1, day: 1)
    let jan8 = Instant(year: 2026, month: 1, day: 8)
    #expect(
        outcome.subscriptions.map(\.history) == [
            [
                StatusChange(at: jan1, status: "trialing"), StatusChange(at: jan8, status: "active"),
                StatusChange(at: jan8 + .hours(1), status: "past_due"),
            ],
            [StatusChange(at: jan1, status: "trialing"), StatusChange(at: jan8, status: "canceled")],
            [StatusChange(at: jan1, status: "trialing"), StatusChange(at: jan8, status: "paused")],
        ])
    let result = ScenarioResult(path: file, name: "t", status: .passed, outcome: outcome)
    #expect(TextReport().render(RunResult(results: [result])).contains("sub_pause: trialing 2026-01-01T00:00:00Z → paused 2026-01-08T00:00:00Z"))
    #expect(JSONReport().render(RunResult(results: [result])).contains("\"status_history\""))
}

/// A run tells its `ScenarioProgress` the events read and the share of the clock they reach:
/// generate-constant.yaml sends 744 events, the last at Jan 31 23:00, on a clock from Jan 1 00:00 to
/// Feb 1 02:00: 2,674,800 of 2,685,600 seconds = 995.98 thousandths, 995 rounded down. The outcome is
/// the same with and without progress.
@Test func aRunReportsItsProgress() async throws {
    let progress = ScenarioProgress()
    #expect(progress.snapshot == ScenarioProgress.Snapshot(events: 0, permille: 0))
    let scenario = try ScenarioLoader.load(path: root.appendingPathComponent("Scenarios/sources/generate-constant.yaml").path).get()
    let watched = ScenarioRunner(makeStore: { InMemoryBillingStore() }, progress: progress)
    let outcome = try await watched.simulate(scenario)
    #expect(progress.snapshot == ScenarioProgress.Snapshot(events: 744, permille: 995))
    #expect(rendered(outcome) == rendered(try await memory.simulate(scenario)))
    // A second run starts again from nothing.
    _ = try await watched.simulate(scenario)
    #expect(progress.snapshot.events == 744)
}
