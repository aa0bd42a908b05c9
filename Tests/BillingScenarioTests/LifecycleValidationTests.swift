import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

// Checks of the subscription lifecycle that the engine used to meet only at run time, now reported by
// `validate` at the value's `file:line:col` (Docs/ENGINE-RULES.md, "Checked when the file loads").
// The seed's sub_john: created 2026-01-01 (clock start), flexible, monthly, items si_license and
// si_usage; cus_john has a payment method.

@Suite struct LifecycleValidation {
    struct Bad: CustomTestStringConvertible, Sendable {
        /// The seed's text to replace (once), and its replacement.
        var old: String = "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
        var new: String
        /// Text on the reported line, and where on it the reported value starts.
        var at: String
        var message: String
        var testDescription: String { message }
    }

    static let trial = "    customer: cus_john\n    trial_period_days: 30\n    items:"

    @Test(arguments: [
        // proration_date before the current period's start (Feb 1: the update is in February).
        Bad(
            new: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n  - at: 2026-02-11T00:00:00Z\n"
                + "    update_subscription: { subscription: sub_john, proration_date: 2026-01-20T00:00:00Z }\n",
            at: "2026-01-20T00:00:00Z }",
            message: "timeline[1].update_subscription.proration_date: must not be before the current period's start (2026-02-01T00:00:00Z)"
        ),
        // The same in a preview of a change.
        Bad(
            old: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            new: "    preview_invoice: { subscription: sub_john, as: feb_preview, subscription_details: { proration_date: 2026-01-31T00:00:00Z } }\n",
            at: "2026-01-31T00:00:00Z }",
            message:
                "timeline[0].preview_invoice.subscription_details.proration_date: must not be before the current period's start (2026-02-01T00:00:00Z)"
        ),
        // An update after cancel_at_period_end ended the subscription at its period end.
        Bad(
            new: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
                + "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, cancel_at_period_end: true }\n"
                + "  - at: 2026-03-01T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }\n",
            at: "sub_john, items: [{ id: si_license, quantity: 2 }] }",
            message:
                "timeline[2].update_subscription.subscription: update_subscription at 2026-03-01T00:00:00Z: subscription `sub_john` ends at its period end (2026-03-01T00:00:00Z): cancel_at_period_end"
        ),
    ])
    func lifecycleChecksAreFoundWhenTheFileLoads(_ bad: Bad) {
        let yaml = patched(replacing: bad.old, with: bad.new)
        let found = diagnostics(yaml)
        #expect(found.map(\.message) == [bad.message])
        #expect(found.first?.location.line == line(of: bad.at, in: yaml))
        #expect(found.first?.location.column == column(of: bad.at, in: yaml))
    }

