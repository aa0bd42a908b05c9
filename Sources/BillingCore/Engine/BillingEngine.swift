/// What a run produced.
public struct SimulationOutcome: Sendable {
    /// Every invoice, in creation order, as read back from the store.
    public var invoices: [Invoice]
    /// Upcoming invoices recorded by `preview_invoice`, by name.
    public var previews: [String: Invoice]
    public var usage: UsageReport

    public init(invoices: [Invoice], previews: [String: Invoice], usage: UsageReport) {
        self.invoices = invoices
        self.previews = previews
        self.usage = usage
    }
}

/// A problem found while running (a scenario asked for something the engine cannot do then).
public struct EngineError: Error, Sendable, Hashable, CustomStringConvertible {
    public var message: String
    public init(_ message: String) { self.message = message }
    public var description: String { message }
}

/// The discrete-event test clock: receives meter events in arrival order and runs subscription
/// starts, renewals, finalizations and timeline actions at their instants, over a ``BillingStore``.
///
/// At one instant: events received then, finalizations, subscription starts and renewals (in
/// scenario order), then timeline actions (in file order). See Docs/ENGINE-RULES.md.
public final class BillingEngine {
    enum Work {
        case finalize(invoice: String)
        /// The end of an incomplete subscription's 23 hours (Docs/ENGINE-RULES.md, "Status").
        case expire(subscription: Int)
        case start(subscription: Int)
        case renew(subscription: Int)
        case timeline(entry: Int)

        var rank: (Int, Int) {
            switch self {
            case .finalize: (0, 0)
            case .expire: (0, 1)
            case .start(let index), .renew(let index): (1, index)
            case .timeline(let index): (2, index)
            }
        }
    }

    struct Scheduled: Comparable {
        var at: Instant
        var order: Int64
        var work: Work
        /// Time, then kind (finalizations, starts and renewals in subscription order, timeline in file order),
        /// then first scheduled first.
        static func < (lhs: Scheduled, rhs: Scheduled) -> Bool {
            (lhs.at, lhs.work.rank.0, lhs.work.rank.1, lhs.order) < (rhs.at, rhs.work.rank.0, rhs.work.rank.1, rhs.order)
        }
        static func == (lhs: Scheduled, rhs: Scheduled) -> Bool { lhs.at == rhs.at && lhs.order == rhs.order }
    }

    /// A metered line whose quantity is re-aggregated until its invoice is finalized.
    struct UsageLine {
        var index: Int
        var query: UsageQuery
        var price: Price
    }

    struct Draft {
        var invoice: Invoice
        var usageLines: [UsageLine]
    }

    struct SubscriptionState {
        var definition: Subscription
        var schedule: BillingSchedule
        var prices: [Price]
        /// The current service period.
        var period: Period
        /// Where the next metered lines start (the backdated start for a classic first period).
        var usageStart: Instant
        /// Lines waiting for the next invoice (classic backdating with a future anchor).
        var pending: [InvoiceLine] = []
        var canceledAt: Instant?
        var started = false
        /// The first invoice, finalized but unpaid (charge_automatically without a payment method):
        /// the subscription is `incomplete` until it expires.
        var incompleteInvoice: Invoice?
        /// Whether it ended as `incomplete_expired` rather than by a cancellation.
        var expired = false
        /// What each licensed item (by index) was charged for the current period: flexible credits it back.
        var debits: [Int: Debit] = [:]

        /// Neither ended nor waiting for its first payment.
        var isActive: Bool { canceledAt == nil && incompleteInvoice == nil }
    }

    /// An amount charged for a licensed item's period.
    struct Debit {
        var amount: Int64
        var period: Period
    }

    /// How many accepted events are handed to the store at once.
    public static let batchSize = 50_000
    /// The most lines Stripe puts on one invoice (BILLING-SEMANTICS §5.2, §6.1); backdating beyond it fails.
    public static let maximumInvoiceLines = 250
    /// How many invoices are saved at once at most (the invoices of one instant, in chunks of this size).
    public static let saveBatchSize = 5_000

