import BillingCore
import BillingStoreTesting
import Foundation
import GRDB
import Testing

@testable import BillingStoreSQLite

/// A fresh temporary folder, removed by the caller.
private func temporaryFolder() throws -> URL {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-sqlite-\(UUID().uuidString)")
    try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    return url
}

private func event(_ key: Int, _ seconds: Int64, _ sequence: Int64, _ value: String) -> RecordedMeterEvent {
    RecordedMeterEvent(
        meter: "mtr_\(key)", customer: "cus_\(key)", key: key, timestamp: Instant(seconds: seconds), sequence: sequence, value: Decimal12(value)!,
        identifier: "evt_\(sequence)")
}

private func query(_ key: Int, _ formula: AggregationFormula, _ start: Int64, _ end: Int64) -> UsageQuery {
    UsageQuery(
        meter: "mtr_\(key)", customer: "cus_\(key)", key: key, formula: formula,
        period: Period(start: Instant(seconds: start), end: Instant(seconds: end)))
}

private func invoice(_ id: String, _ number: Int, lines: [InvoiceLine] = []) -> Invoice {
    Invoice(
        id: id, number: number, customer: "cus_1", subscription: "sub_1", billingReason: .subscriptionCycle, currency: Currency(code: "usd")!,
        collectionMethod: .chargeAutomatically, created: Instant(seconds: 100), periodStart: Instant(seconds: 0), periodEnd: Instant(seconds: 100),
        lines: lines)
}

