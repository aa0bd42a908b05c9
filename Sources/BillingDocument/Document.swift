import BillingCore

/// A generated object as an ordered tree of typed values: what `billsim invoices` prints as JSON
/// and what expectations are compared against (the type of each leaf tells how to read the
/// expected text: a timestamp, an amount in minor units, an exact decimal…).
public indirect enum DocumentValue: Sendable, Hashable {
    case string(String)
    /// An amount in minor units of a currency.
    case money(Int64, Currency)
    /// An exact decimal; `asString` renders it as a JSON string (Stripe's `*_decimal` fields).
    case decimal(ExactDecimal, asString: Bool)
    case integer(Int64)
    case timestamp(Instant)
    case bool(Bool)
    case null
    case list([DocumentValue])
    case object([(key: String, value: DocumentValue)])

    public static func == (lhs: DocumentValue, rhs: DocumentValue) -> Bool { lhs.json() == rhs.json() }
    public func hash(into hasher: inout Hasher) { hasher.combine(json()) }

    /// The value for `key` in an object.
    public subscript(key: String) -> DocumentValue? {
        guard case .object(let entries) = self else { return nil }
        return entries.first { $0.key == key }?.value
    }

    /// How a leaf reads in a diff: `8000 (USD 80.00)`, `2026-02-01T00:00:00Z`, `"price_usage"`.
    public var display: String {
        switch self {
        case .string(let text): text
        case .money(let amount, let currency): currency.describe(amount)
        case .decimal(let value, _): value.description
        case .integer(let value): String(value)
        case .timestamp(let instant): instant.description
        case .bool(let value): value ? "true" : "false"
        case .null: "null"
        case .list, .object: json()
        }
    }

    /// Deterministic JSON: keys in document order, two-space indentation when `pretty`.
    public func json(pretty: Bool = false, indent: String = "") -> String {
        let inner = indent + "  "
        switch self {
        case .string(let text): return JSONText.quote(text)
        case .money(let amount, _): return String(amount)
        case .decimal(let value, let asString): return asString ? JSONText.quote(value.description) : value.description
        case .integer(let value): return String(value)
        case .timestamp(let instant): return JSONText.quote(instant.description)
        case .bool(let value): return value ? "true" : "false"
        case .null: return "null"
        case .list(let items):
            guard !items.isEmpty else { return "[]" }
            if !pretty { return "[" + items.map { $0.json() }.joined(separator: ",") + "]" }
            return "[\n" + items.map { inner + $0.json(pretty: true, indent: inner) }.joined(separator: ",\n") + "\n\(indent)]"
        case .object(let entries):
            guard !entries.isEmpty else { return "{}" }
            if !pretty { return "{" + entries.map { JSONText.quote($0.key) + ":" + $0.value.json() }.joined(separator: ",") + "}" }
            return "{\n"
                + entries.map { inner + JSONText.quote($0.key) + ": " + $0.value.json(pretty: true, indent: inner) }
                .joined(separator: ",\n") + "\n\(indent)}"
        }
    }
}

/// JSON string escaping (also a YAML double-quoted scalar: YAML reads the same escapes).
public enum JSONText {
    public static func quote(_ text: String) -> String {
        var out = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": out += "\\\""
            case "\\": out += "\\\\"
            case "\n": out += "\\n"
            case "\r": out += "\\r"
            case "\t": out += "\\t"
            // Every control a terminal could act on (C1, bidi overrides too: `TerminalText`), still valid JSON.
            case let c where c.value < 0x20 || TerminalText.isControl(c):
                let hex = String(c.value, radix: 16)
                out += "\\u" + String(repeating: "0", count: 4 - hex.count) + hex
            default: out.unicodeScalars.append(scalar)
            }
        }
        return out + "\""
    }
}

