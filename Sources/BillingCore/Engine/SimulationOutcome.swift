/// What a run produced.
public struct SimulationOutcome: Sendable {
    /// Every invoice, in creation order, as read back from the store.
    public var invoices: [Invoice]
    /// Upcoming invoices recorded by `preview_invoice`, by name.
    public var previews: [String: Invoice]
    public var usage: UsageReport

    public init(invoices: [Invoice], previews: [String: Invoice], usage: UsageReport) {
        self.invoices = invoices
        self.previews = previews
        self.usage = usage
    }
}

/// A problem found while running (a scenario asked for something the engine cannot do then).
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}
