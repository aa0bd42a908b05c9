/// Stripe's subscription `status` (BILLING-SEMANTICS §5.11).
///
/// billsim reaches `active`, `incomplete`, `incomplete_expired` and `canceled` so far; the others are
/// here so that a feature that reaches one (trials, failed renewals, pauses) adds transitions, not a type.
enum SubscriptionStatus: String, Sendable, Hashable, CaseIterable {
    case incomplete
    case incompleteExpired = "incomplete_expired"
    case trialing
    case active
    case pastDue = "past_due"
    case unpaid
    case canceled
    case paused
}

/// A subscription's lifecycle (Docs/ENGINE-RULES.md, "Status" and "Cancellation"): pure transitions.
///
/// Each event the engine sees (the subscription's `created` instant, a finalized invoice, the end of
/// the incomplete window, a renewal, a cancellation, a preview) is a method that moves `state` and
/// returns what the engine must do; an event the state does not allow returns a rejection that says
/// why. Nothing here reads a store or the clock: instants come in as arguments.
///
/// A new Stripe behaviour is a new `State` case and the transitions into and out of it (a trial: a
/// `trialing(until:)` entered by `start()` and left by an event at its end; a failed renewal: `pastDue`
/// entered by ``invoiceFinalized(_:at:)``), never a new flag.
struct SubscriptionStateMachine: Sendable, Hashable {
    enum State: Sendable, Hashable {
        /// Before its `created` instant: Stripe has no such subscription yet.
        case notCreated
        /// Its first invoice (`charge_automatically`, total above 0) is open: nothing has paid it.
        case incomplete(firstInvoice: Invoice)
        /// In its trial (§5.5): its period is the trial; the trial's end starts the first paid period.
        case trialing
        /// Trialing with `cancel_at_period_end` (or a `cancel_at` at the trial's end): the trial's end
        /// cancels it, nothing invoiced (Docs/ENGINE-RULES.md, "Changes during a trial").
        case trialingToCancel
        case active
        /// The trial ended without a payment method under `missing_payment_method: pause`: nothing is invoiced.
        case paused
        /// Active with `cancel_at_period_end: true`: the period's end bills its usage and ends it.
        case cancelingAtPeriodEnd
        /// Canceled, or canceled while incomplete: nothing more is invoiced.
        case canceled
        /// The first invoice was still unpaid when the incomplete window ended.
        case incompleteExpired
    }

    /// Why an event is not allowed in the current state.
    enum Rejection: Sendable, Hashable {
        case notCreated
        case alreadyStarted
        case alreadyCanceled
        case expired
        /// Not active (not created yet, canceled or expired): nothing to preview.
        case notActive
        /// Incomplete: its first invoice is unpaid, so it has no upcoming invoice.
        case incomplete

        /// What an error message says after "`action` `subscription` at `T`: ".
        func explanation(for subscription: Subscription) -> String {
            switch self {
            case .notCreated: "the subscription starts at \(subscription.created)"
            case .alreadyStarted: "the subscription has already started"
            case .alreadyCanceled: "already canceled"
            case .expired: "expired (incomplete_expired: its first invoice was never paid)"
            case .notActive: "the subscription is not active"
            case .incomplete: "the subscription is not active (incomplete: its first invoice is unpaid)"
            }
        }
    }

    /// How long an incomplete subscription waits for its first payment before it expires (§5.11).
    static let incompleteWindow: TimeSpan = .hours(23)

    private(set) var state: State

    init(state: State = .notCreated) { self.state = state }

    /// Stripe's name for the state; `nil` before the subscription is created.
    var status: SubscriptionStatus? {
        switch state {
        case .notCreated: nil
        case .incomplete: .incomplete
        case .trialing, .trialingToCancel: .trialing
        case .active, .cancelingAtPeriodEnd: .active
        case .paused: .paused
        case .canceled: .canceled
        case .incompleteExpired: .incompleteExpired
        }
    }

    // MARK: Creation

