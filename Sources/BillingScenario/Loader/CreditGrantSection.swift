import BillingCore
import BillingDocument

/// `credit_grants` (Stripe's `billing.credit_grant`, BILLING-SEMANTICS §8.1) and the timeline's
/// `customer_balance_transaction` (Docs/ENGINE-RULES.md, "Billing credits", "Customer balance").
extension ScenarioReader {
    /// One grant; read after the customers (it names one) and the prices (its scope may list some).
    func readCreditGrant(_ fields: Fields) -> CreditGrant? {
        fields.apply(StripeFields.creditGrant)
        let id = creditGrants.declare(fields.required("id"))
        let customerValue = fields.required("customer").flatMap(reference)
        let customer = customers.resolve(customerValue)?.object
        let name = fields.optional("name")?.string() ?? ""
        let money =
            fields.required("amount")?.mapping { amount -> (Int64, Currency, YAMLValue)? in
                let type = amount.required("type")?.oneOf([("monetary", true), ("custom_pricing_unit", false)])
                if type == false, let value = amount.optional("type") {
                    value.error("only monetary credit grants are supported (custom pricing units are not)")
                }
                amount.ignore(["custom_pricing_unit", "monetary"])  // read below when monetary
                guard type == true else { return nil }
                return amount.required("monetary")?.mapping { monetary -> (Int64, Currency, YAMLValue)? in
                    let currencyValue = monetary.required("currency")
                    let currency = currencyValue?.parse("a currency code Stripe accepts, like usd (ISO 4217)") { Currency(code: $0) }
                    let value = monetary.required("value")?.integer(
                        1...StripeLimits.maxAmount, "a positive integer of at most 8 digits (minor units)")
                    guard let currency, let value, let currencyValue else { return nil }
                    return (value, currency, currencyValue)
                } ?? nil
            } ?? nil
        let scope =
            fields.required("applicability_config")?.mapping { config in
                config.required("scope")?.mapping { readCreditScope($0) } ?? nil
            } ?? nil
        let category = fields.read("category", default: CreditGrant.Category.paid) { $0.oneOf(CreditGrant.Category.self) }
        let priority = fields.read("priority", default: 50) { $0.int(0...100) }
        let effectiveValue = fields.optional("effective_at")
        let effectiveAt = effectiveValue.map { $0.instant() } ?? clock?.start
        let expiresValue = fields.optional("expires_at")
        let expiresAt = expiresValue?.instant()
        if let expiresValue, let expiresAt, let effectiveAt, expiresAt <= effectiveAt {
            expiresValue.error("expires_at (\(expiresAt)) must be after effective_at (\(effectiveAt))")
        }
        if let customer, let (_, currency, currencyValue) = money,
            let customerCurrency = customer.currency ?? currencyByCustomer[customer.id]?.currency,
            customerCurrency != currency
        {
            currencyValue.error("credit grant in \(currency), but customer `\(customer.id)` is billed in \(customerCurrency)")
        }
        guard let id, let customer, let (value, currency, _) = money, let scope, let category, let priority, let effectiveAt,
            expiresValue == nil || expiresAt != nil
        else { return nil }
        return CreditGrant(
            id: id, customer: customer.id, name: name, amount: value, currency: currency, scope: scope, category: category, priority: priority,
            effectiveAt: effectiveAt, expiresAt: expiresAt)
    }

    /// `applicability_config.scope`: `{ price_type: metered }` or `{ prices: [{ id }] }` (metered prices), not both.
    func readCreditScope(_ scope: Fields) -> CreditGrant.Scope? {
        let typeValue = scope.optional("price_type")
        let pricesValue = scope.optional("prices")
        switch (typeValue, pricesValue) {
        case (nil, nil):
            scope.sink.report(scope.path, "a scope needs price_type: metered or prices: [{ id: … }]", at: scope.location)
            return nil
        case (_?, let prices?):
            prices.error("a scope takes price_type or prices, not both")
            return nil
        case (let type?, nil):
            return type.oneOf([("metered", CreditGrant.Scope.metered)])
        case (nil, let prices?):
            guard let list = prices.list() else { return nil }
            if list.isEmpty { prices.error("prices must name at least one price") }
            let ids = list.map { entry -> String? in
                guard let value = reference(entry), let price = self.prices.resolve(value)?.object else { return nil }
                guard price.isMetered, !price.isOneTime else {
                    value.error("price `\(price.id)` is not metered: billing credits apply only to metered prices")
                    return nil
                }
                return price.id
            }
            guard !list.isEmpty, ids.allSatisfy({ $0 != nil }) else { return nil }
            return .prices(ids.compactMap { $0 })
        }
    }

    /// `customer_balance_transaction: { customer, amount, currency? }`: `amount` (negative: a credit) added
    /// to the customer's balance; a `currency` must be the customer's.
    func readBalanceTransaction(_ fields: Fields) -> TimelineAction? {
        fields.ignore(["description", "metadata"])
        let customerValue = fields.required("customer").flatMap(reference)
        let customer = customers.resolve(customerValue)?.object
        let amount = fields.required("amount")?.integer(
            -StripeLimits.maxAmount...StripeLimits.maxAmount, "an integer of at most 8 digits (minor units; negative: a credit)")
        if let currencyValue = fields.optional("currency"),
            let currency = currencyValue.parse("a currency code Stripe accepts, like usd (ISO 4217)", { Currency(code: $0) }), let customer,
            let customerCurrency = customer.currency ?? currencyByCustomer[customer.id]?.currency, customerCurrency != currency
        {
            currencyValue.error("customer `\(customer.id)` keeps its balance in \(customerCurrency), not \(currency)")
        }
        guard let customer, let amount else { return nil }
        return .customerBalanceTransaction(customer: customer.id, amount: amount)
    }
}