/// The Stripe-shaped document of an invoice: field names as in Stripe's API and in `expect:`.
public enum InvoiceDocument {
    public static func document(_ invoice: Invoice) -> DocumentValue {
        let currency = invoice.currency
        func optionalTime(_ instant: Instant?) -> DocumentValue { instant.map { .timestamp($0) } ?? .null }
        func money(_ amount: Int64?) -> DocumentValue { amount.map { .money($0, currency) } ?? .null }
        return .object(
            [
                ("id", .string(invoice.id)),
                ("object", .string("invoice")),
                ("customer", .string(invoice.customer)),
                ("subscription", .string(invoice.subscription)),
                ("billing_reason", .string(invoice.billingReason.rawValue)),
                ("status", .string(invoice.status.rawValue)),
                ("currency", .string(currency.code)),
                ("collection_method", .string(invoice.collectionMethod.rawValue)),
                ("created", .timestamp(invoice.created)),
                ("period_start", .timestamp(invoice.periodStart)),
                ("period_end", .timestamp(invoice.periodEnd)),
                ("finalized_at", optionalTime(invoice.finalizedAt)),
                ("paid_at", optionalTime(invoice.paidAt)),
                ("voided_at", optionalTime(invoice.voidedAt)),
                ("marked_uncollectible_at", optionalTime(invoice.markedUncollectibleAt)),
                ("due_date", optionalTime(invoice.dueDate)),
                ("lines", .list(invoice.lines.map { line(of: $0, currency: currency) })),
                ("subtotal", money(invoice.subtotal)),
            ]
                + (invoice.hasTaxes ? [("subtotal_excluding_tax", money(invoice.subtotalExcludingTax))] : [])
                + discounts("total_discount_amounts", invoice.totalDiscountAmounts, currency: currency)
                + credits("total_pretax_credit_amounts", invoice.totalPretaxCreditAmounts, currency: currency)
                + taxes("total_taxes", invoice.totalTaxes, currency: currency)
                + (invoice.hasTaxes ? [("total_excluding_tax", money(invoice.totalExcludingTax))] : []) + [
                    ("total", money(invoice.total)),
                    ("starting_balance", money(invoice.startingBalance)),
                    ("ending_balance", money(invoice.endingBalance)),
                    ("amount_due", money(invoice.amountDue)),
                    ("amount_paid", money(invoice.amountPaid)),
                    ("amount_remaining", money(invoice.amountRemaining)),
                    ("attempt_count", .integer(Int64(invoice.attemptCount))),
                    ("attempted", .bool(invoice.attempted)),
                    ("next_payment_attempt", optionalTime(invoice.nextPaymentAttempt)),
                ])
    }

    /// Fields left out of the document when they are empty lists (so invoices without discounts, credits
    /// or taxes read as before); an expectation of `[]` matches their absence.
    public static let omittedWhenEmpty: Set<String> = [
        "total_discount_amounts", "discount_amounts", "total_pretax_credit_amounts", "pretax_credit_amounts", "total_taxes", "taxes",
    ]

    /// Fields left out of an invoice without taxes, where each equals the field named beside it: an
    /// expectation of them is compared with that field.
    public static let omittedWithoutTaxes: [String: String] = ["subtotal_excluding_tax": "subtotal", "total_excluding_tax": "total"]

    /// `name: [{ amount, tax_rate, inclusive, taxable_amount }, …]` (Stripe's `taxes`), or nothing when `amounts` is empty.
    static func taxes(_ name: String, _ amounts: [TaxAmount], currency: Currency) -> [(key: String, value: DocumentValue)] {
        breakdown(name, amounts) {
            [
                ("amount", .money($0.amount, currency)), ("tax_rate", .string($0.taxRate)), ("inclusive", .bool($0.inclusive)),
                ("taxable_amount", .money($0.taxableAmount, currency)),
            ]
        }
    }

    /// `name: [{ amount, credit_grant, type }, …]` (Stripe's `pretax_credit_amounts`, whose `type` is
    /// `credit_balance_transaction` for a billing credit), or nothing when `amounts` is empty.
    static func credits(_ name: String, _ amounts: [CreditAmount], currency: Currency) -> [(key: String, value: DocumentValue)] {
        breakdown(name, amounts) {
            [("amount", .money($0.amount, currency)), ("credit_grant", .string($0.creditGrant)), ("type", .string("credit_balance_transaction"))]
        }
    }

    /// `name: [{ amount, discount }, …]` (Stripe's `discount_amounts`), or nothing when `amounts` is empty.
    static func discounts(_ name: String, _ amounts: [DiscountAmount], currency: Currency) -> [(key: String, value: DocumentValue)] {
        breakdown(name, amounts) { [("amount", .money($0.amount, currency)), ("discount", .string($0.discount))] }
    }

    /// `name: [{ fields of each part }, …]`, one of an amount's breakdowns, or nothing when `parts` is empty.
    static func breakdown<Part>(_ name: String, _ parts: [Part], fields: (Part) -> [(key: String, value: DocumentValue)])
        -> [(key: String, value: DocumentValue)]
    {
        parts.isEmpty ? [] : [(name, .list(parts.map { .object(fields($0)) }))]
    }

