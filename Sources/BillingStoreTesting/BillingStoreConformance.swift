import BillingCore
import Synchronization

/// The conformance suite every ``BillingStore`` must pass (memory, SQLite, PostgreSQL).
///
/// Modelled on swift-configuration's `ProviderCompatTest`: a store package's tests hand over a
/// factory that makes a fresh, empty store, then run every check (or one check by name, to get one
/// test per check). The suite does not depend on a test framework: a failing check throws a
/// ``BillingStoreConformanceFailure`` that names the check, what was expected and what the store did.
///
/// ```swift
/// @Test func conformance() async throws {
///     try await BillingStoreConformance(makeStore: { try await MyStore.temporary() }).run()
/// }
///
/// @Test(arguments: BillingStoreConformance.checkNames)
/// func conformance(_ check: String) async throws {
///     try await BillingStoreConformance(makeStore: { try await MyStore.temporary() }).run(check)
/// }
/// ```
public struct BillingStoreConformance: Sendable {
    /// One named check; it receives a fresh store.
    public struct Check: Sendable {
        public var name: String
        /// What the check proves, one line.
        public var summary: String
        public var body: @Sendable (any BillingStore) async throws -> Void

        public init(name: String, summary: String, body: @escaping @Sendable (any BillingStore) async throws -> Void) {
            self.name = name
            self.summary = summary
            self.body = body
        }
    }

    let makeStore: @Sendable () async throws -> any BillingStore

    /// A suite over stores made by `makeStore`; it is called once per check and must return an empty store.
    public init(makeStore: @escaping @Sendable () async throws -> any BillingStore) {
        self.makeStore = makeStore
    }

    /// Every check, in the order ``run()`` runs them.
    public static var checks: [Check] { allChecks }

    /// The names of every check, for parameterized tests.
    public static var checkNames: [String] { allChecks.map(\.name) }

    /// Runs every check on a fresh store each; throws the first failure.
    public func run() async throws {
        for check in Self.allChecks { try await run(check) }
    }

    /// Runs every check on a fresh store each and returns all failures (empty when the store conforms).
    public func runCollectingFailures() async -> [BillingStoreConformanceFailure] {
        var failures: [BillingStoreConformanceFailure] = []
        for check in Self.allChecks {
            do {
                try await run(check)
            } catch let failure as BillingStoreConformanceFailure {
                failures.append(failure)
            } catch {
                failures.append(
                    BillingStoreConformanceFailure(check: check.name, message: "unexpected error", expected: "no error", actual: "\(error)"))
            }
        }
        return failures
    }

    /// Runs the check called `name` on a fresh store.
    public func run(_ name: String) async throws {
        guard let check = Self.allChecks.first(where: { $0.name == name }) else {
            throw BillingStoreConformanceFailure(
                check: name, message: "no such check", expected: "one of \(Self.checkNames.joined(separator: ", "))", actual: name)
        }
        try await run(check)
    }

    /// Runs one check on a fresh store; errors thrown by the store are reported under the check's name.
    public func run(_ check: Check) async throws {
        let store: any BillingStore
        do {
            store = try await makeStore()
        } catch {
            throw BillingStoreConformanceFailure(check: check.name, message: "makeStore() threw", expected: "a fresh store", actual: "\(error)")
        }
        do {
            try await check.body(store)
        } catch var failure as BillingStoreConformanceFailure {
            failure.check = check.name
            throw failure
        } catch {
            throw BillingStoreConformanceFailure(check: check.name, message: "the store threw", expected: "no error", actual: "\(error)")
        }
    }
}

/// A failed conformance check: which check, what was being verified, expected and actual values.
public struct BillingStoreConformanceFailure: Error, Sendable, Hashable, CustomStringConvertible {
    /// The check's name (one of ``BillingStoreConformance/checkNames``).
    public var check: String
    /// What was being verified when it failed.
    public var message: String
    public var expected: String
    public var actual: String

    public init(check: String, message: String, expected: String, actual: String) {
        self.check = check
        self.message = message
        self.expected = expected
        self.actual = actual
    }

    public var description: String {
        "BillingStore conformance check '\(check)' failed: \(message)\n  expected: \(expected)\n  actual:   \(actual)"
    }
}

// MARK: - Fixtures and assertions

/// An instant `seconds` after 2026-01-01T00:00:00Z.
private func at(_ seconds: Int64) -> Instant { Instant(seconds: 1_767_225_600 + seconds) }

private let day: Int64 = 86_400

private func period(_ start: Int64, _ end: Int64) -> Period { Period(start: at(start), end: at(end)) }

private func decimal(_ text: String) throws -> Decimal12 {
    guard let value = Decimal12(text) else {
        throw BillingStoreConformanceFailure(check: "", message: "suite fixture is not a Decimal12", expected: "a decimal", actual: text)
    }
    return value
}

/// The suite's (meter, customer) keys: dense numbers handed out in first-use order, the same pair
/// always the same key, as an engine does within one run.
private let suiteKeys = Mutex<[String: Int]>([:])

