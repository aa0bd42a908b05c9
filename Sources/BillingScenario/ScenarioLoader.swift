import BillingCore
import Foundation
import BillingDocument
import Yams

/// Reads a scenario file (SCENARIO-FORMAT.md) into a validated ``Scenario``.
///
/// Every problem of the file is reported at once, each at its line and column; a file with any
/// problem produces no scenario.
public enum ScenarioLoader {
    /// Reads and loads the scenario at `path`.
    public static func load(path: String) -> Result<Scenario, ScenarioLoadError> {
        guard let data = FileManager.default.contents(atPath: path), let text = String(data: data, encoding: .utf8) else {
            let location = SourceLocation(file: path, line: 1, column: 1)
            let message = FileManager.default.fileExists(atPath: path) ? "cannot read the scenario as UTF-8 text" : "no scenario file at \(path)"
            return .failure(ScenarioLoadError(path: path, diagnostics: [Diagnostic(location: location, message: message)]))
        }
        return load(yaml: text, path: path)
    }

    /// Loads a scenario from its text. `path` names the file in messages, and `file:` usage paths
    /// are resolved relative to its directory.
    public static func load(yaml: String, path: String) -> Result<Scenario, ScenarioLoadError> {
        let sink = DiagnosticSink(file: path, text: yaml)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            reportSyntaxError(error, yaml: yaml, sink: sink)
            return .failure(ScenarioLoadError(path: path, diagnostics: sink.diagnostics))
        }
        guard let root else {
            sink.report("the file is empty; a scenario needs at least `name` and `clock`", at: SourceLocation(file: path, line: 1, column: 1))
            return .failure(ScenarioLoadError(path: path, diagnostics: sink.diagnostics))
        }
        let reader = ScenarioReader(path: path, sink: sink)
        let scenario = reader.read(YAMLValue(node: root, path: "", sink: sink))
        guard sink.isEmpty, let scenario else {
            return .failure(ScenarioLoadError(path: path, diagnostics: sink.diagnostics))
        }
        return .success(scenario)
    }

    /// A YAML syntax error is one diagnostic at its mark; nothing else of the file can be read.
    static func reportSyntaxError(_ error: any Error, yaml: String, sink: DiagnosticSink) {
        func at(_ mark: Mark) -> SourceLocation { sink.location(mark) }
        func context(_ context: YamlError.Context?) -> String {
            guard let context else { return "" }
            return " (\(context.text) at line \(context.mark.line), column \(context.mark.column))"
        }
        switch error as? YamlError {
        case .scanner(let ctx, let problem, let mark, _), .parser(let ctx, let problem, let mark, _), .composer(let ctx, let problem, let mark, _):
            sink.report("invalid YAML: \(problem)\(context(ctx))", at: at(mark))
        case .duplicatedKeysInMapping(let duplicates, let ctx):
            let keys = duplicates.map { "`\($0)`" }.joined(separator: ", ")
            sink.report("invalid YAML: duplicate key \(keys) in one mapping", at: at(ctx.mark))
        case .reader(let problem, let offset, _, _):
            var line = 1
            var column = 1
            for character in yaml.prefix(offset ?? 0) {
                if character == "\n" {
                    line += 1
                    column = 1
                } else {
                    column += character.unicodeScalars.count
                }
            }
            sink.report("invalid YAML: \(problem)", at: SourceLocation(file: sink.file, line: line, column: column))
        default:
            sink.report("invalid YAML: \(error)", at: SourceLocation(file: sink.file, line: 1, column: 1))
        }
    }
}

/// Ids of one kind: where each is declared and, once it loaded without problems, its object.
///
/// A reference to an id that is declared but broken resolves to nothing without a second report:
/// its own problems are already in the list.
struct Registry<Object> {
    let kind: String
    let plural: String
    private(set) var order: [String] = []
    private var declared: [String: SourceLocation] = [:]
    private var objects: [String: Object] = [:]

    init(kind: String, plural: String) {
        self.kind = kind
        self.plural = plural
    }

    /// Declares the id written at `value`; a repeat is reported there.
    mutating func declare(_ value: YAMLValue?) -> String? {
        guard let value, let id = value.identifier() else { return nil }
        return declare(id, at: value)
    }

    /// Declares `id` (written at, or defaulted for, `value`).
    mutating func declare(_ id: String, at value: YAMLValue) -> String? {
        if let first = declared[id] {
            value.error("\(kind) `\(id)` is already defined at line \(first.line)")
            return nil
        }
        declared[id] = value.location
        order.append(id)
        return id
    }

