import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import InvoiceDiff

/// Runs a scenario's base and variants and compares them.
///
/// The base runs over the scenario's usage and keeps it (``ReceivedUsage``); each variant whose
/// meters, customers, event window and clock are the base's is re-rated from it: only its rating and
/// invoicing run, over the aggregates of the events the base had received at each instant. Any other
/// variant runs as the whole scenario with its patch (its streams are reopened, so generated and file
/// usage is the same event for event). Both give the same invoices (README, "What-if").
public struct CompareRunner: Sendable {
    let runner: ScenarioRunner
    /// Whether a variant that fits the base's usage is re-rated from it (else every variant runs whole, as before re-rating: `billsim bench` measures both).
    let rerates: Bool

    public init(runner: ScenarioRunner, rerates: Bool = true) {
        self.runner = runner
        self.rerates = rerates
    }

    /// The variants `compare` runs, in order, and whether each is re-rated from the base's usage (else run whole).
    public func plan(_ scenario: Scenario, selected: [String] = []) -> [(variant: ScenarioVariant, rerated: Bool)] {
        scenario.variants.filter { selected.isEmpty || selected.contains($0.name) }.map { variant in
            (variant, rerates && ReceivedUsage.rerates(variant.simulation, from: scenario.simulation))
        }
    }

    /// `selected`: variant names to run (all when empty); they must exist (the caller checks with ``unknown(_:in:)``).
    /// `finished` is told after each run (the base, then each variant of ``plan(_:selected:)``) how many events it read.
    public func compare(
        _ scenario: Scenario, selected: [String] = [], finished: @Sendable (_ events: Int) -> Void = { _ in }
    ) async throws -> Comparison {
        let customers = scenario.simulation.customers.map(\.id)
        let (baseOutcome, usage) = try await runner.simulateKeepingUsage(scenario)
        finished(baseOutcome.usage.received)
        let base = try PlanRevenue(
            name: "base", description: scenario.description, invoices: baseOutcome.invoices, customers: customers,
            catalog: scenario.simulation.catalog,
            differences: ScenarioRunner.check(scenario.expectation, against: baseOutcome, catalog: scenario.simulation.catalog))
        var variants: [VariantComparison] = []
        for (variant, rerated) in plan(scenario, selected: selected) {
            let outcome = try await run(variant, of: scenario, over: usage, rerated: rerated)
            finished(rerated ? 0 : outcome.usage.received)
            let expected = scenario.expectation.variants.first { $0.name == variant.name }
            let plan = try PlanRevenue(
                name: variant.name, description: variant.description, invoices: outcome.invoices, customers: customers,
                catalog: variant.simulation.catalog, differences: [])
            var comparison = try VariantComparison(plan, against: base)
            comparison.plan.differences = expected.map { Self.check($0, plan) } ?? []
            variants.append(comparison)
        }
        let currencies = Set((base.invoices + variants.flatMap(\.plan.invoices)).map(\.currency))
        guard currencies.count <= 1 else {
            throw ComparisonError(
                description:
                    "the invoices are in \(currencies.sorted().map(\.code).joined(separator: ", ")): a comparison adds totals, so it takes one currency"
            )
        }
        let currency = currencies.first ?? scenario.simulation.catalog.prices.first?.currency ?? Currency(code: "usd")!
        return Comparison(path: scenario.path, name: scenario.name, currency: currency, base: base, variants: variants)
    }

    /// The variant re-rated from the base's usage (`rerated`, which implies it fits), else run whole.
    func run(_ variant: ScenarioVariant, of scenario: Scenario, over usage: ReceivedUsage, rerated: Bool) async throws -> SimulationOutcome {
        if rerated { return try await runner.rerate(variant.simulation, over: usage) }
        var patched = scenario
        patched.simulation = variant.simulation
        return try await runner.simulate(patched)
    }

    /// The names in `selected` that are not variants of `scenario`.
    public static func unknown(_ selected: [String], in scenario: Scenario) -> [String] {
        selected.filter { name in !scenario.variants.contains { $0.name == name } }
    }

    /// `expect.variants.<name>` against what the variant produced.
    static func check(_ expected: VariantExpectation, _ plan: PlanRevenue) -> [Difference] {
        var differences: [Difference] = []
        let path = "variants.\(expected.name)"
        if let total = expected.total, total != plan.total {
            let currency = plan.invoices.first?.currency
            differences.append(
                Difference(
                    path: "\(path).total", expected: currency?.describe(total) ?? "\(total)",
                    actual: currency?.describe(plan.total) ?? "\(plan.total)",
                    location: expected.location))
        }
        if let count = expected.invoiceCount, count != plan.invoices.count {
            differences.append(
                Difference(path: "\(path).invoice_count", expected: "\(count)", actual: "\(plan.invoices.count)", location: expected.location))
        }
        if let invoices = expected.invoices {
            differences += InvoiceDiff.compare(invoices: invoices, with: plan.invoices, catalog: plan.catalog, path: "\(path).invoices")
        }
        return differences
    }
}
