import BillingCore
import BillingDocument

/// What one plan (the base or a variant) billed: the figures a comparison shows and a report renders.
public struct PlanRevenue: Sendable {
    /// `base`, or the variant's name.
    public var name: String
    public var description: String
    public var invoices: [Invoice]
    /// The sum of the totals of every invoice.
    public var total: Int64
    /// Each customer's invoice totals summed, in the scenario's customer order (0 for a customer without invoices).
    public var perCustomer: [(customer: String, total: Int64)]
    /// Invoice totals by the month (UTC) each invoice was created, `2026-02`, in time order.
    public var byPeriod: [(period: String, amount: Int64)]
    /// What the lines of each price add to the invoices' totals (amounts less discounts plus exclusive
    /// taxes), in the catalog's price order.
    public var byPrice: [(price: String, product: String, amount: Int64)]
    /// Where the plan's own expectations (the base's `expect`, or `expect.variants.<name>`) differ.
    public var differences: [Difference]
    /// The plan's catalog (a variant's may replace prices): its invoices' lines' products in Stripe's shape.
    public var catalog: Catalog
    /// The currencies of its invoices, each once, in the order first met.
    public var currencies: [Currency]
}

/// One customer's bill under the base and under a variant.
public struct CustomerDelta: Sendable, Hashable {
    public var customer: String
    public var base: Int64
    public var variant: Int64
    public var delta: Int64 { variant - base }
}

/// The distribution of per-customer deltas. Quartiles are nearest-rank (the ⌈p·n⌉-th smallest delta),
/// so every figure is an amount some customer really sees, in whole minor units.
public struct DeltaDistribution: Sendable, Hashable {
    public var customers: Int
    public var min: Int64
    public var lowerQuartile: Int64
    public var median: Int64
    public var upperQuartile: Int64
    public var max: Int64
    public var payMore: Int
    public var payLess: Int
    public var paySame: Int

    init(_ deltas: [Int64]) {
        let sorted = deltas.sorted()
        func rank(_ numerator: Int, _ denominator: Int) -> Int64 {
            guard !sorted.isEmpty else { return 0 }
            let index = Swift.max(1, (numerator * sorted.count + denominator - 1) / denominator) - 1
            return sorted[index]
        }
        customers = sorted.count
        min = sorted.first ?? 0
        lowerQuartile = rank(1, 4)
        median = rank(1, 2)
        upperQuartile = rank(3, 4)
        max = sorted.last ?? 0
        payMore = sorted.filter { $0 > 0 }.count
        payLess = sorted.filter { $0 < 0 }.count
        paySame = sorted.count - payMore - payLess
    }
}

/// A variant against the base.
public struct VariantComparison: Sendable {
    public var plan: PlanRevenue
    /// `plan.total - base.total`.
    public var delta: Int64
    /// The delta in hundredths of a percent of the base total (half away from zero); nil when the base is 0.
    public var basisPoints: Int64?
    public var deltas: DeltaDistribution
    /// The customers whose bill rises most (largest first), and falls most (largest fall first); at most `moversShown` each.
    public var increases: [CustomerDelta]
    public var decreases: [CustomerDelta]
}

/// `billsim compare`'s result: the base and each selected variant over the same customers and usage.
public struct Comparison: Sendable {
    public static let moversShown = 5

    public var path: String
    public var name: String
    /// The currency of every invoice (a comparison adds totals, so it takes one currency).
    public var currency: Currency
    public var base: PlanRevenue
    public var variants: [VariantComparison]

    /// Every difference, the base's first.
    public var differences: [Difference] { base.differences + variants.flatMap(\.plan.differences) }
    /// 0 when every expectation holds, else 1 (an invalid file exits 2 before a comparison exists).
    public var exitCode: Int32 { differences.isEmpty ? 0 : 1 }
}

/// A sum that does not fit in Int64: an error naming what was added, never a wrap.
public struct ComparisonError: Error, Sendable, CustomStringConvertible {
    public var description: String
}

/// The customers a comparison lists, in the scenario's order, and where each is in it: made once for the
/// base and every variant (looking each invoice's customer up in a table of its own was 5% of a variant's revenue).
public struct CustomerOrder: Sendable {
    public let ids: [String]
    /// The position of each id in `ids` (the first, for an id repeated: the loader rejects that).
    let positions: [String: Int]

