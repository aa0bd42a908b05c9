import BillingCore
import BillingDocument

/// `timeline`: actions at given clock times.
extension ScenarioReader {
    static let supportedActions =
        ["update_subscription", "cancel_subscription", "preview_invoice", "add_invoice_item", "customer_balance_transaction"]
        + ["attach_payment_method", "detach_payment_method"] + InvoiceAction.allCases.map(\.rawValue)
    static let futureActions = FormatFields.futureActions

    func readTimelineEntry(_ fields: Fields, index: Int) -> TimelineEntry? {
        sink.clean {
            let at = fields.required("at").flatMap { value -> Instant? in
                guard let instant = value.instant(), let clock else { return nil }
                if instant < clock.start { value.error("must not be before clock.start (\(clock.start))") }
                if instant > clock.until { value.error("is after clock.until (\(clock.until)), so it would never happen") }
                return instant
            }
            let actions = (Self.supportedActions + Self.futureActions).compactMap { fields.entry($0) }
                .sorted { ($0.keyLocation.line, $0.keyLocation.column) < ($1.keyLocation.line, $1.keyLocation.column) }
            guard let action = actions.first else {
                fields.sink.report(fields.path, "missing an action (\(Self.supportedActions.joined(separator: " or ")))", at: fields.location)
                return nil
            }
            for extra in actions.dropFirst() {
                sink.report(fields.path, "one action per timeline entry: `\(extra.key)` after `\(action.key)`", at: extra.keyLocation)
            }
            let parsed: TimelineAction?
            switch action.key {
            case "update_subscription":
                parsed = action.value.mapping { readUpdate($0, at: at) }?.map { .updateSubscription($0) }
            case "cancel_subscription":
                parsed =
                    action.value.mapping { action in
                        let subscriptionValue = action.required("subscription")
                        let subscription = subscriptions.resolve(subscriptionValue)
                        let invoiceNow = action.read("invoice_now", default: false) { $0.bool() }
                        let prorate = action.read("prorate", default: false) { $0.bool() }
                        guard let subscription, let subscriptionValue, let invoiceNow, let prorate, let at else { return nil }
                        guard var state = timelineState(of: subscription.object, changedAt: at, by: "cancel_subscription", at: subscriptionValue)
                        else { return nil }
                        state.endedAt = at
                        subscriptionStates[subscription.id] = state
                        return .cancelSubscription(subscription: subscription.id, invoiceNow: invoiceNow, prorate: prorate)
                    } ?? nil
            case "customer_balance_transaction":
                parsed = action.value.mapping { readBalanceTransaction($0) } ?? nil
            case "add_invoice_item":
                parsed = action.value.mapping { readInvoiceItem($0, at: at) }?.map { .addInvoiceItem($0) }
            case "preview_invoice":
                parsed =
                    action.value.mapping { action in
                        action.apply(FormatFields.previewInvoice)
                        let subscription = subscriptions.resolve(action.required("subscription"))
                        let name = action.optional("as").map { previews.declare($0) } ?? previews.declare("preview_\(index)", at: action.value)
                        let change = action.optional("subscription_details").map { details in
                            details.mapping { readPreviewChange($0, of: subscription?.object, at: at) } ?? nil
                        }
                        guard let subscription, let name else { return nil }
                        if let change {
                            guard let change else { return nil }
                            return .previewChange(name: name, change: change)
                        }
                        return .previewInvoice(subscription: subscription.id, name: name)
                    } ?? nil
            case "attach_payment_method", "detach_payment_method":
                parsed = action.value.mapping { readPaymentMethodAction($0, attach: action.key == "attach_payment_method", at: at) } ?? nil
            case let key where InvoiceAction(rawValue: key) != nil:
                parsed = action.value.mapping { readInvoiceAction($0, InvoiceAction(rawValue: key)!, at: at) } ?? nil
            default:
                sink.report(action.value.path, "\(action.key) is not supported yet", at: action.keyLocation)
                parsed = nil
            }
            guard let at, let parsed else { return nil }
            return TimelineEntry(at: at, action: parsed)
        }
    }