    static func line(of line: InvoiceLine, currency: Currency) -> DocumentValue {
        .object(
            [
                ("id", .string(line.id)),
                ("object", .string("line_item")),
                ("price", .string(line.price)),
                ("subscription_item", .string(line.subscriptionItem)),
                ("description", .string(line.description)),
                ("period", .object([("start", .timestamp(line.period.start)), ("end", .timestamp(line.period.end))])),
                ("proration", .bool(line.proration)),
                ("quantity", .decimal(line.quantity, asString: false)),
                ("quantity_transformed", line.transformedQuantity.map { .decimal($0, asString: false) } ?? .null),
                ("amount", .money(line.amount, currency)),
            ]
                + discounts("discount_amounts", line.discountAmounts, currency: currency)
                + credits("pretax_credit_amounts", line.pretaxCreditAmounts, currency: currency)
                + taxes("taxes", line.taxes, currency: currency) + [
                    ("amount_decimal", .decimal(line.exactAmount, asString: true)),
                    (
                        "tiers",
                        .list(
                            line.tiers.map { tier in
                                .object([
                                    ("tier", .integer(Int64(tier.tier + 1))),
                                    ("up_to", tier.upTo.map { .integer($0) } ?? .string("inf")),
                                    ("quantity", .decimal(tier.quantity, asString: false)),
                                    ("unit_amount_decimal", .decimal(tier.unitAmount, asString: true)),
                                    ("flat_amount_decimal", .decimal(tier.flatAmount, asString: true)),
                                    ("amount_decimal", .decimal(tier.amount, asString: true)),
                                ])
                            })
                    ),
                ])
    }

    /// Fields that are shown but never compared (`object` is Stripe's type tag).
    public static let ignoredFields: Set<String> = ["object"]

    /// The fields an expected invoice may name, with the fields of its lines.
    static let invoiceFields: [String] = {
        guard case .object(let entries) = document(sample) else { return [] }
        return entries.map(\.key)
    }()

    static let lineFields: [String] = {
        guard case .object(let entries) = line(of: sample.lines[0], currency: sample.currency) else { return [] }
        return entries.map(\.key)
    }()

    /// An invoice with every field the document can show (a discounted, credited, taxed line).
    static let sample: Invoice = {
        let period = Period(start: Instant(seconds: 0), end: Instant(seconds: 1))
        let line = InvoiceLine(
            id: "", price: "", subscriptionItem: "", description: "", period: period, quantity: .zero, transformedQuantity: nil, exactAmount: .zero,
            amount: 0, proration: false, tiers: [], metered: false, discountAmounts: [DiscountAmount(amount: 0, discount: "")],
            pretaxCreditAmounts: [CreditAmount(amount: 0, creditGrant: "")],
            taxes: [TaxAmount(amount: 0, taxRate: "", inclusive: false, taxableAmount: 0)])
        return Invoice(
            id: "", number: 0, customer: "", subscription: "", billingReason: .upcoming, currency: Currency(code: "usd")!,
            collectionMethod: .chargeAutomatically, created: period.start, periodStart: period.start, periodEnd: period.end, lines: [line])
    }()

    /// The values an enumerated field can take.
    static let choices: [String: [String]] = [
        "status": InvoiceStatus.allCases.map(\.rawValue), "billing_reason": BillingReason.allCases.map(\.rawValue),
        "collection_method": CollectionMethod.allCases.map(\.rawValue),
    ]
    /// Fields that are null on the sample (a draft), by the kind of value they hold otherwise.
    static let nullableTimestamps: Set<String> = [
        "finalized_at", "paid_at", "due_date", "voided_at", "marked_uncollectible_at", "next_payment_attempt",
    ]
    static let nullableMoney: Set<String> = ["ending_balance"]

    /// Why an expected scalar can never equal the field (`amount: 8000.0`, `status: maybe`), or `nil`.
    /// A malformed expectation is an INVALID file, not a difference: it would fail whatever the run.
    static func valueProblem(_ expected: Expected, key: String, sample: DocumentValue?) -> String? {
        guard case .scalar(let text, _) = expected, !["null", "~", ""].contains(text) else { return nil }
        if let choices = choices[key], !choices.contains(text) { return "expected one of \(choices.joined(separator: ", ")), found \"\(text)\"" }
        let kind: DocumentValue? =
            nullableTimestamps.contains(key) ? .timestamp(Instant(seconds: 0)) : nullableMoney.contains(key) ? .integer(0) : sample
        switch kind {
        case .money, .integer: return Int64(text) == nil ? "expected an integer (minor units), found \"\(text)\"" : nil
        case .decimal: return ExactDecimal(expected: text) == nil ? "expected a decimal number, found \"\(text)\"" : nil
        case .timestamp: return Instant(parsing: text) == nil ? "expected a timestamp from year 0000 to 9999, found \"\(text)\"" : nil
        case .bool: return text == "true" || text == "false" ? nil : "expected true or false, found \"\(text)\""
        default: return nil
        }
    }

