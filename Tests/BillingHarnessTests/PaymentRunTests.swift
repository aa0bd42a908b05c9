import BillingCore
import BillingHarness
import BillingScenario
import BillingStoreSQLite
import Testing

/// Invoice actions the file cannot rule out when it loads stop the run with the invoice and its status
/// named (Docs/ENGINE-RULES.md, "Invoice actions"), the same on the memory store and SQLite.
@Suite struct PaymentRunTests {
    /// One subscription whose first invoice, in_0001 (10000), is paid with a Visa at creation, then `action`.
    static func scenario(_ action: String) -> String {
        """
        name: invoice action
        clock: { start: 2026-01-01T00:00:00Z, until: 2026-01-20T00:00:00Z }
        products: [{ id: prod_license, name: License }]
        prices:
          - { id: price_license, product: prod_license, currency: usd, unit_amount: 10000, recurring: { interval: month, usage_type: licensed } }
        customers: [{ id: cus_a, currency: usd, invoice_settings: { default_payment_method: pm_card_visa } }]
        subscriptions: [{ id: sub_a, customer: cus_a, items: [{ id: si_a, price: price_license, quantity: 1 }] }]
        timeline:
          - at: 2026-01-05T00:00:00Z
            \(action)
        """
    }

    static func run(_ yaml: String) async throws -> ScenarioResult {
        let scenario = try ScenarioLoader.load(yaml: yaml, path: "Scenarios/x.yaml").get()
        let memory = await ScenarioRunner(makeStore: { InMemoryBillingStore() }).run(scenario)
        let sqlite = await ScenarioRunner(makeStore: { try SQLiteBillingStore(path: ":memory:") }).run(scenario)
        #expect(memory.status == sqlite.status)
        #expect(memory.errorMessage == sqlite.errorMessage)
        return memory
    }

    struct Refused: Sendable, CustomTestStringConvertible {
        var action: String
        var message: String
        var testDescription: String { action }
    }

    @Test(arguments: [
        Refused(
            action: "void_invoice: { invoice: in_0001 }",
            message: "void_invoice in_0001 at 2026-01-05T00:00:00Z: the invoice is paid; only an open or an uncollectible invoice can be voided"),
        Refused(
            action: "mark_uncollectible: { invoice: in_0001 }",
            message: "mark_uncollectible in_0001 at 2026-01-05T00:00:00Z: the invoice is paid; only an open invoice can be marked uncollectible"),
        Refused(
            action: "finalize_invoice: { invoice: in_0001 }",
            message: "finalize_invoice in_0001 at 2026-01-05T00:00:00Z: the invoice is paid; only a draft invoice can be finalized"),
        Refused(
            action: "pay_invoice: { invoice: in_0002 }",
            message: "pay_invoice in_0002 at 2026-01-05T00:00:00Z: no such invoice (the run has created 1 invoices so far)"),
    ])
    func refusedActionsStopTheRun(_ c: Refused) async throws {
        let result = try await Self.run(Self.scenario(c.action))
        #expect(result.status == .error)
        #expect(result.errorMessage?.hasSuffix(c.message) == true, "\(result.errorMessage ?? "no error")")
    }
}