    enum StartAction: Sendable, Hashable {
        /// Plan and create the first invoice (Docs/ENGINE-RULES.md, "First invoice"), then schedule the first renewal.
        case billFirstInvoice
        case reject(Rejection)
    }

    /// The subscription's `created` instant: it becomes active and bills its first invoice.
    ///
    /// It is `active` while its first invoice is a draft: only that invoice's finalization, unpaid,
    /// makes it `incomplete` (``invoiceFinalized(_:at:)``).
    mutating func start(trial: Bool = false) -> StartAction {
        switch state {
        case .notCreated:
            state = trial ? .trialing : .active
            return .billFirstInvoice
        case .incomplete, .trialing, .trialingToCancel, .active, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired:
            return .reject(.alreadyStarted)
        }
    }

    // MARK: Payment

    enum FinalizedAction: Sendable, Hashable {
        case none
        /// The first invoice is unpaid: expire the subscription at this instant unless something pays it.
        case scheduleExpiry(at: Instant)
    }

    /// One of the subscription's invoices was finalized at `instant` (paid or left open).
    ///
    /// A *first* invoice left open with a `total` above 0 under `charge_automatically` makes an active
    /// subscription `incomplete` for ``incompleteWindow`` (§5.11; a first invoice totaling 0 "needs no
    /// payment", so it stays active even when a debit balance leaves that invoice open). An open renewal
    /// changes nothing (the subscription goes on).
    mutating func invoiceFinalized(_ invoice: Invoice, at instant: Instant) -> FinalizedAction {
        switch state {
        case .active:
            guard invoice.billingReason == .subscriptionCreate, invoice.collectionMethod == .chargeAutomatically, invoice.status == .open,
                invoice.total > 0
            else { return .none }
            state = .incomplete(firstInvoice: invoice)
            return .scheduleExpiry(at: instant + Self.incompleteWindow)
        case .notCreated, .incomplete, .trialing, .trialingToCancel, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired:
            // A cancellation's own invoice is finalized after the cancellation: nothing changes.
            return .none
        }
    }

    enum EndAction: Sendable, Hashable {
        case none
        /// Void the unpaid first invoice and give back the customer balance it used; invoice nothing.
        case voidFirstInvoice(Invoice)
    }

    /// The incomplete window scheduled by ``invoiceFinalized(_:at:)`` ended: an incomplete subscription
    /// expires (`incomplete_expired`). In any other state (canceled meanwhile) nothing happens.
    mutating func incompleteWindowEnded() -> EndAction {
        switch state {
        case .incomplete(let invoice):
            state = .incompleteExpired
            return .voidFirstInvoice(invoice)
        case .notCreated, .trialing, .trialingToCancel, .active, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired:
            return .none
        }
    }

    // MARK: Renewal and preview

    enum RenewalAction: Sendable, Hashable {
        /// Plan and create the renewal invoice, then schedule the next renewal.
        case billRenewal
        /// `cancel_at_period_end`: the final invoice (the period's usage, the held lines, no new
        /// period), then ``endedAtPeriodEnd()``.
        case billFinalInvoice
        /// The trial ended: see ``trialEnded(hasPaymentMethod:behavior:)``.
        case endTrial
        /// No renewal, and none scheduled after it: the subscription is incomplete or has ended.
        case stop
    }

    /// The current period ended: only an active subscription renews (an incomplete one waits to expire);
    /// one canceling at the period end bills its final invoice.
    func periodEnded() -> RenewalAction {
        switch state {
        case .active: .billRenewal
        case .cancelingAtPeriodEnd: .billFinalInvoice
        case .trialing, .trialingToCancel: .endTrial
        case .notCreated, .incomplete, .paused, .canceled, .incompleteExpired: .stop
        }
    }

