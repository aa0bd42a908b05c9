import BillingCore
import BillingDocument

extension SimulationOutcome {
    /// The invoices, previews and usage counts of a run as pretty JSON: what the golden files pin and
    /// what the cross-store and property tests compare byte for byte.
    public var json: String {
        let previews = previews.sorted { $0.key < $1.key }.map { ($0.key, InvoiceDocument.document($0.value)) }
        let counts: DocumentValue = .object([
            ("received", .integer(Int64(usage.received))), ("accepted", .integer(Int64(usage.accepted))),
            ("rejected", .object(usage.rejected.sorted { $0.key < $1.key }.map { ($0.key.rawValue, .integer(Int64($0.value))) })),
            ("late", .integer(Int64(usage.late))), ("not_received", .integer(Int64(usage.notReceived))),
        ])
        return DocumentValue.object([
            ("invoices", .list(invoices.map(InvoiceDocument.document))), ("previews", .object(previews)), ("usage", counts),
        ]).json(pretty: true)
    }
}
