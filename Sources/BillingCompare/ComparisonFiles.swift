import BillingDocument
import BillingReports

/// The comparison's `junit.xml` and `invoices.json` (beside `report.html`, `summary.md` and
/// `comparison.json` in its report folder), shaped like a run's.
extension Comparison {
    /// Every plan's name and invoices: the base first, then each variant in the file's order.
    var plans: [PlanRevenue] { [base] + variants.map(\.plan) }

    /// `invoices.json`: `{"path", "name", "plans": [{"name", "invoices"}]}`, each `invoices` the array of
    /// Stripe invoice objects `billsim invoices --format stripe` prints for that plan (what `expect.invoices` takes).
    public var invoicesJSON: String {
        let plans = plans.map { plan in
            DocumentValue.object([
                ("name", .string(plan.name)), ("invoices", .list(plan.invoices.map { StripeInvoice.object($0, catalog: plan.catalog) })),
            ])
        }
        let document = DocumentValue.object([("path", .string(path)), ("name", .string(name)), ("plans", .list(plans))])
        return document.unixTimestamps.json(pretty: true) + "\n"
    }

    /// `junit.xml`: one `<testcase>` per plan (class: the scenario's path), with a `<failure>` listing
    /// the differences from what `expect` (or `expect.variants`) pins for it; no times, so the same
    /// comparison gives the same bytes.
    public var junitXML: String {
        let failures = plans.filter { !$0.differences.isEmpty }.count
        let counts = "tests=\"\(plans.count)\" failures=\"\(failures)\" errors=\"0\""
        var out = "<?xml version=\"1.0\" encoding=\"UTF-8\"?>\n<testsuites name=\"billsim compare\" \(counts)>\n"
        out += "  <testsuite name=\"\(xml(path)) (\(xml(name)))\" \(counts)>\n"
        for plan in plans {
            out += "    <testcase classname=\"\(xml(path))\" name=\"\(xml(plan.name))\""
            guard !plan.differences.isEmpty else {
                out += "/>\n"
                continue
            }
            let details = plan.differences.map { difference in
                difference.description + (difference.location.map { "\n  expected at \($0)" } ?? "")
            }
            let count = plan.differences.count
            out += ">\n      <failure message=\"\(count) difference\(count == 1 ? "" : "s")\" type=\"difference\">"
            out += xml(details.joined(separator: "\n")) + "</failure>\n    </testcase>\n"
        }
        return out + "  </testsuite>\n</testsuites>\n"
    }
}
