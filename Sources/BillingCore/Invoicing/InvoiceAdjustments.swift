/// What happens to an invoice after its line amounts, in Stripe's order (BILLING-SEMANTICS §6.2: line
/// amounts → discounts → billing credits → taxes → total → customer balance → amount due). Discounts
/// are applied by ``adjusted(_:discounts:catalog:)``; billing credits are the next step, ``CreditLedger``
/// (at finalization: they are spent, so they live in the ledger the engine keeps; a line's
/// ``InvoiceLine/creditTotal``); then taxes, by ``taxed(_:rates:)`` on what the steps before left of each
/// line (``InvoiceLine/taxableAmount``). The customer balance is ``Finalization``'s.
/// Pure functions of values (Docs/ENGINE-RULES.md, "Discounts", "Taxes").
enum InvoiceAdjustments {
    /// `invoice` with its lines' `discount_amounts` set by `coupons`, in order (any earlier discounts
    /// replaced): each coupon discounts what the coupons before it left of each discountable line. A
    /// proration line keeps its own (``prorationDiscounts(_:gross:net:itemized:)``): it is not discountable.
    static func adjusted(_ invoice: Invoice, discounts coupons: [Coupon], catalog: Catalog) throws(AmountOverflow) -> Invoice {
        // Nothing to clear or apply, nothing written: a write copies the lines the caller's invoice shares (0.3% of a
        // re-rated variant's CPU; a write inside the loop below makes the lines unique before it, even when skipped: perf).
        guard !coupons.isEmpty || invoice.lines.contains(where: { !$0.proration && !$0.discountAmounts.isEmpty }) else { return invoice }
        var invoice = invoice
        for index in invoice.lines.indices where !invoice.lines[index].proration { invoice.lines[index].discountAmounts = [] }
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
    /// `amount_off`: the amount, capped at the lines' sum, allocated in proportion to the amounts
    /// (``allocate(_:over:)``; Stripe's 500 on 1000 + 2000: ⌊500 × 1000 ÷ 3000⌋ = 166, then 334).
    static func discounts(of coupon: Coupon, on amounts: [Int64]) throws(AmountOverflow) -> [Int64] {
        switch coupon.off {
        case .percent(let hundredths):
            return amounts.map { amount in
                min(amount, ExactDecimal(amount).scaled(by: hundredths, over: 10_000).roundedToMinorUnits() ?? amount)
            }
        case .amount(let off, _): return try allocate(off, over: amounts)
        }
    }

    /// `amount` (≥ 0) capped at the sum of `amounts` (all ≥ 0), allocated in proportion to them: each
    /// but the last gets ⌊amount × its share⌋, the last the rest, whatever the last cannot take going to
    /// the ones before it, last first. The parts sum to the capped amount and never exceed their amount.
    static func allocate(_ amount: Int64, over amounts: [Int64]) throws(AmountOverflow) -> [Int64] {
        let sum = try amounts.checkedSum("the amounts a coupon discounts")
        guard sum > 0 else { return amounts.map { _ in 0 } }
        let capped = min(amount, sum)
        var parts = amounts.map { part in
            // capped × part ÷ sum ≤ part: the quotient fits, whatever the product's width.
            sum.dividingFullWidth(capped.multipliedFullWidth(by: part)).quotient
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

    /// What each of `coupons` that applies to `product` takes off `amount` of a line of it billed alone,
    /// in order (0 when `amount` ≤ 0): the discounts a proration's amount is net of (Docs/ENGINE-RULES.md,
    /// "Discounts and prorations").
    static func discounts(of amount: Int64, product: String?, by coupons: [Coupon]) -> [DiscountAmount] {
        var left = max(amount, 0)
        return coupons.filter { $0.applies(to: product) }.map { coupon in
            let part = (try? discounts(of: coupon, on: [left]).first) ?? 0
            left -= part
            return DiscountAmount(amount: part, discount: coupon.id)
        }
    }

    /// A proration line's `discount_amounts`: `discounts` (what each coupon took of the amount the line
    /// prorates) shown on a line whose amount is `gross` before them and `net` after them, both rounded
    /// (Docs/ENGINE-RULES.md, "Discounts and prorations"). `included` (the line bills `net`): each coupon
    /// with 0. `itemized` (it bills `gross`): `gross − net` (negative on a credit) allocated over the
    /// coupons in proportion to what each took, as an `amount_off` coupon is over lines (``allocate(_:over:)``),
    /// so that the amount less the discounts is `net` to the cent.
    static func prorationDiscounts(_ discounts: [DiscountAmount], gross: Int64, net: Int64, itemized: Bool) throws(AmountOverflow) -> [DiscountAmount]
    {
        guard itemized else { return discounts.map { DiscountAmount(amount: 0, discount: $0.discount) } }
        // gross and net have one sign and |net| ≤ |gross|: the difference fits. Its magnitude is a share of
        // the discounts' sum, rounded: at most that sum, so the allocation never caps it.
        let difference = gross - net
        let parts = try allocate(Int64(clamping: difference.magnitude), over: discounts.map(\.amount))
        return zip(discounts, parts).map { DiscountAmount(amount: difference < 0 ? -$1 : $1, discount: $0.discount) }
    }

    /// `invoice` with each line's `taxes` set by its tax rates (`rates[i]` for line `i`, at most
    /// ``TaxRate/maxPerLine``; any earlier taxes replaced), computed by ``taxes(on:rates:)`` on the line's
    /// ``InvoiceLine/taxableAmount``.
    static func taxed(_ invoice: Invoice, rates: [[TaxRate]]) throws(AmountOverflow) -> Invoice {
        var invoice = invoice
        for index in invoice.lines.indices {
            let lineRates = index < rates.count ? rates[index] : []
            invoice.lines[index].taxes = try taxes(on: invoice.lines[index].taxableAmount, rates: lineRates)
        }
        return invoice
    }

    /// What `rates` charge on a line whose taxable amount is `taxable` (negative for a credit: its taxes
    /// are negative too), one entry per rate in order, each rounded once, half away from zero.
    ///
    /// Exclusive rate p (added to the line): `taxable × p ÷ 100` (Stripe's 15 % on 0.43 and 4.84:
    /// 0.0645 → 0.06, 0.726 → 0.73), its `taxable_amount` the taxable amount.
    /// Inclusive rates (inside the amount): `taxable = net × (1 + Σ pⱼ ÷ 100)` over the line's
    /// inclusive rates, so rate i's tax is `taxable × pᵢ ÷ (100 + Σ pⱼ)` (10 % inside 600.00:
    /// 54.5454… → 54.55), and their `taxable_amount` is the net, `taxable` less the inclusive taxes.
    static func taxes(on taxable: Int64, rates: [TaxRate]) throws(AmountOverflow) -> [TaxAmount] {
        // Each percentage is at most 100 % and a line has at most 5 rates: the sum fits.
        let inclusiveSum = rates.filter(\.inclusive).reduce(Int64(0)) { $0 + $1.percentage }
        var taxes = try rates.map { rate throws(AmountOverflow) in
            let denominator = rate.inclusive ? TaxRate.maxPercentage + inclusiveSum : TaxRate.maxPercentage
            // |tax| ≤ |taxable|: it fits whenever the taxable amount does.
            guard let amount = ExactDecimal(taxable).scaled(by: rate.percentage, over: denominator).roundedToMinorUnits() else {
                throw AmountOverflow("the tax of rate \(rate.id) on \(taxable)")
            }
            return TaxAmount(amount: amount, taxRate: rate.id, inclusive: rate.inclusive, taxableAmount: taxable)
        }
        // The inclusive taxes together are at most `taxable` × Σ ÷ (100 + Σ) rounded per rate: |net| ≤ |taxable| + 3.
        let net = taxable - taxes.reduce(0) { $0 + ($1.inclusive ? $1.amount : 0) }
        for index in taxes.indices where taxes[index].inclusive { taxes[index].taxableAmount = net }
        return taxes
    }
}
