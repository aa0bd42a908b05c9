import BillingCore

/// A report page as one self-contained HTML file: inline CSS and inline SVG charts, no scripts, no
/// fonts or anything else from the network. The output is also well-formed XML (XHTML syntax), so an
/// XML parser can check it. Every text goes through `xml(_:)`: a scenario's name cannot inject markup.
public enum HTMLPage {
    /// One section.
    public static func render(_ section: ReportSection) -> String {
        var out = "<section>\n<h2>"
        if let badge = section.badge { out += "<span class=\"badge \(badge.tone.rawValue)\">\(xml(badge.label))</span> " }
        out += "\(xml(section.title))</h2>\n"
        if let subtitle = section.subtitle { out += "<p class=\"subtitle\">\(xml(subtitle))</p>\n" }
        for block in section.blocks { out += render(block) }
        return out + "</section>\n"
    }

    /// The page around the sections' HTML: title, head figures and the style sheet.
    public static func page(title: String, head: [ReportBlock], sections: [String]) -> String {
        var out = "<!DOCTYPE html>\n<html xmlns=\"http://www.w3.org/1999/xhtml\" lang=\"en\">\n<head>\n<meta charset=\"utf-8\"/>\n"
        out += "<meta name=\"viewport\" content=\"width=device-width, initial-scale=1\"/>\n"
        out += "<title>\(xml(title))</title>\n<style>\n\(style)</style>\n</head>\n<body>\n<header>\n<h1>\(xml(title))</h1>\n"
        for block in head { out += render(block) }
        out += "</header>\n<main>\n"
        out += sections.joined()
        return out + "</main>\n</body>\n</html>\n"
    }

    static func render(_ block: ReportBlock) -> String {
        switch block {
        case .heading(let text): return "<h3>\(xml(text))</h3>\n"
        case .text(let text): return "<p>\(xml(text))</p>\n"
        case .preformatted(let text): return "<pre>\(xml(text))</pre>\n"
        case .figures(let figures):
            let tiles = figures.map { "<div class=\"figure \($0.tone.rawValue)\"><b>\(xml($0.value))</b> <span>\(xml($0.label))</span></div>\n" }
            return "<div class=\"figures\">\n" + tiles.joined() + "</div>\n"
        case .table(let table): return render(table)
        case .barChart(let chart): return render(chart)
        case .histogram(let histogram): return render(histogram)
        case .lineChart(let chart): return render(chart)
        }
    }

    static func render(_ table: ReportTable) -> String {
        func cell(_ tag: String, _ text: String, _ column: ReportTable.Column?) -> String {
            column?.numeric == true ? "<\(tag) class=\"num\">\(xml(text))</\(tag)>" : "<\(tag)>\(xml(text))</\(tag)>"
        }
        var out = "<div class=\"scroll\"><table>\n"
        if let caption = table.caption { out += "<caption>\(xml(caption))</caption>\n" }
        out += "<thead><tr>" + table.columns.map { cell("th", $0.title, $0) }.joined() + "</tr></thead>\n<tbody>\n"
        for row in table.rows {
            let cells = row.cells.enumerated().map { index, text in
                cell("td", text, index < table.columns.count ? table.columns[index] : nil)
            }
            out += (row.emphasised ? "<tr class=\"total\">" : "<tr>") + cells.joined() + "</tr>\n"
        }
        return out + "</tbody>\n</table></div>\n"
    }

