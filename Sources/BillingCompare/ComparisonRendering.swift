import BillingCore
import BillingDocument

extension Comparison {
    /// `+1234 (USD 12.34)`-style amounts: minor units and the currency's major units.
    func money(_ amount: Int64, signed: Bool = false) -> String {
        (signed && amount > 0 ? "+" : "") + currency.describe(amount)
    }

    /// `+12.34%`, or `n/a` against a base of 0.
    static func percent(_ basisPoints: Int64?) -> String {
        guard let basisPoints else { return "n/a" }
        let sign = basisPoints > 0 ? "+" : basisPoints < 0 ? "-" : ""
        let magnitude = basisPoints.magnitude
        let cents = magnitude % 100
        return "\(sign)\(magnitude / 100).\(cents < 10 ? "0" : "")\(cents)%"
    }

    /// The comparison as the terminal shows it: deterministic (no clock, no paths beyond the file's).
    public var text: String {
        var out: [String] = []
        out.append("Compare \(TerminalText.escaped(name)) (\(TerminalText.escaped(path, limit: nil)))")
        out.append("")
        out.append("Revenue per plan (\(currency.code.uppercased()))")
        var rows = [["plan", "invoices", "total", "delta", "%"]]
        rows.append(["base", "\(base.invoices.count)", money(base.total), "", ""])
        for variant in variants {
            rows.append([
                variant.plan.name, "\(variant.plan.invoices.count)", money(variant.plan.total), money(variant.delta, signed: true),
                Self.percent(variant.basisPoints),
            ])
        }
        out += Self.table(rows, rightAligned: [1, 2, 3, 4])
        for variant in variants {
            let d = variant.deltas
            out.append("")
            out.append("\(TerminalText.escaped(variant.plan.name)) vs base, per customer (\(d.customers) customers)")
            if !variant.plan.description.isEmpty { out.append("  \(TerminalText.escaped(variant.plan.description))") }
            out.append("  pay more: \(d.payMore), pay less: \(d.payLess), the same: \(d.paySame)")
            out += Self.table(
                [
                    ["  delta", "min", "q1", "median", "q3", "max"],
                    [
                        "", money(d.min, signed: true), money(d.lowerQuartile, signed: true), money(d.median, signed: true),
                        money(d.upperQuartile, signed: true), money(d.max, signed: true),
                    ],
                ], rightAligned: [1, 2, 3, 4, 5])
            for (title, movers) in [("biggest increases", variant.increases), ("biggest decreases", variant.decreases)] where !movers.isEmpty {
                out.append("  \(title):")
                out += Self.table(
                    movers.map {
                        ["    " + TerminalText.escaped($0.customer), money($0.base), "→", money($0.variant), money($0.delta, signed: true)]
                    },
                    rightAligned: [1, 3, 4])
            }
        }
        let names = [base.name] + variants.map(\.plan.name)
        let plans = [base] + variants.map(\.plan)
        out.append("")
        out.append("Revenue by period (month the invoice was created)")
        let periods = Array(Set(plans.flatMap { $0.byPeriod.map(\.period) })).sorted()
        out += Self.table(
            [["period"] + names]
                + periods.map { period in [period] + plans.map { plan in money(plan.byPeriod.first { $0.period == period }?.amount ?? 0) } },
            rightAligned: Set(1...names.count))
        out.append("")
        out.append("Revenue by price")
        var priceKeys: [(price: String, product: String)] = []
        for plan in plans {
            for entry in plan.byPrice where !priceKeys.contains(where: { $0.price == entry.price }) { priceKeys.append((entry.price, entry.product)) }
        }
        out += Self.table(
            [["price", "product"] + names]
                + priceKeys.map { key in
                    [TerminalText.escaped(key.price), TerminalText.escaped(key.product)]
                        + plans.map { plan in money(plan.byPrice.first { $0.price == key.price }?.amount ?? 0) }
                },
            rightAligned: Set(2...(names.count + 1)))
        out.append("")
        if differences.isEmpty {
            out.append("PASS  every expectation holds")
        } else {
            out.append("FAIL  \(differences.count) difference\(differences.count == 1 ? "" : "s")")
            for difference in differences { out.append("  " + TerminalText.escaped(difference.description, limit: 500)) }
        }
        return out.joined(separator: "\n") + "\n"
    }

    /// Columns padded to their widest cell.
    static func table(_ rows: [[String]], rightAligned: Set<Int>) -> [String] {
        let widths = (0..<(rows.map(\.count).max() ?? 0)).map { column in rows.map { column < $0.count ? $0[column].count : 0 }.max() ?? 0 }
        return rows.map { row in
            row.enumerated().map { column, cell in
                let pad = String(repeating: " ", count: widths[column] - cell.count)
                return rightAligned.contains(column) ? pad + cell : cell + pad
            }.joined(separator: "  ").replacing(/\s+$/, with: "")
        }
    }

    /// The comparison as a JSON document (`--format json`): every figure of the text, amounts in minor units.
    public var document: DocumentValue {
        func plan(_ plan: PlanRevenue) -> [(key: String, value: DocumentValue)] {
            [
                ("name", .string(plan.name)),
                ("invoice_count", .integer(Int64(plan.invoices.count))),
                ("total", .money(plan.total, currency)),
                ("by_period", .list(plan.byPeriod.map { .object([("period", .string($0.period)), ("amount", .money($0.amount, currency))]) })),
                (
                    "by_price",
                    .list(
                        plan.byPrice.map {
                            .object([("price", .string($0.price)), ("product", .string($0.product)), ("amount", .money($0.amount, currency))])
                        })
                ),
                (
                    "per_customer",
                    .list(plan.perCustomer.map { .object([("customer", .string($0.customer)), ("total", .money($0.total, currency))]) })
                ),
                ("differences", .list(plan.differences.map { .string($0.description) })),
            ]
        }
        func movers(_ list: [CustomerDelta]) -> DocumentValue {
            .list(
                list.map {
                    .object([
                        ("customer", .string($0.customer)), ("base", .money($0.base, currency)), ("variant", .money($0.variant, currency)),
                        ("delta", .money($0.delta, currency)),
                    ])
                })
        }
        return .object([
            ("scenario", .string(path)),
            ("name", .string(name)),
            ("currency", .string(currency.code)),
            ("status", .string(differences.isEmpty ? "passed" : "failed")),
            ("base", .object(plan(base))),
            (
                "variants",
                .list(
                    variants.map { variant in
                        let d = variant.deltas
                        return .object(
                            plan(variant.plan) + [
                                ("delta", .money(variant.delta, currency)),
                                ("delta_percent", variant.basisPoints.map { .string(Self.percent($0)) } ?? .null),
                                (
                                    "customer_deltas",
                                    .object([
                                        ("customers", .integer(Int64(d.customers))), ("min", .money(d.min, currency)),
                                        ("q1", .money(d.lowerQuartile, currency)), ("median", .money(d.median, currency)),
                                        ("q3", .money(d.upperQuartile, currency)), ("max", .money(d.max, currency)),
                                        ("pay_more", .integer(Int64(d.payMore))), ("pay_less", .integer(Int64(d.payLess))),
                                        ("pay_same", .integer(Int64(d.paySame))),
                                    ])
                                ),
                                ("biggest_increases", movers(variant.increases)),
                                ("biggest_decreases", movers(variant.decreases)),
                            ])
                    })
            ),
        ])
    }
}
