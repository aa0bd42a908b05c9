import BillingCore

// The vocabulary of the row codec: columns, tables and values, with no database library. Each SQL
// store maps a ``ColumnValue`` to its own API (SQLite binds and reads, PostgreSQL COPY text and
// reads) and asks a ``TableShape`` for its DDL and statements, so a table's columns are written
// down once, in InvoiceRows.swift.

/// The SQL dialects the stores speak.
package enum SQLDialect: Sendable, Hashable {
    case sqlite, postgres
}

/// How a column's values are written, which decides its SQL type in each dialect.
package enum ColumnKind: Sendable, Hashable {
    /// A 64-bit integer: counts, minor units, Unix seconds, positions.
    case integer
    /// Text kept byte for byte: ids, Stripe's enum strings, descriptions.
    case text
    /// An ``ExactDecimal``, written as its plain decimal text (``ExactDecimal/description``) and read
    /// back digit for digit (``ExactDecimal/init(exactText:)``).
    case decimal
    /// true or false.
    case boolean

    /// The column's SQL type: SQLite keeps exact decimals as text (its `REAL` would round) and
    /// booleans as 0/1; PostgreSQL has `numeric` (exact, summed exactly in SQL) and `boolean`.
    package func sqlType(_ dialect: SQLDialect) -> String {
        switch (self, dialect) {
        case (.integer, .sqlite), (.boolean, .sqlite): "INTEGER"
        case (.text, .sqlite), (.decimal, .sqlite): "TEXT"
        case (.integer, .postgres): "bigint"
        case (.text, .postgres): "text"
        case (.decimal, .postgres): "numeric"
        case (.boolean, .postgres): "boolean"
        }
    }
}

/// One column value in a store-neutral form; decimals travel as their text.
package enum ColumnValue: Sendable, Hashable {
    case null
    case integer(Int64)
    case text(String)
    case boolean(Bool)
}

/// One column of a table whose rows are made from `Record`s: its name, kind and how a record gives its value.
package struct Column<Record>: Sendable {
    package var name: String
    package var kind: ColumnKind
    package var isNullable: Bool
    /// A value computed from other fields (`total`, …): written for people querying the database,
    /// never read back (the record's own fields are the truth).
    package var isDerived: Bool
    package var value: @Sendable (Record) -> ColumnValue

    package static func integer(_ name: String, derived: Bool = false, _ value: @escaping @Sendable (Record) -> Int64) -> Column {
        Column(name: name, kind: .integer, isNullable: false, isDerived: derived) { .integer(value($0)) }
    }

    package static func optionalInteger(_ name: String, _ value: @escaping @Sendable (Record) -> Int64?) -> Column {
        Column(name: name, kind: .integer, isNullable: true, isDerived: false) { value($0).map(ColumnValue.integer) ?? .null }
    }

    package static func text(_ name: String, _ value: @escaping @Sendable (Record) -> String) -> Column {
        Column(name: name, kind: .text, isNullable: false, isDerived: false) { .text(value($0)) }
    }

    package static func decimal(_ name: String, _ value: @escaping @Sendable (Record) -> ExactDecimal) -> Column {
        Column(name: name, kind: .decimal, isNullable: false, isDerived: false) { .text(value($0).description) }
    }

    package static func optionalDecimal(_ name: String, _ value: @escaping @Sendable (Record) -> ExactDecimal?) -> Column {
        Column(name: name, kind: .decimal, isNullable: true, isDerived: false) { value($0).map { .text($0.description) } ?? .null }
    }

    package static func boolean(_ name: String, _ value: @escaping @Sendable (Record) -> Bool) -> Column {
        Column(name: name, kind: .boolean, isNullable: false, isDerived: false) { .boolean(value($0)) }
    }
}

/// A table's shape without its records: what DDL, statements and schema checks need.
package struct TableShape: Sendable, Hashable {
    package struct ColumnShape: Sendable, Hashable {
        package var name: String
        package var kind: ColumnKind
        package var isNullable: Bool
        package var isDerived: Bool
    }

    /// `FOREIGN KEY (columns) REFERENCES table (referencedColumns) ON DELETE CASCADE`.
    package struct ForeignKey: Sendable, Hashable {
        package var columns: [String]
        package var table: String
        package var referencedColumns: [String]
    }

    package var name: String
    package var columns: [ColumnShape]
    package var primaryKey: [String]
    package var foreignKey: ForeignKey?
    /// Secondary indexes: (name, columns).
    package var indexes: [Index]
    /// The order rows are read back in.
    package var order: [String]

    package struct Index: Sendable, Hashable {
        package var name: String
        package var columns: [String]
    }

    package var columnNames: [String] { columns.map(\.name) }

    /// `CREATE TABLE` and `CREATE INDEX` statements for a fresh schema. PostgreSQL text columns compare
    /// bytewise (`COLLATE "C"`), as SQLite's and the memory store's do, whatever the database's locale.
    package func createStatements(_ dialect: SQLDialect) -> [String] {
        var parts = columns.map { column in
            let collation = dialect == .postgres && column.kind == .text ? " COLLATE \"C\"" : ""
            return "\(column.name) \(column.kind.sqlType(dialect))\(collation)\(column.isNullable ? "" : " NOT NULL")"
        }
        parts.append("PRIMARY KEY (\(primaryKey.joined(separator: ", ")))")
        if let key = foreignKey {
            let (columns, referenced) = (key.columns.joined(separator: ", "), key.referencedColumns.joined(separator: ", "))
            parts.append("FOREIGN KEY (\(columns)) REFERENCES \(key.table) (\(referenced)) ON DELETE CASCADE")
        }
        let table = "CREATE TABLE \(name) (\n    \(parts.joined(separator: ",\n    "))\n)"
        return [table] + indexes.map { "CREATE INDEX \($0.name) ON \(name) (\($0.columns.joined(separator: ", ")))" }
    }

    /// `INSERT INTO name (every column) VALUES (?, …)`: SQLite's statement for a row's values in column order.
    package var insertStatement: String {
        "INSERT INTO \(name) (\(columnNames.joined(separator: ", "))) VALUES (\(Array(repeating: "?", count: columns.count).joined(separator: ", ")))"
    }

    /// `SELECT every column FROM name ORDER BY …`; PostgreSQL returns decimals as their text (`::text`).
    package func selectStatement(_ dialect: SQLDialect) -> String {
        let list = columns.map { dialect == .postgres && $0.kind == .decimal ? "\($0.name)::text" : $0.name }
        return "SELECT \(list.joined(separator: ", ")) FROM \(name) ORDER BY \(order.joined(separator: ", "))"
    }
}

