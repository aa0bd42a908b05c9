import BillingCore

/// An expected invoice pasted as Stripe returns it (README, "Pasting an invoice from Stripe"): told
/// apart from billsim's document by its `lines` being a list object (`{object: list, data: […]}`) or by
/// a field only Stripe's shape has (`parent`, `status_transitions`, `livemode`). It is compared with
/// ``StripeInvoice/object(_:catalog:)``: the fields billsim encodes are compared; the others are not
/// modelled, so they are not compared and the scenario's report lists them once. Ids Stripe generated
/// (`in_1Pgc6tB7WZ01zgkWu9fdqL6I`, ``looksGenerated(_:)``) cannot be reproduced and are not compared either.
public enum StripeExpectation {
    /// Whether an expected invoice is in Stripe's shape.
    public static func isStripeShaped(_ expected: Expected) -> Bool {
        if case .map = expected["lines"] { return true }
        return ["parent", "status_transitions", "livemode"].contains { expected[$0] != nil }
    }

    /// Whether `text` is an id Stripe generated, or holds one (`/v1/invoices/in_1Q…/lines`): after the
    /// prefix's last `_`, at least 14 ASCII letters and digits with a digit and an upper-case letter.
    /// billsim's ids (`in_0001`, `il_0001_01`) and the author's (`sub_john`) never look so.
    public static func looksGenerated(_ text: String) -> Bool {
        text.split(separator: "/").contains { part in
            guard let underscore = part.lastIndex(of: "_") else { return false }
            let random = part[part.index(after: underscore)...]
            return random.count >= 14 && random.allSatisfy { $0.isASCII && ($0.isLetter || $0.isNumber) }
                && random.contains(where: \.isNumber) && random.contains(where: \.isUppercase)
        }
    }

    /// Whether an expected id is one Stripe generated where billsim has its own (`in_1Q…` for `in_0002`):
    /// not compared. An object the scenario names with an id of Stripe's form is compared as any other.
    public static func cannotReproduce(_ expected: String, actual: String) -> Bool {
        looksGenerated(expected) && !looksGenerated(actual)
    }

    /// Fields billsim writes in its own words, not Stripe's, so never compared in a pasted invoice: a
    /// line's `description` (Stripe's `1 × Hypernian license fee (at $100.00 / month)`).
    public static let notCompared: Set<String> = ["description"]

    /// An invoice object with every field billsim encodes: a paid invoice of a subscription with a
    /// discounted subscription item line and an invoice item line (their fields merged into one line).
    static let sample: DocumentValue = {
        let period = Period(start: Instant(seconds: 0), end: Instant(seconds: 1))
        func line(_ item: String) -> InvoiceLine {
            InvoiceLine(
                id: "il_0001_01", price: "price", subscriptionItem: item, description: "", period: period, quantity: .zero,
                transformedQuantity: nil, exactAmount: .zero, amount: 0, proration: false, tiers: [], metered: false,
                discountAmounts: [DiscountAmount(amount: 0, discount: "co")])
        }
        let invoice = Invoice(
            id: "in_0001", number: 1, customer: "cus", subscription: "sub", billingReason: .subscriptionCycle, status: .paid,
            currency: Currency(code: "usd")!, collectionMethod: .chargeAutomatically, created: period.start, periodStart: period.start,
            periodEnd: period.end, lines: [line("si"), line("")], finalizedAt: period.start, paidAt: period.start, dueDate: period.start)
        let catalog = Catalog(
            meters: [], products: [],
            prices: [
                Price(
                    id: "price", product: "prod", currency: invoice.currency, interval: BillingInterval(.month),
                    usageType: .licensed, scheme: .perUnit(unitAmount: .zero, transform: nil))
            ])
        guard case .object(var entries) = StripeInvoice.object(invoice, catalog: catalog),
            case .object(var list) = entries.first(where: { $0.key == "lines" })?.value,
            case .list(let lines) = list.first(where: { $0.key == "data" })?.value
        else { return .null }
        list = list.map { $0.key == "data" ? ("data", .list([lines.dropFirst().reduce(lines[0], merged)])) : $0 }
        entries = entries.map { $0.key == "lines" ? ("lines", .object(list)) : $0 }
        return .object(entries)
    }()

    /// `a` with `b`'s value wherever `a` has `null` (objects merged key by key).
    static func merged(_ a: DocumentValue, _ b: DocumentValue) -> DocumentValue {
        switch (a, b) {
        case (.null, _): return b
        case (.object(let left), .object):
            return .object(left.map { entry in (entry.key, b[entry.key].map { merged(entry.value, $0) } ?? entry.value) })
        default: return a
        }
    }

    /// The fields of an expected Stripe invoice that billsim does not encode, as paths
    /// (`account_country`, `lines.data[].metadata`), each once, in the order first met.
    public static func unmodelledFields(in expected: Expected) -> [String] {
        var found: [String] = []
        collect(expected, sample, path: "", into: &found)
        return found
    }

