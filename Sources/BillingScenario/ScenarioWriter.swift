import BillingCore
import BillingDocument

/// Writes a ``Scenario`` back as scenario YAML (SCENARIO-FORMAT.md) that loads into the same scenario:
/// what `billsim shrink` writes and what a failing property test prints.
///
/// Every value is written explicitly (no defaults are left to the loader, so a change of default never
/// changes what a written file means). Generated usage is written as the literal events it generates;
/// a usage file stays a `file:` reference (see ``UsageCSVWriter`` to write events as a file instead).
public enum ScenarioWriter {
    /// The scenario as YAML text, after `header` (each line written as a `#` comment).
    public static func yaml(_ scenario: Scenario, header: [String] = []) -> String {
        var out = YAMLLines()
        for line in header { out.line(0, line.isEmpty ? "#" : "# " + line) }
        out.line(0, "name: \(quote(scenario.name))")
        if !scenario.description.isEmpty { out.line(0, "description: \(quote(scenario.description))") }
        if !scenario.tags.isEmpty { out.line(0, "tags: [\(scenario.tags.map(quote).joined(separator: ", "))]") }
        let simulation = scenario.simulation
        out.line(0, "clock: { start: \(simulation.clockStart), until: \(simulation.clockUntil) }")
        let settings = simulation.settings
        if settings != EngineSettings() {
            let retries = settings.paymentRetries
            let retriesYAML =
                retries == PaymentRetries()
                ? ""
                : ", payment_retries: { days: [\(retries.days.map(String.init).joined(separator: ", "))], subscription_when_exhausted: \(retries.subscriptionWhenExhausted.rawValue), invoice_when_exhausted: \(retries.invoiceWhenExhausted.rawValue) }"
            out.line(
                0,
                "settings: { finalization_grace: \(settings.finalizationGrace), event_window: { past: \(settings.eventWindow.past), future: \(settings.eventWindow.future) }\(retriesYAML) }"
            )
        }
        writeCatalog(simulation.catalog, to: &out)
        out.list("customers", simulation.customers) { customer in
            var fields = ["id: \(quote(customer.id))", "balance: \(customer.balance)"]
            if !customer.name.isEmpty { fields.insert("name: \(quote(customer.name))", at: 1) }
            if let currency = customer.currency { fields.append("currency: \(currency.code)") }
            if let method = customer.defaultPaymentMethod { fields.append("invoice_settings: { default_payment_method: \(quote(method)) }") }
            if let coupon = customer.discount { fields.append("discount: { coupon: \(quote(coupon)) }") }
            return flow(fields)
        }
        out.list("subscriptions", simulation.subscriptions) { subscription in
            subscriptionYAML(subscription, catalog: simulation.catalog)
        }
        out.list("credit_grants", simulation.catalog.creditGrants, creditGrantYAML)
        if !scenario.usage.isEmpty {
            out.line(0, "usage:")
            for stream in scenario.usage {
                switch stream {
                case .events(let events):
                    out.line(1, events.isEmpty ? "- events: []" : "- events:")
                    for event in events { out.line(3, "- " + eventYAML(event)) }
                case .file(let path, _, _):
                    out.line(1, "- file: \(quote(path))")
                case .generate(let spec):
                    var source = GeneratedEventSource(spec)
                    var events: [MeterEvent] = []
                    while let event = try? source.next() { events.append(event) }
                    out.line(1, events.isEmpty ? "- events: []" : "- events:")
                    for event in events { out.line(3, "- " + eventYAML(event)) }
                }
            }
        }
        out.list("timeline", simulation.timeline) { entry in
            switch entry.action {
            case .cancelSubscription(let subscription, let invoiceNow, let prorate):
                "{ at: \(entry.at), cancel_subscription: { subscription: \(quote(subscription)), invoice_now: \(invoiceNow), prorate: \(prorate) } }"
            case .previewInvoice(let subscription, let name):
                "{ at: \(entry.at), preview_invoice: { subscription: \(quote(subscription)), as: \(quote(name)) } }"
            case .updateSubscription(let update):
                "{ at: \(entry.at), update_subscription: \(flow(["subscription: \(quote(update.subscription))"] + updateFields(update, catalog: simulation.catalog))) }"
            case .previewChange(let name, let change):
                "{ at: \(entry.at), preview_invoice: { subscription: \(quote(change.subscription)), as: \(quote(name)), subscription_details: \(flow(updateFields(change, catalog: simulation.catalog))) } }"
            case .addInvoiceItem(let item):
                invoiceItemYAML(item, at: entry.at, simulation: simulation)
            case .customerBalanceTransaction(let customer, let amount):
                "{ at: \(entry.at), customer_balance_transaction: { customer: \(quote(customer)), amount: \(amount) } }"
            case .attachPaymentMethod(let customer, let method):
                "{ at: \(entry.at), attach_payment_method: { customer: \(quote(customer)), payment_method: \(quote(method)) } }"
            case .detachPaymentMethod(let customer, let method):
                "{ at: \(entry.at), detach_payment_method: { customer: \(quote(customer)), payment_method: \(quote(method)) } }"
            case .invoiceAction(let action, let invoice):
                "{ at: \(entry.at), \(action.rawValue): { invoice: \(quote(invoice)) } }"
            }
        }
        writeExpectation(scenario.expectation, to: &out)
        return out.text
    }