private func suiteKey(_ meter: String, _ customer: String) -> Int {
    suiteKeys.withLock { keys in
        let name = meter + "\u{0}" + customer
        if let key = keys[name] { return key }
        keys[name] = keys.count
        return keys.count - 1
    }
}

/// Builds events in receipt order: each gets the next sequence number.
private struct EventLog {
    var next: Int64 = 1
    var meter = "mtr_api"
    var customer = "cus_a"

    mutating func event(_ time: Int64, _ value: String, meter: String? = nil, customer: String? = nil, id: String? = nil) throws -> RecordedMeterEvent
    {
        defer { next += 1 }
        let meter = meter ?? self.meter
        let customer = customer ?? self.customer
        return RecordedMeterEvent(
            meter: meter, customer: customer, key: suiteKey(meter, customer), timestamp: at(time), sequence: next, value: try decimal(value),
            identifier: id ?? "evt_\(next)")
    }
}

private func expectAggregate(
    _ store: any BillingStore, _ formula: AggregationFormula, _ span: Period, _ expected: String, meter: String = "mtr_api",
    customer: String = "cus_a", _ what: String
) async throws {
    try await expectAggregate(store, formula, span, try decimal(expected), meter: meter, customer: customer, what)
}

private func expectAggregate(
    _ store: any BillingStore, _ formula: AggregationFormula, _ span: Period, _ want: Decimal12, meter: String = "mtr_api",
    customer: String = "cus_a", _ what: String
) async throws {
    let query = UsageQuery(meter: meter, customer: customer, key: suiteKey(meter, customer), formula: formula, period: span)
    let actual = try await store.aggregate(query)
    guard actual == want else {
        throw BillingStoreConformanceFailure(
            check: "", message: "\(what): aggregate(\(formula) of meter \(meter) for customer \(customer) over [\(span.start), \(span.end)))",
            expected: want.description, actual: actual.description)
    }
}

private func expectEqual<T: Equatable>(_ actual: T, _ expected: T, _ what: String) throws {
    guard actual == expected else {
        throw BillingStoreConformanceFailure(check: "", message: what, expected: "\(expected)", actual: "\(actual)")
    }
}

/// Compares two invoices field by field and throws on the first difference, naming the field.
private func expectSameInvoice(_ actual: Invoice, _ expected: Invoice, _ what: String) throws {
    func field<T: Equatable>(_ name: String, _ a: T, _ e: T) throws {
        guard a == e else {
            throw BillingStoreConformanceFailure(
                check: "", message: "\(what): invoice \(expected.id) field \(name)", expected: "\(e)", actual: "\(a)")
        }
    }
    try field("id", actual.id, expected.id)
    try field("number", actual.number, expected.number)
    try field("customer", actual.customer, expected.customer)
    try field("subscription", actual.subscription, expected.subscription)
    try field("billingReason", actual.billingReason, expected.billingReason)
    try field("status", actual.status, expected.status)
    try field("currency", actual.currency, expected.currency)
    try field("collectionMethod", actual.collectionMethod, expected.collectionMethod)
    try field("created", actual.created, expected.created)
    try field("periodStart", actual.periodStart, expected.periodStart)
    try field("periodEnd", actual.periodEnd, expected.periodEnd)
    try field("startingBalance", actual.startingBalance, expected.startingBalance)
    try field("finalizedAt", actual.finalizedAt, expected.finalizedAt)
    try field("paidAt", actual.paidAt, expected.paidAt)
    try field("dueDate", actual.dueDate, expected.dueDate)
    try field("attemptCount", actual.attemptCount, expected.attemptCount)
    try field("voidedAt", actual.voidedAt, expected.voidedAt)
    try field("markedUncollectibleAt", actual.markedUncollectibleAt, expected.markedUncollectibleAt)
    try field("nextPaymentAttempt", actual.nextPaymentAttempt, expected.nextPaymentAttempt)
    try field("lines.count", actual.lines.count, expected.lines.count)
    for (index, (a, e)) in zip(actual.lines, expected.lines).enumerated() {
        let prefix = "lines[\(index)]."
        try field(prefix + "id", a.id, e.id)
        try field(prefix + "price", a.price, e.price)
        try field(prefix + "subscriptionItem", a.subscriptionItem, e.subscriptionItem)
        try field(prefix + "description", a.description, e.description)
        try field(prefix + "period", a.period, e.period)
        try field(prefix + "quantity", a.quantity, e.quantity)
        try field(prefix + "transformedQuantity", a.transformedQuantity, e.transformedQuantity)
        try field(prefix + "exactAmount", a.exactAmount, e.exactAmount)
        try field(prefix + "amount", a.amount, e.amount)
        try field(prefix + "proration", a.proration, e.proration)
        try field(prefix + "metered", a.metered, e.metered)
        try field(prefix + "discountAmounts", a.discountAmounts, e.discountAmounts)
        try field(prefix + "pretaxCreditAmounts", a.pretaxCreditAmounts, e.pretaxCreditAmounts)
        try field(prefix + "taxes", a.taxes, e.taxes)
        try field(prefix + "tiers.count", a.tiers.count, e.tiers.count)
        for (tierIndex, (at, et)) in zip(a.tiers, e.tiers).enumerated() {
            let tierPrefix = prefix + "tiers[\(tierIndex)]."
            try field(tierPrefix + "tier", at.tier, et.tier)
            try field(tierPrefix + "upTo", at.upTo, et.upTo)
            try field(tierPrefix + "quantity", at.quantity, et.quantity)
            try field(tierPrefix + "unitAmount", at.unitAmount, et.unitAmount)
            try field(tierPrefix + "flatAmount", at.flatAmount, et.flatAmount)
            try field(tierPrefix + "amount", at.amount, et.amount)
        }
    }
    // Anything the field list above misses (a field added to Invoice later).
    try field("the whole invoice", actual, expected)
}