    func isDeclared(_ id: String) -> Bool { declared[id] != nil }

    mutating func store(_ object: Object, for id: String) { objects[id] = object }

    /// The loaded objects, in declaration order.
    var loaded: [Object] { order.compactMap { objects[$0] } }

    /// The object `value` names; a name that is not declared is reported with the ones that are.
    func resolve(_ value: YAMLValue?) -> (id: String, object: Object)? {
        guard let value, let id = value.identifier() else { return nil }
        guard isDeclared(id) else {
            value.error("no \(kind) `\(id)` \(listing)")
            return nil
        }
        return objects[id].map { (id, $0) }
    }

    /// `(prices: a, b, c)`, shortened when long.
    var listing: String {
        guard !order.isEmpty else { return "(no \(plural) are defined)" }
        let shown = order.prefix(12).joined(separator: ", ")
        return "(\(plural): \(shown)\(order.count > 12 ? ", … \(order.count - 12) more" : ""))"
    }
}

/// Stripe fields that never change a bill, accepted and ignored on catalog objects and customers.
private let stripeBookkeeping = ["object", "livemode", "created", "updated", "metadata"]

/// Walks one scenario tree in dependency order (catalog, customers, subscriptions, usage, timeline,
/// expectations), so references are checked whatever order the file lists its sections in.
///
/// Each object is built only when reading it reported nothing; a reference to a declared object
/// that has problems of its own resolves to nothing without a second report.
final class ScenarioReader {
    let path: String
    let sink: DiagnosticSink
    /// The scenario's directory with a trailing slash (empty for the current directory).
    let directory: String

    var clock: (start: Instant, until: Instant)?
    var defaultBillingMode: BillingMode = .flexible
    var meters = Registry<Meter>(kind: "meter", plural: "meters")
    /// Event name → the meter that declares it.
    var meterByEventName: [String: String] = [:]
    var products = Registry<Product>(kind: "product", plural: "products")
    var prices = Registry<Price>(kind: "price", plural: "prices")
    var customers = Registry<Customer>(kind: "customer", plural: "customers")
    var subscriptions = Registry<Subscription>(kind: "subscription", plural: "subscriptions")
    var subscriptionItems = Registry<Bool>(kind: "subscription item", plural: "subscription items")
    var previews = Registry<Bool>(kind: "preview", plural: "previews")

    init(path: String, sink: DiagnosticSink) {
        self.path = path
        self.sink = sink
        directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    }

    // MARK: Top level

    func read(_ root: YAMLValue) -> Scenario? {
        root.mapping { top -> Scenario? in
            let name = top.required("name")?.string()
            let description = top.optional("description")?.string()?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let tags = top.optional("tags")?.list()?.compactMap { $0.string() } ?? []
            clock = top.required("clock")?.mapping(readClock) ?? nil
            let settings = top.optional("settings")?.mapping(readSettings) ?? EngineSettings()
            readEach(top.optional("meters"), readMeter) { meters.store($0, for: $0.id) }
            readEach(top.optional("products"), readProduct) { products.store($0, for: $0.id) }
            readEach(top.optional("prices"), readPrice) { prices.store($0, for: $0.id) }
            readEach(top.optional("customers"), readCustomer) { customers.store($0, for: $0.id) }
            readEach(top.optional("subscriptions"), readSubscription) { subscriptions.store($0, for: $0.id) }
            let usage = (top.optional("usage")?.list() ?? []).enumerated().compactMap { index, stream in
                stream.mapping { readUsage($0, index: index) } ?? nil
            }
            let timeline = (top.optional("timeline")?.list() ?? []).enumerated().compactMap { index, entry in
                entry.mapping { readTimelineEntry($0, index: index) } ?? nil
            }
            top.unsupported("variants", "variants are not supported yet")
            let expectLocation = top.entry("expect")?.keyLocation ?? SourceLocation(file: path, line: 1, column: 1)
            let expectation =
                top.optional("expect")?.mapping { readExpectation($0, location: expectLocation) } ?? Expectation(location: expectLocation)

            guard let name, let clock, sink.isEmpty else { return nil }
            let catalog = Catalog(meters: meters.loaded, products: products.loaded, prices: prices.loaded)
            let simulation = Simulation(
                clockStart: clock.start, clockUntil: clock.until, catalog: catalog, customers: customers.loaded,
                subscriptions: subscriptions.loaded, timeline: timeline, settings: settings)
            return Scenario(
                path: path, name: name, description: description, tags: tags, simulation: simulation, usage: usage, expectation: expectation)
        } ?? nil
    }

