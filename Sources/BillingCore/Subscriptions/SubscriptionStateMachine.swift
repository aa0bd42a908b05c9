/// Stripe's subscription `status` (BILLING-SEMANTICS §5.11).
///
/// Every status is reached: `past_due` and `unpaid` by failed payments (Docs/ENGINE-RULES.md, "Payments").
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
        /// Its latest finalized invoice (`invoice`) is unpaid: a declined renewal being retried, or a
        /// `send_invoice` invoice past its due date. It goes on renewing; paying that invoice makes it active.
        case pastDue(invoice: String)
        /// A renewal's retries ran out under `subscription_when_exhausted: mark_unpaid`: `invoice` stays
        /// open, and later invoices are created as drafts that nothing finalizes.
        case unpaid(invoice: String)
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
        case .pastDue: .pastDue
        case .unpaid: .unpaid
        }
    }

    /// Whether its new invoices are finalized: not while `unpaid` (they stay drafts until `finalize_invoice`).
    var finalizesInvoices: Bool {
        if case .unpaid = state { return false }
        return true
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
        case .incomplete, .trialing, .trialingToCancel, .active, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired, .pastDue,
            .unpaid:
            return .reject(.alreadyStarted)
        }
    }

    // MARK: Payment

    enum FinalizedAction: Sendable, Hashable {
        case none
        /// The first invoice is unpaid: expire the subscription at this instant unless something pays it.
        case scheduleExpiry(at: Instant)
        /// A later invoice charged automatically was declined (or had no payment method): the engine asks
        /// the retry settings and calls ``paymentFailed(_:nextRetry:whenExhausted:)``.
        case paymentFailed
        /// A `send_invoice` invoice is open: it is past due at its `due_date` unless paid (``dueDatePassed(_:)``).
        case watchDueDate(Instant)
    }

    /// One of the subscription's invoices was finalized at `instant` (paid or left open).
    ///
    /// A *first* invoice left open with a `total` above 0 under `charge_automatically` makes an active
    /// subscription `incomplete` for ``incompleteWindow`` (§5.11; a first invoice totaling 0 "needs no
    /// payment", so it stays active even when a debit balance leaves that invoice open). Any other invoice
    /// left open after an attempt is a failed payment; a `send_invoice` one waits for its due date; one
    /// paid at once makes a `past_due` or `unpaid` subscription active again (its latest invoice is paid).
    mutating func invoiceFinalized(_ invoice: Invoice, at instant: Instant) -> FinalizedAction {
        if invoice.status == .paid {
            switch state {
            case .pastDue, .unpaid: state = .active
            default: break
            }
            return .none
        }
        guard invoice.status == .open else { return .none }
        if invoice.billingReason == .subscriptionCreate, invoice.collectionMethod == .chargeAutomatically {
            guard state == .active, invoice.total > 0 else { return .none }
            state = .incomplete(firstInvoice: invoice)
            return .scheduleExpiry(at: instant + Self.incompleteWindow)
        }
        if invoice.collectionMethod == .sendInvoice, let due = invoice.dueDate { return .watchDueDate(due) }
        // A cancellation's own invoice is collected like any other; its status change is moot.
        return invoice.attempted ? .paymentFailed : .none
    }

    enum DunningAction: Sendable, Hashable {
        /// Retry the invoice at this instant.
        case scheduleRetry(at: Instant)
        /// The retries ran out under `cancel`: end the subscription now, invoicing nothing more.
        case cancel
        /// The retries ran out under `mark_unpaid` or `leave_past_due`: nothing more to do for the subscription.
        case none
    }

    /// A payment attempt on `invoice` failed; `nextRetry` is when the retry settings retry it (`nil`: they
    /// are exhausted). An active (or past due) subscription becomes `past_due` on that invoice while
    /// retries remain; when they are exhausted `whenExhausted` decides: canceled, `unpaid`, or left
    /// `past_due`. A canceled or ended subscription only has its invoice retried.
    mutating func paymentFailed(_ invoice: String, nextRetry: Instant?, whenExhausted: SubscriptionWhenExhausted) -> DunningAction {
        switch state {
        case .active, .pastDue, .unpaid:
            if case .unpaid(let unpaidInvoice) = state, unpaidInvoice != invoice { return nextRetry.map { .scheduleRetry(at: $0) } ?? .none }
            if let nextRetry {
                state = .pastDue(invoice: invoice)
                return .scheduleRetry(at: nextRetry)
            }
            switch whenExhausted {
            case .cancel:
                state = .canceled
                return .cancel
            case .markUnpaid:
                state = .unpaid(invoice: invoice)
            case .leavePastDue:
                state = .pastDue(invoice: invoice)
            }
            return .none
        case .notCreated, .incomplete, .trialing, .trialingToCancel, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired:
            return nextRetry.map { .scheduleRetry(at: $0) } ?? .none
        }
    }

    /// A `send_invoice` invoice passed its due date unpaid: an active subscription becomes `past_due` (§5.11).
    mutating func dueDatePassed(_ invoice: String) {
        if state == .active { state = .pastDue(invoice: invoice) }
    }

    /// `invoice` was paid (a retry or `pay_invoice`) or voided (`void_invoice`): a subscription past due or
    /// unpaid on it is active again; an incomplete one whose first invoice it is becomes active when it is
    /// paid, and expires (as at the end of the window) when it is voided.
    mutating func invoiceSettled(_ invoice: String, paid: Bool) {
        switch state {
        case .pastDue(let id), .unpaid(let id):
            if id == invoice { state = .active }
        case .incomplete(let first):
            if first.id == invoice { state = paid ? .active : .incompleteExpired }
        case .notCreated, .trialing, .trialingToCancel, .active, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired:
            break
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
        case .notCreated, .trialing, .trialingToCancel, .active, .paused, .cancelingAtPeriodEnd, .canceled, .incompleteExpired, .pastDue,
            .unpaid:
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

    /// The current period ended: an active, past due or unpaid subscription renews (an incomplete one waits
    /// to expire); one canceling at the period end bills its final invoice.
    func periodEnded() -> RenewalAction {
        switch state {
        case .active, .pastDue, .unpaid: .billRenewal
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
        case (.active, true), (.pastDue, true), (.unpaid, true): state = .cancelingAtPeriodEnd
        case (.cancelingAtPeriodEnd, false): state = .active
        case (.trialing, true): state = .trialingToCancel
        case (.trialingToCancel, false): state = .trialing
        default: break
        }
    }

    /// Whether the upcoming invoice can be previewed: only an active subscription has one.
    func preview() -> Rejection? {
        switch state {
        case .active, .cancelingAtPeriodEnd, .trialing, .trialingToCancel, .pastDue, .unpaid: nil
        case .incomplete: .incomplete
        case .notCreated, .paused, .canceled, .incompleteExpired: .notActive
        }
    }

    /// Whether `update_subscription` can change it: only an active subscription takes a change (an
    /// incomplete one waits for its first payment; Stripe's `pending_update` is not modeled).
    func update() -> Rejection? {
        switch state {
        case .active, .cancelingAtPeriodEnd, .trialing, .trialingToCancel, .pastDue, .unpaid: nil
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
        case .active, .cancelingAtPeriodEnd, .pastDue, .unpaid:
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