    /// Bars `slot` wide on a `plot`-high scale, the value over each bar and its label under it.
    static func render(_ chart: BarChart) -> String {
        // Wide enough for the longest label at about 6 px a character (a plan's name).
        let slot = max(72, 6 * (chart.bars.flatMap { [$0.label.count, $0.display.count] }.max() ?? 0) + 12)
        let plot = 160
        let top = 24
        let width = max(chart.bars.count, 1) * slot + 16
        let height = top + plot + 40
        let largest = chart.bars.map(\.value).max() ?? .zero
        var out = "<figure class=\"chart\">\n<figcaption>\(xml(chart.title)) (\(xml(chart.unit)))</figcaption>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        out += "<title>\(xml(chart.title))</title>\n"
        out += "<line x1=\"8\" y1=\"\(top + plot)\" x2=\"\(width - 8)\" y2=\"\(top + plot)\" class=\"axis\"/>\n"
        for (index, bar) in chart.bars.enumerated() {
            let barHeight = BarChart.height(of: bar.value, largest: largest, full: plot)
            let x = 8 + index * slot
            let middle = x + slot / 2
            out += "<rect x=\"\(x + 12)\" y=\"\(top + plot - barHeight)\" width=\"\(slot - 24)\" height=\"\(barHeight)\" class=\"bar\"/>\n"
            out += "<text x=\"\(middle)\" y=\"\(top + plot - barHeight - 6)\" class=\"value\">\(xml(bar.display))</text>\n"
            out += "<text x=\"\(middle)\" y=\"\(top + plot + 18)\" class=\"label\">\(xml(bar.label))</text>\n"
        }
        return out + "</svg>\n</figure>\n"
    }

    /// Bars side by side, the count over each and the bin's bounds under it (one value: one bound).
    static func render(_ histogram: Histogram) -> String {
        let longest = histogram.bins.flatMap { [$0.low.count, $0.high.count] }.max() ?? 0
        let slot = max(56, 6 * longest + 12)
        let plot = 140
        let top = 22
        let width = max(histogram.bins.count, 1) * slot + 16
        let height = top + plot + 44
        let largest = ExactDecimal(histogram.bins.map(\.count).max() ?? 0)
        var out = "<figure class=\"chart\">\n<figcaption>\(xml(histogram.title)) (\(xml(histogram.unit)))</figcaption>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        out += "<title>\(xml(histogram.title))</title>\n"
        out += "<line x1=\"8\" y1=\"\(top + plot)\" x2=\"\(width - 8)\" y2=\"\(top + plot)\" class=\"axis\"/>\n"
        for (index, bin) in histogram.bins.enumerated() {
            let barHeight = BarChart.height(of: ExactDecimal(bin.count), largest: largest, full: plot)
            let x = 8 + index * slot
            let middle = x + slot / 2
            out +=
                "<rect x=\"\(x + 3)\" y=\"\(top + plot - barHeight)\" width=\"\(slot - 6)\" height=\"\(barHeight)\" class=\"bar \(bin.tone.rawValue)\"/>\n"
            out += "<text x=\"\(middle)\" y=\"\(top + plot - barHeight - 6)\" class=\"value\">\(bin.count)</text>\n"
            out += "<text x=\"\(middle)\" y=\"\(top + plot + 16)\" class=\"label\">\(xml(bin.low))</text>\n"
            if bin.high != bin.low { out += "<text x=\"\(middle)\" y=\"\(top + plot + 32)\" class=\"label\">to \(xml(bin.high))</text>\n" }
        }
        let note =
            "Each bar counts the \(histogram.counted) whose change falls in its range: below 0 from the first bound up to (not including) the second, above 0 from after the first bound up to and including the second."
        return out + "</svg>\n<p class=\"note\">\(xml(note))</p>\n</figure>\n"
    }

