import BillingCore
import BillingDocument
import Yams

/// `coupons`, and the `discount` / `discounts` that apply them (Docs/ENGINE-RULES.md, "Discounts").
extension ScenarioReader {
    func readCoupon(_ fields: Fields) -> Coupon? {
        fields.apply(StripeFields.coupon)
        let id = coupons.declare(fields.required("id"))
        let percentValue = fields.optional("percent_off")
        let amountValue = fields.optional("amount_off")
        let currencyValue = fields.optional("currency")
        let currency = currencyValue?.parse("a currency code Stripe accepts, like usd (ISO 4217)") { Currency(code: $0) }
        var off: Coupon.Off?
        switch (percentValue, amountValue) {
        case (nil, nil):
            fields.sink.report(fields.path, "a coupon needs percent_off or amount_off (with currency)", at: fields.location)
        case (_?, let amount?):
            amount.error("a coupon takes percent_off or amount_off, not both")
        case (let percent?, nil):
            off = percent.parse("a percentage greater than 0 and at most 100, with at most 2 decimals (like 25.5)") { text in
                guard let value = ExactDecimal(parsing: text), value > .zero, value <= ExactDecimal(100) else { return nil }
                return value.scaled(by: 100, over: 1).int64.map { Coupon.Off.percent(hundredths: $0) }
            }
        case (nil, let amount?):
            let minor = amount.integer(1...StripeLimits.maxAmount, "a positive integer of at most 8 digits (minor units)")
            if currencyValue == nil { amount.error("amount_off needs a currency (the coupon's `currency`)") }
            if let minor, let currency { off = .amount(minor, currency) }
        }
        let durationValue = fields.optional("duration")
        let kind = durationValue?.oneOf([("once", 0), ("repeating", 1), ("forever", 2)]) ?? 0
        let monthsValue = fields.optional("duration_in_months")
        var duration: Coupon.Duration?
        switch kind {
        case 1:
            if let monthsValue {
                duration = monthsValue.int(1...1200).map { .repeating(months: $0) }
            } else {
                (durationValue ?? fields.value).error("duration: repeating needs duration_in_months")
            }
        default:
            monthsValue?.error("duration_in_months goes with duration: repeating")
            duration = kind == 0 ? .once : .forever
        }
        let products = fields.optional("applies_to")?.mapping { appliesTo in
            appliesTo.optional("products")?.list()?.compactMap { self.products.resolve($0)?.id }
        }
        guard let id, let off, let duration, products != nil || !fields.has("applies_to") else { return nil }
        return Coupon(id: id, off: off, duration: duration, products: products ?? nil)
    }

    /// A `{ coupon: co_x }` entry (`discount` of a customer, one of `discounts`): the coupon, checked
    /// against the `currency` it will discount when known.
    func readDiscount(_ value: YAMLValue, currency: Currency?) -> Coupon? {
        value.mapping { fields -> Coupon? in
            fields.ignore([
                "id", "object", "start", "end", "customer", "subscription", "subscription_item", "invoice", "invoice_item", "checkout_session",
            ])
            fields.unsupported("promotion_code", "promotion codes are not supported yet (give the coupon)")
            fields.unsupported("discount", "a discount by id is not supported yet (give the coupon)")
            guard let couponValue = fields.required("coupon").flatMap(reference), let coupon = coupons.resolve(couponValue)?.object else {
                return nil
            }
            if case .amount(_, let couponCurrency) = coupon.off, let currency, couponCurrency != currency {
                couponValue.error("coupon `\(coupon.id)` takes \(couponCurrency) off, but it would discount invoices in \(currency)")
                return nil
            }
            return coupon
        } ?? nil
    }

    /// `discounts: [{ coupon: … }, …]` (an empty list or `""` removes them).
    func readDiscounts(_ value: YAMLValue, currency: Currency?) -> [String]? {
        if value.scalarText == "" { return [] }
        guard let list = value.list() else { return nil }
        let coupons = list.map { readDiscount($0, currency: currency) }
        guard coupons.allSatisfy({ $0 != nil }) else { return nil }
        return coupons.compactMap { $0?.id }
    }
}

extension YAMLValue {
    /// The text of a scalar (no report), `nil` for a list, a mapping or null.
    var scalarText: String? {
        guard case .scalar(let scalar) = node, !isNull else { return nil }
        return scalar.string
    }
}
