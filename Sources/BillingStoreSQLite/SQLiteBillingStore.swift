import BillingCore
import BillingStoreRows
import Foundation
import GRDB
import GRDBSQLite
import Synchronization

/// A ``BillingStore`` on SQLite (GRDB), in a file or in memory, that a person can query with `sqlite3`.
///
/// Opening a file starts a new run: the schema is migrated (GRDB `DatabaseMigrator`, recorded in
/// `grdb_migrations`), then the previous run's rows are deleted in one transaction. Files use WAL
/// with `synchronous = NORMAL`: a killed run leaves a consistent file, never a half-written invoice.
///
/// Events are written behind: kept in memory as integer rows (at most 500,000), then inserted
/// sorted by key in one transaction before every aggregation and read of the invoices, at `close()`,
/// and whenever the limit is reached.
///
/// Schema (migration `v1`; Docs/SQLITE-SCHEMA.md has the details and example queries):
/// - `usage_keys(key, meter, customer)`: the run's (meter, customer) pairs by ``RecordedMeterEvent/key``.
/// - `meter_events(key, timestamp, sequence, whole_hi, whole, micros, picos)`: integers only, a
///   `WITHOUT ROWID` table clustered on `(key, timestamp, sequence)`, so aggregations are range scans.
///   A value is `whole_hi·10¹² + whole + micros·10⁻⁶ + picos·10⁻¹²`, every part carrying the value's
///   sign: each column fits an SQLite `INTEGER` and is summed exactly in SQL, recombined in `Int128`.
/// - `invoices`, `invoice_lines`, `invoice_line_tiers`, `invoice_line_discounts` (migration `v2`), `invoice_line_taxes`
///   (migration `v3-taxes`), `invoice_line_credits` (migration `v4-credits`): one row per invoice, line, tier breakdown,
///   line discount, line tax and line billing credit,
///   in the shape of the codec both SQL stores share (`InvoiceRows`, target `BillingStoreRows`), which
///   also encodes and decodes their rows; instants are Unix seconds, exact amounts decimal text.
public final class SQLiteBillingStore: BillingStore {
    let database: DatabaseQueue
    /// What errors name: `sqlite:PATH`.
    let name: String
    /// Events and keys not written yet.
    let pending = Mutex(Pending())
    /// The background write of a full buffer, if one is running.
    let writer = Mutex<Task<Void, any Error>?>(nil)
    /// How many events wait in memory at most before they are written.
    let pendingLimit: Int

    /// Opens (or creates) the database at `path`, a file path or `:memory:`, and starts a new run in it.
    public convenience init(path: String) throws {
        // 500,000 rows of 56 bytes: about 28 MB.
        try self.init(path: path, pendingLimit: 500_000)
    }

    init(path: String, pendingLimit: Int) throws {
        name = "sqlite:\(path)"
        self.pendingLimit = pendingLimit
        var configuration = Configuration()
        configuration.busyMode = .timeout(10)
        configuration.prepareDatabase { db in try db.execute(sql: "PRAGMA synchronous = NORMAL") }
        if path == ":memory:" {
            database = try DatabaseQueue(configuration: configuration)
        } else {
            configuration.journalMode = .wal
            database = try DatabaseQueue(path: path, configuration: configuration)
        }
        try Self.migrator.migrate(database)
        // A new run: drop the previous one's rows, all or nothing.
        try database.write { db in
            try db.execute(
                sql: """
                    DELETE FROM invoice_line_credits; DELETE FROM invoice_line_taxes; DELETE FROM invoice_line_discounts; DELETE FROM invoice_line_tiers; DELETE FROM invoice_lines; DELETE FROM invoices;
                    DELETE FROM meter_events; DELETE FROM usage_keys;
                    """)
        }
    }

