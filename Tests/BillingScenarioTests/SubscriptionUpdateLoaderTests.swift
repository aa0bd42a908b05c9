import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

// SCENARIO-FORMAT.md, Timeline: `update_subscription` and the errors a change the subscription cannot
// take gets when the file is validated, each at its line and column.

/// The seed with `entries` (timeline entries, indented as list items) after its preview, and a second
/// price `price_gold` (licensed, monthly, USD) in the catalog.
func withUpdates(_ entries: String) -> String {
    let timeline = patched(
        replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
        with: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n" + entries)
    return timeline.replacingOccurrences(
        of: "prices:\n",
        with: """
            prices:
              - { id: price_gold, product: prod_license, currency: usd, unit_amount: 30000, recurring: { interval: month } }
              - { id: price_eur, product: prod_license, currency: eur, unit_amount: 30000, recurring: { interval: month } }
              - { id: price_year, product: prod_license, currency: usd, unit_amount: 30000, recurring: { interval: year } }

            """)
}

@Suite struct SubscriptionUpdateLoading {
    @Test func changesAreReadInStripesShape() throws {
        let yaml = withUpdates(
            """
              - at: 2026-02-11T00:00:00Z
                update_subscription:
                  subscription: sub_john
                  items: [{ id: si_license, price: price_gold, quantity: 3 }, { id: si_usage, deleted: true }]
                  proration_behavior: always_invoice
                  proration_date: 2026-02-10T12:00:00Z
              - at: 2026-02-12T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ price: price_usage }], billing_cycle_anchor: now }
              - at: 2026-02-13T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 1 }], proration_behavior: none }

            """)
        let actions = try loaded(yaml).simulation.timeline.map(\.action).dropFirst()
        #expect(
            Array(actions) == [
                .updateSubscription(
                    SubscriptionUpdate(
                        subscription: "sub_john", items: [.change(item: "si_license", price: "price_gold", quantity: 3), .remove(item: "si_usage")],
                        prorationBehavior: .alwaysInvoice, prorationDate: Instant(seconds: 1_770_724_800))),
                .updateSubscription(
                    SubscriptionUpdate(
                        subscription: "sub_john", items: [.add(item: "si_sub_john_2", price: "price_usage", quantity: 1)], resetsAnchor: true)),
                .updateSubscription(
                    SubscriptionUpdate(
                        subscription: "sub_john", items: [.change(item: "si_license", price: nil, quantity: 1)], prorationBehavior: .none)),
            ])
    }

    struct Bad: CustomTestStringConvertible, Sendable {
        var entries: String
        /// Text on the reported line, and where on it the reported value starts.
        var at: String
        var message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        Bad(
            entries: "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_jane, items: [{ id: si_license, quantity: 2 }] }\n",
            at: "sub_jane", message: "timeline[1].update_subscription.subscription: no subscription `sub_jane` (subscriptions: sub_john)"),
        Bad(
            entries: "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_seat, quantity: 2 }] }\n",
            at: "{ id: si_seat",
            message:
                "timeline[1].update_subscription.items[0]: subscription `sub_john` has no item `si_seat` then (items: si_license, si_usage); a new item needs a `price`"
        ),
        Bad(
            entries: "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_usage, quantity: 2 }] }\n",
            at: "2 }", message: "timeline[1].update_subscription.items[0].quantity: a metered item has no quantity (its usage comes from the meter)"),
        Bad(
            entries: """
                  - at: 2026-02-11T00:00:00Z
                    cancel_subscription: { subscription: sub_john }
                  - at: 2026-02-12T00:00:00Z
                    update_subscription: { subscription: sub_jxhn_x, items: [] }

                """.replacingOccurrences(of: "sub_jxhn_x", with: "sub_john"),
            at: "sub_john, items: []",
            message:
                "timeline[2].update_subscription.subscription: update_subscription at 2026-02-12T00:00:00Z: subscription `sub_john` was canceled at 2026-02-11T00:00:00Z"
        ),
        Bad(
            entries:
                "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_license, price: price_eur }] }\n",
            at: "price_eur }]",
            message: "timeline[1].update_subscription.items[0].price: price `price_eur` is in eur, but subscription `sub_john` bills in usd"),
        Bad(
            entries:
                "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_license, price: price_year }] }\n",
            at: "price_year }]",
            message:
                "timeline[1].update_subscription.items[0].price: price `price_year` bills every year, but subscription `sub_john` every month: mixed intervals are not supported yet"
        ),
        Bad(
            entries: "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, proration_date: 2026-02-12T00:00:00Z }\n",
            at: "2026-02-12T00:00:00Z }",
            message: "timeline[1].update_subscription.proration_date: must not be after the update (2026-02-11T00:00:00Z)"),
        Bad(
            entries: "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, proration_behavior: sometimes }\n",
            at: "sometimes",
            message:
                "timeline[1].update_subscription.proration_behavior: expected one of create_prorations, always_invoice, none, found \"sometimes\""),
    ])
    func badChangesAreFoundWhenTheFileLoads(_ bad: Bad) {
        let yaml = withUpdates(bad.entries)
        let found = diagnostics(yaml)
        #expect(found.map(\.message) == [bad.message])
        #expect(found.first?.location.line == line(of: bad.at, in: yaml))
        #expect(found.first?.location.column == column(of: bad.at, in: yaml))
    }

    /// A change before the subscription is created: sub_john is created Jan 10, the update is on Jan 5.
    @Test func aChangeBeforeTheSubscriptionStartsIsAnError() {
        let yaml = withUpdates(
            "  - at: 2026-01-05T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }\n"
        )
        .replacingOccurrences(of: "    customer: cus_john\n    items:", with: "    customer: cus_john\n    created: 2026-01-10T00:00:00Z\n    items:")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "timeline[1].update_subscription.subscription: update_subscription at 2026-01-05T00:00:00Z is before subscription `sub_john` starts (2026-01-10T00:00:00Z)"
            ])
        #expect(found.first?.location.line == line(of: "2026-01-05T00:00:00Z", in: yaml) + 1)
    }

    /// Changes of one subscription listed out of time order are an error at the later-listed one.
    @Test func changesOfASubscriptionAreListedInTimeOrder() {
        let yaml = withUpdates(
            """
              - at: 2026-02-12T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }
              - at: 2026-02-11T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 3 }] }

            """)
        #expect(
            diagnostics(yaml).map(\.message) == [
                "timeline[2].update_subscription.subscription: update_subscription at 2026-02-11T00:00:00Z is listed after a change of `sub_john` at 2026-02-12T00:00:00Z: list the changes of a subscription in time order"
            ])
    }

    /// A removed item cannot be changed later; a new item's price cannot already be on the subscription.
    @Test func aRemovedItemIsGoneAndAPriceAppearsOnce() {
        let yaml = withUpdates(
            """
              - at: 2026-02-11T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_usage, deleted: true }] }
              - at: 2026-02-12T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_usage, deleted: true }, { price: price_license }] }

            """)
        #expect(
            diagnostics(yaml).map(\.message) == [
                "timeline[2].update_subscription.items[0].id: subscription `sub_john` has no item `si_usage` then (items: si_license)",
                "timeline[2].update_subscription.items[1].price: price `price_license` is already on item `si_license` (each price appears once in a subscription)",
            ])
    }
}

