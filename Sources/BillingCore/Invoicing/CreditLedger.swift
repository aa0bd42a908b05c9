/// What is left of each billing credit grant, and how an invoice spends it (BILLING-SEMANTICS §6.2, §8.1;
/// Docs/ENGINE-RULES.md, "Billing credits"): the step of ``InvoiceAdjustments`` after discounts and
/// before taxes, taken only at finalization (a draft or a preview shows what it would take then, without
/// taking it). A value: the engine keeps one and replaces it after each finalization or void.
public struct CreditLedger: Sendable, Hashable {
    /// The grants in the order they are spent (``CreditGrant/isSpent(before:)``, ties in scenario order).
    public let grants: [CreditGrant]
    /// Grant id → what is left of it (0 ≤ left ≤ its amount), in minor units.
    var left: [String: Int64]

    public init(grants: [CreditGrant]) {
        // A stable sort: grants that tie on every rule keep their scenario (creation) order.
        self.grants = grants.enumerated().sorted { a, b in
            a.element.isSpent(before: b.element) || (!b.element.isSpent(before: a.element) && a.offset < b.offset)
        }.map(\.element)
        left = Dictionary(grants.map { ($0.id, $0.amount) }, uniquingKeysWith: { first, _ in first })
    }

    /// What is left of grant `id`, whether or not it can be spent now.
    public func remaining(_ id: String) -> Int64 { left[id] ?? 0 }

    /// Stripe's available balance of grant `id` at `instant`: what is left, or 0 before its
    /// `effective_at` (pending) and from its `expires_at` on (expired).
    public func available(_ id: String, at instant: Instant) -> Int64 {
        guard let grant = grants.first(where: { $0.id == id }), instant >= grant.effectiveAt else { return 0 }
        if let expiresAt = grant.expiresAt, instant >= expiresAt { return 0 }
        return remaining(id)
    }

    /// `invoice` with each line's `pretax_credit_amounts` set (any earlier ones replaced) as if it were
    /// finalized at `instant`, and the ledger after it. Lines are paid in line order, each from the
    /// eligible grants in spending order; a grant pays only lines it applies to
    /// (``CreditGrant/applies(to:)``), and at most what the discounts left of a line, so a line never
    /// goes below 0 and a grant never below 0.
    public func applied(to invoice: Invoice, at instant: Instant, catalog: Catalog) -> (invoice: Invoice, ledger: CreditLedger) {
        let eligible = grants.filter { $0.isEligible(for: invoice, at: instant) && remaining($0.id) > 0 }
        // Nothing to clear or take, nothing written: a write copies the lines the caller's invoice shares (0.4% of a
        // re-rated variant's CPU; a write inside the loop below makes the lines unique before it, even when skipped: perf).
        guard !eligible.isEmpty || invoice.lines.contains(where: { !$0.pretaxCreditAmounts.isEmpty }) else { return (invoice, self) }
        var invoice = invoice
        var ledger = self
        for index in invoice.lines.indices {
            invoice.lines[index].pretaxCreditAmounts = []
            guard !eligible.isEmpty else { continue }
            let line = invoice.lines[index]
            let price = catalog.price(line.price)
            // Discounts never exceed the line (``InvoiceAdjustments``): what they left is 0 … amount.
            var due = max(0, line.amount - line.discountTotal)
            for grant in eligible where due > 0 && grant.applies(to: price) {
                let taken = min(due, ledger.remaining(grant.id))
                guard taken > 0 else { continue }
                ledger.left[grant.id] = ledger.remaining(grant.id) - taken
                due -= taken
                invoice.lines[index].pretaxCreditAmounts.append(CreditAmount(amount: taken, creditGrant: grant.id))
            }
        }
        return (invoice, ledger)
    }

    /// Finalization: `invoice` with its credits applied at `instant` (``applied(to:at:catalog:)``), the
    /// ledger keeping what they took.
    public mutating func spend(on invoice: Invoice, at instant: Instant, catalog: Catalog) -> Invoice {
        let result = applied(to: invoice, at: instant, catalog: catalog)
        self = result.ledger
        return result.invoice
    }

    /// Voiding `invoice` gives back what it took of each grant (a credit note would not: §8.1). A grant
    /// already past its `expires_at` gets it back and expires at once: ``available(_:at:)`` is 0 for it
    /// and no invoice is eligible for it any more.
    public mutating func giveBack(_ invoice: Invoice) {
        for part in invoice.lines.flatMap(\.pretaxCreditAmounts) {
            // Never beyond the grant's amount: only what was taken from it comes back.
            left[part.creditGrant] = remaining(part.creditGrant) + part.amount
        }
    }
}
