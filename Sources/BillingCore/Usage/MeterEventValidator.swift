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
/// cache, customers by id to a dense index, and the identifiers of the last 24 hours only
/// (``RecentIdentifiers``: O(1) per event, memory proportional to the window, not to the run).
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
    /// What works out keys, and the customers by id (`keys.customers`), without the rest of the validator: the
    /// engine keeps a copy for its usage queries (reading the validator out of the engine to ask it copied all
    /// of it, ~1% of a run's CPU per query).
    let keys: EventKeys
    let window: EventWindow
    /// Identifiers of accepted events received in the last 24 hours.
    var recent = RecentIdentifiers()
    var generated: Int64 = 0
    /// What ``touch(_:)`` read, kept so that its loads are not optimized away.
    var touched: UInt64 = 0
    /// ``touch(_:)``'s slots to load, reused.
    var touchSlots: [(identifier: Int, customer: Int)] = []
    var lastEventName = ""
    var lastMeterIndex: Int?
    /// What was looked up for the values of a usage file's rows (``check(row:of:strings:receivedAt:sequence:)``).
    var rowLookups = RowLookups()

    public init(catalog: Catalog, customers: [String], window: EventWindow) {
        self.catalog = catalog
        rules = catalog.meters.map(Rule.init)
        keys = EventKeys(meters: catalog.meterIndex, meterIDs: catalog.meters.map(\.id), customers: CustomerIndex(customers))
        self.window = window
    }

    /// The run-local key of a (meter, customer) pair (see ``RecordedMeterEvent/key``), or `nil` when either is unknown.
    public func key(meter: String, customer: String) -> Int? { keys.key(meter: meter, customer: customer) }

    /// Loads the slots where the events' identifiers and customers will be looked up. The identifier
    /// table holds a day of identifiers (megabytes), so each lookup missed the cache (a sixth of a
    /// 5M-event CSV run); these loads do not depend on each other, so the processor waits for a run of
    /// them once, and the lookups that follow find their slots in cache. It changes nothing but timing.
    /// The slots are worked out first and loaded in a second, short loop, so that the loads of all the
    /// events are in flight together.
    mutating func touch(_ events: UnsafeBufferPointer<MeterEvent>) {
        let customerKey = lastMeterIndex.map { rules[$0].customerPayloadKey }
        touchSlots.removeAll(keepingCapacity: true)
        for index in events.indices {
            let identifier = events[index].identifier.map { recent.slot(of: $0) } ?? 0
            let customer = customerKey.flatMap { events[index].payload[$0] }.map { keys.customers.slot(of: $0) } ?? 0
            touchSlots.append((identifier, customer))
        }
        for slot in touchSlots { touched ^= recent.bits(at: slot.identifier) &+ keys.customers.bits(at: slot.customer) }
    }

    /// Readies ``rowLookups`` for a batch of rows, before its rows are checked.
    mutating func prepare(for rows: UsageRows, strings: UsageRowStrings) { rowLookups.prepare(for: rows, strings: strings, rules: rules) }

    /// ``touch(_:)`` for a usage file's rows: loads the identifier slots of `range` (customers are found
    /// through ``RowLookups``, a table the size of the file's distinct values).
    /// The slot seven after the first is loaded too: a probe that runs past the first slot's cache line
    /// (linear probing walks ~1.5–2.5 slots) missed the cache there, half of the identifier table's samples.
    mutating func touch(_ rows: UsageRows, _ range: Range<Int>) {
        for row in range {
            let slot = recent.slot(hash: rows.rows[row].identifierHash)
            touched ^= recent.bits(at: slot) &+ recent.bits(at: recent.slot(hash: UInt64(slot + 7)))
        }
    }

    /// Validates row `row` of a usage file received at `now`, as ``check(_:receivedAt:sequence:into:)`` validates
    /// the event it stands for (`strings`: the file's table of values, as ``UsageRowStrings`` holds it). An
    /// event that is accepted, or rejected as a duplicate, is decided from the row's numbers: its meter,
    /// customer and value were looked up once per distinct value of the file. Any other row is made into
    /// its ``MeterEvent`` and checked as one, so verdicts and messages are the same on both paths.
    mutating func check(
        row: Int, of rows: UsageRows, strings: UsageRowStrings, receivedAt now: Instant, sequence: Int64, into accepted: inout AcceptedEvents
    ) -> Rejection? {
        switch acceptedOrDuplicate(row: row, of: rows, strings: strings, receivedAt: now, sequence: sequence, into: &accepted) {
        case .accepted: nil
        case .rejected(let rejection): rejection
        case .undecided: check(rows.event(row, strings: strings.strings), receivedAt: now, sequence: sequence, into: &accepted)
        }
    }

    private enum RowVerdict {
        case accepted
        case rejected(Rejection)
        /// Neither accepted nor a duplicate: nothing was changed.
        case undecided
    }

    /// The verdict on a row when it is accepted (then appended to `accepted`) or a duplicate.
    private mutating func acceptedOrDuplicate(
        row: Int, of rows: UsageRows, strings: UsageRowStrings, receivedAt now: Instant, sequence: Int64, into accepted: inout AcceptedEvents
    ) -> RowVerdict {
        let fields = rows.rows[row]
        guard let meterIndex = rowLookups.meter(Int(fields.name), strings: strings, catalog: catalog) else { return .undecided }
        let meter = rowLookups.columns[meterIndex]
        guard meter.isActive else { return .undecided }
        let timestamp = fields.timestamp
        let (earliest, beforeAll) = now.seconds.subtractingReportingOverflow(window.past.seconds)
        let (latest, afterAll) = now.seconds.addingReportingOverflow(window.future.seconds)
        guard beforeAll || timestamp >= earliest, afterAll || timestamp <= latest else { return .undecided }
        let first = row * rows.payloadKeys.count
        guard meter.customer >= 0 else { return .undecided }
        let customerValue = Int(rows.cells[first + meter.customer])
        guard customerValue >= 0 else { return .undecided }
        if rowLookups.customers[customerValue] == RowLookups.unknown {
            rowLookups.lookUpCustomer(customerValue, strings: strings, index: keys.customers)
        }
        let customer = Int(rowLookups.customers[customerValue])
        guard customer >= 0 else { return .undecided }
        var value = Decimal12(1)
        if !meter.countsEvents {
            guard meter.value >= 0 else { return .undecided }
            let cell = Int(rows.cells[first + meter.value])
            guard cell >= 0 else { return .undecided }
            if rowLookups.parsed[cell] == 0 { rowLookups.parse(cell, strings: strings) }
            guard rowLookups.parsed[cell] == 1 else { return .undecided }
            value = rowLookups.values[cell]
        }
        if meter.hasDimensions {
            for column in rowLookups.dimensionColumns[meterIndex] where column < 0 || rows.cells[first + column] < 0 { return .undecided }
        }
        guard fields.flags & UsageRows.identifierGiven != 0 else { return .undecided }
        return rows.identifierBytes.withUnsafeBufferPointer { bytes in
            let identifier = UnsafeBufferPointer(rebasing: bytes[rows.identifierRange(row)])
            if let earlier = recent.receive(identifier, hash: fields.identifierHash, at: now, forgetting: now - Self.identifierWindow) {
                return .rejected(Self.duplicate(String(decoding: identifier, as: UTF8.self), earlier))
            }
            accepted.append(
                key: keys.key(meterIndex: meterIndex, customer: customer), timestamp: Instant(seconds: timestamp), sequence: sequence,
                value: value, identifier: identifier)
            return .accepted
        }
    }

    private static func duplicate(_ identifier: String, _ earlier: Instant) -> Rejection {
        Rejection(code: .duplicateMeterEvent, message: "A meter event with identifier \(identifier) was already received at \(earlier).")
    }

    /// Validates one event received at `now`; on acceptance records its identifier.
    public mutating func validate(_ event: MeterEvent, receivedAt now: Instant, sequence: Int64) -> Result<RecordedMeterEvent, MeterEventRejection> {
        var accepted = AcceptedEvents(keys: keys)
        if let rejection = check(event, receivedAt: now, sequence: sequence, into: &accepted) {
            return .failure(MeterEventRejection(code: rejection.code, message: rejection.message, event: event))
        }
        return .success(accepted[0])
    }

    /// Why an event is rejected: small, so the per-event path copies little.
    public struct Rejection: Sendable {
        public var code: MeterEventErrorCode
        public var message: String
    }

    /// ``validate(_:receivedAt:sequence:)`` without building a rejection that carries the event: an
    /// accepted event is appended to `accepted`.
    mutating func check(_ event: MeterEvent, receivedAt now: Instant, sequence: Int64, into accepted: inout AcceptedEvents) -> Rejection? {
        func reject(_ code: MeterEventErrorCode, _ message: String) -> Rejection? { Rejection(code: code, message: message) }
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
        // A window reaching past Int64 has no bound on that side (no overflow, whatever the settings).
        let (earliest, beforeAll) = now.seconds.subtractingReportingOverflow(window.past.seconds)
        if !beforeAll, event.timestamp.seconds < earliest {
            return reject(.timestampTooFarInPast, "Timestamp \(event.timestamp) is more than \(window.past) before \(now).")
        }
        let (latest, afterAll) = now.seconds.addingReportingOverflow(window.future.seconds)
        if !afterAll, event.timestamp.seconds > latest {
            return reject(.timestampInFuture, "Timestamp \(event.timestamp) is more than \(window.future) after \(now).")
        }
        guard let customer = event.payload[meter.customerPayloadKey] else {
            return reject(.noCustomerDefined, "Customer mapping key \(meter.customerPayloadKey) not found in payload.")
        }
        guard let customerPosition = keys.customers[customer] else {
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
            if let earlier = recent.receive(given, at: now, forgetting: now - Self.identifierWindow) { return Self.duplicate(given, earlier) }
            identifier = given
        } else {
            generated += 1
            identifier = "mevt_generated_\(generated)"
        }
        accepted.append(
            key: keys.key(meterIndex: meterIndex, customer: customerPosition), timestamp: event.timestamp, sequence: sequence, value: value,
            identifier: identifier)
        return nil
    }
}