@Suite struct StateExpectations {
    /// `expect.subscriptions` and `expect.customers` name declared ids and Stripe's fields.
    @Test func statesAreReadAndChecked() throws {
        let good = patched(
            replacing: "  late_events: 0\n",
            with: """
                  late_events: 0
                  subscriptions:
                    sub_john: { status: active, canceled_at: null, current_period_end: 2026-04-01T00:00:00Z }
                  customers:
                    cus_john: { balance: -334 }

                """)
        let expectation = try loaded(good).expectation
        #expect(expectation.subscriptions.map(\.id) == ["sub_john"])
        #expect(expectation.customers.map(\.id) == ["cus_john"])

        let bad = patched(
            replacing: "  late_events: 0\n",
            with: """
                  late_events: 0
                  subscriptions:
                    sub_jane: { status: active }
                    sub_john: { colour: blue }
                  customers:
                    cus_john: { credit: 5 }

                """)
        #expect(
            diagnostics(bad).map(\.message) == [
                "expect.subscriptions: no subscription `sub_jane` (subscriptions: sub_john)",
                "expect.subscriptions.sub_john.colour: unknown subscription field (known: id, status, current_period_start, current_period_end, cancel_at_period_end, cancel_at, canceled_at, ended_at, trial_end)",
                "expect.customers.cus_john.credit: unknown customer field (known: id, balance)",
            ])
    }

    @Test func cancelAtPeriodEndAtCreation() throws {
        let yaml = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    cancel_at_period_end: true\n")
        #expect(try loaded(yaml).simulation.subscriptions[0].cancelAtPeriodEnd)
    }
}