    let simulation: Simulation
    let store: any BillingStore
    var intake: EventIntake
    var customers: [String: Customer]
    var subscriptions: [SubscriptionState] = []
    var subscriptionIndexByID: [String: Int] = [:]
    var queue = Heap<Scheduled>()
    var scheduledCount: Int64 = 0
    var drafts: [String: Draft] = [:]
    /// Drafts of canceled subscriptions: never finalized (Stripe turns auto-advance off).
    var frozen: Set<String> = []
    var invoiceCount = 0
    var now: Instant
    var previews: [String: Invoice] = [:]
    var ingesting: Task<Void, any Error>?
    /// Aggregates read since the last events reached the store (they cannot change until more do).
    var usageCache: [UsageQuery: Decimal12] = [:]
    /// The instant whose due work has had its usage aggregated in one batch (``prefetchUsage()``).
    var prefetchedAt: Instant?
    /// Invoices created or changed at the current instant, not saved yet, in first-saved order.
    var unsaved: [Invoice] = []
    var unsavedIndex: [String: Int] = [:]

    public init(simulation: Simulation, store: any BillingStore) throws {
        self.simulation = simulation
        self.store = store
        now = simulation.clockStart
        customers = Dictionary(simulation.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        intake = EventIntake(
            validator: MeterEventValidator(catalog: simulation.catalog, customers: simulation.customers.map(\.id), window: simulation.settings.eventWindow))
        for (index, definition) in simulation.subscriptions.enumerated() {
            let prices = try definition.items.map { item in
                guard let price = simulation.catalog.price(item.price) else {
                    throw EngineError("subscription \(definition.id): no price \(item.price)")
                }
                return price
            }
            guard let interval = prices.first?.interval else { throw EngineError("subscription \(definition.id) has no items") }
            let billingSchedule = definition.schedule(interval: interval)
            let start = definition.start
            subscriptions.append(
                SubscriptionState(
                    definition: definition, schedule: billingSchedule, prices: prices, period: Period(start: start, end: start), usageStart: start))
            subscriptionIndexByID[definition.id] = index
            schedule(.start(subscription: index), at: definition.created)
        }
        for (index, entry) in simulation.timeline.enumerated() {
            schedule(.timeline(entry: index), at: entry.at)
        }
    }

    func schedule(_ work: Work, at instant: Instant) {
        scheduledCount += 1
        queue.insert(Scheduled(at: instant, order: scheduledCount, work: work))
    }

    /// Runs the clock from `clock.start` to `clock.until` over the events of `source`.
    public func run(events source: inout some MeterEventSource) async throws -> SimulationOutcome {
        do {
            return try await advance(over: &source)
        } catch {
            // What was billed before the failure still reaches the store (a kept file or schema shows it).
            try? await saveInvoices()
            throw error
        }
    }

    func advance(over source: inout some MeterEventSource) async throws -> SimulationOutcome {
        let (start, until) = (simulation.clockStart, simulation.clockUntil)
        var nextEvent = try source.next()
        while true {
            let nextWork = queue.peek().map(\.at) ?? Instant.distantFuture
            // The instant's work is done: its invoices reach the store together, before the clock moves on.
            if nextWork > now { try await saveInvoices() }
            let horizon = min(nextWork, until)
            // The hot loop owns the intake while it runs.
            var local = EventIntake.empty
            swap(&local, &intake)
            var clock = now
            while let event = nextEvent, max(event.arrival, start) <= horizon {
                clock = max(event.arrival, start, clock)
                local.receive(event, at: clock)
                nextEvent = try source.next()
                if local.pending.count >= Self.batchSize { try await ingest(local.takeBatch(capacity: Self.batchSize)) }
            }
            now = clock
            try await ingest(local.takeBatch(capacity: 0))
            swap(&local, &intake)
            try await settleEvents()
            guard let work = queue.peek(), work.at <= until else { break }
            now = max(now, work.at)
            if prefetchedAt != now { try await prefetchUsage() }
            queue.removeMin()
            try await perform(work.work)
        }
        try await saveInvoices()
        while nextEvent != nil {
            intake.usage.notReceived += 1
            nextEvent = try source.next()
        }
        return SimulationOutcome(invoices: try await store.invoices(), previews: previews, usage: intake.usage)
    }

    // MARK: Usage

    /// Hands a batch of accepted events to the store. The store ingests it while the engine validates
    /// the next one (at most one batch in flight), so a database's insert time overlaps validation.
    func ingest(_ batch: [RecordedMeterEvent]) async throws {
        guard !batch.isEmpty else { return }
        usageCache.removeAll(keepingCapacity: true)
        prefetchedAt = nil
        try await settleEvents()
        let store = self.store
        ingesting = Task { try await store.ingest(batch) }
    }

    /// Waits until every accepted event is in the store (before any aggregation).
    func settleEvents() async throws {
        guard let batch = ingesting else { return }
        ingesting = nil
        try await batch.value
    }

    /// The usage aggregate for `query`, from the cache when nothing was ingested since it was read;
    /// negative totals bill as zero.
    func usage(_ query: UsageQuery) async throws -> ExactDecimal {
        let value: Decimal12
        if let cached = usageCache[query] {
            value = cached
        } else {
            value = try await store.aggregate(query)
            usageCache[query] = value
        }
        return max(value.exact, .zero)
    }

    /// Aggregates in one store call the usage that the work due now reads (renewals and
    /// finalizations; other work asks as it goes), so a database answers a busy instant, such as ten
    /// thousand renewals on the first of the month, in one round trip instead of one per subscription.
    func prefetchUsage() async throws {
        prefetchedAt = now
        // The due work, in order: taken off the queue and put back as it was (the order is total).
        var due: [Scheduled] = []
        while let next = queue.peek(), next.at <= now { due.append(queue.removeMin()!) }
        for item in due { queue.insert(item) }
        var wanted = Set<UsageQuery>()
        var queries: [UsageQuery] = []
        for item in due {
            for query in usageQueries(for: item.work) where usageCache[query] == nil && wanted.insert(query).inserted {
                queries.append(query)
            }
        }
        guard !queries.isEmpty else { return }
        for (query, value) in zip(queries, try await store.aggregate(queries)) { usageCache[query] = value }
    }

    /// The aggregations a renewal or a finalization will read (one that cannot be formed is left for
    /// the work itself to report, in its turn).
    func usageQueries(for work: Work) -> [UsageQuery] {
        switch work {
        case .finalize(let id):
            guard !frozen.contains(id) else { return [] }
            return drafts[id]?.usageLines.map(\.query) ?? []
        case .renew(let index):
            let state = subscriptions[index]
            guard state.started, state.isActive else { return [] }
            return renewal(of: state).lines.filter { $0.kind == .usage }.compactMap { try? usageQuery($0, state: state) }
        case .expire, .start, .timeline:
            return []
        }
    }

    // MARK: Work

    func perform(_ work: Work) async throws {
        switch work {
        case .finalize(let id):
            try await finalize(id)
        case .expire(let index):
            try await endIncomplete(index, expired: true)
        case .start(let index):
            try await start(index)
        case .renew(let index):
            try await renew(index)
        case .timeline(let index):
            let entry = simulation.timeline[index]
            switch entry.action {
            case .cancelSubscription(let id, let invoiceNow, let prorate):
                try await cancel(try subscriptionIndex(id), invoiceNow: invoiceNow, prorate: prorate)
            case .previewInvoice(let id, let name):
                previews[name] = try await preview(try subscriptionIndex(id))
            }
        }
    }

    func subscriptionIndex(_ id: String) throws -> Int {
        guard let index = subscriptionIndexByID[id] else {
            throw EngineError("no subscription \(id)")
        }
        return index
    }

    /// The first invoice at `created` (Docs/ENGINE-RULES.md, "First invoice").
    func start(_ index: Int) async throws {
        var state = subscriptions[index]
        let definition = state.definition
        let created = definition.created
        let start = definition.start
        var arrears: [PlannedLine] = []
        var advance: [PlannedLine] = []
        /// Classic backdating: the licensed time from the backdated start to `created`.
        var prorations: [PlannedLine] = []
        /// Classic backdating with a future anchor: the backdated time waits for the next invoice.
        var deferred: [InvoiceLine] = []
        switch definition.billingMode {
        case .flexible:
            // Walk the periods from the (backdated) start; those that ended before `created` are billed whole.
            var periodStart = start
            var periodEnd = state.schedule.nextBoundary(after: periodStart)
            var past: [Period] = []
            while periodEnd <= created {
                past.append(Period(start: periodStart, end: periodEnd))
                periodStart = periodEnd
                periodEnd = state.schedule.nextBoundary(after: periodStart)
            }
            for item in definition.items.indices {
                for period in past {
                    arrears.append(PlannedLine(item: item, period: period, kind: state.prices[item].isMetered ? .usage : .licensed))
                }
            }
            state.period = Period(start: periodStart, end: periodEnd)
            state.usageStart = periodStart
            for item in definition.items.indices where !state.prices[item].isMetered {
                advance.append(PlannedLine(item: item, period: state.period, kind: .licensed))
            }
        case .classic:
            state.period = Period(start: created, end: state.schedule.nextBoundary(after: created))
            state.usageStart = start
            for item in definition.items.indices {
                if state.prices[item].isMetered {
                    advance.append(PlannedLine(item: item, period: state.period, kind: .zero))
                } else {
                    if start < created {
                        let backdated = PlannedLine(item: item, period: Period(start: start, end: created), kind: .licensed)
                        if let anchor = definition.billingCycleAnchor, anchor > created {
                            deferred.append(try await line(backdated, state: state).line)
                        } else {
                            prorations.append(backdated)
                        }
                    }
                    advance.append(PlannedLine(item: item, period: state.period, kind: .licensed))
                }
            }
        }
        state.started = true
        subscriptions[index] = state
        let lines = arrears + advance + prorations
        if try await needsFirstInvoice(lines, state: state) {
            guard lines.count <= Self.maximumInvoiceLines else {
                throw EngineError(
                    "subscription \(definition.id): backdating to \(start) would put \(lines.count) lines on the first invoice; Stripe refuses more than \(Self.maximumInvoiceLines)")
            }
            let finalizeAt = definition.collectionMethod == .sendInvoice ? created + .hours(1) : created
            try await createInvoice(
                for: index, reason: .subscriptionCreate, period: Period(start: created, end: created), lines: lines, finalizeAt: finalizeAt)
        }
        subscriptions[index].pending += deferred
        schedule(.renew(subscription: index), at: state.period.end)
    }

    /// Whether the first invoice is created: it has lines, and a flexible subscription with metered items
    /// only gets one only for backdated periods with usage (BILLING-SEMANTICS §5.3: "becomes active with
    /// no invoice, unless it is backdated with usage").
    func needsFirstInvoice(_ lines: [PlannedLine], state: SubscriptionState) async throws -> Bool {
        guard state.definition.billingMode == .flexible, lines.allSatisfy({ $0.kind == .usage }) else { return !lines.isEmpty }
        for plan in lines where try await usage(usageQuery(plan, state: state)) > .zero { return true }
        return false
    }

    /// The renewal at the end of the current period: usage in arrears, licenses in advance.
    func renew(_ index: Int) async throws {
        var state = subscriptions[index]
        // An incomplete subscription never renews: billsim cannot pay its first invoice, so it expires.
        guard state.isActive else { return }
        let ended = state.period
        let (next, lines) = renewal(of: state)
        state.period = next
        state.usageStart = next.start
        subscriptions[index] = state
        try await createInvoice(
            for: index, reason: .subscriptionCycle, period: ended, lines: lines, finalizeAt: ended.end + simulation.settings.finalizationGrace)
        schedule(.renew(subscription: index), at: next.end)
    }

    /// What the renewal at the end of the current period bills: metered usage since `usageStart` in
    /// arrears, then licensed items for the next period in advance.
    func renewal(of state: SubscriptionState) -> (next: Period, lines: [PlannedLine]) {
        let next = Period(start: state.period.end, end: state.schedule.nextBoundary(after: state.period.end))
        let items = state.definition.items.indices
        let arrears = items.filter { state.prices[$0].isMetered }.map {
            PlannedLine(item: $0, period: Period(start: state.usageStart, end: state.period.end), kind: .usage)
        }
        let advance = items.filter { !state.prices[$0].isMetered }.map { PlannedLine(item: $0, period: next, kind: .licensed) }
        return (next, arrears + advance)
    }

    /// Immediate cancellation (Docs/ENGINE-RULES.md, "Cancellation").
    func cancel(_ index: Int, invoiceNow: Bool, prorate: Bool) async throws {
        var state = subscriptions[index]
        let id = state.definition.id
        guard state.started else { throw EngineError("cancel_subscription \(id) at \(now): the subscription starts at \(state.definition.created)") }
        guard state.canceledAt == nil else {
            let ended = state.expired ? "expired (incomplete_expired: its first invoice was never paid)" : "already canceled"
            throw EngineError("cancel_subscription \(id) at \(now): \(ended)")
        }
        if state.incompleteInvoice != nil {
            // Never active, nothing paid: it ends as an expiry does, with nothing invoiced or credited.
            try await endIncomplete(index, expired: false)
            return
        }
        state.canceledAt = now
        subscriptions[index] = state
        for (draftID, draft) in drafts where draft.invoice.subscription == id { frozen.insert(draftID) }
        var lines: [PlannedLine] = []
        if invoiceNow {
            for item in state.definition.items.indices where state.prices[item].isMetered {
                lines.append(PlannedLine(item: item, period: Period(start: state.usageStart, end: now), kind: .usage))
            }
        }
        if prorate && now < state.period.end {
            for item in state.definition.items.indices where !state.prices[item].isMetered {
                lines.append(PlannedLine(item: item, period: Period(start: now, end: state.period.end), kind: .credit))
            }
        }
        if invoiceNow {
            guard !lines.isEmpty || !state.pending.isEmpty else { return }
            let finalizeAt = state.definition.collectionMethod == .sendInvoice ? now + .hours(1) : now
            try await createInvoice(
                for: index, reason: .subscriptionUpdate, period: Period(start: state.period.start, end: now), lines: lines,
                finalizeAt: finalizeAt)
        } else {
            var credit: Int64 = 0
            for planned in lines { credit += try await line(planned, state: state).line.amount }
            customers[state.definition.customer]?.balance += credit
        }
    }

    /// The upcoming invoice: the next renewal as if it happened now, with the usage received so far.
    func preview(_ index: Int) async throws -> Invoice {
        let state = subscriptions[index]
        let id = state.definition.id
        guard state.started, state.isActive else {
            let why = state.incompleteInvoice != nil ? " (incomplete: its first invoice is unpaid)" : ""
            throw EngineError("preview_invoice \(id) at \(now): the subscription is not active\(why)")
        }
        let (_, planned) = renewal(of: state)
        var lines: [InvoiceLine] = []
        for plan in planned { lines.append(try await line(plan, state: state).line) }
        lines += state.pending
        for index in lines.indices { lines[index].id = "il_upcoming_\(pad(Int64(index + 1)))" }
        let customer = customers[state.definition.customer]
        return Invoice(
            id: "upcoming_\(id)", number: 0, customer: state.definition.customer, subscription: id, billingReason: .upcoming,
            currency: state.prices[0].currency, collectionMethod: state.definition.collectionMethod, created: state.period.end,
            periodStart: state.period.start, periodEnd: state.period.end, lines: lines, startingBalance: customer?.balance ?? 0)
    }

    // MARK: Invoices

    struct PlannedLine {
        enum Kind {
            /// The item's price for the period (prorated when the period is not one full period).
            case licensed
            /// Metered usage aggregated over the period.
            case usage
            /// The classic first invoice's zero-amount metered line.
            case zero
            /// A credit for the unused part of a licensed period: the licensed amount of the period, negated.
            case credit
        }

        var item: Int
        var period: Period
        var kind: Kind
    }

    func line(_ plan: PlannedLine, state: SubscriptionState) async throws -> (line: InvoiceLine, usage: UsageQuery?) {
        let item = state.definition.items[plan.item]
        let price = state.prices[plan.item]
        let productName = simulation.catalog.product(price.product)?.name ?? price.product
        func make(quantity: ExactDecimal, rated: RatedAmount, proration: Bool, description: String) -> InvoiceLine {
            InvoiceLine(
                price: price.id, subscriptionItem: item.id, description: description, period: plan.period, quantity: quantity, rated: rated,
                proration: proration, metered: price.isMetered)
        }
        switch plan.kind {
        case .licensed, .credit:
            let quantity = ExactDecimal(item.quantity)
            var rated = Rating.rate(price.scheme, quantity: quantity)
            let isCredit = if case .credit = plan.kind { true } else { false }
            let prorated = isCredit || state.schedule.coverage(of: plan.period) != ExactDecimal(1)
            if isCredit, state.definition.billingMode == .flexible, let debit = state.debits[plan.item] {
                // §5.3(4): flexible credits the amount originally debited, for the share of its period left.
                rated.exact = ExactDecimal(debit.amount).scaled(by: plan.period.seconds, over: debit.period.seconds)
            } else if prorated {
                // Classic credits, and prorated charges: the current price for the share of each period.
                rated.exact = state.schedule.prorate(rated.exact, over: plan.period)
            }
            if isCredit { rated.exact = -rated.exact }
            let description = isCredit
                ? "Unused time on \(item.quantity) × \(productName) after \(plan.period.start.civil.date)"
                : prorated
                    ? "Remaining time on \(item.quantity) × \(productName) from \(plan.period.start.civil.date) to \(plan.period.end.civil.date)"
                    : "\(item.quantity) × \(productName)"
            return (make(quantity: quantity, rated: rated, proration: prorated, description: description), nil)
        case .zero:
            let rated = RatedAmount(exact: .zero, transformedQuantity: nil, tiers: [])
            return (make(quantity: .zero, rated: rated, proration: false, description: "\(productName) (metered, billed in arrears)"), nil)
        case .usage:
            let query = try usageQuery(plan, state: state)
            let quantity = try await usage(query)
            let rated = Rating.rate(price.scheme, quantity: quantity)
            return (make(quantity: quantity, rated: rated, proration: false, description: "\(productName) usage"), query)
        }
    }

    /// The aggregation a planned usage line bills.
    func usageQuery(_ plan: PlannedLine, state: SubscriptionState) throws -> UsageQuery {
        let price = state.prices[plan.item]
        guard let meterID = price.meterID, let meter = simulation.catalog.meter(meterID) else {
            throw EngineError("price \(price.id) has no meter")
        }
        guard let key = intake.validator.key(meter: meterID, customer: state.definition.customer) else {
            throw EngineError("subscription \(state.definition.id): no customer \(state.definition.customer)")
        }
        return UsageQuery(meter: meterID, customer: state.definition.customer, key: key, formula: meter.formula, period: plan.period)
    }

    func createInvoice(for index: Int, reason: BillingReason, period: Period, lines planned: [PlannedLine], finalizeAt: Instant) async throws {
        var state = subscriptions[index]
        invoiceCount += 1
        let id = "in_\(pad4(invoiceCount))"
        var lines: [InvoiceLine] = []
        var usageLines: [UsageLine] = []
        for plan in planned {
            let (line, query) = try await line(plan, state: state)
            if let query { usageLines.append(UsageLine(index: lines.count, query: query, price: state.prices[plan.item])) }
            if plan.kind == .licensed, plan.period == state.period { state.debits[plan.item] = Debit(amount: line.amount, period: plan.period) }
            lines.append(line)
        }
        lines += state.pending
        state.pending = []
        subscriptions[index] = state
        for index in lines.indices { lines[index].id = "il_\(pad4(invoiceCount))_\(pad(Int64(index + 1)))" }
        let invoice = Invoice(
            id: id, number: invoiceCount, customer: state.definition.customer, subscription: state.definition.id, billingReason: reason,
            currency: state.prices[0].currency, collectionMethod: state.definition.collectionMethod, created: now, periodStart: period.start,
            periodEnd: period.end, lines: lines)
        drafts[id] = Draft(invoice: invoice, usageLines: usageLines)
        if finalizeAt <= now {
            try await finalize(id)  // finalized at once: the store only ever sees the final invoice
        } else {
            try await save(invoice)
            schedule(.finalize(invoice: id), at: finalizeAt)
        }
    }

    /// Draft → open → paid: re-aggregates usage (late usage in the grace lands), applies the balance.
    func finalize(_ id: String) async throws {
        guard var draft = drafts.removeValue(forKey: id) else { return }
        guard !frozen.contains(id) else { return }
        for usageLine in draft.usageLines {
            let quantity = try await usage(usageLine.query)
            let old = draft.invoice.lines[usageLine.index]
            draft.invoice.lines[usageLine.index] = InvoiceLine(
                id: old.id, price: old.price, subscriptionItem: old.subscriptionItem, description: old.description, period: old.period,
                quantity: quantity, rated: Rating.rate(usageLine.price.scheme, quantity: quantity), proration: old.proration, metered: true)
            intake.billedPeriods[usageLine.query.key, default: []].append(usageLine.query.period)
        }
        var invoice = draft.invoice
        let balance = customers[invoice.customer]?.balance ?? 0
        invoice.startingBalance = balance
        invoice.status = .open
        invoice.finalizedAt = now
        customers[invoice.customer]?.balance = invoice.endingBalance ?? balance
        if invoice.collectionMethod == .sendInvoice {
            invoice.dueDate = now + .days(Int64(subscriptions[try subscriptionIndex(invoice.subscription)].definition.daysUntilDue))
        }
        if invoice.amountDue == 0
            || (invoice.collectionMethod == .chargeAutomatically && customers[invoice.customer]?.defaultPaymentMethod != nil)
        {
            invoice.status = .paid
            invoice.paidAt = now
        }
        if invoice.billingReason == .subscriptionCreate, invoice.collectionMethod == .chargeAutomatically, invoice.status == .open,
            invoice.total > 0
        {
            // §5.11: an unpaid first invoice leaves the subscription incomplete for 23 hours ("a 0 total"
            // needs no payment: such a subscription is active even if a debit balance leaves its invoice open).
            let index = try subscriptionIndex(invoice.subscription)
            subscriptions[index].incompleteInvoice = invoice
            schedule(.expire(subscription: index), at: now + .hours(23))
        }
        try await save(invoice)
    }

    /// Ends an incomplete subscription: when its first invoice is still unpaid 23 hours on, it expires
    /// (`incomplete_expired`, BILLING-SEMANTICS §5.11), or it is canceled before that. The invoice is
    /// voided, the customer balance it used is given back, and nothing more is invoiced.
    func endIncomplete(_ index: Int, expired: Bool) async throws {
        var state = subscriptions[index]
        guard state.canceledAt == nil, var invoice = state.incompleteInvoice else { return }
        state.canceledAt = now
        state.expired = expired
        state.incompleteInvoice = nil
        subscriptions[index] = state
        customers[invoice.customer]?.balance += invoice.startingBalance - (invoice.endingBalance ?? invoice.startingBalance)
        invoice.status = .void
        try await save(invoice)
    }

    /// Queues an invoice for the store (replacing an unsaved version of it); ``saveInvoices()`` writes the queue.
    func save(_ invoice: Invoice) async throws {
        if let index = unsavedIndex[invoice.id] {
            unsaved[index] = invoice
        } else {
            unsavedIndex[invoice.id] = unsaved.count
            unsaved.append(invoice)
        }
        if unsaved.count >= Self.saveBatchSize { try await saveInvoices() }
    }

    /// Saves the queued invoices in one store call (all or none).
    func saveInvoices() async throws {
        guard !unsaved.isEmpty else { return }
        let batch = unsaved
        unsaved = []
        unsavedIndex = [:]
        try await store.save(batch)
    }
}

func pad4(_ value: Int) -> String {
    let text = String(value)
    return text.count >= 4 ? text : String(repeating: "0", count: 4 - text.count) + text
}

extension BillingSchedule {
    /// How many periods `span` covers: whole periods count 1, partial ones their share of seconds.
    public func coverage(of span: Period) -> ExactDecimal { prorate(ExactDecimal(1), over: span) }

