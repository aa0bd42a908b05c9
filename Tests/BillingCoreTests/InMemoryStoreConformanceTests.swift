import BillingCore
import BillingStoreTesting
import Synchronization
import Testing

/// The shared BillingStore conformance suite (BillingStoreTesting) on the reference InMemoryBillingStore.
@Suite("InMemoryBillingStore conformance")
struct InMemoryStoreConformanceTests {
    static let suite = BillingStoreConformance(makeStore: { InMemoryBillingStore() })

    /// One test per check, so a failure names its check.
    @Test(arguments: BillingStoreConformance.checkNames)
    func check(_ name: String) async throws {
        try await Self.suite.run(name)
    }

    /// The whole suite in one go, as a store package would run it.
    @Test func allChecks() async throws {
        try await Self.suite.run()
        #expect(await Self.suite.runCollectingFailures().isEmpty)
    }

    /// The suite names its checks and covers every protocol requirement.
    @Test func checkList() {
        let names = BillingStoreConformance.checkNames
        #expect(Set(names).count == names.count)
        #expect(names.count == BillingStoreConformance.checks.count)
        #expect(BillingStoreConformance.checks.allSatisfy { !$0.summary.isEmpty })
        for required in [
            "ingestBatchesThenAggregate", "sumHalfOpenPeriods", "countHalfOpenPeriods", "lastHalfOpenPeriods", "outOfOrderTimestamps",
            "lastTiesGoToGreaterSequence", "exactDecimalSums", "negativeTotalReturnedAsIs", "emptyPeriodIsZero", "isolationByMeterAndCustomer",
            "largeValues", "invoiceRoundTrip", "saveReplacesSameID", "invoicesInCreationOrder", "hostileAndUnicodeIdentifiers",
            "batchAggregateInQueryOrder", "batchSaveLaterVersionWins",
        ] {
            #expect(names.contains(required), "missing check \(required)")
        }
    }

    /// The suite really catches a broken store: one that clamps negative sums, keeps the first save of an id,
    /// or returns invoices in id order, fails with an error naming the check, expected and actual values.
    @Test(arguments: BrokenStore.Flaw.allCases)
    func detectsBrokenStores(_ flaw: BrokenStore.Flaw) async throws {
        let suite = BillingStoreConformance(makeStore: { BrokenStore(flaw) })
        let failures = await suite.runCollectingFailures()
        let failed = Set(failures.map(\.check))
        #expect(failed.contains(flaw.caughtBy), "failures: \(failures)")
        let failure = try #require(failures.first { $0.check == flaw.caughtBy })
        #expect(failure.description.contains(flaw.caughtBy))
        #expect(failure.description.contains("expected"))
        await #expect(throws: BillingStoreConformanceFailure.self) { try await suite.run() }
    }

    @Test func unknownCheckName() async {
        await #expect(throws: BillingStoreConformanceFailure.self) { try await Self.suite.run("noSuchCheck") }
    }
}

/// An in-memory store with one deliberate flaw, to prove the suite catches it.
final class BrokenStore: BillingStore {
    enum Flaw: String, CaseIterable, Sendable {
        case clampsNegativeSums, keepsFirstSave, ordersInvoicesByID, lastByReceipt, inclusiveEnd, dropsOptionalFields
        case reversesBatchAnswers, keepsFirstVersionInBatch

        /// The check that must fail.
        var caughtBy: String {
            switch self {
            case .clampsNegativeSums: "negativeTotalReturnedAsIs"
            case .keepsFirstSave: "saveReplacesSameID"
            case .ordersInvoicesByID: "invoicesInCreationOrder"
            case .lastByReceipt: "outOfOrderTimestamps"
            case .inclusiveEnd: "sumHalfOpenPeriods"
            case .dropsOptionalFields: "invoiceRoundTrip"
            case .reversesBatchAnswers: "batchAggregateInQueryOrder"
            case .keepsFirstVersionInBatch: "batchSaveLaterVersionWins"
            }
        }
    }

    let flaw: Flaw
    let inner = InMemoryBillingStore()
    let events = Mutex<[RecordedMeterEvent]>([])
    let saved = Mutex<[String: Invoice]>([:])

    init(_ flaw: Flaw) { self.flaw = flaw }

    func ingest(_ events: [RecordedMeterEvent]) async throws {
        self.events.withLock { $0 += events }
        try await inner.ingest(events)
    }

    func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
        var answers: [Decimal12] = []
        for query in queries { answers.append(try await aggregateOne(query)) }
        return flaw == .reversesBatchAnswers && queries.count > 1 ? answers.reversed() : answers
    }

    func aggregateOne(_ query: UsageQuery) async throws -> Decimal12 {
        switch flaw {
        case .clampsNegativeSums:
            return max(.zero, try await inner.aggregate(query))
        case .lastByReceipt where query.formula == .last:
            let matching = events.withLock { $0 }.filter {
                $0.meter == query.meter && $0.customer == query.customer && query.period.contains($0.timestamp)
            }
            return matching.max { $0.sequence < $1.sequence }?.value ?? .zero
        case .inclusiveEnd:
            var widened = query
            widened.period.end = query.period.end + TimeSpan(seconds: 1)
            return try await inner.aggregate(widened)
        default:
            return try await inner.aggregate(query)
        }
    }

    func save(_ invoices: [Invoice]) async throws {
        var batch: Set<String> = []
        for var invoice in invoices {
            if flaw == .dropsOptionalFields { invoice.paidAt = nil }
            saved.withLock { saved in
                if flaw == .keepsFirstSave, saved[invoice.id] != nil { return }
                if flaw == .keepsFirstVersionInBatch, batch.contains(invoice.id) { return }
                saved[invoice.id] = invoice
            }
            batch.insert(invoice.id)
        }
    }

    func invoices() async throws -> [Invoice] {
        let all = Array(saved.withLock { $0 }.values)
        return flaw == .ordersInvoicesByID ? all.sorted { $0.id < $1.id } : all.sorted { $0.number < $1.number }
    }
}
