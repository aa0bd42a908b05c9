import BillingCore

/// What a report page shows, independent of how it is written: sections of headings, text,
/// tables and bar charts. The HTML and Markdown renderings are two readings of the same model, so
/// they carry the same figures; a run gives one section per scenario, and a comparison is one
/// more kind of section built from the same blocks.
public struct ReportSection: Sendable, Hashable {
    public var title: String
    /// A second line under the title (a scenario's path).
    public var subtitle: String?
    /// The verdict shown beside the title, if any.
    public var badge: ReportBadge?
    public var blocks: [ReportBlock]

    public init(title: String, subtitle: String? = nil, badge: ReportBadge? = nil, blocks: [ReportBlock]) {
        self.title = title
        self.subtitle = subtitle
        self.badge = badge
        self.blocks = blocks
    }
}

/// A verdict label and its tone (the colour it is shown in).
public struct ReportBadge: Sendable, Hashable {
    public enum Tone: String, Sendable, Hashable { case good, bad, warning, neutral }
    public var label: String
    public var tone: Tone

    public init(_ label: String, tone: Tone) {
        self.label = label
        self.tone = tone
    }
}

/// One piece of a section.
public enum ReportBlock: Sendable, Hashable {
    /// A heading inside the section.
    case heading(String)
    /// A paragraph.
    case text(String)
    /// Lines kept as written (diagnostics, messages).
    case preformatted(String)
    /// Label/value pairs shown as tiles (the run's counts).
    case figures([ReportFigure])
    case table(ReportTable)
    case barChart(BarChart)
    /// How many of something fall in each range (a comparison's per-customer deltas).
    case histogram(Histogram)
    /// Values over time, one line per series (a comparison's revenue per plan per month).
    case lineChart(LineChart)
}

/// Counts per range of values, each bin with its bounds as written and the tone its bar is drawn in.
public struct Histogram: Sendable, Hashable {
    public struct Bin: Sendable, Hashable {
        /// The bounds as shown (`-230.00`, `-207.00`); `low == high` for a bin of one value.
        public var low: String
        public var high: String
        public var count: Int
        public var tone: ReportBadge.Tone
        public init(low: String, high: String, count: Int, tone: ReportBadge.Tone) {
            self.low = low
            self.high = high
            self.count = count
            self.tone = tone
        }
    }

    public var title: String
    /// What the bounds are in (`USD`).
    public var unit: String
    /// What is counted (`customers`).
    public var counted: String
    public var bins: [Bin]

    public init(title: String, unit: String, counted: String, bins: [Bin]) {
        self.title = title
        self.unit = unit
        self.counted = counted
        self.bins = bins
    }
}

/// Series of exact values over the same labels (periods), drawn as lines.
public struct LineChart: Sendable, Hashable {
    public struct Series: Sendable, Hashable {
        public var name: String
        /// One value per label, and how each is written.
        public var values: [ExactDecimal]
        public var displays: [String]
        public init(name: String, values: [ExactDecimal], displays: [String]) {
            self.name = name
            self.values = values
            self.displays = displays
        }
    }

    public var title: String
    public var unit: String
    /// The x axis: what each value is for (`2026-02`).
    public var labels: [String]
    public var series: [Series]
    /// How the largest value is written, for the value axis.
    public var largestDisplay: String

    public init(title: String, unit: String, labels: [String], series: [Series], largestDisplay: String) {
        self.title = title
        self.unit = unit
        self.labels = labels
        self.series = series
        self.largestDisplay = largestDisplay
    }
}

/// A labelled number.
public struct ReportFigure: Sendable, Hashable {
    public var label: String
    public var value: String
    public var tone: ReportBadge.Tone

    public init(_ label: String, _ value: String, tone: ReportBadge.Tone = .neutral) {
        self.label = label
        self.value = value
        self.tone = tone
    }
}

/// A table: column titles (numeric ones right-aligned), rows of cells, and rows shown emphasised
/// (totals).
public struct ReportTable: Sendable, Hashable {
    public struct Column: Sendable, Hashable {
        public var title: String
        public var numeric: Bool
        public init(_ title: String, numeric: Bool = false) {
            self.title = title
            self.numeric = numeric
        }
    }

    public struct Row: Sendable, Hashable {
        public var cells: [String]
        public var emphasised: Bool
        public init(_ cells: [String], emphasised: Bool = false) {
            self.cells = cells
            self.emphasised = emphasised
        }
    }

    public var caption: String?
    public var columns: [Column]
    public var rows: [Row]

    public init(caption: String? = nil, columns: [Column], rows: [Row]) {
        self.caption = caption
        self.columns = columns
        self.rows = rows
    }
}

/// Vertical bars of non-negative exact values, each with its label and its value as written.
public struct BarChart: Sendable, Hashable {
    public struct Bar: Sendable, Hashable {
        public var label: String
        public var value: ExactDecimal
        public var display: String
        public init(label: String, value: ExactDecimal, display: String) {
            self.label = label
            self.value = value
            self.display = display
        }
    }

    public var title: String
    /// What the values count (`units`, `USD`), for the value axis.
    public var unit: String
    public var bars: [Bar]
    /// What the bars are (`Period`, `Plan`): the label column's title in a table.
    public var category: String

    public init(title: String, unit: String, bars: [Bar], category: String = "Period") {
        self.title = title
        self.unit = unit
        self.bars = bars
        self.category = category
    }

    /// The height of `value` on a scale where the largest bar is `full` high, rounded down, computed
    /// exactly (no floating point near quantities): the largest `h` with `largest × h ≤ value × full`.
    static func height(of value: ExactDecimal, largest: ExactDecimal, full: Int) -> Int {
        guard largest > .zero, value > .zero else { return 0 }
        var low = 0
        var high = full
        while low < high {
            let middle = (low + high + 1) / 2
            if largest * ExactDecimal(middle) <= value * ExactDecimal(full) { low = middle } else { high = middle - 1 }
        }
        return max(low, 1)  // a non-zero value stays visible
    }
}
