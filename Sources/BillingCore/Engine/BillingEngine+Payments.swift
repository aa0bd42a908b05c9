/// The engine's payments (Docs/ENGINE-RULES.md, "Payments", "Invoice actions"): what a finalized
/// invoice's collection leads to, retries on `settings.payment_retries`, due dates of `send_invoice`
/// invoices, payment methods attached and detached, and the timeline's invoice actions. The rules are
/// ``Payments``, ``PaymentRetries``, ``InvoiceAction`` and the subscription's ``SubscriptionStateMachine``;
/// this file performs what they decide.
extension BillingEngine {
    /// The payment method an invoice of subscription `index` is charged to: the subscription's
    /// `default_payment_method`, else its customer's `invoice_settings.default_payment_method` (§5.11).
    func paymentMethod(for index: Int) -> String? {
        let definition = subscriptions[index].definition
        return Self.paymentMethod(of: definition, customer: customers[definition.customer])
    }

    /// The payment method that pays `subscription`'s invoices: its own default, else its customer's.
    static func paymentMethod(of subscription: Subscription, customer: Customer?) -> String? {
        subscription.defaultPaymentMethod ?? customer?.defaultPaymentMethod
    }

    /// What the finalization of `invoice` (just collected once) leads to for subscription `index`: the
    /// incomplete window, a failed payment's retry or exhaustion, or a due date to watch. Returns the
    /// invoice as it is then, to save.
    func collected(_ invoice: Invoice, of index: Int) throws -> Invoice {
        var invoice = invoice
        switch subscriptions[index].lifecycle.invoiceFinalized(invoice, at: now) {
        case .none: break
        case .scheduleExpiry(let at): queue.schedule(.expire(subscription: index), at: at)
        case .watchDueDate(let due): queue.schedule(.invoiceDue(invoice: invoice.id), at: due)
        case .paymentFailed: invoice = try paymentFailed(invoice, of: index, retry: 0)
        }
        track(invoice)
        return invoice
    }

    /// A failed attempt on `invoice`: retry number `retry` (0-based) is scheduled, or, when the settings
    /// have no such retry, the retries are exhausted: the subscription as `subscription_when_exhausted`
    /// says, the invoice as `invoice_when_exhausted` says.
    func paymentFailed(_ invoice: Invoice, of index: Int, retry: Int) throws -> Invoice {
        let retries = simulation.settings.paymentRetries
        var invoice = invoice
        let next = retries.retry(retry, firstAttempt: invoice.finalizedAt ?? now)
        invoice.nextPaymentAttempt = next
        switch subscriptions[index].lifecycle.paymentFailed(invoice.id, nextRetry: next, whenExhausted: retries.subscriptionWhenExhausted) {
        case .scheduleRetry(let at): queue.schedule(.retryPayment(invoice: invoice.id, retry: retry), at: at)
        case .cancel: endAfterFailedPayments(index)
        case .none: break
        }
        if next == nil, retries.invoiceWhenExhausted == .markUncollectible { invoice = Payments.markedUncollectible(invoice, at: now) }
        return invoice
    }

    /// `subscription_when_exhausted: cancel`: the subscription ends now, invoicing and crediting nothing;
    /// its drafts are never finalized.
    func endAfterFailedPayments(_ index: Int) {
        subscriptions[index].canceledAt = now
        subscriptions[index].endedAt = now
        let id = subscriptions[index].definition.id
        for (draftID, draft) in drafts where draft.invoice.subscription == id { frozen.insert(draftID) }
    }

    /// Retry `retry` of an invoice: charged again to the payment method on file now (one attached since
    /// pays it); a decline schedules the next retry or exhausts them. Nothing when it was paid, voided or
    /// marked uncollectible meanwhile.
    func retryPayment(_ id: String, retry: Int) async throws {
        guard let open = openInvoices[id], open.status == .open, let index = subscriptionIndexByID[open.subscription] else { return }
        var invoice = Payments.attempt(open, paymentMethod: paymentMethod(for: index), at: now)
        if invoice.status == .paid {
            subscriptions[index].lifecycle.invoiceSettled(id, paid: true)
        } else {
            invoice = try paymentFailed(invoice, of: index, retry: retry + 1)
        }
        track(invoice)
        try await storage.save(invoice)
    }

    /// A `send_invoice` invoice's due date: still open, its subscription becomes `past_due`.
    func invoiceDue(_ id: String) {
        guard let open = openInvoices[id], open.status == .open, let index = subscriptionIndexByID[open.subscription] else { return }
        subscriptions[index].lifecycle.dueDatePassed(id)
    }

    /// Keeps the open and uncollectible invoices (which retries and actions change) and the status of the
    /// others (which actions name in their errors).
    func track(_ invoice: Invoice) {
        if invoice.status == .open || invoice.status == .uncollectible {
            openInvoices[invoice.id] = invoice
        } else {
            if !openInvoices.isEmpty { openInvoices[invoice.id] = nil }
            if namesInvoices { settledStatuses[invoice.id] = invoice.status }
        }
    }

    /// `attach_payment_method`: the customer's default from now on.
    func attach(_ paymentMethod: String, to customer: String) {
        customers[customer]?.defaultPaymentMethod = paymentMethod
    }

    /// `detach_payment_method`: no longer the customer's default, nor the default of its subscriptions.
    func detach(_ paymentMethod: String, from customer: String) {
        if customers[customer]?.defaultPaymentMethod == paymentMethod { customers[customer]?.defaultPaymentMethod = nil }
        for index in subscriptions.indices
        where subscriptions[index].definition.customer == customer && subscriptions[index].definition.defaultPaymentMethod == paymentMethod {
            subscriptions[index].definition.defaultPaymentMethod = nil
        }
    }

    /// The subscription an invoice action concerns, when the invoice exists.
    func subscriptionIndex(ofInvoice id: String) -> Int? {
        let subscription = openInvoices[id]?.subscription ?? drafts[id]?.invoice.subscription ?? parked[id]?.invoice.subscription
        return subscription.flatMap { subscriptionIndexByID[$0] }
    }

    /// `pay_invoice`, `void_invoice`, `mark_uncollectible`, `finalize_invoice` on invoice `id`: what
    /// Stripe refuses (``InvoiceAction/refusal(for:)``, or an invoice the run has not created) stops the
    /// run with the invoice and its status named.
    func perform(_ action: InvoiceAction, on id: String) async throws {
        let status = drafts[id] != nil || parked[id] != nil ? .draft : openInvoices[id]?.status ?? settledStatuses[id]
        guard let status else {
            throw EngineError("\(action.rawValue) \(id) at \(now): no such invoice (the run has created \(invoiceCount) invoices so far)")
        }
        if let refusal = action.refusal(for: status) { throw EngineError("\(action.rawValue) \(id) at \(now): \(refusal)") }
        switch action {
        case .finalize:
            try await finalize(id, now: true)
        case .void:
            guard let invoice = openInvoices[id] else { return }
            try await void(invoice)
        case .markUncollectible:
            guard let invoice = openInvoices[id] else { return }
            let marked = Payments.markedUncollectible(invoice, at: now)
            track(marked)
            try await storage.save(marked)
        case .pay:
            guard let invoice = openInvoices[id], let index = subscriptionIndexByID[invoice.subscription] else { return }
            // A decline counts as an attempt and changes nothing else; the retries go on as scheduled.
            let attempted = Payments.attempt(invoice, paymentMethod: paymentMethod(for: index), at: now)
            if attempted.status == .paid { subscriptions[index].lifecycle.invoiceSettled(id, paid: true) }
            track(attempted)
            try await storage.save(attempted)
        }
    }
}