    /// The items of `subscription` when the timeline changes it at `at`, or `nil` after reporting at
    /// `value` why it cannot be changed then: before it is created, after it was canceled, or earlier
    /// than a change the file lists before (changes of one subscription are listed in time order).
    func timelineState(of subscription: Subscription, changedAt at: Instant, by action: String, at value: YAMLValue) -> TimelineSubscription? {
        let state = initialState(of: subscription)
        if at < subscription.created {
            value.error("\(action) at \(at) is before subscription `\(subscription.id)` starts (\(subscription.created))")
            return nil
        }
        if let ended = state.endedAt {
            value.error("\(action) at \(at): subscription `\(subscription.id)` was canceled at \(ended)")
            return nil
        }
        if let end = state.cancelAt, at >= end {
            value.error("\(action) at \(at): subscription `\(subscription.id)` ends at its cancel_at (\(end))")
            return nil
        }
        if let end = state.endsAtPeriodEnd, at >= end {
            value.error("\(action) at \(at): subscription `\(subscription.id)` ends at its period end (\(end)): cancel_at_period_end")
            return nil
        }
        if let trialEnd = state.trialEnd, at >= trialEnd, let behavior = state.trialEndsWithout {
            // The customer has no payment method: missing_payment_method decides at the trial's end (§5.5).
            if behavior == .cancel {
                value.error(
                    "\(action) at \(at): subscription `\(subscription.id)` is canceled at its trial's end (\(trialEnd)): its customer has no payment method and missing_payment_method is cancel"
                )
                return nil
            }
            if behavior == .pause && action != "cancel_subscription" {
                value.error(
                    "\(action) at \(at): subscription `\(subscription.id)` is paused from its trial's end (\(trialEnd)): its customer has no payment method and missing_payment_method is pause"
                )
                return nil
            }
        }
        if let last = state.lastChange, at < last {
            value.error(
                "\(action) at \(at) is listed after a change of `\(subscription.id)` at \(last): list the changes of a subscription in time order")
            return nil
        }
        return state
    }

