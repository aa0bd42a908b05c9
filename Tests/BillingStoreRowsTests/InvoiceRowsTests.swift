import BillingCore
import Testing

@testable import BillingStoreRows

/// Invoices that exercise every stored field: all optionals nil and all set, every enum case,
/// negative and extreme amounts, exact decimals with 38 digits, and text that SQL, COPY and
/// C strings treat specially. Shared with SchemaShapeTests, which sends them through both real stores.
enum Fixtures {
    static func at(_ seconds: Int64) -> Instant { Instant(seconds: 1_767_225_600 + seconds) }

    static let texts = [
        "", "x'); DROP TABLE invoices; --", "\"a\" 'b' `c` ; ? $1 :name", "tab\there\nnewline\r\ncrlf", "\\N", "\\.", "back\\slash \\\\ end",
        "客户-Ünïcødé-😀-\u{202E}rtl", "e\u{301} combining", " leading and trailing ",
    ]

    /// Exact decimals as the engine makes them: long fractions (prorations carry 38 digits), negatives, tiny and huge.
    static let decimals: [ExactDecimal] = [
        .zero, ExactDecimal(1).scaled(by: 1, over: 3), -ExactDecimal(10_000).scaled(by: 17, over: 31), ExactDecimal(1).scaled(by: 1, over: 7_000),
        ExactDecimal(Int64.max).scaled(by: 7, over: 3), ExactDecimal(exactText: "0.000000000001")!, ExactDecimal(exactText: "-4.000000000001")!,
        ExactDecimal(exactText: "12345678901234567890123456789012345678")!, ExactDecimal(Int64.min),
    ]

    static func line(
        _ index: Int, tiers: [TierAmount] = [], transformed: ExactDecimal? = nil, amount: Int64 = 0, discounts: [DiscountAmount] = [],
        credits: [CreditAmount] = [], taxes: [TaxAmount] = []
    ) -> InvoiceLine {
        let decimal = decimals[index % decimals.count]
        return InvoiceLine(
            id: "il_\(index)", price: texts[(index + 1) % texts.count], subscriptionItem: texts[(index + 2) % texts.count],
            description: texts[index % texts.count], period: Period(start: at(Int64(index)), end: at(Int64(index) + 86_400)), quantity: decimal,
            transformedQuantity: transformed, exactAmount: -decimal, amount: amount, proration: index % 2 == 0, tiers: tiers, metered: index % 3 == 0,
            discountAmounts: discounts, pretaxCreditAmounts: credits, taxes: taxes)
    }

    /// Tier parts whose stored `amount` is not `quantity × unit_amount + flat_amount` (the codec must keep what was stored).
    static func tiers(_ count: Int) -> [TierAmount] {
        (0..<count).map { index in
            TierAmount(
                tier: index * 2, upTo: index == count - 1 ? nil : Int64(1000 * (index + 1)) - (index == 0 ? Int64.max : 0),
                quantity: decimals[index % decimals.count], unitAmount: decimals[(index + 1) % decimals.count],
                flatAmount: decimals[(index + 2) % decimals.count], amount: decimals[(index + 3) % decimals.count])
        }
    }

    static let invoices: [Invoice] = {
        // A bare draft: every optional nil, no lines.
        var invoices = [
            Invoice(
                id: "in_bare", number: 1, customer: "cus_a", subscription: "sub_a", billingReason: .subscriptionCreate,
                currency: Currency(code: "jpy")!, collectionMethod: .chargeAutomatically, created: at(0), periodStart: at(0), periodEnd: at(0),
                lines: [])
        ]
        // Every enum case and text, each optional set, negative balances and amounts, lines with and without tiers.
        for (index, text) in texts.enumerated() {
            let statuses = InvoiceStatus.allCases
            let reasons = BillingReason.allCases
            let methods = CollectionMethod.allCases
            let lines = [
                line(index, tiers: tiers(index % 4), transformed: decimals[(index + 4) % decimals.count], amount: -Int64(index) * 1_234_567),
                line(
                    index + 1, amount: Int64(index) * 99,
                    discounts: [DiscountAmount(amount: Int64(index) * 7, discount: text), DiscountAmount(amount: 99_999_999, discount: "co_b")]),
                line(
                    index + 2, tiers: tiers(1),
                    credits: [CreditAmount(amount: 99_999_999, creditGrant: text), CreditAmount(amount: Int64(index) * 3, creditGrant: "cg_b")],
                    taxes: [
                        TaxAmount(amount: -Int64(index), taxRate: text, inclusive: index % 2 == 0, taxableAmount: Int64.min + 1),
                        TaxAmount(amount: 5, taxRate: "txr_b", inclusive: true, taxableAmount: Int64.max),
                    ]),
            ]
            invoices.append(
                Invoice(
                    id: "in_\(index)_" + text, number: index + 2, customer: text, subscription: texts[(index + 3) % texts.count],
                    billingReason: reasons[index % reasons.count], status: statuses[index % statuses.count],
                    currency: Currency(code: ["usd", "jpy", "kwd", "eur"][index % 4])!, collectionMethod: methods[index % methods.count],
                    created: at(-Int64(index) * 1_000_000_000), periodStart: at(Int64(index)), periodEnd: at(Int64(index) * 86_400 * 400),
                    lines: Array(lines.prefix(index % 4)), startingBalance: index % 2 == 0 ? -1_234 * Int64(index) : 50 * Int64(index),
                    finalizedAt: index % 3 == 0 ? nil : at(Int64(index)), paidAt: index % 2 == 0 ? at(-1) : nil,
                    dueDate: index % 4 == 1 ? nil : at(7)))
        }
        // Extremes of the integer columns.
        invoices.append(
            Invoice(
                id: "in_extreme", number: Int(Int32.max) + 5, customer: "c", subscription: "s", billingReason: .upcoming, status: .uncollectible,
                currency: Currency(code: "usd")!, collectionMethod: .sendInvoice, created: Instant(seconds: Int64.min),
                periodStart: Instant(seconds: Int64.max), periodEnd: Instant(seconds: 0), lines: [line(7, amount: Int64.max)],
                startingBalance: Int64.min + 1, finalizedAt: Instant(seconds: Int64.max), paidAt: Instant(seconds: Int64.min),
                dueDate: Instant(seconds: -1)))
        return invoices
    }()
}

