import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

// Payment methods, `settings.payment_retries` and the payment and invoice actions as the loader reads
// them (SCENARIO-FORMAT.md; Docs/ENGINE-RULES.md, "Payments"): each problem at its `file:line:col`.

@Suite struct PaymentLoaderTests {
    static let clock = "clock:\n  start: 2026-01-01T00:00:00Z\n  until: 2026-03-01T02:00:00Z\n"
    static let preview = "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"

    struct Bad: CustomTestStringConvertible, Sendable {
        var old: String
        var new: String
        /// Text on the reported line, and where on it the reported value starts.
        var at: String
        var message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        Bad(
            old: clock, new: clock + "settings:\n  payment_retries: { days: [3, 3, 7] }\n", at: "3, 7] }",
            message: "settings.payment_retries.days[1]: retry days must be strictly increasing: 3 after 3"),
        Bad(
            old: clock, new: clock + "settings:\n  payment_retries: { days: [5, 2] }\n", at: "2] }",
            message: "settings.payment_retries.days[1]: retry days must be strictly increasing: 2 after 5"),
        Bad(
            old: clock, new: clock + "settings:\n  payment_retries: { days: [-1, 3] }\n", at: "-1, 3] }",
            message: "settings.payment_retries.days[0]: expected an integer in 1...3650, found \"-1\""),
        Bad(
            old: clock, new: clock + "settings:\n  payment_retries: { subscription_when_exhausted: delete }\n", at: "delete }",
            message: "settings.payment_retries.subscription_when_exhausted: expected one of cancel, mark_unpaid, leave_past_due, found \"delete\""),
        Bad(
            old: clock, new: clock + "settings:\n  payment_retries: { invoice_when_exhausted: void }\n", at: "void }",
            message: "settings.payment_retries.invoice_when_exhausted: expected leave_open or mark_uncollectible, found \"void\""),
        Bad(
            old: "default_payment_method: pm_card_visa }", new: "default_payment_method: pm_card_visaa }", at: "pm_card_visaa }",
            message:
                "customers[0].invoice_settings.default_payment_method: unknown payment method `pm_card_visaa`: give one of Stripe's test payment methods (pm_card_visa, pm_card_mastercard, pm_card_<country> … pay; pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds, pm_card_chargeCustomerFail … decline)"
        ),
        Bad(
            old: preview,
            new: preview + "  - at: 2026-02-12T00:00:00Z\n    attach_payment_method: { customer: cus_jane, payment_method: pm_card_visa }\n",
            at: "cus_jane, payment_method", message: "timeline[1].attach_payment_method.customer: no customer `cus_jane` (customers: cus_john)"),
        Bad(
            old: preview,
            new: preview + "  - at: 2026-02-12T00:00:00Z\n    detach_payment_method: { customer: cus_jane, payment_method: pm_card_visa }\n",
            at: "cus_jane, payment_method", message: "timeline[1].detach_payment_method.customer: no customer `cus_jane` (customers: cus_john)"),
        Bad(
            old: preview, new: preview + "  - at: 2026-02-12T00:00:00Z\n    pay_invoice: { invoice: inv_2 }\n", at: "inv_2 }",
            message:
                "timeline[1].pay_invoice.invoice: expected the id of an invoice the run creates (in_0001, in_0002, … in creation order), found \"inv_2\""
        ),
        Bad(
            old: preview,
            new: preview + "  - at: 2026-02-12T00:00:00Z\n    void_invoice: { invoice: in_0002 }\n"
                + "  - at: 2026-02-13T00:00:00Z\n    pay_invoice: { invoice: \"in_0002\" }\n",
            at: "\"in_0002\" }",
            message:
                "timeline[2].pay_invoice.invoice: pay_invoice in_0002: the invoice is voided by the void_invoice at line 51; a void invoice takes no action"
        ),
        Bad(
            old: preview,
            new: preview + "  - at: 2026-02-12T00:00:00Z\n    update_subscription: { subscription: sub_john, default_payment_method: visa_card }\n",
            at: "visa_card }",
            message:
                "timeline[1].update_subscription.default_payment_method: unknown payment method `visa_card`: give one of Stripe's test payment methods (pm_card_visa, pm_card_mastercard, pm_card_<country> … pay; pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds, pm_card_chargeCustomerFail … decline)"
        ),
    ])
    func badPaymentInputIsReportedWhereItIs(_ bad: Bad) {
        let yaml = patched(replacing: bad.old, with: bad.new)
        let found = diagnostics(yaml)
        #expect(found.map(\.message) == [bad.message])
        #expect(found.first?.location.line == line(of: bad.at, in: yaml))
        #expect(found.first?.location.column == column(of: bad.at, in: yaml))
    }

    /// What the loader reads: the retry settings, a subscription's payment method, and the actions.
    @Test func paymentsAreRead() throws {
        let yaml = patched(
            replacing: Self.clock,
            with: Self.clock
                + "settings:\n  payment_retries: { days: [3, 5, 7], subscription_when_exhausted: mark_unpaid, invoice_when_exhausted: mark_uncollectible }\n"
        )
        .replacingOccurrences(
            of: "    customer: cus_john\n    items:", with: "    customer: cus_john\n    default_payment_method: pm_card_chargeDeclined\n    items:"
        )
        .replacingOccurrences(
            of: Self.preview,
            with: Self.preview
                + "  - at: 2026-02-12T00:00:00Z\n    attach_payment_method: { customer: cus_john, payment_method: pm_card_mastercard }\n"
                + "  - at: 2026-02-13T00:00:00Z\n    mark_uncollectible: { invoice: in_0002 }\n")
        let scenario = try loaded(yaml)
        #expect(
            scenario.simulation.settings.paymentRetries
                == PaymentRetries(days: [3, 5, 7], subscriptionWhenExhausted: .markUnpaid, invoiceWhenExhausted: .markUncollectible))
        #expect(scenario.simulation.subscriptions.first?.defaultPaymentMethod == "pm_card_chargeDeclined")
        #expect(
            scenario.simulation.timeline.dropFirst().map(\.action) == [
                .attachPaymentMethod(customer: "cus_john", paymentMethod: "pm_card_mastercard"),
                .invoiceAction(.markUncollectible, invoice: "in_0002"),
            ])
    }

    /// A trial ending without a payment method under `missing_payment_method: cancel` makes a later update
    /// an error; a payment method attached during the trial lets the trial end with it, so the update loads.
    @Test func aPaymentMethodAttachedDuringATrialCounts() {
        let trial = patched(replacing: "    invoice_settings: { default_payment_method: pm_card_visa }\n", with: "")
            .replacingOccurrences(
                of: "    customer: cus_john\n    items:",
                with:
                    "    customer: cus_john\n    trial_period_days: 30\n    trial_settings: { end_behavior: { missing_payment_method: cancel } }\n    items:"
            )
        let update = "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }\n"
        let attach = "  - at: 2026-01-10T00:00:00Z\n    attach_payment_method: { customer: cus_john, payment_method: pm_card_visa }\n"
        let without = trial.replacingOccurrences(of: Self.preview, with: Self.preview + update)
        #expect(
            diagnostics(without).map(\.message) == [
                "timeline[1].update_subscription.subscription: update_subscription at 2026-02-11T00:00:00Z: subscription `sub_john` is canceled at its trial's end (2026-01-31T00:00:00Z): its customer has no payment method and missing_payment_method is cancel"
            ])
        let with = trial.replacingOccurrences(of: "timeline:\n", with: "timeline:\n" + attach).replacingOccurrences(
            of: Self.preview, with: Self.preview + update)
        #expect(diagnostics(with).isEmpty)
    }
}
