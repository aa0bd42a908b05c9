import BillingCore
import BillingDocument
import BillingScenario
import Foundation
import Testing

/// `customers: - generate:`, `subscriptions: - generate:`, distributions and `variants:`.
struct PopulationTests {
    static func population(count: Int, extraCustomers: String = "", plans: String? = nil, variants: String = "") -> String {
        """
        name: population
        clock: { start: 2026-01-01, until: 2026-02-01T02:00:00Z }
        meters:
          - { id: mtr_tokens, display_name: Tokens, event_name: tokens, default_aggregation: { formula: sum } }
        products:
          - { id: prod_seat, name: Seat }
        prices:
          - { id: price_seat, product: prod_seat, currency: usd, unit_amount: 1500, recurring: { interval: month } }
          - { id: price_seat_eur, product: prod_seat, currency: eur, unit_amount: 1500, recurring: { interval: month } }
          - { id: price_tokens, product: prod_seat, currency: usd, unit_amount: 2, recurring: { interval: month, usage_type: metered, meter: mtr_tokens } }
        customers:
          - generate: { count: \(count), id: "cus_{n}", currency: usd, without_payment_method: 10%, seed: 7 }
        \(extraCustomers)
        subscriptions:
          - generate:
              customers: generated
              created: { from: 2026-01-01, to: 2026-01-15 }
              plans: \(plans ?? "[{ weight: 70, items: [{ price: price_seat, quantity: 1 }] }, { weight: 30, items: [{ price: price_seat, quantity: { kind: uniform, min: 2, max: 20 } }, { price: price_tokens }] }]")
              seed: 7
        \(variants)
        """
    }

    @Test func customersAreNumberedPaddedAndSeeded() throws {
        let scenario = try loaded(Self.population(count: 120))
        let customers = scenario.simulation.customers
        #expect(customers.count == 120)
        #expect(customers.first?.id == "cus_001" && customers.last?.id == "cus_120")
        #expect(customers.allSatisfy { $0.currency == Currency(code: "usd") })
        // 10 % without a payment method: some, not most (seeded, so this count is fixed for seed 7).
        let without = customers.filter { $0.defaultPaymentMethod == nil }.count
        #expect(without > 0 && without < 30)
        let again = try loaded(Self.population(count: 120))
        #expect(again.simulation.customers == customers)
        #expect(again.simulation.subscriptions == scenario.simulation.subscriptions)
    }

    /// Adding customers never changes the draws of the ones before (each is keyed by its own id).
    @Test func addingCustomersKeepsTheOthersDraws() throws {
        let small = try loaded(Self.population(count: 50)).simulation
        let large = try loaded(Self.population(count: 80)).simulation
        // Widths differ (2 vs 2 digits): same ids, same draws.
        #expect(Array(large.customers.prefix(50)) == small.customers)
        #expect(Array(large.subscriptions.prefix(50)) == small.subscriptions)
    }

    @Test func subscriptionsFollowThePlansAndRange() throws {
        let subscriptions = try loaded(Self.population(count: 400)).simulation.subscriptions
        #expect(subscriptions.count == 400)
        #expect(subscriptions[0].id == "sub_cus_001" && subscriptions[0].items[0].id == "si_sub_cus_001_0")
        let jan1 = Instant(year: 2026, month: 1, day: 1)
        let jan15 = Instant(year: 2026, month: 1, day: 15)
        #expect(subscriptions.allSatisfy { $0.created >= jan1 && $0.created < jan15 })
        let teams = subscriptions.filter { $0.items.count == 2 }
        // 30 % of 400 = 120 expected; a seeded draw lands near it.
        #expect(teams.count > 80 && teams.count < 160)
        #expect(teams.allSatisfy { (2...20).contains($0.items[0].quantity) })
        #expect(subscriptions.filter { $0.items.count == 1 }.allSatisfy { $0.items[0].quantity == 1 })
    }

    @Test func distributionsAreSeededAndRounded() throws {
        let plans = "[{ items: [{ price: price_seat, quantity: { kind: lognormal, median: 5, sigma: 1 } }] }]"
        let subscriptions = try loaded(Self.population(count: 300, plans: plans)).simulation.subscriptions
        let quantities = subscriptions.map { $0.items[0].quantity }.sorted()
        #expect(quantities.allSatisfy { $0 >= 0 })
        // The median of a lognormal with median 5 is 5; 300 draws land close.
        #expect((3...7).contains(quantities[150]))
        for kind in [
            "{ kind: normal, mean: 10, sd: 2 }", "{ kind: pareto, scale: 2, alpha: 1.5 }", "{ kind: choice, values: [1, 5], weights: [1, 3] }",
        ] {
            let scenario = try loaded(Self.population(count: 50, plans: "[{ items: [{ price: price_seat, quantity: \(kind) }] }]"))
            #expect(scenario.simulation.subscriptions.count == 50)
        }
        let choice = try loaded(
            Self.population(count: 200, plans: "[{ items: [{ price: price_seat, quantity: { kind: choice, values: [1, 5], weights: [1, 3] } }] }]"))
        #expect(Set(choice.simulation.subscriptions.map { $0.items[0].quantity }) == [1, 5])
    }