    /// One polyline per series over the labels, a dot per value (its figure in the dot's title), the value
    /// axis from 0 to the largest value, and a legend that wraps.
    static func render(_ chart: LineChart) -> String {
        // The value axis's labels sit in the left margin, right-aligned.
        let left = 6 * max(chart.largestDisplay.count, 1) + 18
        let plotWidth = max(560, (chart.labels.count - 1) * 90)
        let plot = 180
        let top = 16
        let width = left + plotWidth + 24
        let height = top + plot + 30
        let largest = chart.series.flatMap(\.values).max() ?? .zero
        func x(_ index: Int) -> Int {
            chart.labels.count == 1 ? left + plotWidth / 2 : left + 30 + index * (plotWidth - 60) / (chart.labels.count - 1)
        }
        func y(_ value: ExactDecimal) -> Int { top + plot - BarChart.height(of: value, largest: largest, full: plot) }
        var out = "<figure class=\"chart\">\n<figcaption>\(xml(chart.title)) (\(xml(chart.unit)))</figcaption>\n"
        out += "<svg xmlns=\"http://www.w3.org/2000/svg\" viewBox=\"0 0 \(width) \(height)\" width=\"\(width)\" height=\"\(height)\" role=\"img\">\n"
        out += "<title>\(xml(chart.title))</title>\n"
        out += "<line x1=\"\(left)\" y1=\"\(top)\" x2=\"\(width - 8)\" y2=\"\(top)\" class=\"grid\"/>\n"
        out += "<text x=\"\(left - 6)\" y=\"\(top + 4)\" class=\"label end\">\(xml(chart.largestDisplay))</text>\n"
        out += "<line x1=\"\(left)\" y1=\"\(top + plot)\" x2=\"\(width - 8)\" y2=\"\(top + plot)\" class=\"axis\"/>\n"
        out += "<text x=\"\(left - 6)\" y=\"\(top + plot + 4)\" class=\"label end\">0</text>\n"
        for (index, label) in chart.labels.enumerated() {
            out += "<text x=\"\(x(index))\" y=\"\(top + plot + 18)\" class=\"label\">\(xml(label))</text>\n"
        }
        // The first series (the base) last, dashed, so that a plan equal to it still shows beneath.
        for (number, series) in chart.series.enumerated().reversed() {
            let points = series.values.enumerated().map { "\(x($0.offset)),\(y($0.element))" }.joined(separator: " ")
            out += "<g class=\"series s\(number % 6)\">\n<polyline points=\"\(points)\"/>\n"
            for (index, value) in series.values.enumerated() {
                let shown = index < series.displays.count ? series.displays[index] : value.description
                let label = index < chart.labels.count ? chart.labels[index] : ""
                out +=
                    "<circle cx=\"\(x(index))\" cy=\"\(y(value))\" r=\"4\"><title>\(xml(series.name)) \(xml(label)): \(xml(shown))</title></circle>\n"
            }
            out += "</g>\n"
        }
        out += "</svg>\n<ul class=\"legend\">"
        out += chart.series.enumerated().map { "<li><span class=\"swatch s\($0.offset % 6)\"></span>\(xml($0.element.name))</li>" }.joined()
        return out + "</ul>\n</figure>\n"
    }

