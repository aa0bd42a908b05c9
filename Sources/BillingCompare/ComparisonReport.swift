import BillingCore
import BillingDocument
import BillingReports

/// The comparison as a report page (`report.html`, `summary.md` of `billsim compare`): the same figures
/// as the text, plus charts: revenue per plan, revenue per month per plan, and each variant's
/// per-customer deltas as a histogram.
extension Comparison {
    /// The comparison's one section.
    public var reportSection: ReportSection {
        let names = [base.name] + variants.map(\.plan.name)
        let plans = [base] + variants.map(\.plan)
        let unit = currency.code.uppercased()
        var blocks: [ReportBlock] = []
        blocks.append(
            .figures(
                [ReportFigure("base", currency.format(base.total))]
                    + variants.map { variant in
                        ReportFigure(
                            variant.plan.name, "\(currency.format(variant.plan.total)) (\(Self.percent(variant.basisPoints)))",
                            tone: .neutral)
                    }))
        blocks.append(.heading("Revenue per plan"))
        blocks.append(
            .table(
                ReportTable(
                    columns: [
                        .init("Plan"), .init("Invoices", numeric: true), .init("Total", numeric: true), .init("Delta", numeric: true),
                        .init("%", numeric: true),
                    ],
                    rows: [.init(["base", "\(base.invoices.count)", money(base.total), "", ""])]
                        + variants.map { variant in
                            .init([
                                variant.plan.name, "\(variant.plan.invoices.count)", money(variant.plan.total), money(variant.delta, signed: true),
                                Self.percent(variant.basisPoints),
                            ])
                        })))
        blocks.append(
            .barChart(
                BarChart(
                    title: "Revenue per plan", unit: unit,
                    bars: plans.map { .init(label: $0.name, value: ExactDecimal($0.total), display: currency.format($0.total)) }, category: "Plan")))
        let periods = Array(Set(plans.flatMap { $0.byPeriod.map(\.period) })).sorted()
        let largest = plans.flatMap { $0.byPeriod.map(\.amount) }.max() ?? 0
        blocks.append(.heading("Revenue over time"))
        blocks.append(
            .lineChart(
                LineChart(
                    title: "Revenue by month the invoice was created", unit: unit, labels: periods,
                    series: plans.map { plan in
                        let amounts = periods.map { period in plan.byPeriod.first { $0.period == period }?.amount ?? 0 }
                        return .init(name: plan.name, values: amounts.map { ExactDecimal($0) }, displays: amounts.map { currency.format($0) })
                    }, largestDisplay: currency.format(largest))))
        for variant in variants {
            let d = variant.deltas
            blocks.append(.heading("\(variant.plan.name) vs base, per customer (\(d.customers) customers)"))
            if !variant.plan.description.isEmpty { blocks.append(.text(variant.plan.description)) }
            blocks.append(
                .figures([
                    ReportFigure("pay more", "\(d.payMore)", tone: d.payMore > 0 ? .warning : .neutral),
                    ReportFigure("pay less", "\(d.payLess)", tone: d.payLess > 0 ? .good : .neutral), ReportFigure("the same", "\(d.paySame)"),
                ]))
            blocks.append(
                .table(
                    ReportTable(
                        caption: "Per-customer delta",
                        columns: ["min", "q1", "median", "q3", "max"].map { .init($0, numeric: true) },
                        rows: [.init([d.min, d.lowerQuartile, d.median, d.upperQuartile, d.max].map { money($0, signed: true) })])))
            let deltas = zip(variant.plan.perCustomer, base.perCustomer).map { $0.total - $1.total }
            blocks.append(.histogram(histogram(of: deltas, title: "Customers by the change in what they pay")))
            for (title, movers) in [("Biggest increases", variant.increases), ("Biggest decreases", variant.decreases)] where !movers.isEmpty {
                blocks.append(
                    .table(
                        ReportTable(
                            caption: title,
                            columns: [
                                .init("Customer"), .init("Base", numeric: true), .init(variant.plan.name, numeric: true),
                                .init("Delta", numeric: true),
                            ],
                            rows: movers.map { .init([$0.customer, money($0.base), money($0.variant), money($0.delta, signed: true)]) })))
            }
        }
        blocks.append(.heading("Revenue by period"))
        blocks.append(
            .table(
                ReportTable(
                    caption: "Month the invoice was created", columns: [.init("Period")] + names.map { .init($0, numeric: true) },
                    rows: periods.map { period in
                        .init([period] + plans.map { plan in money(plan.byPeriod.first { $0.period == period }?.amount ?? 0) })
                    })))
        var priceKeys: [(price: String, product: String)] = []
        for plan in plans {
            for entry in plan.byPrice where !priceKeys.contains(where: { $0.price == entry.price }) { priceKeys.append((entry.price, entry.product)) }
        }
        blocks.append(.heading("Revenue by price"))
        blocks.append(
            .table(
                ReportTable(
                    columns: [.init("Price"), .init("Product")] + names.map { .init($0, numeric: true) },
                    rows: priceKeys.map { key in
                        .init([key.price, key.product] + plans.map { plan in money(plan.byPrice.first { $0.price == key.price }?.amount ?? 0) })
                    })))
        if !differences.isEmpty {
            blocks.append(.heading("Differences"))
            blocks.append(.preformatted(differences.map(\.description).joined(separator: "\n")))
        }
        return ReportSection(
            title: name, subtitle: path, badge: differences.isEmpty ? ReportBadge("PASS", tone: .good) : ReportBadge("FAIL", tone: .bad),
            blocks: blocks)
    }