/// The columns of a table made from `Record`s, in their stored order, and its keys.
package struct Table<Record>: Sendable {
    package var columns: [Column<Record>]
    package var shape: TableShape

    package init(
        _ name: String, columns: [Column<Record>], primaryKey: [String], foreignKey: TableShape.ForeignKey? = nil, indexes: [TableShape.Index] = [],
        order: [String]
    ) {
        self.columns = columns
        shape = TableShape(
            name: name, columns: columns.map { .init(name: $0.name, kind: $0.kind, isNullable: $0.isNullable, isDerived: $0.isDerived) },
            primaryKey: primaryKey, foreignKey: foreignKey, indexes: indexes, order: order)
    }

    /// A record's row: its values in column order.
    package func row(_ record: Record) -> [ColumnValue] { columns.map { $0.value(record) } }
}

/// A stored row being decoded: its values by column name, and errors that name the table, the row and the column.
package struct StoredRow {
    let shape: TableShape
    let positions: [String: Int]
    let values: [ColumnValue]

    init(_ shape: TableShape, positions: [String: Int], values: [ColumnValue]) throws {
        guard values.count == shape.columns.count else {
            throw RowDecodingError(table: shape.name, row: nil, message: "\(values.count) values for \(shape.columns.count) columns")
        }
        self.shape = shape
        self.positions = positions
        self.values = values
    }

    func value(_ name: String) -> ColumnValue {
        // Names come from the table's own column list (InvoiceRows.swift): a missing one is a typo there.
        guard let position = positions[name] else { preconditionFailure("no column \(name) in \(shape.name)") }
        return values[position]
    }

    func failure(_ name: String, _ message: String) -> RowDecodingError {
        // The row's first column is its id (invoices) or its invoice's id (lines, tiers).
        let row: String? = if case .text(let id) = values.first { id } else { nil }
        return RowDecodingError(table: shape.name, row: row, message: "column \(name): \(message)")
    }

    func optionalInteger(_ name: String) throws -> Int64? {
        switch value(name) {
        case .null: return nil
        case .integer(let value): return value
        case let other: throw failure(name, "expected an integer, found \(other)")
        }
    }

    func integer(_ name: String) throws -> Int64 {
        guard let value = try optionalInteger(name) else { throw failure(name, "unexpected NULL") }
        return value
    }

    /// An integer column that holds a Swift `Int` (a number, a position).
    func int(_ name: String) throws -> Int {
        let value = try integer(name)
        guard let int = Int(exactly: value) else { throw failure(name, "\(value) is out of range") }
        return int
    }

    func text(_ name: String) throws -> String {
        switch value(name) {
        case .text(let text): return text
        case let other: throw failure(name, "expected text, found \(other)")
        }
    }

    func optionalDecimal(_ name: String) throws -> ExactDecimal? {
        switch value(name) {
        case .null: return nil
        case .text(let text):
            guard let decimal = ExactDecimal(exactText: text) else { throw failure(name, "not an exact decimal: \(text)") }
            return decimal
        case let other: throw failure(name, "expected an exact decimal, found \(other)")
        }
    }

    func decimal(_ name: String) throws -> ExactDecimal {
        guard let value = try optionalDecimal(name) else { throw failure(name, "unexpected NULL") }
        return value
    }

    func boolean(_ name: String) throws -> Bool {
        switch value(name) {
        case .boolean(let value): return value
        // SQLite has no boolean type: 0 and 1.
        case .integer(0): return false
        case .integer(1): return true
        case let other: throw failure(name, "expected a boolean, found \(other)")
        }
    }

    /// A text column holding one of an enum's raw values (`status`, `billing_reason`, …).
    func enumeration<T: RawRepresentable<String>>(_ name: String, as type: T.Type = T.self) throws -> T {
        let text = try text(name)
        guard let value = T(rawValue: text) else { throw failure(name, "unknown \(T.self) \"\(text)\"") }
        return value
    }
}

/// A row that cannot be decoded (a schema changed behind the store's back), naming the table, row and column.
package struct RowDecodingError: Error, CustomStringConvertible {
    package var table: String
    package var row: String?
    package var message: String

    package var description: String { "\(table)\(row.map { " row \"\($0)\"" } ?? ""): \(message)" }
}