    /// System fonts only; wide tables and diagnostics (whose carets must stay under their column) scroll
    /// sideways on a phone; print wraps them, drops the backgrounds and keeps a table row or chart on one page.
    static let style = """
        :root { color-scheme: light; --good: #1a7f37; --bad: #cf222e; --warning: #9a6700; --neutral: #57606a; --line: #d0d7de; }
        * { box-sizing: border-box; }
        body { margin: 0; font: 15px/1.45 system-ui, -apple-system, "Segoe UI", Roboto, sans-serif; color: #1f2328; background: #f6f8fa; }
        header, main { max-width: 1100px; margin: 0 auto; padding: 16px; }
        h1 { font-size: 1.6em; margin: 8px 0 12px; overflow-wrap: anywhere; }
        h2 { font-size: 1.25em; margin: 0 0 4px; overflow-wrap: anywhere; }
        h3 { font-size: 1em; margin: 18px 0 6px; color: var(--neutral); text-transform: uppercase; letter-spacing: .04em; }
        section { background: #fff; border: 1px solid var(--line); border-radius: 8px; padding: 16px; margin: 0 0 16px; }
        .subtitle { margin: 0 0 8px; color: var(--neutral); font-family: ui-monospace, Menlo, Consolas, monospace; font-size: .9em; overflow-wrap: anywhere; }
        .badge { display: inline-block; padding: 1px 8px; border-radius: 4px; color: #fff; font-size: .8em; vertical-align: 2px; }
        .badge.good { background: var(--good); } .badge.bad { background: var(--bad); }
        .badge.warning { background: var(--warning); } .badge.neutral { background: var(--neutral); }
        .figures { display: flex; flex-wrap: wrap; gap: 8px; }
        .figure { background: #fff; border: 1px solid var(--line); border-left: 5px solid var(--neutral); border-radius: 6px; padding: 6px 12px; min-width: 110px; }
        .figure b { display: block; font-size: 1.5em; }
        section .figure { padding: 3px 10px; min-width: 90px; } section .figure b { font-size: 1.15em; }
        .figure.good { border-left-color: var(--good); } .figure.bad { border-left-color: var(--bad); } .figure.warning { border-left-color: var(--warning); }
        .scroll { overflow-x: auto; margin: 6px 0 10px; }
        table { border-collapse: collapse; width: 100%; font-size: .92em; }
        caption { text-align: left; font-weight: 600; padding: 4px 0; overflow-wrap: anywhere; }
        th, td { text-align: left; padding: 4px 8px; border-bottom: 1px solid var(--line); vertical-align: top; }
        th { background: #f6f8fa; white-space: nowrap; }
        td { overflow-wrap: break-word; }
        .scroll table { min-width: 640px; }
        .num { text-align: right; white-space: nowrap; font-variant-numeric: tabular-nums; }
        tr.total td { font-weight: 600; border-top: 2px solid #8c959f; }
        pre { background: #f6f8fa; padding: 8px; border-radius: 6px; white-space: pre; overflow-x: auto; font-size: .88em; }
        figure.chart { margin: 8px 0; overflow-x: auto; }
        figcaption { font-weight: 600; margin-bottom: 4px; }
        svg { max-width: 100%; height: auto; }
        svg .bar { fill: #0969da; } svg .axis { stroke: #8c959f; stroke-width: 1; }
        svg text { font: 11px system-ui, sans-serif; fill: #1f2328; text-anchor: middle; }
        svg .label { fill: var(--neutral); } svg .end { text-anchor: end; }
        svg .bar.good { fill: var(--good); } svg .bar.warning { fill: #bc4c00; } svg .bar.neutral { fill: #8c959f; }
        svg .grid { stroke: var(--line); stroke-dasharray: 4 3; }
        svg polyline { fill: none; stroke-width: 2.5; } svg circle { stroke: #fff; stroke-width: 1.5; }
        .s0 polyline { stroke: #57606a; stroke-dasharray: 7 5; } .s0 circle, .swatch.s0 { fill: #57606a; background: #57606a; }
        .s1 polyline { stroke: #0969da; } .s1 circle, .swatch.s1 { fill: #0969da; background: #0969da; }
        .s2 polyline { stroke: #bc4c00; } .s2 circle, .swatch.s2 { fill: #bc4c00; background: #bc4c00; }
        .s3 polyline { stroke: #1a7f37; } .s3 circle, .swatch.s3 { fill: #1a7f37; background: #1a7f37; }
        .s4 polyline { stroke: #8250df; } .s4 circle, .swatch.s4 { fill: #8250df; background: #8250df; }
        .s5 polyline { stroke: #bf3989; } .s5 circle, .swatch.s5 { fill: #bf3989; background: #bf3989; }
        .legend { list-style: none; padding: 0; margin: 4px 0; display: flex; flex-wrap: wrap; gap: 4px 16px; font-size: .9em; }
        .swatch { display: inline-block; width: 12px; height: 12px; border-radius: 2px; margin-right: 6px; vertical-align: -1px; }
        .note { margin: 2px 0; color: var(--neutral); font-size: .85em; }
        @media (max-width: 600px) {
          body { font-size: 14px; } header, main { padding: 8px; } section { padding: 10px; border-radius: 6px; }
          th, td { padding: 3px 5px; white-space: nowrap; } .scroll table { min-width: 0; } .figure { min-width: 0; flex: 1 1 40%; } section .figure { flex: 1 1 28%; }
        }
        @media print {
          body { background: #fff; font-size: 11pt; } header, main { max-width: none; padding: 0; } header { margin-bottom: 12px; }
          section { border: none; border-top: 1px solid #8c959f; border-radius: 0; padding: 8px 0; }
          pre { white-space: pre-wrap; overflow-wrap: anywhere; } .scroll, figure.chart { overflow: visible; } .scroll table { min-width: 0; } tr, figure, .figure { break-inside: avoid; } h2, h3 { break-after: avoid; }
          .badge, .figure, svg .bar, .swatch, svg polyline, svg circle { print-color-adjust: exact; -webkit-print-color-adjust: exact; }
        }

        """
}

