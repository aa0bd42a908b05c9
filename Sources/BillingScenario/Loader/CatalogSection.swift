import BillingCore
import BillingDocument

/// `meters`, `products` and `prices`: the catalog every subscription and usage stream refers to.
extension ScenarioReader {
    func readMeter(_ fields: Fields) -> Meter? {
        fields.apply(StripeFields.meter)
        let id = meters.declare(fields.required("id"))
        var eventName: String?
        if let value = fields.required("event_name"), let name = value.identifier() {
            if let other = meterByEventName[name] {
                value.error("meter `\(other)` already has event_name `\(name)`")
            } else {
                eventName = name
                if let id { meterByEventName[name] = id }
            }
        }
        let formula = fields.optional("default_aggregation")?.mapping { $0.required("formula")?.oneOf(AggregationFormula.self) } ?? .sum
        let customerKey =
            fields.optional("customer_mapping")?.mapping { mapping in
                _ = mapping.optional("type")?.oneOf([("by_id", true)])
                return mapping.optional("event_payload_key")?.identifier() ?? "stripe_customer_id"
            } ?? "stripe_customer_id"
        let valueKey = fields.optional("value_settings")?.mapping { $0.optional("event_payload_key")?.identifier() ?? "value" } ?? "value"
        let dimensions = fields.optional("dimension_payload_keys")?.list()?.compactMap { $0.identifier() } ?? []
        let active = fields.optional("status")?.oneOf([("active", true), ("inactive", false)]) ?? true
        let displayName = fields.optional("display_name")?.string() ?? ""
        guard let id, let eventName, let formula else { return nil }
        return Meter(
            id: id, displayName: displayName, eventName: eventName, formula: formula,
            customerPayloadKey: customerKey, valuePayloadKey: valueKey, dimensionPayloadKeys: dimensions, isActive: active)
    }

    func readProduct(_ fields: Fields) -> Product? {
        fields.apply(StripeFields.product)
        let id = products.declare(fields.required("id"))
        let name = fields.optional("name")?.string()
        // Line descriptions show the name; Stripe requires one, billsim falls back to the id.
        return id.map { Product(id: $0, name: name ?? $0) }
    }

    func readPrice(_ fields: Fields) -> Price? {
        fields.apply(StripeFields.price)
        let id = prices.declare(fields.required("id"))
        let product = products.resolve(fields.required("product"))
        let currency = fields.required("currency")?.parse("a currency code Stripe accepts, like usd (ISO 4217)") { Currency(code: $0) }
        let typeValue = fields.optional("type")
        let oneTime = typeValue?.oneOf([("recurring", false), ("one_time", true)]) ?? false
        var recurring: (interval: BillingInterval, usageType: UsageType)?
        if let value = fields.optional("recurring"), !value.isOff() {
            if oneTime {
                value.error("a one-time price (type: one_time) has no `recurring`")
            } else {
                recurring = value.mapping(readRecurring) ?? nil
            }
        } else if oneTime {
            // A one-time price bills only as an invoice item: no interval, no meter (Docs/ENGINE-RULES.md, "Invoice items").
            recurring = (BillingInterval(.month), .licensed)
        } else {
            fields.sink.report(
                fields.path, "missing `recurring` (or `type: one_time` for a price billed only as an invoice item)", at: fields.location)
        }
        let scheme = readScheme(fields)
        switch (oneTime, scheme) {
        case (true, .graduated?), (true, .volume?):
            (fields.optional("billing_scheme") ?? fields.value).error("a one-time price is per_unit (Stripe allows tiers on recurring prices only)")
        default: break
        }
        guard let id, let product, let currency, let recurring, let scheme else { return nil }
        return Price(
            id: id, product: product.id, currency: currency, interval: recurring.interval, usageType: recurring.usageType, scheme: scheme,
            isOneTime: oneTime)
    }

    func readRecurring(_ fields: Fields) -> (interval: BillingInterval, usageType: UsageType)? {
        fields.unsupported("trial_period_days", "trials are not supported yet")
        fields.unsupported("aggregate_usage", "aggregate_usage belongs to legacy usage records; bill usage through `meter`")
        let unit = fields.required("interval")?.oneOf(BillingInterval.Unit.self)
        let count = fields.read("interval_count", default: 1) { $0.int(1...Int64(Int32.max)) }
        let metered = fields.read("usage_type", default: false) { $0.oneOf([("licensed", false), ("metered", true)]) }
        let meterValue = fields.optional("meter")
        var usageType: UsageType?
        switch (metered, meterValue) {
        case (true, nil): fields.sink.report(fields.path, "a metered price needs recurring.meter", at: fields.location)
        case (true, let value?):
            usageType = meters.resolve(value).flatMap { meter in
                // §1.4: a deactivated meter "cannot be attached to a price".
                guard meter.object.isActive else {
                    value.error("meter `\(meter.id)` is inactive: a price cannot be attached to it (reactivate it with status: active)")
                    return nil
                }
                return .metered(meter: meter.id)
            }
        case (false, let value?): value.error("a licensed price has no meter (set usage_type: metered to bill usage)")
        case (false, nil): usageType = .licensed
        case (nil, _): break
        }
        guard let unit, let count else { return nil }
        let interval = BillingInterval(unit, count: count)
        guard interval.isWithinStripeMaximum else {
            (fields.optional("interval_count") ?? fields.value).error(
                "the interval must be at most 3 years (Stripe's limit), found every \(interval)")
            return nil
        }
        return usageType.map { (interval, $0) }
    }

