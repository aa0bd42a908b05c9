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
    /// How many re-rated variants run at once, each over its own store: more than 1 only for a store
    /// factory whose stores are independent (the memory store; SQLite and PostgreSQL reuse one file or server).
    let concurrency: Int

    public init(runner: ScenarioRunner, rerates: Bool = true, concurrency: Int = 1) {
        self.runner = runner
        self.rerates = rerates
        self.concurrency = max(1, concurrency)
    }

    /// The variants `compare` runs, in order, and whether each is re-rated from the base's usage (else run whole).
    public func plan(_ scenario: Scenario, selected: [String] = []) -> [(variant: ScenarioVariant, rerated: Bool)] {
        scenario.variants.filter { selected.isEmpty || selected.contains($0.name) }.map { variant in
            (variant, rerates && ReceivedUsage.rerates(variant.simulation, from: scenario.simulation))
        }
    }

    /// `selected`: variant names to run (all when empty); they must exist (the caller checks with ``unknown(_:in:)``).
    /// `finished` is told after each run how many events it read: the base and the re-rated variants of
    /// ``plan(_:selected:)`` (``concurrency`` at a time, none reading an event; they start as soon as the base has
    /// received its last event, so they may end before it), then the others, one after another.
    /// The comparison lists the variants in the scenario's order whatever order they ran in.
    public func compare(
        _ scenario: Scenario, selected: [String] = [], finished: @escaping @Sendable (_ events: Int) -> Void = { _ in }
    ) async throws -> Comparison {
        let customers = CustomerOrder(scenario.simulation.customers.map(\.id))
        let planned = plan(scenario, selected: selected)
        // Each variant's revenue is worked out where it ran (side by side for the re-rated ones).
        @Sendable func revenue(_ variant: ScenarioVariant, _ outcome: SimulationOutcome) throws -> PlanRevenue {
            try PlanRevenue(
                name: variant.name, description: variant.description, invoices: outcome.invoices, customers: customers,
                catalog: variant.simulation.catalog, differences: [])
        }
        // The re-rated variants run while the base finishes the work it has after its last event (renewals,
        // finalizations): its usage is final by then (``ScenarioRunner/simulateKeepingUsage(_:allReceived:)``).
        let (received, receiving) = AsyncStream<ReceivedUsage>.makeStream()
        async let reratedPlans = rerated(planned, over: received, finished: finished, revenue: revenue)
        let baseOutcome: SimulationOutcome
        do {
            baseOutcome = try await runner.simulateKeepingUsage(scenario) { usage in
                receiving.yield(usage)
                receiving.finish()
            }.outcome
        } catch {
            receiving.finish()
            throw error
        }
        finished(baseOutcome.usage.received)
        let base = try PlanRevenue(
            name: "base", description: scenario.description, invoices: baseOutcome.invoices, customers: customers,
            catalog: scenario.simulation.catalog,
            differences: ScenarioRunner.check(scenario.expectation, against: baseOutcome, catalog: scenario.simulation.catalog))
        var plans = try await reratedPlans
        for (index, (variant, rerated)) in planned.enumerated() where !rerated {
            let outcome = try await runWhole(variant, of: scenario)
            finished(outcome.usage.received)
            plans[index] = try revenue(variant, outcome)
        }
        let variants = try planned.indices.map { index in
            guard let plan = plans[index] else { throw ComparisonError(description: "variant \(planned[index].variant.name) did not run") }
            var comparison = try VariantComparison(plan, against: base)
            let expected = scenario.expectation.variants.first { $0.name == planned[index].variant.name }
            comparison.plan.differences = expected.map { Self.check($0, plan) } ?? []
            return comparison
        }
        // From each plan's own: gathered from its invoices, all plans' joined, they were copied (80,000 for the bench's comparison).
        let currencies = Set(([base] + variants.map(\.plan)).flatMap(\.currencies))
        guard currencies.count <= 1 else {
            throw ComparisonError(
                description:
                    "the invoices are in \(currencies.sorted().map(\.code).joined(separator: ", ")): a comparison adds totals, so it takes one currency"
            )
        }
        let currency = currencies.first ?? scenario.simulation.catalog.prices.first?.currency ?? Currency(code: "usd")!
        return Comparison(path: scenario.path, name: scenario.name, currency: currency, base: base, variants: variants)
    }

    /// The re-rated variants of `planned` priced (`revenue`), by position (the others `nil`), ``concurrency`` at a
    /// time, over the usage `received` gives first (none when it gives none: the base failed); each is told to
    /// `finished` as it ends.
    func rerated(
        _ planned: [(variant: ScenarioVariant, rerated: Bool)], over received: AsyncStream<ReceivedUsage>,
        finished: @escaping @Sendable (_ events: Int) -> Void, revenue: @escaping @Sendable (ScenarioVariant, SimulationOutcome) throws -> PlanRevenue
    ) async throws -> [PlanRevenue?] {
        var plans = [PlanRevenue?](repeating: nil, count: planned.count)
        var waiting = planned.indices.filter { planned[$0].rerated }[...]
        guard !waiting.isEmpty else { return plans }
        var usages = received.makeAsyncIterator()
        guard let usage = await usages.next() else { return plans }
        let runner = runner
        try await withThrowingTaskGroup(of: (Int, PlanRevenue).self) { group in
            var running = 0
            while running > 0 || !waiting.isEmpty {
                while running < concurrency, let index = waiting.popFirst() {
                    let variant = planned[index].variant
                    group.addTask { (index, try revenue(variant, try await runner.rerate(variant.simulation, over: usage))) }
                    running += 1
                }
                guard let (index, plan) = try await group.next() else { break }
                running -= 1
                plans[index] = plan
                finished(0)
            }
        }
        return plans
    }

    /// The variant run as the whole scenario with its patch (its streams reopened).
    func runWhole(_ variant: ScenarioVariant, of scenario: Scenario) async throws -> SimulationOutcome {
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
