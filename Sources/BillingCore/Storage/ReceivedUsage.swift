/// A run's accepted events, frozen, with the clock time at which each was received: what a variant
/// is re-rated from (``BillingEngine/rerate(over:)``) instead of ingesting the same events again.
///
/// At clock time `t` a run's store holds exactly the events received by `t`; a re-rated variant reads
/// the aggregates over those same events (the events of sequence ≤ ``receivedThrough(_:)``), so it
/// bills what it would have billed had it received them itself. That holds while everything that
/// decides which events are accepted, their keys and when they are received is the base's: the meters,
/// the customers, the event window and the clock (``fits(_:)``).
public struct ReceivedUsage: Sendable {
    var buckets: UsageBuckets
    let receipts: ReceiptCurve
    /// The run's usage report (received, rejected, late: a re-rated variant reports the base's).
    public let report: UsageReport
    /// What decides which events the run accepted, their keys and when they were received.
    let shape: UsageShape
    /// The run's (meter, customer) keys, and its customers by id as the clock started: the same for every
    /// run that fits (``fits(_:)``), so each re-rated variant starts from these rather than building its own.
    let keys: EventKeys
    let customers: [String: Customer]
    /// Running sums of the buckets, for `sum` queries over events all received (``BucketSums``).
    let sums: BucketSums

    init(buckets: UsageBuckets, receipts: ReceiptCurve, report: UsageReport, simulation: Simulation, keys: EventKeys) {
        self.buckets = buckets
        self.buckets.settle()
        self.receipts = receipts
        self.report = report
        shape = UsageShape(simulation)
        self.keys = keys
        customers = BillingEngine.customersByID(simulation)
        sums = BucketSums(self.buckets)
    }

    /// Whether `simulation` receives, accepts and keys the same events as the run this usage comes from:
    /// the same meters, customers, event window and clock (prices, settings other than the event window,
    /// subscriptions' prices, coupons, tax rates and the timeline may differ), and with no billing
    /// thresholds: they are checked as events are received, which a re-rated run does not do.
    public func fits(_ simulation: Simulation) -> Bool { Self.rerates(simulation, shape: shape) }

    /// Whether a variant `simulation` of `base` would be re-rated from the base run's usage (``fits(_:)``),
    /// known before the base runs.
    public static func rerates(_ simulation: Simulation, from base: Simulation) -> Bool { rerates(simulation, shape: UsageShape(base)) }

    static func rerates(_ simulation: Simulation, shape: UsageShape) -> Bool {
        UsageShape(simulation) == shape && BillingEngine.thresholdWatch(simulation).isEmpty
    }

    /// The greatest sequence received by clock time `now`.
    func receivedThrough(_ now: Instant) -> Int64 { receipts.through(now.seconds) }

    /// The query's aggregate over the events received through sequence `receivedThrough`.
    func aggregate(_ query: UsageQuery, receivedThrough: Int64) throws(AmountOverflow) -> Decimal12 {
        if query.formula == .sum, let total = sums.sum(query, of: buckets, receivedThrough: receivedThrough) { return Decimal12(units: total) }
        return try buckets.aggregate(query, receivedThrough: receivedThrough)
    }
}

/// Each bucket's running sum every ``stride`` entries, made once for every variant re-rated from the usage: a `sum`
/// over a period reads two running sums and at most 2 × ``stride`` entries instead of every event of the period
/// (a month's 500 events per customer in `billsim bench --stores compare`: the aggregates were 8% of a re-rated
/// variant's CPU, by perf).
///
/// Used only where it gives what ``UsageBuckets/aggregate(_:receivedThrough:)`` gives: every event of the bucket
/// received (its greatest sequence at most `receivedThrough`), and no running sum of the bucket beyond ±2¹²⁵, so
/// that no sum over a range of it overflows (the difference of two running sums fits; adding the range's values
/// one by one, as the buckets do, never overflows either).
struct BucketSums: Sendable {
    static let stride = 64
    static let limit: Int128 = 1 << 125

    /// Per bucket, the sums of its first 0, `stride`, 2 × `stride`, … values; empty for a bucket summed entry by entry.
    let checkpoints: [[Int128]]
    /// Per bucket, its greatest sequence.
    let lastSequences: [Int64]

    init(_ usage: UsageBuckets) {
        var checkpoints: [[Int128]] = []
        var lastSequences: [Int64] = []
        checkpoints.reserveCapacity(usage.buckets.count)
        lastSequences.reserveCapacity(usage.buckets.count)
        for bucket in usage.buckets {
            var sums: [Int128] = [0]
            sums.reserveCapacity(bucket.entries.count / Self.stride + 1)
            var total: Int128 = 0
            var last = Int64.min
            var fits = true
            for (index, entry) in bucket.entries.enumerated() {
                last = max(last, entry.sequence)
                guard fits else { continue }
                let (sum, overflow) = total.addingReportingOverflow(usage.units(of: entry))
                if overflow || sum > Self.limit || sum < -Self.limit { fits = false }
                total = sum
                if (index + 1) % Self.stride == 0 { sums.append(total) }
            }
            checkpoints.append(fits ? sums : [])
            lastSequences.append(last)
        }
        self.checkpoints = checkpoints
        self.lastSequences = lastSequences
    }

    /// The sum of the values of `query`'s bucket in its period, or `nil` when the running sums cannot give it.
    func sum(_ query: UsageQuery, of usage: UsageBuckets, receivedThrough: Int64) -> Int128? {
        guard query.key < checkpoints.count, !checkpoints[query.key].isEmpty, lastSequences[query.key] <= receivedThrough else { return nil }
        let bucket = usage.buckets[query.key]
        let sums = checkpoints[query.key]
        /// The sum of the bucket's first `count` values.
        func prefix(_ count: Int) -> Int128 {
            let block = count / Self.stride
            var total = sums[block]
            for index in block * Self.stride..<count { total += usage.units(of: bucket.entries[index]) }
            return total
        }
        return prefix(bucket.lowerBound(query.period.end.seconds)) - prefix(bucket.lowerBound(query.period.start.seconds))
    }
}

/// The parts of a simulation that decide which events a run accepts, their keys and when they are received.
struct UsageShape: Sendable, Equatable {
    let meters: [Meter]
    let customers: [Customer]
    let eventWindow: EventWindow
    let clockStart: Instant
    let clockUntil: Instant

    init(_ simulation: Simulation) {
        meters = simulation.catalog.meters
        customers = simulation.customers
        eventWindow = simulation.settings.eventWindow
        clockStart = simulation.clockStart
        clockUntil = simulation.clockUntil
    }
}

/// When a run received its events: the clock times at which the receipt sequence moved on, in order.
struct ReceiptCurve: Sendable {
    /// Clock times, strictly increasing.
    var clocks: [Int64] = []
    /// `firsts[i]`: the sequence of the first event received at `clocks[i]`.
    var firsts: [Int64] = []
    /// The last sequence received.
    var last: Int64 = 0

    /// Notes that the event of `sequence` was received at clock time `clock` (sequences increase, clocks never decrease).
    mutating func note(clock: Int64, sequence: Int64) {
        if clocks.last != clock {
            clocks.append(clock)
            firsts.append(sequence)
        }
        last = sequence
    }

    /// The greatest sequence received by clock time `now` (0 when none).
    func through(_ now: Int64) -> Int64 {
        let later = clocks.partitioningIndex { $0 > now }
        return later < clocks.count ? firsts[later] - 1 : last
    }
}