@Suite struct TrialLoading {
    @Test func trialPeriodDaysAndSettingsAreRead() throws {
        let yaml = patched(
            replacing: "    customer: cus_john\n",
            with: "    customer: cus_john\n    trial_period_days: 14\n    trial_settings: { end_behavior: { missing_payment_method: pause } }\n")
        let subscription = try loaded(yaml).simulation.subscriptions[0]
        #expect(subscription.trialEnd == Instant(year: 2026, month: 1, day: 15))
        #expect(subscription.trialEndBehavior == .pause)
        let now = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    trial_end: now\n")
        #expect(try loaded(now).simulation.subscriptions[0].trialEnd == nil)
    }

    /// Stripe's limit: a trial ends at most two years after the subscription is created (§5.5).
    @Test func aTrialLongerThanTwoYearsIsAnError() {
        let yaml = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    trial_end: 2028-01-01T00:00:01Z\n")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "subscriptions[0].trial_end: a trial ends at most two years after created (2028-01-01T00:00:00Z), found 2028-01-01T00:00:01Z"
            ])
        #expect(found.first?.location.line == line(of: "trial_end: 2028", in: yaml))
        #expect(found.first?.location.column == column(of: "2028-01-01T00:00:01Z", in: yaml))
        let days = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    trial_period_days: 731\n")
        #expect(
            diagnostics(days).map(\.message) == [
                "subscriptions[0].trial_period_days: a trial ends at most two years after created (2028-01-01T00:00:00Z), found 2028-01-02T00:00:00Z"
            ])
        let exactly = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    trial_period_days: 730\n")
        #expect(diagnostics(exactly).isEmpty)
    }

    @Test func onlyTrialEndNowInAnUpdate() {
        let yaml = withUpdates("  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, trial_end: 2026-03-01T00:00:00Z }\n")
        #expect(
            diagnostics(yaml).map(\.message) == [
                "timeline[1].update_subscription.trial_end: only `trial_end: now` (ending a trial) is supported in an update yet"
            ])
    }

    @Test func alwaysInvoiceIsRefusedAtCreation() {
        let yaml = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    proration_behavior: always_invoice\n")
        #expect(
            diagnostics(yaml).map(\.message) == [
                "subscriptions[0].proration_behavior: always_invoice is not supported when a subscription is created (Stripe refuses it)"
            ])
    }
}

