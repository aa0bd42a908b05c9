import BillingCore
import BillingDocument
import Foundation
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
        let (scenario, sink) = read(yaml: yaml, path: path)
        guard sink.isEmpty, let scenario else {
            return .failure(ScenarioLoadError(path: path, diagnostics: sink.diagnostics))
        }
        return .success(scenario)
    }

    /// The scenario (when the file has no problems) and the sink with the file's diagnostics and
    /// the fields each Stripe object's reader looked at.
    static func read(yaml: String, path: String) -> (Scenario?, DiagnosticSink) {
        let sink = DiagnosticSink(file: path, text: yaml)
        let root: Node?
        do {
            root = try Yams.compose(yaml: yaml)
        } catch {
            reportSyntaxError(error, yaml: yaml, sink: sink)
            return (nil, sink)
        }
        guard let root else {
            sink.report("the file is empty; a scenario needs at least `name` and `clock`", at: SourceLocation(file: path, line: 1, column: 1))
            return (nil, sink)
        }
        let reader = ScenarioReader(path: path, sink: sink)
        return (reader.read(YAMLValue(node: root, path: "", sink: sink)), sink)
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

    /// The loaded object `id`, if any (no report).
    func resolve(id: String) -> Object? { objects[id] }

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
    var defaultBillingMode = BillingModeSetting(type: .flexible)
    var meters = Registry<Meter>(kind: "meter", plural: "meters")
    /// Event name → the meter that declares it.
    var meterByEventName: [String: String] = [:]
    var products = Registry<Product>(kind: "product", plural: "products")
    var prices = Registry<Price>(kind: "price", plural: "prices")
    var coupons = Registry<Coupon>(kind: "coupon", plural: "coupons")
    var creditGrants = Registry<CreditGrant>(kind: "credit grant", plural: "credit grants")
    var taxRates = Registry<TaxRate>(kind: "tax rate", plural: "tax rates")
    var customers = Registry<Customer>(kind: "customer", plural: "customers")
    var subscriptions = Registry<Subscription>(kind: "subscription", plural: "subscriptions")
    var subscriptionItems = Registry<Bool>(kind: "subscription item", plural: "subscription items")
    var previews = Registry<Bool>(kind: "preview", plural: "previews")
    /// `settings.limits` (read before the sections it bounds).
    var limits = RunLimits()
    /// Where each subscription is defined, for the limits' reports.
    var subscriptionLocations: [String: SourceLocation] = [:]
    /// The expected events of the `generate:` streams read so far.
    var generatedEvents = 0.0
    /// Each customer's default payment method as the timeline's attach/detach entries read so far leave it.
    var customerPaymentMethods: [String: String?] = [:]
    /// Invoices a `void_invoice` of the timeline voids, where (no later action can name them).
    var voidedInvoices: [String: SourceLocation] = [:]
    /// Each subscription's items as the timeline read so far changes them.
    var subscriptionStates: [String: TimelineSubscription] = [:]
    /// Customers without a `currency`: the subscription whose currency fixed theirs, and that currency.
    var currencyByCustomer: [String: (subscription: String, currency: Currency)] = [:]
    var variants = Registry<Bool>(kind: "variant", plural: "variants")
    /// Customers made by `customers: - generate:`, in order (`subscriptions: - generate: { customers: generated }`).
    var generatedCustomers: [String] = []
    /// How many `customers: - generate:` entries were read (with or without problems).
    var customerPopulations = 0
    /// Subscriptions that name their billing mode (a variant's `settings.billing_mode` leaves them as they are).
    var explicitBillingMode: Set<String> = []

    init(path: String, sink: DiagnosticSink) {
        self.path = path
        self.sink = sink
        directory = path.lastIndex(of: "/").map { String(path[...$0]) } ?? ""
    }

    // MARK: Top level

    func read(_ root: YAMLValue) -> Scenario? {
        root.mapping { top -> Scenario? in
            top.apply(FormatFields.scenario)
            let name = top.required("name")?.string()
            let description = top.optional("description")?.string()?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
            let tags = top.optional("tags")?.list()?.compactMap { $0.string() } ?? []
            clock = top.required("clock")?.mapping(readClock) ?? nil
            let settings = top.optional("settings")?.mapping { readSettings($0) } ?? EngineSettings()
            readEach(top.optional("meters"), readMeter) { meters.store($0, for: $0.id) }
            readEach(top.optional("products"), readProduct) { products.store($0, for: $0.id) }
            readEach(top.optional("prices"), readPrice) { prices.store($0, for: $0.id) }
            readEach(top.optional("coupons"), readCoupon) { coupons.store($0, for: $0.id) }
            readEach(top.optional("tax_rates"), readTaxRate) { taxRates.store($0, for: $0.id) }
            readEach(top.optional("customers"), readCustomers) { for customer in $0 { customers.store(customer, for: customer.id) } }
            readEach(top.optional("subscriptions"), readSubscriptions) {
                for subscription in $0 { subscriptions.store(subscription, for: subscription.id) }
            }
            // After the customers and subscriptions: a grant names its customer and is in its currency.
            readEach(top.optional("credit_grants"), readCreditGrant) { creditGrants.store($0, for: $0.id) }
            let usage = (top.optional("usage")?.list() ?? []).enumerated().compactMap { index, stream in
                stream.mapping { readUsage($0, index: index) } ?? nil
            }
            let timeline = (top.optional("timeline")?.list() ?? []).enumerated().compactMap { index, entry in
                entry.mapping { readTimelineEntry($0, index: index) } ?? nil
            }
            let catalog = Catalog(
                meters: meters.loaded, products: products.loaded, prices: prices.loaded, coupons: coupons.loaded, taxRates: taxRates.loaded,
                creditGrants: creditGrants.loaded)
            let simulation = Simulation(
                clockStart: clock?.start ?? Instant(seconds: 0), clockUntil: clock?.until ?? Instant(seconds: 0), catalog: catalog,
                customers: customers.loaded, subscriptions: subscriptions.loaded, timeline: timeline, settings: settings)
            let variants = readVariants(top.optional("variants"), base: simulation)
            let expectLocation = top.entry("expect")?.keyLocation ?? SourceLocation(file: path, line: 1, column: 1)
            let expectation =
                top.optional("expect").flatMap { readExpectSection($0, location: expectLocation) } ?? Expectation(location: expectLocation)

            if let clock, sink.isEmpty {
                checkPeriods(subscriptions.loaded, prices: Dictionary(prices.loaded.map { ($0.id, $0) }) { first, _ in first }, until: clock.until)
            }
            guard let name, clock != nil, sink.isEmpty else { return nil }
            return Scenario(
                path: path, name: name, description: description, tags: tags, simulation: simulation, usage: usage, expectation: expectation,
                variants: variants)
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

    /// `settings`: the keys written replace those of `base` (a variant's settings patch the scenario's).
    func readSettings(_ fields: Fields, base: EngineSettings = EngineSettings()) -> EngineSettings {
        fields.apply(FormatFields.settings)
        var settings = base
        if let mode = fields.optional("billing_mode").flatMap(readBillingMode) { defaultBillingMode = mode }
        if let value = fields.optional("finalization_grace"), let grace = value.duration() {
            if grace > .hours(72) { value.error("must be at most 72h (Stripe's limit), found \(grace)") }
            settings.finalizationGrace = grace
        }
        if let value = fields.optional("limits") { limits = value.mapping(readLimits) ?? RunLimits() }
        if let value = fields.optional("payment_retries"), let retries = value.mapping(readPaymentRetries) ?? nil {
            settings.paymentRetries = retries
        }
        if let value = fields.optional("event_window") {
            settings.eventWindow =
                value.mapping { window in
                    EventWindow(past: window.optional("past")?.duration() ?? .days(35), future: window.optional("future")?.duration() ?? .minutes(5))
                } ?? EventWindow()
        }
        return settings
    }

    /// `flexible`, `classic`, or Stripe's `{ type: flexible, flexible: { proration_discounts: included | itemized } }`.
    func readBillingMode(_ value: YAMLValue) -> BillingModeSetting? {
        guard case .mapping = value.node else { return value.oneOf(BillingMode.self).map { BillingModeSetting(type: $0) } }
        return value.mapping { mode in
            mode.ignore(["updated_at"])  // when the mode last changed.
            // Stripe's options for flexible mode: how proration lines show their discounts (Docs/ENGINE-RULES.md).
            var discounts: ProrationDiscounts? = .included
            let options = mode.optional("flexible")
            if let options {
                discounts = options.mapping { $0.read("proration_discounts", default: .included) { $0.oneOf(ProrationDiscounts.self) } } ?? nil
            }
            guard let type = mode.required("type")?.oneOf(BillingMode.self), let discounts else { return nil }
            if let options, type != .flexible { options.error("only a flexible billing mode has these options (type is \(type.rawValue))") }
            return BillingModeSetting(type: type, prorationDiscounts: discounts)
        } ?? nil
    }
}

/// A `billing_mode` as a scenario writes it: its type and, for `flexible`, its `proration_discounts`.
struct BillingModeSetting: Sendable, Hashable {
    var type: BillingMode
    var prorationDiscounts: ProrationDiscounts = .included
}