    /// `update_subscription` (SCENARIO-FORMAT.md, Timeline), checked against the subscription's items at `at`.
    func readUpdate(_ fields: Fields, at: Instant?) -> SubscriptionUpdate? {
        fields.apply(FormatFields.updateSubscription)
        let subscriptionValue = fields.required("subscription")
        let subscription = subscriptions.resolve(subscriptionValue)?.object
        let behavior = fields.read("proration_behavior", default: ProrationBehavior.createProrations) { $0.oneOf(ProrationBehavior.self) }
        let prorationDateValue = fields.optional("proration_date")
        let prorationDate = prorationDateValue.flatMap { value -> Instant? in
            guard let instant = value.instant() else { return nil }
            if let at, instant > at { value.error("must not be after the update (\(at))") }
            if let subscription, instant < subscription.start { value.error("must not be before the subscription starts (\(subscription.start))") }
            return instant
        }
        let anchorValue = fields.optional("billing_cycle_anchor")
        let resetsAnchor =
            fields.read("billing_cycle_anchor", default: false) { value in
                value.oneOf([("now", true), ("unchanged", false)])
            } ?? nil
        let cancelAtPeriodEnd = fields.optional("cancel_at_period_end")?.bool()
        let endsTrial =
            fields.read("trial_end", default: false) { value -> Bool? in
                guard value.identifier() == "now" else {
                    value.error("only `trial_end: now` (ending a trial) is supported in an update yet")
                    return nil
                }
                return true
            } ?? nil
        let cancelAt = fields.optional("cancel_at").flatMap { value -> Instant? in
            guard let instant = value.instant() else { return nil }
            if let at, instant <= at { value.error("must be after the update (\(at))") }
            return instant
        }
        let thresholds = readBillingThresholds(fields, mode: subscription?.billingMode)
        let paymentMethodValue = fields.optional("default_payment_method")
        let paymentMethod = paymentMethodValue.map { readPaymentMethod($0) }
        guard let subscription, let subscriptionValue, let at,
            var state = timelineState(of: subscription, changedAt: at, by: "update_subscription", at: subscriptionValue)
        else {
            fields.ignore(["items"])
            return nil
        }
        var itemTaxRates: [String: [String]] = [:]
        let changes = fields.optional("items").flatMap { readItemChanges($0, state: &state, taxRates: &itemTaxRates) } ?? []
        let currency = state.items.first?.price.currency
        let discountsValue = fields.optional("discounts")
        let discounts = discountsValue.map { readDiscounts($0, currency: currency) }
        let defaultTaxRates = fields.optional("default_tax_rates").map(readTaxRateIDs)
        guard let behavior, let resetsAnchor, let endsTrial, thresholds.valid, discounts.map({ $0 != nil }) ?? true,
            paymentMethod.map({ $0 != nil }) ?? true, defaultTaxRates.map({ $0 != nil }) ?? true
        else { return nil }
        checkProrationDate(prorationDate, at: prorationDateValue, of: state, changedAt: at)
        if resetsAnchor, !endsTrial, state.isTrialing(at: at), let anchorValue, let trialEnd = state.trialEnd {
            // Stripe: subscription_update_trial_after_billing_cycle_anchor.
            anchorValue.error(
                "a trialing subscription's anchor cannot move before its trial_end (\(trialEnd)); end the trial first (trial_end: now)")
        }
        if endsTrial, state.isTrialing(at: at), let trialEnd = state.trialEnd,
            state.endsAtPeriodEnd == trialEnd || state.cancelAt == trialEnd, let value = fields.optional("trial_end")
        {
            // Canceled at its trial's end: whether ending the trial early cancels it now or starts a
            // period that then ends is not settled by Stripe's docs, so billsim refuses to guess.
            value.error(
                "subscription `\(subscription.id)` is set to cancel at its trial's end (\(trialEnd)): undo cancel_at_period_end (or cancel_at) in an earlier update before ending the trial early"
            )
        }
        if endsTrial, !state.isTrialing(at: at), let value = fields.optional("trial_end") {
            // Stripe's docs define `now` only as ending a trial; billsim does not guess what it does otherwise.
            value.error("subscription `\(subscription.id)` is not trialing at \(at): `trial_end: now` ends a trial")
        }
        if endsTrial, state.isTrialing(at: at) { state.endTrial(at: at) }
        if resetsAnchor { state.resetAnchor(at: at) }
        state.lastChange = at
        if let cancelAt {
            state.cancelAt = cancelAt
            state.endsAtPeriodEnd = nil
        }
        if let cancelAtPeriodEnd {
            state.endsAtPeriodEnd = cancelAtPeriodEnd ? state.currentPeriod(at: at).end : nil
            if cancelAtPeriodEnd { state.cancelAt = nil }
        }
        subscriptionStates[subscription.id] = state
        var update = SubscriptionUpdate(
            subscription: subscription.id, items: changes, prorationBehavior: behavior, prorationDate: prorationDate,
            resetsAnchor: resetsAnchor, cancelAtPeriodEnd: cancelAtPeriodEnd, cancelAt: cancelAt,
            endsTrial: endsTrial, billingThresholds: thresholds.value, discounts: discounts ?? nil,
            defaultPaymentMethod: paymentMethod.flatMap { $0 } ?? nil)
        update.defaultTaxRates = defaultTaxRates ?? nil
        update.itemTaxRates = itemTaxRates
        return update
    }

