import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

/// `tax_rates`, `default_tax_rates`, items' `tax_rates` (Docs/ENGINE-RULES.md, "Taxes"): each bad input
/// is one diagnostic at its line and column.
@Suite struct TaxRateLoading {
    /// The seed with `rates` as its first section (so `tax_rates:` is line 1 and the first rate line 2),
    /// and `subscription` fields on sub_john.
    func yaml(rates: String, subscription: String = "") -> String {
        "tax_rates:\n" + rates
            + seed.replacingOccurrences(of: "    customer: cus_john\n", with: "    customer: cus_john\n\(subscription)")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var rates = "  - { id: txr_x, percentage: 5 }\n"
        var subscription = ""
        /// The diagnostic as printed: `file:line:col: error: message` (columns counted by hand).
        var header: String
        var testDescription: String { header }
    }

    @Test(arguments: [
        // "  - { id: txr_x, percentage: " is 29 characters: the value starts at column 30.
        Bad(
            rates: "  - { id: txr_x, percentage: 100.5 }\n",
            header: "Scenarios/test/seed.yaml:2:30: error: tax_rates[0].percentage: a tax rate's percentage is at most 100 (found \"100.5\")"),
        Bad(
            rates: "  - { id: txr_x, percentage: 8.87501 }\n",
            header:
                "Scenarios/test/seed.yaml:2:30: error: tax_rates[0].percentage: a tax rate's percentage has at most 4 decimals, as Stripe's (found \"8.87501\")"
        ),
        Bad(
            rates: "  - { id: txr_x, percentage: -5 }\n",
            header: "Scenarios/test/seed.yaml:2:30: error: tax_rates[0].percentage: a tax rate's percentage cannot be negative (found \"-5\")"),
        Bad(
            rates: "  - { id: txr_x, percentage: ten }\n",
            header:
                "Scenarios/test/seed.yaml:2:30: error: tax_rates[0].percentage: expected a percentage from 0 to 100 (like 19 or 8.875), found \"ten\""
        ),
        // "  - { " is 6 characters: the rate's mapping starts at column 5, its id at column 11.
        Bad(
            rates: "  - { id: txr_x, inclusive: true }\n",
            header: "Scenarios/test/seed.yaml:2:5: error: tax_rates[0]: missing `percentage`"),
        Bad(
            rates: "  - { id: txr_x, percentage: 5 }\n  - { id: txr_x, percentage: 7 }\n",
            header: "Scenarios/test/seed.yaml:3:11: error: tax_rates[1].id: tax rate `txr_x` is already defined at line 2"),
        // "  - { id: txr_x, percentage: 5, " is 32 characters: the field's key starts at column 33.
        Bad(
            rates: "  - { id: txr_x, percentage: 5, flat_amount: { amount: 100, currency: usd } }\n",
            header: "Scenarios/test/seed.yaml:2:33: error: tax_rates[0].flat_amount: flat-amount tax rates are not supported yet"),
    ])
    func badTaxRatesAreReportedAtTheirField(_ test: Bad) throws {
        let found = diagnostics(yaml(rates: test.rates, subscription: test.subscription))
        #expect(found.map { $0.description.components(separatedBy: "\n")[0] } == [test.header])
    }

    /// The subscription's lists: the seed's sub_john starts at `subscriptions:`; its first field line
    /// after `customer: cus_john` is where `subscription` goes.
    @Test(arguments: [
        (
            "    default_tax_rates: [txr_nope]\n", "default_tax_rates: [",
            "subscriptions[0].default_tax_rates[0]: no tax rate `txr_nope` (tax rates: txr_a, txr_b, txr_c, txr_d, txr_e, txr_f)"
        ),
        (
            "    default_tax_rates: [txr_a, txr_b, txr_c, txr_d, txr_e, txr_f]\n", "default_tax_rates: ",
            "subscriptions[0].default_tax_rates: at most 5 tax rates apply to a line (Stripe's limit), found 6"
        ),
        (
            "    default_tax_rates: [txr_a, txr_b, txr_a]\n", "default_tax_rates: [txr_a, txr_b, ",
            "subscriptions[0].default_tax_rates[2]: tax rate `txr_a` is already in this list"
        ),
    ])
    func badDefaultTaxRates(_ field: String, _ before: String, _ message: String) throws {
        let text = yaml(rates: sixRates, subscription: field)
        let row = line(of: "default_tax_rates", in: text)
        // The value starts after `before` and the line's 4 spaces of indentation.
        let header = "Scenarios/test/seed.yaml:\(row):\(4 + before.count + 1): error: \(message)"
        #expect(diagnostics(text).map { $0.description.components(separatedBy: "\n")[0] } == [header])
    }