    @Test func populationProblemsPointAtTheFile() {
        let badPattern = Self.population(count: 5).replacingOccurrences(of: "id: \"cus_{n}\"", with: "id: cus_x")
        #expect(
            diagnostics(badPattern).map(\.message) == ["customers[0].generate.id: expected an id pattern with {n} (like cus_{n}), found \"cus_x\""])
        let eur = "[{ items: [{ price: price_seat_eur }] }]"
        let messages = diagnostics(Self.population(count: 5, plans: eur)).map(\.message)
        #expect(messages.count == 1 && messages[0].contains("pay in another currency (first: cus_1)"))
        let unknown = "[{ items: [{ price: price_nope }] }]"
        let located = diagnostics(Self.population(count: 5, plans: unknown))
        #expect(
            located.map(\.message) == [
                "subscriptions[0].generate.plans[0].items[0].price: no price `price_nope` (prices: price_seat, price_seat_eur, price_tokens)"
            ])
        #expect(located.first?.location.line == line(of: "plans:", in: Self.population(count: 5, plans: unknown)))
    }

    @Test func variantsPatchPricesAndSettings() throws {
        let variants = """
            variants:
              - name: dearer
                prices:
                  - { id: price_seat, product: prod_seat, currency: usd, unit_amount: 1800, recurring: { interval: month } }
              - name: swapped
                replace_prices: { price_tokens: price_tokens_2 }
                prices:
                  - { id: price_tokens_2, product: prod_seat, currency: usd, unit_amount: 1, recurring: { interval: month, usage_type: metered, meter: mtr_tokens } }
                settings: { billing_mode: classic }
            """
        let scenario = try loaded(Self.population(count: 20, variants: variants))
        #expect(scenario.variants.map(\.name) == ["dearer", "swapped"])
        #expect(scenario.variants[0].simulation.catalog.price("price_seat")?.scheme != scenario.simulation.catalog.price("price_seat")?.scheme)
        let swapped = scenario.variants[1].simulation
        #expect(swapped.subscriptions.allSatisfy { !$0.items.contains { $0.price == "price_tokens" } })
        #expect(swapped.subscriptions.contains { $0.items.contains { $0.price == "price_tokens_2" } })
        #expect(swapped.subscriptions.allSatisfy { $0.billingMode == .classic })
        #expect(scenario.simulation.subscriptions.allSatisfy { $0.billingMode == .flexible })
    }

    @Test func variantProblemsPointAtTheFile() {
        let yaml = Self.population(
            count: 3,
            variants: """
                variants:
                  - name: broken
                    replace_prices: { price_nope: price_seat, price_seat: price_seat_eur }
                expect:
                  variants:
                    missing: { total: 1 }
                """)
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "variants[0].replace_prices: no price `price_nope` (prices: price_seat, price_seat_eur, price_tokens)",
                "variants[0].replace_prices.price_seat: price `price_seat_eur` is in eur, but `price_seat` it replaces is in usd",
                "expect.variants: no variant is named `missing` (variants: broken)",
            ])
        #expect(found.first?.location.line == line(of: "price_nope", in: yaml))
        #expect(found.first?.location.column == column(of: "price_nope", in: yaml))
    }

    static func usage(rate: String) -> String {
        population(count: 100).replacingOccurrences(
            of: "subscriptions:\n",
            with: """
                usage:
                  - generate:
                      event_name: tokens
                      customers: all
                      from: 2026-01-01
                      to: 2026-01-08
                      arrivals: { kind: poisson, rate: \(rate) }
                      value: { kind: constant, value: "1" }
                      seed: 3
                subscriptions:

                """)
    }

    static func eventsPerCustomer(_ scenario: Scenario) throws -> [String: Int] {
        var source = try UsageSources.open(scenario.usage).get()
        var counts: [String: Int] = [:]
        while let event = try source.next() { counts[event.payload["stripe_customer_id"] ?? "", default: 0] += 1 }
        return counts
    }

    /// `rate: { kind: lognormal, … }`: each customer's rate is drawn once, so heavy and light users differ.
    @Test func aRateDrawnPerCustomer() throws {
        let counts = try Self.eventsPerCustomer(try loaded(Self.usage(rate: "{ kind: lognormal, median: 4/h, sigma: 1.5 }")))
        let sorted = counts.values.sorted()
        // 7 days at a median of 4/h is 672 events for the median customer; sigma 1.5 spreads them by e^1.5 ≈ 4.5 each way.
        #expect((400...1100).contains(sorted[sorted.count / 2]))
        #expect(sorted.last! > 5 * sorted[sorted.count / 2] / 2 && sorted.first! < 2 * sorted[sorted.count / 2] / 5)
        #expect(try Self.eventsPerCustomer(try loaded(Self.usage(rate: "{ kind: lognormal, median: 4/h, sigma: 1.5 }"))) == counts)
        // A rate drawn at 0: that customer sends nothing.
        let choice = try Self.eventsPerCustomer(try loaded(Self.usage(rate: "{ kind: choice, values: [0/h, 10/d] }")))
        #expect(choice.count > 20 && choice.count < 80)
        #expect(choice.values.allSatisfy { (40...110).contains($0) })
        // A fixed rate draws no rate: the stream is what it was before rates could vary.
        let fixed = try Self.eventsPerCustomer(try loaded(Self.usage(rate: "4/h")))
        #expect(fixed.count == 100)
    }

    @Test func aRateDistributionProblemPointsAtIt() {
        let missing = diagnostics(Self.usage(rate: "{ kind: lognormal, median: 4/h }"))
        #expect(missing.map(\.message) == ["usage[0].generate.arrivals.rate: lognormal: missing `sigma`"])
        let badUnit = diagnostics(Self.usage(rate: "{ kind: lognormal, median: 4/fortnight, sigma: 1 }"))
        #expect(badUnit.map(\.message) == ["usage[0].generate.arrivals.rate: expected events per unit like 12/h, found \"4/fortnight\""])
    }
}
