import BillingCore

/// An invoice as Stripe's API returns it (API version 2025-03-31.basil and later: `parent`,
/// `pricing`, `total_taxes`, `total_pretax_credit_amounts`): what `billsim invoices --format stripe`
/// prints and the reports' `invoices.json` holds, and what a pasted Stripe invoice in `expect.invoices`
/// is compared with (README, "Pasting an invoice from Stripe").
///
/// Each group of fields is one function below; an invoice without taxes, discounts or credits gives
/// what Stripe gives for one (`total_taxes: []`), never an invented value. Timestamps are
/// typed (``DocumentValue/timestamp(_:)``) so that an expectation may write either form;
/// ``json(_:catalog:)`` prints them as Unix seconds, as Stripe does. Ids: billsim's own already carry
/// Stripe's prefixes (`in_0001`, `il_0001_01`, the author's `sub_…`, `si_…`, `price_…`); an invoice
/// item's id is its line's with `ii_` (`il_0001_03` → `ii_0001_03`).
public enum StripeInvoice {
    /// The invoice object. `catalog` gives each line's product and unit amount (`pricing`); without
    /// it they are `null`.
    public static func object(_ invoice: Invoice, catalog: Catalog?) -> DocumentValue {
        .object(
            identity(invoice) + parent(invoice) + [("lines", lines(invoice, catalog: catalog))] + totals(invoice) + discounts(invoice)
                + taxes(invoice) + credits(invoice) + balance(invoice) + payments(invoice) + statusTransitions(invoice))
    }

    /// Every invoice as a JSON array of invoice objects, timestamps in Unix seconds, with a final newline.
    public static func json(_ invoices: [Invoice], catalog: Catalog?) -> String {
        DocumentValue.list(invoices.map { object($0, catalog: catalog) }).unixTimestamps.json(pretty: true) + "\n"
    }

    typealias Fields = [(key: String, value: DocumentValue)]

    static func time(_ instant: Instant?) -> DocumentValue { instant.map { .timestamp($0) } ?? .null }
    static func id(_ text: String) -> DocumentValue { text.isEmpty ? .null : .string(text) }

    static func identity(_ invoice: Invoice) -> Fields {
        [
            ("id", .string(invoice.id)), ("object", .string("invoice")), ("livemode", .bool(false)),
            ("billing_reason", .string(invoice.billingReason.rawValue)), ("collection_method", .string(invoice.collectionMethod.rawValue)),
            ("created", .timestamp(invoice.created)), ("currency", .string(invoice.currency.code)), ("customer", .string(invoice.customer)),
            ("due_date", time(invoice.dueDate)), ("effective_at", time(invoice.finalizedAt)),
            ("period_start", .timestamp(invoice.periodStart)), ("period_end", .timestamp(invoice.periodEnd)),
            ("status", .string(invoice.status.rawValue)),
        ]
    }

    /// `parent`: the subscription the invoice bills (billsim models no quotes).
    static func parent(_ invoice: Invoice) -> Fields {
        guard !invoice.subscription.isEmpty else { return [("parent", .null)] }
        let details: DocumentValue = .object([("metadata", .object([])), ("subscription", .string(invoice.subscription))])
        return [
            ("parent", .object([("quote_details", .null), ("subscription_details", details), ("type", .string("subscription_details"))]))
        ]
    }

    /// `lines`: Stripe's list object holding every line.
    static func lines(_ invoice: Invoice, catalog: Catalog?) -> DocumentValue {
        .object([
            ("object", .string("list")), ("data", .list(invoice.lines.map { line($0, of: invoice, catalog: catalog) })),
            ("has_more", .bool(false)), ("total_count", .integer(Int64(invoice.lines.count))),
            ("url", .string("/v1/invoices/\(invoice.id)/lines")),
        ])
    }

    static func totals(_ invoice: Invoice) -> Fields {
        let currency = invoice.currency
        return [
            ("subtotal", .money(invoice.subtotal, currency)), ("subtotal_excluding_tax", .money(invoice.subtotalExcludingTax, currency)),
            ("total", .money(invoice.total, currency)), ("total_excluding_tax", .money(invoice.totalExcludingTax, currency)),
        ]
    }

    /// `discounts` (the discounts applied to the whole invoice: billsim's are all subscription or customer
    /// coupons, named by the coupon's id) and `total_discount_amounts`.
    static func discounts(_ invoice: Invoice) -> Fields {
        let totals = invoice.totalDiscountAmounts
        return [
            ("discounts", .list(totals.map { .string($0.discount) })),
            ("total_discount_amounts", discountAmounts(totals, currency: invoice.currency)),
        ]
    }