    public init(_ ids: [String]) {
        self.ids = ids
        positions = Dictionary(ids.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
    }
}

extension PlanRevenue {
    /// Sums `invoices` per customer, month and price; every addition is overflow-checked.
    public init(
        name: String, description: String, invoices: [Invoice], customers: CustomerOrder, catalog: Catalog, differences: [Difference]
    ) throws(ComparisonError) {
        // `what` is made only for the error: 20,000 invoices made 60,000 messages nobody read (5% of a re-rated variant's CPU).
        // `sum` in place: a dictionary's entry is looked up once (`sums[key, default: 0]`), not read then written.
        func add(_ value: Int64, to sum: inout Int64, _ what: @autoclosure () -> String) throws(ComparisonError) {
            let (result, overflow) = sum.addingReportingOverflow(value)
            if overflow { throw ComparisonError(description: "\(name): \(what()) exceeds the largest amount (Int64) in minor units") }
            sum = result
        }
        var total: Int64 = 0
        var byCustomer = [Int64](repeating: 0, count: customers.ids.count)
        /// By year · 16 + month (UTC), named once at the end.
        var byMonth: [Int: Int64] = [:]
        var (month, monthOf): (Int, Instant?) = (0, nil)
        var byPrice: [String: Int64] = [:]
        var currencies: [Currency] = []
        for invoice in invoices {
            var invoiceTotal: Int64 = 0
            // Read in place: `for line in` copied every line (its strings and arrays retained and released).
            for line in invoice.lines.indices {
                // What the line adds to its invoice's `total`: what discounts and billing credits left of it (its
                // taxable amount) plus its exclusive taxes, so the totals are the invoices' `total` (Invoice.total).
                var net = invoice.lines[line].taxableAmount
                try add(invoice.lines[line].taxTotal(inclusive: false), to: &net, "invoice \(invoice.id)'s total")
                try add(net, to: &invoiceTotal, "invoice \(invoice.id)'s total")
                let price = invoice.lines[line].price
                try add(net, to: &byPrice[price, default: 0], "revenue of price \(price)")
            }
            try add(invoiceTotal, to: &total, "the total")
            // A customer the scenario does not list is in no per-customer figure (the engine bills only those it lists).
            if let position = customers.positions[invoice.customer] {
                try add(invoiceTotal, to: &byCustomer[position], "customer \(invoice.customer)'s total")
            }
            // Invoices come in runs created at one instant (a renewal's): its month is worked out once for each run.
            if invoice.created != monthOf {
                let date = invoice.created.civil.date
                (month, monthOf) = (Int(date.year) * 16 + Int(date.month), invoice.created)
            }
            try add(invoiceTotal, to: &byMonth[month, default: 0], "revenue of \(Self.monthName(month))")
            if !currencies.contains(invoice.currency) { currencies.append(invoice.currency) }
        }
        self.name = name
        self.description = description
        self.invoices = invoices
        self.total = total
        self.perCustomer = zip(customers.ids, byCustomer).map { ($0, $1) }
        self.byPeriod = byMonth.sorted { $0.key < $1.key }.map { (Self.monthName($0.key), $0.value) }
        self.byPrice = catalog.prices.compactMap { price in byPrice[price.id].map { (price.id, price.product, $0) } }
        self.differences = differences
        self.catalog = catalog
        self.currencies = currencies
    }

    /// `2026-02` for year · 16 + month.
    static func monthName(_ key: Int) -> String {
        let (year, month) = (key >> 4, key & 15)
        return "\(year)-\(month < 10 ? "0" : "")\(month)"
    }
}

extension VariantComparison {
    public init(_ plan: PlanRevenue, against base: PlanRevenue) throws(ComparisonError) {
        let (delta, overflow) = plan.total.subtractingReportingOverflow(base.total)
        if overflow { throw ComparisonError(description: "\(plan.name): the delta against the base exceeds Int64") }
        self.plan = plan
        self.delta = delta
        if base.total == 0 {
            basisPoints = nil
        } else {
            // Int128: delta · 10,000 cannot overflow; rounded half away from zero.
            let scaled = Int128(delta) * 10_000
            let divisor = Int128(base.total)
            let quotient = scaled / divisor
            let remainder = scaled % divisor
            let roundAway = remainder.magnitude * 2 >= divisor.magnitude
            let sign: Int128 = (scaled < 0) != (divisor < 0) ? -1 : 1
            basisPoints = Int64(clamping: roundAway ? quotient + sign : quotient)
        }
        var customerDeltas: [CustomerDelta] = []
        for (index, entry) in plan.perCustomer.enumerated() {
            let baseTotal = base.perCustomer[index].total
            if entry.total.subtractingReportingOverflow(baseTotal).overflow {
                throw ComparisonError(description: "\(plan.name): customer \(entry.customer)'s delta exceeds Int64")
            }
            customerDeltas.append(CustomerDelta(customer: entry.customer, base: baseTotal, variant: entry.total))
        }
        deltas = DeltaDistribution(customerDeltas.map(\.delta))
        // Ties in customer order, so the movers are the same on every run (positions compared, not names looked up).
        let positions = customerDeltas.indices
        increases = positions.filter { customerDeltas[$0].delta > 0 }
            .sorted { (customerDeltas[$1].delta, $0) < (customerDeltas[$0].delta, $1) }
            .prefix(Comparison.moversShown).map { customerDeltas[$0] }
        decreases = positions.filter { customerDeltas[$0].delta < 0 }
            .sorted { (customerDeltas[$0].delta, $0) < (customerDeltas[$1].delta, $1) }
            .prefix(Comparison.moversShown).map { customerDeltas[$0] }
    }
}
