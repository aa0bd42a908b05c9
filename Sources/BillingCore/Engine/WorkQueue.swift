/// Work the engine does at an instant.
enum Work: Sendable, Hashable {
    /// The finalization of a draft of subscription `subscription` (kept: finding it from the draft copied the
    /// draft out of `drafts`, 1% of a re-rated variant's CPU: perf, `billsim bench --stores compare`).
    case finalize(invoice: String, subscription: Int)
    /// The end of an incomplete subscription's 23 hours (Docs/ENGINE-RULES.md, "Status").
    case expire(subscription: Int)
    /// Retry `retry` (0-based) of a declined invoice (Docs/ENGINE-RULES.md, "Payments").
    case retryPayment(invoice: String, retry: Int)
    /// A `send_invoice` invoice's due date (Docs/ENGINE-RULES.md, "Payments").
    case invoiceDue(invoice: String)
    case start(subscription: Int)
    case renew(subscription: Int)
    /// A `cancel_at` inside the current period (Docs/ENGINE-RULES.md, "cancel_at").
    case cancelAt(subscription: Int)
    /// A tick of `pending_invoice_item_interval` (Docs/ENGINE-RULES.md, "Invoice items").
    case invoicePendingItems(subscription: Int)
    case timeline(entry: Int)
    /// The billing thresholds of a subscription, one second after its customer's events were received,
    /// when the running usage says they are reached (Docs/ENGINE-RULES.md, "Billing thresholds").
    case threshold(subscription: Int)

    /// The order of kinds at one instant (Docs/ENGINE-RULES.md, "Time and the test clock"):
    /// threshold checks (in subscription order), finalizations, expiries, payment retries, due dates, then starts and renewals in
    /// subscription order (a subscription's pending-item tick after its renewal), then the timeline in file order.
    var rank: (Int, Int) {
        switch self {
        case .threshold(let index): (-1, index)
        case .finalize: (0, 0)
        case .expire: (0, 1)
        case .retryPayment: (0, 2)
        case .invoiceDue: (0, 3)
        case .start(let index), .renew(let index), .cancelAt(let index): (1, 2 * index)
        case .invoicePendingItems(let index): (1, 2 * index + 1)
        case .timeline(let index): (2, index)
        }
    }
}

/// The engine's schedule: work by instant, then kind (``Work/rank``), then first scheduled first.
struct WorkQueue {
    struct Scheduled: Comparable {
        var at: Instant
        /// `work.rank`, kept: worked out in each comparison, `Scheduled.<` alone was 1.5% of a re-rated variant's CPU (perf, `billsim bench --stores compare`).
        var rank: (Int, Int)
        var order: Int64
        var work: Work

        static func < (lhs: Scheduled, rhs: Scheduled) -> Bool {
            (lhs.at, lhs.rank.0, lhs.rank.1, lhs.order) < (rhs.at, rhs.rank.0, rhs.rank.1, rhs.order)
        }
        static func == (lhs: Scheduled, rhs: Scheduled) -> Bool { lhs.at == rhs.at && lhs.order == rhs.order }
    }

    var heap = Heap<Scheduled>()
    var scheduledCount: Int64 = 0

    mutating func schedule(_ work: Work, at instant: Instant) {
        scheduledCount += 1
        heap.insert(Scheduled(at: instant, rank: work.rank, order: scheduledCount, work: work))
    }

    /// The instant of the next work, if any.
    var nextInstant: Instant? { heap.peek()?.at }

    /// Takes the next work off the queue (at ``nextInstant``, which must not be `nil`).
    mutating func takeNext() -> Work { heap.removeMin()!.work }

    /// The work due at or before `instant`, in order, left on the queue.
    mutating func due(by instant: Instant) -> [Work] {
        var due: [Scheduled] = []
        while let next = heap.peek(), next.at <= instant { due.append(heap.removeMin()!) }
        for item in due { heap.insert(item) }
        return due.map(\.work)
    }
}
