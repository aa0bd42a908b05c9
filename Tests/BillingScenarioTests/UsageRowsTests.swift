import BillingCore
import BillingDocument
import Testing

@testable import BillingScenario

/// A CSV file's rows, handed to the engine in compact form (`UsageRows`, validated where they are), get
/// the verdicts, messages, samples and invoices that the same file's events get one by one.
struct UsageRowsTests {
    /// Received at `received_at`, else at `timestamp` (one row per verdict; comments say which).
    static let csv = """
        event_name,timestamp,identifier,received_at,stripe_customer_id,value,region,user
        tokens,2026-01-02T00:00:00Z,e1,,cus_a,10,eu,
        tokens,2026-01-02T00:00:01Z,e1,,cus_a,5,eu,
        tokens,2026-01-02T00:00:02Z,,,cus_a,7,eu,
        nope,2026-01-02T00:00:03Z,e4,,cus_a,1,eu,
        old,2026-01-02T00:00:03Z,e5,,cus_a,1,eu,
        tokens,2025-11-01T00:00:00Z,e6,2026-01-02T00:00:04Z,cus_a,1,eu,
        tokens,2026-01-03T00:00:00Z,e7,2026-01-02T00:00:05Z,cus_a,1,eu,
        tokens,2026-01-02T00:00:06Z,e8,,,1,eu,
        tokens,2026-01-02T00:00:07Z,e9,,cus_ghost,1,eu,
        tokens,2026-01-02T00:00:08Z,e10,,cus_a,,eu,
        tokens,2026-01-02T00:00:09Z,e11,,cus_a,abc,eu,
        tokens,2026-01-02T00:00:10Z,e12,,cus_a,1.1234567890123,eu,
        tokens,2026-01-02T00:00:11Z,e13,,cus_a,3,,
        calls,2026-01-02T00:00:12Z,e14,,,,,cus_b
        calls,2026-01-02T00:00:13Z,e15,,cus_b,,,
        gauge,2026-01-02T00:00:14Z,e16,,cus_b,9,,
        tokens,2026-01-02T00:00:15Z,évt_ü,,cus_a,2,eu,
        tokens,2026-01-02T00:00:16Z,évt_ü,,cus_a,2,eu,
        nocol,2026-01-02T00:00:17Z,e20,,cus_a,1,,
        tokens,2026-01-03T00:00:20Z,e1,,cus_a,4,eu,

        """

    static var simulation: Simulation {
        let usd = Currency(code: "usd")!
        let meters = [
            Meter(id: "m_tokens", eventName: "tokens", dimensionPayloadKeys: ["region"]),
            Meter(id: "m_calls", eventName: "calls", formula: .count, customerPayloadKey: "user"),
            Meter(id: "m_gauge", eventName: "gauge", formula: .last),
            Meter(id: "m_old", eventName: "old", isActive: false),
            Meter(id: "m_nocol", eventName: "nocol", customerPayloadKey: "account"),
        ]
        let prices = ["m_tokens", "m_calls", "m_gauge"].map { meter in
            Price(
                id: "p_\(meter)", product: "prod", currency: usd, interval: BillingInterval(.month), usageType: .metered(meter: meter),
                scheme: .perUnit(unitAmount: ExactDecimal(1), transform: nil))
        }
        let start = Instant(year: 2026, month: 1, day: 1)
        return Simulation(
            clockStart: start, clockUntil: Instant(year: 2026, month: 2, day: 1) + .hours(2),
            catalog: Catalog(meters: meters, products: [Product(id: "prod", name: "Usage")], prices: prices),
            customers: ["cus_a", "cus_b"].map { Customer(id: $0, currency: usd, defaultPaymentMethod: "pm_card_visa") },
            subscriptions: [
                Subscription(id: "sub_a", customer: "cus_a", created: start, items: [SubscriptionItem(id: "si_a", price: "p_m_tokens")]),
                Subscription(
                    id: "sub_b", customer: "cus_b", created: start,
                    items: [SubscriptionItem(id: "si_calls", price: "p_m_calls"), SubscriptionItem(id: "si_gauge", price: "p_m_gauge")]),
            ])
    }

    func run(_ source: inout some MeterEventSource) async throws -> SimulationOutcome {
        try await BillingEngine(simulation: Self.simulation, store: InMemoryBillingStore()).run(events: &source)
    }

    func file() throws -> UsageFileSource {
        try UsageFileSource.open(bytes: Array(Self.csv.utf8), path: "usage.csv", format: .csv).get()
    }