    enum TrialEndAction: Sendable, Hashable {
        /// Invoice the first paid period (Docs/ENGINE-RULES.md, "Trials").
        case billFirstPeriod
        /// `missing_payment_method: cancel`: canceled at the trial's end, nothing invoiced.
        case cancel
        /// `missing_payment_method: pause`: paused, nothing invoiced from then on.
        case pause
    }

    /// The trial of a trialing subscription ended (at its `trial_end`, or early by `trial_end: now`): it
    /// becomes active, unless the customer has no payment method and `behavior` says cancel or pause (§5.5).
    mutating func trialEnded(hasPaymentMethod: Bool, behavior: TrialEndBehavior) -> TrialEndAction {
        if state == .trialingToCancel {
            state = .canceled
            return .cancel
        }
        guard state == .trialing else { return .billFirstPeriod }
        switch (hasPaymentMethod, behavior) {
        case (false, .cancel):
            state = .canceled
            return .cancel
        case (false, .pause):
            state = .paused
            return .pause
        default:
            state = .active
            return .billFirstPeriod
        }
    }

    /// Whether it is in its trial (changes bill nothing then: Docs/ENGINE-RULES.md, "Changes during a trial").
    var isTrialing: Bool { state == .trialing || state == .trialingToCancel }

    /// The final invoice of ``RenewalAction/billFinalInvoice`` is made: the subscription is canceled.
    mutating func endedAtPeriodEnd() {
        if state == .cancelingAtPeriodEnd { state = .canceled }
    }

    /// `cancel_at_period_end` set by an update (after ``update()`` allowed it): `true` makes an active
    /// subscription end at its period end, and a trialing one at its trial's end; `false` undoes that
    /// (§5.6); setting it to what it is changes nothing.
    mutating func cancelAtPeriodEnd(_ on: Bool) {
        switch (state, on) {
        case (.active, true): state = .cancelingAtPeriodEnd
        case (.cancelingAtPeriodEnd, false): state = .active
        case (.trialing, true): state = .trialingToCancel
        case (.trialingToCancel, false): state = .trialing
        default: break
        }
    }

    /// Whether the upcoming invoice can be previewed: only an active subscription has one.
    func preview() -> Rejection? {
        switch state {
        case .active, .cancelingAtPeriodEnd, .trialing, .trialingToCancel: nil
        case .incomplete: .incomplete
        case .notCreated, .paused, .canceled, .incompleteExpired: .notActive
        }
    }

    /// Whether `update_subscription` can change it: only an active subscription takes a change (an
    /// incomplete one waits for its first payment; Stripe's `pending_update` is not modeled).
    func update() -> Rejection? {
        switch state {
        case .active, .cancelingAtPeriodEnd, .trialing, .trialingToCancel: nil
        case .incomplete: .incomplete
        case .paused: .notActive
        case .notCreated: .notCreated
        case .canceled: .alreadyCanceled
        case .incompleteExpired: .expired
        }
    }

    // MARK: Cancellation

    enum CancelAction: Sendable, Hashable {
        /// Freeze the subscription's drafts, then invoice or credit as `invoice_now` and `prorate` say
        /// (Docs/ENGINE-RULES.md, "Cancellation").
        case billCancellation
        /// Never active, nothing paid: end it as an expiry does, invoicing and crediting nothing.
        case voidFirstInvoice(Invoice)
        /// Trialing or paused: nothing was charged for the period, so nothing is invoiced or credited.
        case endWithoutInvoice
        case reject(Rejection)
    }

    /// `cancel_subscription`: ends the subscription now.
    mutating func cancel() -> CancelAction {
        switch state {
        case .notCreated:
            return .reject(.notCreated)
        case .incomplete(let invoice):
            state = .canceled
            return .voidFirstInvoice(invoice)
        case .active, .cancelingAtPeriodEnd:
            state = .canceled
            return .billCancellation
        case .trialing, .trialingToCancel, .paused:
            state = .canceled
            return .endWithoutInvoice
        case .canceled:
            return .reject(.alreadyCanceled)
        case .incompleteExpired:
            return .reject(.expired)
        }
    }
}
