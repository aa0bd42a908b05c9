import BillingCompare
import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let whatif = root.appendingPathComponent("Scenarios/whatif")
private let memory = CompareRunner(runner: ScenarioRunner(makeStore: { InMemoryBillingStore() }))

private func load(_ path: String) throws -> Scenario {
    try ScenarioLoader.load(path: path).get()
}

struct ComparisonTests {
    /// Revenue is what the invoices total, whatever adjusts them: for every bundled scenario with discounts,
    /// billing credits, taxes, balances or payments (compared with no variant), a plan's total and each
    /// customer's are the sums of the invoices' `total` (before the fix, billing credits were left out).
    @Test func revenueIsTheInvoicesTotalsWithEveryAdjustment() async throws {
        let files = ScenarioRunner.discover(["Scenarios/invoices", "Scenarios/payments"].map { root.appendingPathComponent($0).path })
        #expect(files.count >= 39)
        for file in files {
            var scenario = try load(file)
            scenario.variants = []
            let base = try await memory.compare(scenario).base
            #expect(base.total == base.invoices.reduce(0) { $0 + $1.total }, "\(file)")
            var byCustomer: [String: Int64] = [:]
            for invoice in base.invoices { byCustomer[invoice.customer, default: 0] += invoice.total }
            #expect(base.perCustomer.allSatisfy { byCustomer[$0.customer, default: 0] == $0.total }, "\(file)")
        }
    }

    /// Every bundled what-if scenario: each plan's total is the sum of its per-customer totals, which are
    /// the sums of that customer's invoice totals; and every pinned expectation holds.
    @Test func totalsAreTheSumsOfPerCustomerInvoices() async throws {
        let files = ScenarioRunner.discover([whatif.path])
        #expect(files.count >= 5)
        for file in files {
            let comparison = try await memory.compare(try load(file))
            #expect(comparison.differences.isEmpty, "\(file): \(comparison.differences)")
            #expect(!comparison.variants.isEmpty, "\(file)")
            for plan in [comparison.base] + comparison.variants.map(\.plan) {
                var byCustomer: [String: Int64] = [:]
                for invoice in plan.invoices { byCustomer[invoice.customer, default: 0] += invoice.total }
                #expect(plan.perCustomer.allSatisfy { byCustomer[$0.customer, default: 0] == $0.total }, "\(file) \(plan.name)")
                #expect(plan.perCustomer.reduce(0) { $0 + $1.total } == plan.total)
                #expect(plan.invoices.reduce(0) { $0 + $1.total } == plan.total)
                #expect(plan.byPeriod.reduce(0) { $0 + $1.amount } == plan.total)
                #expect(plan.byPrice.reduce(0) { $0 + $1.amount } == plan.total)
            }
            for variant in comparison.variants {
                #expect(variant.delta == variant.plan.total - comparison.base.total)
                #expect(variant.deltas.payMore + variant.deltas.payLess + variant.deltas.paySame == comparison.base.perCustomer.count)
            }
        }
    }

    /// The cheaper-overage figures, by hand (see the scenario's comment): -31000, -27.68 %, deltas 0, -8000, -23000.
    @Test func cheaperOverageFigures() async throws {
        let comparison = try await memory.compare(try load(whatif.appendingPathComponent("cheaper-overage.yaml").path))
        #expect(comparison.base.total == 112_000)
        let variant = try #require(comparison.variants.first)
        #expect(variant.plan.total == 81_000 && variant.delta == -31_000 && variant.basisPoints == -2768)
        #expect(variant.deltas.min == -23_000 && variant.deltas.median == -8_000 && variant.deltas.max == 0)
        #expect(variant.deltas.payLess == 2 && variant.deltas.paySame == 1 && variant.deltas.payMore == 0)
        #expect(variant.decreases.map(\.customer) == ["cus_heavy", "cus_mid"])
        #expect(variant.increases.isEmpty)
    }

    /// A failed variant expectation is a difference (exit 1), located at its key.
    @Test func aWrongVariantTotalFails() async throws {
        var scenario = try load(whatif.appendingPathComponent("seat-price-rise.yaml").path)
        scenario.expectation.variants[0].total = 97_201
        let comparison = try await memory.compare(scenario)
        #expect(comparison.exitCode == 1)
        #expect(comparison.differences.map(\.path) == ["variants.seats_up.total"])
    }

    /// Same file and seed → byte-identical text and JSON.
    @Test func sameSeedSameOutput() async throws {
        let file = whatif.appendingPathComponent("generated-population.yaml").path
        let first = try await memory.compare(try load(file))
        let second = try await memory.compare(try load(file))
        #expect(first.text == second.text)
        #expect(first.document.json(pretty: true) == second.document.json(pretty: true))
        #expect(first.base.perCustomer.count == 200)
    }

    /// 100,000 generated customers with subscriptions load in bounded time (figures in the README).
    @Test func aLargePopulationLoadsQuickly() throws {
        let yaml = """
            name: big
            clock: { start: 2026-01-01, until: 2026-02-01T02:00:00Z }
            products: [{ id: prod_seat, name: Seat }]
            prices:
              - { id: price_seat, product: prod_seat, currency: usd, unit_amount: 1500, recurring: { interval: month } }
            customers:
              - generate: { count: 100000, currency: usd, without_payment_method: 5%, seed: 7 }
            subscriptions:
              - generate:
                  customers: generated
                  created: { from: 2026-01-01, to: 2026-01-20 }
                  plans: [{ items: [{ price: price_seat, quantity: { kind: lognormal, median: 3, sigma: 1 } }] }]
                  seed: 7
            """
        let clock = ContinuousClock()
        let start = clock.now
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "big.yaml").get()
        let elapsed = clock.now - start
        #expect(scenario.simulation.customers.count == 100_000 && scenario.simulation.subscriptions.count == 100_000)
        #expect(elapsed < .seconds(60), "loading 100,000 customers took \(elapsed)")
    }
}