    static func writeCatalog(_ catalog: Catalog, to out: inout YAMLLines) {
        out.list("meters", catalog.meters) { meter in
            var fields = [
                "id: \(quote(meter.id))", "event_name: \(quote(meter.eventName))", "default_aggregation: { formula: \(meter.formula.rawValue) }",
            ]
            if meter.customerPayloadKey != "stripe_customer_id" {
                fields.append("customer_mapping: { type: by_id, event_payload_key: \(quote(meter.customerPayloadKey)) }")
            }
            if meter.valuePayloadKey != "value" { fields.append("value_settings: { event_payload_key: \(quote(meter.valuePayloadKey)) }") }
            if !meter.isActive { fields.append("status: inactive") }
            if !meter.displayName.isEmpty { fields.insert("display_name: \(quote(meter.displayName))", at: 1) }
            if !meter.dimensionPayloadKeys.isEmpty {
                fields.append("dimension_payload_keys: [\(meter.dimensionPayloadKeys.map(quote).joined(separator: ", "))]")
            }
            return flow(fields)
        }
        out.list("products", catalog.products) { flow(["id: \(quote($0.id))", "name: \(quote($0.name))"]) }
        out.list("prices", catalog.prices) { price in
            var recurring = ["interval: \(price.interval.unit.rawValue)", "interval_count: \(price.interval.count)"]
            switch price.usageType {
            case .licensed: recurring.append("usage_type: licensed")
            case .metered(let meter): recurring += ["usage_type: metered", "meter: \(quote(meter))"]
            }
            var fields = [
                "id: \(quote(price.id))", "product: \(quote(price.product))", "currency: \(price.currency.code)",
                price.isOneTime ? "type: one_time" : "recurring: \(flow(recurring))",
            ]
            switch price.scheme {
            case .perUnit(let unitAmount, let transform):
                fields += ["billing_scheme: per_unit", "unit_amount_decimal: \"\(unitAmount)\""]
                if let transform {
                    fields.append("transform_quantity: { divide_by: \(transform.divideBy), round: \(transform.roundUp ? "up" : "down") }")
                }
            case .graduated(let tiers), .volume(let tiers):
                let mode = if case .graduated = price.scheme { "graduated" } else { "volume" }
                let written = tiers.map { tier in
                    var tierFields = ["up_to: \(tier.upTo.map(String.init) ?? "inf")", "unit_amount_decimal: \"\(tier.unitAmount)\""]
                    if tier.flatAmount != .zero { tierFields.append("flat_amount_decimal: \"\(tier.flatAmount)\"") }
                    return flow(tierFields)
                }
                fields += ["billing_scheme: tiered", "tiers_mode: \(mode)", "tiers: [\(written.joined(separator: ", "))]"]
            }
            return flow(fields)
        }
        out.list("coupons", catalog.coupons, couponYAML)
        out.list("tax_rates", catalog.taxRates) { rate in
            var fields = [
                "id: \(quote(rate.id))", "percentage: \(ExactDecimal(rate.percentage).scaled(by: 1, over: 10_000))", "inclusive: \(rate.inclusive)",
            ]
            if !rate.displayName.isEmpty { fields.insert("display_name: \(quote(rate.displayName))", at: 1) }
            return flow(fields)
        }
    }

    /// `name: [txr_a, …]` (`default_tax_rates`, an item's `tax_rates`).
    static func taxRatesYAML(_ name: String, _ ids: [String]) -> String { "\(name): [\(ids.map(quote).joined(separator: ", "))]" }

