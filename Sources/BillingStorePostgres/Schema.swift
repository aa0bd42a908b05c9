#if PostgreSQL
    import BillingCore
    import BillingStoreRows
    import Foundation
    import PostgresNIO

    /// The tables of one run's schema, and the SQL that writes and reads them.
    ///
    /// ```
    /// usage_keys          key → (meter, customer): the run's pairs, by the engine's run-local key
    /// meter_events        key, ts (Unix seconds), seq (receipt order), value (exact numeric), identifier
    /// invoices            one row per invoice id; instants as Unix seconds; enums as Stripe's strings
    /// invoice_lines       (invoice_id, position) → a line; exact amounts as numeric
    /// invoice_line_tiers  (invoice_id, line_position, position) → a tier of a line's breakdown
    /// invoice_line_discounts (invoice_id, line_position, position) → one of a line's discount_amounts
    /// invoice_line_taxes  (invoice_id, line_position, position) → one of a line's taxes
    /// invoice_line_credits (invoice_id, line_position, position) → one of a line's pretax_credit_amounts
    /// ```
    /// The six invoice tables are the shared codec's (`InvoiceRows`, target `BillingStoreRows`): created
    /// from its shapes in each run's fresh schema, so they have the SQLite store's columns in its order,
    /// written by COPY from its rows and read back through its decoder. A field added there needs nothing here.
    /// Text columns compare bytewise (`COLLATE "C"`), as the other stores do, whatever the database's locale.
    enum Schema {
        static let eventColumns = ["key", "ts", "seq", "value", "identifier"]

        /// `"name"`; only ever called with a name that passed ``PostgresBillingStore/isValidSchemaName(_:)``.
        static func quoted(_ schema: String) -> String { "\"\(schema)\"" }

        /// Creates the schema and its tables, and points the session at it.
        static func statements(schema: String) -> [PostgresQuery] {
            [
                "CREATE SCHEMA \(unescaped: quoted(schema))",
                "SET search_path TO \(unescaped: quoted(schema))",
                // A lost commit after a crash is harmless here (the run is repeated); waiting for a disk flush per save is not.
                "SET synchronous_commit TO off",
                """
                CREATE TABLE usage_keys (
                    key bigint PRIMARY KEY, meter text COLLATE "C" NOT NULL, customer text COLLATE "C" NOT NULL, UNIQUE (meter, customer))
                """,
                // Integer keys rather than the meter and customer texts: smaller rows to COPY, and an index
                // that builds in less than half the time (2.1 s against 5.1 s for 5M rows).
                """
                CREATE TABLE meter_events (key bigint NOT NULL, ts bigint NOT NULL, seq bigint NOT NULL, value numeric NOT NULL, identifier text NOT NULL)
                """,
            ] + InvoiceRows.shapes.flatMap { $0.createStatements(.postgres) }.map { PostgresQuery(unsafeSQL: $0) }
        }

        /// The index aggregation reads by, built by the first aggregate (see ``PostgresBillingStore/indexed``).
        /// It carries the value, so a period's usage is read from the index alone where ``vacuum`` has
        /// marked the table's pages all-visible.
        static let createIndex: PostgresQuery = "CREATE INDEX IF NOT EXISTS meter_events_key_ts ON meter_events (key, ts, seq) INCLUDE (value)"
        /// Marks the freshly loaded pages all-visible (for index-only scans) in one sequential pass,
        /// rather than letting the first aggregations set hint bits page by page (measured: 0.2 s for 5M
        /// rows, against 2.5 s more in the first batch of aggregations).
        static let vacuum: PostgresQuery = "VACUUM meter_events"

        /// Records (meter, customer) pairs under their keys.
        static func insertKeys(_ keys: [UsageKey]) -> PostgresQuery {
            let (numbers, meters, customers) = (keys.map(\.key), keys.map(\.meter), keys.map(\.customer))
            return "INSERT INTO usage_keys (key, meter, customer) SELECT * FROM unnest(\(numbers)::bigint[], \(meters)::text[], \(customers)::text[])"
        }

        // MARK: Aggregating usage

        /// One statement answering a batch of usage queries: a row per query, in order, holding the
        /// aggregate × 10¹² as integer text (truncated: the exact value in units of 10⁻¹²), or NULL for a
        /// `last` without events. Each query is an index range scan; only the branch of its formula runs.
        static func aggregate(_ queries: [UsageQuery]) -> PostgresQuery {
            let formulas = queries.map { $0.formula.rawValue }
            let keys = queries.map(\.key)
            let starts = queries.map(\.period.start.seconds)
            let ends = queries.map(\.period.end.seconds)
            let branches = AggregationFormula.allCases.map { "WHEN '\($0.rawValue)' THEN (\(aggregation($0)))" }.joined(separator: "\n")
            return """
                SELECT CASE q.formula \(unescaped: branches) END
                FROM unnest(\(formulas)::text[], \(keys)::bigint[], \(starts)::bigint[], \(ends)::bigint[])
                    WITH ORDINALITY AS q(formula, key, start_ts, end_ts, position)
                ORDER BY q.position
                """
        }

        /// The subquery computing one formula for the query row `q`, as integer text of units of 10⁻¹².
        static func aggregation(_ formula: AggregationFormula) -> String {
            let range = "FROM meter_events e WHERE e.key = q.key AND e.ts >= q.start_ts AND e.ts < q.end_ts"
            return switch formula {
            case .sum: "SELECT trunc(coalesce(sum(e.value), 0) * 1000000000000)::text \(range)"
            // numeric: a count of more than 9.2 million events × 10¹² is beyond bigint.
            case .count: "SELECT (count(*)::numeric * 1000000000000)::text \(range)"
            case .last: "SELECT trunc(e.value * 1000000000000)::text \(range) ORDER BY e.ts DESC, e.seq DESC LIMIT 1"
            }
        }

        // MARK: Invoices

        /// Every row of a codec table, in its order, as column values by the column's kind (decimals arrive
        /// as their exact text: the SELECT casts them to `::text`).
        static func values(_ rows: [PostgresRow], _ table: TableShape) throws -> [[ColumnValue]] {
            try rows.map { row in
                let cells = row.makeRandomAccess()
                return try table.columns.enumerated().map { index, column in
                    let cell = cells[index]
                    return switch column.kind {
                    case .integer: try cell.decode(Int64?.self).map(ColumnValue.integer) ?? .null
                    case .text, .decimal: try cell.decode(String?.self).map(ColumnValue.text) ?? .null
                    case .boolean: try cell.decode(Bool?.self).map(ColumnValue.boolean) ?? .null
                    }
                }
            }
        }
    }
#endif