    static func discountAmounts(_ amounts: [DiscountAmount], currency: Currency) -> DocumentValue {
        .list(amounts.map { .object([("amount", .money($0.amount, currency)), ("discount", .string($0.discount))]) })
    }

    /// `total_taxes`: per tax rate, what it charged over every line (Docs/ENGINE-RULES.md, "Taxes").
    static func taxes(_ invoice: Invoice) -> Fields { [("total_taxes", taxAmounts(invoice.totalTaxes, currency: invoice.currency))] }

    /// Stripe's tax entries (`total_taxes`, a line's `taxes`) for tax rates: `type: tax_rate_details`.
    /// `taxability_reason` is Stripe Tax's finding, which a tax rate does not make: `not_available`.
    static func taxAmounts(_ amounts: [TaxAmount], currency: Currency) -> DocumentValue {
        .list(
            amounts.map { tax in
                .object([
                    ("amount", .money(tax.amount, currency)), ("tax_behavior", .string(tax.inclusive ? "inclusive" : "exclusive")),
                    ("tax_rate_details", .object([("tax_rate", .string(tax.taxRate))])), ("taxability_reason", .string("not_available")),
                    ("taxable_amount", .money(tax.taxableAmount, currency)), ("type", .string("tax_rate_details")),
                ])
            })
    }

    /// `total_pretax_credit_amounts`: as Stripe, every pre-tax reduction, discounts first (`type: discount`,
    /// named by the coupon as in `discount_amounts`), then billing credits (`type: credit_balance_transaction`).
    static func credits(_ invoice: Invoice) -> Fields {
        [("total_pretax_credit_amounts", pretaxCredits(invoice.totalDiscountAmounts, invoice.totalPretaxCreditAmounts, of: invoice))]
    }

    /// Stripe's `pretax_credit_amounts` entries for `discounts` and `credits`. A credit's
    /// `credit_balance_transaction` is the invoice's use of the grant: `cbtxn_<invoice number>_<grant id>`
    /// (billsim keeps no separate ledger objects; the id is deterministic).
    static func pretaxCredits(_ discounts: [DiscountAmount], _ credits: [CreditAmount], of invoice: Invoice) -> DocumentValue {
        let currency = invoice.currency
        let fromDiscounts: [DocumentValue] = discounts.map { part in
            .object([
                ("amount", .money(part.amount, currency)), ("credit_balance_transaction", .null), ("discount", .string(part.discount)),
                ("type", .string("discount")),
            ])
        }
        let fromCredits: [DocumentValue] = credits.map { part in
            .object([
                ("amount", .money(part.amount, currency)),
                ("credit_balance_transaction", .string("cbtxn_\(invoice.id.dropFirst(3))_\(part.creditGrant)")), ("discount", .null),
                ("type", .string("credit_balance_transaction")),
            ])
        }
        return .list(fromDiscounts + fromCredits)
    }

    static func balance(_ invoice: Invoice) -> Fields {
        [
            ("starting_balance", .money(invoice.startingBalance, invoice.currency)),
            ("ending_balance", invoice.endingBalance.map { .money($0, invoice.currency) } ?? .null),
        ]
    }

    /// The amounts owed and paid, and the payment attempts (Docs/ENGINE-RULES.md, "Payments").
    static func payments(_ invoice: Invoice) -> Fields {
        let currency = invoice.currency
        return [
            ("amount_due", .money(invoice.amountDue, currency)), ("amount_paid", .money(invoice.amountPaid, currency)),
            ("amount_remaining", .money(invoice.amountRemaining, currency)), ("attempt_count", .integer(Int64(invoice.attemptCount))),
            ("attempted", .bool(invoice.attempted)), ("next_payment_attempt", time(invoice.nextPaymentAttempt)),
        ]
    }

    /// `status_transitions`: when the invoice was finalized, paid, marked uncollectible or voided.
    static func statusTransitions(_ invoice: Invoice) -> Fields {
        [
            (
                "status_transitions",
                .object([
                    ("finalized_at", time(invoice.finalizedAt)), ("marked_uncollectible_at", time(invoice.markedUncollectibleAt)),
                    ("paid_at", time(invoice.paidAt)), ("voided_at", time(invoice.voidedAt)),
                ])
            )
        ]
    }