@Suite struct ThresholdLoading {
    /// Billing thresholds are classic only (BILLING-SEMANTICS §5.3(11), §5.9): on a flexible
    /// subscription (the seed's default mode) they are an error at the field.
    @Test func thresholdsOnAFlexibleSubscriptionAreAnError() {
        let yaml = patched(
            replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    billing_thresholds: { amount_gte: 500000 }\n")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "subscriptions[0].billing_thresholds: billing_thresholds apply to classic subscriptions only (Stripe refuses them with billing_mode flexible)"
            ])
        #expect(found.first?.location.line == line(of: "billing_thresholds:", in: yaml))
        #expect(found.first?.location.column == column(of: "billing_thresholds:", in: yaml))
        let off = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    billing_thresholds: null\n")
        #expect(diagnostics(off).isEmpty)
        let item = patched(
            replacing: "{ id: si_usage, price: price_usage }", with: "{ id: si_usage, price: price_usage, billing_thresholds: { usage_gte: 5 } }")
        #expect(
            diagnostics(item).map(\.message) == [
                "subscriptions[0].items[1].billing_thresholds: billing_thresholds apply to classic subscriptions only (Stripe refuses them with billing_mode flexible)"
            ])
        let update = withUpdates(
            "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, billing_thresholds: { amount_gte: 500000 } }\n")
        #expect(
            diagnostics(update).map(\.message) == [
                "timeline[1].update_subscription.billing_thresholds: billing_thresholds apply to classic subscriptions only (Stripe refuses them with billing_mode flexible)"
            ])
    }

    /// The seed as a classic subscription with `thresholds` written under it and `item` on its metered item.
    func classic(thresholds: String? = nil, item: String? = nil) -> String {
        var yaml = patched(
            replacing: "    customer: cus_john\n",
            with: "    customer: cus_john\n    billing_mode: classic\n" + (thresholds.map { "    billing_thresholds: \($0)\n" } ?? ""))
        if let item {
            yaml = yaml.replacingOccurrences(
                of: "{ id: si_usage, price: price_usage }", with: "{ id: si_usage, price: price_usage, billing_thresholds: \(item) }")
        }
        return yaml
    }

    /// Classic thresholds load as written: the subscription's `amount_gte` and `reset_billing_cycle_anchor`,
    /// the item's `usage_gte`, and an update's.
    @Test func classicThresholdsAreRead() throws {
        let scenario = try loaded(classic(thresholds: "{ amount_gte: 500000, reset_billing_cycle_anchor: true }", item: "{ usage_gte: 2000 }"))
        let subscription = try #require(scenario.simulation.subscriptions.first)
        #expect(subscription.billingThresholds == BillingThresholds(amountGTE: 500000, resetBillingCycleAnchor: true))
        #expect(subscription.items.map(\.usageGTE) == [nil, 2000])
        let update = classic().replacingOccurrences(
            of: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with:
                "    preview_invoice: { subscription: sub_john, as: feb_preview }\n  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, billing_thresholds: { amount_gte: 20000 } }\n"
        )
        #expect(
            try loaded(update).simulation.timeline.last?.action
                == .updateSubscription(SubscriptionUpdate(subscription: "sub_john", billingThresholds: BillingThresholds(amountGTE: 20000))))
    }

    struct BadThreshold: CustomTestStringConvertible, Sendable {
        var thresholds: String?
        var item: String?
        var message: String
        /// Text on the line the error points at.
        var at: String
        var testDescription: String { message }
    }

    static let badThresholds: [BadThreshold] = [
        BadThreshold(
            thresholds: "{ amount_gte: 0 }",
            message:
                "subscriptions[0].billing_thresholds.amount_gte: expected an amount in minor units from 1 to 99999999 (Stripe's largest amount), found \"0\"",
            at: "amount_gte: 0"),
        BadThreshold(
            thresholds: "{ amount_gte: -5 }",
            message:
                "subscriptions[0].billing_thresholds.amount_gte: expected an amount in minor units from 1 to 99999999 (Stripe's largest amount), found \"-5\"",
            at: "amount_gte: -5"),
        BadThreshold(
            thresholds: "{ amount_gte: 100000000 }",
            message:
                "subscriptions[0].billing_thresholds.amount_gte: expected an amount in minor units from 1 to 99999999 (Stripe's largest amount), found \"100000000\"",
            at: "amount_gte: 100000000"),
        BadThreshold(
            thresholds: "{ amount_gte: 10000 }",
            message:
                "subscriptions[0].billing_thresholds: amount_gte 10000 must exceed the licensed items' amount per period (10000): Stripe refuses it",
            at: "amount_gte: 10000"),
        BadThreshold(
            thresholds: "{ amount_gte: 20000, reset_billing_cycle_anchor: maybe }",
            message: "subscriptions[0].billing_thresholds.reset_billing_cycle_anchor: expected true or false, found \"maybe\"",
            at: "reset_billing_cycle_anchor: maybe"),
        BadThreshold(
            thresholds: "{ amount_gte: 20000, usage_gte: 5 }",
            message: "subscriptions[0].billing_thresholds: unknown field `usage_gte`",
            at: "usage_gte: 5"),
        BadThreshold(
            item: "{ usage_gte: 0 }",
            message: "subscriptions[0].items[1].billing_thresholds.usage_gte: expected a whole number of units ≥ 1, found \"0\"",
            at: "usage_gte: 0"),
        BadThreshold(
            item: "{ usage_gte: 1.5 }",
            message: "subscriptions[0].items[1].billing_thresholds.usage_gte: expected a whole number of units ≥ 1, found \"1.5\"",
            at: "usage_gte: 1.5"),
    ]

    /// Each bad value is an error at its line (BILLING-SEMANTICS §5.9; Stripe's amount limit).
    @Test(arguments: badThresholds) func badThresholdsAreErrors(_ bad: BadThreshold) {
        let yaml = classic(thresholds: bad.thresholds, item: bad.item)
        let found = diagnostics(yaml)
        #expect(found.map(\.message).first == bad.message)
        #expect(found.first?.location.line == line(of: bad.at, in: yaml))
    }

    /// `usage_gte` belongs on a metered item: on a licensed one it is an error at the field.
    @Test func usageThresholdOnALicensedItemIsAnError() {
        let yaml = classic().replacingOccurrences(
            of: "{ id: si_license, price: price_license, quantity: 1 }",
            with: "{ id: si_license, price: price_license, quantity: 1, billing_thresholds: { usage_gte: 5 } }")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "subscriptions[0].items[0].billing_thresholds: usage_gte applies to metered items only (`price_license` is licensed)"
            ])
        #expect(found.first?.location.line == line(of: "usage_gte: 5", in: yaml))
    }

    /// A preview's `subscription_details` is checked like an update and changes nothing after it.
    @Test func aPreviewOfAChangeIsCheckedButChangesNothing() throws {
        let yaml = withUpdates(
            """
              - at: 2026-02-11T00:00:00Z
                preview_invoice: { subscription: sub_john, as: gold, subscription_details: { items: [{ id: si_license, price: price_gold }] } }
              - at: 2026-02-12T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }

            """)
        let actions = try loaded(yaml).simulation.timeline.map(\.action)
        #expect(
            actions[1]
                == .previewChange(
                    name: "gold",
                    change: SubscriptionUpdate(subscription: "sub_john", items: [.change(item: "si_license", price: "price_gold", quantity: nil)])))
        let bad = withUpdates(
            "  - at: 2026-02-11T00:00:00Z\n    preview_invoice: { subscription: sub_john, subscription_details: { items: [{ id: si_usage, quantity: 2 }] } }\n"
        )
        #expect(
            diagnostics(bad).map(\.message) == [
                "timeline[1].preview_invoice.subscription_details.items[0].quantity: a metered item has no quantity (its usage comes from the meter)"
            ])
    }
}