    /// `add_invoice_item`, pending until `subscription`'s next invoice: a one-time `price` and a `quantity`,
    /// or an `amount` and a `currency`, with an optional `description`; the customer must be the
    /// subscription's, the currency the subscription's.
    func readInvoiceItem(_ fields: Fields, at: Instant?) -> InvoiceItem? {
        fields.apply(FormatFields.addInvoiceItem)
        let customerValue = fields.required("customer")
        let customer = customers.resolve(customerValue)?.object
        guard let subscriptionValue = fields.optional("subscription") else {
            fields.sink.report(
                fields.path, "an invoice item without `subscription` is not supported yet (it would wait for a one-off invoice)", at: fields.location)
            fields.ignore(["amount", "currency", "description", "price", "quantity"])
            return nil
        }
        let subscription = subscriptions.resolve(subscriptionValue)?.object
        let descriptionValue = fields.optional("description")
        let description = descriptionValue?.string()
        let state = subscription.flatMap { subscription in
            at.flatMap { timelineState(of: subscription, changedAt: $0, by: "add_invoice_item", at: subscriptionValue) }
        }
        let billed = state?.items.first?.price.currency
        let item: InvoiceItem?
        if let priceValue = fields.optional("price") {
            if let amount = fields.optional("amount") { amount.error("give `price` (and `quantity`) or `amount` (and `currency`), not both") }
            let price = invoiceItemPrice(priceValue, billed: billed.map { ($0, "subscription `\(subscription?.id ?? "")` bills in") })
            let quantity = invoiceItemQuantity(fields)
            if let currencyValue = fields.optional("currency"), let price,
                let currency = currencyValue.parse("a three-letter currency code like usd", { Currency(code: $0) }), currency != price.currency
            {
                currencyValue.error("price `\(price.id)` is in \(price.currency), not \(currency)")
            }
            item = price.flatMap { price in quantity.map { InvoiceItem(subscription: subscription?.id ?? "", price: price.id, quantity: $0) } }
        } else {
            if let quantity = fields.optional("quantity") { quantity.error("a quantity needs a one-time `price`") }
            let amount = fields.required("amount")?.integer()
            let currencyValue = fields.required("currency")
            let currency = currencyValue?.parse("a three-letter currency code like usd") { Currency(code: $0) }
            if let billed, let currency, let currencyValue, billed != currency, let subscription {
                currencyValue.error("subscription `\(subscription.id)` bills in \(billed), not \(currency)")
            }
            item = amount.flatMap { amount in
                currency.map { _ in InvoiceItem(subscription: subscription?.id ?? "", amount: amount, description: nil) }
            }
        }
        guard let customer, let customerValue, let subscription, state != nil, var item, descriptionValue == nil || description != nil
        else { return nil }
        if subscription.customer != customer.id {
            customerValue.error("subscription `\(subscription.id)` belongs to customer `\(subscription.customer)`, not `\(customer.id)`")
        }
        item.description = description ?? (item.price == nil ? "Invoice item" : nil)
        return item
    }

    /// `preview_invoice.subscription_details`: read as an update of `subscription` at `at`, checked
    /// against its items then, without changing them for the entries after it.
    func readPreviewChange(_ fields: Fields, of subscription: Subscription?, at: Instant?) -> SubscriptionUpdate? {
        fields.apply(FormatFields.subscriptionDetails)
        let behavior = fields.read("proration_behavior", default: ProrationBehavior.createProrations) { $0.oneOf(ProrationBehavior.self) }
        let prorationDateValue = fields.optional("proration_date")
        let prorationDate = prorationDateValue.flatMap { value -> Instant? in
            guard let instant = value.instant() else { return nil }
            if let at, instant > at { value.error("must not be after the preview (\(at))") }
            return instant
        }
        let resetsAnchor = fields.read("billing_cycle_anchor", default: false) { $0.oneOf([("now", true), ("unchanged", false)]) } ?? nil
        let cancelAtPeriodEnd = fields.optional("cancel_at_period_end")?.bool()
        guard let subscription, let at else {
            fields.ignore(["items"])
            return nil
        }
        var state = initialState(of: subscription)
        var itemTaxRates: [String: [String]] = [:]
        let changes = fields.optional("items").flatMap { readItemChanges($0, state: &state, taxRates: &itemTaxRates) } ?? []
        let defaultTaxRates = fields.optional("default_tax_rates").map(readTaxRateIDs)
        guard let behavior, let resetsAnchor, defaultTaxRates.map({ $0 != nil }) ?? true else { return nil }
        checkProrationDate(prorationDate, at: prorationDateValue, of: state, changedAt: at)
        if resetsAnchor, state.isTrialing(at: at), let trialEnd = state.trialEnd, let anchorValue = fields.optional("billing_cycle_anchor") {
            anchorValue.error("a trialing subscription's anchor cannot move before its trial_end (\(trialEnd)); end the trial first (trial_end: now)")
        }
        var update = SubscriptionUpdate(
            subscription: subscription.id, items: changes, prorationBehavior: behavior, prorationDate: prorationDate, resetsAnchor: resetsAnchor,
            cancelAtPeriodEnd: cancelAtPeriodEnd)
        update.defaultTaxRates = defaultTaxRates ?? nil
        update.itemTaxRates = itemTaxRates
        return update
    }

    /// The timeline's view of `subscription` before its next entry: its items, schedule and end so far.
    func initialState(of subscription: Subscription) -> TimelineSubscription {
        subscriptionStates[subscription.id]
            ?? TimelineSubscription(
                subscription, prices: prices,
                hasPaymentMethod: subscription.defaultPaymentMethod != nil
                    || customers.loaded.first { $0.id == subscription.customer }?.defaultPaymentMethod != nil)
    }

