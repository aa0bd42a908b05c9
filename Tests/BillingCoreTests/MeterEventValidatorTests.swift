import BillingCore
import Testing

/// Meter event validation in the documented order (ENGINE-RULES "Meter events" table; Decisions 6 and 8).
@Suite("MeterEventValidator")
struct MeterEventValidatorTests {
    static let catalog = Catalog(
        meters: [
            Meter(id: "mtr_sum", eventName: "api_calls", formula: .sum),
            Meter(id: "mtr_count", eventName: "logins", formula: .count),
            Meter(id: "mtr_last", eventName: "seats", formula: .last),
            Meter(id: "mtr_old", eventName: "old_calls", formula: .sum, isActive: false),
            Meter(id: "mtr_dim", eventName: "dim_calls", formula: .sum, dimensionPayloadKeys: ["region", "model"]),
            Meter(id: "mtr_keys", eventName: "custom_keys", formula: .sum, customerPayloadKey: "account", valuePayloadKey: "qty"),
        ],
        products: [], prices: [])

    /// The clock at which events are received in these tests: 2026-01-15T12:00:00Z.
    static let now = Instant(year: 2026, month: 1, day: 15, hour: 12)

    static func validator() -> MeterEventValidator {
        MeterEventValidator(catalog: catalog, customers: ["cus_a", "cus_b"], window: EventWindow())
    }

    static func event(
        _ name: String = "api_calls", at timestamp: Instant = now, id: String? = nil,
        _ payload: [String: String] = ["stripe_customer_id": "cus_a", "value": "1"]
    ) -> MeterEvent {
        MeterEvent(eventName: name, timestamp: timestamp, identifier: id, payload: payload)
    }

    /// An `api_calls` event (sum meter) received at `now` with this payload.
    static func event(_ payload: [String: String]) -> MeterEvent { event("api_calls", payload) }

    struct RejectCase: Sendable, CustomTestStringConvertible {
        var name: String
        var event: MeterEvent
        /// `nil`: accepted.
        var code: MeterEventErrorCode?
        var testDescription: String { name }
    }

    static let pastLimit = now - .days(35)
    static let futureLimit = now + .minutes(5)