    @Test func rowsAreValidatedAsTheirEventsAre() async throws {
        var check = ReadAheadEventSource(try file())
        guard case .rows(let first) = try check.nextEventBatch() else {
            Issue.record("a CSV file's read-ahead source hands over rows")
            return
        }
        #expect(first.count == 20)

        var rows = ReadAheadEventSource(try file())
        let fromRows = try await run(&rows)
        var reader = try file()
        var events: [MeterEvent] = []
        while let event = try reader.nextEvent() { events.append(event) }
        var array = ArrayMeterEventSource(events)
        let fromEvents = try await run(&array)

        #expect(fromRows.usage == fromEvents.usage)
        #expect(fromRows.invoices == fromEvents.invoices)
        // By hand: accepted e1, the row without identifier, e14, e16, évt_ü and e1 again a day later (its first
        // receipt is forgotten after 24 hours): 6 of 20.
        #expect(fromRows.usage.received == 20)
        #expect(fromRows.usage.accepted == 6)
        #expect(
            fromRows.usage.rejected == [
                .duplicateMeterEvent: 2, .noMeter: 1, .archivedMeter: 1, .timestampTooFarInPast: 1, .timestampInFuture: 1,
                .noCustomerDefined: 3, .customerNotFound: 1, .valueNotFound: 1, .invalidValue: 1, .valueTooManyDigits: 1,
                .missingDimensionPayloadKeys: 1,
            ])
        #expect(fromRows.usage.samples[.duplicateMeterEvent]?.map(\.event.identifier) == ["e1", "évt_ü"])
        // cus_a: tokens 10 + 7 + 2 + 4 = 23 at 1¢; cus_b: 1 call + the last gauge value 9, at 1¢ each = 10.
        func billed(_ customer: String) -> Int64 { fromRows.invoices.filter { $0.customer == customer }.reduce(0) { $0 + $1.total } }
        #expect(billed("cus_a") == 23)
        #expect(billed("cus_b") == 10)
    }

    /// The rows of a file with malformed rows come first, then its problems, at their line and column, as
    /// reading it event by event reports them.
    @Test func problemsComeAfterTheRows() throws {
        let text = """
            event_name,timestamp,identifier,stripe_customer_id,value
            tokens,2026-01-02T00:00:01Z,e1,cus_a,1
            tokens,2026-01-02T00:00:02Z,e2,cus_a,2
            tokens,2026-01-02T00:00:03Z,e3,cus_a,3
            tokens,nope,e4,cus_a,4
            tokens,2026-01-02T00:00:05Z,e5,cus_a,5
            tokens,2026-01-02T00:00:06Z,e6,cus_a

            """
        func open() throws -> UsageFileSource { try UsageFileSource.open(bytes: Array(text.utf8), path: "u.csv", format: .csv).get() }
        var source = ReadAheadEventSource(try open())
        guard case .rows(let rows) = try source.nextEventBatch() else {
            Issue.record("a CSV file's read-ahead source hands over rows")
            return
        }
        var strings = UsageRowStrings()
        strings.take(rows)
        #expect((0..<rows.count).map { rows.event($0, strings: strings.strings).identifier } == ["e1", "e2", "e3", "e5"])
        var fromRows: ScenarioLoadError?
        do { _ = try source.nextEventBatch() } catch { fromRows = error as? ScenarioLoadError }
        var reader = try open()
        var fromEvents: ScenarioLoadError?
        do { while try reader.nextEvent() != nil {} } catch { fromEvents = error }
        // Line 5's timestamp starts at column 8; line 7 has 4 cells of 5 and ends at column 37.
        #expect(fromRows?.diagnostics.map { "\($0.location)" } == ["u.csv:5:8", "u.csv:7:37"])
        #expect(fromRows?.diagnostics.last?.message == "expected 5 cells as in the header, found 4")
        #expect(fromRows?.diagnostics == fromEvents?.diagnostics)
    }

    /// Merged with another stream, a CSV file's rows are made into its events, in arrival order.
    @Test func mergedRowsBecomeEvents() throws {
        let file = try UsageFileSource.open(
            bytes: Array(
                "event_name,timestamp,identifier,stripe_customer_id,value\nt,2026-01-02T00:00:01Z,f1,cus_a,1\nt,2026-01-02T00:00:03Z,f3,cus_b,3\n"
                    .utf8),
            path: "u.csv", format: .csv
        ).get()
        let inline = MeterEvent(
            eventName: "t", timestamp: Instant(seconds: 1_767_312_002), identifier: "i2", payload: ["stripe_customer_id": "cus_c"])
        var merged = MergedEventSource([ReadAheadEventSource(file), ArrayMeterEventSource([inline])])
        guard case .events(let events) = try merged.nextEventBatch() else {
            Issue.record("merged streams are handed over as events")
            return
        }
        #expect(events.map { $0.identifier ?? "" } == ["f1", "i2", "f3"])
        #expect(events.map { $0.payload["stripe_customer_id"] ?? "" } == ["cus_a", "cus_c", "cus_b"])
        #expect(
            events[2]
                == MeterEvent(
                    eventName: "t", timestamp: Instant(seconds: 1_767_312_003), identifier: "f3",
                    payload: ["stripe_customer_id": "cus_b", "value": "3"]))
    }

    /// Past `ByteInterner.maxEntries` distinct values the file's table starts afresh, at a batch's start.
    @Test func theTableOfValuesRestarts() throws {
        var text = "event_name,timestamp,identifier,stripe_customer_id,value\n"
        let count = ByteInterner.maxEntries + 10_000
        for index in 0..<count { text += "tokens,2026-01-02T00:00:00Z,e\(index),cus_\(index),1\n" }
        var source = ReadAheadEventSource(try UsageFileSource.open(bytes: Array(text.utf8), path: "u.csv", format: .csv).get())
        var strings = UsageRowStrings()
        var seen = 0
        var restarted = false
        while case .rows(let rows) = try source.nextEventBatch(), !rows.isEmpty {
            restarted = restarted || rows.restartsTable
            strings.take(rows)
            for row in [0, rows.count - 1] {
                let event = rows.event(row, strings: strings.strings)
                #expect(event.identifier == "e\(seen + row)")
                #expect(event.payload["stripe_customer_id"] == "cus_\(seen + row)")
            }
            seen += rows.count
        }
        #expect(seen == count)
        #expect(restarted)
    }
}