@Suite("InvoiceRows")
struct InvoiceRowsTests {
    /// Every field of every fixture comes back from its rows as it went in, nils, tiers and stored amounts included.
    @Test func roundTrip() throws {
        let rows = InvoiceRows.rows(for: Fixtures.invoices)
        let decoded = try InvoiceRows.invoices(from: rows)
        #expect(decoded.count == Fixtures.invoices.count)
        for (actual, expected) in zip(decoded, Fixtures.invoices) {
            #expect(actual == expected, "\(expected.id)")
        }
    }

    /// One invoice at a time too (a store reads invoices with no lines or tiers beside others').
    @Test(arguments: Fixtures.invoices.indices)
    func roundTripAlone(_ index: Int) throws {
        let invoice = Fixtures.invoices[index]
        #expect(try InvoiceRows.invoices(from: InvoiceRows.rows(for: [invoice])) == [invoice])
    }

    /// Rows hold each value in its column's kind: NULL only where the column is nullable; decimals as
    /// their exact text; derived columns computed from the invoice.
    @Test func rowsMatchTheirShapes() throws {
        let rows = InvoiceRows.rows(for: Fixtures.invoices)
        for table in InvoiceRows.shapes {
            for row in rows[table] {
                #expect(row.count == table.columns.count)
                for (value, column) in zip(row, table.columns) {
                    switch (value, column.kind) {
                    case (.null, _): #expect(column.isNullable, "\(table.name).\(column.name)")
                    case (.integer, .integer), (.boolean, .boolean), (.text, .text): break
                    case (.text(let text), .decimal): #expect(ExactDecimal(exactText: text) != nil, "\(table.name).\(column.name): \(text)")
                    default: Issue.record("\(table.name).\(column.name): \(value) in a \(column.kind) column")
                    }
                }
            }
        }
        let invoice = Fixtures.invoices[3]
        let row = InvoiceRows.invoices.row(invoice)
        let names = InvoiceRows.invoices.shape.columnNames
        #expect(row[names.firstIndex(of: "line_count")!] == .integer(Int64(invoice.lines.count)))
        #expect(row[names.firstIndex(of: "total")!] == .integer(invoice.total))
        #expect(row[names.firstIndex(of: "amount_due")!] == .integer(invoice.amountDue))
    }

    /// Derived columns are never read back: changing them changes nothing decoded.
    @Test func derivedColumnsAreNotRead() throws {
        var rows = InvoiceRows.rows(for: [Fixtures.invoices[2]])
        for (index, column) in InvoiceRows.invoices.shape.columns.enumerated() where column.isDerived {
            rows.invoices[0][index] = .integer(-42)
        }
        #expect(try InvoiceRows.invoices(from: rows) == [Fixtures.invoices[2]])
    }

