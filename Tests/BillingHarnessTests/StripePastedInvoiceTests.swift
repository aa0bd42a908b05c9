import BillingCore
import BillingDocument
import BillingHarness
import BillingReports
import BillingScenario
import Foundation
import Testing

/// `expect.invoices` holding an invoice as Stripe returns it (Scenarios/invoices/stripe-pasted-invoice.yaml):
/// the modelled fields are compared, the others listed once in the report.
struct StripePastedInvoiceTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let scenario = root.appendingPathComponent("Scenarios/invoices/stripe-pasted-invoice.yaml")
    static let memory = ScenarioRunner(makeStore: { InMemoryBillingStore() })

    /// Runs the bundled scenario with `original` replaced by `replacement` in its text (from a temporary copy).
    static func run(replacing original: String = "", with replacement: String = "") async throws -> ScenarioResult {
        let text = try String(contentsOf: scenario, encoding: .utf8)
        #expect(original.isEmpty || text.contains(original), "\(original) is not in the scenario")
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-stripe-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("pasted.yaml")
        try (original.isEmpty ? text : text.replacingOccurrences(of: original, with: replacement)).write(to: file, atomically: true, encoding: .utf8)
        return try #require(await memory.run(file: file.path))
    }

    @Test func passesAndListsTheUnmodelledFieldsOnce() async throws {
        let result = try await Self.run()
        #expect(result.status == .passed, "\(result.differences)")
        let fields = try #require(result.notes.first)
        for field in [
            "account_country", "automatic_tax", "hosted_invoice_url", "number", "test_clock", "lines.data[].metadata", "lines.data[].description",
        ] {
            #expect(fields.contains(field), "\(field)")
        }
        // Modelled fields are not listed.
        for field in [" total,", "amount_due", "status_transitions", "pricing"] { #expect(!fields.contains(field), "\(field)") }
        // Stripe's generated ids are listed as not compared.
        #expect(result.notes.count == 2)
        #expect(result.notes[1].contains("in_1QxPaStEdB7WZ01zgkWu9fdq"))
        // Once in each report: the terminal's text, report.html and summary.md.
        let run = RunResult(results: [result])
        for format in ["text", "html", "markdown"] {
            let report = try #require(ReportRegistry.formats[format]).render(run)
            #expect(report.components(separatedBy: "issuer").count == 2, "\(format)")
        }
    }

    @Test func anUnmodelledFieldWithAnotherValueStillPasses() async throws {
        let result = try await Self.run(replacing: "account_country: US", with: "account_country: DE")
        #expect(result.status == .passed)
    }

    @Test func aWrongModelledValueFails() async throws {
        // 18000 was paid (hand-computed in the scenario), not 17000.
        let paid = try await Self.run(replacing: "amount_paid: 18000", with: "amount_paid: 17000")
        #expect(paid.status == .failed)
        #expect(paid.differences.map(\.path) == ["invoices[1].amount_paid"])
        // The usage line's product is prod_usage; a wrong one inside `pricing.price_details` fails too.
        let product = try await Self.run(
            replacing: "price_details: { price: price_usage, product: prod_usage }",
            with: "price_details: { price: price_usage, product: prod_license }")
        #expect(product.differences.map(\.path) == ["invoices[1].lines.data[0].pricing.price_details.product"])
        // A Unix timestamp one second off.
        let paidAt = try await Self.run(replacing: "paid_at: 1769907600", with: "paid_at: 1769907601")
        #expect(paidAt.differences.map(\.path) == ["invoices[1].status_transitions.paid_at"])
        // Tax billsim did not charge.
        let taxes = try await Self.run(replacing: "total_taxes: []", with: "total_taxes: [{ amount: 1800, tax_rate_details: { tax_rate: txr_1 } }]")
        #expect(taxes.differences.map(\.path) == ["invoices[1].total_taxes.count"])
    }

    @Test func aLineThatDoesNotExistFails() async throws {
        let result = try await Self.run(
            replacing:
                "proration: false\n                proration_details: { credited_items: null }\n                subscription: sub_john\n                subscription_item: si_usage",
            with:
                "proration: true\n                proration_details: { credited_items: null }\n                subscription: sub_john\n                subscription_item: si_usage"
        )
        #expect(result.status == .failed)
        #expect(result.differences.contains { $0.path == "invoices[1].lines.data" })
    }

    @Test func aMalformedModelledValueIsInvalidWithItsLocation() async throws {
        let result = try await Self.run(replacing: "amount_due: 18000", with: "amount_due: 180.00")
        #expect(result.status == .invalid)
        let message = result.diagnostics.map(\.description).joined(separator: "\n")
        #expect(message.contains("expect.invoices[1].amount_due: expected an integer (minor units), found \"180.00\""), "\(message)")
        #expect(message.contains("pasted.yaml:"))
    }

    @Test func idsInStripesFormAreRecognised() {
        #expect(StripeExpectation.looksGenerated("in_1Pgc6tB7WZ01zgkWu9fdqL6I"))
        #expect(StripeExpectation.looksGenerated("cus_QXg1o8vcGmoR32"))
        #expect(StripeExpectation.looksGenerated("/v1/invoices/in_1Pgc6tB7WZ01zgkWu9fdqL6I/lines"))
        for billsim in ["in_0001", "il_0001_01", "sub_john", "si_sub_john_0", "price_usage", "ii_0002_03"] {
            #expect(!StripeExpectation.looksGenerated(billsim), "\(billsim)")
        }
        // The scenario's own object named with a Stripe id is compared.
        #expect(!StripeExpectation.cannotReproduce("cus_QXg1o8vcGmoR32", actual: "cus_QXg1o8vcGmoR99"))
        #expect(StripeExpectation.cannotReproduce("in_1Pgc6tB7WZ01zgkWu9fdqL6I", actual: "in_0002"))
    }
}
