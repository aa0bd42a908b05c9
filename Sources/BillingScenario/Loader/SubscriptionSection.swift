import BillingCore
import BillingDocument
import Yams

/// `subscriptions` and their items.
extension ScenarioReader {
    func readSubscription(_ fields: Fields) -> Subscription? {
        fields.apply(StripeFields.subscription)
        let id = subscriptions.declare(fields.required("id"))
        let customer = customers.resolve(fields.required("customer").flatMap(reference))?.object
        let created =
            fields.read("created", default: clock?.start) { value in
                guard let instant = value.instant() else { return nil }
                if let start = clock?.start, instant < start { value.error("must not be before clock.start (\(start))") }
                return instant
            } ?? nil
        let backdate = fields.optional("backdate_start_date").flatMap { value -> Instant? in
            guard let instant = value.instant() else { return nil }
            if let created, instant >= created { value.error("must be before created (\(created))") }
            return instant
        }
        let anchor = fields.optional("billing_cycle_anchor").flatMap { value -> Instant? in
            guard let instant = value.instant() else { return nil }
            if let created, instant < created { value.error("must not be before created (\(created))") }
            return instant
        }
        let mode = fields.read("billing_mode", default: defaultBillingMode, readBillingMode)
        if let id, fields.has("billing_mode") { explicitBillingMode.insert(id) }
        let collection = fields.read("collection_method", default: .chargeAutomatically) { $0.oneOf(CollectionMethod.self) }
        let daysUntilDue = fields.read("days_until_due", default: 30) { value in
            if collection == .chargeAutomatically { value.error("days_until_due applies only to collection_method: send_invoice") }
            return value.int(0...Int64(Int32.max))
        }
        let items = fields.required("items").flatMap { readItems($0, subscription: id ?? "", customer: customer) }
        guard let id, let customer, let created, let mode, let collection, let daysUntilDue, let items else { return nil }
        return Subscription(
            id: id, customer: customer.id, created: created, backdateStartDate: backdate, billingCycleAnchor: anchor, billingMode: mode,
            collectionMethod: collection, daysUntilDue: daysUntilDue, items: items)
    }

    /// The items of one subscription. Ids default to `si_<subscription>_<index>`; all prices must
    /// share one currency (the customer's, when it has one) and one interval, each price once.
    func readItems(_ value: YAMLValue, subscription: String, customer: Customer?) -> [SubscriptionItem]? {
        sink.clean {
            guard let list = itemList(value) else { return nil }
            if list.isEmpty { value.error("a subscription needs at least one item") }
            var first: (price: Price, path: String)?
            var pathByPrice: [String: String] = [:]
            return list.enumerated().compactMap { index, itemValue in
                itemValue.mapping { fields -> SubscriptionItem? in
                    fields.apply(StripeFields.subscriptionItem)
                    let id =
                        fields.optional("id").map { subscriptionItems.declare($0) }
                        ?? subscriptionItems.declare("si_\(subscription)_\(index)", at: itemValue)
                    guard let priceValue = fields.required("price").flatMap(reference), let price = prices.resolve(priceValue)?.object else {
                        fields.ignore(["quantity"])
                        return nil
                    }
                    let quantity = fields.read("quantity", default: Int64(1)) { value in
                        if price.isMetered { value.error("a metered item has no quantity (its usage comes from the meter)") }
                        return value.integer(0...Int64.max)
                    }
                    if let other = pathByPrice[price.id] {
                        priceValue.error("price `\(price.id)` is already on \(other) (each price appears once in a subscription)")
                    }
                    pathByPrice[price.id] = pathByPrice[price.id] ?? priceValue.path
                    if let customer, let currency = customer.currency, currency != price.currency {
                        priceValue.error("price `\(price.id)` is in \(price.currency), but customer `\(customer.id)` pays in \(currency)")
                    } else if let first, first.price.currency != price.currency {
                        priceValue.error(
                            "price `\(price.id)` is in \(price.currency), but \(first.path) (`\(first.price.id)`) is in \(first.price.currency): the prices of a subscription share one currency"
                        )
                    }
                    if let first, first.price.interval != price.interval {
                        priceValue.error(
                            "price `\(price.id)` bills every \(price.interval), but \(first.path) (`\(first.price.id)`) every \(first.price.interval): mixed intervals are not supported yet"
                        )
                    }
                    if first == nil { first = (price, priceValue.path) }
                    guard let id, let quantity else { return nil }
                    return SubscriptionItem(id: id, price: price.id, quantity: quantity)
                } ?? nil
            }
        }
    }

    /// `items` as a list, or as the list object Stripe's API returns (`{ object: list, data: [...] }`).
    func itemList(_ value: YAMLValue) -> [YAMLValue]? {
        guard case .mapping = value.node else { return value.list() }
        return value.mapping { fields in
            fields.apply(StripeFields.list)
            return fields.required("data")?.list()
        } ?? nil
    }

    /// A reference written as an id, or as the expanded object the API returns (`price: { id: price_x, … }`):
    /// its `id` names the object, and its other fields are left to the object's own definition.
    func reference(_ value: YAMLValue) -> YAMLValue? {
        guard case .mapping = value.node else { return value }
        return value.mapping { fields in
            fields.ignore(fields.entries.map(\.key).filter { $0 != "id" })
            return fields.required("id")
        } ?? nil
    }
}