private func expectInvoices(_ store: any BillingStore, _ expected: [Invoice], _ what: String) async throws {
    let actual = try await store.invoices()
    try expectEqual(actual.map(\.id), expected.map(\.id), "\(what): invoices() ids in creation order (by number)")
    for (a, e) in zip(actual, expected) { try expectSameInvoice(a, e, what) }
}

private func exact(_ text: String) throws -> ExactDecimal {
    guard let value = ExactDecimal(parsing: text) else {
        throw BillingStoreConformanceFailure(check: "", message: "suite fixture is not an ExactDecimal", expected: "a decimal", actual: text)
    }
    return value
}

/// A finalized renewal with everything set: a tiered usage line with its breakdown and two billing
/// credits, a licensed line with a transformed quantity, two discounts and two taxes (exclusive,
/// inclusive), and a credit proration whose exact amount has 38 digits, a negative (itemized) discount
/// and a negative tax.
private func richInvoice(id: String = "in_0002", number: Int = 2, customer: String = "cus_john", text: String = "Hypernian usage") throws -> Invoice {
    let usageTiers = [
        PriceTier(upTo: 1000, unitAmount: .zero, flatAmount: .zero),
        PriceTier(upTo: nil, unitAmount: try exact("4.000000000001"), flatAmount: try exact("25")),
    ]
    var usage = try InvoiceLine(
        id: "il_0002_01", price: "price_usage", subscriptionItem: "si_usage", description: "\(text) (Jan 2026)",
        period: period(0, 31 * day), quantity: try exact("3000.5"), rated: Rating.rate(.graduated(usageTiers), quantity: try exact("3000.5")),
        metered: true)
    // Two billing credits, in order (a store keeps their order).
    usage.pretaxCreditAmounts = [CreditAmount(amount: 1_000, creditGrant: "cg_promo"), CreditAmount(amount: 500, creditGrant: "cg_paid")]
    var license = try InvoiceLine(
        id: "il_0002_02", price: "price_license", subscriptionItem: "si_license", description: "7 × License (Feb 2026)",
        period: period(31 * day, 59 * day), quantity: ExactDecimal(7),
        rated: Rating.rate(
            .perUnit(unitAmount: ExactDecimal(1000), transform: TransformQuantity(divideBy: 5, roundUp: true)), quantity: ExactDecimal(7)),
        metered: false)
    // Two discounts, in order (a store keeps their order).
    license.discountAmounts = [DiscountAmount(amount: 250, discount: "co_25pct"), DiscountAmount(amount: 166, discount: "co_5usd")]
    // Two taxes, in order: 19 % exclusive on 2000 − 416, and 5 % inclusive.
    license.taxes = [
        TaxAmount(amount: 301, taxRate: "txr_vat", inclusive: false, taxableAmount: 1584),
        TaxAmount(amount: 75, taxRate: "txr_incl", inclusive: true, taxableAmount: 1509),
    ]
    // −10000 × 17/31: a non-terminating fraction carried to 38 digits, as the engine's prorations are.
    var credit = try InvoiceLine(
        id: "il_0002_03", price: "price_license", subscriptionItem: "si_license", description: "Unused time on 1 × License",
        period: period(14 * day, 31 * day), quantity: ExactDecimal(1),
        rated: RatedAmount(exact: -(ExactDecimal(10_000).scaled(by: 17, over: 31))), proration: true, metered: false)
    // An `itemized` credit's discount is negative (Docs/ENGINE-RULES.md, "Discounts and prorations"); a store keeps its sign.
    credit.discountAmounts = [DiscountAmount(amount: -916, discount: "co_5usd")]
    // 19 % on −5484 − (−916) = −4568: −867.92 → −868.
    credit.taxes = [TaxAmount(amount: -868, taxRate: "txr_vat", inclusive: false, taxableAmount: -4568)]
    return Invoice(
        id: id, number: number, customer: customer, subscription: "sub_john", billingReason: .subscriptionCycle, status: .paid,
        currency: Currency(code: "usd")!, collectionMethod: .sendInvoice, created: at(31 * day), periodStart: at(0), periodEnd: at(31 * day),
        lines: [usage, license, credit], startingBalance: -1_234, finalizedAt: at(31 * day + 3600), paidAt: at(31 * day + 7200),
        dueDate: at(61 * day + 3600), attemptCount: 3)
}

