/// One problem in a scenario (or a usage file it names), reported like a compiler error.
///
/// ```
/// Scenarios/x.yaml:14:7: error: prices[1].tiers[0].up_to: expected an integer or "inf", found "1,000"
///       - { up_to: 1,000, unit_amount: 4 }
///         ^
/// ```
public struct Diagnostic: Error, Sendable, Hashable, CustomStringConvertible {
    /// Where the problem is (1-based line and column).
    public var location: SourceLocation
    /// What is wrong, starting with the path of the field (`prices[1].tiers[0].up_to: …`).
    public var message: String
    /// The text of that line of the file, shown under the message with a caret.
    public var sourceLine: String?

    public init(location: SourceLocation, message: String, sourceLine: String? = nil) {
        self.location = location
        self.message = message
        self.sourceLine = sourceLine
    }

    /// `path:line:col: error: message`, then the source line and a caret under the column; controls
    /// escaped and long text cut (`TerminalText`), so a file cannot write to the terminal through them.
    public var description: String {
        let header = TerminalText.escaped("\(location): error: \(message)", limit: Self.lineLimit)
        guard let sourceLine else { return header }
        // Keep tabs so the caret lines up however the terminal renders them; columns count
        // Unicode scalars, as libyaml's do (an escaped control takes the width of its escape).
        let line = TerminalText.escaped(sourceLine, limit: Self.lineLimit)
        let prefix = TerminalText.escaped(String(String.UnicodeScalarView(sourceLine.unicodeScalars.prefix(max(0, location.column - 1)))), limit: nil)
        var pad = ""
        for scalar in prefix.unicodeScalars.prefix(line.unicodeScalars.count) {
            pad.unicodeScalars.append(scalar == "\t" ? "\t" : " ")
        }
        return header + "\n" + line + "\n" + pad + "^"
    }

    /// How much of a message or a source line is shown.
    static let lineLimit = 500
}