    /// The shapes are consistent: unique column names, keys and read orders naming real columns,
    /// foreign keys pointing at the referenced table's primary key, tables after what they reference.
    @Test func shapesAreConsistent() {
        #expect(
            InvoiceRows.shapes.map(\.name) == [
                "invoices", "invoice_lines", "invoice_line_tiers", "invoice_line_discounts", "invoice_line_taxes", "invoice_line_credits",
            ])
        for (index, table) in InvoiceRows.shapes.enumerated() {
            let names = table.columnNames
            #expect(Set(names).count == names.count, "\(table.name)")
            #expect(Set(table.primaryKey + table.order + table.indexes.flatMap(\.columns)).isSubset(of: names), "\(table.name)")
            if let key = table.foreignKey {
                let referenced = InvoiceRows.shapes.firstIndex { $0.name == key.table }
                #expect(referenced.map { $0 < index } == true, "\(table.name) references \(key.table)")
                #expect(referenced.map { InvoiceRows.shapes[$0].primaryKey } == key.referencedColumns)
                #expect(Set(key.columns).isSubset(of: names))
            }
        }
    }

    /// A row the codec cannot read is an error naming the table, the row and the column.
    @Test func decodingErrorsNameTheTableRowAndColumn() throws {
        let names = InvoiceRows.invoices.shape.columnNames
        var rows = InvoiceRows.rows(for: [Fixtures.invoices[1]])
        rows.invoices[0][names.firstIndex(of: "status")!] = .text("pending")
        var error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description == "invoices row \"\(Fixtures.invoices[1].id)\": column status: unknown InvoiceStatus \"pending\"")

        rows = InvoiceRows.rows(for: [Fixtures.invoices[1]])
        rows.invoices[0][names.firstIndex(of: "customer")!] = .null
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("column customer: expected text, found null") == true, "\(String(describing: error))")

        let lineNames = InvoiceRows.lines.shape.columnNames
        rows = InvoiceRows.rows(for: [Fixtures.invoices[3]])
        rows.lines[1][lineNames.firstIndex(of: "quantity")!] = .text("1e5")
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("invoice_lines row") == true && error?.description.contains("not an exact decimal: 1e5") == true)

        // A line missing from the middle of an invoice (this fixture has three).
        rows = InvoiceRows.rows(for: [Fixtures.invoices[4]])
        #expect(rows.lines.count == 3)
        rows.lines.remove(at: 1)
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("line 2 follows 1 lines") == true, "\(String(describing: error))")

        // A tier missing from a line, and a tier at a negative position.
        let tierNames = InvoiceRows.tiers.shape.columnNames
        rows = InvoiceRows.rows(for: [Fixtures.invoices[4]])
        #expect(rows.tiers.count == 4)
        rows.tiers.remove(at: 1)
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("tier 2 of line 0 follows 1 tiers") == true, "\(String(describing: error))")
        rows = InvoiceRows.rows(for: [Fixtures.invoices[4]])
        rows.tiers[0][tierNames.firstIndex(of: "position")!] = .integer(-1)
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("tier -1 of line 0 follows 0 tiers") == true, "\(String(describing: error))")

        // A discount missing from a line (the second line of this fixture has two).
        rows = InvoiceRows.rows(for: [Fixtures.invoices[4]])
        #expect(rows.discounts.count == 2)
        rows.discounts.remove(at: 0)
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("discount 1 of line 1 follows 0 discounts") == true, "\(String(describing: error))")

        // A billing credit missing from a line (the third line of this fixture has two).
        rows = InvoiceRows.rows(for: [Fixtures.invoices[4]])
        #expect(rows.credits.count == 2)
        rows.credits.remove(at: 0)
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("credit 1 of line 2 follows 0 credits") == true, "\(String(describing: error))")
        // A tax missing from a line (the third line of this fixture has two).
        rows = InvoiceRows.rows(for: [Fixtures.invoices[4]])
        #expect(rows.taxes.count == 2)
        rows.taxes.remove(at: 0)
        error = #expect(throws: RowDecodingError.self) { try InvoiceRows.invoices(from: rows) }
        #expect(error?.description.contains("tax 1 of line 2 follows 0 taxes") == true, "\(String(describing: error))")
    }

    /// DDL and statements follow the column list, in order, in each dialect.
    @Test func statements() {
        let tiers = InvoiceRows.tiers.shape
        #expect(
            tiers.insertStatement
                == "INSERT INTO invoice_line_tiers (invoice_id, line_position, position, tier, up_to, quantity, unit_amount, flat_amount, amount) "
                + "VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)")
        #expect(
            tiers.selectStatement(.postgres)
                == "SELECT invoice_id, line_position, position, tier, up_to, quantity::text, unit_amount::text, flat_amount::text, amount::text "
                + "FROM invoice_line_tiers ORDER BY invoice_id, line_position, position")
        #expect(tiers.selectStatement(.sqlite).hasPrefix("SELECT invoice_id, line_position, position, tier, up_to, quantity, unit_amount,"))
        let create = InvoiceRows.lines.shape.createStatements(.postgres)
        #expect(create.count == 1)
        #expect(create[0].contains("invoice_id text COLLATE \"C\" NOT NULL,"))
        #expect(create[0].contains("transformed_quantity numeric,"))
        #expect(create[0].contains("FOREIGN KEY (invoice_id) REFERENCES invoices (id) ON DELETE CASCADE"))
        #expect(InvoiceRows.invoices.shape.createStatements(.sqlite).last == "CREATE INDEX invoices_by_number ON invoices (number)")
    }
}

@Suite("InvoiceRows.latestVersions")
struct LatestVersionsTests {
    @Test func laterVersionsOfAnIDWinInBatchOrder() {
        var a2 = Fixtures.invoices[1]
        a2.status = .paid
        let (a, b, c) = (Fixtures.invoices[1], Fixtures.invoices[2], Fixtures.invoices[3])
        #expect(InvoiceRows.latestVersions([]) == [])
        #expect(InvoiceRows.latestVersions([a, b, c]) == [a, b, c])
        #expect(InvoiceRows.latestVersions([a, b, a2, c]) == [b, a2, c])
        #expect(InvoiceRows.latestVersions([a2, a, a2]) == [a2])
    }
}
