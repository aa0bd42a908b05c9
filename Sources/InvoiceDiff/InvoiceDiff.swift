import BillingCore
import BillingDocument

/// Structural, identity-keyed comparison of expected against generated documents.
///
/// Only the fields an expectation writes are compared. Lists of invoices are compared in order;
/// lists of lines are matched by identity (`price`, `period`, `proration`, whichever the expected
/// line gives) and must account for every generated line. Each leaf is read by the type of the
/// generated value: an amount in minor units, an exact decimal, a timestamp, a flag or a string.
public enum InvoiceDiff {
    /// Fields that identify a line.
    static let lineIdentity = ["price", "period", "proration"]

    /// How an expectation is read: billsim's document, or an invoice pasted as Stripe returns it.
    public enum Style: Sendable {
        /// Every field written must exist; `lines` is a list.
        case billsim
        /// ``StripeExpectation``: fields billsim does not encode, and ids Stripe generated, are not
        /// compared; lines are `lines.data`, identified by `pricing.price_details.price`, `period` and
        /// the `proration` of their `parent`.
        case stripe

        /// The key paths that identify a line.
        var lineIdentity: [[String]] {
            switch self {
            case .billsim: InvoiceDiff.lineIdentity.map { [$0] }
            case .stripe:
                [
                    ["pricing", "price_details", "price"], ["period"], ["parent", "subscription_item_details", "proration"],
                    ["parent", "invoice_item_details", "proration"],
                ]
            }
        }
    }

    /// Compares expected invoices, in creation order, with the generated ones: each expected invoice in
    /// billsim's shape against ``InvoiceDocument``, each in Stripe's against ``StripeInvoice`` (`catalog`
    /// gives its lines' products).
    public static func compare(invoices expected: Expected, with actual: [Invoice], catalog: Catalog?, path: String = "invoices") -> [Difference] {
        guard case .list(let items, _) = expected else { return compare(invoices: expected, with: actual.map(InvoiceDocument.document), path: path) }
        var differences: [Difference] = []
        for (index, item) in items.enumerated() {
            guard index < actual.count else {
                differences.append(missing(item, index: index, of: actual.count, path: path))
                continue
            }
            differences += compare(invoice: item, with: actual[index], catalog: catalog, path: "\(path)[\(index)]")
        }
        return differences
    }

    /// An expected invoice beyond the `count` the run generated.
    static func missing(_ item: Expected, index: Int, of count: Int, path: String) -> Difference {
        Difference(path: "\(path)[\(index)]", expected: "an invoice", actual: "none (the run generated \(count))", location: item.location)
    }

    /// Compares one expected invoice (either shape) with a generated one.
    public static func compare(invoice expected: Expected, with actual: Invoice, catalog: Catalog?, path: String) -> [Difference] {
        guard StripeExpectation.isStripeShaped(expected) else { return compare(expected, with: InvoiceDocument.document(actual), path: path) }
        return compare(expected, with: StripeInvoice.object(actual, catalog: catalog), path: path, style: .stripe)
    }

    /// Compares expected invoices, in creation order, with the generated ones.
    public static func compare(invoices expected: Expected, with actual: [DocumentValue], path: String = "invoices") -> [Difference] {
        guard case .list(let items, _) = expected else {
            return [Difference(path: path, expected: "a list of invoices", actual: "\(actual.count) invoices", location: expected.location)]
        }
        var differences: [Difference] = []
        for (index, item) in items.enumerated() {
            guard index < actual.count else {
                differences.append(missing(item, index: index, of: actual.count, path: path))
                continue
            }
            differences += compare(item, with: actual[index], path: "\(path)[\(index)]")
        }
        return differences
    }

    /// Compares one expected value with a generated one, recursively.
    public static func compare(_ expected: Expected, with actual: DocumentValue, path: String, style: Style = .billsim) -> [Difference] {
        switch (expected, actual) {
        case (.map(let entries, _), .object):
            var differences: [Difference] = []
            for entry in entries where !InvoiceDocument.ignoredFields.contains(entry.key) {
                if style == .stripe && StripeExpectation.notCompared.contains(entry.key) { continue }
                let childPath = "\(path).\(entry.key)"
                let absent: DocumentValue? =
                    style != .billsim
                    ? nil
                    : InvoiceDocument.omittedWhenEmpty.contains(entry.key)
                        ? .list([]) : InvoiceDocument.omittedWithoutTaxes[entry.key].flatMap { actual[$0] }
                guard let child = actual[entry.key] ?? absent else {
                    // Stripe's fields that billsim does not encode: listed once in the report (StripeExpectation.notes).
                    if style == .stripe { continue }
                    differences.append(
                        Difference(path: childPath, expected: describe(entry.value), actual: "no such field", location: entry.keyLocation))
                    continue
                }
                if entry.key == (style == .billsim ? "lines" : "data"), case .list(let lines) = child {
                    differences += compare(lines: entry.value, with: lines, path: childPath, style: style)
                } else {
                    differences += compare(entry.value, with: child, path: childPath, style: style)
                }
            }
            return differences
        case (.list(let items, let location), .list(let values)):
            var differences: [Difference] = []
            if items.count != values.count {
                differences.append(Difference(path: "\(path).count", expected: "\(items.count)", actual: "\(values.count)", location: location))
            }
            for (index, pair) in zip(items, values).enumerated() {
                differences += compare(pair.0, with: pair.1, path: "\(path)[\(index)]", style: style)
            }
            return differences
        case (.scalar(let text, let location), _):
            if matches(text, actual) || (style == .stripe && StripeExpectation.cannotReproduce(text, actual: actual.display)) { return [] }
            return [Difference(path: path, expected: render(text, like: actual), actual: actual.display, location: location)]
        default:
            return [Difference(path: path, expected: describe(expected), actual: actual.display, location: expected.location)]
        }
    }

