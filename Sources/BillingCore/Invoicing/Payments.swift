/// Payments, retries and invoice actions (Docs/ENGINE-RULES.md, "Payments", "Invoice actions"):
/// functions of values. The engine asks them what an attempt does, when the next retry is, and
/// whether an action is allowed; the subscription's status follows from ``SubscriptionStateMachine``.

/// Stripe's test payment methods (docs.stripe.com/testing): which pay and which decline.
public enum PaymentMethods {
    /// Cards that pay every charge: the brands, and the country cards `pm_card_<country>` (``isKnown(_:)``).
    public static let succeeding: Set<String> = [
        "pm_card_visa", "pm_card_visa_debit", "pm_card_mastercard", "pm_card_mastercard_debit", "pm_card_mastercard_prepaid",
        "pm_card_amex", "pm_card_discover", "pm_card_diners", "pm_card_jcb", "pm_card_unionpay",
    ]
    /// Cards that attach to a customer but decline every charge.
    public static let declining: Set<String> = [
        "pm_card_chargeDeclined", "pm_card_chargeDeclinedInsufficientFunds", "pm_card_chargeCustomerFail",
        "pm_card_visa_chargeDeclined", "pm_card_chargeDeclinedLostCard", "pm_card_chargeDeclinedStolenCard",
        "pm_card_chargeDeclinedExpiredCard", "pm_card_chargeDeclinedIncorrectCvc", "pm_card_chargeDeclinedProcessingError",
        "pm_card_chargeDeclinedFraudulent", "pm_card_chargeDeclinedVelocityLimitExceeded",
    ]

    /// Whether `id` is one of Stripe's test payment methods billsim knows: ``succeeding``, ``declining``,
    /// or a country card `pm_card_` + a two-letter country code (`pm_card_jp`, `pm_card_de`, …), which pays.
    public static func isKnown(_ id: String) -> Bool {
        if succeeding.contains(id) || declining.contains(id) { return true }
        let prefix = "pm_card_"
        guard id.hasPrefix(prefix) else { return false }
        let country = id.dropFirst(prefix.count)
        return country.count == 2 && country.allSatisfy { $0.isASCII && $0.isLowercase }
    }

    /// Whether a charge to `id` succeeds: no payment method fails; a declining card fails; any other pays
    /// (the loader has refused ids it does not know).
    public static func pays(_ id: String?) -> Bool {
        guard let id else { return false }
        return !declining.contains(id)
    }
}

/// What happens to the subscription when a renewal's retries are exhausted (Stripe's "Manage failed payments").
public enum SubscriptionWhenExhausted: String, Sendable, Hashable, CaseIterable {
    case cancel
    case markUnpaid = "mark_unpaid"
    case leavePastDue = "leave_past_due"
}

/// What happens to the invoice when its retries are exhausted.
public enum InvoiceWhenExhausted: String, Sendable, Hashable, CaseIterable {
    case leaveOpen = "leave_open"
    case markUncollectible = "mark_uncollectible"
}

/// `settings.payment_retries`. Absent: no retry (Stripe's Smart Retries pick their times by a model
/// billsim cannot reproduce), the subscription left `past_due` and the invoice left open.
public struct PaymentRetries: Sendable, Hashable {
    /// Days after the first attempt at which the invoice is retried, strictly increasing.
    public var days: [Int]
    public var subscriptionWhenExhausted: SubscriptionWhenExhausted
    public var invoiceWhenExhausted: InvoiceWhenExhausted

    public init(
        days: [Int] = [], subscriptionWhenExhausted: SubscriptionWhenExhausted = .leavePastDue,
        invoiceWhenExhausted: InvoiceWhenExhausted = .leaveOpen
    ) {
        self.days = days
        self.subscriptionWhenExhausted = subscriptionWhenExhausted
        self.invoiceWhenExhausted = invoiceWhenExhausted
    }

    /// The instant of retry `retry` (0-based) of an invoice first attempted at `firstAttempt`; `nil` when
    /// there is no such retry (the retries are exhausted).
    public func retry(_ retry: Int, firstAttempt: Instant) -> Instant? {
        guard retry >= 0, retry < days.count else { return nil }
        return firstAttempt + .days(Int64(days[retry]))
    }
}

/// A timeline action on one invoice.
public enum InvoiceAction: String, Sendable, Hashable, CaseIterable {
    case pay = "pay_invoice"
    case void = "void_invoice"
    case markUncollectible = "mark_uncollectible"
    case finalize = "finalize_invoice"

    /// Why Stripe refuses this action on an invoice in `status`, or `nil` when it is allowed: pay an open
    /// or uncollectible invoice; void an open or uncollectible one; mark an open one uncollectible;
    /// finalize a draft.
    public func refusal(for status: InvoiceStatus) -> String? {
        let allowed: [InvoiceStatus] =
            switch self {
            case .pay, .void: [.open, .uncollectible]
            case .markUncollectible: [.open]
            case .finalize: [.draft]
            }
        guard !allowed.contains(status) else { return nil }
        let verb =
            switch self {
            case .pay: "paid"
            case .void: "voided"
            case .markUncollectible: "marked uncollectible"
            case .finalize: "finalized"
            }
        let which = allowed.map { $0 == .open ? "an open" : $0 == .draft ? "a draft" : "an \($0.rawValue)" }.joined(separator: " or ")
        return "the invoice is \(status.rawValue); only \(which) invoice can be \(verb)"
    }
}

/// Payment attempts and the invoice statuses they and the actions lead to.
public enum Payments {
    /// One payment attempt on `open` at `instant` with `paymentMethod`: `attempt_count` + 1; paid when the
    /// method pays (``PaymentMethods/pays(_:)``), else left as it was (open or uncollectible).
    public static func attempt(_ open: Invoice, paymentMethod: String?, at instant: Instant) -> Invoice {
        var invoice = open
        invoice.attemptCount += 1
        if PaymentMethods.pays(paymentMethod) { return paid(invoice, at: instant) }
        return invoice
    }

    /// Paid at `instant`: no retry left to make.
    public static func paid(_ invoice: Invoice, at instant: Instant) -> Invoice {
        var paid = invoice
        paid.status = .paid
        paid.paidAt = instant
        paid.nextPaymentAttempt = nil
        return paid
    }

    /// `mark_uncollectible` (or retries exhausted under `invoice_when_exhausted: mark_uncollectible`).
    public static func markedUncollectible(_ open: Invoice, at instant: Instant) -> Invoice {
        var invoice = open
        invoice.status = .uncollectible
        invoice.markedUncollectibleAt = instant
        invoice.nextPaymentAttempt = nil
        return invoice
    }

    /// `void_invoice` (or an incomplete subscription's first invoice voided): `amount_due` unchanged,
    /// `amount_paid` 0, and the customer balance it used, to give back.
    public static func voided(_ open: Invoice, at instant: Instant) -> (invoice: Invoice, balanceGivenBack: Int64) {
        var invoice = open
        invoice.status = .void
        invoice.voidedAt = instant
        invoice.nextPaymentAttempt = nil
        return (invoice, open.startingBalance - (open.endingBalance ?? open.startingBalance))
    }
}