    /// `amount` for each period `span` touches, in proportion to the seconds it covers (Decision 5):
    /// amount × (whole periods + each partial period's covered seconds ÷ its seconds), the fractions
    /// added first and divided once, so that an amount that comes out exact stays exact (999 × 25/30 =
    /// 832.5, which rounds to 833; 999 × (156/168 + 96/168) = 1498.5 → 1499; multiplying by a
    /// truncated 0.8333… would give 832.4999… and round to 832).
    public func prorate(_ amount: ExactDecimal, over span: Period) -> ExactDecimal {
        var shares: [(covered: Int64, length: Int64)] = []
        var cursor = span.start
        while cursor < span.end {
            let full = period(containing: cursor)
            let end = min(full.end, span.end)
            shares.append((end - cursor, full.seconds))
            cursor = end
        }
        if let (numerator, denominator) = Self.sum(shares) { return amount.scaled(by: numerator, over: denominator) }
        // A fraction beyond 64 bits (centuries of periods): each share divided alone.
        return shares.reduce(.zero) { $0 + amount.scaled(by: $1.covered, over: $1.length) }
    }

    /// The sum of fractions in lowest terms, or `nil` if it does not fit 64 bits.
    static func sum(_ fractions: [(covered: Int64, length: Int64)]) -> (Int64, Int64)? {
        var (numerator, denominator): (Int64, Int64) = (0, 1)
        for (covered, length) in fractions {
            let (a, o1) = numerator.multipliedReportingOverflow(by: length)
            let (b, o2) = covered.multipliedReportingOverflow(by: denominator)
            let (sum, o3) = a.addingReportingOverflow(b)
            let (product, o4) = denominator.multipliedReportingOverflow(by: length)
            guard !(o1 || o2 || o3 || o4) else { return nil }
            let divisor = greatestCommonDivisor(sum, product)
            (numerator, denominator) = (sum / divisor, product / divisor)
        }
        return (numerator, denominator)
    }
}

func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
    var (x, y) = (a.magnitude, b.magnitude)
    while y != 0 { (x, y) = (y, x % y) }
    return x == 0 ? 1 : Int64(x)
}