    /// An amount written as `<name>` (integer minor units) and/or `<name>_decimal` (a decimal string).
    enum Amount {
        case absent, invalid
        case value(ExactDecimal)

        var isWritten: Bool { if case .absent = self { false } else { true } }
    }

    /// Reads `name` and `name_decimal`. Stripe's API returns both, so both may be written when they agree.
    func readAmount(_ fields: Fields, _ name: String, wholeDecimal: Bool = false) -> Amount {
        let integerValue = fields.optional(name)
        let decimalValue = fields.optional(name + "_decimal")
        let integer = integerValue.map {
            $0.integer(0...StripeLimits.maxAmount, "a non-negative integer of at most 8 digits (minor units; Stripe's maximum is 99999999)")
                .map { ExactDecimal($0) }
        }
        let decimal = decimalValue.map { value -> ExactDecimal? in
            let amount = value.parse(
                "a non-negative decimal string below 100000000 (minor units: at most 8 integer digits and 12 decimal places, as Stripe takes)"
            ) { text in
                ExactDecimal(parsing: text).flatMap { $0 >= .zero && $0 < ExactDecimal(StripeLimits.maxAmount + 1) ? $0 : nil }
            }
            if let amount, wholeDecimal, !amount.isInteger {
                value.error("must be a whole number of minor units, found \(value.found)")
                return nil
            }
            return amount
        }
        switch (integer, decimal) {
        case (nil, nil): return .absent
        case (let amount??, nil), (nil, let amount??): return .value(amount)
        case (let left??, let right??):
            guard left == right else {
                decimalValue?.error("\(name) and \(name)_decimal disagree (\(left) and \(right)); write one of them")
                return .invalid
            }
            return .value(left)
        default: return .invalid
        }
    }

    func readScheme(_ fields: Fields) -> PricingScheme? {
        let tiered = fields.read("billing_scheme", default: false) { $0.oneOf([("per_unit", false), ("tiered", true)]) }
        let unitAmount = readAmount(fields, "unit_amount")
        let transformValue = fields.optional("transform_quantity")
        let modeValue = fields.optional("tiers_mode")
        let tiersValue = fields.optional("tiers")
        switch tiered {
        case nil:
            return nil
        case false:
            modeValue?.error("tiers_mode needs billing_scheme: tiered")
            tiersValue?.error("tiers need billing_scheme: tiered")
            let transform = transformValue.flatMap { $0.mapping(readTransform) ?? nil }
            if !unitAmount.isWritten {
                fields.sink.report(fields.path, "a per_unit price needs unit_amount or unit_amount_decimal", at: fields.location)
            }
            guard case .value(let amount) = unitAmount else { return nil }
            return .perUnit(unitAmount: amount, transform: transform)
        case true:
            for key in ["unit_amount", "unit_amount_decimal"] {
                fields.optional(key)?.error("a tiered price takes its amounts from `tiers`")
            }
            transformValue?.error("transform_quantity cannot be combined with tiers")
            let graduated = fields.required("tiers_mode")?.oneOf([("graduated", true), ("volume", false)])
            let tiers = fields.required("tiers").flatMap(readTiers)
            guard let graduated, let tiers else { return nil }
            return graduated ? .graduated(tiers) : .volume(tiers)
        }
    }

    func readTransform(_ fields: Fields) -> TransformQuantity? {
        let divideBy = fields.required("divide_by")?.integer(1...Int64.max)
        let roundUp = fields.required("round")?.oneOf([("up", true), ("down", false)])
        guard let divideBy, let roundUp else { return nil }
        return TransformQuantity(divideBy: divideBy, roundUp: roundUp)
    }

    /// Tiers: `up_to` ascending positive integers, the last one `inf` (or null, as Stripe's JSON writes it).
    func readTiers(_ value: YAMLValue) -> [PriceTier]? {
        sink.clean {
            guard let list = value.list() else { return nil }
            if list.isEmpty { value.error("a tiered price needs at least one tier") }
            var previous: Int64 = 0
            return list.enumerated().map { index, tierValue in
                tierValue.mapping { fields -> PriceTier in
                    var upTo: Int64?
                    if let entry = fields.entry("up_to") {
                        let bound = entry.value
                        let text = bound.isNull ? "inf" : bound.scalar(expecting: "an integer or \"inf\"")
                        if text == "inf" {
                            if index < list.count - 1 { bound.error("only the last tier can have up_to: inf") }
                        } else if let text {
                            if let number = Int64(text), number > 0 {
                                upTo = number
                                if number <= previous { bound.error("must be greater than the previous tier's up_to (\(previous))") }
                                if index == list.count - 1 { bound.error("the last tier must have up_to: inf") }
                                previous = number
                            } else {
                                bound.error("expected \(Int64(text) == nil ? "an" : "a positive") integer or \"inf\", found \(bound.found)")
                            }
                        }
                    } else {
                        fields.sink.report(fields.path, "missing `up_to`", at: fields.location)
                    }
                    let unit = readAmount(fields, "unit_amount")
                    let flat = readAmount(fields, "flat_amount", wholeDecimal: true)
                    if !unit.isWritten, !flat.isWritten {
                        fields.sink.report(fields.path, "a tier needs unit_amount(_decimal), flat_amount(_decimal) or both", at: fields.location)
                    }
                    func amount(_ amount: Amount) -> ExactDecimal { if case .value(let value) = amount { value } else { .zero } }
                    return PriceTier(upTo: upTo, unitAmount: amount(unit), flatAmount: amount(flat))
                } ?? PriceTier(upTo: nil)
            }
        }
    }
}
