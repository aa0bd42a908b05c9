/// The running usage behind billing threshold checks (Docs/ENGINE-RULES.md, "Billing thresholds"), so
/// that a check reads no store: for each (meter, customer) key of a watched customer, the accepted
/// events, summed per watched subscription slot from that slot's usage start, and the receipt instants
/// whose checks are due. Updated by the intake as it accepts events; a function of values.
struct ThresholdTallies {
    /// An accepted event, as the totals need it.
    struct Usage: Comparable {
        var timestamp: Instant
        var sequence: Int64
        var value: Int128

        static func < (lhs: Usage, rhs: Usage) -> Bool { (lhs.timestamp, lhs.sequence) < (rhs.timestamp, rhs.sequence) }
    }

    /// One watched subscription slot's usage: its key's events timestamped in `[start, through)`.
    struct Totals {
        var subscription: Int
        var slot: Int
        var start: Instant
        /// Whether the totals hold every such event: not when `start` was set before `through` (a
        /// backdated usage start): the check then asks the store.
        var known: Bool
        var sum: Int128 = 0
        var overflow = false
        var count = 0
        var last: Usage?

        mutating func add(_ usage: Usage) {
            guard usage.timestamp >= start else { return }
            let (total, overflowed) = sum.addingReportingOverflow(usage.value)
            if overflowed { overflow = true } else { sum = total }
            count += 1
            if last.map({ $0 < usage }) ?? true { last = usage }
        }

        /// The aggregate by `formula`, as a store computes it; `nil` beyond 128 bits (the store says why).
        func value(_ formula: AggregationFormula) -> Decimal12? {
            switch formula {
            case .sum: overflow ? nil : Decimal12(units: sum)
            case .count: Decimal12(count)
            case .last: Decimal12(units: last?.value ?? 0)
            }
        }
    }

    /// One key's events: those timestamped before `through` are in the totals; later ones (up to the
    /// event window's future) wait in `future` until a check's instant passes them.
    struct KeyTally {
        var customer: Int
        var through = Instant.earliest
        var future = Heap<Usage>()
        var totals: [Totals] = []

        mutating func add(_ usage: Usage) {
            guard usage.timestamp < through else { return future.insert(usage) }
            for index in totals.indices { totals[index].add(usage) }
        }

        /// Moves the events timestamped before `instant` into the totals.
        mutating func advance(to instant: Instant) {
            while let next = future.peek(), next.timestamp < instant {
                future.removeMin()
                for index in totals.indices { totals[index].add(next) }
            }
            through = max(through, instant)
        }
    }

    /// Key → its tally in `keys`.
    var byKey: [Int: Int] = [:]
    var keys: [KeyTally] = []
    /// Watched customer → its keys' tallies.
    var keysOfCustomer: [[Int]] = []
    /// Watched customer → the subscriptions it watches for (``BillingEngine/thresholdWatch``).
    var subscriptionsOfCustomer: [[Int]] = []
    /// Watched customer → the last instant one of its events was accepted at.
    var lastReceipt: [Instant?] = []
    /// The checks due, in instant order: (watched customer, instant).
    var due: [(customer: Int, at: Instant)] = []
    /// The earliest instant in `due`.
    var nextCheck = Instant.distantFuture

    /// Tallies for the customers of `watch` (customer → subscriptions), over every meter's key.
    init(watch: [String: [Int]], validator: MeterEventValidator, meters: [String]) {
        for (customer, subscriptions) in watch.sorted(by: { $0.key < $1.key }) {
            let index = keysOfCustomer.count
            var tallies: [Int] = []
            for meter in meters {
                guard let key = validator.key(meter: meter, customer: customer), byKey[key] == nil else { continue }
                byKey[key] = keys.count
                tallies.append(keys.count)
                keys.append(KeyTally(customer: index))
            }
            keysOfCustomer.append(tallies)
            subscriptionsOfCustomer.append(subscriptions)
            lastReceipt.append(nil)
        }
    }

    /// Counts an accepted event received at `arrival`; its customer's check at `arrival + 1s` is due.
    mutating func receive(key: Int, timestamp: Instant, sequence: Int64, units: Int128, at arrival: Instant) {
        guard let index = byKey[key] else { return }
        keys[index].add(Usage(timestamp: timestamp, sequence: sequence, value: units))
        let customer = keys[index].customer
        guard lastReceipt[customer] != arrival else { return }
        lastReceipt[customer] = arrival
        let at = arrival + TimeSpan(seconds: 1)
        due.append((customer, at))
        nextCheck = min(nextCheck, at)
    }

    /// The subscriptions whose checks are due at `nextCheck`, in subscription order; their customers'
    /// totals then hold every event timestamped before it.
    mutating func takeDue() -> [Int] {
        let instant = nextCheck
        let count = due.prefix { $0.at == instant }.count
        var subscriptions: [Int] = []
        for (customer, _) in due.prefix(count) {
            for key in keysOfCustomer[customer] { keys[key].advance(to: instant) }
            subscriptions += subscriptionsOfCustomer[customer]
        }
        due.removeFirst(count)
        nextCheck = due.first?.at ?? .distantFuture
        return subscriptions.sorted()
    }

    /// Counts `slot` of `subscription` from `start` (on `key`); the totals restart when `start` moves.
    mutating func track(subscription: Int, slot: Int, key: Int, from start: Instant) {
        guard let index = byKey[key] else { return }
        if let position = keys[index].totals.firstIndex(where: { $0.subscription == subscription && $0.slot == slot }) {
            guard keys[index].totals[position].start != start else { return }
            keys[index].totals.remove(at: position)
        }
        // Every event timestamped from `through` on waits in `future`: totals from there on start empty.
        keys[index].totals.append(Totals(subscription: subscription, slot: slot, start: start, known: start >= keys[index].through))
    }

    /// The aggregate `query` reads, for `slot` of `subscription`, when the totals hold it exactly
    /// (`nil`: the store must answer).
    func usage(_ query: UsageQuery, subscription: Int, slot: Int) -> Decimal12? {
        guard let index = byKey[query.key], keys[index].through == query.period.end,
            let totals = keys[index].totals.first(where: { $0.subscription == subscription && $0.slot == slot }),
            totals.known, totals.start == query.period.start
        else { return nil }
        return totals.value(query.formula)
    }
}