    /// `report.html`: one self-contained page.
    public var html: String {
        HTMLPage.page(title: "Compare \(name)", head: [], sections: [HTMLPage.render(reportSection)])
    }

    /// `summary.md`: the same figures in Markdown.
    public var markdown: String {
        MarkdownPage.page(title: "Compare \(name)", head: [], sections: [MarkdownPage.render(reportSection)])
    }

    /// The deltas (minor units) in bins of a round width (1, 2 or 5 × 10ⁿ minor units, at most about 12
    /// bins): on the left of 0, `[low, high)`; a bin of exactly 0 when 0 lies in the range; on the right,
    /// `(low, high]`. Integers only.
    func histogram(of deltas: [Int64], title: String) -> Histogram {
        let unit = currency.code.uppercased()
        func shown(_ amount: Int128) -> String {
            let text = currency.format(amount)
            return text.hasPrefix(unit + " ") ? String(text.dropFirst(unit.count + 1)) : text
        }
        guard let low = deltas.min(), let high = deltas.max() else { return Histogram(title: title, unit: unit, counted: "customers", bins: []) }
        let span = Int128(high) - Int128(low)
        var width: Int128 = 1
        var power: Int128 = 1
        search: while true {  // 1, 2, 5, 10, 20, 50, … minor units
            for mantissa: Int128 in [1, 2, 5] {
                width = mantissa * power
                if width * 12 >= span { break search }
            }
            power *= 10
        }
        var bins: [Histogram.Bin] = []
        if low < 0 {
            var start = Int128(low) - ((Int128(low) % width) + width) % width
            while start < 0, start <= Int128(high) {
                let end = min(start + width, 0)
                let count = deltas.filter { Int128($0) >= start && Int128($0) < end }.count
                bins.append(.init(low: shown(start), high: shown(end), count: count, tone: .good))
                start = end
            }
        }
        if low <= 0 && high >= 0 { bins.append(.init(low: shown(0), high: shown(0), count: deltas.filter { $0 == 0 }.count, tone: .neutral)) }
        if high > 0 {
            // The first bin (start, start + width] holds the smallest positive delta.
            var start: Int128 = low > 0 ? (Int128(low) - 1) / width * width : 0
            while start < Int128(high) {
                let end = start + width
                let count = deltas.filter { Int128($0) > start && Int128($0) <= end }.count
                bins.append(.init(low: shown(start), high: shown(end), count: count, tone: .warning))
                start = end
            }
        }
        return Histogram(title: title, unit: unit, counted: "customers", bins: bins)
    }
}
