import BillingDocument
import Testing

/// The one escaping of text a scenario controls, used by every text output.
struct TerminalTextTests {
    struct Case: Sendable, CustomStringConvertible {
        var input: String
        var shown: String
        var description: String { shown }
    }

    @Test(arguments: [
        Case(input: "plain name, tab\tkept", shown: "plain name, tab\tkept"),
        Case(input: "\u{1B}[2K\rPASS    fake", shown: "\\e[2K\\rPASS    fake"),
        Case(input: "line\nbreak\0", shown: "line\\nbreak\\0"),
        Case(input: "c1 \u{9B}31m del \u{7F}", shown: "c1 \\u{9b}31m del \\u{7f}"),
        Case(input: "bidi \u{202E}txt\u{2066}", shown: "bidi \\u{202e}txt\\u{2066}"),
        Case(input: "é 日本 🙂", shown: "é 日本 🙂"),
    ])
    func controlsAreShownEscaped(_ example: Case) {
        #expect(TerminalText.escaped(example.input) == example.shown)
    }

    /// 50 MB (the rejected value): its first 120 characters, then its length in bytes.
    @Test func longValueIsCutWithItsLength() {
        let value = String(repeating: "9", count: 52_428_800)
        #expect(TerminalText.escaped(value) == String(repeating: "9", count: 120) + "… (52,428,800 bytes)")
        #expect(TerminalText.escaped(String(repeating: "é", count: 120)) == String(repeating: "é", count: 120))
    }

    @Test func groupsThousands() {
        #expect(TerminalText.grouped(0) == "0")
        #expect(TerminalText.grouped(999) == "999")
        #expect(TerminalText.grouped(1000) == "1,000")
        #expect(TerminalText.grouped(-52_428_800) == "-52,428,800")
    }
}
