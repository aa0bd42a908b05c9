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
public struct MeterEventValidator: Sendable {
    public static let identifierWindow = TimeSpan.days(1)

    let catalog: Catalog
    let customers: Set<String>
    let window: EventWindow
    /// Identifier → when the accepted event carrying it was received.
    var seen: [String: Instant] = [:]
    var insertionsSincePrune = 0
    var generated: Int64 = 0

    public init(catalog: Catalog, customers: Set<String>, window: EventWindow) {
        self.catalog = catalog
        self.customers = customers
        self.window = window
    }

    /// Validates one event received at `now`; on acceptance records its identifier.
    public mutating func validate(_ event: MeterEvent, receivedAt now: Instant, sequence: Int64) -> Result<RecordedMeterEvent, MeterEventRejection> {
        func reject(_ code: MeterEventErrorCode, _ message: String) -> Result<RecordedMeterEvent, MeterEventRejection> {
            .failure(MeterEventRejection(code: code, message: message, event: event))
        }
        guard let meterIndex = catalog.metersByEventName[event.eventName] else {
            return reject(.noMeter, "No meter was found matching event_name \(event.eventName).")
        }
        let meter = catalog.meters[meterIndex]
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
        guard customers.contains(customer) else {
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
        let missing = meter.dimensionPayloadKeys.filter { event.payload[$0] == nil }
        if !missing.isEmpty {
            return reject(.missingDimensionPayloadKeys, "Missing dimension payload keys: \(missing.joined(separator: ", ")).")
        }
        let identifier: String
        if let given = event.identifier {
            if let previous = seen[given], now - previous < Self.identifierWindow.seconds {
                return reject(.duplicateMeterEvent, "A meter event with identifier \(given) was already received at \(previous).")
            }
            identifier = given
        } else {
            generated += 1
            identifier = "mevt_generated_\(generated)"
        }
        seen[identifier] = now
        insertionsSincePrune += 1
        if insertionsSincePrune >= 65_536 { prune(now: now) }
        return .success(RecordedMeterEvent(meter: meter.id, customer: customer, timestamp: event.timestamp, sequence: sequence, value: value, identifier: identifier))
    }

    /// Forgets identifiers older than the uniqueness window, so memory follows the window, not the run.
    mutating func prune(now: Instant) {
        insertionsSincePrune = 0
        let cutoff = now.seconds - Self.identifierWindow.seconds
        seen = seen.filter { $0.value.seconds > cutoff }
    }
}
