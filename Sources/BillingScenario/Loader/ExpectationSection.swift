import BillingCore
import BillingDocument

/// `expect`: what the run must produce.
extension ScenarioReader {
    func readExpectation(_ fields: Fields, location: SourceLocation) -> Expectation {
        fields.apply(FormatFields.expect)
        var expectation = Expectation(location: location)
        if let value = fields.optional("invoices"), let list = value.list() {
            let invoices = list.map { $0.expected() }
            for (index, invoice) in invoices.enumerated() {
                report(InvoiceDocument.problems(in: invoice, path: "expect.invoices[\(index)]"))
            }
            expectation.invoices = .list(invoices, value.location)
        }
        expectation.invoiceCount = fields.optional("invoice_count")?.int(0...Int64(Int32.max))
        if let value = fields.optional("previews"), let previewFields = value.fields() {
            for entry in previewFields.entries {
                if !previews.isDeclared(entry.key) {
                    sink.report(value.path, "no preview_invoice is named `\(entry.key)` \(previews.listing)", at: entry.keyLocation)
                }
                let expected = entry.value.expected()
                report(InvoiceDocument.problems(in: expected, path: entry.value.path))
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
        expectation.variants = fields.optional("variants").map(readVariantExpectations) ?? []
        return expectation
    }

    func report(_ problems: [(location: SourceLocation, message: String)]) {
        for problem in problems { sink.report(problem.message, at: problem.location) }
    }
}