    /// One `line_item`.
    static func line(_ line: InvoiceLine, of invoice: Invoice, catalog: Catalog?) -> DocumentValue {
        let currency = invoice.currency
        return .object(
            [
                ("id", .string(line.id)), ("object", .string("line_item")), ("livemode", .bool(false)), ("invoice", .string(invoice.id)),
                ("amount", .money(line.amount, currency)), ("currency", .string(currency.code)), ("description", .string(line.description)),
                ("period", .object([("end", .timestamp(line.period.end)), ("start", .timestamp(line.period.start))])),
                ("quantity", .decimal(line.quantity, asString: false)), ("subscription", id(invoice.subscription)),
                ("pricing", pricing(line, catalog: catalog)), ("parent", parent(line, of: invoice)),
            ] + lineDiscounts(line, currency: currency) + lineTaxes(line, currency: currency) + lineCredits(line, of: invoice))
    }

    /// `pricing`: the price and its product, and the price's unit amount (`null` for tiers, as Stripe).
    static func pricing(_ line: InvoiceLine, catalog: Catalog?) -> DocumentValue {
        guard !line.price.isEmpty else { return .null }
        let price = catalog?.price(line.price)
        var unitAmount: DocumentValue = .null
        if case .perUnit(let amount, _) = price?.scheme { unitAmount = .decimal(amount, asString: true) }
        let details: DocumentValue = .object([("price", .string(line.price)), ("product", price.map { .string($0.product) } ?? .null)])
        return .object([("price_details", details), ("type", .string("price_details")), ("unit_amount_decimal", unitAmount)])
    }

    /// `parent`: the subscription item a line bills, or the invoice item it comes from. Prorations are
    /// invoice items in Stripe (`invoice_item` set); the items they credit are not tracked (`credited_items: null`).
    static func parent(_ line: InvoiceLine, of invoice: Invoice) -> DocumentValue {
        let invoiceItem: DocumentValue = line.proration || line.subscriptionItem.isEmpty ? .string(invoiceItemID(line)) : .null
        let proration: DocumentValue = .object([("credited_items", .null)])
        guard !line.subscriptionItem.isEmpty else {
            let details: DocumentValue = .object([
                ("invoice_item", invoiceItem), ("proration", .bool(line.proration)), ("proration_details", proration),
                ("subscription", id(invoice.subscription)),
            ])
            return .object([("invoice_item_details", details), ("subscription_item_details", .null), ("type", .string("invoice_item_details"))])
        }
        let details: DocumentValue = .object([
            ("invoice_item", invoiceItem), ("proration", .bool(line.proration)), ("proration_details", proration),
            ("subscription", id(invoice.subscription)), ("subscription_item", .string(line.subscriptionItem)),
        ])
        return .object([("invoice_item_details", .null), ("subscription_item_details", details), ("type", .string("subscription_item_details"))])
    }

    /// `ii_…`: the line's id with Stripe's invoice item prefix.
    static func invoiceItemID(_ line: InvoiceLine) -> String {
        line.id.hasPrefix("il_") ? "ii_" + line.id.dropFirst(3) : "ii_" + line.id
    }

    /// `discount_amounts`, `discountable` (prorations are not: Docs/ENGINE-RULES.md, "Discounts") and
    /// `discounts` (line-level discounts: none, billsim's are the invoice's).
    static func lineDiscounts(_ line: InvoiceLine, currency: Currency) -> Fields {
        [
            ("discount_amounts", discountAmounts(line.discountAmounts, currency: currency)), ("discountable", .bool(!line.proration)),
            ("discounts", .list([])),
        ]
    }

    /// `taxes`: what each tax rate charged on the line.
    static func lineTaxes(_ line: InvoiceLine, currency: Currency) -> Fields { [("taxes", taxAmounts(line.taxes, currency: currency))] }

    /// `pretax_credit_amounts`: the line's discounts and billing credits (``pretaxCredits(_:_:of:)``).
    static func lineCredits(_ line: InvoiceLine, of invoice: Invoice) -> Fields {
        [("pretax_credit_amounts", pretaxCredits(line.discountAmounts, line.pretaxCreditAmounts, of: invoice))]
    }
}

extension DocumentValue {
    /// The same value with every timestamp as Unix seconds (an integer), as Stripe's JSON writes them.
    public var unixTimestamps: DocumentValue {
        switch self {
        case .timestamp(let instant): .integer(instant.seconds)
        case .list(let items): .list(items.map(\.unixTimestamps))
        case .object(let entries): .object(entries.map { ($0.key, $0.value.unixTimestamps) })
        default: self
        }
    }
}