/// The shared conformance suite and the SQLite-specific guarantees: fresh runs, WAL, migrations, exact values.
@Suite("SQLiteBillingStore")
struct BillingStoreSQLiteTests {
    /// One test per check, on a temporary file.
    @Test(arguments: BillingStoreConformance.checkNames)
    func conformanceOnFile(_ check: String) async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("billsim.sqlite").path
        try await BillingStoreConformance(makeStore: { try SQLiteBillingStore(path: path) }).run(check)
    }

    /// One test per check, in memory.
    @Test(arguments: BillingStoreConformance.checkNames)
    func conformanceInMemory(_ check: String) async throws {
        try await BillingStoreConformance(makeStore: { try SQLiteBillingStore(path: ":memory:") }).run(check)
    }

    /// Opening a file again starts a new run: no events or invoices of the previous one remain.
    @Test func reopeningStartsACleanRun() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("run.sqlite").path
        let first = try SQLiteBillingStore(path: path)
        try await first.ingest([event(0, 10, 1, "5"), event(1, 20, 2, "7")])
        try await first.save(invoice("in_1", 1, lines: [try line()]))
        #expect(try await first.aggregate(query(0, .sum, 0, 100)) == Decimal12(5))
        try await first.close()

        let second = try SQLiteBillingStore(path: path)
        #expect(try await second.invoices().isEmpty)
        #expect(try await second.aggregate(query(0, .sum, 0, 100)) == .zero)
        #expect(try await second.aggregate(query(1, .count, 0, 100)) == .zero)
        let counts = try await second.database.read { db in
            try ["usage_keys", "meter_events", "invoices", "invoice_lines", "invoice_line_tiers", "invoice_line_discounts", "invoice_line_taxes"].map
            {
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM \($0)")
            }
        }
        #expect(counts == [0, 0, 0, 0, 0, 0, 0])
        // The same keys are usable again in the new run.
        try await second.ingest([event(0, 10, 1, "3")])
        #expect(try await second.aggregate(query(0, .sum, 0, 100)) == Decimal12(3))
        try await second.close()
    }

    /// Files are in WAL mode, the migrations are recorded, and the file passes `integrity_check`.
    @Test func walMigrationsAndIntegrity() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let store = try SQLiteBillingStore(path: folder.appendingPathComponent("wal.sqlite").path)
        try await store.ingest((0..<1000).map { event($0 % 7, Int64($0), Int64($0), "1.5") })
        try await store.save(invoice("in_1", 1, lines: [try line(), try line()]))
        #expect(try await store.aggregate(query(3, .count, 0, 1000)) == Decimal12(143))
        let (journal, migrations, integrity, foreignKeyErrors, keys) = try await store.database.read { db in
            (
                try String.fetchOne(db, sql: "PRAGMA journal_mode"), try SQLiteBillingStore.migrator.appliedMigrations(db),
                try String.fetchAll(db, sql: "PRAGMA integrity_check"), try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM pragma_foreign_key_check"),
                try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM usage_keys")
            )
        }
        #expect(journal == "wal")
        #expect(migrations == ["v1", "v2", "v3-taxes", "v4-credits", "v5-payments"])
        #expect(integrity == ["ok"])
        #expect(foreignKeyErrors == 0)
        #expect(keys == 7)
        try await store.close()
        // Closing checkpoints the WAL; the file opens again.
        let reopened = try SQLiteBillingStore(path: folder.appendingPathComponent("wal.sqlite").path)
        try await reopened.close()
    }

    /// Events are written behind, sorted, in one transaction: in the background when the limit is
    /// reached, and before an aggregation, a read of the invoices (a run's end) and at close; a reader
    /// then sees them all.
    @Test func eventsReachTheFile() async throws {
        let folder = try temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let path = folder.appendingPathComponent("behind.sqlite").path
        func rows() throws -> Int {
            let reader = try DatabaseQueue(path: path)
            defer { try? reader.close() }
            return try reader.read { try Int.fetchOne($0, sql: "SELECT COUNT(*) FROM meter_events") ?? 0 }
        }
        let store = try SQLiteBillingStore(path: path, pendingLimit: 100)
        try await store.ingest((0..<99).map { event($0 % 3, 1000 - Int64($0), Int64($0), "2") })
        #expect(try rows() == 0)
        try await store.ingest([event(0, 5, 99, "2"), event(1, 5, 100, "2")])
        try await store.waitForWriter()  // past the limit, the buffer is written in the background
        #expect(try rows() == 101)
        try await store.ingest([event(2, 5, 101, "2")])
        _ = try await store.invoices()
        #expect(try rows() == 102)
        try await store.ingest([event(2, 6, 102, "-4")])
        #expect(try await store.aggregate(query(2, .sum, 0, 2000)) == Decimal12(64))
        #expect(try await store.aggregate(query(2, .last, 0, 2000)) == Decimal12(2))
        try await store.ingest([event(1, 7, 103, "1")])
        try await store.close()
        #expect(try rows() == 104)
    }

    /// Exact amounts with up to 38 significant digits, below and above 1, read back identical.
    @Test(
        arguments: [
            (1, 1, 3), (1, 17, 31), (10_000, 17, 31), (1, -2, 3), (1, 1, 7_000_000_000_000), (Int64.max / 4, 7, 3), (1, 0, 1), (-5, 1, 1),
        ] as [(Int64, Int64, Int64)])
    func computedExactAmountsRoundTrip(_ fraction: (Int64, Int64, Int64)) async throws {
        let amount = ExactDecimal(fraction.0).scaled(by: fraction.1, over: fraction.2)
        var saved = invoice("in_1", 1, lines: [try line(exact: amount)])
        saved.lines[0].tiers = [TierAmount(tier: 0, upTo: nil, quantity: amount, unitAmount: amount, flatAmount: amount)]
        let store = try SQLiteBillingStore(path: ":memory:")
        try await store.save(saved)
        #expect(try await store.invoices() == [saved])
    }

    /// Every value's four integer parts recombine to the value, for both signs and the extremes.
    @Test(arguments: [
        "0", "1", "-1", "0.000000000001", "-0.000000000001", "0.5", "-0.5", "1234567.891011121314", "-9999999.999999999999",
        "999999999999999999999999.999999999999", "-999999999999999999999999.999999999999", "123456789012345678901234", "-1000000000000",
    ])
    func valuePartsRoundTrip(_ text: String) throws {
        let value = try #require(Decimal12(text))
        let parts = ValueParts(value)
        #expect(try parts.decimal() == value)
        for part in [parts.wholeHigh, parts.whole, parts.micros, parts.picos] {
            #expect(value.units >= 0 ? part >= 0 : part <= 0, "every part has the value's sign")
        }
        #expect(abs(parts.whole) < 1_000_000_000_000 && abs(parts.micros) < 1_000_000 && abs(parts.picos) < 1_000_000)
    }

    /// A sum beyond 128 bits is ``AmountOverflow/usageSum`` (as on every store), not a crash or a wrong number.
    @Test func overflowingSumIsAnError() async throws {
        let store = try SQLiteBillingStore(path: ":memory:")
        let max = "999999999999999999999999.999999999999"
        try await store.ingest((0..<200).map { event(0, Int64($0), Int64($0), max) })
        #expect(try await store.aggregate(query(0, .last, 0, 1000)) == Decimal12(max))
        #expect(try await store.aggregate(query(0, .count, 0, 1000)) == Decimal12(200))
        await #expect(throws: AmountOverflow.usageSum) { try await store.aggregate(query(0, .sum, 0, 1000)) }
    }

    /// `last` and `sum` use SQL over the (key, timestamp, sequence) key, not a table scan.
    @Test func aggregationUsesTheKeyIndex() async throws {
        let store = try SQLiteBillingStore(path: ":memory:")
        let plans = try await store.database.read { db in
            try [
                "SELECT SUM(whole) FROM meter_events WHERE key = 1 AND timestamp >= 0 AND timestamp < 10",
                "SELECT whole FROM meter_events WHERE key = 1 AND timestamp >= 0 AND timestamp < 10 ORDER BY timestamp DESC, sequence DESC LIMIT 1",
            ]
            .map { try Row.fetchAll(db, sql: "EXPLAIN QUERY PLAN \($0)").map { $0["detail"] as String }.joined(separator: "; ") }
        }
        for plan in plans {
            #expect(plan.contains("SEARCH meter_events USING PRIMARY KEY (key=? AND timestamp>? AND timestamp<?)"), "\(plan)")
            #expect(!plan.contains("TEMP B-TREE"), "\(plan)")
        }
    }

    /// Saving is atomic: a save that fails half-way leaves the previous version of the invoice whole.
    @Test func failedSaveLeavesThePreviousInvoice() async throws {
        let store = try SQLiteBillingStore(path: ":memory:")
        let first = invoice("in_1", 1, lines: [try line(), try line()])
        try await store.save(first)
        try await store.database.write { db in
            try db.execute(sql: "CREATE TRIGGER fail BEFORE INSERT ON invoice_lines WHEN NEW.position = 2 BEGIN SELECT RAISE(ABORT, 'injected'); END")
        }
        await #expect(throws: SQLiteBillingStoreError.self) { try await store.save(invoice("in_1", 1, lines: [try line(), try line(), try line()])) }
        #expect(try await store.invoices() == [first])
    }
}

private func line(exact: ExactDecimal = ExactDecimal(1200)) throws -> InvoiceLine {
    try InvoiceLine(
        id: "il_1", price: "price_1", subscriptionItem: "si_1", description: "usage",
        period: Period(start: Instant(seconds: 0), end: Instant(seconds: 100)),
        quantity: ExactDecimal(300), rated: RatedAmount(exact: exact), metered: true)
}