/// Corrections of issue 9 found by reading the loader against BILLING-SEMANTICS.md.
@Suite struct LoaderCorrections {
    /// §1.4: a deactivated meter "cannot be attached to a price".
    @Test func aPriceCannotUseAnInactiveMeter() {
        let yaml = patched(
            replacing: "    default_aggregation: { formula: sum }\n", with: "    default_aggregation: { formula: sum }\n    status: inactive\n")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "prices[1].recurring.meter: meter `mtr_tokens` is inactive: a price cannot be attached to it (reactivate it with status: active)"
            ])
        #expect(found.first?.location.line == line(of: "meter: mtr_tokens }", in: yaml))
    }

    /// §5.1: Stripe refuses an anchor later than the next natural billing date (created Jan 1, monthly: Feb 1).
    @Test func anAnchorAfterTheNextNaturalBillingDateIsAnError() {
        let late = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    billing_cycle_anchor: 2026-02-01T00:00:01Z\n")
        #expect(
            diagnostics(late).map(\.message) == [
                "subscriptions[0].billing_cycle_anchor: must be no later than the next natural billing date (2026-02-01T00:00:00Z, one month after created): Stripe refuses later anchors"
            ])
        let natural = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    billing_cycle_anchor: 2026-02-01T00:00:00Z\n")
        #expect(diagnostics(natural).isEmpty)
    }

    /// §6.5: a customer without a currency pays in its first subscription's; a second currency is an error.
    @Test func aCustomersCurrencyIsFixedByItsFirstSubscription() {
        let yaml =
            patched(replacing: "    name: John Doe\n    currency: usd\n", with: "    name: John Doe\n")
            .replacingOccurrences(
                of: "prices:\n",
                with: "prices:\n  - { id: price_eur, product: prod_license, currency: eur, unit_amount: 900, recurring: { interval: month } }\n"
            )
            .replacingOccurrences(
                of: "usage:\n",
                with: "  - { id: sub_eur, customer: cus_john, items: [{ price: price_eur }] }\nusage:\n")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "subscriptions[1]: subscription `sub_eur` bills in eur, but customer `cus_john`'s first subscription `sub_john` bills in usd: a customer pays in one currency"
            ])
        #expect(found.first?.location.line == line(of: "- { id: sub_eur", in: yaml))
    }
}

