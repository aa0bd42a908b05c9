/// One field that differs between what a scenario expects and what the run generated.
public struct Difference: Sendable, Hashable, CustomStringConvertible {
    /// Where in the generated output: `invoices[1].lines[0].amount`.
    public var path: String
    public var expected: String
    public var actual: String
    /// Where the expectation is written.
    public var location: SourceLocation?

    public init(path: String, expected: String, actual: String, location: SourceLocation?) {
        self.path = path
        self.expected = expected
        self.actual = actual
        self.location = location
    }

    /// `invoices[1].lines[0].amount: expected 8000 (USD 80.00), got 80 (USD 0.80)`.
    /// Controls escaped and long values cut (`TerminalText`).
    public var description: String {
        "\(TerminalText.escaped(path, limit: nil)): expected \(TerminalText.escaped(expected)), got \(TerminalText.escaped(actual))"
    }
}