    /// Problems in an expected invoice's shape (unknown fields, a non-list `lines`), with locations;
    /// the scenario loader reports them as diagnostics before anything runs.
    public static func problems(in expected: Expected, path: String) -> [(location: SourceLocation, message: String)] {
        guard case .map(let entries, _) = expected else {
            return [(expected.location, "\(path): expected a mapping of invoice fields")]
        }
        var problems: [(location: SourceLocation, message: String)] = []
        let invoiceKeys = Set(invoiceFields)
        let sampleDocument = document(sample)
        for entry in entries {
            guard invoiceKeys.contains(entry.key) else {
                problems.append((entry.keyLocation, "\(path).\(entry.key): unknown invoice field (known: \(invoiceFields.joined(separator: ", ")))"))
                continue
            }
            if let problem = valueProblem(entry.value, key: entry.key, sample: sampleDocument[entry.key]) {
                problems.append((entry.value.location, "\(path).\(entry.key): \(problem)"))
            }
            guard entry.key == "lines" else { continue }
            guard case .list(let lines, _) = entry.value else {
                problems.append((entry.value.location, "\(path).lines: expected a list of lines"))
                continue
            }
            let lineKeys = Set(lineFields)
            for (index, line) in lines.enumerated() {
                guard case .map(let lineEntries, _) = line else {
                    problems.append((line.location, "\(path).lines[\(index)]: expected a mapping of line fields"))
                    continue
                }
                let sampleLine = Self.line(of: sample.lines[0], currency: sample.currency)
                for lineEntry in lineEntries {
                    guard lineKeys.contains(lineEntry.key) else {
                        problems.append(
                            (
                                lineEntry.keyLocation,
                                "\(path).lines[\(index)].\(lineEntry.key): unknown line field (known: \(lineFields.joined(separator: ", ")))"
                            ))
                        continue
                    }
                    if let problem = valueProblem(lineEntry.value, key: lineEntry.key, sample: sampleLine[lineEntry.key]) {
                        problems.append((lineEntry.value.location, "\(path).lines[\(index)].\(lineEntry.key): \(problem)"))
                    }
                }
            }
        }
        return problems
    }
}

/// A subscription's state as `expect.subscriptions` reads it: Stripe's field names.
public enum SubscriptionDocument {
    public static func document(_ snapshot: SubscriptionSnapshot) -> DocumentValue {
        func time(_ instant: Instant?) -> DocumentValue { instant.map { .timestamp($0) } ?? .null }
        return .object([
            ("id", .string(snapshot.id)), ("status", snapshot.status.map { .string($0) } ?? .null),
            ("current_period_start", time(snapshot.currentPeriodStart)), ("current_period_end", time(snapshot.currentPeriodEnd)),
            ("cancel_at_period_end", .bool(snapshot.cancelAtPeriodEnd)), ("cancel_at", time(snapshot.cancelAt)),
            ("canceled_at", time(snapshot.canceledAt)),
            ("ended_at", time(snapshot.endedAt)), ("trial_end", time(snapshot.trialEnd)),
        ])
    }

    /// The fields an expected subscription may name.
    public static let fields: [String] = {
        guard case .object(let entries) = document(SubscriptionSnapshot(id: "", status: nil, currentPeriodStart: nil, currentPeriodEnd: nil))
        else { return [] }
        return entries.map(\.key)
    }()
}

/// A customer's state as `expect.customers` reads it.
public enum CustomerDocument {
    public static func document(_ snapshot: CustomerSnapshot) -> DocumentValue {
        .object([
            ("id", .string(snapshot.id)),
            ("balance", snapshot.currency.map { .money(snapshot.balance, $0) } ?? .integer(snapshot.balance)),
        ])
    }

    /// The fields an expected customer may name.
    public static let fields = ["id", "balance"]
}

/// A credit grant's state as `expect.credit_grants` reads it: `available`, what is left to spend when the
/// clock stops (0 once expired).
public enum CreditGrantDocument {
    public static func document(_ snapshot: CreditGrantSnapshot) -> DocumentValue {
        .object([("id", .string(snapshot.id)), ("available", .money(snapshot.available, snapshot.currency))])
    }

    /// The fields an expected credit grant may name.
    public static let fields = ["id", "available"]
}

extension ExactDecimal {
    /// An expected decimal: as a person writes one, or every digit of a computed amount as billsim
    /// writes it (`amount_decimal` of a proration has more digits than a price may: what `billsim
    /// invoices` printed, and `billsim run --record` wrote, must match).
    public init?(expected text: String) {
        guard let value = ExactDecimal(parsing: text) ?? ExactDecimal(exactText: text) else { return nil }
        self = value
    }
}