    /// `billing_cycle_anchor: now` during a trial (Stripe: `subscription_update_trial_after_billing_cycle_anchor`);
    /// after `trial_end: now` in the same update it is allowed.
    @Test func anAnchorResetDuringATrialIsAnError() {
        let entries =
            "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
            + "  - at: 2026-01-10T00:00:00Z\n    update_subscription: { subscription: sub_john, billing_cycle_anchor: now }\n"
            + "  - at: 2026-01-12T00:00:00Z\n    update_subscription: { subscription: sub_john, trial_end: now, billing_cycle_anchor: now }\n"
        let yaml = patched(replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n", with: entries)
            .replacingOccurrences(of: "    customer: cus_john\n    items:", with: Self.trial)
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "timeline[1].update_subscription.billing_cycle_anchor: a trialing subscription's anchor cannot move before its trial_end (2026-01-31T00:00:00Z); end the trial first (trial_end: now)"
            ])
        #expect(found.first?.location.line == line(of: "sub_john, billing_cycle_anchor: now }", in: yaml))
        #expect(found.first?.location.column == column(of: "now }", in: yaml))
        // The same in a preview of a change.
        let preview = patched(
            replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with: "    preview_invoice: { subscription: sub_john, as: feb_preview, subscription_details: { billing_cycle_anchor: now } }\n"
        )
        .replacingOccurrences(of: "    customer: cus_john\n    items:", with: Self.trial.replacingOccurrences(of: "30", with: "60"))
        #expect(
            diagnostics(preview).map(\.message) == [
                "timeline[0].preview_invoice.subscription_details.billing_cycle_anchor: a trialing subscription's anchor cannot move before its trial_end (2026-03-02T00:00:00Z); end the trial first (trial_end: now)"
            ])
    }

    /// `trial_end: now` on a subscription that is not trialing (none, or one already ended early) is an
    /// error at the value, not a silent no-op.
    @Test func endingATrialThatIsNotRunningIsAnError() {
        let entries =
            "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
            + "  - at: 2026-01-10T00:00:00Z\n    update_subscription: { subscription: sub_john, trial_end: now }\n"
            + "  - at: 2026-01-12T00:00:00Z\n    update_subscription: { subscription: sub_john, trial_end: now }\n"
        let withTrial = patched(replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n", with: entries)
            .replacingOccurrences(of: "    customer: cus_john\n    items:", with: Self.trial)
        let found = diagnostics(withTrial)
        #expect(
            found.map(\.message) == [
                "timeline[2].update_subscription.trial_end: subscription `sub_john` is not trialing at 2026-01-12T00:00:00Z: `trial_end: now` ends a trial"
            ])
        #expect(found.first?.location.line == line(of: "2026-01-12T00:00:00Z", in: withTrial) + 1)
        let withoutTrial = patched(replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n", with: entries)
        #expect(diagnostics(withoutTrial).count == 2)
    }

    /// Ending early a trial set to cancel at its end is refused (Stripe's docs do not settle it).
    @Test func endingATrialSetToCancelAtItsEndIsAnError() {
        let entries =
            "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
            + "  - at: 2026-01-10T00:00:00Z\n    update_subscription: { subscription: sub_john, cancel_at_period_end: true }\n"
            + "  - at: 2026-01-12T00:00:00Z\n    update_subscription: { subscription: sub_john, trial_end: now }\n"
        let yaml = patched(replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n", with: entries)
            .replacingOccurrences(of: "    customer: cus_john\n    items:", with: Self.trial)
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "timeline[2].update_subscription.trial_end: subscription `sub_john` is set to cancel at its trial's end (2026-01-31T00:00:00Z): undo cancel_at_period_end (or cancel_at) in an earlier update before ending the trial early"
            ])
        #expect(found.first?.location.line == line(of: "sub_john, trial_end: now }", in: yaml))
    }

    /// A trial that ends without a payment method under `missing_payment_method: cancel` ends the
    /// subscription: a later update is an error; under `pause` an update is, a cancellation is not.
    @Test func aTrialEndingWithoutAPaymentMethodEndsChanges() {
        func yaml(_ behavior: String, _ action: String) -> String {
            patched(
                replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
                with: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n  - at: 2026-02-05T00:00:00Z\n    \(action)\n"
            )
            .replacingOccurrences(
                of: "    customer: cus_john\n    items:",
                with: Self.trial.replacingOccurrences(
                    of: "items:", with: "trial_settings: { end_behavior: { missing_payment_method: \(behavior) } }\n    items:")
            )
            .replacingOccurrences(of: "    invoice_settings: { default_payment_method: pm_card_visa }\n", with: "")
        }
        let update = "update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }"
        #expect(
            diagnostics(yaml("cancel", update)).map(\.message) == [
                "timeline[1].update_subscription.subscription: update_subscription at 2026-02-05T00:00:00Z: subscription `sub_john` is canceled at its trial's end (2026-01-31T00:00:00Z): its customer has no payment method and missing_payment_method is cancel"
            ])
        #expect(
            diagnostics(yaml("pause", update)).map(\.message) == [
                "timeline[1].update_subscription.subscription: update_subscription at 2026-02-05T00:00:00Z: subscription `sub_john` is paused from its trial's end (2026-01-31T00:00:00Z): its customer has no payment method and missing_payment_method is pause"
            ])
        #expect(diagnostics(yaml("pause", "cancel_subscription: { subscription: sub_john }")).isEmpty)
        #expect(diagnostics(yaml("create_invoice", update)).isEmpty)
    }

    /// `cancel_at` at creation: after `created`, not with `cancel_at_period_end: true`; changes after it are errors.
    @Test func cancelAtAtCreationIsChecked() {
        let early = patched(
            replacing: "    customer: cus_john\n    items:", with: "    customer: cus_john\n    cancel_at: 2026-01-01T00:00:00Z\n    items:")
        #expect(diagnostics(early).map(\.message) == ["subscriptions[0].cancel_at: must be after created (2026-01-01T00:00:00Z)"])
        let both = patched(
            replacing: "    customer: cus_john\n    items:",
            with: "    customer: cus_john\n    cancel_at_period_end: true\n    cancel_at: 2026-01-20T00:00:00Z\n    items:")
        #expect(diagnostics(both).map(\.message) == ["subscriptions[0].cancel_at: give cancel_at or cancel_at_period_end: true, not both"])
        let later = patched(
            replacing: "    customer: cus_john\n    items:", with: "    customer: cus_john\n    cancel_at: 2026-01-20T00:00:00Z\n    items:"
        )
        .replacingOccurrences(
            of: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
                + "  - at: 2026-02-11T00:00:00Z\n    update_subscription: { subscription: sub_john, items: [{ id: si_license, quantity: 2 }] }\n")
        #expect(
            diagnostics(later).map(\.message) == [
                "timeline[1].update_subscription.subscription: update_subscription at 2026-02-11T00:00:00Z: subscription `sub_john` ends at its cancel_at (2026-01-20T00:00:00Z)"
            ])
        let loadedOK = patched(
            replacing: "    customer: cus_john\n    items:", with: "    customer: cus_john\n    cancel_at: 2026-02-20T00:00:00Z\n    items:")
        #expect((try? loaded(loadedOK))?.simulation.subscriptions.first?.cancelAt == Instant(seconds: 1_771_545_600))
    }
}
