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
        let anchorValue = fields.optional("billing_cycle_anchor")
        let anchor = anchorValue.flatMap { value -> Instant? in
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
        let thresholds = readBillingThresholds(fields, mode: mode?.type)
        let items = fields.required("items").flatMap { readItems($0, subscription: id ?? "", customer: customer, mode: mode?.type) }
        if let amount = thresholds.value?.amountGTE, let items, let entry = fields.entry("billing_thresholds") {
            checkLicensedCost(below: amount, items: items, at: entry.value)
        }
        // Stripe refuses an anchor later than the next natural billing date (one interval after the start).
        if let anchor, let anchorValue, let created, let first = items?.first.flatMap({ priceObject($0.price) }) {
            let natural = first.interval.boundary(1, from: created)
            if anchor > natural {
                anchorValue.error(
                    "must be no later than the next natural billing date (\(natural), one \(first.interval) after created): Stripe refuses later anchors"
                )
            }
        }
        if let customer, customer.currency == nil, let currency = items?.first.flatMap({ priceObject($0.price)?.currency }), let id {
            // A customer's currency is fixed by its first subscription (§6.5: the balance is kept in it).
            if let (other, otherCurrency) = currencyByCustomer[customer.id], otherCurrency != currency {
                fields.sink.report(
                    fields.path,
                    "subscription `\(id)` bills in \(currency), but customer `\(customer.id)`'s first subscription `\(other)` bills in \(otherCurrency): a customer pays in one currency",
                    at: fields.location)
            } else if currencyByCustomer[customer.id] == nil {
                currencyByCustomer[customer.id] = (id, currency)
            }
        }
        let cancelAtPeriodEnd = fields.read("cancel_at_period_end", default: false) { $0.bool() }
        let cancelAt = fields.optional("cancel_at").flatMap { value -> Instant? in
            guard let instant = value.instant() else { return nil }
            if let created, instant <= created { value.error("must be after created (\(created))") }
            if cancelAtPeriodEnd == true { value.error("give cancel_at or cancel_at_period_end: true, not both") }
            return instant
        }
        let trialEnd = readTrial(fields, created: created, backdated: backdate != nil)
        let trialEndBehavior =
            fields.read("trial_settings", default: TrialEndBehavior.createInvoice) { value in
                value.mapping { settings in
                    settings.read("end_behavior", default: TrialEndBehavior.createInvoice) { behavior in
                        behavior.mapping {
                            $0.read("missing_payment_method", default: TrialEndBehavior.createInvoice) { $0.oneOf(TrialEndBehavior.self) }
                        }
                            ?? nil
                    }
                } ?? nil
            } ?? nil
        let prorationBehavior = fields.read("proration_behavior", default: ProrationBehavior.createProrations) { value -> ProrationBehavior? in
            guard let behavior = value.oneOf(ProrationBehavior.self) else { return nil }
            if behavior == .alwaysInvoice { value.error("always_invoice is not supported when a subscription is created (Stripe refuses it)") }
            return behavior
        }

        let currency = items?.first.flatMap { priceObject($0.price)?.currency }
        let discounts = fields.optional("discounts").map { readDiscounts($0, currency: currency) } ?? []
        if let customer, let coupon = customer.discount.flatMap({ coupons.resolve(id: $0) }), case .amount(_, let couponCurrency) = coupon.off,
            let currency, couponCurrency != currency
        {
            fields.sink.report(
                fields.path,
                "customer `\(customer.id)`'s coupon `\(coupon.id)` takes \(couponCurrency) off, but this subscription bills in \(currency)",
                at: fields.location)
        }
        // The items' currency: the customer's when it has one (readItems checks the items against it).
        let billed: (currency: Currency, payer: String)? =
            if let customer, let currency = customer.currency {
                (currency, "customer `\(customer.id)` pays in")
            } else {
                items?.first.flatMap { priceObject($0.price)?.currency }.map { ($0, "subscription `\(id ?? "")` bills in") }
            }
        let addInvoiceItems = fields.read("add_invoice_items", default: [InvoiceItem]()) { value in
            readAddInvoiceItems(value, subscription: id ?? "", billed: billed)
        }
        let pendingInterval = fields.optional("pending_invoice_item_interval").flatMap { value in
            value.isOff() ? nil : value.mapping(readPendingItemInterval) ?? nil
        }
        let paymentMethod = fields.optional("default_payment_method").map { readPaymentMethod($0) } ?? .some(nil)
        let defaultTaxRates = fields.read("default_tax_rates", default: [String](), readTaxRateIDs)
        guard let id, let customer, let created, let mode, let collection, let daysUntilDue, let items, let cancelAtPeriodEnd, trialEnd.valid,
            let trialEndBehavior, let prorationBehavior, thresholds.valid, let discounts, let addInvoiceItems, let paymentMethod, let defaultTaxRates
        else { return nil }
        subscriptionLocations[id] = fields.location
        var subscription = Subscription(
            id: id, customer: customer.id, created: created, backdateStartDate: backdate, billingCycleAnchor: anchor, billingMode: mode.type,
            prorationDiscounts: mode.prorationDiscounts,
            collectionMethod: collection, daysUntilDue: daysUntilDue, items: items, cancelAtPeriodEnd: cancelAtPeriodEnd,
            trialEnd: trialEnd.end, trialEndBehavior: trialEndBehavior, prorationBehavior: prorationBehavior, cancelAt: cancelAt,
            billingThresholds: thresholds.value, discounts: discounts, source: "\(fields.location)")
        subscription.addInvoiceItems = addInvoiceItems
        subscription.pendingInvoiceItemInterval = pendingInterval
        subscription.defaultPaymentMethod = paymentMethod
        subscription.defaultTaxRates = defaultTaxRates
        return subscription
    }

    /// `billing_thresholds: { amount_gte, reset_billing_cycle_anchor }` of a subscription or an update
    /// (BILLING-SEMANTICS §5.9): classic only (Stripe refuses them in flexible mode, §5.3(11));
    /// `amount_gte` from 1 to Stripe's largest amount; `value` is `nil` when absent or off, `valid` false on a problem.
    func readBillingThresholds(_ fields: Fields, mode: BillingMode?) -> (value: BillingThresholds?, valid: Bool) {
        guard let entry = fields.entry("billing_thresholds") else { return (nil, true) }
        guard !entry.value.isOff() else { return (nil, true) }
        if mode == .flexible {
            sink.report(
                entry.value.path, "billing_thresholds apply to classic subscriptions only (Stripe refuses them with billing_mode flexible)",
                at: entry.keyLocation)
            entry.value.mapping { $0.ignore(["amount_gte", "reset_billing_cycle_anchor"]) }
            return (nil, false)
        }
        let read = entry.value.mapping { thresholds -> BillingThresholds? in
            let amountValue = thresholds.optional("amount_gte")
            let amount = amountValue?.integer(
                1...StripeLimits.maxAmount, "an amount in minor units from 1 to \(StripeLimits.maxAmount) (Stripe's largest amount)")
            let reset = thresholds.read("reset_billing_cycle_anchor", default: false) { $0.bool() }
            guard let reset, amountValue == nil || amount != nil else { return nil }
            return BillingThresholds(amountGTE: amount, resetBillingCycleAnchor: reset)
        }
        guard let thresholds = read ?? nil else { return (nil, false) }
        return (thresholds, true)
    }

    /// `amount_gte` must exceed what the licensed items cost per period (§5.9: Stripe refuses a threshold
    /// every renewal would reach).
    func checkLicensedCost(below amount: Int64, items: [SubscriptionItem], at value: YAMLValue) {
        var cost = ExactDecimal.zero
        for item in items {
            guard let price = priceObject(item.price), !price.isMetered else { continue }
            cost = cost + Rating.rate(price.scheme, quantity: ExactDecimal(item.quantity)).exact
        }
        if ExactDecimal(amount) <= cost {
            value.error("amount_gte \(amount) must exceed the licensed items' amount per period (\(cost.rounded().description)): Stripe refuses it")
        }
    }

    /// `add_invoice_items`: at most 20 `{ price, quantity }` of one-time prices in the subscription's currency.
    func readAddInvoiceItems(_ value: YAMLValue, subscription: String, billed: (currency: Currency, payer: String)?) -> [InvoiceItem]? {
        sink.clean { () -> [InvoiceItem]? in
            guard let list = value.list() else { return nil }
            if list.count > StripeLimits.maxAddInvoiceItems {
                value.error("at most \(StripeLimits.maxAddInvoiceItems) add_invoice_items (Stripe's limit), found \(list.count)")
            }
            return list.compactMap { entry in
                entry.mapping { fields -> InvoiceItem? in
                    fields.apply(FormatFields.addInvoiceItems)
                    let price = fields.required("price").flatMap { invoiceItemPrice($0, billed: billed) }
                    let quantity = invoiceItemQuantity(fields)
                    guard let price, let quantity else { return nil }
                    return InvoiceItem(subscription: subscription, price: price.id, quantity: quantity)
                } ?? nil
            }
        }
    }

    /// A price billed as an invoice item: a one-time price (Stripe refuses a recurring one), in the
    /// `billed` currency when known (`payer` names whose currency it is, for the message).
    func invoiceItemPrice(_ value: YAMLValue, billed: (currency: Currency, payer: String)?) -> Price? {
        guard let value = reference(value), let price = prices.resolve(value)?.object else { return nil }
        guard price.isOneTime else {
            value.error("price `\(price.id)` is recurring: an invoice item bills a one-time price (type: one_time)")
            return nil
        }
        if let billed, price.currency != billed.currency {
            value.error("price `\(price.id)` is in \(price.currency), but \(billed.payer) \(billed.currency)")
            return nil
        }
        return price
    }

    /// An invoice item's `quantity`: 1 to 99999999 (default 1).
    func invoiceItemQuantity(_ fields: Fields) -> Int64? {
        fields.read("quantity", default: Int64(1)) { $0.integer(1...StripeLimits.maxQuantity, "an integer from 1 to 99999999") }
    }

    /// `pending_invoice_item_interval: { interval, interval_count }`: at most one year (§5.10: 1 year,
    /// 12 months, 52 weeks; billsim: 365 days).
    func readPendingItemInterval(_ fields: Fields) -> BillingInterval? {
        let unit = fields.required("interval")?.oneOf(BillingInterval.Unit.self)
        let countValue = fields.optional("interval_count")
        let count = fields.read("interval_count", default: 1) { $0.int(1...Int64(Int32.max)) }
        guard let unit, let count else { return nil }
        let limit =
            switch unit {
            case .day: 365
            case .week: 52
            case .month: 12
            case .year: 1
            }
        guard count <= limit else {
            (countValue ?? fields.value).error("at most one year (\(limit) \(unit.rawValue)s, Stripe's limit), found \(count)")
            return nil
        }
        return BillingInterval(unit, count: count)
    }

    /// `trial_end` (a timestamp, or `now`: no trial) or `trial_period_days`: the trial's end, at most two
    /// years after `created` (Stripe's limit, §5.5); `end` is `nil` for no trial, `valid` false on a problem.
    func readTrial(_ fields: Fields, created: Instant?, backdated: Bool) -> (end: Instant?, valid: Bool) {
        let endValue = fields.optional("trial_end")
        let daysValue = fields.optional("trial_period_days")
        if let endValue, daysValue != nil { endValue.error("give trial_end or trial_period_days, not both") }
        let end: Instant?
        if let endValue {
            if endValue.identifier() == "now" { return (nil, true) }
            guard let instant = endValue.instant() else { return (nil, false) }
            end = instant
        } else if let daysValue {
            guard let days = daysValue.integer(0...Int64(Int32.max)), let created else { return (nil, false) }
            end = created + .days(days)
        } else {
            return (nil, true)
        }
        guard let end, let created else { return (nil, false) }
        let value = (endValue ?? daysValue)!
        if end <= created, endValue != nil { value.error("must be after created (\(created)), or `now` for no trial") }
        let limit = BillingInterval(.year, count: 2).boundary(1, from: created)
        if end > limit { value.error("a trial ends at most two years after created (\(limit)), found \(end)") }
        if backdated && end > created { value.error("trials on a backdated subscription are not supported yet") }
        return (end > created ? end : nil, true)
    }

    /// The loaded price `id`, if it loaded without problems.
    func priceObject(_ id: String) -> Price? { prices.loaded.first { $0.id == id } }

    /// The items of one subscription. Ids default to `si_<subscription>_<index>`; all prices must
    /// share one currency (the customer's, when it has one) and one interval, each price once.
    func readItems(_ value: YAMLValue, subscription: String, customer: Customer?, mode: BillingMode? = nil) -> [SubscriptionItem]? {
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
                    if price.isOneTime {
                        priceValue.error(
                            "price `\(price.id)` is one-time: it bills only as an invoice item (add_invoice_items), not as a subscription item")
                    }
                    let quantity = fields.read("quantity", default: Int64(1)) { value in
                        if price.isMetered { value.error("a metered item has no quantity (its usage comes from the meter)") }
                        return value.integer(0...StripeLimits.maxQuantity, "an integer from 0 to 99999999 (8 digits, as Stripe's amounts)")
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
                    let usageGTE = readUsageThreshold(fields, price: price, mode: mode)
                    let taxRates = fields.read("tax_rates", default: [String](), readTaxRateIDs)
                    guard let id, let quantity, usageGTE.valid, let taxRates else { return nil }
                    return SubscriptionItem(id: id, price: price.id, quantity: quantity, usageGTE: usageGTE.value, taxRates: taxRates)
                } ?? nil
            }
        }
    }

    /// An item's `billing_thresholds: { usage_gte }` (§5.9): a positive whole number of units, on a
    /// metered item of a classic subscription only.
    func readUsageThreshold(_ fields: Fields, price: Price, mode: BillingMode?) -> (value: Int64?, valid: Bool) {
        guard let entry = fields.entry("billing_thresholds") else { return (nil, true) }
        guard !entry.value.isOff() else { return (nil, true) }
        let usage = entry.value.mapping { thresholds in
            thresholds.required("usage_gte")?.integer(1...Int64.max, "a whole number of units ≥ 1")
        }
        guard case .some(.some(let gte)) = usage else { return (nil, false) }
        if mode == .flexible {
            entry.value.error("billing_thresholds apply to classic subscriptions only (Stripe refuses them with billing_mode flexible)")
            return (nil, false)
        }
        if !price.isMetered {
            entry.value.error("usage_gte applies to metered items only (`\(price.id)` is licensed)")
            return (nil, false)
        }
        return (gte, true)
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
