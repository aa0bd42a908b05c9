import BillingCore
import BillingDocument

/// `customers`.
extension ScenarioReader {
    func readCustomer(_ fields: Fields) -> Customer? {
        fields.apply(StripeFields.customer)
        let id = customers.declare(fields.required("id"))
        let currency = fields.optional("currency")?.parse("a currency code Stripe accepts, like usd (ISO 4217)") { Currency(code: $0) }
        // nil: a problem reported; .some(nil): no payment method on file.
        let paymentMethod: String?? =
            fields.optional("invoice_settings").map { value -> String?? in
                let read = value.mapping { settings -> String?? in
                    settings.ignore(["custom_fields", "footer", "rendering_options"])
                    return settings.optional("default_payment_method").map { readPaymentMethod($0) } ?? .some(nil)
                }
                return read ?? nil
            } ?? .some(nil)
        let name = fields.optional("name")?.string() ?? ""
        let balance = fields.optional("balance")?.integer() ?? 0
        let discountValue = fields.optional("discount")
        let discount = discountValue.map { readDiscount($0, currency: currency) }
        guard let id, discount.map({ $0 != nil }) ?? true, let paymentMethod else { return nil }
        return Customer(id: id, name: name, currency: currency, balance: balance, defaultPaymentMethod: paymentMethod, discount: discount??.id)
    }
}