/// What ``MeterEventValidator`` looked up for each value of a usage file's table (``UsageRows``): the
/// meter of an event name, the customer of a customer id, the number a value parses to; and, per meter,
/// which payload columns hold its keys. Each is looked up the first time a row needs it.
///
/// A row reads plain numbers here (the per-meter facts included, rather than the meter's class instance):
/// a lookup that passed the validator's other fields along, or a meter read from `rules`, retained and
/// released on every row, 5% of a 5M-row CSV run's CPU (perf, `billsim bench --sources csv`).
struct RowLookups: Sendable {
    static let unknown: Int32 = -2

    /// Per meter, what a row of the file needs from it.
    struct MeterColumns: Sendable {
        /// The payload columns of its customer key and value key (-1: the file has none).
        var customer: Int
        var value: Int
        var isActive: Bool
        /// `count`: each event counts 1, whatever its value.
        var countsEvents: Bool
        var hasDimensions: Bool
    }

    /// ``UsageRowStrings/generation`` these entries are for, and the payload keys the columns are for.
    var generation = -1
    var payloadKeys: [String] = []
    /// Per value: meter or customer position, -1 for none, ``unknown`` when not looked up yet.
    var meters: [Int32] = []
    var customers: [Int32] = []
    /// Per value: its number, when it parses (`parsed`: 1, or 2 when it does not, 0 when not tried yet).
    var values: [Decimal12] = []
    var parsed: [UInt8] = []
    var columns: [MeterColumns] = []
    /// Per meter: the payload columns of its dimension keys (-1: the file has none).
    var dimensionColumns: [[Int]] = []