    /// A coupon with every field written (`duration` too, whose default is `once`).
    static func couponYAML(_ coupon: Coupon) -> String {
        var fields = ["id: \(quote(coupon.id))"]
        switch coupon.off {
        case .percent(let hundredths): fields.append("percent_off: \(ExactDecimal(hundredths).scaled(by: 1, over: 100))")
        case .amount(let amount, let currency): fields += ["amount_off: \(amount)", "currency: \(currency.code)"]
        }
        switch coupon.duration {
        case .once: fields.append("duration: once")
        case .repeating(let months): fields += ["duration: repeating", "duration_in_months: \(months)"]
        case .forever: fields.append("duration: forever")
        }
        if let products = coupon.products { fields.append("applies_to: { products: [\(products.map(quote).joined(separator: ", "))] }") }
        return flow(fields)
    }

    /// A credit grant with every field written (`category`, `priority` and `effective_at` too).
    static func creditGrantYAML(_ grant: CreditGrant) -> String {
        let scope =
            switch grant.scope {
            case .metered: "{ price_type: metered }"
            case .prices(let ids): "{ prices: [\(ids.map { "{ id: \(quote($0)) }" }.joined(separator: ", "))] }"
            }
        var fields = [
            "id: \(quote(grant.id))", "customer: \(quote(grant.customer))",
            "amount: { type: monetary, monetary: { currency: \(grant.currency.code), value: \(grant.amount) } }",
            "applicability_config: { scope: \(scope) }", "category: \(grant.category.rawValue)", "priority: \(grant.priority)",
            "effective_at: \(grant.effectiveAt)",
        ]
        if !grant.name.isEmpty { fields.insert("name: \(quote(grant.name))", at: 2) }
        if let expiresAt = grant.expiresAt { fields.append("expires_at: \(expiresAt)") }
        return flow(fields)
    }

    /// `discounts: [{ coupon: … }, …]`.
    static func discountsYAML(_ coupons: [String]) -> String {
        "discounts: [\(coupons.map { "{ coupon: \(quote($0)) }" }.joined(separator: ", "))]"
    }

    static func subscriptionYAML(_ subscription: Subscription, catalog: Catalog) -> String {
        var fields = [
            "id: \(quote(subscription.id))", "customer: \(quote(subscription.customer))", "created: \(subscription.created)",
            "billing_mode: { type: \(subscription.billingMode.rawValue)"
                + (subscription.prorationDiscounts == .included
                    ? "" : ", flexible: { proration_discounts: \(subscription.prorationDiscounts.rawValue) }")
                + " }", "collection_method: \(subscription.collectionMethod.rawValue)",
        ]
        if subscription.collectionMethod == .sendInvoice { fields.append("days_until_due: \(subscription.daysUntilDue)") }
        if let backdate = subscription.backdateStartDate { fields.append("backdate_start_date: \(backdate)") }
        if let anchor = subscription.billingCycleAnchor { fields.append("billing_cycle_anchor: \(anchor)") }
        let items = subscription.items.map { item in
            var itemFields = ["id: \(quote(item.id))", "price: \(quote(item.price))"]
            if catalog.price(item.price)?.isMetered == false { itemFields.append("quantity: \(item.quantity)") }
            if let usage = item.usageGTE { itemFields.append("billing_thresholds: { usage_gte: \(usage) }") }
            if !item.taxRates.isEmpty { itemFields.append(taxRatesYAML("tax_rates", item.taxRates)) }
            return flow(itemFields)
        }
        fields.append("items: [\(items.joined(separator: ", "))]")
        if subscription.cancelAtPeriodEnd { fields.append("cancel_at_period_end: true") }
        if let cancelAt = subscription.cancelAt { fields.append("cancel_at: \(cancelAt)") }
        if let trialEnd = subscription.trialEnd {
            fields.append("trial_end: \(trialEnd)")
            fields.append("trial_settings: { end_behavior: { missing_payment_method: \(subscription.trialEndBehavior.rawValue) } }")
        }
        if subscription.prorationBehavior != .createProrations { fields.append("proration_behavior: \(subscription.prorationBehavior.rawValue)") }
        if let thresholds = subscription.billingThresholds { fields.append(thresholdsYAML(thresholds)) }
        if !subscription.discounts.isEmpty { fields.append(discountsYAML(subscription.discounts)) }
        if !subscription.defaultTaxRates.isEmpty { fields.append(taxRatesYAML("default_tax_rates", subscription.defaultTaxRates)) }
        if !subscription.addInvoiceItems.isEmpty {
            let items = subscription.addInvoiceItems.map { flow(["price: \(quote($0.price ?? ""))", "quantity: \($0.quantity)"]) }
            fields.append("add_invoice_items: [\(items.joined(separator: ", "))]")
        }
        if let interval = subscription.pendingInvoiceItemInterval {
            fields.append("pending_invoice_item_interval: { interval: \(interval.unit.rawValue), interval_count: \(interval.count) }")
        }
        if let method = subscription.defaultPaymentMethod { fields.append("default_payment_method: \(quote(method))") }
        return flow(fields)
    }

