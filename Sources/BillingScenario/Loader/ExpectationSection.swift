import BillingCore
import BillingDocument
import Foundation
import Yams

/// `expect`: what the run must produce.
extension ScenarioReader {
    /// `expect`, written in the scenario or, as `expect: { file: NAME.expected.yaml }`, in that file
    /// (relative to the scenario's folder; what `billsim run --record` writes), whose top level is
    /// what `expect` would hold and whose problems are reported at its own lines.
    func readExpectSection(_ value: YAMLValue, location: SourceLocation) -> Expectation? {
        guard let fields = value.fields(), fields.entries.contains(where: { $0.key == "file" }) else {
            return value.mapping { readExpectation($0, location: location) }
        }
        return value.mapping { fields -> Expectation? in
            guard let fileValue = fields.required("file"), let name = fileValue.string() else { return nil }
            for other in fields.entries where other.key != "file" {
                _ = fields.entry(other.key)
                sink.report(value.path, "`\(other.key)`: with `file`, every expectation is written in \(name)", at: other.keyLocation)
            }
            let path = name.hasPrefix("/") ? name : directory + name
            guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
                fileValue.error(
                    FileManager.default.fileExists(atPath: path) ? "cannot read \(path) as UTF-8 text" : "no expectations file at \(path)")
                return nil
            }
            let fileSink = DiagnosticSink(file: path, text: text)
            defer { sink.absorb(fileSink) }
            let root: Node?
            do {
                root = try Yams.compose(yaml: text)
            } catch {
                ScenarioLoader.reportSyntaxError(error, yaml: text, sink: fileSink)
                return nil
            }
            let start = SourceLocation(file: path, line: 1, column: 1)
            guard let root else { return Expectation(location: start) }
            return YAMLValue(node: root, path: "expect", sink: fileSink).mapping { readExpectation($0, location: start) } ?? nil
        } ?? nil
    }

    func readExpectation(_ fields: Fields, location: SourceLocation) -> Expectation {
        fields.apply(FormatFields.expect)
        var expectation = Expectation(location: location)
        if let value = fields.optional("invoices"), let list = value.list() {
            let invoices = list.map { $0.expected() }
            for (index, invoice) in invoices.enumerated() { report(problems(in: invoice, path: "expect.invoices[\(index)]")) }
            expectation.invoices = .list(invoices, value.location)
        }
        expectation.invoiceCount = fields.optional("invoice_count")?.int(0...Int64(Int32.max))
        if let value = fields.optional("previews"), let previewFields = value.fields() {
            for entry in previewFields.entries {
                if !previews.isDeclared(entry.key) {
                    sink.report(value.path, "no preview_invoice is named `\(entry.key)` \(previews.listing)", at: entry.keyLocation)
                }
                let expected = entry.value.expected()
                report(problems(in: expected, path: entry.value.path))
                expectation.previews.append((entry.key, expected))
            }
        }
        if let value = fields.optional("meter_event_errors"), let errorFields = value.fields() {
            for entry in errorFields.entries {
                guard let code = MeterEventErrorCode(rawValue: entry.key) else {
                    let codes = MeterEventErrorCode.allCases.map(\.rawValue).joined(separator: ", ")
                    sink.report(value.path, "unknown meter event error code `\(entry.key)` (codes: \(codes))", at: entry.keyLocation)
                    continue
                }
                if let count = entry.value.int(0...Int64(Int32.max)) { expectation.meterEventErrors.append((code, count, entry.keyLocation)) }
            }
        }
        expectation.lateEvents = fields.optional("late_events")?.int(0...Int64(Int32.max))
        expectation.subscriptions = readStates(
            fields.optional("subscriptions"), kind: "subscription", isDeclared: subscriptions.isDeclared, listing: subscriptions.listing,
            fields: SubscriptionDocument.fields)
        expectation.customers = readStates(
            fields.optional("customers"), kind: "customer", isDeclared: customers.isDeclared, listing: customers.listing,
            fields: CustomerDocument.fields)
        expectation.creditGrants = readStates(
            fields.optional("credit_grants"), kind: "credit grant", isDeclared: creditGrants.isDeclared, listing: creditGrants.listing,
            fields: CreditGrantDocument.fields)
        expectation.variants = fields.optional("variants").map(readVariantExpectations) ?? []
        var pasted = expectation.previews.map(\.expected) + expectation.variants.compactMap(\.invoices)
        if case .list(let invoices, _) = expectation.invoices { pasted = invoices + pasted }
        expectation.notes = StripeExpectation.notes(for: pasted.flatMap { if case .list(let items, _) = $0 { items } else { [$0] } })
        return expectation
    }

    /// The problems of an expected invoice, in billsim's shape or in Stripe's (``StripeExpectation``).
    func problems(in invoice: Expected, path: String) -> [(location: SourceLocation, message: String)] {
        StripeExpectation.isStripeShaped(invoice)
            ? StripeExpectation.problems(in: invoice, path: path) : InvoiceDocument.problems(in: invoice, path: path)
    }

    /// `expect.subscriptions`, `expect.customers` or `expect.credit_grants`: a mapping from ids the file declares to mappings
    /// of known fields.
    func readStates(
        _ value: YAMLValue?, kind: String, isDeclared: (String) -> Bool, listing: String, fields known: [String]
    ) -> [(id: String, expected: Expected)] {
        guard let value, let entries = value.fields()?.entries else { return [] }
        var states: [(id: String, expected: Expected)] = []
        for entry in entries {
            if !isDeclared(entry.key) { sink.report(value.path, "no \(kind) `\(entry.key)` \(listing)", at: entry.keyLocation) }
            let expected = entry.value.expected()
            guard case .map(let fieldEntries, _) = expected else {
                sink.report(entry.value.path, "expected a mapping of \(kind) fields", at: entry.value.location)
                continue
            }
            for field in fieldEntries where !known.contains(field.key) {
                sink.report(
                    "\(entry.value.path).\(field.key): unknown \(kind) field (known: \(known.joined(separator: ", ")))", at: field.keyLocation)
            }
            states.append((entry.key, expected))
        }
        return states
    }

    func report(_ problems: [(location: SourceLocation, message: String)]) {
        for problem in problems { sink.report(problem.message, at: problem.location) }
    }
}