/// The same page as Markdown (GitHub's tables): what a pull request comment or a CI summary shows.
/// Charts become tables of their values.
public enum MarkdownPage {
    public static func render(_ section: ReportSection) -> String {
        var out = "## " + (section.badge.map { "\(escaped($0.label)) · " } ?? "") + escaped(section.title) + "\n\n"
        if let subtitle = section.subtitle { out += code(subtitle) + "\n\n" }
        for block in section.blocks { out += render(block) }
        return out
    }

    public static func page(title: String, head: [ReportBlock], sections: [String]) -> String {
        "# \(escaped(title))\n\n" + head.map(render).joined() + sections.joined()
    }

    static func render(_ block: ReportBlock) -> String {
        switch block {
        case .heading(let text): return "### \(escaped(text))\n\n"
        case .text(let text): return escaped(text) + "\n\n"
        case .preformatted(let text):
            let fence = String(repeating: "`", count: max(3, longestRun(of: "`", in: text) + 1))
            return "\(fence)\n\(text)\n\(fence)\n\n"
        case .figures(let figures):
            return table(ReportTable(columns: figures.map { .init($0.label, numeric: true) }, rows: [.init(figures.map(\.value))]))
        case .table(let value): return table(value)
        case .barChart(let chart):
            return table(
                ReportTable(
                    caption: "\(chart.title) (\(chart.unit))", columns: [.init(chart.category), .init(chart.unit, numeric: true)],
                    rows: chart.bars.map { .init([$0.label, $0.display]) }))
        case .histogram(let histogram):
            return table(
                ReportTable(
                    caption: "\(histogram.title) (\(histogram.unit))",
                    columns: [.init("From", numeric: true), .init("To", numeric: true), .init(histogram.counted, numeric: true)],
                    rows: histogram.bins.map { .init([$0.low, $0.high, "\($0.count)"]) }))
        case .lineChart(let chart):
            return table(
                ReportTable(
                    caption: "\(chart.title) (\(chart.unit))", columns: [.init("Period")] + chart.series.map { .init($0.name, numeric: true) },
                    rows: chart.labels.indices.map { index in
                        .init([chart.labels[index]] + chart.series.map { index < $0.displays.count ? $0.displays[index] : "" })
                    }))
        }
    }

    static func table(_ table: ReportTable) -> String {
        var out = table.caption.map { "**\(escaped($0))**\n\n" } ?? ""
        out += "| " + table.columns.map { escaped($0.title) }.joined(separator: " | ") + " |\n"
        out += "|" + table.columns.map { $0.numeric ? " ---: |" : " --- |" }.joined() + "\n"
        for row in table.rows {
            let cells = row.cells.map { row.emphasised && !$0.isEmpty ? "**\(escaped($0))**" : escaped($0) }
            out += "| " + cells.joined(separator: " | ") + " |\n"
        }
        return out + "\n"
    }

    /// Text that Markdown shows as written: its punctuation escaped, line breaks as spaces (a cell is one line).
    static func escaped(_ text: String) -> String {
        var out = ""
        for character in text {
            switch character {
            case "\\", "`", "*", "_", "[", "]", "<", ">", "|", "#", "!", "~": out += "\\\(character)"
            case "\n", "\r", "\r\n": out += " "
            default: out.append(character)
            }
        }
        return out
    }

    /// Inline code that holds any text (a fence longer than any backtick run inside).
    static func code(_ text: String) -> String {
        let fence = String(repeating: "`", count: longestRun(of: "`", in: text) + 1)
        let flat = String(text.map { $0.isNewline ? " " : $0 })
        return "\(fence) \(flat) \(fence)"
    }

    static func longestRun(of character: Character, in text: String) -> Int {
        var longest = 0
        var current = 0
        for each in text {
            current = each == character ? current + 1 : 0
            longest = max(longest, current)
        }
        return longest
    }
}
