import BillingCore
import BillingDocument

/// Payment methods, `settings.payment_retries` and the timeline's payment and invoice actions
/// (SCENARIO-FORMAT.md; Docs/ENGINE-RULES.md, "Payments", "Invoice actions").
extension ScenarioReader {
    /// A payment method id: one of Stripe's test payment methods (``PaymentMethods/isKnown(_:)``); null is none.
    func readPaymentMethod(_ value: YAMLValue) -> String?? {
        if value.isNull { return .some(nil) }
        guard let id = value.identifier() else { return nil }
        guard PaymentMethods.isKnown(id) else {
            value.error(
                "unknown payment method `\(id)`: give one of Stripe's test payment methods (pm_card_visa, pm_card_mastercard, pm_card_<country> … pay; pm_card_chargeDeclined, pm_card_chargeDeclinedInsufficientFunds, pm_card_chargeCustomerFail … decline)"
            )
            return nil
        }
        return .some(id)
    }

    /// `settings.payment_retries`: `days` strictly increasing and ≥ 1, and what happens when they run out.
    func readPaymentRetries(_ fields: Fields) -> PaymentRetries? {
        let days = fields.read("days", default: [Int]()) { value -> [Int]? in
            guard let list = value.list() else { return nil }
            var days: [Int] = []
            var valid = true
            for element in list {
                guard let day = element.int(1...3650) else {
                    valid = false
                    continue
                }
                if let last = days.last, day <= last {
                    element.error("retry days must be strictly increasing: \(day) after \(last)")
                    valid = false
                }
                days.append(day)
            }
            return valid ? days : nil
        }
        let subscription = fields.read("subscription_when_exhausted", default: SubscriptionWhenExhausted.leavePastDue) {
            $0.oneOf(SubscriptionWhenExhausted.self)
        }
        let invoice = fields.read("invoice_when_exhausted", default: InvoiceWhenExhausted.leaveOpen) { $0.oneOf(InvoiceWhenExhausted.self) }
        guard let days, let subscription, let invoice else { return nil }
        return PaymentRetries(days: days, subscriptionWhenExhausted: subscription, invoiceWhenExhausted: invoice)
    }

    /// `attach_payment_method` / `detach_payment_method`: `{ customer, payment_method }`.
    func readPaymentMethodAction(_ fields: Fields, attach: Bool, at: Instant?) -> TimelineAction? {
        let customer = customers.resolve(fields.required("customer"))
        let method = fields.required("payment_method").flatMap { readPaymentMethod($0) } ?? nil
        guard let customer, let method else { return nil }
        if let at { notePaymentMethod(of: customer.object, attach ? method : nil, detaching: attach ? nil : method, at: at) }
        return attach
            ? .attachPaymentMethod(customer: customer.id, paymentMethod: method)
            : .detachPaymentMethod(customer: customer.id, paymentMethod: method)
    }

    /// `pay_invoice`, `void_invoice`, `mark_uncollectible`, `finalize_invoice`: `{ invoice }`, an id billsim
    /// generates (`in_0001`, … in creation order). Whether that invoice exists and what its status is are
    /// known only when the run reaches the action, except after a `void_invoice` of it earlier in the
    /// file (a voided invoice takes no action), which is reported here.
    func readInvoiceAction(_ fields: Fields, _ action: InvoiceAction, at: Instant?) -> TimelineAction? {
        guard let value = fields.required("invoice"), let id = value.identifier() else { return nil }
        let digits = id.dropFirst(3)
        guard id.hasPrefix("in_"), digits.count >= 4, digits.allSatisfy(\.isASCII), Int(digits).map({ $0 > 0 }) == true else {
            value.error("expected the id of an invoice the run creates (in_0001, in_0002, … in creation order), found \"\(id)\"")
            return nil
        }
        if let voided = voidedInvoices[id] {
            value.error("\(action.rawValue) \(id): the invoice is voided by the void_invoice at line \(voided.line); a void invoice takes no action")
            return nil
        }
        if action == .void { voidedInvoices[id] = value.location }
        return .invoiceAction(action, invoice: id)
    }

    /// The customer's payment method changed at `at` (attached, or `detaching` one): a subscription of
    /// it still in its trial then ends the trial with or without a payment method accordingly, so the
    /// checks of later entries (``timelineState(of:changedAt:by:at:)``) follow what the run will do.
    func notePaymentMethod(of customer: Customer, _ attached: String?, detaching: String? = nil, at: Instant) {
        let current = customerPaymentMethods[customer.id] ?? customer.defaultPaymentMethod
        let now = attached ?? (current == detaching ? nil : current)
        customerPaymentMethods[customer.id] = .some(now)
        for subscription in subscriptions.loaded where subscription.customer == customer.id {
            var state = initialState(of: subscription)
            guard let trialEnd = state.trialEnd, at < trialEnd else { continue }
            let own = subscription.defaultPaymentMethod.flatMap { $0 == detaching ? nil : $0 }
            state.trialEndsWithout = own != nil || now != nil || subscription.trialEndBehavior == .createInvoice ? nil : subscription.trialEndBehavior
            subscriptionStates[subscription.id] = state
        }
    }
}