/// A draft with no optional field set and no lines.
private func bareInvoice(id: String, number: Int, customer: String = "cus_a") -> Invoice {
    Invoice(
        id: id, number: number, customer: customer, subscription: "sub_a", billingReason: .subscriptionCreate, currency: Currency(code: "jpy")!,
        collectionMethod: .chargeAutomatically, created: at(Int64(number)), periodStart: at(Int64(number)), periodEnd: at(Int64(number)), lines: [])
}

// MARK: - The checks

extension BillingStoreConformance {
    static let allChecks: [Check] = [
        Check(name: "emptyStore", summary: "a fresh store has no invoices and aggregates to 0") { store in
            try expectEqual(try await store.invoices().map(\.id), [], "invoices() of a fresh store")
            for formula in AggregationFormula.allCases {
                try await expectAggregate(store, formula, period(0, 31 * day), "0", "fresh store")
            }
            try await store.ingest([])
            try expectEqual(try await store.invoices().map(\.id), [], "invoices() after ingesting an empty batch")
        },

        Check(name: "ingestBatchesThenAggregate", summary: "events ingested over several batches are all aggregated") { store in
            var log = EventLog()
            var total = 0
            for batch in 0..<5 {
                var events: [RecordedMeterEvent] = []
                for index in 0..<(batch * 3 + 1) {
                    let value = batch * 100 + index
                    total += value
                    events.append(try log.event(Int64(batch) * day + Int64(index) * 60, "\(value)"))
                }
                try await store.ingest(events)
            }
            // Batches of 1, 4, 7, 10, 13 events = 35 events.
            try await expectAggregate(store, .sum, period(0, 31 * day), "\(total)", "sum of 35 events in 5 batches")
            try await expectAggregate(store, .count, period(0, 31 * day), "35", "count of 35 events in 5 batches")
            // The last event: batch 4, index 12 → value 412 at 4 days + 720 s.
            try await expectAggregate(store, .last, period(0, 31 * day), "412", "last of 35 events in 5 batches")
        },

        Check(name: "sumBeyond128BitsIsAnOverflow", summary: "a sum beyond 128-bit units of 10⁻¹² throws AmountOverflow.usageSum") { store in
            // 200 values of the documented maximum (24 integer digits, 12 decimals): 2 × 10²⁶, beyond Int128's 1.7 × 10²⁶.
            var log = EventLog()
            let maximum = "999999999999999999999999.999999999999"
            try await store.ingest(try (0..<200).map { _ in try log.event(60, maximum) })
            try await expectAggregate(store, .last, period(0, 31 * day), maximum, "last of 200 maximal values")
            try await expectAggregate(store, .count, period(0, 31 * day), "200", "count of 200 maximal values")
            let query = UsageQuery(meter: "mtr_api", customer: "cus_a", key: suiteKey("mtr_api", "cus_a"), formula: .sum, period: period(0, 31 * day))
            do {
                let sum = try await store.aggregate(query)
                try expectEqual(sum.description, "AmountOverflow.usageSum", "sum of 200 maximal values")
            } catch let error as AmountOverflow {
                try expectEqual(error, .usageSum, "the error of a sum of 200 maximal values")
            }
        },

        Check(name: "sumHalfOpenPeriods", summary: "sum over [start, end): an event exactly at end belongs to the next period") { store in
            var log = EventLog()
            try await store.ingest([
                try log.event(-1, "1000"),  // just before January
                try log.event(0, "1"),  // January's first instant
                try log.event(31 * day - 1, "10"),  // January's last second
                try log.event(31 * day, "100"),  // February's first instant
                try log.event(59 * day - 1, "1000.5"),  // February's last second
                try log.event(59 * day, "7"),  // March's first instant
            ])
            try await expectAggregate(store, .sum, period(0, 31 * day), "11", "January sum")
            try await expectAggregate(store, .sum, period(31 * day, 59 * day), "1100.5", "February sum")
            try await expectAggregate(store, .sum, period(0, 59 * day), "1111.5", "January + February sum")
            try await expectAggregate(store, .sum, period(0, 1), "1", "one-second period at the start")
            try await expectAggregate(store, .sum, period(1, 31 * day - 1), "0", "period strictly between events")
            try await expectAggregate(store, .sum, period(5, 5), "0", "empty period [t, t)")
        },

        Check(name: "countHalfOpenPeriods", summary: "count over [start, end): an event exactly at end belongs to the next period") { store in
            var log = EventLog()
            try await store.ingest([
                try log.event(-1, "1"), try log.event(0, "1"), try log.event(0, "1"), try log.event(31 * day - 1, "5"),
                try log.event(31 * day, "1"), try log.event(31 * day, "-3"), try log.event(31 * day, "0"),
            ])
            try await expectAggregate(store, .count, period(0, 31 * day), "3", "January count (values ignored)")
            try await expectAggregate(store, .count, period(31 * day, 59 * day), "3", "February count (values ignored, even -3 and 0)")
            try await expectAggregate(store, .count, period(-day, 0), "1", "December count")
        },

        Check(name: "lastHalfOpenPeriods", summary: "last over [start, end): an event exactly at end belongs to the next period") { store in
            var log = EventLog()
            try await store.ingest([
                try log.event(10, "1"),
                try log.event(31 * day - 1, "2"),  // January's last second: January's last
                try log.event(31 * day, "3"),  // exactly at January's end: February's
                try log.event(40 * day, "4"),
            ])
            try await expectAggregate(store, .last, period(0, 31 * day), "2", "January last")
            try await expectAggregate(store, .last, period(0, 31 * day - 1), "1", "last of [Jan 1, Jan 31 23:59:59)")
            try await expectAggregate(store, .last, period(31 * day, 40 * day), "3", "last of [Feb 1, Feb 10)")
            try await expectAggregate(store, .last, period(31 * day, 59 * day), "4", "February last")
        },

        Check(name: "outOfOrderTimestamps", summary: "events ingested out of timestamp order aggregate by timestamp") { store in
            var log = EventLog()
            // Receipt order (sequence) differs from timestamp order, within and across batches.
            try await store.ingest([try log.event(20 * day, "5"), try log.event(2 * day, "7"), try log.event(40 * day, "11")])
            try await store.ingest([try log.event(day, "13"), try log.event(30 * day, "17"), try log.event(31 * day, "19")])
            try await store.ingest([try log.event(3 * day, "23")])
            // January [0, 31d): 5 + 7 + 13 + 17 + 23 = 65, 5 events; latest timestamp 30d → 17.
            try await expectAggregate(store, .sum, period(0, 31 * day), "65", "January sum")
            try await expectAggregate(store, .count, period(0, 31 * day), "5", "January count")
            try await expectAggregate(store, .last, period(0, 31 * day), "17", "January last (greatest timestamp, not last received)")
            // February: 11 + 19 = 30; latest timestamp 40d → 11 (received before 19).
            try await expectAggregate(store, .sum, period(31 * day, 59 * day), "30", "February sum")
            try await expectAggregate(store, .last, period(31 * day, 59 * day), "11", "February last")
            // [1d, 3d): 13 + 7.
            try await expectAggregate(store, .sum, period(day, 3 * day), "20", "sum of [Jan 2, Jan 4)")
            try await expectAggregate(store, .last, period(day, 3 * day), "7", "last of [Jan 2, Jan 4)")
            // Events ingested after a first aggregation are still seen.
            try await store.ingest([try log.event(30 * day + 5, "29"), try log.event(0, "31")])
            try await expectAggregate(store, .sum, period(0, 31 * day), "125", "January sum after more out-of-order events (65 + 29 + 31)")
            try await expectAggregate(store, .last, period(0, 31 * day), "29", "January last after more out-of-order events")
        },

        Check(name: "lastTiesGoToGreaterSequence", summary: "last: events at the same timestamp go to the greater sequence") { store in
            var log = EventLog()
            try await store.ingest([try log.event(100, "1"), try log.event(100, "2")])
            try await expectAggregate(store, .last, period(0, day), "2", "tie within one batch")
            try await store.ingest([try log.event(100, "3"), try log.event(50, "99")])
            // The event at 50 was received last but has an earlier timestamp: it does not win.
            try await expectAggregate(store, .last, period(0, day), "3", "tie across batches, later-received earlier timestamp ignored")
            try await store.ingest([try log.event(100, "-4.5")])
            try await expectAggregate(store, .last, period(0, day), "-4.5", "a later tie with a negative value")
            try await expectAggregate(store, .last, period(0, 100), "99", "last of [0, 100): the event at 50")
            try await expectAggregate(store, .count, period(0, day), "5", "count of the tied events")
            try await expectAggregate(store, .sum, period(0, day), "100.5", "sum 1 + 2 + 3 + 99 − 4.5")
        },

        Check(name: "exactDecimalSums", summary: "decimal and negative values sum exactly") { store in
            var log = EventLog()
            // 1000 × 10⁻¹² = 10⁻⁹ exactly.
            var events: [RecordedMeterEvent] = []
            for index in 0..<1000 { events.append(try log.event(Int64(index), "0.000000000001")) }
            try await store.ingest(events)
            try await expectAggregate(store, .sum, period(0, day), "0.000000001", "1000 × 0.000000000001")
            // 0.1 ten times is 1 exactly (binary floating point gives 0.9999999999999999).
            log.meter = "mtr_tenths"
            try await store.ingest(try (0..<10).map { try log.event(Int64($0), "0.1") })
            try await expectAggregate(store, .sum, period(0, day), "1", meter: "mtr_tenths", "10 × 0.1")
            // Mixed signs: 12.5 − 5 + 0.25 − 0.000000000001 = 7.749999999999.
            log.meter = "mtr_mixed"
            try await store.ingest([
                try log.event(1, "12.5"), try log.event(2, "-5"), try log.event(3, "0.25"), try log.event(4, "-0.000000000001"),
            ])
            try await expectAggregate(store, .sum, period(0, day), "7.749999999999", meter: "mtr_mixed", "12.5 − 5 + 0.25 − 0.000000000001")
            try await expectAggregate(store, .last, period(0, day), "-0.000000000001", meter: "mtr_mixed", "last is the 12th-decimal negative")
        },

        Check(name: "negativeTotalReturnedAsIs", summary: "a negative sum (or last value) is returned, not clamped") { store in
            var log = EventLog()
            try await store.ingest([try log.event(1, "3"), try log.event(2, "-5"), try log.event(3, "-0.5")])
            try await expectAggregate(store, .sum, period(0, day), "-2.5", "3 − 5 − 0.5")
            try await expectAggregate(store, .last, period(0, day), "-0.5", "last negative value")
            try await expectAggregate(store, .count, period(0, day), "3", "count with negative values")
        },

        Check(name: "emptyPeriodIsZero", summary: "a period without events aggregates to 0 for every formula") { store in
            var log = EventLog()
            try await store.ingest([try log.event(10 * day, "42"), try log.event(50 * day, "-8")])
            for formula in AggregationFormula.allCases {
                try await expectAggregate(store, formula, period(0, 10 * day), "0", "period before all events")
                try await expectAggregate(store, formula, period(10 * day + 1, 50 * day), "0", "period between events")
                try await expectAggregate(store, formula, period(50 * day + 1, 80 * day), "0", "period after all events")
                try await expectAggregate(store, formula, period(0, 80 * day), "0", meter: "mtr_unknown", "meter without events")
                try await expectAggregate(store, formula, period(0, 80 * day), "0", customer: "cus_unknown", "customer without events")
            }
        },

        Check(name: "isolationByMeterAndCustomer", summary: "aggregates only see their own (meter, customer)") { store in
            var log = EventLog()
            try await store.ingest([
                try log.event(10, "1", meter: "mtr_api", customer: "cus_a"),
                try log.event(20, "20", meter: "mtr_api", customer: "cus_b"),
                try log.event(30, "300", meter: "mtr_storage", customer: "cus_a"),
                try log.event(40, "4000", meter: "mtr_storage", customer: "cus_b"),
                try log.event(50, "2", meter: "mtr_api", customer: "cus_a"),
                // Prefix look-alikes must not match: "mtr_api" vs "mtr_api2", "cus_a" vs "cus_ab".
                try log.event(60, "50000", meter: "mtr_api2", customer: "cus_a"),
                try log.event(70, "600000", meter: "mtr_api", customer: "cus_ab"),
            ])
            let all = period(0, day)
            try await expectAggregate(store, .sum, all, "3", meter: "mtr_api", customer: "cus_a", "api × a")
            try await expectAggregate(store, .sum, all, "20", meter: "mtr_api", customer: "cus_b", "api × b")
            try await expectAggregate(store, .sum, all, "300", meter: "mtr_storage", customer: "cus_a", "storage × a")
            try await expectAggregate(store, .sum, all, "4000", meter: "mtr_storage", customer: "cus_b", "storage × b")
            try await expectAggregate(store, .count, all, "2", meter: "mtr_api", customer: "cus_a", "api × a count")
            try await expectAggregate(store, .last, all, "2", meter: "mtr_api", customer: "cus_a", "api × a last (cus_ab's later event ignored)")
            try await expectAggregate(store, .last, all, "300", meter: "mtr_storage", customer: "cus_a", "storage × a last")
            try await expectAggregate(store, .sum, all, "0", meter: "mtr_storage", customer: "cus_c", "storage × unknown customer")
        },

        Check(name: "largeValues", summary: "values with 24 integer and 12 fractional digits aggregate exactly") { store in
            var log = EventLog()
            let max = "999999999999999999999999.999999999999"
            try await store.ingest([try log.event(1, max), try log.event(2, max), try log.event(3, max)])
            // 3 × (10²⁴ − 10⁻¹²) = 2999999999999999999999999.999999999997: 25 integer digits, more than any
            // single value may have (so it is built from units, not parsed).
            let threeTimesMax = Decimal12(units: 3 * (try decimal(max)).units)
            try expectEqual(threeTimesMax.description, "2999999999999999999999999.999999999997", "suite fixture: 3 × the largest value")
            try await expectAggregate(store, .sum, period(0, day), threeTimesMax, "3 × the largest value")
            try await expectAggregate(store, .last, period(0, day), max, "last of the largest values")
            try await store.ingest([
                try log.event(4, "-" + max), try log.event(5, "-" + max), try log.event(6, "-" + max), try log.event(7, "-" + max),
            ])
            try await expectAggregate(store, .sum, period(0, day), "-" + max, "3 × largest − 4 × largest")
            try await expectAggregate(store, .last, period(0, day), "-" + max, "last of the largest negative values")
            try await expectAggregate(store, .count, period(0, day), "7", "count of large values")
            log.meter = "mtr_big_int"
            try await store.ingest([try log.event(1, "123456789012345678901234"), try log.event(2, "0.000000000001")])
            try await expectAggregate(store, .sum, period(0, day), "123456789012345678901234.000000000001", meter: "mtr_big_int", "24 digits + 10⁻¹²")
        },

        Check(name: "batchAggregateInQueryOrder", summary: "a batch of queries (mixed formulas, keys, periods, repeats) answers each in order") {
            store in
            var log = EventLog()
            try await store.ingest([
                try log.event(10, "1.5", customer: "cus_a"), try log.event(20, "2", customer: "cus_b"), try log.event(30, "4", customer: "cus_a"),
                try log.event(31 * day, "8", customer: "cus_a"), try log.event(40, "-16", meter: "mtr_other", customer: "cus_a"),
                try log.event(30, "32", customer: "cus_b"),
            ])
            func query(_ formula: AggregationFormula, _ span: Period, meter: String = "mtr_api", customer: String = "cus_a") -> UsageQuery {
                UsageQuery(meter: meter, customer: customer, key: suiteKey(meter, customer), formula: formula, period: span)
            }
            let january = period(0, 31 * day)
            // Expected from the events above: cus_a's January is 1.5 at 10 s and 4 at 30 s (8 is in February);
            // cus_b's is 2 at 20 s and 32 at 30 s; mtr_other has −16 for cus_a only.
            let batch: [(UsageQuery, String)] = [
                (query(.sum, january), "5.5"), (query(.count, january), "2"), (query(.last, january), "4"),
                (query(.sum, january, customer: "cus_b"), "34"), (query(.last, january, customer: "cus_b"), "32"),
                (query(.sum, period(0, 59 * day)), "13.5"), (query(.last, period(31 * day, 59 * day)), "8"),
                (query(.sum, january, meter: "mtr_other"), "-16"), (query(.count, january, meter: "mtr_other", customer: "cus_b"), "0"),
                (query(.last, period(0, 10)), "0"), (query(.sum, january, customer: "cus_unknown"), "0"), (query(.sum, january), "5.5"),
            ]
            let answers = try await store.aggregate(batch.map(\.0))
            try expectEqual(answers.count, batch.count, "one answer per query of the batch")
            for (index, ((query, expected), answer)) in zip(batch, answers).enumerated() {
                try expectEqual(answer, try decimal(expected), "batch[\(index)]: \(query.formula) of \(query.meter) for \(query.customer)")
                try expectEqual(try await store.aggregate(query), answer, "batch[\(index)] asked alone")
            }
            try expectEqual(try await store.aggregate([UsageQuery]()), [], "an empty batch")
        },

        Check(name: "batchSaveLaterVersionWins", summary: "a batch of invoices is saved whole; a later version of an id in it replaces the earlier") {
            store in
            let kept = bareInvoice(id: "in_0001", number: 1)
            try await store.save([kept])
            var draft = try richInvoice(id: "in_0002", number: 2)
            draft.status = .draft
            var finalized = try richInvoice(id: "in_0002", number: 2)
            finalized.lines.removeLast()
            let third = bareInvoice(id: "in_0003", number: 3, customer: "cus_b")
            var keptPaid = kept
            keptPaid.status = .paid
            try await store.save([draft, third, finalized, keptPaid])
            try await expectInvoices(
                store, [keptPaid, finalized, third], "after one batch with two versions of in_0002 and a new version of in_0001")
            try await store.save([Invoice]())
            try await expectInvoices(store, [keptPaid, finalized, third], "after an empty batch")
            let many = (4...300).map { bareInvoice(id: "in_\($0)", number: $0) }
            try await store.save(many)
            try await expectInvoices(store, [keptPaid, finalized, third] + many, "after a batch of 297 invoices")
        },

        Check(name: "invoiceRoundTrip", summary: "a saved invoice reads back identical, all fields, lines and tiers") { store in
            let rich = try richInvoice()
            let bare = bareInvoice(id: "in_0001", number: 1)
            try await store.save(rich)
            try await store.save(bare)
            try await expectInvoices(store, [bare, rich], "round trip")
            // A second read gives the same (no state consumed by reading).
            try await expectInvoices(store, [bare, rich], "second read")
        },

        Check(name: "saveReplacesSameID", summary: "saving an invoice id again replaces it (draft → finalized)") { store in
            let first = bareInvoice(id: "in_0001", number: 1)
            try await store.save(first)
            var draft = try richInvoice()
            draft.status = .draft
            draft.startingBalance = 0
            draft.finalizedAt = nil
            draft.paidAt = nil
            draft.dueDate = nil
            draft.lines[0] = try InvoiceLine(
                id: "il_0002_01", price: "price_usage", subscriptionItem: "si_usage", description: "usage at creation", period: period(0, 31 * day),
                quantity: ExactDecimal(1200), rated: Rating.rate(.perUnit(unitAmount: ExactDecimal(4), transform: nil), quantity: ExactDecimal(1200)),
                metered: true)
            try await store.save(draft)
            try await expectInvoices(store, [first, draft], "after saving the draft")
            // Finalization: status, balance, timestamps, due date and the re-aggregated usage line change;
            // the credit line is dropped, so a store that appends lines instead of replacing them fails.
            var finalized = try richInvoice()
            finalized.lines.removeLast()
            finalized.status = .open
            finalized.paidAt = nil
            finalized.attemptCount = 1
            finalized.nextPaymentAttempt = at(34 * day + 3600)
            try await store.save(finalized)
            try await expectInvoices(store, [first, finalized], "after saving the finalized invoice under the same id")
            var paid = finalized
            paid.status = .paid
            paid.paidAt = at(40 * day)
            paid.attemptCount = 2
            paid.nextPaymentAttempt = nil
            try await store.save(paid)
            try await expectInvoices(store, [first, paid], "after saving it again as paid")
            var void = paid
            void.lines = []
            void.status = .void
            void.dueDate = nil
            void.voidedAt = at(41 * day)
            void.markedUncollectibleAt = at(39 * day)
            try await store.save(void)
            try await expectInvoices(store, [first, void], "after saving it again with no lines and no due date")
        },

        Check(name: "invoicesInCreationOrder", summary: "invoices() returns creation order (number), whatever the save order or ids") { store in
            // Ids chosen so that id order, save order and number order all differ.
            let invoices = [
                bareInvoice(id: "in_b", number: 1), bareInvoice(id: "in_a", number: 2), bareInvoice(id: "in_9", number: 9),
                bareInvoice(id: "in_10", number: 10), bareInvoice(id: "in_0003", number: 3), bareInvoice(id: "in_100", number: 100),
            ]
            for index in [3, 0, 5, 2, 4, 1] { try await store.save(invoices[index]) }
            let expected = invoices.sorted { $0.number < $1.number }
            try await expectInvoices(store, expected, "saved out of order")
            // Replacing one keeps its place.
            var replaced = invoices[0]
            replaced.status = .open
            replaced.finalizedAt = at(3600)
            try await store.save(replaced)
            try await expectInvoices(store, expected.map { $0.id == replaced.id ? replaced : $0 }, "after replacing the first")
        },

        Check(name: "hostileAndUnicodeIdentifiers", summary: "SQL-hostile, unicode, control and empty text round-trips in events and invoices") {
            store in
            let hostile = "x'); DROP TABLE invoices; --"
            let quotes = "\"a\" 'b' `c` \\ % _ ; ? $1 :name"
            let unicode = "客户-Ünïcødé-😀-\u{202E}rtl"
            var log = EventLog()
            try await store.ingest([
                try log.event(1, "1", meter: hostile, customer: unicode, id: hostile),
                try log.event(2, "2", meter: hostile, customer: hostile, id: unicode),
                try log.event(3, "4", meter: unicode, customer: hostile, id: quotes),
                try log.event(4, "8", meter: quotes, customer: quotes),
            ])
            try await expectAggregate(store, .sum, period(0, day), "1", meter: hostile, customer: unicode, "hostile meter × unicode customer")
            try await expectAggregate(store, .sum, period(0, day), "2", meter: hostile, customer: hostile, "hostile meter × hostile customer")
            try await expectAggregate(store, .sum, period(0, day), "4", meter: unicode, customer: hostile, "unicode meter × hostile customer")
            try await expectAggregate(store, .sum, period(0, day), "8", meter: quotes, customer: quotes, "quotes meter × quotes customer")
            try await expectAggregate(store, .sum, period(0, day), "0", meter: "x", customer: unicode, "meter that is a prefix of the hostile one")
            let first = try richInvoice(id: hostile, number: 1, customer: unicode, text: quotes)
            var second = try richInvoice(id: unicode, number: 2, customer: hostile, text: unicode)
            second.subscription = hostile
            second.lines[0].price = unicode
            second.lines[1].subscriptionItem = hostile
            second.lines[2].id = quotes
            // Control characters, what text formats escape with (`\N` is COPY's NULL, `\.` its end), and
            // empty strings, which must read back empty, not NULL.
            let controls = "tab\there\nnewline\r\ncrlf \\N \\. \\\\ end"
            var third = try richInvoice(id: "in_\t\n", number: 3, customer: "", text: controls)
            third.subscription = "\\N"
            third.lines[0].subscriptionItem = ""
            third.lines[1].description = ""
            third.lines[2].id = "\\."
            try await store.save(first)
            try await store.save([second, third])
            try await expectInvoices(store, [first, second, third], "hostile, unicode and control text")
            // Still there, and replaceable by the same hostile id.
            var replaced = first
            replaced.status = .void
            try await store.save(replaced)
            try await expectInvoices(store, [replaced, second, third], "after replacing the invoice with the hostile id")
        },
    ]
}
