/// A meter event as sent to Stripe, plus when it reaches billing.
public struct MeterEvent: Sendable, Hashable {
    public var eventName: String
    public var timestamp: Instant
    /// Optional; one is generated when omitted.
    public var identifier: String?
    /// String → string, holding the customer key, the value key and any dimension keys.
    public var payload: MeterEventPayload
    /// When the event reaches billing; `nil` means at its `timestamp`.
    public var receivedAt: Instant?

    public init(eventName: String, timestamp: Instant, identifier: String? = nil, payload: MeterEventPayload, receivedAt: Instant? = nil) {
        self.eventName = eventName
        self.timestamp = timestamp
        self.identifier = identifier
        self.payload = payload
        self.receivedAt = receivedAt
    }

    /// An event whose payload comes from a dictionary (entries sorted by key).
    public init(eventName: String, timestamp: Instant, identifier: String? = nil, payload: [String: String], receivedAt: Instant? = nil) {
        self.init(eventName: eventName, timestamp: timestamp, identifier: identifier, payload: MeterEventPayload(payload), receivedAt: receivedAt)
    }

    /// The clock time at which the event is received.
    public var arrival: Instant { receivedAt ?? timestamp }
}

/// An accepted event, resolved to its meter and customer, as stores keep it.
public struct RecordedMeterEvent: Sendable, Hashable {
    public var meter: String
    public var customer: String
    /// A dense, run-local number for the (meter, customer) pair: equal pairs have equal keys and
    /// different pairs different keys, so a store may index by it instead of hashing the strings.
    public var key: Int
    public var timestamp: Instant
    /// Position in receipt order across the run: breaks `last` ties (the later received wins).
    public var sequence: Int64
    /// The value; 1 for each event of a `count` meter.
    public var value: Decimal12
    public var identifier: String

    public init(meter: String, customer: String, key: Int, timestamp: Instant, sequence: Int64, value: Decimal12, identifier: String) {
        self.meter = meter
        self.customer = customer
        self.key = key
        self.timestamp = timestamp
        self.sequence = sequence
        self.value = value
        self.identifier = identifier
    }
}

/// Stripe's meter event error codes (BILLING-SEMANTICS §2.6).
public enum MeterEventErrorCode: String, Sendable, Hashable, CaseIterable, Comparable {
    case noMeter = "no_meter"
    case archivedMeter = "archived_meter"
    case timestampTooFarInPast = "timestamp_too_far_in_past"
    case timestampInFuture = "timestamp_in_future"
    case noCustomerDefined = "meter_event_no_customer_defined"
    case customerNotFound = "meter_event_customer_not_found"
    case valueNotFound = "meter_event_value_not_found"
    case invalidValue = "meter_event_invalid_value"
    case valueTooManyDigits = "meter_event_value_too_many_digits"
    case missingDimensionPayloadKeys = "missing_dimension_payload_keys"
    case duplicateMeterEvent = "duplicate_meter_event"

    public static func < (lhs: Self, rhs: Self) -> Bool { lhs.rawValue < rhs.rawValue }
}

/// A rejected event with Stripe's code and message.
public struct MeterEventRejection: Sendable, Hashable, Error {
    public var code: MeterEventErrorCode
    public var message: String
    public var event: MeterEvent

    public init(code: MeterEventErrorCode, message: String, event: MeterEvent) {
        self.code = code
        self.message = message
        self.event = event
    }
}

/// A usage aggregation request: one meter, one customer, one period.
public struct UsageQuery: Sendable, Hashable {
    public var meter: String
    public var customer: String
    /// The pair's run-local key, as on ``RecordedMeterEvent/key``.
    public var key: Int
    public var formula: AggregationFormula
    public var period: Period

    public init(meter: String, customer: String, key: Int, formula: AggregationFormula, period: Period) {
        self.meter = meter
        self.customer = customer
        self.key = key
        self.formula = formula
        self.period = period
    }
}
