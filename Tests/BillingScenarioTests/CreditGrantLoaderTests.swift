import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

/// `credit_grants` and `customer_balance_transaction` (Docs/ENGINE-RULES.md, "Billing credits",
/// "Customer balance"): each bad input is one diagnostic at its line and column.
@Suite struct CreditGrantLoading {
    /// The seed with `credit_grants` before `expect`, and `timeline` entries first in its timeline.
    func yaml(grants: String = "", timeline: String = "") -> String {
        seed.replacingOccurrences(of: "expect:\n", with: "credit_grants:\n\(grants)expect:\n")
            .replacingOccurrences(of: "timeline:\n", with: "timeline:\n\(timeline)")
    }

    static let amount = "amount: { type: monetary, monetary: { currency: usd, value: 500 } }"
    static let metered = "applicability_config: { scope: { price_type: metered } }"

    struct Bad: CustomTestStringConvertible, Sendable {
        var grants = ""
        var timeline = ""
        /// The text the diagnostic points at (its first occurrence in the inserted text), and the message.
        var at: String
        var message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        Bad(
            grants:
                "  - { id: cg_x, customer: cus_john, amount: { type: monetary, monetary: { currency: eur, value: 500 } }, \(metered) }\n",
            at: "eur", message: "credit_grants[0].amount.monetary.currency: credit grant in eur, but customer `cus_john` is billed in usd"),
        Bad(
            grants: "  - { id: cg_x, customer: cus_nope, \(amount), \(metered) }\n", at: "cus_nope",
            message: "credit_grants[0].customer: no customer `cus_nope` (customers: cus_john)"),
        Bad(
            grants: "  - { id: cg_x, customer: cus_john, \(amount), \(metered), priority: 101 }\n", at: "101",
            message: "credit_grants[0].priority: expected an integer in 0...100, found \"101\""),
        Bad(
            grants:
                "  - { id: cg_x, customer: cus_john, \(amount), applicability_config: { scope: { price_type: metered, prices: [{ id: price_usage }] } } }\n",
            at: "[{ id: price_usage }]", message: "credit_grants[0].applicability_config.scope.prices: a scope takes price_type or prices, not both"),
        Bad(
            grants: "  - { id: cg_x, customer: cus_john, \(amount), applicability_config: { scope: { prices: [{ id: price_nope }] } } }\n",
            at: "price_nope",
            message: "credit_grants[0].applicability_config.scope.prices[0].id: no price `price_nope` (prices: price_license, price_usage)"),
        Bad(
            grants: "  - { id: cg_x, customer: cus_john, \(amount), applicability_config: { scope: { prices: [price_license] } } }\n",
            at: "price_license",
            message:
                "credit_grants[0].applicability_config.scope.prices[0]: price `price_license` is not metered: billing credits apply only to metered prices"
        ),
        Bad(
            grants:
                "  - { id: cg_x, customer: cus_john, \(amount), \(metered), effective_at: 2026-02-01T00:00:00Z, expires_at: 2026-02-01T00:00:00Z }\n",
            at: "2026-02-01T00:00:00Z }",
            message: "credit_grants[0].expires_at: expires_at (2026-02-01T00:00:00Z) must be after effective_at (2026-02-01T00:00:00Z)"),
        Bad(
            grants: "  - { id: cg_x, customer: cus_john, amount: { type: custom_pricing_unit }, \(metered) }\n", at: "custom_pricing_unit",
            message: "credit_grants[0].amount.type: only monetary credit grants are supported (custom pricing units are not)"),
        Bad(
            grants: "  - { id: cg_x, customer: cus_john, \(amount), \(metered), category: bonus }\n", at: "bonus",
            message: "credit_grants[0].category: expected paid or promotional, found \"bonus\""),
        Bad(
            timeline: "  - at: 2026-01-20T00:00:00Z\n    customer_balance_transaction: { customer: cus_nope, amount: -500 }\n", at: "cus_nope",
            message: "timeline[0].customer_balance_transaction.customer: no customer `cus_nope` (customers: cus_john)"),
        Bad(
            timeline: "  - at: 2026-01-20T00:00:00Z\n    customer_balance_transaction: { customer: cus_john, amount: -500, currency: eur }\n",
            at: "eur", message: "timeline[0].customer_balance_transaction.currency: customer `cus_john` keeps its balance in usd, not eur"),
    ])
    func badInputIsReportedAtItsField(_ test: Bad) throws {
        let text = yaml(grants: test.grants, timeline: test.timeline)
        let found = diagnostics(text)
        #expect(found.map(\.message) == [test.message])
        let diagnostic = try #require(found.first)
        let inserted = test.grants.isEmpty ? test.timeline : test.grants
        let lines = text.components(separatedBy: "\n")
        let row = try #require(lines.indices.first { lines[$0].contains(test.at) && inserted.contains(lines[$0]) })
        let column = try #require(lines[row].range(of: test.at)).lowerBound
        #expect(diagnostic.location.file == path)
        #expect(diagnostic.location.line == row + 1)
        #expect(diagnostic.location.column == lines[row].distance(from: lines[row].startIndex, to: column) + 1)
    }

    /// A grant with its defaults, one with every field, and a balance transaction load as written.
    @Test func grantsAndTransactionsLoad() throws {
        let scenario = try loaded(
            yaml(
                grants: """
                      - { id: cg_default, customer: cus_john, \(Self.amount), \(Self.metered) }
                      - id: cg_full
                        object: billing.credit_grant
                        customer: cus_john
                        name: Prepaid
                        amount: { type: monetary, monetary: { currency: usd, value: 2500 }, custom_pricing_unit: null }
                        applicability_config: { scope: { prices: [{ id: price_usage }] } }
                        category: promotional
                        priority: 0
                        effective_at: 2026-01-05T00:00:00Z
                        expires_at: 2026-03-01T00:00:00Z
                        metadata: { source: test }

                    """,
                timeline: "  - at: 2026-01-20T00:00:00Z\n    customer_balance_transaction: { customer: cus_john, amount: -1500, currency: usd }\n"))
        let usd = Currency(code: "usd")!
        let start = try #require(Instant(parsing: "2026-01-01T00:00:00Z"))
        #expect(
            scenario.simulation.catalog.creditGrants == [
                CreditGrant(id: "cg_default", customer: "cus_john", amount: 500, currency: usd, effectiveAt: start),
                CreditGrant(
                    id: "cg_full", customer: "cus_john", name: "Prepaid", amount: 2500, currency: usd, scope: .prices(["price_usage"]),
                    category: .promotional, priority: 0, effectiveAt: try #require(Instant(parsing: "2026-01-05T00:00:00Z")),
                    expiresAt: try #require(Instant(parsing: "2026-03-01T00:00:00Z"))),
            ])
        #expect(scenario.simulation.timeline.first?.action == .customerBalanceTransaction(customer: "cus_john", amount: -1500))
    }

    /// `expect.credit_grants` names declared grants and their known fields only.
    @Test func creditGrantExpectationsAreChecked() {
        let text = yaml(grants: "  - { id: cg_x, customer: cus_john, \(Self.amount), \(Self.metered) }\n")
            .replacingOccurrences(
                of: "  late_events: 0\n", with: "  late_events: 0\n  credit_grants: { cg_y: { available: 1 }, cg_x: { left: 2 } }\n")
        #expect(
            diagnostics(text).map(\.message) == [
                "expect.credit_grants: no credit grant `cg_y` (credit grants: cg_x)",
                "expect.credit_grants.cg_x.left: unknown credit grant field (known: id, available)",
            ])
    }
}
