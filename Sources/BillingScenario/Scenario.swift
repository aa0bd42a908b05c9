import BillingCore
import BillingDocument

/// A loaded, validated scenario: the simulation, its usage streams and what the run must produce.
public struct Scenario: Sendable {
    /// The file it came from, as given.
    public var path: String
    public var name: String
    public var description: String
    public var tags: [String]
    public var simulation: Simulation
    /// Usage streams in `usage:` order.
    public var usage: [UsageStream]
    public var expectation: Expectation
    /// `variants:`, each the base simulation with its patch applied (`billsim compare`).
    public var variants: [ScenarioVariant]

    public init(
        path: String, name: String, description: String, tags: [String], simulation: Simulation, usage: [UsageStream], expectation: Expectation,
        variants: [ScenarioVariant] = []
    ) {
        self.variants = variants
        self.path = path
        self.name = name
        self.description = description
        self.tags = tags
        self.simulation = simulation
        self.usage = usage
        self.expectation = expectation
    }
}

/// One entry of `variants:`: the same customers, usage and timeline with a changed plan.
public struct ScenarioVariant: Sendable {
    public var name: String
    public var description: String
    /// The base simulation with the variant's prices, price replacements and settings applied.
    public var simulation: Simulation
    public var location: SourceLocation

    public init(name: String, description: String, simulation: Simulation, location: SourceLocation) {
        self.name = name
        self.description = description
        self.simulation = simulation
        self.location = location
    }
}

/// `expect.variants.<name>`: what `billsim compare` checks for one variant.
public struct VariantExpectation: Sendable {
    public var name: String
    /// The sum of the totals of every invoice the variant generates.
    public var total: Int64?
    public var invoiceCount: Int?
    public var invoices: Expected?
    public var location: SourceLocation

    public init(name: String, total: Int64? = nil, invoiceCount: Int? = nil, invoices: Expected? = nil, location: SourceLocation) {
        self.name = name
        self.total = total
        self.invoiceCount = invoiceCount
        self.invoices = invoices
        self.location = location
    }
}

/// One entry of `usage:`.
public enum UsageStream: Sendable {
    /// Literal events written in the scenario.
    case events([MeterEvent])
    /// A CSV or JSON Lines file (resolved path), read when the run starts.
    case file(path: String, format: UsageFileFormat, location: SourceLocation)
    /// A seeded synthetic stream.
    case generate(GeneratorSpec)
}

/// The format of a usage file, by extension (`.csv`, `.jsonl`/`.ndjson`).
public enum UsageFileFormat: String, Sendable, Hashable {
    case csv, jsonl
}

/// A `generate:` stream: events for each customer from `from` (inclusive) to `to` (exclusive).
public struct GeneratorSpec: Sendable {
    public var eventName: String
    /// Payload key for the customer id (the meter's `customer_mapping.event_payload_key`).
    public var customerKey: String
    /// Payload key for the value (the meter's `value_settings.event_payload_key`).
    public var valueKey: String
    public var customers: [String]
    public var from: Instant
    public var to: Instant
    public var arrivals: any ArrivalProcess
    public var values: any ValueDistribution
    public var seed: UInt64
    /// Identifiers are `<prefix><n>`; the parser uses `gen<stream index>_`.
    public var identifierPrefix: String

    public init(
        eventName: String, customerKey: String, valueKey: String, customers: [String], from: Instant, to: Instant, arrivals: any ArrivalProcess,
        values: any ValueDistribution, seed: UInt64, identifierPrefix: String
    ) {
        self.eventName = eventName
        self.customerKey = customerKey
        self.valueKey = valueKey
        self.customers = customers
        self.from = from
        self.to = to
        self.arrivals = arrivals
        self.values = values
        self.seed = seed
        self.identifierPrefix = identifierPrefix
    }
}

/// What a run must produce (`expect:`). Every part is optional.
public struct Expectation: Sendable {
    /// `expect.invoices`: a list, compared in creation order.
    public var invoices: Expected?
    public var invoiceCount: Int?
    /// `expect.previews`, by name (a mapping per preview).
    public var previews: [(name: String, expected: Expected)]
    /// `expect.meter_event_errors`: code → count; codes not listed are not compared.
    public var meterEventErrors: [(code: MeterEventErrorCode, count: Int, location: SourceLocation)]
    public var lateEvents: Int?
    /// `expect.subscriptions`: subscription id → its expected fields.
    public var subscriptions: [(id: String, expected: Expected)] = []
    /// `expect.customers`: customer id → its expected fields.
    public var customers: [(id: String, expected: Expected)] = []
    /// `expect.credit_grants`: credit grant id → its expected fields (`available`).
    public var creditGrants: [(id: String, expected: Expected)] = []
    /// `expect.variants`, checked by `billsim compare` (not by `run`).
    public var variants: [VariantExpectation] = []
    /// What the report says once about the expectations: the fields of invoices pasted from Stripe that
    /// billsim does not model, and the ids Stripe generated (``StripeExpectation/notes(for:)``); neither is compared.
    public var notes: [String] = []
    /// Where `expect:` is (or the top of the file).
    public var location: SourceLocation

    public init(
        invoices: Expected? = nil, invoiceCount: Int? = nil, previews: [(name: String, expected: Expected)] = [],
        meterEventErrors: [(code: MeterEventErrorCode, count: Int, location: SourceLocation)] = [], lateEvents: Int? = nil,
        location: SourceLocation
    ) {
        self.invoices = invoices
        self.invoiceCount = invoiceCount
        self.previews = previews
        self.meterEventErrors = meterEventErrors
        self.lateEvents = lateEvents
        self.location = location
    }
}