    @Test(arguments: [
        // 1 no_meter: unknown event name, even with an otherwise broken event.
        RejectCase(name: "no meter", event: event("nope"), code: .noMeter),
        RejectCase(name: "no meter wins over everything", event: event("nope", at: pastLimit - .days(1), [:]), code: .noMeter),
        // 2 archived_meter: inactive meter wins over timestamp, customer and value problems.
        RejectCase(name: "archived meter", event: event("old_calls"), code: .archivedMeter),
        RejectCase(
            name: "archived wins over past timestamp and missing customer", event: event("old_calls", at: pastLimit - .days(1), [:]),
            code: .archivedMeter),
        // 3 timestamp_too_far_in_past: timestamp < received − 35 d. Exactly 35 d is accepted.
        RejectCase(name: "35 days + 1 s in the past", event: event(at: pastLimit - TimeSpan(seconds: 1)), code: .timestampTooFarInPast),
        RejectCase(name: "exactly 35 days in the past", event: event(at: pastLimit), code: nil),
        RejectCase(
            name: "past wins over missing customer and bad value", event: event(at: pastLimit - TimeSpan(seconds: 1), ["value": "x"]),
            code: .timestampTooFarInPast),
        // 4 timestamp_in_future: timestamp > received + 5 min. Exactly 5 min is accepted.
        RejectCase(name: "5 min + 1 s in the future", event: event(at: futureLimit + TimeSpan(seconds: 1)), code: .timestampInFuture),
        RejectCase(name: "exactly 5 min in the future", event: event(at: futureLimit), code: nil),
        RejectCase(name: "future wins over missing customer", event: event(at: futureLimit + .hours(1), [:]), code: .timestampInFuture),
        // 5 meter_event_no_customer_defined: the meter's customer key is missing.
        RejectCase(name: "no customer key", event: event(["value": "1"]), code: .noCustomerDefined),
        RejectCase(name: "no customer key wins over missing value", event: event([:]), code: .noCustomerDefined),
        // A custom customer key: the default key does not count.
        RejectCase(
            name: "custom customer key missing", event: event("custom_keys", ["stripe_customer_id": "cus_a", "qty": "1"]), code: .noCustomerDefined),
        // 6 meter_event_customer_not_found.
        RejectCase(name: "unknown customer", event: event(["stripe_customer_id": "cus_zzz", "value": "1"]), code: .customerNotFound),
        RejectCase(name: "unknown customer wins over missing value", event: event(["stripe_customer_id": "cus_zzz"]), code: .customerNotFound),
        // 7 meter_event_value_not_found: sum and last meters; count meters ignore values.
        RejectCase(name: "sum meter without value", event: event(["stripe_customer_id": "cus_a"]), code: .valueNotFound),
        RejectCase(name: "last meter without value", event: event("seats", ["stripe_customer_id": "cus_a"]), code: .valueNotFound),
        RejectCase(name: "count meter without value", event: event("logins", ["stripe_customer_id": "cus_a"]), code: nil),
        RejectCase(name: "custom value key missing", event: event("custom_keys", ["account": "cus_a", "value": "1"]), code: .valueNotFound),
        RejectCase(
            name: "value missing wins over missing dimensions", event: event("dim_calls", ["stripe_customer_id": "cus_a"]), code: .valueNotFound),
        // 8 meter_event_invalid_value.
        RejectCase(name: "exponent", event: event(["stripe_customer_id": "cus_a", "value": "1e3"]), code: .invalidValue),
        RejectCase(name: "thousands separator", event: event(["stripe_customer_id": "cus_a", "value": "1,000"]), code: .invalidValue),
        RejectCase(name: "empty value", event: event(["stripe_customer_id": "cus_a", "value": ""]), code: .invalidValue),
        RejectCase(name: "two points", event: event(["stripe_customer_id": "cus_a", "value": "1.2.3"]), code: .invalidValue),
        RejectCase(
            name: "invalid value wins over missing dimensions", event: event("dim_calls", ["stripe_customer_id": "cus_a", "value": "ten"]),
            code: .invalidValue),
        // 9 meter_event_value_too_many_digits: 13 decimal places, 25 integer digits.
        RejectCase(name: "13 decimal places", event: event(["stripe_customer_id": "cus_a", "value": "0.0000000000001"]), code: .valueTooManyDigits),
        RejectCase(
            name: "25 integer digits", event: event(["stripe_customer_id": "cus_a", "value": "1000000000000000000000000"]), code: .valueTooManyDigits),
        RejectCase(
            name: "too many digits wins over missing dimensions",
            event: event("dim_calls", ["stripe_customer_id": "cus_a", "value": "0.0000000000001"]), code: .valueTooManyDigits),
        RejectCase(name: "12 decimal places", event: event(["stripe_customer_id": "cus_a", "value": "0.000000000001"]), code: nil),
        RejectCase(name: "24 integer digits", event: event(["stripe_customer_id": "cus_a", "value": "999999999999999999999999"]), code: nil),
        // 10 missing_dimension_payload_keys.
        RejectCase(
            name: "one dimension missing", event: event("dim_calls", ["stripe_customer_id": "cus_a", "value": "1", "region": "eu"]),
            code: .missingDimensionPayloadKeys),
        RejectCase(
            name: "all dimensions present", event: event("dim_calls", ["stripe_customer_id": "cus_a", "value": "1", "region": "eu", "model": "m"]),
            code: nil),
        // Custom keys present: accepted.
        RejectCase(name: "custom keys", event: event("custom_keys", ["account": "cus_b", "qty": "2.5"]), code: nil),
        RejectCase(name: "negative decimal value", event: event(["stripe_customer_id": "cus_a", "value": "-0.5"]), code: nil),
    ])
    func firstFailingCheckWins(_ c: RejectCase) {
        var validator = Self.validator()
        let result = validator.validate(c.event, receivedAt: Self.now, sequence: 1)
        switch result {
        case .success:
            #expect(c.code == nil, "accepted, expected \(c.code?.rawValue ?? "")")
        case .failure(let rejection):
            #expect(rejection.code == c.code)
            #expect(rejection.event == c.event)
            #expect(!rejection.message.isEmpty)
        }
    }

