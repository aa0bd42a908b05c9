import BillingDocument
import BillingHarness

/// JUnit XML, as CI systems read test results: one `<testcase>` per scenario file.
///
/// A failed scenario carries a `<failure>` with its differences (and where each expectation is
/// written); an invalid file or a run that stopped carries an `<error>` with the diagnostics or the
/// message; a scenario without expectations is `<skipped>` (nothing was checked). No times are
/// written, so the same run gives the same bytes.
public struct JUnitReport: ReportFormat {
    public init() {}
    public var name: String { "junit" }
    public var fileName: String { "junit.xml" }
    public var about: String {
        "JUnit XML for CI systems: a testcase per scenario file, a `<failure>` with the differences of a failed one, an `<error>` with the diagnostics of an invalid file or the message of a run that stopped, `<skipped>` for a scenario without expectations; no times, so the same run gives the same bytes"
    }

    public func render(_ result: ScenarioResult) -> String {
        let name = result.name == result.path ? result.path : "\(result.path) (\(result.name))"
        var out = "    <testcase classname=\"\(xml(Self.className(result.path)))\" name=\"\(xml(name))\" file=\"\(xml(result.path))\""
        var body = ""
        switch result.status {
        case .passed where !result.hasExpectations:
            body += "      <skipped message=\"no expectations: nothing was checked\"/>\n"
        case .passed:
            break
        case .failed:
            let details = result.differences.map { difference in
                difference.description + (difference.location.map { "\n  expected at \($0)" } ?? "")
            }
            body += "      <failure message=\"\(xml(plural(result.differences.count, "difference")))\" type=\"difference\">"
            body += xml(details.joined(separator: "\n")) + "</failure>\n"
        case .invalid:
            body += "      <error message=\"invalid scenario\" type=\"invalid\">"
            body += xml((result.diagnostics.map(\.description) + (result.errorMessage.map { [$0] } ?? [])).joined(separator: "\n")) + "</error>\n"
        case .error:
            body += "      <error message=\"\(xml(result.errorMessage ?? "error"))\" type=\"error\"/>\n"
        }
        if let outcome = result.outcome { body += "      <system-out>\(xml(outcomeSummary(outcome)))</system-out>\n" }
        out += body.isEmpty ? "/>\n" : ">\n" + body + "    </testcase>\n"
        return out
    }

    public func assemble(_ parts: [String], summary: RunSummary) -> String {
        let counts =
            "tests=\"\(summary.total)\" failures=\"\(summary.failed)\" errors=\"\(summary.invalid + summary.errors)\" skipped=\"\(summary.unchecked)\""
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n"
        out += "<testsuites name=\"billsim\" \(counts)>\n"
        out += "  <testsuite name=\"billsim scenarios\" \(counts)>\n"
        out += parts.joined()
        out += "  </testsuite>\n</testsuites>\n"
        return out
    }

    /// `Scenarios/seed/flexible.yaml` → `Scenarios.seed`: the folder, as JUnit's class.
    static func className(_ path: String) -> String {
        let folders = path.split(separator: "/").dropLast()
        return folders.isEmpty ? "." : folders.joined(separator: ".")
    }
}

/// Text as XML character data or an attribute value: the five special characters escaped, and
/// control characters XML 1.0 cannot carry (even as references) replaced by U+FFFD.
public func xml(_ text: String) -> String {
    var out = ""
    out.reserveCapacity(text.utf8.count)
    for scalar in text.unicodeScalars {
        switch scalar {
        case "&": out += "&amp;"
        case "<": out += "&lt;"
        case ">": out += "&gt;"
        case "\"": out += "&quot;"
        case "'": out += "&apos;"
        case "\t", "\n", "\r": out.unicodeScalars.append(scalar)
        case _ where scalar.value < 0x20 || scalar.value == 0xFFFE || scalar.value == 0xFFFF: out += "\u{FFFD}"
        default: out.unicodeScalars.append(scalar)
        }
    }
    return out
}
