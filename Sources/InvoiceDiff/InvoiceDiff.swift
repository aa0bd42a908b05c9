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

    /// Compares expected invoices, in creation order, with the generated ones.
    public static func compare(invoices expected: Expected, with actual: [DocumentValue], path: String = "invoices") -> [Difference] {
        guard case .list(let items, _) = expected else {
            return [Difference(path: path, expected: "a list of invoices", actual: "\(actual.count) invoices", location: expected.location)]
        }
        var differences: [Difference] = []
        for (index, item) in items.enumerated() {
            guard index < actual.count else {
                differences.append(
                    Difference(
                        path: "\(path)[\(index)]", expected: "an invoice", actual: "none (the run generated \(actual.count))",
                        location: item.location))
                continue
            }
            differences += compare(item, with: actual[index], path: "\(path)[\(index)]")
        }
        return differences
    }

    /// Compares one expected value with a generated one, recursively.
    public static func compare(_ expected: Expected, with actual: DocumentValue, path: String) -> [Difference] {
        switch (expected, actual) {
        case (.map(let entries, _), .object):
            var differences: [Difference] = []
            for entry in entries where !InvoiceDocument.ignoredFields.contains(entry.key) {
                let childPath = "\(path).\(entry.key)"
                let absent: DocumentValue? =
                    InvoiceDocument.omittedWhenEmpty.contains(entry.key)
                    ? .list([]) : InvoiceDocument.omittedWithoutTaxes[entry.key].flatMap { actual[$0] }
                guard let child = actual[entry.key] ?? absent else {
                    differences.append(
                        Difference(path: childPath, expected: describe(entry.value), actual: "no such field", location: entry.keyLocation))
                    continue
                }
                if entry.key == "lines", case .list(let lines) = child {
                    differences += compare(lines: entry.value, with: lines, path: childPath)
                } else {
                    differences += compare(entry.value, with: child, path: childPath)
                }
            }
            return differences
        case (.list(let items, let location), .list(let values)):
            var differences: [Difference] = []
            if items.count != values.count {
                differences.append(Difference(path: "\(path).count", expected: "\(items.count)", actual: "\(values.count)", location: location))
            }
            for (index, pair) in zip(items, values).enumerated() {
                differences += compare(pair.0, with: pair.1, path: "\(path)[\(index)]")
            }
            return differences
        case (.scalar(let text, let location), _):
            if matches(text, actual) { return [] }
            return [Difference(path: path, expected: render(text, like: actual), actual: actual.display, location: location)]
        default:
            return [Difference(path: path, expected: describe(expected), actual: actual.display, location: expected.location)]
        }
    }

    /// Matches expected lines to generated ones by identity, then compares their fields.
    static func compare(lines expected: Expected, with actual: [DocumentValue], path: String) -> [Difference] {
        guard case .list(let items, let location) = expected else {
            return [Difference(path: path, expected: describe(expected), actual: "a list of \(actual.count) lines", location: expected.location)]
        }
        var unmatched = Array(actual.indices)
        var differences: [Difference] = []
        for item in items {
            let identity = lineIdentity.compactMap { key in item[key].map { (key, $0) } }
            let candidate = unmatched.first { index in
                identity.allSatisfy { key, value in actual[index][key].map { compare(value, with: $0, path: "").isEmpty } ?? false }
            }
            guard let index = candidate else {
                let wanted = identity.map { "\($0.0) \(describe($0.1))" }.joined(separator: ", ")
                let available = unmatched.map { lineSummary(actual[$0]) }.joined(separator: "; ")
                differences.append(
                    Difference(
                        path: path, expected: "a line with \(wanted.isEmpty ? "any identity" : wanted)",
                        actual: available.isEmpty ? "no unmatched line" : "only \(available)", location: item.location))
                continue
            }
            unmatched.removeAll { $0 == index }
            differences += compare(item, with: actual[index], path: "\(path)[\(index)]")
        }
        for index in unmatched {
            differences.append(
                Difference(path: "\(path)[\(index)]", expected: "no such line", actual: lineSummary(actual[index]), location: location))
        }
        return differences
    }

    /// `price_usage 2026-01-01T00:00:00Z → 2026-02-01T00:00:00Z amount 8000 (USD 80.00)`.
    static func lineSummary(_ line: DocumentValue) -> String {
        let price = line["price"]?.display ?? "?"
        let period = line["period"].map { "\($0["start"]?.display ?? "?") → \($0["end"]?.display ?? "?")" } ?? ""
        let amount = line["amount"]?.display ?? "?"
        let proration = line["proration"] == .bool(true) ? " (proration)" : ""
        return "\(price) \(period) amount \(amount)\(proration)"
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
        case .list, .object: return false
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
