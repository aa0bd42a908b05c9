/// A Stripe billing credit grant (`billing.credit_grant`, BILLING-SEMANTICS §8.1): an amount of money a
/// customer may spend on the metered lines of its invoices, before taxes (Docs/ENGINE-RULES.md,
/// "Billing credits").
public struct CreditGrant: Sendable, Hashable {
    /// Stripe's `category`: both are spent the same way; `promotional` goes before `paid` on a tie.
    public enum Category: String, Sendable, Hashable, CaseIterable {
        case paid, promotional
    }

    /// `applicability_config.scope`: which lines it may pay.
    public enum Scope: Sendable, Hashable {
        /// `price_type: metered`: every metered price.
        case metered
        /// `prices: [{ id }]`: these (metered) prices only.
        case prices([String])
    }

    public var id: String
    public var customer: String
    public var name: String
    /// `amount.monetary.value`, in minor units of `currency`.
    public var amount: Int64
    public var currency: Currency
    public var scope: Scope
    public var category: Category
    /// 0 (applied first) … 100 (applied last).
    public var priority: Int
    public var effectiveAt: Instant
    /// `nil`: never expires.
    public var expiresAt: Instant?

    public init(
        id: String, customer: String, name: String = "", amount: Int64, currency: Currency, scope: Scope = .metered,
        category: Category = .paid, priority: Int = 50, effectiveAt: Instant, expiresAt: Instant? = nil
    ) {
        self.id = id
        self.customer = customer
        self.name = name
        self.amount = amount
        self.currency = currency
        self.scope = scope
        self.category = category
        self.priority = priority
        self.effectiveAt = effectiveAt
        self.expiresAt = expiresAt
    }

    /// Whether it may pay a line of `price`: a metered price (backed by a meter), and one it lists if
    /// it lists prices. Licensed lines, prorations and one-time invoice items never.
    public func applies(to price: Price?) -> Bool {
        guard let price, price.isMetered, !price.isOneTime else { return false }
        switch scope {
        case .metered: return true
        case .prices(let ids): return ids.contains(price.id)
        }
    }

    /// Whether it may pay part of `invoice` finalized at `instant`: the invoice's customer and currency,
    /// `period_end ≥ effective_at`, and, when it expires, `period_end < expires_at` and not expired yet.
    public func isEligible(for invoice: Invoice, at instant: Instant) -> Bool {
        guard customer == invoice.customer, currency == invoice.currency, invoice.periodEnd >= effectiveAt else { return false }
        guard let expiresAt else { return true }
        return invoice.periodEnd < expiresAt && instant < expiresAt
    }

    /// Whether it is spent before `other` (Docs/ENGINE-RULES.md, "Billing credits"): lower priority first,
    /// then the earlier `expires_at` (none last), then promotional before paid, then the earlier
    /// `effective_at`; creation (scenario) order breaks the remaining ties (a stable sort keeps it).
    public func isSpent(before other: CreditGrant) -> Bool {
        if priority != other.priority { return priority < other.priority }
        if expiresAt != other.expiresAt {
            guard let mine = expiresAt else { return false }
            guard let theirs = other.expiresAt else { return true }
            return mine < theirs
        }
        if category != other.category { return category == .promotional }
        return effectiveAt < other.effectiveAt
    }
}

/// One entry of Stripe's `pretax_credit_amounts`: what a credit grant paid of a line (or, in the invoice's
/// `total_pretax_credit_amounts`, of the whole invoice). Stripe's `type` is always `credit_balance_transaction`.
public struct CreditAmount: Sendable, Hashable {
    public var amount: Int64
    /// The credit grant's id.
    public var creditGrant: String

    public init(amount: Int64, creditGrant: String) {
        self.amount = amount
        self.creditGrant = creditGrant
    }
}
