/// The per-event half of the engine: validation, counting, late detection and the batch of accepted
/// events waiting for the store. A value type so the hot loop runs on a local copy, without the
/// exclusivity checks a class property costs on every access.
struct EventIntake {
    var validator: MeterEventValidator
    var usage = UsageReport()
    /// Accepted events not yet handed to the store.
    var pending: AcceptedEvents
    var sequence: Int64 = 0
    /// (meter, customer) key → periods whose usage is on a finalized invoice.
    var billedPeriods: [Int: [Period]] = [:]
    /// Accepted events in a period some finalized invoice billed: late unless another subscription still
    /// bills them (``BillingEngine/countLateEvents()`` decides, before the clock's next work).
    var lateCandidates: [RecordedMeterEvent] = []
    /// When each event was received, kept only when the run keeps its usage (``BillingEngine/runKeepingUsage(events:)``).
    var receipts: ReceiptCurve?
    /// The running usage of customers with billing thresholds (`nil` when no subscription has any).
    var tallies: ThresholdTallies?

    init(validator: MeterEventValidator) {
        self.validator = validator
        pending = AcceptedEvents(keys: validator.keys)
    }

    /// An intake that holds nothing: what the engine keeps while the hot loop owns the real one.
    static var empty: EventIntake {
        EventIntake(validator: MeterEventValidator(catalog: Catalog(meters: [], products: [], prices: []), customers: [], window: EventWindow()))
    }

    /// Validates one event received at `arrival`; accepted events join `pending`.
    mutating func receive(_ event: MeterEvent, at arrival: Instant) {
        count(at: arrival)
        if let rejection = validator.check(event, receivedAt: arrival, sequence: sequence, into: &pending) {
            usage.record(MeterEventRejection(code: rejection.code, message: rejection.message, event: event))
        } else {
            accepted(at: arrival)
        }
    }

    /// ``receive(_:at:)`` for row `row` of a usage file (its event is made only if it is rejected).
    ///
    /// No closure makes the rejected event: passed to a function the inliner left as a call, it had each row
    /// build the closure's context, retaining the batch's arrays (retains and releases went from 3% to 19% of
    /// a 5M-row CSV run's samples, 2026-12-02).
    mutating func receive(row: Int, of rows: UsageRows, strings: UsageRowStrings, at arrival: Instant) {
        count(at: arrival)
        if let rejection = validator.check(row: row, of: rows, strings: strings, receivedAt: arrival, sequence: sequence, into: &pending) {
            usage.record(MeterEventRejection(code: rejection.code, message: rejection.message, event: rows.event(row, strings: strings.strings)))
        } else {
            accepted(at: arrival)
        }
    }

    /// Counts an event received at `arrival`, and gives it its sequence number.
    private mutating func count(at arrival: Instant) {
        usage.received += 1
        sequence += 1
        receipts?.note(clock: arrival.seconds, sequence: sequence)
    }

    /// Counts the event just accepted (the last of `pending`): late unless billed elsewhere, and in its customer's tally.
    private mutating func accepted(at arrival: Instant) {
        usage.accepted += 1
        guard !billedPeriods.isEmpty || tallies != nil else { return }
        // Numbers only: a `RecordedMeterEvent` (its meter's, customer's and identifier's strings) for every event
        // accepted once a period was billed made a run over several months' usage pay for strings per event.
        let event = pending.numbers(pending.count - 1)
        if let periods = billedPeriods[event.key], periods.contains(where: { $0.contains(event.timestamp) }) {
            lateCandidates.append(pending[pending.count - 1])
        }
        tallies?.receive(key: event.key, timestamp: event.timestamp, sequence: event.sequence, units: event.units, at: arrival)
    }

    /// The instant of the next threshold check due (events arriving after it wait until it is made).
    var nextCheck: Instant { tallies?.nextCheck ?? .distantFuture }

    /// Takes the pending batch, leaving room for the next one.
    mutating func takeBatch(capacity: Int) -> AcceptedEvents {
        var batch = AcceptedEvents(keys: validator.keys)
        batch.reserveCapacity(capacity)
        swap(&batch, &pending)
        return batch
    }
}
