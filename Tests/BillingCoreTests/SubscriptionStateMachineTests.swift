import Testing

@testable import BillingCore

/// The subscription lifecycle without a store or a clock (Docs/ENGINE-RULES.md, "Status" and
/// "Cancellation"): each reachable transition, each event a state rejects, and the events a state
/// ignores. Expected values restate the rules: an unpaid first invoice (charge_automatically, total
/// above 0) makes an active subscription incomplete for 23 hours; an incomplete one expires or is
/// canceled by voiding it; only an active one renews, previews and bills a cancellation.
@Suite("SubscriptionStateMachine")
struct SubscriptionStateMachineTests {
    typealias Machine = SubscriptionStateMachine

    static let usd = Currency(code: "usd")!
    static let jan1 = Instant(year: 2026, month: 1, day: 1)

    /// An invoice finalized at Jan 1 with one line of `total`.
    static func invoice(
        _ reason: BillingReason = .subscriptionCreate, status: InvoiceStatus = .open, total: Int64 = 1000,
        collection: CollectionMethod = .chargeAutomatically
    ) -> Invoice {
        let line = InvoiceLine(
            id: "il_0001_01", price: "price_seat", subscriptionItem: "si_seat", description: "1 × Seat",
            period: Period(start: jan1, end: Instant(year: 2026, month: 2, day: 1)), quantity: ExactDecimal(1), transformedQuantity: nil,
            exactAmount: ExactDecimal(total), amount: total, proration: false, tiers: [], metered: false)
        return Invoice(
            id: "in_0001", number: 1, customer: "cus_a", subscription: "sub_a", billingReason: reason, status: status, currency: usd,
            collectionMethod: collection, created: jan1, periodStart: jan1, periodEnd: jan1, lines: [line], finalizedAt: jan1)
    }

    static let unpaid = invoice()
    /// Every state, for the events that treat most states alike.
    static let states: [Machine.State] = [.notCreated, .active, .incomplete(firstInvoice: unpaid), .canceled, .incompleteExpired]

