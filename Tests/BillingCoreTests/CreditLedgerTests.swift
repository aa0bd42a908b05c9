import Testing

@testable import BillingCore

/// Billing credits (Docs/ENGINE-RULES.md, "Billing credits"; BILLING-SEMANTICS §8.1): the pure ledger.
/// Expected values computed by hand in each comment.
@Suite struct CreditLedger_ {
    let usd = Currency(code: "usd")!
    let day: Int64 = 86_400

    func at(_ days: Int64) -> Instant { Instant(seconds: days * day) }

    func grant(
        _ id: String, _ amount: Int64, priority: Int = 50, category: CreditGrant.Category = .paid, effective: Int64 = 0, expires: Int64? = nil,
        scope: CreditGrant.Scope = .metered, currency: String = "usd"
    ) -> CreditGrant {
        CreditGrant(
            id: id, customer: "cus", amount: amount, currency: Currency(code: currency)!, scope: scope, category: category, priority: priority,
            effectiveAt: at(effective), expiresAt: expires.map(at))
    }

    var catalog: Catalog {
        let scheme = PricingScheme.perUnit(unitAmount: ExactDecimal(1), transform: nil)
        return Catalog(
            meters: [Meter(id: "mtr", eventName: "e")], products: [],
            prices: [
                Price(
                    id: "price_m1", product: "p", currency: usd, interval: BillingInterval(.month), usageType: .metered(meter: "mtr"), scheme: scheme),
                Price(
                    id: "price_m2", product: "p", currency: usd, interval: BillingInterval(.month), usageType: .metered(meter: "mtr"), scheme: scheme),
                Price(id: "price_lic", product: "p", currency: usd, interval: BillingInterval(.month), usageType: .licensed, scheme: scheme),
            ])
    }

    /// An invoice for the period day 0 → `end` with lines (price, amount, discount).
    func invoice(_ lines: [(String, Int64, Int64)], end: Int64 = 31) throws -> Invoice {
        let period = Period(start: at(0), end: at(end))
        let built = try lines.map { price, amount, discount in
            var line = try InvoiceLine(
                price: price, subscriptionItem: "si", description: "", period: period, quantity: ExactDecimal(1),
                rated: RatedAmount(exact: ExactDecimal(amount)), metered: price != "price_lic")
            if discount > 0 { line.discountAmounts = [DiscountAmount(amount: discount, discount: "co")] }
            return line
        }
        return Invoice(
            id: "in_0002", number: 2, customer: "cus", subscription: "sub", billingReason: .subscriptionCycle, currency: usd,
            collectionMethod: .chargeAutomatically, created: period.end, periodStart: period.start, periodEnd: period.end, lines: built)
    }

