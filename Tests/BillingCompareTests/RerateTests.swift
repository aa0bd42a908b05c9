import BillingCompare
import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import Foundation
import Testing

private let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
private let runner = ScenarioRunner(makeStore: { InMemoryBillingStore() })

/// What a run produced that a comparison or a check can read, compared whole (the usage report aside:
/// a re-rated variant reports the base's).
private func expectSame(_ rerated: SimulationOutcome, _ whole: SimulationOutcome, _ context: String) {
    #expect(rerated.invoices == whole.invoices, "\(context): invoices")
    #expect(rerated.previews == whole.previews, "\(context): previews")
    #expect(rerated.subscriptions == whole.subscriptions, "\(context): subscriptions")
    #expect(rerated.customers == whole.customers, "\(context): customers")
}

/// The scenario with its simulation replaced by `simulation` (a variant run whole, as `billsim compare` did before re-rating).
private func patched(_ scenario: Scenario, _ simulation: Simulation) -> Scenario {
    var scenario = scenario
    scenario.simulation = simulation
    return scenario
}

/// The usages a run told (``ScenarioRunner/simulateKeepingUsage(_:allReceived:)``), in order.
private final class Told: @unchecked Sendable {
    private let lock = NSLock()
    private var told: [ReceivedUsage] = []

    var usages: [ReceivedUsage] { lock.withLock { told } }
    @Sendable func add(_ usage: ReceivedUsage) { lock.withLock { told.append(usage) } }
}

/// Re-rating a variant from the base's usage gives what running the variant whole gives.
struct RerateTests {
    /// Every bundled what-if scenario: each variant keeps the meters (its patches change prices, price
    /// replacements and settings), so it is re-rated; its outcome, and the whole comparison's text and
    /// JSON, are those of running each variant on its own.
    @Test func everyBundledVariantReratesToTheSameResult() async throws {
        let files = ScenarioRunner.discover([root.appendingPathComponent("Scenarios/whatif").path])
        #expect(files.count >= 5)
        for file in files {
            let scenario = try ScenarioLoader.load(path: file).get()
            let (_, usage) = try await runner.simulateKeepingUsage(scenario)
            for variant in scenario.variants {
                #expect(usage.fits(variant.simulation), "\(file) \(variant.name)")
                // What billsim compare plans before the base runs (its progress line weighs runs by it) agrees.
                #expect(ReceivedUsage.rerates(variant.simulation, from: scenario.simulation), "\(file) \(variant.name)")
                let rerated = try await runner.rerate(variant.simulation, over: usage)
                let whole = try await runner.simulate(patched(scenario, variant.simulation))
                expectSame(rerated, whole, "\(file) \(variant.name)")
            }
            let fast = try await CompareRunner(runner: runner).compare(scenario)
            let slow = try await CompareRunner(runner: runner, rerates: false).compare(scenario)
            #expect(fast.text == slow.text, "\(file)")
            #expect(fast.document.json(pretty: true) == slow.document.json(pretty: true), "\(file)")
            // Re-rated variants side by side (each over its own store) give the same comparison, in the scenario's order.
            let sideBySide = try await CompareRunner(runner: runner, concurrency: 3).compare(scenario)
            #expect(sideBySide.text == fast.text, "\(file)")
            #expect(sideBySide.document.json(pretty: true) == fast.document.json(pretty: true), "\(file)")
            #expect(sideBySide.variants.map(\.plan.name) == scenario.variants.map(\.name), "\(file)")
        }
    }

    /// Every bundled scenario that runs, re-rated from its own usage, gives its own outcome: late events
    /// (received after the period's invoice was drafted or finalized), `last` and `count` meters,
    /// duplicates, rejected events, events after `clock.until`, previews mid-period and timeline changes
    /// all read the usage that had been received at each instant, no more.
    ///
    /// The usage told as soon as it is final (the last event received, maybe before the run's last work,
    /// as `billsim compare` starts its variants) is told once and re-rates the same, with the same report.
    @Test func everyScenarioReratedFromItsOwnUsageIsItself() async throws {
        var rerated = 0
        for file in ScenarioRunner.discover([root.appendingPathComponent("Scenarios").path]) {
            let told = Told()
            guard case .success(let scenario) = ScenarioLoader.load(path: file),
                let (base, usage) = try? await runner.simulateKeepingUsage(scenario, allReceived: told.add),
                usage.fits(scenario.simulation)  // not with billing thresholds (checked as events are received)
            else { continue }
            expectSame(try await runner.rerate(scenario.simulation, over: usage), base, file)
            let early = told.usages
            #expect(early.count == 1, "\(file)")
            if let first = early.first {
                expectSame(try await runner.rerate(scenario.simulation, over: first), base, "\(file), as told")
                #expect(first.report == usage.report, "\(file)")
            }
            rerated += 1
        }
        #expect(rerated >= 50)
    }

