import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

/// `withUpdates` with one-time prices: price_setup (usd 5000) and price_setup_eur (eur 5000).
func withOneTimePrices(_ entries: String = "") -> String {
    withUpdates(entries).replacingOccurrences(
        of: "prices:\n",
        with: """
            prices:
              - { id: price_setup, product: prod_license, currency: usd, unit_amount: 5000, type: one_time }
              - { id: price_setup_eur, product: prod_license, currency: eur, unit_amount: 5000, type: one_time }

            """)
}

/// `withOneTimePrices` with `fields` added to sub_john.
func withSubscriptionFields(_ fields: String) -> String {
    withOneTimePrices().replacingOccurrences(of: "    customer: cus_john\n    items:", with: "    customer: cus_john\n\(fields)    items:")
}

/// One-time prices, `add_invoice_item` with a price, `add_invoice_items` and `pending_invoice_item_interval`
/// (Docs/ENGINE-RULES.md, "Invoice items").
@Suite struct OneTimeInvoiceItemLoading {
    @Test func oneTimePricesAndInvoiceItemsAreRead() throws {
        let yaml = withSubscriptionFields(
            "    add_invoice_items: [{ price: price_setup, quantity: 2 }]\n    pending_invoice_item_interval: { interval: month, interval_count: 3 }\n"
        )
        .replacingOccurrences(
            of: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with:
                "    preview_invoice: { subscription: sub_john, as: feb_preview }\n  - at: 2026-02-11T00:00:00Z\n    add_invoice_item: { customer: cus_john, subscription: sub_john, price: price_setup, quantity: 3, description: Setup }\n"
        )
        let simulation = try loaded(yaml).simulation
        #expect(simulation.catalog.price("price_setup")?.isOneTime == true)
        #expect(simulation.catalog.price("price_license")?.isOneTime == false)
        let subscription = try #require(simulation.subscriptions.first)
        #expect(subscription.addInvoiceItems == [InvoiceItem(subscription: "sub_john", price: "price_setup", quantity: 2)])
        #expect(subscription.pendingInvoiceItemInterval == BillingInterval(.month, count: 3))
        #expect(
            simulation.timeline.last?.action
                == .addInvoiceItem(InvoiceItem(subscription: "sub_john", price: "price_setup", quantity: 3, description: "Setup")))
    }

    @Test(arguments: [
        (
            "{ customer: cus_john, subscription: sub_john, price: price_nope }",
            "timeline[1].add_invoice_item.price: no price `price_nope`"
        ),
        (
            "{ customer: cus_john, subscription: sub_john, price: price_usage, quantity: 1 }",
            "timeline[1].add_invoice_item.price: price `price_usage` is recurring: an invoice item bills a one-time price (type: one_time)"
        ),
        (
            "{ customer: cus_john, subscription: sub_john, price: price_setup, quantity: 0 }",
            "timeline[1].add_invoice_item.quantity: expected an integer from 1 to 99999999, found \"0\""
        ),
        (
            "{ customer: cus_john, subscription: sub_john, price: price_setup, quantity: 100000000 }",
            "timeline[1].add_invoice_item.quantity: expected an integer from 1 to 99999999, found \"100000000\""
        ),
        (
            "{ customer: cus_john, subscription: sub_john, price: price_setup_eur }",
            "timeline[1].add_invoice_item.price: price `price_setup_eur` is in eur, but subscription `sub_john` bills in usd"
        ),
        (
            "{ customer: cus_john, subscription: sub_john, price: price_setup, amount: 100 }",
            "timeline[1].add_invoice_item.amount: give `price` (and `quantity`) or `amount` (and `currency`), not both"
        ),
        (
            "{ customer: cus_john, subscription: sub_john, amount: 100, currency: usd, quantity: 2 }",
            "timeline[1].add_invoice_item.quantity: a quantity needs a one-time `price`"
        ),
    ])
    func badTimelineItems(_ item: String, _ message: String) {
        let yaml = withOneTimePrices("  - at: 2026-02-11T00:00:00Z\n    add_invoice_item: \(item)\n")
        let found = diagnostics(yaml)
        #expect(found.map(\.message).map { String($0.prefix(message.count)) } == [message])
        #expect(found.first?.location.line == line(of: "add_invoice_item: \(item)", in: yaml))
    }

    @Test(arguments: [
        (
            "    add_invoice_items: [{ price: price_nope }]\n",
            "subscriptions[0].add_invoice_items[0].price: no price `price_nope`"
        ),
        (
            "    add_invoice_items: [{ price: price_license }]\n",
            "subscriptions[0].add_invoice_items[0].price: price `price_license` is recurring: an invoice item bills a one-time price (type: one_time)"
        ),
        (
            "    add_invoice_items: [{ price: price_setup, quantity: -1 }]\n",
            "subscriptions[0].add_invoice_items[0].quantity: expected an integer from 1 to 99999999, found \"-1\""
        ),
        (
            "    add_invoice_items: [{ price: price_setup_eur }]\n",
            "subscriptions[0].add_invoice_items[0].price: price `price_setup_eur` is in eur, but customer `cus_john` pays in usd"
        ),
        (
            "    add_invoice_items: [\(Array(repeating: "{ price: price_setup }", count: 21).joined(separator: ", "))]\n",
            "subscriptions[0].add_invoice_items: at most 20 add_invoice_items (Stripe's limit), found 21"
        ),
        (
            "    pending_invoice_item_interval: { interval: week, interval_count: 53 }\n",
            "subscriptions[0].pending_invoice_item_interval.interval_count: at most one year (52 weeks, Stripe's limit), found 53"
        ),
        (
            "    pending_invoice_item_interval: { interval: month, interval_count: 0 }\n",
            "subscriptions[0].pending_invoice_item_interval.interval_count: expected"
        ),
        (
            "    pending_invoice_item_interval: { interval: fortnight }\n",
            "subscriptions[0].pending_invoice_item_interval.interval: expected one of day, week, month, year, found \"fortnight\""
        ),
    ])
    func badCreationFields(_ fields: String, _ message: String) {
        let yaml = withSubscriptionFields(fields)
        let found = diagnostics(yaml)
        #expect(found.map(\.message).map { String($0.prefix(message.count)) } == [message])
        #expect(found.first?.location.line == line(of: fields.trimmingCharacters(in: .whitespacesAndNewlines), in: yaml))
    }

    /// A customer without a currency pays in its subscription's (§6.5): an item in another is an error.
    @Test func withoutACustomerCurrencyItemsShareTheSubscriptions() {
        let yaml = withSubscriptionFields("    add_invoice_items: [{ price: price_setup_eur }]\n").replacingOccurrences(
            of: "    name: John Doe\n    currency: usd\n", with: "    name: John Doe\n")
        #expect(
            diagnostics(yaml).map(\.message) == [
                "subscriptions[0].add_invoice_items[0].price: price `price_setup_eur` is in eur, but subscription `sub_john` bills in usd"
            ])
    }

    /// Stripe refuses a one-time price on a subscription item, at creation or in an update.
    @Test func aOneTimePriceIsNoSubscriptionItem() {
        let created = withOneTimePrices().replacingOccurrences(
            of: "      - { id: si_license, price: price_license, quantity: 1 }", with: "      - { id: si_license, price: price_setup, quantity: 1 }")
        #expect(
            diagnostics(created).map(\.message) == [
                "subscriptions[0].items[0].price: price `price_setup` is one-time: it bills only as an invoice item (add_invoice_items), not as a subscription item"
            ])
        let updated = withOneTimePrices(
            "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ price: price_setup, quantity: 1 }] }\n")
        #expect(
            diagnostics(updated).map(\.message) == [
                "timeline[1].update_subscription.items[0].price: price `price_setup` is one-time: it bills only as an invoice item (add_invoice_item), not as a subscription item"
            ])
    }

    /// Stripe allows tiers on recurring prices only.
    @Test func aOneTimePriceIsPerUnit() {
        let yaml = withOneTimePrices().replacingOccurrences(
            of: "  - { id: price_setup, product: prod_license, currency: usd, unit_amount: 5000, type: one_time }",
            with:
                "  - { id: price_setup, product: prod_license, currency: usd, type: one_time, billing_scheme: tiered, tiers_mode: volume, tiers: [{ up_to: inf, unit_amount: 5 }] }"
        )
        #expect(
            diagnostics(yaml).map(\.message) == [
                "prices[0].billing_scheme: a one-time price is per_unit (Stripe allows tiers on recurring prices only)"
            ])
    }
}

/// One-time prices stay off subscription items in population plans and variants too.
@Suite struct OneTimePriceElsewhere {
    @Test func aVariantCannotPutAOneTimePriceOnItems() {
        let yaml = withOneTimePrices().replacingOccurrences(
            of: "expect:", with: "variants:\n  - { name: setup_seats, replace_prices: { price_license: price_setup } }\nexpect:")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "variants[0].replace_prices.price_license: price `price_setup` is one-time, but `price_license` it replaces is not"
            ])
        #expect(found.first?.location.line == line(of: "replace_prices: { price_license: price_setup }", in: yaml))
    }

    @Test func aPopulationPlanCannotUseAOneTimePrice() {
        let yaml = PopulationTests.population(count: 3, plans: "[{ weight: 1, items: [{ price: price_setup }] }]").replacingOccurrences(
            of: "prices:\n", with: "prices:\n  - { id: price_setup, product: prod_seat, currency: usd, unit_amount: 5000, type: one_time }\n")
        #expect(
            diagnostics(yaml).map(\.message) == [
                "subscriptions[0].generate.plans[0].items[0].price: price `price_setup` is one-time: it bills only as an invoice item, not as a subscription item"
            ])
    }
}