@Suite struct InvoiceItemLoading {
    @Test func anInvoiceItemIsRead() throws {
        let yaml = withUpdates(
            "  - at: 2026-02-11T00:00:00Z\n    add_invoice_item: { customer: cus_john, subscription: sub_john, amount: -250, currency: usd, description: Credit }\n"
        )
        #expect(
            try loaded(yaml).simulation.timeline.last?.action
                == .addInvoiceItem(InvoiceItem(subscription: "sub_john", amount: -250, description: "Credit")))
    }

    @Test(arguments: [
        (
            "{ customer: cus_john, subscription: sub_john, amount: 100, currency: eur }",
            "timeline[1].add_invoice_item.currency: subscription `sub_john` bills in usd, not eur"
        ),
        (
            "{ customer: cus_john, amount: 100, currency: usd }",
            "timeline[1].add_invoice_item: an invoice item without `subscription` is not supported yet (it would wait for a one-off invoice)"
        ),
        (
            "{ customer: cus_john, subscription: sub_john, price: price_license }",
            "timeline[1].add_invoice_item.price: price `price_license` is recurring: an invoice item bills a one-time price (type: one_time)"
        ),
        (
            "{ customer: cus_john, subscription: sub_jane, amount: 100, currency: usd }",
            "timeline[1].add_invoice_item.subscription: no subscription `sub_jane` (subscriptions: sub_john)"
        ),
    ])
    func badInvoiceItems(_ item: String, _ message: String) {
        let yaml = withUpdates("  - at: 2026-02-11T00:00:00Z\n    add_invoice_item: \(item)\n")
        #expect(diagnostics(yaml).map(\.message) == [message])
    }
}

@Suite struct CancelAtLoading {
    /// After its cancel_at a subscription takes no change (found when the file loads).
    @Test func aChangeAfterCancelAtIsAnError() {
        let yaml = withUpdates(
            """
              - at: 2026-02-11T00:00:00Z
                update_subscription: { subscription: sub_john, cancel_at: 2026-02-20T00:00:00Z }
              - at: 2026-02-21T00:00:00Z
                update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }

            """)
        #expect(
            diagnostics(yaml).map(\.message) == [
                "timeline[2].update_subscription.subscription: update_subscription at 2026-02-21T00:00:00Z: subscription `sub_john` ends at its cancel_at (2026-02-20T00:00:00Z)"
            ])
        let before = withUpdates(
            "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, cancel_at: 2026-02-11T00:00:00Z }\n")
        #expect(diagnostics(before).map(\.message) == ["timeline[1].update_subscription.cancel_at: must be after the update (2026-02-11T00:00:00Z)"])
    }
}