    /// Reads each mapping of a list and stores the objects that read without problems.
    func readEach<T>(_ value: YAMLValue?, _ read: (Fields) -> T?, store: (T) -> Void) {
        for element in value?.list() ?? [] {
            if let object = sink.clean({ element.mapping(read) ?? nil }) { store(object) }
        }
    }

    func readClock(_ fields: Fields) -> (start: Instant, until: Instant)? {
        let start = fields.required("start")?.instant()
        guard let untilValue = fields.required("until"), let until = untilValue.instant(), let start else { return nil }
        guard until >= start else {
            untilValue.error("must not be before clock.start (\(start))")
            return nil
        }
        return (start, until)
    }

    func readSettings(_ fields: Fields) -> EngineSettings {
        var settings = EngineSettings()
        if let mode = fields.optional("billing_mode").flatMap(readBillingMode) { defaultBillingMode = mode }
        if let value = fields.optional("finalization_grace"), let grace = value.duration() {
            if grace > .hours(72) { value.error("must be at most 72h (Stripe's limit), found \(grace)") }
            settings.finalizationGrace = grace
        }
        settings.eventWindow =
            fields.optional("event_window")?.mapping { window in
                EventWindow(past: window.optional("past")?.duration() ?? .days(35), future: window.optional("future")?.duration() ?? .minutes(5))
            } ?? EventWindow()
        return settings
    }

    /// `flexible`, `classic`, or Stripe's `{ type: flexible }`.
    func readBillingMode(_ value: YAMLValue) -> BillingMode? {
        guard case .mapping = value.node else { return value.oneOf(BillingMode.self) }
        return value.mapping { mode in
            mode.ignore(["flexible"])  // Stripe's options object for flexible mode.
            return mode.required("type")?.oneOf(BillingMode.self)
        } ?? nil
    }

    // MARK: Catalog

    func readMeter(_ fields: Fields) -> Meter? {
        fields.ignore(stripeBookkeeping + ["status_transitions"])
        fields.unsupported("event_time_window", "event_time_window is not supported yet (usage is aggregated per billing period)")
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
        fields.ignore(
            stripeBookkeeping + [
                "active", "description", "images", "url", "default_price", "marketing_features", "shippable", "tax_code",
                "package_dimensions", "unit_label", "statement_descriptor", "type",
            ])
        let id = products.declare(fields.required("id"))
        let name = fields.optional("name")?.string()
        // Line descriptions show the name; Stripe requires one, billsim falls back to the id.
        return id.map { Product(id: $0, name: name ?? $0) }
    }

