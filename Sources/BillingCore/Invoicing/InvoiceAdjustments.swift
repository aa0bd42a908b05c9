/// What happens to an invoice after its line amounts, in Stripe's order (BILLING-SEMANTICS §6.2: line
/// amounts → discounts → billing credits → taxes → total → customer balance → amount due). Discounts
/// are applied here; billing credits are the next step, ``CreditLedger`` (at finalization: they are
/// spent, so they live in the ledger the engine keeps; a line's ``InvoiceLine/creditTotal``), then taxes,
/// each a function of the lines the step before left. The customer balance is ``Finalization``'s.
/// Pure functions of values (Docs/ENGINE-RULES.md, "Discounts").
enum InvoiceAdjustments {
    /// `invoice` with its lines' `discount_amounts` set by `coupons`, in order (any earlier discounts
    /// replaced): each coupon discounts what the coupons before it left of each discountable line.
    static func adjusted(_ invoice: Invoice, discounts coupons: [Coupon], catalog: Catalog) throws(AmountOverflow) -> Invoice {
        var invoice = invoice
        for index in invoice.lines.indices { invoice.lines[index].discountAmounts = [] }
        guard !coupons.isEmpty else { return invoice }
        let products = invoice.lines.map { line in catalog.price(line.price)?.product }
        for coupon in coupons {
            // Discountable: not a proration (Stripe's `discountable=false`, §5.7), a positive amount, a product the coupon applies to.
            let eligible = invoice.lines.indices.filter { index in
                let line = invoice.lines[index]
                return !line.proration && line.amount > 0 && coupon.applies(to: products[index])
            }
            let remaining = eligible.map { invoice.lines[$0].amount - invoice.lines[$0].discountTotal }
            let parts = try discounts(of: coupon, on: remaining)
            for (index, part) in zip(eligible, parts) where part > 0 {
                invoice.lines[index].discountAmounts.append(DiscountAmount(amount: part, discount: coupon.id))
            }
        }
        return invoice
    }

    /// What `coupon` takes off lines whose amounts (after earlier discounts) are `amounts`, all ≥ 0.
    ///
    /// `percent_off`: each line's amount × percent, exact, rounded once half away from zero.
    /// `amount_off`: the amount, capped at the lines' sum, allocated in proportion to the amounts:
    /// each line but the last gets ⌊amount × its share⌋, the last gets the rest (Stripe's 500 on
    /// 1000 + 2000: ⌊500 × 1000 ÷ 3000⌋ = 166, then 334), whatever the last cannot take going to the
    /// lines before it, last first. The parts always sum to the capped amount and never exceed a line.
    static func discounts(of coupon: Coupon, on amounts: [Int64]) throws(AmountOverflow) -> [Int64] {
        switch coupon.off {
        case .percent(let hundredths):
            return amounts.map { amount in
                min(amount, ExactDecimal(amount).scaled(by: hundredths, over: 10_000).roundedToMinorUnits() ?? amount)
            }
        case .amount(let off, _):
            let sum = try amounts.checkedSum("the amounts a coupon discounts")
            guard sum > 0 else { return amounts.map { _ in 0 } }
            let capped = min(off, sum)
            var parts = amounts.map { amount in
                // capped × amount ÷ sum ≤ amount: the quotient fits, whatever the product's width.
                sum.dividingFullWidth(capped.multipliedFullWidth(by: amount)).quotient
            }
            parts[parts.count - 1] = 0
            var rest = capped - parts.reduce(0, +)
            for index in parts.indices.reversed() where rest > 0 {
                let room = amounts[index] - parts[index]
                let given = min(room, rest)
                parts[index] += given
                rest -= given
            }
            return parts
        }
    }

    /// What `coupons` take off `amount` of a line of `product` billed alone: the discount a proration's
    /// amount is net of (Docs/ENGINE-RULES.md, "Discounts and prorations").
    static func discount(of amount: Int64, product: String?, by coupons: [Coupon]) -> Int64 {
        guard amount > 0 else { return 0 }
        var left = amount
        for coupon in coupons where coupon.applies(to: product) {
            left -= (try? discounts(of: coupon, on: [left]).first) ?? 0
        }
        return amount - left
    }
}