    /// A `proration_date` must lie in the current period at the change (the engine prorates over
    /// `[proration_date, period end)`); the period is known from the schedule as the timeline changed it.
    func checkProrationDate(_ date: Instant?, at value: YAMLValue?, of state: TimelineSubscription, changedAt at: Instant) {
        guard let date, let value, date >= state.created, date <= at else { return }
        let start = state.currentPeriod(at: at).start
        if date < start { value.error("must not be before the current period's start (\(start))") }
    }

    /// An update's `items`: `{ id, price?, quantity? }` changes an item, `{ id, deleted: true }` removes
    /// it, an entry without the id of a current item adds one (id given, or `si_<subscription>_<n>`).
    /// Items' `tax_rates` written go to `taxRates` by item id (a new item's under its new id).
    func readItemChanges(_ value: YAMLValue, state: inout TimelineSubscription, taxRates: inout [String: [String]]) -> [ItemChange]? {
        guard let list = value.list() else { return nil }
        return list.compactMap { itemValue in
            itemValue.mapping { fields -> ItemChange? in
                fields.apply(StripeFields.subscriptionItemUpdate)
                let idValue = fields.optional("id")
                let id = idValue?.identifier()
                let rates = fields.optional("tax_rates").map(readTaxRateIDs)
                if case .some(.none) = rates {
                    fields.ignore(["deleted", "price", "quantity"])
                    return nil
                }
                let deleted = fields.read("deleted", default: false) { $0.bool() } ?? false
                let priceValue = fields.optional("price").flatMap(reference)
                let price = priceValue.flatMap { prices.resolve($0)?.object }
                let quantityValue = fields.optional("quantity")
                let quantity = quantityValue?.integer(0...Int64.max)
                let current = id.flatMap { id in state.items.firstIndex { $0.id == id } }
                if deleted {
                    guard let idValue, let id else {
                        fields.sink.report(fields.path, "`deleted: true` needs the `id` of the item to remove", at: fields.location)
                        return nil
                    }
                    guard let current else {
                        idValue.error("subscription `\(state.id)` has no item `\(id)` then \(state.listing)")
                        return nil
                    }
                    if state.items.count == 1 { idValue.error("cannot remove `\(id)`: a subscription keeps at least one item") }
                    state.items.remove(at: current)
                    return .remove(item: id)
                }
                if let current {
                    let newPrice = price ?? state.items[current].price
                    if let quantityValue, newPrice.isMetered {
                        quantityValue.error("a metered item has no quantity (its usage comes from the meter)")
                    }
                    if let price, let priceValue { check(price, at: priceValue, joining: state, replacing: current) }
                    state.items[current].price = newPrice
                    if case .some(.some(let ids)) = rates { taxRates[state.items[current].id] = ids }
                    return .change(item: state.items[current].id, price: price?.id, quantity: newPrice.isMetered ? nil : quantity)
                }
                if let idValue, let id, !state.wasEverAdded(id), subscriptionItems.isDeclared(id) {
                    idValue.error("subscription item `\(id)` belongs to another subscription, or was removed")
                    return nil
                }
                guard let price, let priceValue else {
                    if fields.has("price") { return nil }
                    let named = id.map { "subscription `\(state.id)` has no item `\($0)` then \(state.listing); " } ?? ""
                    fields.sink.report(fields.path, "\(named)a new item needs a `price`", at: fields.location)
                    return nil
                }
                if let quantityValue, price.isMetered { quantityValue.error("a metered item has no quantity (its usage comes from the meter)") }
                check(price, at: priceValue, joining: state, replacing: nil)
                let newID = idValue.flatMap { subscriptionItems.declare($0) } ?? subscriptionItems.declare(state.nextItemID(), at: itemValue)
                guard let newID else { return nil }
                state.add(newID, price: price)
                if case .some(.some(let ids)) = rates { taxRates[newID] = ids }
                return .add(item: newID, price: price.id, quantity: price.isMetered ? 1 : quantity ?? 1)
            } ?? nil
        }
    }

