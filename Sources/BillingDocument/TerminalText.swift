/// Text a scenario controls (names, ids, paths, values, messages quoting them), made safe to print.
///
/// A terminal obeys what it is sent: an escape sequence recolours or moves the cursor, `\r` returns to
/// the start of the line, a bidi override reorders what follows; so a scenario named
/// `"\u{1B}[2K\rPASS    x"` could print a fake PASS line. Every text output (the text report,
/// diagnostics, `validate`, error messages) goes through `escaped(_:limit:)`, which shows each such
/// character as a visible escape, and cuts a long value to its start with its length, so that a
/// 50 MB value echoed in a message prints as one short line.
public enum TerminalText {
    /// How many characters of a value are shown before it is cut.
    public static let valueLimit = 120

    /// Whether a terminal could act on this character instead of showing it: C0 controls except tab,
    /// DEL and C1 controls, line and paragraph separators, and the bidi marks, embeddings, overrides
    /// and isolates.
    public static func isControl(_ scalar: Unicode.Scalar) -> Bool {
        switch scalar.value {
        case 0x09: false
        case 0x00..<0x20, 0x7F...0x9F: true
        case 0x061C, 0x200E, 0x200F, 0x2028, 0x2029, 0x202A...0x202E, 0x2066...0x2069: true
        default: false
        }
    }

    /// `text` with every control shown as `\e`, `\r`, `\n`, `\0` or `\u{…}`; past `limit` characters
    /// (Unicode scalars) its start and its length: `aaaa… (52,428,800 bytes)`. `nil`: never cut.
    public static func escaped(_ text: String, limit: Int? = valueLimit) -> String {
        var out = ""
        var shown = 0
        for scalar in text.unicodeScalars {
            if let limit, shown == limit {
                return out + "… (\(grouped(text.utf8.count)) bytes)"
            }
            shown += 1
            guard isControl(scalar) else {
                out.unicodeScalars.append(scalar)
                continue
            }
            switch scalar {
            case "\u{1B}": out += "\\e"
            case "\r": out += "\\r"
            case "\n": out += "\\n"
            case "\0": out += "\\0"
            default: out += "\\u{" + String(scalar.value, radix: 16) + "}"
            }
        }
        return out
    }

    /// `52428800` → `52,428,800`.
    public static func grouped(_ value: Int) -> String {
        let digits = String(value.magnitude)
        var out = value < 0 ? "-" : ""
        for (index, digit) in digits.enumerated() {
            if index > 0, (digits.count - index) % 3 == 0 { out += "," }
            out.append(digit)
        }
        return out
    }
}
