import BillingCore
import BillingStoreRows
import Foundation
import GRDB
import Testing

@testable import BillingStoreSQLite

#if PostgreSQL
    import PostgresNIO

    @testable import BillingStorePostgres
#endif

/// A column as a real database describes it: name, SQL type, whether it refuses NULL.
struct DatabaseColumn: Equatable, CustomStringConvertible {
    var name: String
    var type: String
    var notNull: Bool

    var description: String { "\(name) \(type)\(notNull ? " NOT NULL" : "")" }
}

/// The columns the codec expects of a table in a dialect.
func expectedColumns(_ table: TableShape, _ dialect: SQLDialect) -> [DatabaseColumn] {
    table.columns.map { DatabaseColumn(name: $0.name, type: $0.kind.sqlType(dialect), notNull: !$0.isNullable) }
}

/// The invoice tables of each real database are the codec's shape: the SQLite store's after its
/// migrations (`PRAGMA table_info`), the PostgreSQL store's as created for a run
/// (`information_schema.columns`), the same column names in the same order in both; and the
/// codec's fixtures read back identical from each store.
@Suite("Schema shape")
struct SchemaShapeTests {
    static func sqliteColumns() async throws -> [String: [DatabaseColumn]] {
        let store = try SQLiteBillingStore(path: ":memory:")
        let tables = try await store.database.read { db in
            var tables: [String: [DatabaseColumn]] = [:]
            for table in InvoiceRows.shapes {
                // A TEXT PRIMARY KEY without NOT NULL is not null in practice (the store never writes NULL there).
                let sql = "SELECT name, type, \"notnull\", pk FROM pragma_table_info(?) ORDER BY cid"
                tables[table.name] = try Row.fetchAll(db, sql: sql, arguments: [table.name])
                    .map { DatabaseColumn(name: $0["name"], type: $0["type"], notNull: $0["notnull"] as Int == 1 || $0["pk"] as Int > 0) }
            }
            return tables
        }
        try await store.close()
        return tables
    }

    @Test func sqliteTablesAreTheCodecShape() async throws {
        let columns = try await Self.sqliteColumns()
        for table in InvoiceRows.shapes {
            #expect(columns[table.name] == expectedColumns(table, .sqlite), "\(table.name): a migration is missing or differs from InvoiceRows")
        }
    }

    @Test func fixturesRoundTripThroughSQLite() async throws {
        for path in [":memory:", FileManager.default.temporaryDirectory.appendingPathComponent("billsim-rows-\(UUID().uuidString).sqlite").path] {
            defer { if path != ":memory:" { for suffix in ["", "-wal", "-shm"] { try? FileManager.default.removeItem(atPath: path + suffix) } } }
            let store = try SQLiteBillingStore(path: path)
            try await store.save(Fixtures.invoices)
            let read = try await store.invoices()
            try await store.close()
            #expect(read.count == Fixtures.invoices.count)
            for (actual, expected) in zip(read, Fixtures.invoices) { #expect(actual == expected, "\(path) \(expected.id)") }
        }
    }

    #if PostgreSQL
        static func postgresURL() throws -> String {
            guard let url = ProcessInfo.processInfo.environment[PostgresBillingStore.urlEnvironmentVariable], !url.isEmpty else {
                throw PostgresStoreError(
                    store: "$BILLSIM_POSTGRES_URL", message: "not set: run the tests with Scripts/test, which starts a throwaway PostgreSQL")
            }
            return url
        }

        static func postgresColumns() async throws -> [String: [DatabaseColumn]] {
            let store = try await PostgresBillingStore.connect(url: try postgresURL())
            let schema = store.schema
            do {
                let tables = try await store.perform("reading the columns") { connection in
                    var tables: [String: [DatabaseColumn]] = [:]
                    for table in InvoiceRows.shapes {
                        let rows = try await connection.query(
                            """
                            SELECT column_name, data_type, is_nullable FROM information_schema.columns
                            WHERE table_schema = \(schema) AND table_name = \(table.name) ORDER BY ordinal_position
                            """, logger: PostgresBillingStore.logger
                        ).collect()
                        tables[table.name] = try rows.map { row in
                            let (name, type, nullable) = try row.decode((String, String, String).self)
                            return DatabaseColumn(name: name, type: type, notNull: nullable == "NO")
                        }
                    }
                    return tables
                }
                try await store.close()
                return tables
            } catch {
                try? await store.close()
                throw error
            }
        }

        @Test func postgresTablesAreTheCodecShape() async throws {
            let columns = try await Self.postgresColumns()
            for table in InvoiceRows.shapes {
                #expect(columns[table.name] == expectedColumns(table, .postgres), "\(table.name)")
            }
        }

        /// The issue this target exists for: both stores' tables have the same columns, in the same order.
        @Test func sqliteAndPostgresHaveTheSameColumnsInTheSameOrder() async throws {
            let (sqlite, postgres) = (try await Self.sqliteColumns(), try await Self.postgresColumns())
            for table in InvoiceRows.shapes {
                let (left, right) = (sqlite[table.name]?.map(\.name), postgres[table.name]?.map(\.name))
                #expect(left != nil && left == right, "\(table.name): SQLite \(left ?? []) against PostgreSQL \(right ?? [])")
                #expect(sqlite[table.name]?.map(\.notNull) == postgres[table.name]?.map(\.notNull), "\(table.name): nullability")
            }
        }

        @Test func fixturesRoundTripThroughPostgres() async throws {
            let store = try await PostgresBillingStore.connect(url: try Self.postgresURL())
            do {
                // In two batches, the second replacing one invoice of the first.
                try await store.save(Array(Fixtures.invoices.prefix(5)))
                try await store.save(Array(Fixtures.invoices.dropFirst(3)))
                let read = try await store.invoices()
                try await store.close()
                #expect(read.count == Fixtures.invoices.count)
                for (actual, expected) in zip(read, Fixtures.invoices) { #expect(actual == expected, "\(expected.id)") }
            } catch {
                try? await store.close()
                throw error
            }
        }
    #endif
}