    let sixRates = (["a", "b", "c", "d", "e", "f"].map { "  - { id: txr_\($0), percentage: 1 }\n" }).joined()

    /// An item's `tax_rates`: more than 5 is an error at the list, an unknown id at the id.
    @Test func badItemTaxRates() throws {
        let many = yaml(rates: sixRates)
            .replacingOccurrences(
                of: "{ id: si_license, price: price_license, quantity: 1 }",
                with: "{ id: si_license, price: price_license, quantity: 1, tax_rates: [txr_a, txr_b, txr_c, txr_d, txr_e, txr_f] }")
        let row = line(of: "tax_rates: [txr_a", in: many)
        // "        - { id: si_license, price: price_license, quantity: 1, tax_rates: " is 72 characters.
        #expect(
            diagnostics(many).map { $0.description.components(separatedBy: "\n")[0] } == [
                "Scenarios/test/seed.yaml:\(row):73: error: subscriptions[0].items[0].tax_rates: at most 5 tax rates apply to a line (Stripe's limit), found 6"
            ])
        let unknown = yaml(rates: sixRates)
            .replacingOccurrences(of: "{ id: si_usage, price: price_usage }", with: "{ id: si_usage, price: price_usage, tax_rates: [txr_z] }")
        let unknownRow = line(of: "tax_rates: [txr_z]", in: unknown)
        // "        - { id: si_usage, price: price_usage, tax_rates: [" is 56 characters.
        #expect(
            diagnostics(unknown).map { $0.description.components(separatedBy: "\n")[0] } == [
                "Scenarios/test/seed.yaml:\(unknownRow):57: error: subscriptions[0].items[1].tax_rates[0]: no tax rate `txr_z` (tax rates: txr_a, txr_b, txr_c, txr_d, txr_e, txr_f)"
            ])
    }

    /// A well-formed rate loads with its percentage in ten-thousandths; Stripe's other fields are accepted.
    @Test func taxRatesLoad() throws {
        let scenario = try loaded(
            yaml(
                rates: """
                      - { id: txr_ny, object: tax_rate, display_name: Sales tax, percentage: 8.875, inclusive: false, active: true,
                          country: US, state: NY, jurisdiction: NYC, description: null, effective_percentage: 8.875, metadata: {},
                          livemode: false, created: 1700000000, tax_type: sales_tax, rate_type: percentage, flat_amount: null }
                      - { id: txr_vat, percentage: 19, inclusive: true }
                      - { id: txr_zero, percentage: 0 }

                    """,
                subscription: "    default_tax_rates: [txr_ny]\n"
            ).replacingOccurrences(
                of: "{ id: si_usage, price: price_usage }", with: "{ id: si_usage, price: price_usage, tax_rates: [txr_vat, { id: txr_zero }] }"))
        let catalog = scenario.simulation.catalog
        #expect(catalog.taxRate("txr_ny") == TaxRate(id: "txr_ny", displayName: "Sales tax", percentage: 88_750, inclusive: false))
        #expect(catalog.taxRate("txr_vat") == TaxRate(id: "txr_vat", percentage: 190_000, inclusive: true))
        #expect(catalog.taxRate("txr_zero")?.percentage == 0)
        #expect(scenario.simulation.subscriptions[0].defaultTaxRates == ["txr_ny"])
        #expect(scenario.simulation.subscriptions[0].items.map(\.taxRates) == [[], ["txr_vat", "txr_zero"]])
    }

    /// A price's `tax_behavior` is accepted as Stripe returns it (each rate's `inclusive` decides).
    @Test func taxBehaviorIsAccepted() throws {
        for behavior in ["inclusive", "exclusive", "unspecified"] {
            _ = try loaded(
                yaml(rates: "").replacingOccurrences(of: "    unit_amount: 10000\n", with: "    unit_amount: 10000\n    tax_behavior: \(behavior)\n"))
        }
    }

    /// `update_subscription` sets `default_tax_rates` and items' `tax_rates` (an added item's under its new id).
    @Test func updatesSetTaxRates() throws {
        let update = """
            timeline:
              - at: 2026-01-20T00:00:00Z
                update_subscription:
                  subscription: sub_john
                  default_tax_rates: [txr_b]
                  items: [{ id: si_license, tax_rates: [txr_a, txr_c] }, { id: si_extra, price: price_extra, quantity: 1, tax_rates: "" }]

            """
        let extraPrice =
            "  - { id: price_extra, product: prod_license, currency: usd, unit_amount: 500, recurring: { interval: month, usage_type: licensed } }\ncustomers:\n"
        let text = yaml(rates: sixRates).replacingOccurrences(of: "timeline:\n", with: update)
            .replacingOccurrences(of: "customers:\n", with: extraPrice)
        let scenario = try loaded(text)
        guard case .updateSubscription(let change) = scenario.simulation.timeline[0].action else {
            Issue.record("not an update")
            return
        }
        #expect(change.defaultTaxRates == ["txr_b"])
        #expect(change.itemTaxRates == ["si_license": ["txr_a", "txr_c"], "si_extra": []])
        let bad = diagnostics(text.replacingOccurrences(of: "default_tax_rates: [txr_b]", with: "default_tax_rates: [txr_q]"))
        #expect(
            bad.map(\.message) == [
                "timeline[0].update_subscription.default_tax_rates[0]: no tax rate `txr_q` (tax rates: txr_a, txr_b, txr_c, txr_d, txr_e, txr_f)"
            ])
        #expect(bad.first?.location.line == line(of: "default_tax_rates: [txr_q]", in: text.replacingOccurrences(of: "[txr_b]", with: "[txr_q]")))
    }

    /// ScenarioWriter writes tax rates and where they apply back so that they load the same.
    @Test func theWriterRoundTripsTaxRates() throws {
        let scenario = try loaded(
            yaml(
                rates: "  - { id: txr_ny, display_name: NY, percentage: 8.875 }\n  - { id: txr_vat, percentage: 19, inclusive: true }\n",
                subscription: "    default_tax_rates: [txr_ny]\n"
            ).replacingOccurrences(of: "{ id: si_usage, price: price_usage }", with: "{ id: si_usage, price: price_usage, tax_rates: [txr_vat] }"))
        let again = try loaded(ScenarioWriter.yaml(scenario))
        #expect(again.simulation.catalog.taxRates == scenario.simulation.catalog.taxRates)
        #expect(again.simulation.subscriptions.map(\.defaultTaxRates) == scenario.simulation.subscriptions.map(\.defaultTaxRates))
        #expect(again.simulation.subscriptions.map { $0.items.map(\.taxRates) } == scenario.simulation.subscriptions.map { $0.items.map(\.taxRates) })
    }

    /// A variant replaces a tax rate by id (a rate change), or adds one to every subscription's defaults.
    @Test func variantsChangeTaxRates() throws {
        let variant = """
            variants:
              - { name: vat_up, tax_rates: [{ id: txr_a, percentage: 21 }] }
              - { name: new_tax, tax_rates: [{ id: txr_new, percentage: 2 }] }
            expect:

            """
        let scenario = try loaded(
            yaml(rates: "  - { id: txr_a, percentage: 19 }\n", subscription: "    default_tax_rates: [txr_a]\n")
                .replacingOccurrences(of: "expect:\n", with: variant))
        #expect(scenario.variants[0].simulation.catalog.taxRate("txr_a")?.percentage == 210_000)
        #expect(scenario.variants[0].simulation.subscriptions[0].defaultTaxRates == ["txr_a"])
        #expect(scenario.variants[1].simulation.subscriptions[0].defaultTaxRates == ["txr_a", "txr_new"])
        #expect(scenario.simulation.catalog.taxRate("txr_a")?.percentage == 190_000)
    }
}
