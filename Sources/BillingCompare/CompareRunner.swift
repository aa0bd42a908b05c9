import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import InvoiceDiff

/// Runs a scenario's base and variants and compares them.
///
/// Each variant runs as the whole scenario with its patch, over the same usage (its streams are
/// reopened, so generated and file usage is the same event for event). Correct first: the usage is
/// ingested once per plan, not once for all (README, "What-if": the speed target is not reached yet).
public struct CompareRunner: Sendable {
    let runner: ScenarioRunner

    public init(runner: ScenarioRunner) { self.runner = runner }

    /// `selected`: variant names to run (all when empty); they must exist (the caller checks with ``unknown(_:in:)``).
    public func compare(_ scenario: Scenario, selected: [String] = []) async throws -> Comparison {
        let customers = scenario.simulation.customers.map(\.id)
        let baseOutcome = try await runner.simulate(scenario)
        let base = try PlanRevenue(
            name: "base", description: scenario.description, invoices: baseOutcome.invoices, customers: customers,
            catalog: scenario.simulation.catalog, differences: ScenarioRunner.check(scenario.expectation, against: baseOutcome))
        var variants: [VariantComparison] = []
        for variant in scenario.variants where selected.isEmpty || selected.contains(variant.name) {
            var patched = scenario
            patched.simulation = variant.simulation
            let outcome = try await runner.simulate(patched)
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
            differences += InvoiceDiff.compare(invoices: invoices, with: plan.invoices.map(InvoiceDocument.document), path: "\(path).invoices")
        }
        return differences
    }
}