    @Test func statusNamesAreStripes() {
        #expect(Machine(state: .notCreated).status == nil)
        #expect(Machine(state: .active).status == .active)
        #expect(Machine(state: .incomplete(firstInvoice: Self.unpaid)).status == .incomplete)
        #expect(Machine(state: .canceled).status == .canceled)
        #expect(Machine(state: .incompleteExpired).status == .incompleteExpired)
        #expect(
            SubscriptionStatus.allCases.map(\.rawValue) == [
                "incomplete", "incomplete_expired", "trialing", "active", "past_due", "unpaid", "canceled", "paused",
            ])
        #expect(Machine().state == .notCreated)
    }

    // MARK: start

    @Test func startActivatesAndBillsTheFirstInvoice() {
        var machine = Machine()
        #expect(machine.start() == .billFirstInvoice)
        #expect(machine.state == .active)
    }

    @Test(arguments: [Machine.State.active, .incomplete(firstInvoice: unpaid), .canceled, .incompleteExpired])
    func startTwiceIsRejected(_ state: Machine.State) {
        var machine = Machine(state: state)
        #expect(machine.start() == .reject(.alreadyStarted))
        #expect(machine.state == state)
    }

    // MARK: invoiceFinalized

    /// An open first invoice of 1000 under charge_automatically: incomplete, expiring 23h after its finalization.
    @Test func unpaidFirstInvoiceMakesItIncomplete() {
        var machine = Machine(state: .active)
        #expect(machine.invoiceFinalized(Self.unpaid, at: Self.jan1) == .scheduleExpiry(at: Instant(year: 2026, month: 1, day: 1, hour: 23)))
        #expect(machine.state == .incomplete(firstInvoice: Self.unpaid))
    }

    struct StaysActive: Sendable, CustomTestStringConvertible {
        var why: String
        var invoice: Invoice
        var testDescription: String { why }
    }

    /// Paid; total 0 ("needs no payment", even left open by a debit balance); send_invoice; a renewal left open.
    @Test(arguments: [
        StaysActive(why: "paid", invoice: invoice(status: .paid)),
        StaysActive(why: "total 0, open", invoice: invoice(total: 0)),
        StaysActive(why: "send_invoice", invoice: invoice(collection: .sendInvoice)),
        StaysActive(why: "open renewal", invoice: invoice(.subscriptionCycle)),
        StaysActive(why: "open cancellation invoice", invoice: invoice(.subscriptionUpdate)),
    ])
    func otherFinalizationsLeaveItActive(_ c: StaysActive) {
        var machine = Machine(state: .active)
        #expect(machine.invoiceFinalized(c.invoice, at: Self.jan1) == .none)
        #expect(machine.state == .active)
    }

    /// Outside `active` a finalization changes nothing (a cancellation's own invoice is finalized after it).
    @Test(arguments: [Machine.State.notCreated, .incomplete(firstInvoice: unpaid), .canceled, .incompleteExpired])
    func finalizationsOutsideActiveChangeNothing(_ state: Machine.State) {
        var machine = Machine(state: state)
        #expect(machine.invoiceFinalized(Self.unpaid, at: Self.jan1) == .none)
        #expect(machine.state == state)
    }

    // MARK: incompleteWindowEnded

    @Test func incompleteExpiresAndVoidsItsFirstInvoice() {
        var machine = Machine(state: .incomplete(firstInvoice: Self.unpaid))
        #expect(machine.incompleteWindowEnded() == .voidFirstInvoice(Self.unpaid))
        #expect(machine.state == .incompleteExpired)
        #expect(machine.status == .incompleteExpired)
    }

    /// Canceled while incomplete (the expiry still comes), or any other state: nothing happens.
    @Test(arguments: [Machine.State.notCreated, .active, .canceled, .incompleteExpired])
    func windowEndOutsideIncompleteChangesNothing(_ state: Machine.State) {
        var machine = Machine(state: state)
        #expect(machine.incompleteWindowEnded() == .none)
        #expect(machine.state == state)
    }

    // MARK: periodEnded and preview

    @Test(arguments: states)
    func onlyAnActiveSubscriptionRenews(_ state: Machine.State) {
        let machine = Machine(state: state)
        #expect(machine.periodEnded() == (state == .active ? .billRenewal : .stop))
    }

    @Test func onlyAnActiveSubscriptionHasAnUpcomingInvoice() {
        #expect(Machine(state: .active).preview() == nil)
        #expect(Machine(state: .incomplete(firstInvoice: Self.unpaid)).preview() == .incomplete)
        #expect(Machine(state: .notCreated).preview() == .notActive)
        #expect(Machine(state: .canceled).preview() == .notActive)
        #expect(Machine(state: .incompleteExpired).preview() == .notActive)
    }

    // MARK: update and cancel_at_period_end (Docs/ENGINE-RULES.md, "Updates", "Cancellation at period end")

    @Test func onlyARunningSubscriptionTakesAnUpdate() {
        #expect(Machine(state: .active).update() == nil)
        #expect(Machine(state: .cancelingAtPeriodEnd).update() == nil)
        #expect(Machine(state: .notCreated).update() == .notCreated)
        #expect(Machine(state: .incomplete(firstInvoice: Self.unpaid)).update() == .incomplete)
        #expect(Machine(state: .canceled).update() == .alreadyCanceled)
        #expect(Machine(state: .incompleteExpired).update() == .expired)
    }

    /// Set, undone (§5.6: "it can be undone by setting it back to false"), set again; the period end
    /// then bills the final invoice and cancels. A canceling subscription is still `active` for Stripe.
    @Test func cancelAtPeriodEndIsUndoneOrEndsThePeriod() {
        var machine = Machine(state: .active)
        machine.cancelAtPeriodEnd(true)
        #expect(machine.state == .cancelingAtPeriodEnd)
        #expect(machine.status == .active)
        #expect(machine.preview() == nil)
        machine.cancelAtPeriodEnd(false)
        #expect(machine.state == .active)
        #expect(machine.periodEnded() == .billRenewal)
        machine.cancelAtPeriodEnd(true)
        machine.cancelAtPeriodEnd(true)
        #expect(machine.periodEnded() == .billFinalInvoice)
        machine.endedAtPeriodEnd()
        #expect(machine.state == .canceled)
        #expect(machine.periodEnded() == .stop)
        machine.cancelAtPeriodEnd(false)
        #expect(machine.state == .canceled)
    }

    /// An immediate cancellation of a subscription canceling at its period end bills it as an active one's.
    /// cancel_at_period_end during a trial (Docs/ENGINE-RULES.md, "Changes during a trial"): still
    /// trialing, it takes updates and previews, can be undone, and the trial's end cancels it (no invoice)
    /// whatever the payment method; a cancellation before then invoices nothing.
    @Test func cancelAtPeriodEndDuringATrialEndsAtTheTrialsEnd() {
        var machine = Machine(state: .trialing)
        #expect(machine.isTrialing)
        machine.cancelAtPeriodEnd(true)
        #expect(machine.state == .trialingToCancel)
        #expect(machine.status == .trialing)
        #expect(machine.isTrialing)
        #expect(machine.update() == nil)
        #expect(machine.preview() == nil)
        #expect(machine.periodEnded() == .endTrial)
        machine.cancelAtPeriodEnd(false)
        #expect(machine.state == .trialing)
        machine.cancelAtPeriodEnd(true)
        #expect(machine.trialEnded(hasPaymentMethod: true, behavior: .createInvoice) == .cancel)
        #expect(machine.state == .canceled)
        #expect(!machine.isTrialing)
        var canceledEarly = Machine(state: .trialingToCancel)
        #expect(canceledEarly.cancel() == .endWithoutInvoice)
        #expect(canceledEarly.state == .canceled)
    }

    @Test func cancelingNowWhileCancelingAtPeriodEnd() {
        var machine = Machine(state: .cancelingAtPeriodEnd)
        #expect(machine.cancel() == .billCancellation)
        #expect(machine.state == .canceled)
    }

    // MARK: trials (Docs/ENGINE-RULES.md, "Trials")

    /// A trial starts `trialing`; its end bills the first period, or cancels or pauses without a payment method.
    @Test(arguments: [
        (true, TrialEndBehavior.cancel, Machine.TrialEndAction.billFirstPeriod, Machine.State.active),
        (false, .createInvoice, .billFirstPeriod, .active),
        (false, .cancel, .cancel, .canceled),
        (false, .pause, .pause, .paused),
    ])
    func aTrialEnds(hasPaymentMethod: Bool, behavior: TrialEndBehavior, action: Machine.TrialEndAction, after: Machine.State) {
        var machine = Machine()
        #expect(machine.start(trial: true) == .billFirstInvoice)
        #expect(machine.status == .trialing)
        #expect(machine.periodEnded() == .endTrial)
        #expect(machine.trialEnded(hasPaymentMethod: hasPaymentMethod, behavior: behavior) == action)
        #expect(machine.state == after)
    }

    /// Canceling a trialing or paused subscription invoices nothing; a paused one neither renews nor previews.
    @Test func cancelingATrialInvoicesNothing() {
        var trialing = Machine(state: .trialing)
        #expect(trialing.cancel() == .endWithoutInvoice)
        #expect(trialing.state == .canceled)
        var paused = Machine(state: .paused)
        #expect(paused.status == .paused)
        #expect(paused.periodEnded() == .stop)
        #expect(paused.preview() == .notActive)
        #expect(paused.cancel() == .endWithoutInvoice)
    }

    // MARK: cancel

    @Test func cancelingAnActiveSubscriptionBillsTheCancellation() {
        var machine = Machine(state: .active)
        #expect(machine.cancel() == .billCancellation)
        #expect(machine.state == .canceled)
    }

    /// Never active, nothing paid: it ends as an expiry does (void), but as `canceled`.
    @Test func cancelingAnIncompleteSubscriptionVoidsItsFirstInvoice() {
        var machine = Machine(state: .incomplete(firstInvoice: Self.unpaid))
        #expect(machine.cancel() == .voidFirstInvoice(Self.unpaid))
        #expect(machine.state == .canceled)
    }

    struct Rejected: Sendable, CustomTestStringConvertible {
        var state: Machine.State
        var rejection: Machine.Rejection
        var testDescription: String { "\(rejection)" }
    }

    @Test(arguments: [
        Rejected(state: .notCreated, rejection: .notCreated),
        Rejected(state: .canceled, rejection: .alreadyCanceled),
        Rejected(state: .incompleteExpired, rejection: .expired),
    ])
    func cancelIsRejectedWhenThereIsNothingToEnd(_ c: Rejected) {
        var machine = Machine(state: c.state)
        #expect(machine.cancel() == .reject(c.rejection))
        #expect(machine.state == c.state)
    }

    /// The messages the engine puts after "cancel_subscription sub_a at T: " (and "preview_invoice …").
    @Test func rejectionsExplainThemselves() {
        let subscription = Subscription(
            id: "sub_a", customer: "cus_a", created: Self.jan1, items: [SubscriptionItem(id: "si_seat", price: "price_seat")])
        #expect(Machine.Rejection.notCreated.explanation(for: subscription) == "the subscription starts at \(Self.jan1)")
        #expect(Machine.Rejection.alreadyCanceled.explanation(for: subscription) == "already canceled")
        #expect(Machine.Rejection.expired.explanation(for: subscription) == "expired (incomplete_expired: its first invoice was never paid)")
        #expect(Machine.Rejection.notActive.explanation(for: subscription) == "the subscription is not active")
        #expect(
            Machine.Rejection.incomplete.explanation(for: subscription) == "the subscription is not active (incomplete: its first invoice is unpaid)")
        #expect(Machine.Rejection.alreadyStarted.explanation(for: subscription) == "the subscription has already started")
    }

    /// The whole reachable path: created → incomplete → incomplete_expired, then nothing more.
    @Test func incompleteToExpiredPath() {
        var machine = Machine()
        #expect(machine.start() == .billFirstInvoice)
        #expect(machine.invoiceFinalized(Self.unpaid, at: Self.jan1) == .scheduleExpiry(at: Self.jan1 + .hours(23)))
        #expect(machine.periodEnded() == .stop)
        #expect(machine.incompleteWindowEnded() == .voidFirstInvoice(Self.unpaid))
        #expect(machine.cancel() == .reject(.expired))
        #expect(machine.incompleteWindowEnded() == .none)
    }
}
