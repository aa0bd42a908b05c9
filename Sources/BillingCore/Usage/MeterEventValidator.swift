/// Acceptance windows for meter event timestamps, measured from the moment an event is received.
public struct EventWindow: Sendable, Hashable {
    public var past: TimeSpan
    public var future: TimeSpan

    public init(past: TimeSpan = .days(35), future: TimeSpan = .minutes(5)) {
        self.past = past
        self.future = future
    }
}

/// Validates meter events in receipt order, with Stripe's codes, and de-duplicates identifiers
/// within 24 hours of clock time (Docs/ENGINE-RULES.md, "Meter events").
///
/// It runs once per event, so it keeps its lookups cheap: meters by event name with a one-entry
/// cache, customers by id to a dense index, and one identifier table that is pruned of entries
/// older than the window whenever it has doubled since the last pruning (amortized O(1) per event,
/// memory proportional to the events of the last 24 hours).
public struct MeterEventValidator: Sendable {
    public static let identifierWindow = TimeSpan.days(1)

    /// A meter's fields as the validator reads them, shared rather than copied per event.
    final class Rule: Sendable {
        let id: String
        let isActive: Bool
        let formula: AggregationFormula
        let customerPayloadKey: String
        let valuePayloadKey: String
        let dimensionPayloadKeys: [String]

        init(_ meter: Meter) {
            id = meter.id
            isActive = meter.isActive
            formula = meter.formula
            customerPayloadKey = meter.customerPayloadKey
            valuePayloadKey = meter.valuePayloadKey
            dimensionPayloadKeys = meter.dimensionPayloadKeys
        }
    }

    let catalog: Catalog
    let rules: [Rule]
    let customerIndex: [String: Int]
    let window: EventWindow
    /// Identifier → when the accepted event carrying it was received.
    var seen: [String: Instant] = [:]
    /// Prune `seen` when it grows past this.
    var pruneAt = 65_536
    var generated: Int64 = 0
    var lastEventName = ""
    var lastMeterIndex: Int?

    public init(catalog: Catalog, customers: [String], window: EventWindow) {
        self.catalog = catalog
        rules = catalog.meters.map(Rule.init)
        customerIndex = Dictionary(customers.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        self.window = window
    }

    /// The run-local key of a (meter, customer) pair (see ``RecordedMeterEvent/key``), or `nil` when either is unknown.
    public func key(meter: String, customer: String) -> Int? {
        guard let meterIndex = catalog.meterIndex[meter], let customer = customerIndex[customer] else { return nil }
        return meterIndex * customerIndex.count + customer
    }

    /// Validates one event received at `now`; on acceptance records its identifier.
    public mutating func validate(_ event: MeterEvent, receivedAt now: Instant, sequence: Int64) -> Result<RecordedMeterEvent, MeterEventRejection> {
        func reject(_ code: MeterEventErrorCode, _ message: String) -> Result<RecordedMeterEvent, MeterEventRejection> {
            .failure(MeterEventRejection(code: code, message: message, event: event))
        }
        let meterIndex: Int
        if let cached = lastMeterIndex, event.eventName == lastEventName {
            meterIndex = cached
        } else {
            guard let found = catalog.metersByEventName[event.eventName] else {
                return reject(.noMeter, "No meter was found matching event_name \(event.eventName).")
            }
            (lastEventName, lastMeterIndex, meterIndex) = (event.eventName, found, found)
        }
        let meter = rules[meterIndex]
        guard meter.isActive else { return reject(.archivedMeter, "Meter \(meter.id) is inactive.") }
        if event.timestamp < now - window.past {
            return reject(.timestampTooFarInPast, "Timestamp \(event.timestamp) is more than \(window.past) before \(now).")
        }
        if event.timestamp > now + window.future {
            return reject(.timestampInFuture, "Timestamp \(event.timestamp) is more than \(window.future) after \(now).")
        }
        guard let customer = event.payload[meter.customerPayloadKey] else {
            return reject(.noCustomerDefined, "Customer mapping key \(meter.customerPayloadKey) not found in payload.")
        }
        guard let customerIndex = customerIndex[customer] else {
            return reject(.customerNotFound, "No customer \(customer).")
        }
        var value = Decimal12(1)
        if meter.formula != .count {
            guard let text = event.payload[meter.valuePayloadKey] else {
                return reject(.valueNotFound, "Value key \(meter.valuePayloadKey) not found in payload.")
            }
            switch Decimal12.parse(text) {
            case .success(let parsed): value = parsed
            case .failure(.invalid): return reject(.invalidValue, "Value \"\(text)\" is not a number.")
            case .failure(.tooManyDigits):
                return reject(.valueTooManyDigits, "Value \"\(text)\" has more than 12 decimal places or 24 integer digits.")
            }
        }
        if meter.dimensionPayloadKeys.contains(where: { event.payload[$0] == nil }) {
            let missing = meter.dimensionPayloadKeys.filter { event.payload[$0] == nil }
            return reject(.missingDimensionPayloadKeys, "Missing dimension payload keys: \(missing.joined(separator: ", ")).")
        }
        let identifier: String
        if let given = event.identifier {
            if let earlier = seen.updateValue(now, forKey: given), now - earlier < Self.identifierWindow.seconds {
                seen[given] = earlier  // the rejected event does not register its identifier
                return reject(.duplicateMeterEvent, "A meter event with identifier \(given) was already received at \(earlier).")
            }
            if seen.count >= pruneAt { prune(now: now) }
            identifier = given
        } else {
            generated += 1
            identifier = "mevt_generated_\(generated)"
        }
        return .success(
            RecordedMeterEvent(
                meter: meter.id, customer: customer, key: meterIndex * self.customerIndex.count + customerIndex, timestamp: event.timestamp,
                sequence: sequence, value: value, identifier: identifier))
    }

    /// Forgets identifiers received 24 hours or more before `now`; the next pruning waits until the
    /// table has doubled again.
    mutating func prune(now: Instant) {
        let cutoff = now.seconds - Self.identifierWindow.seconds
        seen = seen.filter { $0.value.seconds > cutoff }
        pruneAt = max(65_536, 2 * seen.count)
        seen.reserveCapacity(pruneAt)
    }
}