    /// Drops what no longer holds (the table restarted, another file) and makes room for the batch's new values.
    mutating func prepare(for rows: UsageRows, strings: UsageRowStrings, rules: [MeterEventValidator.Rule]) {
        if generation != strings.generation || payloadKeys != rows.payloadKeys {
            if payloadKeys != rows.payloadKeys {
                payloadKeys = rows.payloadKeys
                func column(_ key: String) -> Int { rows.payloadKeys.firstIndex(of: key) ?? -1 }
                columns = rules.map { rule in
                    MeterColumns(
                        customer: column(rule.customerPayloadKey), value: column(rule.valuePayloadKey), isActive: rule.isActive,
                        countsEvents: rule.formula == .count, hasDimensions: !rule.dimensionPayloadKeys.isEmpty)
                }
                dimensionColumns = rules.map { $0.dimensionPayloadKeys.map(column) }
            }
            generation = strings.generation
            (meters, customers, values, parsed) = ([], [], [], [])
        }
        let added = strings.strings.count - meters.count
        guard added > 0 else { return }
        meters.append(contentsOf: repeatElement(Self.unknown, count: added))
        customers.append(contentsOf: repeatElement(Self.unknown, count: added))
        values.append(contentsOf: repeatElement(.zero, count: added))
        parsed.append(contentsOf: repeatElement(0, count: added))
    }

    mutating func meter(_ value: Int, strings: UsageRowStrings, catalog: Catalog) -> Int? {
        if meters[value] == Self.unknown { meters[value] = Int32(catalog.metersByEventName[strings.strings[value]] ?? -1) }
        return meters[value] >= 0 ? Int(meters[value]) : nil
    }

    /// Looks up value `value` as a customer id (the first time a row names it).
    mutating func lookUpCustomer(_ value: Int, strings: UsageRowStrings, index: CustomerIndex) {
        customers[value] = Int32(index[strings.strings[value]] ?? -1)
    }

    /// Parses value `value` as a number (the first time a row needs it).
    mutating func parse(_ value: Int, strings: UsageRowStrings) {
        if case .success(let number) = Decimal12.parse(strings.strings[value]) {
            (values[value], parsed[value]) = (number, 1)
        } else {
            parsed[value] = 2
        }
    }
}

/// The run-local keys of (meter, customer) pairs (``RecordedMeterEvent/key``).
struct EventKeys: Sendable {
    let meters: [String: Int]
    /// The meters' ids by position (the catalog's order).
    let meterIDs: [String]
    let customers: CustomerIndex

    func key(meter: String, customer: String) -> Int? {
        guard let meterIndex = meters[meter], let customer = customers[customer] else { return nil }
        return key(meterIndex: meterIndex, customer: customer)
    }

    /// The key of the meter and customer at these positions of the catalog's meters and the customers.
    /// (The customers' count is their list's, repeated ids included: positions stay below it.)
    func key(meterIndex: Int, customer: Int) -> Int { meterIndex * customers.ids.count + customer }

    /// The ids of the meter and customer whose pair has key `key`.
    func names(of key: Int) -> (meter: String, customer: String) {
        let (meterIndex, customer) = key.quotientAndRemainder(dividingBy: customers.ids.count)
        return (meterIDs[meterIndex], customers.ids[customer])
    }
}