    func readPrice(_ fields: Fields) -> Price? {
        fields.ignore(stripeBookkeeping + ["active", "nickname", "lookup_key"])
        let id = prices.declare(fields.required("id"))
        let product = products.resolve(fields.required("product"))
        let currency = fields.required("currency")?.parse("a three-letter currency code like usd") { Currency(code: $0) }
        if let tax = fields.optional("tax_behavior"), let behavior = tax.string(), behavior != "unspecified" {
            tax.error("taxes are not supported yet (only tax_behavior: unspecified is accepted)")
        }
        fields.unsupported("currency_options", "currency_options (multi-currency prices) are not supported yet")
        fields.unsupported("custom_unit_amount", "custom_unit_amount (customer-chosen amounts) is not supported yet")
        var oneTime = false
        if let type = fields.optional("type"), type.oneOf([("recurring", true), ("one_time", false)]) == false {
            type.error("one-time prices are not supported yet")
            oneTime = true
        }
        var recurring: (interval: BillingInterval, usageType: UsageType)?
        if let value = fields.optional("recurring") {
            recurring = value.mapping(readRecurring) ?? nil
        } else if !oneTime {
            fields.sink.report(fields.path, "missing `recurring` (one-time prices are not supported yet)", at: fields.location)
        }
        let scheme = readScheme(fields)
        guard let id, let product, let currency, let recurring, let scheme else { return nil }
        return Price(id: id, product: product.id, currency: currency, interval: recurring.interval, usageType: recurring.usageType, scheme: scheme)
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
        case (true, let value?): usageType = meters.resolve(value).map { .metered(meter: $0.id) }
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
        let integer = integerValue.map { $0.integer(0...Int64.max, "a non-negative integer (minor units)").map { ExactDecimal($0) } }
        let decimal = decimalValue.map { value -> ExactDecimal? in
            let amount = value.parse("a non-negative decimal string (minor units, at most 12 decimal places)") { text in
                ExactDecimal(parsing: text).flatMap { $0 >= .zero ? $0 : nil }
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

    // MARK: Customers and subscriptions

    func readCustomer(_ fields: Fields) -> Customer? {
        fields.ignore(stripeBookkeeping + ["description", "email", "phone", "address"])
        let id = customers.declare(fields.required("id"))
        let currency = fields.optional("currency")?.parse("a three-letter currency code like usd") { Currency(code: $0) }
        let paymentMethod = fields.optional("invoice_settings")?.mapping { settings in
            settings.ignore(["custom_fields", "footer", "rendering_options"])
            return settings.optional("default_payment_method")?.identifier()
        }
        let name = fields.optional("name")?.string() ?? ""
        let balance = fields.optional("balance")?.integer() ?? 0
        guard let id else { return nil }
        return Customer(id: id, name: name, currency: currency, balance: balance, defaultPaymentMethod: paymentMethod ?? nil)
    }

    func readSubscription(_ fields: Fields) -> Subscription? {
        fields.ignore(["object", "livemode", "metadata", "description"])
        fields.unsupported("trial_end", "trials are not supported yet")
        fields.unsupported("trial_period_days", "trials are not supported yet")
        fields.unsupported("billing_thresholds", "billing_thresholds are not supported yet")
        fields.unsupported("discounts", "discounts are not supported yet")
        fields.unsupported("coupon", "discounts are not supported yet")
        fields.unsupported("default_tax_rates", "tax rates are not supported yet")
        fields.unsupported("billing_cycle_anchor_config", "billing_cycle_anchor_config is not supported yet (give billing_cycle_anchor)")
        fields.unsupported("cancel_at", "cancel_at is not supported yet (use a timeline cancel_subscription)")
        fields.unsupported("cancel_at_period_end", "cancel_at_period_end is not supported yet (use a timeline cancel_subscription)")
        fields.unsupported("add_invoice_items", "add_invoice_items is not supported yet")

        let id = subscriptions.declare(fields.required("id"))
        let customer = customers.resolve(fields.required("customer"))?.object
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
            guard let list = value.list() else { return nil }
            if list.isEmpty { value.error("a subscription needs at least one item") }
            var first: (price: Price, path: String)?
            var pathByPrice: [String: String] = [:]
            return list.enumerated().compactMap { index, itemValue in
                itemValue.mapping { fields -> SubscriptionItem? in
                    fields.ignore(["object", "metadata", "created"])
                    fields.unsupported("billing_thresholds", "billing_thresholds are not supported yet")
                    fields.unsupported("discounts", "discounts are not supported yet")
                    fields.unsupported("tax_rates", "tax rates are not supported yet")
                    let id =
                        fields.optional("id").map { subscriptionItems.declare($0) }
                        ?? subscriptionItems.declare("si_\(subscription)_\(index)", at: itemValue)
                    guard let priceValue = fields.required("price"), let price = prices.resolve(priceValue)?.object else {
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

    // MARK: Usage

    func readUsage(_ fields: Fields, index: Int) -> UsageStream? {
        let sources = ["events", "file", "generate"].compactMap { fields.entry($0) }
        guard sources.count == 1, let source = sources.first else {
            let message =
                sources.isEmpty
                ? "a usage stream needs one of `events`, `file` or `generate`"
                : "a usage stream has one of `events`, `file` or `generate`, not \(sources.map { "`\($0.key)`" }.joined(separator: " and "))"
            fields.sink.report(fields.path, message, at: fields.location)
            return nil
        }
        return sink.clean {
            switch source.key {
            case "events": readEvents(source.value).map(UsageStream.events)
            case "file": readFile(source.value)
            default: source.value.mapping { readGenerator($0, index: index) } ?? nil
            }
        }
    }

    /// Literal events. Payload values are kept as written, valid or not: the engine rejects bad
    /// ones at run time under Stripe's error codes, as Stripe would.
    func readEvents(_ value: YAMLValue) -> [MeterEvent]? {
        (value.list() ?? []).compactMap { eventValue in
            eventValue.mapping { fields -> MeterEvent? in
                fields.ignore(["object", "livemode"])
                let name = fields.required("event_name")?.string()
                let timestamp = fields.required("timestamp")?.instant()
                let payload = fields.required("payload")?.mapping { payload in
                    var result: [String: String] = [:]
                    for entry in payload.entries {
                        payload.ignore([entry.key])
                        guard case .scalar(let scalar) = entry.value.node else {
                            entry.value.error("payload values are strings, found \(entry.value.found)")
                            continue
                        }
                        result[entry.key] = scalar.string
                    }
                    return result
                }
                let identifier = fields.optional("identifier")?.identifier()
                let receivedAt = fields.optional("received_at")?.instant()
                guard let name, let timestamp, let payload else { return nil }
                return MeterEvent(eventName: name, timestamp: timestamp, identifier: identifier, payload: payload, receivedAt: receivedAt)
            } ?? nil
        }
    }

    /// A CSV or JSON Lines file, relative to the scenario's directory; it is read when the run starts.
    func readFile(_ value: YAMLValue) -> UsageStream? {
        guard let name = value.identifier() else { return nil }
        let resolved = name.hasPrefix("/") ? name : directory + name
        let fileName = name.split(separator: "/").last ?? ""
        let fileExtension = fileName.contains(".") ? fileName.split(separator: ".").last.map { $0.lowercased() } : nil
        let format: UsageFileFormat? =
            switch fileExtension {
            case "csv": .csv
            case "jsonl", "ndjson": .jsonl
            default: nil
            }
        if format == nil { value.error("cannot tell the format of \"\(name)\": name a .csv, .jsonl or .ndjson file") }
        var isDirectory: ObjCBool = false
        if !FileManager.default.fileExists(atPath: resolved, isDirectory: &isDirectory) || isDirectory.boolValue {
            value.error("no usage file at \(resolved) (paths are relative to the scenario's directory)")
        }
        return format.map { .file(path: resolved, format: $0, location: value.location) }
    }

    func readGenerator(_ fields: Fields, index: Int) -> UsageStream? {
        var meter: Meter?
        if let nameValue = fields.required("event_name"), let name = nameValue.identifier() {
            if let meterID = meterByEventName[name] {
                meter = meters.loaded.first { $0.id == meterID }
            } else {
                let known = meterByEventName.keys.sorted()
                nameValue.error(
                    "no meter has event_name `\(name)` "
                        + (known.isEmpty ? "(no meters are defined)" : "(event names: \(known.joined(separator: ", ")))"))
            }
        }
        var customerIDs: [String]?
        if let value = fields.required("customers") {
            if case .scalar(let scalar) = value.node, scalar.string == "all" {
                customerIDs = customers.order
            } else if case .sequence = value.node, let list = value.list() {
                if list.isEmpty { value.error("expected at least one customer id (or `all`)") }
                customerIDs = list.compactMap { customers.resolve($0)?.id }
            } else {
                value.error("expected a list of customer ids or `all`, found \(value.found)")
            }
        }
        let from = fields.required("from")?.instant()
        let toValue = fields.required("to")
        let to = toValue?.instant()
        if let from, let to, let toValue, to <= from { toValue.error("must be after from (\(from)); `to` is exclusive") }
        let arrivals = fields.required("arrivals")?.mapping { plugin(GeneratorRegistry.arrivals, $0, role: "arrivals") } ?? nil
        // A count meter ignores values, so `value` may be left out for one.
        let valueField = meter?.formula == .count ? fields.optional("value") : fields.required("value")
        var values: (any ValueDistribution)? = ConstantValue(value: Decimal12(1))
        if let valueField { values = valueField.mapping { plugin(GeneratorRegistry.values, $0, role: "value") } ?? nil }
        let seed = fields.read("seed", default: 0) { $0.parse("an integer seed from 0 to \(UInt64.max)") { UInt64($0) } }
        guard let meter, let customerIDs, let from, let to, let arrivals, let values, let seed else { return nil }
        return .generate(
            GeneratorSpec(
                eventName: meter.eventName, customerKey: meter.customerPayloadKey, valueKey: meter.valuePayloadKey, customers: customerIDs,
                from: from, to: to, arrivals: arrivals, values: values, seed: seed, identifierPrefix: "gen\(index)_"))
    }

    /// Builds a generator plugin from `{ kind: …, <parameters> }`. The plugin reads its own
    /// parameters; those it did not read are reported as unknown.
    func plugin<Plugin>(_ registry: [String: @Sendable (inout GeneratorParameters) throws -> Plugin], _ fields: Fields, role: String) -> Plugin? {
        let names = fields.entries.map(\.key)
        guard let kindValue = fields.required("kind"), let kind = kindValue.string() else {
            fields.ignore(names)
            return nil
        }
        guard let factory = registry[kind] else {
            kindValue.error("unknown \(role) kind `\(kind)` (known: \(registry.keys.sorted().joined(separator: ", ")))")
            fields.ignore(names)
            return nil
        }
        var values: [String: (text: String, location: SourceLocation)] = [:]
        for entry in fields.entries where entry.key != "kind" {
            if let text = entry.value.scalar(expecting: "a single value") { values[entry.key] = (text, entry.value.location) }
        }
        var parameters = GeneratorParameters(kind: kind, values: values, location: fields.location)
        do {
            let plugin = try factory(&parameters)
            fields.ignore(Array(parameters.used))
            return plugin
        } catch {
            // The plugin stops at its first problem, so parameters after it were never read: report
            // only that problem, not the unread parameters.
            fields.ignore(names)
            guard let problem = error as? GeneratorParameters.Problem else {
                fields.sink.report(fields.path, "\(error)", at: fields.location)
                return nil
            }
            // Plugins write "key: message"; put the key into the path.
            if let key = names.first(where: { problem.message.hasPrefix("\($0): ") }) {
                sink.report(fields.value.child(key), String(problem.message.dropFirst(key.count + 2)), at: problem.location)
            } else {
                sink.report(fields.path, problem.message, at: problem.location)
            }
            return nil
        }
    }

    // MARK: Timeline

    static let supportedActions = ["cancel_subscription", "preview_invoice"]
    static let futureActions = ["update_subscription", "cancel_meter_event"]

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
            case "cancel_subscription":
                parsed =
                    action.value.mapping { action in
                        let subscription = subscriptions.resolve(action.required("subscription"))
                        let invoiceNow = action.read("invoice_now", default: false) { $0.bool() }
                        let prorate = action.read("prorate", default: false) { $0.bool() }
                        guard let subscription, let invoiceNow, let prorate else { return nil }
                        return .cancelSubscription(subscription: subscription.id, invoiceNow: invoiceNow, prorate: prorate)
                    } ?? nil
            case "preview_invoice":
                parsed =
                    action.value.mapping { action in
                        let subscription = subscriptions.resolve(action.required("subscription"))
                        let name = action.optional("as").map { previews.declare($0) } ?? previews.declare("preview_\(index)", at: action.value)
                        guard let subscription, let name else { return nil }
                        return .previewInvoice(subscription: subscription.id, name: name)
                    } ?? nil
            default:
                sink.report(action.value.path, "\(action.key) is not supported yet", at: action.keyLocation)
                parsed = nil
            }
            guard let at, let parsed else { return nil }
            return TimelineEntry(at: at, action: parsed)
        }
    }

    // MARK: Expectations

    func readExpectation(_ fields: Fields, location: SourceLocation) -> Expectation {
        var expectation = Expectation(location: location)
        if let value = fields.optional("invoices"), let list = value.list() {
            let invoices = list.map { $0.expected() }
            for (index, invoice) in invoices.enumerated() {
                report(InvoiceDocument.problems(in: invoice, path: "expect.invoices[\(index)]"))
            }
            expectation.invoices = .list(invoices, value.location)
        }
        expectation.invoiceCount = fields.optional("invoice_count")?.int(0...Int64(Int32.max))
        if let value = fields.optional("previews"), let previewFields = value.fields() {
            for entry in previewFields.entries {
                if !previews.isDeclared(entry.key) {
                    sink.report(value.path, "no preview_invoice is named `\(entry.key)` \(previews.listing)", at: entry.keyLocation)
                }
                let expected = entry.value.expected()
                report(InvoiceDocument.problems(in: expected, path: entry.value.path))
                expectation.previews.append((entry.key, expected))
            }
        }
        if let value = fields.optional("meter_event_errors"), let errorFields = value.fields() {
            for entry in errorFields.entries {
                guard let code = MeterEventErrorCode(rawValue: entry.key) else {
                    let codes = MeterEventErrorCode.allCases.map(\.rawValue).joined(separator: ", ")
                    sink.report(value.path, "unknown meter event error code `\(entry.key)` (codes: \(codes))", at: entry.keyLocation)
                    continue
                }
                if let count = entry.value.int(0...Int64(Int32.max)) { expectation.meterEventErrors.append((code, count, entry.keyLocation)) }
            }
        }
        expectation.lateEvents = fields.optional("late_events")?.int(0...Int64(Int32.max))
        return expectation
    }

    func report(_ problems: [(location: SourceLocation, message: String)]) {
        for problem in problems { sink.report(problem.message, at: problem.location) }
    }
}