    /// `billing_thresholds: { amount_gte, reset_billing_cycle_anchor }`.
    static func thresholdsYAML(_ thresholds: BillingThresholds) -> String {
        let amount = thresholds.amountGTE.map { ["amount_gte: \($0)"] } ?? []
        return "billing_thresholds: \(flow(amount + ["reset_billing_cycle_anchor: \(thresholds.resetBillingCycleAnchor)"]))"
    }

    /// The fields of `update_subscription` (or a preview's `subscription_details`) after `subscription`.
    static func updateFields(_ update: SubscriptionUpdate, catalog: Catalog) -> [String] {
        var fields = ["proration_behavior: \(update.prorationBehavior.rawValue)"]
        func itemTaxRates(_ item: String) -> [String] { update.itemTaxRates[item].map { [taxRatesYAML("tax_rates", $0)] } ?? [] }
        let items = update.items.map { change in
            switch change {
            case .change(let item, let price, let quantity):
                flow(
                    ["id: \(quote(item))"] + (price.map { ["price: \(quote($0))"] } ?? []) + (quantity.map { ["quantity: \($0)"] } ?? [])
                        + itemTaxRates(item))
            case .remove(let item): flow(["id: \(quote(item))", "deleted: true"])
            case .add(let item, let price, let quantity):
                // A metered item has no quantity in the file (the loader refuses one).
                flow(
                    ["id: \(quote(item))", "price: \(quote(price))"] + (catalog.price(price)?.isMetered == true ? [] : ["quantity: \(quantity)"])
                        + itemTaxRates(item))
            }
        }
        if !items.isEmpty { fields.append("items: [\(items.joined(separator: ", "))]") }
        if let date = update.prorationDate { fields.append("proration_date: \(date)") }
        if update.resetsAnchor { fields.append("billing_cycle_anchor: now") }
        if let cancelAtPeriodEnd = update.cancelAtPeriodEnd { fields.append("cancel_at_period_end: \(cancelAtPeriodEnd)") }
        if let cancelAt = update.cancelAt { fields.append("cancel_at: \(cancelAt)") }
        if update.endsTrial { fields.append("trial_end: now") }
        if let thresholds = update.billingThresholds { fields.append(thresholdsYAML(thresholds)) }
        if let discounts = update.discounts { fields.append(discountsYAML(discounts)) }
        if let method = update.defaultPaymentMethod { fields.append("default_payment_method: \(quote(method))") }
        if let rates = update.defaultTaxRates { fields.append(taxRatesYAML("default_tax_rates", rates)) }
        return fields
    }

    /// `add_invoice_item`, with the customer (and, for an amount, the currency) of its subscription (the loader checks both).
    static func invoiceItemYAML(_ item: InvoiceItem, at: Instant, simulation: Simulation) -> String {
        let subscription = simulation.subscriptions.first { $0.id == item.subscription }
        var fields = ["customer: \(quote(subscription?.customer ?? ""))", "subscription: \(quote(item.subscription))"]
        if let price = item.price {
            fields += ["price: \(quote(price))", "quantity: \(item.quantity)"]
        } else {
            let currency = subscription?.items.first.flatMap { simulation.catalog.price($0.price)?.currency.code } ?? "usd"
            fields += ["amount: \(item.amount)", "currency: \(currency)"]
        }
        if let description = item.description { fields.append("description: \(quote(description))") }
        return "{ at: \(at), add_invoice_item: \(flow(fields)) }"
    }

    /// One meter event as a flow mapping; payload values are always quoted (they are strings).
    public static func eventYAML(_ event: MeterEvent) -> String {
        var fields = ["event_name: \(quote(event.eventName))", "timestamp: \(event.timestamp)"]
        if let identifier = event.identifier { fields.append("identifier: \(quote(identifier))") }
        if let receivedAt = event.receivedAt { fields.append("received_at: \(receivedAt)") }
        let payload = event.payload.sorted { $0.key < $1.key }.map { "\(quote($0.key)): \(doubleQuoted($0.value))" }
        fields.append("payload: { \(payload.joined(separator: ", ")) }")
        return flow(fields)
    }

