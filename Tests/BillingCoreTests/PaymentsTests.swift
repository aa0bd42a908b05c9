import Testing

@testable import BillingCore

/// Payments without a store (Docs/ENGINE-RULES.md, "Payments", "Invoice actions"): which test cards
/// pay, when retries fall, what an attempt does to an invoice, what Stripe refuses, and the dunning
/// transitions of the subscription's state machine. Expected values restate the rules.
@Suite("Payments")
struct PaymentsTests {
    typealias Machine = SubscriptionStateMachine
    static let jan1 = Instant(year: 2026, month: 1, day: 1)
    static let feb1 = Instant(year: 2026, month: 2, day: 1)

    /// A renewal of 1000 finalized Feb 1 01:00, open after one declined attempt.
    static func declined(attempts: Int = 1) -> Invoice {
        var invoice = SubscriptionStateMachineTests.invoice(.subscriptionCycle)
        invoice.id = "in_0002"
        invoice.finalizedAt = feb1 + .hours(1)
        invoice.attemptCount = attempts
        return invoice
    }

    // MARK: Payment methods

    @Test func testCardsPayOrDecline() {
        for card in ["pm_card_visa", "pm_card_mastercard", "pm_card_amex", "pm_card_jp", "pm_card_de"] {
            #expect(PaymentMethods.isKnown(card) && PaymentMethods.pays(card), "\(card) pays")
        }
        for card in ["pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeCustomerFail"] {
            #expect(PaymentMethods.isKnown(card) && !PaymentMethods.pays(card), "\(card) declines")
        }
        #expect(!PaymentMethods.pays(nil))
        for unknown in ["pm_visa", "pm_card_", "pm_card_JP", "pm_card_usa", "card_visa", ""] {
            #expect(!PaymentMethods.isKnown(unknown), "\(unknown)")
        }
    }

    // MARK: Retries

    /// days [3, 5, 7] after Feb 1 01:00: Feb 4, Feb 6, Feb 8 at 01:00, then none.
    @Test func retriesFallOnTheirDaysAfterTheFirstAttempt() {
        let retries = PaymentRetries(days: [3, 5, 7])
        let first = Self.feb1 + .hours(1)
        #expect(retries.retry(0, firstAttempt: first) == Instant(year: 2026, month: 2, day: 4, hour: 1))
        #expect(retries.retry(1, firstAttempt: first) == Instant(year: 2026, month: 2, day: 6, hour: 1))
        #expect(retries.retry(2, firstAttempt: first) == Instant(year: 2026, month: 2, day: 8, hour: 1))
        #expect(retries.retry(3, firstAttempt: first) == nil)
        #expect(PaymentRetries().retry(0, firstAttempt: first) == nil)
    }

    // MARK: Attempts and actions

    @Test func anAttemptCountsAndPaysOnlyWithAPayingCard() {
        let open = Self.declined()
        let declined = Payments.attempt(open, paymentMethod: "pm_card_chargeDeclined", at: Self.feb1)
        #expect(declined.status == .open && declined.attemptCount == 2 && declined.paidAt == nil)
        let none = Payments.attempt(open, paymentMethod: nil, at: Self.feb1)
        #expect(none.status == .open && none.attemptCount == 2)
        var scheduled = open
        scheduled.nextPaymentAttempt = Self.feb1 + .days(3)
        let paid = Payments.attempt(scheduled, paymentMethod: "pm_card_visa", at: Self.feb1 + .days(2))
        #expect(paid.status == .paid && paid.attemptCount == 2 && paid.paidAt == Self.feb1 + .days(2) && paid.nextPaymentAttempt == nil)
        #expect(paid.amountPaid == 1000 && paid.amountRemaining == 0)
        let marked = Payments.markedUncollectible(scheduled, at: Self.feb1 + .days(9))
        #expect(marked.status == .uncollectible && marked.markedUncollectibleAt == Self.feb1 + .days(9) && marked.nextPaymentAttempt == nil)
        #expect(marked.amountPaid == 0 && marked.amountRemaining == 1000)
    }

    struct Refusal: Sendable, CustomTestStringConvertible {
        var action: InvoiceAction
        var status: InvoiceStatus
        var message: String?
        var testDescription: String { "\(action.rawValue) on \(status.rawValue)" }
    }

    /// Stripe: pay an open or uncollectible invoice; void an open or uncollectible one; mark an open one
    /// uncollectible; finalize a draft.
    @Test(arguments: [
        Refusal(action: .void, status: .paid, message: "the invoice is paid; only an open or an uncollectible invoice can be voided"),
        Refusal(action: .void, status: .open, message: nil),
        Refusal(action: .void, status: .uncollectible, message: nil),
        Refusal(action: .void, status: .draft, message: "the invoice is draft; only an open or an uncollectible invoice can be voided"),
        Refusal(action: .pay, status: .void, message: "the invoice is void; only an open or an uncollectible invoice can be paid"),
        Refusal(action: .pay, status: .uncollectible, message: nil),
        Refusal(action: .markUncollectible, status: .open, message: nil),
        Refusal(action: .markUncollectible, status: .paid, message: "the invoice is paid; only an open invoice can be marked uncollectible"),
        Refusal(action: .finalize, status: .draft, message: nil),
        Refusal(action: .finalize, status: .open, message: "the invoice is open; only a draft invoice can be finalized"),
    ])
    func actionsRefuseWhatStripeRefuses(_ c: Refusal) {
        #expect(c.action.refusal(for: c.status) == c.message)
    }

