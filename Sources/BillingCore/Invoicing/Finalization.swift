/// Draft → open → paid, and voiding (Docs/ENGINE-RULES.md, "Status", "Totals", "Minimum charge",
/// "Late usage"): functions of values; the engine reads the usage and keeps the customer balance.

/// An invoice not finalized yet, with the metered lines to aggregate again at its finalization.
struct Draft: Sendable, Hashable {
    /// A metered line whose quantity is re-aggregated until its invoice is finalized.
    struct UsageLine: Sendable, Hashable {
        /// The line's position on the invoice.
        var index: Int
        var query: UsageQuery
        var price: Price
        /// What threshold invoices already billed of the line's usage (``ThresholdRating``).
        var billed: BilledUsage? = nil
        /// The aggregate the line was last rated from: the same aggregate rates the same line.
        var quantity: ExactDecimal
    }

    var invoice: Invoice
    var usageLines: [UsageLine]
    /// The coupons applied when it was created, applied again when its usage is re-rated.
    var coupons: [Coupon] = []
    /// Each line's tax rates when it was created, applied again when its usage is re-rated.
    var taxRates: [[TaxRate]] = []

    /// Late usage: the metered line at `usageLine` billed again for `quantity`, the period's aggregate
    /// at finalization (events received during the grace land on the invoice).
    mutating func rerate(_ usageLine: UsageLine, quantity: ExactDecimal) throws(AmountOverflow) {
        let old = invoice.lines[usageLine.index]
        let rated = ThresholdRating.rate(usageLine.price.scheme, usage: quantity, after: usageLine.billed)
        invoice.lines[usageLine.index] = try InvoiceLine(
            id: old.id, price: old.price, subscriptionItem: old.subscriptionItem, description: old.description, period: old.period,
            quantity: rated.quantity, rated: rated.rated, proration: old.proration, metered: true)
    }
}

/// Finalizing and voiding invoices.
enum Finalization {
    /// When a new invoice is finalized (Docs/ENGINE-RULES.md, "Status"): a renewal after the grace;
    /// a first or cancellation invoice at once under `charge_automatically`, 1h after creation under
    /// `send_invoice`.
    static func instant(of reason: BillingReason, collection: CollectionMethod, created: Instant, grace: TimeSpan) -> Instant {
        switch reason {
        case .subscriptionCycle, .automaticPendingInvoiceItemInvoice: created + grace
        case .subscriptionCreate, .subscriptionUpdate, .subscriptionThreshold, .upcoming: collection == .sendInvoice ? created + .hours(1) : created
        }
    }

    /// A finalized invoice and the customer balance after it.
    struct Finalized: Sendable, Hashable {
        var invoice: Invoice
        var balance: Int64
    }

    /// Finalizes `draft` at `instant` for a customer whose balance is `balance`: applies the balance,
    /// sets the due date, then collects it (``applyingBalance(_:balance:at:)``, ``dueDate(finalizedAt:daysUntilDue:)``,
    /// ``collected(_:paymentMethod:at:)``).
    /// Totals beyond `Int64` minor units (``Invoice/checkTotals()``) are an ``AmountOverflow``.
    static func finalize(
        _ draft: Invoice, at instant: Instant, balance: Int64, paymentMethod: String?, daysUntilDue: Int
    ) throws(AmountOverflow) -> Finalized {
        var invoice = applyingBalance(draft, balance: balance, at: instant)
        try invoice.checkTotals()
        let balanceAfter = invoice.endingBalance ?? balance
        if invoice.collectionMethod == .sendInvoice { invoice.dueDate = dueDate(finalizedAt: instant, daysUntilDue: daysUntilDue) }
        return Finalized(invoice: collected(invoice, paymentMethod: paymentMethod, at: instant), balance: balanceAfter)
    }

    /// Totals: the invoice opened at `instant` with the customer's `balance` as its starting balance, so
    /// that `amount_due = max(0, total + starting_balance)` and a credit left over stays on the customer
    /// (`ending_balance`); below the minimum charge the whole amount becomes the ending balance
    /// (``Invoice/isBelowMinimumCharge``).
    static func applyingBalance(_ draft: Invoice, balance: Int64, at instant: Instant) -> Invoice {
        var invoice = draft
        invoice.startingBalance = balance
        invoice.status = .open
        invoice.finalizedAt = instant
        return invoice
    }

    /// Status, `send_invoice`: due `daysUntilDue` days after finalization.
    static func dueDate(finalizedAt instant: Instant, daysUntilDue: Int) -> Instant { instant + .days(Int64(daysUntilDue)) }

    /// Status: an open invoice is paid at once, without an attempt, when nothing is due; under
    /// `charge_automatically` the payment method on file is charged once (``Payments/attempt(_:paymentMethod:at:)``:
    /// no method or a declining card leaves it open, with one attempt counted); `send_invoice` waits, open.
    static func collected(_ open: Invoice, paymentMethod: String?, at instant: Instant) -> Invoice {
        if open.amountDue == 0 { return Payments.paid(open, at: instant) }
        guard open.collectionMethod == .chargeAutomatically else { return open }
        return Payments.attempt(open, paymentMethod: paymentMethod, at: instant)
    }
}