    static func writeExpectation(_ expectation: Expectation, to out: inout YAMLLines) {
        guard
            expectation.invoices != nil || expectation.invoiceCount != nil || !expectation.previews.isEmpty
                || !expectation.meterEventErrors.isEmpty || expectation.lateEvents != nil || !expectation.subscriptions.isEmpty
                || !expectation.customers.isEmpty || !expectation.creditGrants.isEmpty
        else { return }
        out.line(0, "expect:")
        if let invoices = expectation.invoices {
            if case .list(let items, _) = invoices, !items.isEmpty {
                out.line(1, "invoices:")
                for item in items { out.line(2, "- " + expectedYAML(item)) }
            } else {
                out.line(1, "invoices: \(expectedYAML(invoices))")
            }
        }
        if let count = expectation.invoiceCount { out.line(1, "invoice_count: \(count)") }
        if !expectation.previews.isEmpty {
            out.line(1, "previews:")
            for (name, expected) in expectation.previews { out.line(2, "\(quote(name)): \(expectedYAML(expected))") }
        }
        if !expectation.meterEventErrors.isEmpty {
            out.line(1, "meter_event_errors:")
            for (code, count, _) in expectation.meterEventErrors { out.line(2, "\(code.rawValue): \(count)") }
        }
        if let late = expectation.lateEvents { out.line(1, "late_events: \(late)") }
        for (key, entries) in [
            ("subscriptions", expectation.subscriptions), ("customers", expectation.customers), ("credit_grants", expectation.creditGrants),
        ] where !entries.isEmpty {
            out.line(1, "\(key):")
            for (id, expected) in entries { out.line(2, "\(quote(id)): \(expectedYAML(expected))") }
        }
    }

    /// An expectation tree as one flow value.
    public static func expectedYAML(_ expected: Expected) -> String {
        switch expected {
        case .scalar(let text, _): text == "null" || isPlain(text) ? text : quote(text)
        case .list(let items, _): "[" + items.map(expectedYAML).joined(separator: ", ") + "]"
        case .map(let entries, _): entries.isEmpty ? "{}" : flow(entries.map { "\(quote($0.key)): \(expectedYAML($0.value))" })
        }
    }

    static func flow(_ fields: [String]) -> String { "{ " + fields.joined(separator: ", ") + " }" }

    /// The text plain when YAML reads it back as the same string, else double-quoted.
    public static func quote(_ text: String) -> String {
        let reserved = ["null", "~", "true", "false", "yes", "no", "on", "off", "y", "n"].contains(text.lowercased())
        return isPlain(text) && !reserved ? text : doubleQuoted(text)
    }

    /// Whether the text reads back as the same scalar text when written plain (its type aside: an
    /// expectation compares the text, so `false` and `12` may stay plain there).
    static func isPlain(_ text: String) -> Bool {
        let safe = text.unicodeScalars.allSatisfy { scalar in
            (scalar >= "a" && scalar <= "z") || (scalar >= "A" && scalar <= "Z") || (scalar >= "0" && scalar <= "9")
                || "_.-+/".unicodeScalars.contains(scalar)
        }
        guard safe, let first = text.first else { return false }
        return first != "-" || text.count > 1 && text.dropFirst().first!.isNumber
    }

    /// YAML's double-quoted form: a JSON string (quotes, backslashes and control characters escaped), which YAML reads back.
    public static func doubleQuoted(_ text: String) -> String { JSONText.quote(text) }
}

/// Lines of YAML, indented two spaces a level.
struct YAMLLines {
    var text = ""

    mutating func line(_ level: Int, _ content: String) {
        text += String(repeating: "  ", count: level) + content + "\n"
    }

    /// `key:` and one flow value per element; nothing when the list is empty.
    mutating func list<T>(_ key: String, _ elements: [T], _ render: (T) -> String) {
        guard !elements.isEmpty else { return }
        line(0, "\(key):")
        for element in elements { line(1, "- " + render(element)) }
    }
}

/// Writes meter events as a usage CSV (a header row, then one row per event in the given order, which
/// must be arrival order): `event_name,timestamp,identifier,received_at,payload.<key>…`.
public enum UsageCSVWriter {
    public static func csv(_ events: [MeterEvent]) -> String {
        let keys = Set(events.flatMap { $0.payload.map(\.key) }).sorted()
        var out = (["event_name", "timestamp", "identifier", "received_at"] + keys.map { "payload." + $0 }).map(cell).joined(separator: ",") + "\n"
        for event in events {
            var row = [event.eventName, event.timestamp.description, event.identifier ?? "", event.receivedAt?.description ?? ""]
            for key in keys { row.append(event.payload[key] ?? "") }
            out += row.map(cell).joined(separator: ",") + "\n"
        }
        return out
    }

    /// RFC 4180: quoted when it holds a comma, quote or line break.
    static func cell(_ text: String) -> String {
        guard text.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return text }
        return "\"" + text.split(separator: "\"", omittingEmptySubsequences: false).joined(separator: "\"\"") + "\""
    }
}