    /// Priority first (10 before 50); among priority 50: the earlier expiry (day 40 before day 60, before
    /// none); among equal expiry: promotional before paid; then the earlier effective_at; then file order.
    @Test func grantsAreSpentInTheDocumentedOrder() {
        let ledger = CreditLedger(grants: [
            grant("no_expiry", 1),
            grant("paid_60", 1, expires: 60),
            grant("promo_60", 1, category: .promotional, expires: 60),
            grant("first_tie", 1, effective: 5, expires: 90),
            grant("second_tie", 1, effective: 5, expires: 90),
            grant("earlier_effective", 1, effective: 2, expires: 90),
            grant("expires_40", 1, expires: 40),
            grant("priority_10", 1, priority: 10),
        ])
        #expect(
            ledger.grants.map(\.id) == [
                "priority_10", "expires_40", "promo_60", "paid_60", "earlier_effective", "first_tie", "second_tie", "no_expiry",
            ])
    }

    /// Lines in order, each from the grants in order: A (priority 10, 1500) and B (2000).
    /// Line 1: 1000 − 200 discount = 800 → A 800 (A 700 left). Licensed line 5000: nothing.
    /// Line 3: 3000 → A 700, B 2000 (the line keeps 300). Totals: A 1500, B 2000; total
    /// 9000 − 200 − 3500 = 5300. Nothing left of either.
    @Test func linesArePaidInOrderAfterTheirDiscounts() throws {
        var ledger = CreditLedger(grants: [grant("B", 2000), grant("A", 1500, priority: 10)])
        let credited = ledger.spend(
            on: try invoice([("price_m1", 1000, 200), ("price_lic", 5000, 0), ("price_m2", 3000, 0)]), at: at(31), catalog: catalog)
        #expect(credited.lines[0].pretaxCreditAmounts == [CreditAmount(amount: 800, creditGrant: "A")])
        #expect(credited.lines[1].pretaxCreditAmounts == [])
        #expect(credited.lines[2].pretaxCreditAmounts == [CreditAmount(amount: 700, creditGrant: "A"), CreditAmount(amount: 2000, creditGrant: "B")])
        #expect(credited.totalPretaxCreditAmounts == [CreditAmount(amount: 1500, creditGrant: "A"), CreditAmount(amount: 2000, creditGrant: "B")])
        #expect(credited.total == 5300)
        #expect(ledger.remaining("A") == 0 && ledger.remaining("B") == 0)
    }

    /// A grant listing price_m2 pays only that line (400 of 600 left); a line fully discounted gets nothing.
    @Test func aGrantPaysOnlyThePricesItLists() throws {
        var ledger = CreditLedger(grants: [grant("only_m2", 1000, scope: .prices(["price_m2"]))])
        let credited = ledger.spend(
            on: try invoice([("price_m1", 700, 0), ("price_m2", 400, 0), ("price_m2", 300, 300)]), at: at(31), catalog: catalog)
        #expect(credited.lines.map(\.creditTotal) == [0, 400, 0])
        #expect(ledger.remaining("only_m2") == 600)
    }

    /// Eligibility by the invoice's period_end (day 31): effective day 31 is eligible (31 ≥ 31), day 32 not;
    /// expiring day 31 not (31 < 31 fails), day 32 yes; expiring day 32 but finalized on day 32: expired, not;
    /// another currency: not.
    @Test func eligibilityFollowsThePeriodEndAndTheExpiry() throws {
        let invoice = try invoice([("price_m1", 100, 0)])
        #expect(grant("g", 1, effective: 31).isEligible(for: invoice, at: at(31)))
        #expect(!grant("g", 1, effective: 32).isEligible(for: invoice, at: at(31)))
        #expect(!grant("g", 1, expires: 31).isEligible(for: invoice, at: at(31)))
        #expect(grant("g", 1, expires: 32).isEligible(for: invoice, at: at(31)))
        #expect(!grant("g", 1, expires: 32).isEligible(for: invoice, at: at(32)))
        #expect(!grant("g", 1, currency: "eur").isEligible(for: invoice, at: at(31)))
    }

    /// "expiring" (day 40) is spent before "lasting" (no expiry): of the 600 line, 500 then 100.
    /// Voiding gives back what the invoice took: "lasting" 900 → 1000. "expiring", past its expiry by
    /// then (day 45), gets its 500 back and is expired at once: available 0 (it would be 500 before day 40).
    @Test func voidingGivesTheCreditsBack() throws {
        var ledger = CreditLedger(grants: [grant("lasting", 1000), grant("expiring", 500, expires: 40)])
        let credited = ledger.spend(on: try invoice([("price_m1", 600, 0), ("price_m2", 0, 0)]), at: at(31), catalog: catalog)
        #expect(
            credited.lines[0].pretaxCreditAmounts == [
                CreditAmount(amount: 500, creditGrant: "expiring"), CreditAmount(amount: 100, creditGrant: "lasting"),
            ])
        #expect(ledger.available("lasting", at: at(35)) == 900)
        #expect(ledger.available("expiring", at: at(35)) == 0)
        ledger.giveBack(credited)
        #expect(ledger.available("lasting", at: at(45)) == 1000)
        #expect(ledger.remaining("expiring") == 500)
        #expect(ledger.available("expiring", at: at(45)) == 0)
        #expect(ledger.available("expiring", at: at(35)) == 500)
    }

    /// A draft or a preview shows the credits without taking them.
    @Test func applyingTentativelyTakesNothing() throws {
        let ledger = CreditLedger(grants: [grant("g", 1000)])
        let result = ledger.applied(to: try invoice([("price_m1", 300, 0)]), at: at(31), catalog: catalog)
        #expect(result.invoice.creditTotal == 300)
        #expect(result.ledger.remaining("g") == 700)
        #expect(ledger.remaining("g") == 1000)
    }
}