    /// The versioned schema; a new version is a new `registerMigration` below the others.
    ///
    /// A migration is history: once released it is never edited (a file migrated by it keeps its
    /// tables). So `v1` spells out the invoice tables as they were then; they must equal the codec's
    /// ``InvoiceRows/shapes`` after every migration, which `SchemaShapeTests` checks. A field added to
    /// the codec (at the end of its table) comes with a migration here adding that column, e.g.
    /// `try db.execute(sql: "ALTER TABLE invoices ADD COLUMN discount INTEGER NOT NULL DEFAULT 0")`.
    static var migrator: DatabaseMigrator {
        var migrator = DatabaseMigrator()
        migrator.registerMigration("v1") { db in
            try db.execute(
                sql: """
                    CREATE TABLE usage_keys (
                        key INTEGER PRIMARY KEY,
                        meter TEXT NOT NULL,
                        customer TEXT NOT NULL,
                        UNIQUE (meter, customer)
                    );
                    CREATE TABLE meter_events (
                        key INTEGER NOT NULL,
                        timestamp INTEGER NOT NULL,
                        sequence INTEGER NOT NULL,
                        whole_hi INTEGER NOT NULL,
                        whole INTEGER NOT NULL,
                        micros INTEGER NOT NULL,
                        picos INTEGER NOT NULL,
                        PRIMARY KEY (key, timestamp, sequence)
                    ) WITHOUT ROWID;
                    CREATE TABLE invoices (
                        id TEXT PRIMARY KEY,
                        number INTEGER NOT NULL,
                        customer TEXT NOT NULL,
                        subscription TEXT NOT NULL,
                        billing_reason TEXT NOT NULL,
                        status TEXT NOT NULL,
                        currency TEXT NOT NULL,
                        collection_method TEXT NOT NULL,
                        created INTEGER NOT NULL,
                        period_start INTEGER NOT NULL,
                        period_end INTEGER NOT NULL,
                        starting_balance INTEGER NOT NULL,
                        finalized_at INTEGER,
                        paid_at INTEGER,
                        due_date INTEGER,
                        line_count INTEGER NOT NULL,
                        total INTEGER NOT NULL,
                        amount_due INTEGER NOT NULL
                    );
                    CREATE INDEX invoices_by_number ON invoices (number);
                    CREATE TABLE invoice_lines (
                        invoice_id TEXT NOT NULL REFERENCES invoices (id) ON DELETE CASCADE,
                        position INTEGER NOT NULL,
                        id TEXT NOT NULL,
                        price TEXT NOT NULL,
                        subscription_item TEXT NOT NULL,
                        description TEXT NOT NULL,
                        period_start INTEGER NOT NULL,
                        period_end INTEGER NOT NULL,
                        quantity TEXT NOT NULL,
                        transformed_quantity TEXT,
                        exact_amount TEXT NOT NULL,
                        amount INTEGER NOT NULL,
                        proration INTEGER NOT NULL,
                        metered INTEGER NOT NULL,
                        PRIMARY KEY (invoice_id, position)
                    );
                    CREATE TABLE invoice_line_tiers (
                        invoice_id TEXT NOT NULL,
                        line_position INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        tier INTEGER NOT NULL,
                        up_to INTEGER,
                        quantity TEXT NOT NULL,
                        unit_amount TEXT NOT NULL,
                        flat_amount TEXT NOT NULL,
                        amount TEXT NOT NULL,
                        PRIMARY KEY (invoice_id, line_position, position),
                        FOREIGN KEY (invoice_id, line_position) REFERENCES invoice_lines (invoice_id, position) ON DELETE CASCADE
                    );
                    """)
        }
        // Each line's discount amounts (Docs/SQLITE-SCHEMA.md).
        migrator.registerMigration("v2") { db in
            try db.execute(
                sql: """
                    CREATE TABLE invoice_line_discounts (
                        invoice_id TEXT NOT NULL,
                        line_position INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        discount TEXT NOT NULL,
                        amount INTEGER NOT NULL,
                        PRIMARY KEY (invoice_id, line_position, position),
                        FOREIGN KEY (invoice_id, line_position) REFERENCES invoice_lines (invoice_id, position) ON DELETE CASCADE
                    );
                    """)
        }
        // Each line's taxes (Docs/SQLITE-SCHEMA.md).
        migrator.registerMigration("v3-taxes") { db in
            try db.execute(
                sql: """
                    CREATE TABLE invoice_line_taxes (
                        invoice_id TEXT NOT NULL,
                        line_position INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        tax_rate TEXT NOT NULL,
                        inclusive INTEGER NOT NULL,
                        taxable_amount INTEGER NOT NULL,
                        amount INTEGER NOT NULL,
                        PRIMARY KEY (invoice_id, line_position, position),
                        FOREIGN KEY (invoice_id, line_position) REFERENCES invoice_lines (invoice_id, position) ON DELETE CASCADE
                    );
                    """)
        }
        // Each line's billing credit amounts, `pretax_credit_amounts` (Docs/SQLITE-SCHEMA.md).
        migrator.registerMigration("v4-credits") { db in
            try db.execute(
                sql: """
                    CREATE TABLE invoice_line_credits (
                        invoice_id TEXT NOT NULL,
                        line_position INTEGER NOT NULL,
                        position INTEGER NOT NULL,
                        credit_grant TEXT NOT NULL,
                        amount INTEGER NOT NULL,
                        PRIMARY KEY (invoice_id, line_position, position),
                        FOREIGN KEY (invoice_id, line_position) REFERENCES invoice_lines (invoice_id, position) ON DELETE CASCADE
                    );
                    """)
        }
        // Payments: attempts and the status transitions of void and uncollectible invoices (Docs/SQLITE-SCHEMA.md).
        migrator.registerMigration("v5-payments") { db in
            try db.execute(
                sql: """
                    ALTER TABLE invoices ADD COLUMN attempt_count INTEGER NOT NULL DEFAULT 0;
                    ALTER TABLE invoices ADD COLUMN voided_at INTEGER;
                    ALTER TABLE invoices ADD COLUMN marked_uncollectible_at INTEGER;
                    ALTER TABLE invoices ADD COLUMN next_payment_attempt INTEGER;
                    """)
        }
        return migrator
    }