    /// A price joining a subscription shares its currency and interval and is not on another of its items.
    func check(_ price: Price, at value: YAMLValue, joining state: TimelineSubscription, replacing index: Int?) {
        if price.isOneTime {
            value.error("price `\(price.id)` is one-time: it bills only as an invoice item (add_invoice_item), not as a subscription item")
            return
        }
        let others = state.items.indices.filter { $0 != index }.map { state.items[$0] }
        if let other = others.first(where: { $0.price.id == price.id }) {
            value.error("price `\(price.id)` is already on item `\(other.id)` (each price appears once in a subscription)")
        }
        guard let first = state.items.first?.price else { return }
        if first.currency != price.currency {
            value.error("price `\(price.id)` is in \(price.currency), but subscription `\(state.id)` bills in \(first.currency)")
        }
        if first.interval != price.interval {
            value.error(
                "price `\(price.id)` bills every \(price.interval), but subscription `\(state.id)` every \(first.interval): mixed intervals are not supported yet"
            )
        }
    }
}

/// A subscription's items as the timeline changes them, for checking each change when the file loads.
struct TimelineSubscription {
    var id: String
    var items: [(id: String, price: Price)]
    /// Items ever on the subscription (for generated ids `si_<subscription>_<n>`).
    var itemCount: Int
    var added: Set<String> = []
    var endedAt: Instant?
    /// The latest `cancel_at` (at creation or by an update): nothing can change it from then on.
    var cancelAt: Instant?
    /// The period end `cancel_at_period_end: true` ends it at.
    var endsAtPeriodEnd: Instant?
    var lastChange: Instant?
    var created: Instant
    /// The billing schedule as the timeline changed it (`billing_cycle_anchor: now`, a trial ended early).
    var schedule: BillingSchedule?
    /// No period starts before it: `created` (classic), the backdated start (flexible), the trial's
    /// end, the last anchor reset.
    var phaseStart: Instant
    /// The trial's end while it has one.
    var trialEnd: Instant?
    /// What the trial's end does when the customer has no payment method (`nil`: it has one).
    var trialEndsWithout: TrialEndBehavior?

    init(_ subscription: Subscription, prices: Registry<Price>, hasPaymentMethod: Bool = true) {
        id = subscription.id
        let loaded = Dictionary(prices.loaded.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        items = subscription.items.compactMap { item in loaded[item.price].map { (item.id, $0) } }
        itemCount = subscription.items.count
        cancelAt = subscription.cancelAt
        created = subscription.created
        schedule = items.first.map { subscription.schedule(interval: $0.price.interval) }
        trialEnd = subscription.trialEnd
        phaseStart = subscription.trialEnd ?? (subscription.billingMode == .flexible ? subscription.start : subscription.created)
        if subscription.trialEnd != nil, !hasPaymentMethod, subscription.trialEndBehavior != .createInvoice {
            trialEndsWithout = subscription.trialEndBehavior
        }
        explicitAnchor = subscription.billingCycleAnchor != nil
        if subscription.cancelAtPeriodEnd { endsAtPeriodEnd = currentPeriod(at: subscription.created).end }
    }

    var explicitAnchor: Bool

    func isTrialing(at instant: Instant) -> Bool { trialEnd.map { instant < $0 } ?? false }

    /// The subscription's current period at `instant` (a trial is one period).
    func currentPeriod(at instant: Instant) -> Period {
        if let trialEnd, instant < trialEnd { return Period(start: created, end: trialEnd) }
        guard let schedule else { return Period(start: phaseStart, end: phaseStart) }
        let period = schedule.period(containing: max(instant, phaseStart))
        return Period(start: max(period.start, phaseStart), end: period.end)
    }

    /// `trial_end: now` at `instant`: the first paid period starts then (the anchor too, unless one was given).
    mutating func endTrial(at instant: Instant) {
        trialEnd = nil
        trialEndsWithout = nil
        phaseStart = instant
        if !explicitAnchor { schedule?.anchor = instant }
    }

    /// `billing_cycle_anchor: now` at `instant`: a new full period starts then.
    mutating func resetAnchor(at instant: Instant) {
        phaseStart = instant
        schedule?.anchor = instant
    }

    func wasEverAdded(_ id: String) -> Bool { added.contains(id) }

    mutating func add(_ id: String, price: Price) {
        items.append((id, price))
        added.insert(id)
        itemCount += 1
    }

    func nextItemID() -> String { "si_\(id)_\(itemCount)" }

    var listing: String { "(items: \(items.map(\.id).joined(separator: ", ")))" }
}
