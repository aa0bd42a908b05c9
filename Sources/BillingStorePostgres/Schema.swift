#if PostgreSQL
import BillingCore
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
/// ```
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
            """
            CREATE TABLE invoices (
                id text COLLATE "C" PRIMARY KEY, number bigint NOT NULL, customer text NOT NULL, subscription text NOT NULL,
                billing_reason text NOT NULL, status text NOT NULL, currency text NOT NULL, collection_method text NOT NULL,
                created bigint NOT NULL, period_start bigint NOT NULL, period_end bigint NOT NULL, starting_balance bigint NOT NULL,
                finalized_at bigint, paid_at bigint, due_date bigint)
            """,
            """
            CREATE TABLE invoice_lines (
                invoice_id text COLLATE "C" NOT NULL REFERENCES invoices ON DELETE CASCADE, position integer NOT NULL,
                id text NOT NULL, price text NOT NULL, subscription_item text NOT NULL, description text NOT NULL,
                period_start bigint NOT NULL, period_end bigint NOT NULL, quantity numeric NOT NULL, transformed_quantity numeric,
                exact_amount numeric NOT NULL, amount bigint NOT NULL, proration boolean NOT NULL, metered boolean NOT NULL,
                PRIMARY KEY (invoice_id, position))
            """,
            """
            CREATE TABLE invoice_line_tiers (
                invoice_id text COLLATE "C" NOT NULL, line_position integer NOT NULL, position integer NOT NULL,
                tier integer NOT NULL, up_to bigint, quantity numeric NOT NULL, unit_amount numeric NOT NULL,
                flat_amount numeric NOT NULL, amount numeric NOT NULL,
                PRIMARY KEY (invoice_id, line_position, position),
                FOREIGN KEY (invoice_id, line_position) REFERENCES invoice_lines ON DELETE CASCADE)
            """,
        ]
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

    // MARK: Writing invoices

    static let invoiceColumns = [
        "id", "number", "customer", "subscription", "billing_reason", "status", "currency", "collection_method", "created", "period_start",
        "period_end", "starting_balance", "finalized_at", "paid_at", "due_date",
    ]
    static let lineColumns = [
        "invoice_id", "position", "id", "price", "subscription_item", "description", "period_start", "period_end", "quantity",
        "transformed_quantity", "exact_amount", "amount", "proration", "metered",
    ]
    static let tierColumns = ["invoice_id", "line_position", "position", "tier", "up_to", "quantity", "unit_amount", "flat_amount", "amount"]

    /// The invoices, their lines and the lines' tiers as rows of COPY text columns (`nil` is NULL),
    /// in the order of the column lists above; the server converts each text to its column's type.
    static func rows(for invoices: [Invoice]) -> (invoices: [[String?]], lines: [[String?]], tiers: [[String?]]) {
        var invoiceRows: [[String?]] = []
        var lineRows: [[String?]] = []
        var tierRows: [[String?]] = []
        for invoice in invoices {
            invoiceRows.append([
                invoice.id, "\(invoice.number)", invoice.customer, invoice.subscription, invoice.billingReason.rawValue, invoice.status.rawValue,
                invoice.currency.code, invoice.collectionMethod.rawValue, "\(invoice.created.seconds)", "\(invoice.periodStart.seconds)",
                "\(invoice.periodEnd.seconds)", "\(invoice.startingBalance)", invoice.finalizedAt.map { "\($0.seconds)" },
                invoice.paidAt.map { "\($0.seconds)" }, invoice.dueDate.map { "\($0.seconds)" },
            ])
            for (position, line) in invoice.lines.enumerated() {
                lineRows.append([
                    invoice.id, "\(position)", line.id, line.price, line.subscriptionItem, line.description, "\(line.period.start.seconds)",
                    "\(line.period.end.seconds)", line.quantity.description, line.transformedQuantity?.description, line.exactAmount.description,
                    "\(line.amount)", "\(line.proration)", "\(line.metered)",
                ])
                for (tierPosition, tier) in line.tiers.enumerated() {
                    tierRows.append([
                        invoice.id, "\(position)", "\(tierPosition)", "\(tier.tier)", tier.upTo.map { "\($0)" }, tier.quantity.description,
                        tier.unitAmount.description, tier.flatAmount.description, tier.amount.description,
                    ])
                }
            }
        }
        return (invoiceRows, lineRows, tierRows)
    }

    // MARK: Reading invoices

    static let selectInvoices: PostgresQuery = """
        SELECT id, number, customer, subscription, billing_reason, status, currency, collection_method,
               created, period_start, period_end, starting_balance, finalized_at, paid_at, due_date
        FROM invoices ORDER BY number, id
        """
    static let selectLines: PostgresQuery = """
        SELECT invoice_id, id, price, subscription_item, description, period_start, period_end,
               quantity::text, transformed_quantity::text, exact_amount::text, amount, proration, metered
        FROM invoice_lines ORDER BY invoice_id, position
        """
    static let selectTiers: PostgresQuery = """
        SELECT invoice_id, line_position, tier, up_to, quantity::text, unit_amount::text, flat_amount::text, amount::text
        FROM invoice_line_tiers ORDER BY invoice_id, line_position, position
        """

    /// Rebuilds the invoices from the rows of the three SELECTs above.
    static func decode(invoices: [PostgresRow], lines: [PostgresRow], tiers: [PostgresRow]) throws -> [Invoice] {
        var tiersByLine: [String: [Int: [TierAmount]]] = [:]
        for row in tiers {
            let (invoiceID, linePosition, index, upTo, quantity, unitAmount, flatAmount, amount) = try row.decode(
                (String, Int32, Int32, Int64?, String, String, String, String).self)
            var tier = TierAmount(
                tier: Int(index), upTo: upTo, quantity: try exact(quantity), unitAmount: try exact(unitAmount), flatAmount: try exact(flatAmount))
            tier.amount = try exact(amount)
            tiersByLine[invoiceID, default: [:]][Int(linePosition), default: []].append(tier)
        }
        var linesByInvoice: [String: [InvoiceLine]] = [:]
        for row in lines {
            let (invoiceID, id, price, item, description, start, end, quantity, transformed, exactAmount, amount, proration, metered) =
                try row.decode((String, String, String, String, String, Int64, Int64, String, String?, String, Int64, Bool, Bool).self)
            let position = linesByInvoice[invoiceID, default: []].count
            let rated = RatedAmount(
                exact: try exact(exactAmount), transformedQuantity: try transformed.map(exact), tiers: tiersByLine[invoiceID]?[position] ?? [])
            var line = InvoiceLine(
                id: id, price: price, subscriptionItem: item, description: description,
                period: Period(start: Instant(seconds: start), end: Instant(seconds: end)), quantity: try exact(quantity), rated: rated,
                proration: proration, metered: metered)
            line.amount = amount
            linesByInvoice[invoiceID, default: []].append(line)
        }
        return try invoices.map { row in
            let (id, number, customer, subscription, reason, status, currency, method, created, start, end, balance, finalized, paid, due) =
                try row.decode(
                    (String, Int64, String, String, String, String, String, String, Int64, Int64, Int64, Int64, Int64?, Int64?, Int64?).self)
            return Invoice(
                id: id, number: Int(number), customer: customer, subscription: subscription,
                billingReason: try parse(BillingReason(rawValue: reason), reason), status: try parse(InvoiceStatus(rawValue: status), status),
                currency: try parse(Currency(code: currency), currency),
                collectionMethod: try parse(CollectionMethod(rawValue: method), method), created: Instant(seconds: created),
                periodStart: Instant(seconds: start), periodEnd: Instant(seconds: end), lines: linesByInvoice[id] ?? [], startingBalance: balance,
                finalizedAt: finalized.map(Instant.init(seconds:)), paidAt: paid.map(Instant.init(seconds:)), dueDate: due.map(Instant.init(seconds:)))
        }
    }

    private static func parse<T>(_ value: T?, _ text: String) throws -> T {
        guard let value else { throw UnexpectedResult(description: "unknown \(T.self) \"\(text)\" in the invoices table") }
        return value
    }

    /// A numeric column's text back as the ``ExactDecimal`` that wrote it.
    static func exact(_ text: String) throws -> ExactDecimal {
        if let value = ExactDecimal(exactText: text) { return value }
        throw UnexpectedResult(description: "not an exact decimal: \(text)")
    }
}
#endif