    // MARK: Usage

    public func ingest(_ events: [RecordedMeterEvent]) async throws {
        let full = pending.withLock { pending in
            pending.add(events)
            return pending.rows.count >= pendingLimit
        }
        guard full else { return }
        // Write in the background so the engine goes on validating; one write at a time, in order.
        try await waitForWriter()
        let (keys, rows) = pending.withLock { $0.take() }
        let task = Task { try await self.write(keys: keys, rows: rows) }
        writer.withLock { $0 = task }
    }

    /// Waits for the background write, if one is running, and reports its error.
    func waitForWriter() async throws {
        guard
            let task = writer.withLock({ writer in
                defer { writer = nil }
                return writer
            })
        else { return }
        try await task.value
    }

    /// Writes every pending event now (before aggregating or reading, and at `close()`).
    func flush() async throws {
        try await waitForWriter()
        let (keys, rows) = pending.withLock { $0.take() }
        try await write(keys: keys, rows: rows)
    }

    /// Writes keys and events in one transaction, the events sorted by the table's key.
    ///
    /// A batch of the engine's size touches every key: inserted as it comes, each commit rewrites about
    /// one page per key, and ingestion runs at about 0.12M rows/s. Sorted and written 500,000 at a
    /// time, it runs at 0.58M to 0.69M rows/s (5M events over 10,000 keys, release build; see
    /// Docs/SQLITE-SCHEMA.md).
    func write(keys: [UsageKey], rows unsorted: [EventRow]) async throws {
        guard !unsorted.isEmpty || !keys.isEmpty else { return }
        let rows = unsorted.sorted { ($0.key, $0.timestamp, $0.sequence) < ($1.key, $1.timestamp, $1.sequence) }
        do {
            try await database.write { db in
                for key in keys {
                    try db.execute(
                        sql: "INSERT INTO usage_keys (key, meter, customer) VALUES (?, ?, ?)", arguments: [key.key, key.meter, key.customer])
                }
                try Self.insert(rows, db)
            }
        } catch {
            throw SQLiteBillingStoreError("\(name): writing \(rows.count) events: \(error)")
        }
    }

    /// Inserts the rows through one prepared statement, bound and stepped with SQLite's C API
    /// (about twice as fast as GRDB's statement arguments).
    static func insert(_ rows: [EventRow], _ db: Database) throws {
        let statement = try db.cachedStatement(
            sql: "INSERT INTO meter_events (key, timestamp, sequence, whole_hi, whole, micros, picos) VALUES (?, ?, ?, ?, ?, ?, ?)")
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        for row in rows {
            sqlite3_reset(handle)
            sqlite3_bind_int64(handle, 1, row.key)
            sqlite3_bind_int64(handle, 2, row.timestamp)
            sqlite3_bind_int64(handle, 3, row.sequence)
            sqlite3_bind_int64(handle, 4, row.value.wholeHigh)
            sqlite3_bind_int64(handle, 5, row.value.whole)
            sqlite3_bind_int64(handle, 6, row.value.micros)
            sqlite3_bind_int64(handle, 7, row.value.picos)
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
        }
    }

