/// Billing thresholds (Docs/ENGINE-RULES.md, "Billing thresholds"; BILLING-SEMANTICS §5.9, §4.9):
/// when they are evaluated, what a threshold invoice bills, and how a metered line is rated after
/// threshold invoices billed part of its period. Functions of values.

/// What threshold invoices already billed of one metered item's usage since its usage start (the
/// period's tiers continue across them).
struct BilledUsage: Sendable, Hashable {
    /// The usage billed so far (the aggregate when the last threshold invoice was made).
    var quantity: ExactDecimal
    /// The exact amount of the whole `quantity` at the price (the base of the next increment).
    var exact: ExactDecimal
    /// The rounded amounts billed for the item so far, net (a volume price's "amount previously billed").
    var amount: Int64
    /// The unit amount the last billing used (shown in a volume price's "amount previously billed" line).
    var unitAmount: ExactDecimal

    /// What is billed after an invoice billed `invoiced` (net, rounded) for the item's usage `usage` at `scheme`.
    static func after(_ previous: BilledUsage?, scheme: PricingScheme, usage: ExactDecimal, invoiced: Int64) throws(AmountOverflow) -> BilledUsage {
        let full = Rating.rate(scheme, quantity: usage)
        let unit: ExactDecimal =
            if let last = full.tiers.last { last.unitAmount } else if case .perUnit(let unitAmount, _) = scheme { unitAmount } else { .zero }
        let amount = try (previous?.amount ?? 0).adding(invoiced, "the amount billed by threshold invoices")
        return BilledUsage(quantity: usage, exact: full.exact, amount: amount, unitAmount: unit)
    }
}

/// Rating a metered line after threshold invoices.
enum ThresholdRating {
    /// The quantity and amount of a metered line whose usage since its usage start is `usage`, when
    /// `billed` of it was already billed by threshold invoices (`nil`: none).
    ///
    /// `per_unit` and `graduated`: the increment: quantity `usage − billed`, amount `rate(usage) − rate(billed)`
    /// exact, rounded once as every line (the tiers are not restarted: the slices and flat amounts the
    /// earlier invoices billed are left out of the breakdown). `volume`: the whole `usage` at the tier
    /// it reaches; what was billed before is taken off by a separate "amount previously billed" line (§4.9).
    static func rate(_ scheme: PricingScheme, usage: ExactDecimal, after billed: BilledUsage?) -> (quantity: ExactDecimal, rated: RatedAmount) {
        let full = Rating.rate(scheme, quantity: usage)
        guard let billed else { return (usage, full) }
        if case .volume = scheme { return (usage, full) }
        let before = Rating.rate(scheme, quantity: billed.quantity)
        var tiers: [TierAmount] = []
        for part in full.tiers {
            let earlier = before.tiers.first { $0.tier == part.tier }
            let quantity = part.quantity - (earlier?.quantity ?? .zero)
            let flat = part.flatAmount - (earlier?.flatAmount ?? .zero)
            if quantity != .zero || flat != .zero {
                tiers.append(TierAmount(tier: part.tier, upTo: part.upTo, quantity: quantity, unitAmount: part.unitAmount, flatAmount: flat))
            }
        }
        if tiers.isEmpty, let last = full.tiers.last {
            tiers = [TierAmount(tier: last.tier, upTo: last.upTo, quantity: .zero, unitAmount: last.unitAmount, flatAmount: .zero)]
        }
        var transformed: ExactDecimal?
        if let now = full.transformedQuantity, let then = before.transformedQuantity { transformed = now - then }
        return (
            usage - billed.quantity,
            RatedAmount(exact: full.exact - before.exact, transformedQuantity: transformed, tiers: full.tiers.isEmpty ? [] : tiers)
        )
    }
}

extension ThresholdRating {
    /// The exact amount of ``rate(_:usage:after:)`` alone (what a threshold check adds up), rating
    /// `usage` once: `billed.exact` is already `rate(billed)` at the slot's price.
    static func exact(_ scheme: PricingScheme, usage: ExactDecimal, after billed: BilledUsage?) -> ExactDecimal {
        let full = Rating.rate(scheme, quantity: usage).exact
        guard let billed else { return full }
        if case .volume = scheme { return full }
        return full - billed.exact
    }
}

/// When thresholds are evaluated and what a threshold invoice bills.
enum Threshold {
    /// Thresholds are not evaluated in the last 24 hours of a period (§5.9).
    static let quietSpan = TimeSpan.hours(24)

    /// Whether `subscription` has a threshold (an `amount_gte`, or a `usage_gte` on an open metered item).
    static func isSet(on subscription: BilledSubscription) -> Bool {
        subscription.definition.billingThresholds?.amountGTE != nil
            || subscription.meteredItems.contains { subscription.definition.items[$0].usageGTE != nil }
    }

    /// Whether thresholds are evaluated at `instant`: the subscription has one, it is active (not
    /// trialing, §5.5), and `instant` is inside its period and more than 24 hours before its end (§5.9).
    static func isEvaluated(_ subscription: BilledSubscription, at instant: Instant) -> Bool {
        guard isSet(on: subscription), subscription.lifecycle.status == .active else { return false }
        return instant > subscription.period.start && instant < subscription.period.end - quietSpan
    }

    /// What a threshold invoice at `instant` bills: each open metered item's usage not yet invoiced
    /// (``BilledSubscription/usageLines(of:until:)``), in item order; the lines held for the next
    /// invoice follow them when it is made.
    static func plan(_ subscription: BilledSubscription, at instant: Instant) -> [PlannedLine] {
        subscription.meteredItems.flatMap { subscription.usageLines(of: $0, until: instant) }
    }

    /// The amount so far of a threshold invoice: its lines' `amounts` (the priced usage lines, then the held lines).
    static func amount(of amounts: [Int64]) throws(AmountOverflow) -> Int64 {
        var amount: Int64 = 0
        for line in amounts { amount = try amount.adding(line, "the amount so far") }
        return amount
    }

    /// Whether the lines priced for a threshold invoice reach a threshold: the next invoice's amount
    /// so far (`amount`: those lines plus the held ones) reaches `amount_gte`, or an item's usage since
    /// the last threshold invoice (`usage` by slot) reaches its `usage_gte`.
    static func isReached(_ subscription: BilledSubscription, amount: Int64, usage: [Int: ExactDecimal]) -> Bool {
        if let gte = subscription.definition.billingThresholds?.amountGTE, amount >= gte { return true }
        return usage.contains { slot, used in subscription.definition.items[slot].usageGTE.map { used >= ExactDecimal($0) } ?? false }
    }
}