    // MARK: Dunning transitions

    /// A declined renewal (one attempt made) asks for the retry settings.
    @Test func aDeclinedRenewalIsAFailedPayment() {
        var machine = Machine(state: .active)
        #expect(machine.invoiceFinalized(Self.declined(), at: Self.feb1) == .paymentFailed)
        #expect(machine.state == .active)
    }

    /// A send_invoice invoice waits for its due date; passing it unpaid makes the subscription past due.
    @Test func aSendInvoiceInvoiceIsPastDueAtItsDueDate() {
        var invoice = SubscriptionStateMachineTests.invoice(.subscriptionCycle, collection: .sendInvoice)
        invoice.dueDate = Self.feb1 + .days(30)
        var machine = Machine(state: .active)
        #expect(machine.invoiceFinalized(invoice, at: Self.feb1) == .watchDueDate(Self.feb1 + .days(30)))
        machine.dueDatePassed(invoice.id)
        #expect(machine.state == .pastDue(invoice: "in_0001") && machine.status == .pastDue)
    }

    @Test func aRetryLeftMakesItPastDue() {
        var machine = Machine(state: .active)
        let retry = Self.feb1 + .days(3)
        #expect(machine.paymentFailed("in_0002", nextRetry: retry, whenExhausted: .cancel) == .scheduleRetry(at: retry))
        #expect(machine.state == .pastDue(invoice: "in_0002"))
        #expect(machine.periodEnded() == .billRenewal)
        #expect(machine.update() == nil && machine.preview() == nil)
    }

    struct Exhausted: Sendable, CustomTestStringConvertible {
        var policy: SubscriptionWhenExhausted
        var action: Machine.DunningAction
        var after: Machine.State
        var status: SubscriptionStatus
        var testDescription: String { policy.rawValue }
    }

    @Test(arguments: [
        Exhausted(policy: .cancel, action: .cancel, after: .canceled, status: .canceled),
        Exhausted(policy: .markUnpaid, action: .none, after: .unpaid(invoice: "in_0002"), status: .unpaid),
        Exhausted(policy: .leavePastDue, action: .none, after: .pastDue(invoice: "in_0002"), status: .pastDue),
    ])
    func exhaustedRetriesDoAsTheSettingsSay(_ c: Exhausted) {
        var machine = Machine(state: .pastDue(invoice: "in_0002"))
        #expect(machine.paymentFailed("in_0002", nextRetry: nil, whenExhausted: c.policy) == c.action)
        #expect(machine.state == c.after)
        #expect(machine.status == c.status)
        #expect(machine.finalizesInvoices == (c.policy != .markUnpaid))
    }

    /// Paying (or voiding) the invoice it is past due or unpaid on makes it active; another invoice does nothing.
    @Test func settlingTheLatestInvoiceMakesItActive() {
        for state in [Machine.State.pastDue(invoice: "in_0002"), .unpaid(invoice: "in_0002")] {
            var other = Machine(state: state)
            other.invoiceSettled("in_0001", paid: true)
            #expect(other.state == state)
            for paid in [true, false] {
                var machine = Machine(state: state)
                machine.invoiceSettled("in_0002", paid: paid)
                #expect(machine.state == .active)
            }
        }
        // A later invoice paid at once (a renewal, or an unpaid subscription's draft finalized by
        // finalize_invoice) also makes it active: its latest invoice is paid.
        for state in [Machine.State.pastDue(invoice: "in_0002"), .unpaid(invoice: "in_0002")] {
            var machine = Machine(state: state)
            var paid = Self.declined()
            paid.id = "in_0003"
            paid.status = .paid
            #expect(machine.invoiceFinalized(paid, at: Self.feb1) == .none)
            #expect(machine.state == .active)
        }
    }

    /// pay_invoice on an incomplete subscription's first invoice activates it; void_invoice expires it.
    @Test func settlingTheFirstInvoiceEndsIncomplete() {
        let first = SubscriptionStateMachineTests.unpaid
        var paid = Machine(state: .incomplete(firstInvoice: first))
        paid.invoiceSettled(first.id, paid: true)
        #expect(paid.state == .active)
        var voided = Machine(state: .incomplete(firstInvoice: first))
        voided.invoiceSettled(first.id, paid: false)
        #expect(voided.state == .incompleteExpired)
    }

    /// A canceled subscription's invoice is still retried; its status does not change.
    @Test func aCanceledSubscriptionOnlyHasItsInvoiceRetried() {
        var machine = Machine(state: .canceled)
        let retry = Self.feb1 + .days(3)
        #expect(machine.paymentFailed("in_0002", nextRetry: retry, whenExhausted: .cancel) == .scheduleRetry(at: retry))
        #expect(machine.paymentFailed("in_0002", nextRetry: nil, whenExhausted: .cancel) == .none)
        #expect(machine.state == .canceled)
    }

    /// Cancelling a past-due or unpaid subscription bills its cancellation as an active one's.
    @Test func aPastDueSubscriptionCanBeCanceled() {
        var machine = Machine(state: .unpaid(invoice: "in_0002"))
        #expect(machine.cancel() == .billCancellation)
        #expect(machine.state == .canceled)
    }
}
