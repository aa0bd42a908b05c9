/// The engine's discounts (Docs/ENGINE-RULES.md, "Discounts"): which coupons an invoice gets, and the
/// `once` coupons it uses up. ``InvoiceAdjustments`` applies them.
extension BillingEngine {
    /// The coupons that discount an invoice of subscription `index` created at `instant` (default: now):
    /// the subscription's active discounts, else its customer's active discount.
    func activeCoupons(for index: Int, at instant: Instant? = nil) -> [Coupon] {
        let instant = instant ?? now
        let own = subscriptions[index].discounts.filter { $0.isActive(at: instant) }.map(\.coupon)
        guard own.isEmpty else { return own }
        guard let discount = customerDiscounts[subscriptions[index].definition.customer], discount.isActive(at: instant) else { return [] }
        return [discount.coupon]
    }

    /// Marks the `once` coupons that discounted `invoice`, created now by ``activeCoupons(for:at:)``, as
    /// used: the subscription's own when it had active ones, else its customer's (a coupon that took
    /// nothing off, on an invoice with nothing to discount, stays for the next one: Stripe ignores
    /// coupons on zero-cost invoices; a proration's discounts, those of earlier invoices, use nothing).
    func useOnceCoupons(of invoice: Invoice, subscription index: Int) {
        // Most invoices have no discount: nothing to collect (the arrays and set below were made for every invoice).
        guard invoice.lines.contains(where: { !$0.discountAmounts.isEmpty }) else { return }
        let discounted = invoice.lines.filter { !$0.proration }.flatMap(\.discountAmounts)
        let used = Set(discounted.filter { $0.amount > 0 }.map(\.discount))
        guard !used.isEmpty else { return }
        let discounts = subscriptions[index].discounts
        guard !discounts.contains(where: { $0.isActive(at: now) }) else {
            for (position, discount) in discounts.enumerated() where discount.coupon.duration == .once && used.contains(discount.coupon.id) {
                subscriptions[index].discounts[position].used = true
            }
            return
        }
        let customer = invoice.customer
        if let discount = customerDiscounts[customer], discount.coupon.duration == .once, used.contains(discount.coupon.id) {
            customerDiscounts[customer]?.used = true
        }
    }

    /// `invoice` with `coupons` applied (``InvoiceAdjustments/adjusted(_:discounts:catalog:)``), an overflow
    /// located at its subscription.
    func discounted(_ invoice: Invoice, by coupons: [Coupon], subscription index: Int) throws -> Invoice {
        do {
            return try InvoiceAdjustments.adjusted(invoice, discounts: coupons, catalog: simulation.catalog)
        } catch {
            throw Self.located(error, subscriptions[index].definition, invoice: invoice.id)
        }
    }
}
