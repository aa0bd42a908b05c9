import BillingDocument

/// Every problem of one scenario file, in file order; nothing of the file ran.
public struct ScenarioLoadError: Error, Sendable, CustomStringConvertible {
    /// The scenario (or usage file) the problems are in.
    public var path: String
    /// All problems of the file, in file order.
    public var diagnostics: [Diagnostic]

    public init(path: String, diagnostics: [Diagnostic]) {
        self.path = path
        self.diagnostics = diagnostics
    }

    /// The diagnostics, one after the other.
    public var description: String { diagnostics.map(\.description).joined(separator: "\n") }
}