    public func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
        guard !queries.isEmpty else { return [] }
        try await flush()
        do {
            return try await database.read { db in try queries.map { try self.aggregate($0, db) } }
        } catch let error as SQLiteBillingStoreError {
            throw error
        } catch let error as AmountOverflow {
            throw error
        } catch {
            throw SQLiteBillingStoreError("\(name): aggregating usage: \(error)")
        }
    }

    func aggregate(_ query: UsageQuery, _ db: Database) throws -> Decimal12 {
        let arguments: StatementArguments = [query.key, query.period.start.seconds, query.period.end.seconds]
        let range = "FROM meter_events WHERE key = ? AND timestamp >= ? AND timestamp < ?"
        do {
            switch query.formula {
            case .count:
                return Decimal12(try Int.fetchOne(db.cachedStatement(sql: "SELECT COUNT(*) \(range)"), arguments: arguments) ?? 0)
            case .sum:
                let sql = "SELECT SUM(whole_hi), SUM(whole), SUM(micros), SUM(picos) \(range)"
                return try ValueParts(try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)).decimal()
            case .last:
                let sql = "SELECT whole_hi, whole, micros, picos \(range) ORDER BY timestamp DESC, sequence DESC LIMIT 1"
                return try ValueParts(try Row.fetchOne(db.cachedStatement(sql: sql), arguments: arguments)).decimal()
            }
        } catch let error as AmountOverflow {
            throw error
        } catch let error as DatabaseError where error.message == "integer overflow" {
            // A column's SUM beyond 64 bits: the sum is beyond 128-bit units long before that.
            throw AmountOverflow.usageSum
        } catch {
            throw SQLiteBillingStoreError(
                "\(name): \(query.formula) of meter \(query.meter) for customer \(query.customer) over [\(query.period.start), \(query.period.end)): \(error)"
            )
        }
    }

    // MARK: Invoices

    public func save(_ invoices: [Invoice]) async throws {
        guard !invoices.isEmpty else { return }
        do {
            try await database.write { db in
                try Self.save(invoices, db)
            }
        } catch {
            let ids = invoices.count == 1 ? "invoice \(invoices[0].id)" : "\(invoices.count) invoices starting with \(invoices[0].id)"
            throw SQLiteBillingStoreError("\(name): saving \(ids): \(error)")
        }
    }

    /// Writes invoices with their lines and tiers over their previous versions (inside the caller's
    /// transaction), as the shared codec (``InvoiceRows``) encodes them, through one prepared
    /// statement per table bound and stepped with SQLite's C API, as events are.
    static func save(_ invoices: [Invoice], _ db: Database) throws {
        // Within the batch the last version of an id wins.
        let batch = InvoiceRows.latestVersions(invoices)
        // Lines and tiers go with the previous version (ON DELETE CASCADE).
        let delete = try db.cachedStatement(sql: "DELETE FROM invoices WHERE id = ?")
        for invoice in batch { try delete.execute(arguments: [invoice.id]) }
        let rows = InvoiceRows.rows(for: batch)
        for table in InvoiceRows.shapes {
            try insert(rows[table], with: db.cachedStatement(sql: table.insertStatement), db)
        }
    }

    /// Binds each row's values in column order to `statement` and steps it.
    static func insert(_ rows: [[ColumnValue]], with statement: Statement, _ db: Database) throws {
        let handle = statement.sqliteStatement
        defer { sqlite3_reset(handle) }
        for row in rows {
            sqlite3_reset(handle)
            for (index, value) in row.enumerated() {
                let position = Int32(index + 1)
                let code =
                    switch value {
                    case .null: sqlite3_bind_null(handle, position)
                    case .integer(let integer): sqlite3_bind_int64(handle, position, integer)
                    case .boolean(let boolean): sqlite3_bind_int64(handle, position, boolean ? 1 : 0)
                    // A NULL pointer would bind NULL: "" is bound from a literal.
                    case .text(let text) where text.isEmpty: sqlite3_bind_text(handle, position, "", 0, sqliteTransient)
                    case .text(var text):
                        // The exact bytes (a NUL included), copied by SQLite before the call returns.
                        text.withUTF8 { bytes in
                            bytes.withMemoryRebound(to: CChar.self) { chars in
                                sqlite3_bind_text(handle, position, chars.baseAddress, Int32(chars.count), sqliteTransient)
                            }
                        }
                    }
                guard code == SQLITE_OK else {
                    throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
                }
            }
            let code = sqlite3_step(handle)
            guard code == SQLITE_DONE else {
                throw DatabaseError(resultCode: ResultCode(rawValue: code), message: String(cString: sqlite3_errmsg(db.sqliteConnection)))
            }
        }
    }

    public func invoices() async throws -> [Invoice] {
        // The end of a run: its last events reach the file too.
        try await flush()
        do {
            return try await database.read { db in
                var rows = InvoiceRows.Rows()
                rows.invoices = try Self.values(InvoiceRows.invoices.shape, db)
                rows.lines = try Self.values(InvoiceRows.lines.shape, db)
                rows.tiers = try Self.values(InvoiceRows.tiers.shape, db)
                rows.discounts = try Self.values(InvoiceRows.discounts.shape, db)
                rows.taxes = try Self.values(InvoiceRows.taxes.shape, db)
                rows.credits = try Self.values(InvoiceRows.credits.shape, db)
                return try InvoiceRows.invoices(from: rows)
            }
        } catch {
            throw SQLiteBillingStoreError("\(name): reading invoices: \(error)")
        }
    }

    /// Every row of a codec table, in its order, as column values (the codec decodes them).
    static func values(_ table: TableShape, _ db: Database) throws -> [[ColumnValue]] {
        try Row.fetchAll(db, sql: table.selectStatement(.sqlite)).map { row in
            try table.columns.indices.map { index -> ColumnValue in
                let value: DatabaseValue = row[index]
                switch value.storage {
                case .null: return .null
                case .int64(let integer): return .integer(integer)
                case .string(let text): return .text(text)
                case .double, .blob: throw SQLiteBillingStoreError("\(table.name).\(table.columns[index].name): unexpected value \(value)")
                }
            }
        }
    }

    public func close() async throws {
        try await flush()
        try database.close()
    }
}