    /// Matches expected lines to generated ones by identity, then compares their fields.
    static func compare(lines expected: Expected, with actual: [DocumentValue], path: String, style: Style = .billsim) -> [Difference] {
        guard case .list(let items, let location) = expected else {
            return [Difference(path: path, expected: describe(expected), actual: "a list of \(actual.count) lines", location: expected.location)]
        }
        var unmatched = Array(actual.indices)
        var differences: [Difference] = []
        for item in items {
            let identity = style.lineIdentity.compactMap { keys in value(item, at: keys).map { (keys.joined(separator: "."), keys, $0) } }
            let candidate = unmatched.first { index in
                identity.allSatisfy { _, keys, value in
                    InvoiceDiff.value(actual[index], at: keys).map { compare(value, with: $0, path: "", style: style).isEmpty } ?? false
                }
            }
            guard let index = candidate else {
                let wanted = identity.map { "\($0.0) \(describe($0.2))" }.joined(separator: ", ")
                let available = unmatched.map { lineSummary(actual[$0]) }.joined(separator: "; ")
                differences.append(
                    Difference(
                        path: path, expected: "a line with \(wanted.isEmpty ? "any identity" : wanted)",
                        actual: available.isEmpty ? "no unmatched line" : "only \(available)", location: item.location))
                continue
            }
            unmatched.removeAll { $0 == index }
            differences += compare(item, with: actual[index], path: "\(path)[\(index)]", style: style)
        }
        for index in unmatched {
            differences.append(
                Difference(path: "\(path)[\(index)]", expected: "no such line", actual: lineSummary(actual[index]), location: location))
        }
        return differences
    }

    /// `price_usage 2026-01-01T00:00:00Z → 2026-02-01T00:00:00Z amount 8000 (USD 80.00)`.
    static func lineSummary(_ line: DocumentValue) -> String {
        let price = (line["price"] ?? line["pricing"]?["price_details"]?["price"])?.display ?? "?"
        let period = line["period"].map { "\($0["start"]?.display ?? "?") → \($0["end"]?.display ?? "?")" } ?? ""
        let amount = line["amount"]?.display ?? "?"
        let parent = line["parent"]?["subscription_item_details"] ?? line["parent"]?["invoice_item_details"]
        let proration = (line["proration"] ?? parent?["proration"]) == .bool(true) ? " (proration)" : ""
        return "\(price) \(period) amount \(amount)\(proration)"
    }

    /// The expected value at a key path.
    static func value(_ expected: Expected, at keys: [String]) -> Expected? {
        keys.reduce(Optional(expected)) { $0?[$1] }
    }

    /// The generated value at a key path.
    static func value(_ actual: DocumentValue, at keys: [String]) -> DocumentValue? {
        keys.reduce(Optional(actual)) { $0?[$1] }
    }

    /// Whether the expected text means the generated leaf.
    public static func matches(_ text: String, _ actual: DocumentValue) -> Bool {
        switch actual {
        case .string(let value): return text == value
        case .money(let amount, _), .integer(let amount): return Int64(text) == amount
        case .decimal(let value, _): return decimal(text) == value
        case .timestamp(let instant): return Instant(parsing: text) == instant
        case .bool(let value): return text == (value ? "true" : "false")
        case .null: return ["null", "~", ""].contains(text)
        // Stripe writes an empty list as `null` in some places (`taxes: null` in its API reference).
        case .list(let items): return items.isEmpty && ["null", "~"].contains(text)
        case .object: return false
        }
    }

    static func decimal(_ text: String) -> ExactDecimal? { ExactDecimal(expected: text) }

    /// The expected text in the generated leaf's form (`8000 (USD 80.00)`, a timestamp in RFC 3339).
    static func render(_ text: String, like actual: DocumentValue) -> String {
        switch actual {
        case .money(_, let currency): return Int64(text).map { currency.describe($0) } ?? "\"\(text)\" (not an integer amount)"
        case .timestamp: return Instant(parsing: text)?.description ?? "\"\(text)\" (not a timestamp)"
        case .decimal: return decimal(text)?.description ?? "\"\(text)\" (not a decimal)"
        default: return text
        }
    }

    static func describe(_ expected: Expected) -> String {
        switch expected {
        case .scalar(let text, _): text
        case .list(let items, _): "a list of \(items.count)"
        case .map(let entries, _): "{" + entries.map { "\($0.key): \(describe($0.value))" }.joined(separator: ", ") + "}"
        }
    }
}