    static func collect(_ expected: Expected, _ sample: DocumentValue, path: String, into found: inout [String]) {
        switch (expected, sample) {
        case (.map(let entries, _), .object):
            for entry in entries {
                let child = path.isEmpty ? entry.key : "\(path).\(entry.key)"
                guard let value = sample[entry.key], !notCompared.contains(entry.key) else {
                    if !found.contains(child) { found.append(child) }
                    continue
                }
                collect(entry.value, value, path: child, into: &found)
            }
        case (.list(let items, _), .list(let values)):
            guard let first = values.first else { return }
            for item in items { collect(item, first, path: path + "[]", into: &found) }
        default: return
        }
    }

    /// The expected values that are ids Stripe generated (not compared), each once, in the order first met.
    public static func generatedIDs(in expected: Expected) -> [String] {
        var found: [String] = []
        func walk(_ value: Expected, _ sample: DocumentValue) {
            switch (value, sample) {
            case (.scalar(let text, _), _): if looksGenerated(text), !found.contains(text) { found.append(text) }
            case (.map(let entries, _), .object):
                for entry in entries { if let child = sample[entry.key] { walk(entry.value, child) } }
            case (.list(let items, _), .list(let values)):
                if let first = values.first { items.forEach { walk($0, first) } }
            default: return
            }
        }
        walk(expected, sample)
        return found
    }

    /// Problems in an expected Stripe invoice: a modelled field whose expected scalar can never match
    /// (`amount_due: 10.00`, `livemode: maybe`), `lines` that is not a list object. Unknown fields are not problems.
    public static func problems(in expected: Expected, path: String) -> [(location: SourceLocation, message: String)] {
        guard case .map = expected else { return [(expected.location, "\(path): expected a mapping of invoice fields")] }
        var problems: [(location: SourceLocation, message: String)] = []
        if let lines = expected["lines"] {
            if case .map = lines {
                if let data = lines["data"], !isList(data) {
                    problems.append((data.location, "\(path).lines.data: expected a list of line_item objects"))
                }
            } else {
                problems.append((lines.location, "\(path).lines: expected Stripe's list object ({object: list, data: [...]})"))
            }
        }
        check(expected, sample, path: path, into: &problems)
        return problems
    }

    static func isList(_ expected: Expected) -> Bool {
        if case .list = expected { return true }
        return false
    }

    static func check(_ expected: Expected, _ sample: DocumentValue, path: String, into problems: inout [(location: SourceLocation, message: String)])
    {
        switch (expected, sample) {
        case (.map(let entries, _), .object):
            for entry in entries {
                guard let value = sample[entry.key], !notCompared.contains(entry.key) else { continue }
                check(entry.value, value, path: "\(path).\(entry.key)", into: &problems)
            }
        case (.list(let items, _), .list(let values)):
            guard let first = values.first else { return }
            for (index, item) in items.enumerated() { check(item, first, path: "\(path)[\(index)]", into: &problems) }
        case (.scalar(let text, let location), _):
            guard !["null", "~", ""].contains(text), let problem = problem(text, like: sample) else { return }
            problems.append((location, "\(path): \(problem)"))
        default: return
        }
    }

    static func problem(_ text: String, like sample: DocumentValue) -> String? {
        switch sample {
        case .money, .integer: Int64(text) == nil ? "expected an integer (minor units), found \"\(text)\"" : nil
        case .decimal: ExactDecimal(expected: text) == nil ? "expected a decimal number, found \"\(text)\"" : nil
        case .timestamp: Instant(parsing: text) == nil ? "expected a Unix timestamp or an RFC 3339 time, found \"\(text)\"" : nil
        case .bool: text == "true" || text == "false" ? nil : "expected true or false, found \"\(text)\""
        default: nil
        }
    }

    /// What a scenario's report says once about its Stripe-shaped expectations: the fields not compared
    /// because billsim does not model them, and the Stripe-generated ids not compared. Empty when none.
    public static func notes(for invoices: [Expected]) -> [String] {
        var fields: [String] = []
        var ids: [String] = []
        for invoice in invoices where isStripeShaped(invoice) {
            for field in unmodelledFields(in: invoice) where !fields.contains(field) { fields.append(field) }
            for id in generatedIDs(in: invoice) where !ids.contains(id) { ids.append(id) }
        }
        var notes: [String] = []
        if !fields.isEmpty {
            notes.append(
                "expect: \(fields.count) Stripe invoice field\(fields.count == 1 ? "" : "s") billsim does not model (or words its own way), not compared: "
                    + fields.joined(separator: ", "))
        }
        if !ids.isEmpty {
            notes.append(
                "expect: \(ids.count) id\(ids.count == 1 ? "" : "s") in the form Stripe generates, compared only where the scenario names its object so (billsim's generated ids cannot match them): "
                    + ids.joined(separator: ", "))
        }
        return notes
    }
}
