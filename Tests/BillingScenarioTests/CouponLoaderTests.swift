import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

/// `coupons`, `discount`, `discounts` (Docs/ENGINE-RULES.md, "Discounts"): each bad input is one
/// diagnostic at its line and column.
@Suite struct CouponLoading {
    /// The seed with `coupons` before `customers`, and `extra` fields on sub_john.
    func yaml(coupons: String, customer: String = "", subscription: String = "") -> String {
        seed.replacingOccurrences(of: "customers:\n", with: "coupons:\n\(coupons)customers:\n")
            .replacingOccurrences(of: "    currency: usd\n    balance: 0\n", with: "    currency: usd\n    balance: 0\n\(customer)")
            .replacingOccurrences(of: "    customer: cus_john\n", with: "    customer: cus_john\n\(subscription)")
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var coupons: String
        var customer = ""
        var subscription = ""
        /// The text the diagnostic points at (its first occurrence), and the message.
        var at: String
        var message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        Bad(
            coupons: "  - { id: co_x, percent_off: 10, amount_off: 500, currency: usd }\n", at: "500",
            message: "coupons[0].amount_off: a coupon takes percent_off or amount_off, not both"),
        Bad(
            coupons: "  - { id: co_x, duration: forever }\n", at: "{ id: co_x",
            message: "coupons[0]: a coupon needs percent_off or amount_off (with currency)"),
        Bad(
            coupons: "  - { id: co_x, percent_off: 100.5 }\n", at: "100.5",
            message:
                "coupons[0].percent_off: expected a percentage greater than 0 and at most 100, with at most 2 decimals (like 25.5), found \"100.5\""),
        Bad(
            coupons: "  - { id: co_x, percent_off: 0 }\n", at: "0 }",
            message: "coupons[0].percent_off: expected a percentage greater than 0 and at most 100, with at most 2 decimals (like 25.5), found \"0\""),
        Bad(
            coupons: "  - { id: co_x, percent_off: 12.345 }\n", at: "12.345",
            message:
                "coupons[0].percent_off: expected a percentage greater than 0 and at most 100, with at most 2 decimals (like 25.5), found \"12.345\""),
        Bad(
            coupons: "  - { id: co_x, amount_off: 500 }\n", at: "500",
            message: "coupons[0].amount_off: amount_off needs a currency (the coupon's `currency`)"),
        Bad(
            coupons: "  - { id: co_x, percent_off: 10, duration: repeating }\n", at: "repeating",
            message: "coupons[0].duration: duration: repeating needs duration_in_months"),
        Bad(
            coupons: "  - { id: co_x, percent_off: 10, applies_to: { products: [prod_nope] } }\n", at: "prod_nope",
            message: "coupons[0].applies_to.products[0]: no product `prod_nope` (products: prod_license, prod_usage)"),
        Bad(
            coupons: "  - { id: co_x, percent_off: 10 }\n", subscription: "    discounts: [{ coupon: co_nope }]\n", at: "co_nope",
            message: "subscriptions[0].discounts[0].coupon: no coupon `co_nope` (coupons: co_x)"),
        Bad(
            coupons: "  - { id: co_eur, amount_off: 500, currency: eur }\n", subscription: "    discounts: [{ coupon: co_eur }]\n",
            at: "co_eur }]", message: "subscriptions[0].discounts[0].coupon: coupon `co_eur` takes eur off, but it would discount invoices in usd"),
        Bad(
            coupons: "  - { id: co_eur, amount_off: 500, currency: eur }\n", customer: "    discount: { coupon: co_eur }\n",
            at: "co_eur }\n", message: "customers[0].discount.coupon: coupon `co_eur` takes eur off, but it would discount invoices in usd"),
    ])
    func badCouponsAreReportedAtTheirField(_ test: Bad) throws {
        let text = yaml(coupons: test.coupons, customer: test.customer, subscription: test.subscription)
        let found = diagnostics(text)
        #expect(found.map(\.message) == [test.message])
        let diagnostic = try #require(found.first)
        // The line and column of the first occurrence of `at` after the `coupons:` section starts.
        let lines = text.components(separatedBy: "\n")
        let start = lines.firstIndex { $0 == "coupons:" } ?? 0
        let row = try #require(
            lines.indices.first {
                $0 >= start && lines[$0].contains(test.at.components(separatedBy: "\n")[0])
                    && (test.at.hasSuffix("\n") ? lines[$0].hasSuffix(test.at.dropLast()) : true)
            })
        let column = try #require(lines[row].range(of: test.at.components(separatedBy: "\n")[0])).lowerBound
        #expect(diagnostic.location.line == row + 1)
        #expect(diagnostic.location.column == lines[row].distance(from: lines[row].startIndex, to: column) + 1)
    }

    /// Flexible's `proration_discounts`: `included` (the default) and `itemized` load onto the subscription;
    /// another value is an error at the field, naming both.
    @Test func prorationDiscountsIncludedOrItemized() throws {
        let included = yaml(coupons: "", subscription: "    billing_mode: { type: flexible, flexible: { proration_discounts: included } }\n")
        #expect(try loaded(included).simulation.subscriptions[0].prorationDiscounts == .included)
        let itemized = included.replacingOccurrences(of: "proration_discounts: included", with: "proration_discounts: itemized")
        let subscription = try loaded(itemized).simulation.subscriptions[0]
        #expect(subscription.billingMode == .flexible && subscription.prorationDiscounts == .itemized)
        let unknown = included.replacingOccurrences(of: "proration_discounts: included", with: "proration_discounts: gross")
        let found = diagnostics(unknown)
        #expect(found.count == 1)
        #expect(found.first?.message.contains("included or itemized") == true)
        #expect(found.first?.location.line == line(of: "proration_discounts", in: unknown))
        let column = try #require(unknown.components(separatedBy: "\n").first { $0.contains("proration_discounts") }?.range(of: "gross"))
        let text = try #require(unknown.components(separatedBy: "\n").first { $0.contains("proration_discounts") })
        #expect(found.first?.location.column == text.distance(from: text.startIndex, to: column.lowerBound) + 1)
        // Flexible's options on a classic subscription: an error at `flexible`.
        let classic = itemized.replacingOccurrences(of: "type: flexible", with: "type: classic")
        #expect(
            diagnostics(classic).map(\.message) == [
                "subscriptions[0].billing_mode.flexible: only a flexible billing mode has these options (type is classic)"
            ])
        #expect(diagnostics(classic).first?.location.line == line(of: "proration_discounts", in: classic))
    }

    /// A well-formed coupon of each kind loads with its fields.
    @Test func couponsLoad() throws {
        let scenario = try loaded(
            yaml(
                coupons: """
                      - { id: co_launch, percent_off: 25.5, duration: repeating, duration_in_months: 3 }
                      - { id: co_5usd, amount_off: 500, currency: usd, duration: forever, applies_to: { products: [prod_license] } }
                      - { id: co_once, percent_off: 100, object: coupon, valid: true, times_redeemed: 0, max_redemptions: null }

                    """, customer: "    discount: { coupon: co_once }\n",
                subscription: "    discounts: [{ coupon: co_launch }, { coupon: co_5usd }]\n"))
        let catalog = scenario.simulation.catalog
        #expect(catalog.coupon("co_launch") == Coupon(id: "co_launch", off: .percent(hundredths: 2550), duration: .repeating(months: 3)))
        #expect(
            catalog.coupon("co_5usd")
                == Coupon(id: "co_5usd", off: .amount(500, Currency(code: "usd")!), duration: .forever, products: ["prod_license"]))
        #expect(catalog.coupon("co_once")?.duration == .once)
        #expect(scenario.simulation.customers[0].discount == "co_once")
        #expect(scenario.simulation.subscriptions[0].discounts == ["co_launch", "co_5usd"])
    }

    /// ScenarioWriter writes coupons and discounts back so that they load the same.
    @Test func theWriterRoundTripsCoupons() throws {
        let scenario = try loaded(
            yaml(
                coupons: """
                      - { id: co_launch, percent_off: 25.5, duration: repeating, duration_in_months: 3 }
                      - { id: co_5usd, amount_off: 500, currency: usd, duration: forever, applies_to: { products: [prod_license] } }

                    """, customer: "    discount: { coupon: co_5usd }\n",
                subscription:
                    "    discounts: [{ coupon: co_launch }]\n    billing_mode: { type: flexible, flexible: { proration_discounts: itemized } }\n"))
        let again = try loaded(ScenarioWriter.yaml(scenario))
        #expect(again.simulation.subscriptions.map(\.prorationDiscounts) == [.itemized])
        #expect(again.simulation.catalog.coupons == scenario.simulation.catalog.coupons)
        #expect(again.simulation.customers.map(\.discount) == scenario.simulation.customers.map(\.discount))
        #expect(again.simulation.subscriptions.map(\.discounts) == scenario.simulation.subscriptions.map(\.discounts))
    }

    /// `update_subscription.discounts` replaces the subscription's; an unknown coupon there is an error at it.
    @Test func updatesSetDiscounts() throws {
        let update = """
            timeline:
              - at: 2026-01-20T00:00:00Z
                update_subscription: { subscription: sub_john, discounts: [{ coupon: co_x }] }

            """
        let text = yaml(coupons: "  - { id: co_x, percent_off: 10 }\n").replacingOccurrences(of: "timeline:\n", with: update)
        let scenario = try loaded(text)
        guard case .updateSubscription(let change) = scenario.simulation.timeline[0].action else {
            Issue.record("not an update")
            return
        }
        #expect(change.discounts == ["co_x"])
        let bad = diagnostics(text.replacingOccurrences(of: "discounts: [{ coupon: co_x }]", with: "discounts: [{ coupon: co_y }]"))
        #expect(bad.map(\.message) == ["timeline[0].update_subscription.discounts[0].coupon: no coupon `co_y` (coupons: co_x)"])
    }

    /// A variant's new coupon applies to every subscription; one in another currency than a subscription is an error.
    @Test func variantsAddCoupons() throws {
        let variant = "variants:\n  - { name: promo, coupons: [{ id: co_promo, percent_off: 20, duration: forever }] }\nexpect:\n"
        let scenario = try loaded(yaml(coupons: "  - { id: co_x, percent_off: 10 }\n").replacingOccurrences(of: "expect:\n", with: variant))
        #expect(scenario.variants[0].simulation.subscriptions[0].discounts == ["co_promo"])
        #expect(scenario.simulation.subscriptions[0].discounts == [])
        let eur = variant.replacingOccurrences(of: "percent_off: 20", with: "amount_off: 20, currency: eur")
        let bad = diagnostics(yaml(coupons: "  - { id: co_x, percent_off: 10 }\n").replacingOccurrences(of: "expect:\n", with: eur))
        #expect(bad.map(\.message) == ["variants[0].coupons[0]: coupon `co_promo` takes eur off, but subscription `sub_john` bills in usd"])
    }
}