    /// ENGINE-RULES: rule 8 (`meter_event_invalid_value`) is checked before rule 9 (too many digits), so a value
    /// that is not a decimal number is invalid however many digits it has.
    @Test(arguments: ["1234567890123456789012345e3", "0.0000000000001e5", "0.0000000000001.5"])
    func invalidValueWinsOverTooManyDigits(_ value: String) {
        var validator = Self.validator()
        let result = validator.validate(Self.event(["stripe_customer_id": "cus_a", "value": value]), receivedAt: Self.now, sequence: 1)
        #expect(result.rejectionCode == .invalidValue)
    }

    /// The codes, in the table's order.
    @Test func codesInDocumentedOrder() {
        #expect(
            MeterEventErrorCode.allCases.map(\.rawValue) == [
                "no_meter", "archived_meter", "timestamp_too_far_in_past", "timestamp_in_future", "meter_event_no_customer_defined",
                "meter_event_customer_not_found", "meter_event_value_not_found", "meter_event_invalid_value", "meter_event_value_too_many_digits",
                "missing_dimension_payload_keys", "duplicate_meter_event",
            ])
    }

    /// An accepted event is resolved to its meter and customer, with its value (1 for count meters).
    @Test func acceptedEventIsRecorded() throws {
        var validator = Self.validator()
        let timestamp = Self.now - .hours(2)
        let sum = try validator.validate(
            Self.event(at: timestamp, id: "evt_1", ["stripe_customer_id": "cus_b", "value": "12.5"]), receivedAt: Self.now, sequence: 7
        ).get()
        // Key = meter index × customer count + customer index: mtr_sum is meter 0, cus_b customer 1 of 2 → 1.
        #expect(
            sum
                == RecordedMeterEvent(
                    meter: "mtr_sum", customer: "cus_b", key: 1, timestamp: timestamp, sequence: 7, value: Decimal12("12.5")!, identifier: "evt_1"))
        // A count meter records 1 whatever the payload says.
        let count = try validator.validate(
            Self.event("logins", id: "evt_2", ["stripe_customer_id": "cus_a", "value": "40"]), receivedAt: Self.now, sequence: 8
        ).get()
        #expect(count.meter == "mtr_count")
        #expect(count.key == 2)  // meter 1, customer 0 of 2
        #expect(count.value == Decimal12(1))
        let custom = try validator.validate(Self.event("custom_keys", ["account": "cus_a", "qty": "3"]), receivedAt: Self.now, sequence: 9).get()
        #expect(custom.customer == "cus_a")
        #expect(custom.value == Decimal12(3))
    }

    /// Events without identifier get distinct generated ones and are never duplicates of each other.
    @Test func generatedIdentifiers() throws {
        var validator = Self.validator()
        let first = try validator.validate(Self.event(), receivedAt: Self.now, sequence: 1).get()
        let second = try validator.validate(Self.event(), receivedAt: Self.now, sequence: 2).get()
        #expect(!first.identifier.isEmpty)
        #expect(first.identifier != second.identifier)
    }

    struct DuplicateCase: Sendable, CustomTestStringConvertible {
        var name: String
        /// (event name, identifier, value, seconds after `now` it is received, expected code or nil)
        var steps: [Step]
        var testDescription: String { name }

        struct Step: Sendable {
            var eventName = "api_calls"
            var id: String?
            var value = "1"
            var after: Int64
            var code: MeterEventErrorCode?
        }
    }

    typealias Step = DuplicateCase.Step

    /// Decisions 8 / rule 11: an identifier already *accepted* less than 24 h earlier (clock time at receipt)
    /// is rejected; scope is the whole run (all meters); rejected events never register their identifier.
    @Test(arguments: [
        DuplicateCase(name: "same id within 24 h", steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 3600, code: .duplicateMeterEvent)]),
        DuplicateCase(name: "same id, same instant", steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 0, code: .duplicateMeterEvent)]),
        DuplicateCase(
            name: "same id 24 h − 1 s later", steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 86_399, code: .duplicateMeterEvent)]),
        // "less than 24h earlier": exactly 24 h later is no longer a duplicate.
        DuplicateCase(name: "same id exactly 24 h later", steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 86_400)]),
        DuplicateCase(name: "same id 2 days later", steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 2 * 86_400)]),
        // Scope: the whole scenario, across meters.
        DuplicateCase(
            name: "same id on another meter",
            steps: [Step(id: "evt_1", after: 0), Step(eventName: "logins", id: "evt_1", after: 60, code: .duplicateMeterEvent)]),
        // A rejected event does not register its identifier.
        DuplicateCase(
            name: "rejected first, then accepted",
            steps: [Step(id: "evt_1", value: "1e3", after: 0, code: .invalidValue), Step(id: "evt_1", after: 60)]),
        DuplicateCase(
            name: "no_meter first, then accepted",
            steps: [Step(eventName: "nope", id: "evt_1", after: 0, code: .noMeter), Step(id: "evt_1", after: 60)]),
        // A rejected duplicate does not restart the window: the accepted one at 0 is what counts.
        DuplicateCase(
            name: "duplicate does not extend the window",
            steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 82_800, code: .duplicateMeterEvent), Step(id: "evt_1", after: 86_400)]),
        // Accepted again at 24 h, the window restarts from there.
        DuplicateCase(
            name: "re-accepted id starts a new window",
            steps: [
                Step(id: "evt_1", after: 0), Step(id: "evt_1", after: 86_400), Step(id: "evt_1", after: 86_400 + 3600, code: .duplicateMeterEvent),
            ]),
        // The duplicate check is last: an invalid value on a reused id is invalid_value.
        DuplicateCase(
            name: "invalid value wins over duplicate",
            steps: [Step(id: "evt_1", after: 0), Step(id: "evt_1", value: "x", after: 60, code: .invalidValue)]),
        DuplicateCase(name: "different ids", steps: [Step(id: "evt_1", after: 0), Step(id: "evt_2", after: 0)]),
    ])
    func duplicates(_ c: DuplicateCase) {
        var validator = Self.validator()
        for (index, step) in c.steps.enumerated() {
            let receivedAt = Self.now + TimeSpan(seconds: step.after)
            let event = MeterEvent(
                eventName: step.eventName, timestamp: receivedAt, identifier: step.id, payload: ["stripe_customer_id": "cus_a", "value": step.value])
            let result = validator.validate(event, receivedAt: receivedAt, sequence: Int64(index + 1))
            #expect(result.rejectionCode == step.code, "step \(index + 1)")
        }
    }

    /// The acceptance window is measured from receipt, not from the event's timestamp (Decisions 6):
    /// an event timestamped Jan 1 received Feb 6 (36 days later) is too old; received Feb 5 (35 days) it is fine.
    @Test func windowMeasuredAtReceipt() {
        let timestamp = Instant(year: 2026, month: 1, day: 1)
        var validator = Self.validator()
        let late = validator.validate(Self.event(at: timestamp), receivedAt: Instant(year: 2026, month: 2, day: 6), sequence: 1)
        #expect(late.rejectionCode == .timestampTooFarInPast)
        let inTime = validator.validate(Self.event(at: timestamp), receivedAt: Instant(year: 2026, month: 2, day: 5), sequence: 2)
        #expect(inTime.rejectionCode == nil)
        // A custom window: 1 day past, 0 future.
        var strict = MeterEventValidator(
            catalog: Self.catalog, customers: ["cus_a"], window: EventWindow(past: .days(1), future: TimeSpan(seconds: 0)))
        #expect(
            strict.validate(Self.event(at: Self.now + TimeSpan(seconds: 1)), receivedAt: Self.now, sequence: 1).rejectionCode == .timestampInFuture)
        #expect(strict.validate(Self.event(at: Self.now - .days(1)), receivedAt: Self.now, sequence: 2).rejectionCode == nil)
        #expect(strict.validate(Self.event(at: Self.now - .days(2)), receivedAt: Self.now, sequence: 3).rejectionCode == .timestampTooFarInPast)
    }
}

extension Result where Success == RecordedMeterEvent, Failure == MeterEventRejection {
    /// The rejection code, or `nil` when accepted.
    var rejectionCode: MeterEventErrorCode? {
        if case .failure(let rejection) = self { return rejection.code }
        return nil
    }
}
