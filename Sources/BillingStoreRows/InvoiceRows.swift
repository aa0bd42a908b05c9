import BillingCore

/// The one row encoding of invoices that every SQL store uses: five tables (`invoices`,
/// `invoice_lines`, `invoice_line_tiers`, `invoice_line_discounts`, `invoice_line_taxes`, `invoice_line_credits`), their columns in stored order, how an invoice becomes
/// rows and how rows become the invoice again.
///
/// Both stores create, write and read these tables from here (SQLite: its migrations create them,
/// and a test checks the migrated tables against ``shapes``; PostgreSQL: created from ``shapes`` in
/// each run's fresh schema), so their schemas are the same shape, column for column.
///
/// Instants are Unix seconds, enums Stripe's strings, exact amounts ``ColumnKind/decimal``, lines
/// and tiers keyed by their 0-based position. Derived columns (`line_count`, `total`, `amount_due`)
/// are query conveniences for people reading the database: written, never read back.
///
/// **Adding a field** (say `Invoice.discount`): add its column at the END of the table's list below
/// (existing SQLite files get new columns appended by `ALTER TABLE`, so the order stays the same in
/// both stores) and read it in the table's `decode` next to it; then add one SQLite migration that
/// adds the column (`ALTER TABLE invoices ADD COLUMN discount INTEGER NOT NULL DEFAULT 0`).
/// PostgreSQL needs nothing more: its tables are created from ``shapes`` every run. The schema-shape
/// test fails until both databases have the column.
package enum InvoiceRows {
    /// A line with its place: its invoice and 0-based position.
    package struct Line: Sendable {
        package var invoiceID: String
        package var position: Int
        package var line: InvoiceLine
    }

    /// A tier part with its place: its invoice, line position and 0-based position in the line.
    package struct Tier: Sendable {
        package var invoiceID: String
        package var linePosition: Int
        package var position: Int
        package var tier: TierAmount
    }

    /// A line's discount amount with its place: its invoice, line position and 0-based position in the line.
    package struct LineDiscount: Sendable {
        package var invoiceID: String
        package var linePosition: Int
        package var position: Int
        package var discount: DiscountAmount
    }

    /// A line's tax amount with its place: its invoice, line position and 0-based position in the line.
    package struct LineTax: Sendable {
        package var invoiceID: String
        package var linePosition: Int
        package var position: Int
        package var tax: TaxAmount
    }

    /// A line's billing credit amount with its place: its invoice, line position and 0-based position in the line.
    package struct LineCredit: Sendable {
        package var invoiceID: String
        package var linePosition: Int
        package var position: Int
        package var credit: CreditAmount
    }

    // MARK: invoices

    package static let invoices = Table<Invoice>(
        "invoices",
        columns: [
            .text("id") { $0.id },
            .integer("number") { Int64($0.number) },
            .text("customer") { $0.customer },
            .text("subscription") { $0.subscription },
            .text("billing_reason") { $0.billingReason.rawValue },
            .text("status") { $0.status.rawValue },
            .text("currency") { $0.currency.code },
            .text("collection_method") { $0.collectionMethod.rawValue },
            .integer("created") { $0.created.seconds },
            .integer("period_start") { $0.periodStart.seconds },
            .integer("period_end") { $0.periodEnd.seconds },
            .integer("starting_balance") { $0.startingBalance },
            .optionalInteger("finalized_at") { $0.finalizedAt?.seconds },
            .optionalInteger("paid_at") { $0.paidAt?.seconds },
            .optionalInteger("due_date") { $0.dueDate?.seconds },
            // Query conveniences (SQLITE-SCHEMA.md shows them in the example queries).
            .integer("line_count", derived: true) { Int64($0.lines.count) },
            .integer("total", derived: true) { $0.total },
            .integer("amount_due", derived: true) { $0.amountDue },
            // v5-payments (Docs/ENGINE-RULES.md, "Payments").
            .integer("attempt_count") { Int64($0.attemptCount) },
            .optionalInteger("voided_at") { $0.voidedAt?.seconds },
            .optionalInteger("marked_uncollectible_at") { $0.markedUncollectibleAt?.seconds },
            .optionalInteger("next_payment_attempt") { $0.nextPaymentAttempt?.seconds },
        ],
        primaryKey: ["id"], indexes: [.init(name: "invoices_by_number", columns: ["number"])], order: ["number", "id"])

    static func decodeInvoice(_ row: StoredRow, lines: [InvoiceLine]) throws -> Invoice {
        let currency = try row.text("currency")
        guard let code = Currency(code: currency) else { throw row.failure("currency", "unknown currency \"\(currency)\"") }
        return Invoice(
            id: try row.text("id"), number: try row.int("number"), customer: try row.text("customer"), subscription: try row.text("subscription"),
            billingReason: try row.enumeration("billing_reason"), status: try row.enumeration("status"), currency: code,
            collectionMethod: try row.enumeration("collection_method"), created: Instant(seconds: try row.integer("created")),
            periodStart: Instant(seconds: try row.integer("period_start")), periodEnd: Instant(seconds: try row.integer("period_end")),
            lines: lines, startingBalance: try row.integer("starting_balance"),
            finalizedAt: try row.optionalInteger("finalized_at").map(Instant.init(seconds:)),
            paidAt: try row.optionalInteger("paid_at").map(Instant.init(seconds:)),
            dueDate: try row.optionalInteger("due_date").map(Instant.init(seconds:)), attemptCount: try row.int("attempt_count"),
            voidedAt: try row.optionalInteger("voided_at").map(Instant.init(seconds:)),
            markedUncollectibleAt: try row.optionalInteger("marked_uncollectible_at").map(Instant.init(seconds:)),
            nextPaymentAttempt: try row.optionalInteger("next_payment_attempt").map(Instant.init(seconds:)))
    }

    // MARK: invoice_lines

    package static let lines = Table<Line>(
        "invoice_lines",
        columns: [
            .text("invoice_id") { $0.invoiceID },
            .integer("position") { Int64($0.position) },
            .text("id") { $0.line.id },
            .text("price") { $0.line.price },
            .text("subscription_item") { $0.line.subscriptionItem },
            .text("description") { $0.line.description },
            .integer("period_start") { $0.line.period.start.seconds },
            .integer("period_end") { $0.line.period.end.seconds },
            .decimal("quantity") { $0.line.quantity },
            .optionalDecimal("transformed_quantity") { $0.line.transformedQuantity },
            .decimal("exact_amount") { $0.line.exactAmount },
            .integer("amount") { $0.line.amount },
            .boolean("proration") { $0.line.proration },
            .boolean("metered") { $0.line.metered },
        ],
        primaryKey: ["invoice_id", "position"], foreignKey: .init(columns: ["invoice_id"], table: "invoices", referencedColumns: ["id"]),
        order: ["invoice_id", "position"])

    static func decodeLine(_ row: StoredRow, tiers: [TierAmount]) throws -> InvoiceLine {
        InvoiceLine(
            id: try row.text("id"), price: try row.text("price"), subscriptionItem: try row.text("subscription_item"),
            description: try row.text("description"),
            period: Period(start: Instant(seconds: try row.integer("period_start")), end: Instant(seconds: try row.integer("period_end"))),
            quantity: try row.decimal("quantity"), transformedQuantity: try row.optionalDecimal("transformed_quantity"),
            exactAmount: try row.decimal("exact_amount"), amount: try row.integer("amount"), proration: try row.boolean("proration"), tiers: tiers,
            metered: try row.boolean("metered"))
    }

    // MARK: invoice_line_tiers

    package static let tiers = Table<Tier>(
        "invoice_line_tiers",
        columns: [
            .text("invoice_id") { $0.invoiceID },
            .integer("line_position") { Int64($0.linePosition) },
            .integer("position") { Int64($0.position) },
            .integer("tier") { Int64($0.tier.tier) },
            .optionalInteger("up_to") { $0.tier.upTo },
            .decimal("quantity") { $0.tier.quantity },
            .decimal("unit_amount") { $0.tier.unitAmount },
            .decimal("flat_amount") { $0.tier.flatAmount },
            .decimal("amount") { $0.tier.amount },
        ],
        primaryKey: ["invoice_id", "line_position", "position"],
        foreignKey: .init(columns: ["invoice_id", "line_position"], table: "invoice_lines", referencedColumns: ["invoice_id", "position"]),
        order: ["invoice_id", "line_position", "position"])

    static func decodeTier(_ row: StoredRow) throws -> TierAmount {
        TierAmount(
            tier: try row.int("tier"), upTo: try row.optionalInteger("up_to"), quantity: try row.decimal("quantity"),
            unitAmount: try row.decimal("unit_amount"), flatAmount: try row.decimal("flat_amount"), amount: try row.decimal("amount"))
    }

    // MARK: invoice_line_discounts

    /// Each line's `discount_amounts`, in order.
    package static let discounts = Table<LineDiscount>(
        "invoice_line_discounts",
        columns: [
            .text("invoice_id") { $0.invoiceID },
            .integer("line_position") { Int64($0.linePosition) },
            .integer("position") { Int64($0.position) },
            .text("discount") { $0.discount.discount },
            .integer("amount") { $0.discount.amount },
        ],
        primaryKey: ["invoice_id", "line_position", "position"],
        foreignKey: .init(columns: ["invoice_id", "line_position"], table: "invoice_lines", referencedColumns: ["invoice_id", "position"]),
        order: ["invoice_id", "line_position", "position"])

    static func decodeDiscount(_ row: StoredRow) throws -> DiscountAmount {
        DiscountAmount(amount: try row.integer("amount"), discount: try row.text("discount"))
    }

    // MARK: invoice_line_taxes

    /// Each line's `taxes`, in order (Docs/ENGINE-RULES.md, "Taxes").
    package static let taxes = Table<LineTax>(
        "invoice_line_taxes",
        columns: [
            .text("invoice_id") { $0.invoiceID },
            .integer("line_position") { Int64($0.linePosition) },
            .integer("position") { Int64($0.position) },
            .text("tax_rate") { $0.tax.taxRate },
            .boolean("inclusive") { $0.tax.inclusive },
            .integer("taxable_amount") { $0.tax.taxableAmount },
            .integer("amount") { $0.tax.amount },
        ],
        primaryKey: ["invoice_id", "line_position", "position"],
        foreignKey: .init(columns: ["invoice_id", "line_position"], table: "invoice_lines", referencedColumns: ["invoice_id", "position"]),
        order: ["invoice_id", "line_position", "position"])

    static func decodeTax(_ row: StoredRow) throws -> TaxAmount {
        TaxAmount(
            amount: try row.integer("amount"), taxRate: try row.text("tax_rate"), inclusive: try row.boolean("inclusive"),
            taxableAmount: try row.integer("taxable_amount"))
    }

    // MARK: invoice_line_credits

    /// Each line's `pretax_credit_amounts` (billing credits), in order.
    package static let credits = Table<LineCredit>(
        "invoice_line_credits",
        columns: [
            .text("invoice_id") { $0.invoiceID },
            .integer("line_position") { Int64($0.linePosition) },
            .integer("position") { Int64($0.position) },
            .text("credit_grant") { $0.credit.creditGrant },
            .integer("amount") { $0.credit.amount },
        ],
        primaryKey: ["invoice_id", "line_position", "position"],
        foreignKey: .init(columns: ["invoice_id", "line_position"], table: "invoice_lines", referencedColumns: ["invoice_id", "position"]),
        order: ["invoice_id", "line_position", "position"])

    static func decodeCredit(_ row: StoredRow) throws -> CreditAmount {
        CreditAmount(amount: try row.integer("amount"), creditGrant: try row.text("credit_grant"))
    }

    // MARK: Whole invoices

    /// The six tables in creation order (a table after the one it references).
    package static let shapes = [invoices.shape, lines.shape, tiers.shape, discounts.shape, taxes.shape, credits.shape]

    /// Rows of each table for a batch of invoices, values in column order.
    package struct Rows: Sendable {
        package var invoices: [[ColumnValue]] = []
        package var lines: [[ColumnValue]] = []
        package var tiers: [[ColumnValue]] = []
        package var discounts: [[ColumnValue]] = []
        package var taxes: [[ColumnValue]] = []
        package var credits: [[ColumnValue]] = []

        package init() {}

        /// The rows of `table` (one of ``InvoiceRows/shapes``).
        package subscript(table: TableShape) -> [[ColumnValue]] {
            switch table.name {
            case InvoiceRows.invoices.shape.name: invoices
            case InvoiceRows.lines.shape.name: lines
            case InvoiceRows.discounts.shape.name: discounts
            case InvoiceRows.taxes.shape.name: taxes
            case InvoiceRows.credits.shape.name: credits
            default: tiers
            }
        }
    }

    /// The batch a store writes for `invoices`: the last version of each id, in batch order (a save
    /// replaces an invoice with the same id, and within a batch a later version replaces an earlier one).
    package static func latestVersions(_ invoices: [Invoice]) -> [Invoice] {
        var latest: [String: Int] = [:]
        for (index, invoice) in invoices.enumerated() { latest[invoice.id] = index }
        guard latest.count < invoices.count else { return invoices }
        return invoices.indices.filter { latest[invoices[$0].id] == $0 }.map { invoices[$0] }
    }

    /// The rows that store `invoices` (ids unique: see ``latestVersions(_:)``).
    package static func rows(for invoices: [Invoice]) -> Rows {
        var rows = Rows()
        for invoice in invoices {
            rows.invoices.append(self.invoices.row(invoice))
            for (position, line) in invoice.lines.enumerated() {
                rows.lines.append(lines.row(Line(invoiceID: invoice.id, position: position, line: line)))
                for (tierPosition, tier) in line.tiers.enumerated() {
                    rows.tiers.append(tiers.row(Tier(invoiceID: invoice.id, linePosition: position, position: tierPosition, tier: tier)))
                }
                for (discountPosition, discount) in line.discountAmounts.enumerated() {
                    rows.discounts.append(
                        discounts.row(LineDiscount(invoiceID: invoice.id, linePosition: position, position: discountPosition, discount: discount)))
                }
                for (taxPosition, tax) in line.taxes.enumerated() {
                    rows.taxes.append(taxes.row(LineTax(invoiceID: invoice.id, linePosition: position, position: taxPosition, tax: tax)))
                }
                for (creditPosition, credit) in line.pretaxCreditAmounts.enumerated() {
                    rows.credits.append(
                        credits.row(LineCredit(invoiceID: invoice.id, linePosition: position, position: creditPosition, credit: credit)))
                }
            }
        }
        return rows
    }

    /// The invoices stored in `rows`, each table's rows read in its shape's `order` (the stores' SELECTs
    /// from ``TableShape/selectStatement(_:)``): invoices in that order, each with its lines and their tiers.
    /// Lines and tiers must be stored at positions 0, 1, 2, … of their invoice and line; a gap is an error.
    package static func invoices(from rows: Rows) throws -> [Invoice] {
        var tiersByLine: [LinePlace: [TierAmount]] = [:]
        let tierPositions = positions(tiers.shape)
        for values in rows.tiers {
            let row = try StoredRow(tiers.shape, positions: tierPositions, values: values)
            let place = LinePlace(invoiceID: try row.text("invoice_id"), position: try row.int("line_position"))
            let (position, count) = (try row.int("position"), tiersByLine[place]?.count ?? 0)
            guard position == count else { throw row.failure("position", "tier \(position) of line \(place.position) follows \(count) tiers") }
            tiersByLine[place, default: []].append(try decodeTier(row))
        }
        var discountsByLine: [LinePlace: [DiscountAmount]] = [:]
        let discountPositions = positions(discounts.shape)
        for values in rows.discounts {
            let row = try StoredRow(discounts.shape, positions: discountPositions, values: values)
            let place = LinePlace(invoiceID: try row.text("invoice_id"), position: try row.int("line_position"))
            let (position, count) = (try row.int("position"), discountsByLine[place]?.count ?? 0)
            guard position == count else {
                throw row.failure("position", "discount \(position) of line \(place.position) follows \(count) discounts")
            }
            discountsByLine[place, default: []].append(try decodeDiscount(row))
        }
        var taxesByLine: [LinePlace: [TaxAmount]] = [:]
        let taxPositions = positions(taxes.shape)
        for values in rows.taxes {
            let row = try StoredRow(taxes.shape, positions: taxPositions, values: values)
            let place = LinePlace(invoiceID: try row.text("invoice_id"), position: try row.int("line_position"))
            let (position, count) = (try row.int("position"), taxesByLine[place]?.count ?? 0)
            guard position == count else { throw row.failure("position", "tax \(position) of line \(place.position) follows \(count) taxes") }
            taxesByLine[place, default: []].append(try decodeTax(row))
        }
        var creditsByLine: [LinePlace: [CreditAmount]] = [:]
        let creditPositions = positions(credits.shape)
        for values in rows.credits {
            let row = try StoredRow(credits.shape, positions: creditPositions, values: values)
            let place = LinePlace(invoiceID: try row.text("invoice_id"), position: try row.int("line_position"))
            let (position, count) = (try row.int("position"), creditsByLine[place]?.count ?? 0)
            guard position == count else {
                throw row.failure("position", "credit \(position) of line \(place.position) follows \(count) credits")
            }
            creditsByLine[place, default: []].append(try decodeCredit(row))
        }
        var linesByInvoice: [String: [InvoiceLine]] = [:]
        let linePositions = positions(lines.shape)
        for values in rows.lines {
            let row = try StoredRow(lines.shape, positions: linePositions, values: values)
            let (invoiceID, position) = (try row.text("invoice_id"), try row.int("position"))
            let count = linesByInvoice[invoiceID]?.count ?? 0
            guard position == count else { throw row.failure("position", "line \(position) follows \(count) lines") }
            let place = LinePlace(invoiceID: invoiceID, position: position)
            var line = try decodeLine(row, tiers: tiersByLine[place] ?? [])
            line.discountAmounts = discountsByLine[place] ?? []
            line.pretaxCreditAmounts = creditsByLine[place] ?? []
            line.taxes = taxesByLine[place] ?? []
            linesByInvoice[invoiceID, default: []].append(line)
        }
        let invoicePositions = positions(invoices.shape)
        return try rows.invoices.map { values in
            let row = try StoredRow(invoices.shape, positions: invoicePositions, values: values)
            return try decodeInvoice(row, lines: linesByInvoice[try row.text("id")] ?? [])
        }
    }

    /// A line's place: its invoice and position.
    private struct LinePlace: Hashable {
        var invoiceID: String
        var position: Int
    }

    private static func positions(_ shape: TableShape) -> [String: Int] {
        Dictionary(uniqueKeysWithValues: shape.columns.enumerated().map { ($1.name, $0) })
    }
}