    /// Late events: re-rating must not read an event before the clock received it. The second event of
    /// January arrives on Feb 3 (within the 35-day window), after the Feb 1 renewal drafted January's
    /// usage and after its finalization at 01:00: January's invoice bills 100 tokens only (100 × 2 = 200),
    /// the late 50 are billed nowhere; reading every event would bill 150 (300). The subscription is
    /// flexible with metered items only, so it has no first invoice (Docs/ENGINE-RULES.md, "Subscriptions and invoices"):
    /// one invoice in all.
    @Test func aLateEventIsNotReadBeforeItArrives() async throws {
        let yaml = """
            name: late
            clock: { start: 2026-01-01, until: 2026-02-10 }
            meters: [{ id: mtr, event_name: tokens, default_aggregation: { formula: sum } }]
            products: [{ id: prod, name: Tokens }]
            prices:
              - { id: price_tokens, product: prod, currency: usd, unit_amount: 2, recurring: { interval: month, usage_type: metered, meter: mtr } }
            customers: [{ id: cus_a, currency: usd, invoice_settings: { default_payment_method: pm_card_visa } }]
            subscriptions: [{ id: sub_a, customer: cus_a, items: [{ price: price_tokens }] }]
            usage:
              - events:
                  - { event_name: tokens, timestamp: 2026-01-10T00:00:00Z, payload: { stripe_customer_id: cus_a, value: "100" } }
                  - { event_name: tokens, timestamp: 2026-01-20T00:00:00Z, received_at: 2026-02-03T00:00:00Z, payload: { stripe_customer_id: cus_a, value: "50" } }
            variants:
              - name: dearer
                prices:
                  - { id: price_tokens, product: prod, currency: usd, unit_amount: 3, recurring: { interval: month, usage_type: metered, meter: mtr } }
            """
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "late.yaml").get()
        let (base, usage) = try await runner.simulateKeepingUsage(scenario)
        #expect(base.invoices.map(\.total) == [200])
        let variant = try #require(scenario.variants.first)
        let rerated = try await runner.rerate(variant.simulation, over: usage)
        // The variant at 3 a token: 100 × 3 = 300 (not 150 × 3 = 450).
        #expect(rerated.invoices.map(\.total) == [300])
        expectSame(rerated, try await runner.simulate(patched(scenario, variant.simulation)), "late")
    }

    /// A variant that changes the meters, the customers, the event window or the clock does not fit the
    /// base's usage: `billsim compare` runs it whole, and its result is still that of running it alone.
    @Test func aVariantThatChangesWhatIsReceivedRunsWhole() async throws {
        let file = root.appendingPathComponent("Scenarios/whatif/cheaper-overage.yaml").path
        let scenario = try ScenarioLoader.load(path: file).get()
        let (_, usage) = try await runner.simulateKeepingUsage(scenario)
        var countMeter = scenario.simulation
        var meters = countMeter.catalog.meters
        meters[0].formula = .count
        countMeter.catalog = Catalog(meters: meters, products: countMeter.catalog.products, prices: countMeter.catalog.prices)
        var oneCustomerFewer = scenario.simulation
        oneCustomerFewer.customers.removeLast()
        oneCustomerFewer.subscriptions.removeLast()
        var narrowWindow = scenario.simulation
        narrowWindow.settings.eventWindow = EventWindow(past: .days(1))
        var shorterClock = scenario.simulation
        shorterClock.clockUntil = Instant(year: 2026, month: 1, day: 15)
        // Thresholds are checked as events are received: a variant with one runs whole.
        var threshold = scenario.simulation
        threshold.subscriptions[0].billingMode = .classic
        threshold.subscriptions[0].billingThresholds = BillingThresholds(amountGTE: 5_000, resetBillingCycleAnchor: false)
        let changed = [
            ("count_meter", countMeter), ("fewer_customers", oneCustomerFewer), ("narrow_window", narrowWindow), ("shorter_clock", shorterClock),
            ("threshold", threshold),
        ]
        var extended = scenario
        for (name, simulation) in changed {
            #expect(!usage.fits(simulation), "\(name)")
            #expect(!ReceivedUsage.rerates(simulation, from: scenario.simulation), "\(name)")
            #expect(throws: EngineError.self) { try BillingEngine(simulation: simulation, store: InMemoryBillingStore(), rerating: usage) }
            extended.variants.append(ScenarioVariant(name: name, description: "", simulation: simulation, location: scenario.variants[0].location))
        }
        extended.expectation.variants = []
        let fast = try await CompareRunner(runner: runner).compare(extended)
        let slow = try await CompareRunner(runner: runner, rerates: false).compare(extended)
        #expect(fast.text == slow.text)
        #expect(fast.variants.map(\.plan.invoices) == slow.variants.map(\.plan.invoices))
        // The count meter bills 1 and 2 events, not 500 to 12,000 tokens: it did run over its own meters.
        let counted = try #require(fast.variants.first { $0.plan.name == "count_meter" })
        #expect(counted.plan.total == 60_000)
    }
}