/// An error of the SQLite store, naming the store and what it was doing.
public struct SQLiteBillingStoreError: Error, CustomStringConvertible {
    public var description: String
    init(_ description: String) { self.description = description }
}

/// What ``SQLiteBillingStore`` has not written yet: keys seen for the first time and events.
struct Pending {
    var seen = UsageKeys()
    var keys: [UsageKey] = []
    var rows: [EventRow] = []

    mutating func add(_ events: [RecordedMeterEvent]) {
        keys += seen.new(in: events)
        for event in events { rows.append(EventRow(event)) }
    }

    /// The pending keys and rows, leaving none.
    mutating func take() -> (keys: [UsageKey], rows: [EventRow]) {
        defer {
            keys = []
            rows = []
        }
        return (keys, rows)
    }
}

/// An event as `meter_events` stores it: integers only.
struct EventRow: Sendable {
    var key: Int64
    var timestamp: Int64
    var sequence: Int64
    var value: ValueParts

    init(_ event: RecordedMeterEvent) {
        key = Int64(event.key)
        timestamp = event.timestamp.seconds
        sequence = event.sequence
        value = ValueParts(event.value)
    }
}

/// A `Decimal12` as four integer columns, each carrying the value's sign (so each fits an SQLite
/// `INTEGER` and sums exactly): `wholeHigh·10²⁴ + whole·10¹² + micros·10⁶ + picos` units of 10⁻¹².
struct ValueParts: Sendable {
    var wholeHigh: Int64 = 0
    var whole: Int64 = 0
    var micros: Int64 = 0
    var picos: Int64 = 0

    init(_ value: Decimal12) {
        // Truncating division: every part has the value's sign. Most values fit Int64 units.
        if let units = Int64(exactly: value.units) {
            whole = units / 1_000_000_000_000
            micros = units % 1_000_000_000_000 / 1_000_000
            picos = units % 1_000_000
        } else {
            let whole = value.units / Decimal12.scale
            wholeHigh = Int64(whole / Decimal12.scale)
            self.whole = Int64(whole % Decimal12.scale)
            micros = Int64(value.units % Decimal12.scale / 1_000_000)
            picos = Int64(value.units % 1_000_000)
        }
    }

    /// The four columns of a row (or their `SUM`s); all zero when there is no row or the sums are NULL.
    init(_ row: Row?) {
        guard let row else { return }
        wholeHigh = row[0] ?? 0
        whole = row[1] ?? 0
        micros = row[2] ?? 0
        picos = row[3] ?? 0
    }

    /// Recombines the parts; a total beyond `Int128` is ``AmountOverflow/usageSum``, as on every store.
    func decimal() throws -> Decimal12 {
        var units: Int128 = 0
        for (part, scale) in [(wholeHigh, 1), (whole, 1_000_000_000_000), (micros, 1_000_000), (picos, 1_000_000)] as [(Int64, Int128)] {
            let (scaled, overflow) = units.multipliedReportingOverflow(by: scale)
            let (sum, carry) = scaled.addingReportingOverflow(Int128(part))
            guard !overflow, !carry else { throw AmountOverflow.usageSum }
            units = sum
        }
        return Decimal12(units: units)
    }
}

/// SQLite's `SQLITE_TRANSIENT`: the text is copied before the bind returns.
nonisolated(unsafe) private let sqliteTransient = unsafeBitCast(OpaquePointer(bitPattern: -1), to: sqlite3_destructor_type.self)
