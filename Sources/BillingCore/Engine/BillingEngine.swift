/// The discrete-event test clock: receives meter events in arrival order and runs subscription
/// starts, renewals, finalizations and timeline actions at their instants, over a ``BillingStore``.
///
/// At one instant: events received then, finalizations, subscription starts and renewals (in
/// scenario order), then timeline actions (in file order). See Docs/ENGINE-RULES.md.
///
/// The engine drives the clock and performs what the pure parts decide: a subscription's
/// ``SubscriptionStateMachine`` says what an event does, ``FirstInvoice``, ``Renewal`` and
/// ``Cancellation`` plan the lines, ``Finalization`` finalizes, and ``StoreSession`` talks to the store.
public final class BillingEngine {
    /// How many accepted events are handed to the store at once.
    public static let batchSize = 50_000
    /// Work items performed between two `Task.yield()`s: a run never holds a thread of the cooperative
    /// pool for long, so runs side by side (`billsim compare`'s re-rated variants, more of them than
    /// cores) share the cores until the last one ends. 1,024 items are a few milliseconds (a re-rated variant's
    /// work item is about 5 µs); every 256, the yields and the thread wake-ups they cause were 2% of its CPU (perf).
    static let workPerYield = 1024
    /// The most lines Stripe puts on one invoice (BILLING-SEMANTICS §5.2, §6.1); backdating beyond it fails.
    static let maximumInvoiceLines = FirstInvoice.lineLimit
    /// How many invoices are saved at once at most (the invoices of one instant, in chunks of this size).
    public static let saveBatchSize = 5_000

    let simulation: Simulation
    let storage: StoreSession
    var intake: EventIntake
    /// The validator's keys, kept apart for the usage queries of invoicing (``MeterEventValidator/keys``).
    let eventKeys: EventKeys
    var customers: [String: Customer]
    var subscriptions: [BilledSubscription] = []
    var subscriptionIndexByID: [String: Int] = [:]
    var queue = WorkQueue()
    var drafts: [String: Draft] = [:]
    /// Drafts of canceled subscriptions: never finalized (Stripe turns auto-advance off).
    var frozen: Set<String> = []
    /// Frozen drafts whose finalization came: only `finalize_invoice` finalizes them.
    var parked: [String: Draft] = [:]
    /// Finalized invoices still open or uncollectible: retries and invoice actions change them.
    var openInvoices: [String: Invoice] = [:]
    /// The status of every other finalized invoice, for the errors of invoice actions (kept only when the
    /// timeline names invoices: ``namesInvoices``).
    var settledStatuses: [String: InvoiceStatus] = [:]
    /// Whether the timeline has invoice actions.
    var namesInvoices = false
    var invoiceCount = 0
    var now: Instant
    var previews: [String: Invoice] = [:]
    /// Each customer's `discount`, applied at the clock's start (Docs/ENGINE-RULES.md, "Discounts").
    var customerDiscounts: [String: AppliedDiscount] = [:]
    /// What is left of each billing credit grant (Docs/ENGINE-RULES.md, "Billing credits").
    var credits: CreditLedger
    /// The instant whose due work has had its usage aggregated in one batch (``prefetchUsage()``).
    var prefetchedAt: Instant?
    /// ``runKeepingUsage(events:allReceived:)``'s hook, until it is told.
    var allReceived: (@Sendable (ReceivedUsage) -> Void)?
    /// Customer → the subscriptions (indices) that have or will have billing thresholds: the intake keeps
    /// their customers' running usage (``EventIntake/tallies``), and each instant their events are received
    /// at is checked one second later.
    var thresholdWatch: [String: [Int]] = [:]

    /// `usage`: re-rate over another run's usage (``rerate()``) rather than receive events (``run(events:)``).
    public init(simulation: Simulation, store: any BillingStore, rerating usage: ReceivedUsage? = nil) throws {
        if let usage, !usage.fits(simulation) {
            throw EngineError("cannot re-rate: the meters, customers, event window or clock differ from the run whose usage this is")
        }
        self.simulation = simulation
        storage = StoreSession(store: store, saveBatchSize: Self.saveBatchSize, shared: usage)
        now = simulation.clockStart
        credits = CreditLedger(grants: simulation.catalog.creditGrants)
        if let usage {
            // Re-rating receives no event: no validator; the keys and customers are the run's (the same: ``ReceivedUsage/fits(_:)``).
            customers = usage.customers
            intake = .empty
            eventKeys = usage.keys
        } else {
            customers = Self.customersByID(simulation)
            intake = EventIntake(
                validator: MeterEventValidator(
                    catalog: simulation.catalog, customers: simulation.customers.map(\.id), window: simulation.settings.eventWindow))
            eventKeys = intake.validator.keys
        }
        for customer in simulation.customers {
            guard let id = customer.discount else { continue }
            guard let coupon = simulation.catalog.coupon(id) else { throw EngineError("customer \(customer.id): no coupon \(id)") }
            customerDiscounts[customer.id] = AppliedDiscount(coupon: coupon, start: simulation.clockStart)
        }
        // A draft per subscription at a renewal instant: grown by doubling instead, the table rehashed its ids each time (perf).
        drafts.reserveCapacity(simulation.subscriptions.count)
        subscriptionIndexByID.reserveCapacity(simulation.subscriptions.count)
        for (index, definition) in simulation.subscriptions.enumerated() {
            subscriptions.append(try BilledSubscription(definition: definition, catalog: simulation.catalog, previous: subscriptions.last))
            subscriptionIndexByID[definition.id] = index
            queue.schedule(.start(subscription: index), at: definition.created)
        }
        for (index, entry) in simulation.timeline.enumerated() {
            queue.schedule(.timeline(entry: index), at: entry.at)
        }
        namesInvoices = simulation.timeline.contains { entry in
            if case .invoiceAction = entry.action { true } else { false }
        }
        thresholdWatch = Self.thresholdWatch(simulation)
        if !thresholdWatch.isEmpty {
            intake.tallies = ThresholdTallies(watch: thresholdWatch, validator: intake.validator, meters: simulation.catalog.meters.map(\.id))
        }
    }

    /// The customers of `simulation` by id (the first of a repeated id).
    static func customersByID(_ simulation: Simulation) -> [String: Customer] {
        Dictionary(simulation.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
    }

    /// Runs the clock from `clock.start` to `clock.until` over the events of `source`.
    public func run(events source: inout some MeterEventSource) async throws -> SimulationOutcome {
        do {
            return try await advance(over: &source)
        } catch {
            // What was billed before the failure still reaches the store (a kept file or schema shows it).
            try? await storage.flush()
            throw error
        }
    }

    /// Runs the clock as ``run(events:)`` does and keeps the accepted events and when each was received,
    /// to re-rate variants from (``init(simulation:store:rerating:)``).
    ///
    /// `allReceived` is told the usage once, as soon as it is final: when the last event has been received
    /// (the clock may still have work, which reads the usage but adds none), else when the run ends. Variants
    /// re-rated from it can then run while this run finishes its own work (README, "Re-rating").
    public func runKeepingUsage(
        events source: inout some MeterEventSource, allReceived: @escaping @Sendable (ReceivedUsage) -> Void = { _ in }
    ) async throws -> (outcome: SimulationOutcome, usage: ReceivedUsage) {
        storage.keepUsage()
        intake.receipts = ReceiptCurve()
        self.allReceived = allReceived
        let outcome = try await run(events: &source)
        let usage = try await keptUsage(report: outcome.usage)
        tellAllReceived(usage)
        return (outcome, usage)
    }

    /// The usage kept so far, with `report`.
    func keptUsage(report: UsageReport) async throws -> ReceivedUsage {
        ReceivedUsage(
            buckets: try await storage.keptUsage(), receipts: intake.receipts ?? ReceiptCurve(), report: report, simulation: simulation,
            keys: eventKeys)
    }

    /// Tells ``allReceived`` `usage`, the first time only.
    func tellAllReceived(_ usage: ReceivedUsage) {
        guard let hook = allReceived else { return }
        allReceived = nil
        hook(usage)
    }

    /// Runs the clock over the usage given at ``init(simulation:store:rerating:)``: no event is received,
    /// validated or stored; each instant's work reads the aggregates of the events that run had received
    /// by then. The outcome's `usage` report is that run's.
    public func rerate() async throws -> SimulationOutcome {
        guard let shared = storage.shared else { throw EngineError("rerate() needs the usage to re-rate over (init(simulation:store:rerating:))") }
        var none = ArrayMeterEventSource([])
        var outcome = try await run(events: &none)
        outcome.usage = shared.report
        return outcome
    }

    func advance(over source: inout some MeterEventSource) async throws -> SimulationOutcome {
        let (start, until) = (simulation.clockStart, simulation.clockUntil)
        var events = try SourceCursor(&source)
        var performed = 0
        while true {
            let nextWork = queue.nextInstant ?? Instant.distantFuture
            // The instant's work is done: its invoices reach the store together, before the clock moves on.
            if nextWork > now { try await storage.flush() }
            let horizon = min(nextWork, until)
            // Only when an event or a threshold check may come: the empty intake swapped in (a validator built)
            // for each work item of a re-rated variant cost 1.5% of its CPU (perf, `billsim bench --stores compare`).
            if events.nextArrival != nil || intake.nextCheck <= horizon {
                // The hot loop owns the intake while it runs.
                var local = EventIntake.empty
                swap(&local, &intake)
                var clock = now
                while true {
                    while let arrival = events.nextArrival, max(arrival, start) <= min(horizon, local.nextCheck) {
                        events.receive(into: &local, start: start, horizon: horizon, clock: &clock, limit: Self.batchSize)
                        if events.isDone { try events.refill(from: &source) }
                        if local.pending.count >= Self.batchSize { try await ingest(local.takeBatch(capacity: Self.batchSize)) }
                    }
                    // Every event received by the next threshold check is in: the checks that reach a threshold
                    // are made as work at their instant (ENGINE-RULES "Billing thresholds"); the others do nothing.
                    guard local.nextCheck <= horizon, !scheduleReachedThresholds(&local) else { break }
                }
                now = clock
                try await ingest(local.takeBatch(capacity: 0))
                swap(&local, &intake)
            }
            if !intake.lateCandidates.isEmpty { countLateEvents() }
            try await storage.settle()
            // Every event is received and counted (none is left to skip): the usage is final.
            if allReceived != nil, events.nextArrival == nil { tellAllReceived(try await keptUsage(report: intake.usage)) }
            guard let at = queue.nextInstant, at <= until else { break }
            now = max(now, at)
            if storage.receive(through: now) { prefetchedAt = nil }
            // Re-rating reads aggregates from memory on demand: batching them first would only add work.
            if prefetchedAt != now, storage.shared == nil { try await prefetchUsage() }
            try await perform(queue.takeNext())
            performed += 1
            if performed % Self.workPerYield == 0 { await Task.yield() }
        }
        try await showBalanceOnDrafts()
        try await storage.flush()
        intake.usage.notReceived += try events.skipRest(of: &source)
        return SimulationOutcome(
            invoices: try await storage.invoices(), previews: previews, usage: intake.usage,
            // In place: a key path copied each subscription, 0.8% of a re-rated variant's CPU (perf, `billsim bench --stores compare`).
            subscriptions: subscriptions.indices.map { index in inPlace(index) { $0.snapshot } },
            customers: simulation.customers.map { customer in
                CustomerSnapshot(id: customer.id, balance: customers[customer.id]?.balance ?? customer.balance, currency: customer.currency)
            }, creditGrants: creditGrantSnapshots())
    }

    /// Drafts left when the clock stops show the customer's balance now as `starting_balance` (and in
    /// `amount_due`), as Stripe's draft invoices do (Docs/ENGINE-RULES.md, "Totals").
    func showBalanceOnDrafts() async throws {
        for id in drafts.keys.sorted() {
            guard let draft = drafts[id] else { continue }
            var invoice = draft.invoice
            invoice.startingBalance = customers[invoice.customer]?.balance ?? 0
            // Tentative credits, and the taxes on what they leave (BILLING-SEMANTICS §6.2).
            let definition = subscriptions[try subscriptionIndex(invoice.subscription)].definition
            invoice = try taxed(tentativelyCredited(invoice), rates: draft.taxRates, subscription: definition)
            try await storage.save(invoice)
        }
    }

    // MARK: Work

    /// Performs `work`, then records the status of the subscription it concerned (its status history).
    func perform(_ work: Work) async throws {
        let index = subscriptionIndex(concernedBy: work)
        try await performWork(work)
        guard let index else { return }
        subscriptions[index].noteStatus(at: now)
        if intake.tallies != nil { trackUsage(of: index) }
    }

    /// The subscription `work` concerns, if any.
    func subscriptionIndex(concernedBy work: Work) -> Int? {
        switch work {
        case .finalize(let id, let index): drafts.index(forKey: id) != nil ? index : nil
        case .retryPayment(let id, _), .invoiceDue(let id): subscriptionIndex(ofInvoice: id)
        case .expire(let index), .start(let index), .renew(let index), .cancelAt(let index), .threshold(let index),
            .invoicePendingItems(let index):
            index
        case .timeline(let entry):
            switch simulation.timeline[entry].action {
            case .cancelSubscription(let id, _, _), .previewInvoice(let id, _): subscriptionIndexByID[id]
            case .updateSubscription(let update): subscriptionIndexByID[update.subscription]
            case .addInvoiceItem(let item): subscriptionIndexByID[item.subscription]
            case .previewChange(_, let change): subscriptionIndexByID[change.subscription]
            case .customerBalanceTransaction: nil
            case .invoiceAction(_, let id): subscriptionIndex(ofInvoice: id)
            case .attachPaymentMethod, .detachPaymentMethod: nil
            }
        }
    }

    func performWork(_ work: Work) async throws {
        switch work {
        case .finalize(let id, let index):
            try await finalize(id, of: index)
        case .expire(let index):
            if case .voidFirstInvoice(let invoice) = subscriptions[index].lifecycle.incompleteWindowEnded() { try await void(invoice) }
        case .retryPayment(let id, let retry):
            try await retryPayment(id, retry: retry)
        case .invoiceDue(let id):
            invoiceDue(id)
        case .start(let index):
            try await start(index)
        case .renew(let index):
            try await renew(index)
        case .threshold(let index):
            try await checkThreshold(index)
        case .invoicePendingItems(let index):
            try await invoicePendingItems(index)
        case .cancelAt(let index):
            // A cancel_at replaced or cleared since it was scheduled does nothing.
            guard let scheduled = subscriptions[index].cancelAt, scheduled.at == now else { return }
            subscriptions[index].cancelAt = nil
            let requested = subscriptions[index].canceledAt
            try await cancel(index, invoiceNow: true, prorate: scheduled.prorates)
            subscriptions[index].canceledAt = requested
        case .timeline(let index):
            switch simulation.timeline[index].action {
            case .cancelSubscription(let id, let invoiceNow, let prorate):
                try await cancel(try subscriptionIndex(id), invoiceNow: invoiceNow, prorate: prorate)
            case .updateSubscription(let update):
                try await self.update(try subscriptionIndex(update.subscription), with: update)
            case .addInvoiceItem(let item):
                let index = try subscriptionIndex(item.subscription)
                if let why = subscriptions[index].lifecycle.update() {
                    let definition = subscriptions[index].definition
                    throw EngineError("add_invoice_item \(definition.id) at \(now): \(why.explanation(for: definition))")
                }
                subscriptions[index].pending.append(try invoiceItemLine(item, of: subscriptions[index].definition))
            case .previewChange(let name, let change):
                previews[name] = try await preview(try subscriptionIndex(change.subscription), changedBy: change)
            case .previewInvoice(let id, let name):
                previews[name] = try await preview(try subscriptionIndex(id))
            case .customerBalanceTransaction(let customer, let amount):
                try adjustBalance(of: customer, by: amount)
            case .attachPaymentMethod(let customer, let paymentMethod):
                attach(paymentMethod, to: customer)
            case .detachPaymentMethod(let customer, let paymentMethod):
                detach(paymentMethod, from: customer)
            case .invoiceAction(let action, let id):
                try await perform(action, on: id)
            }
        }
    }

    /// `body` over subscription `index` where it lies: passed by value, `subscriptions[index]` is copied (each of
    /// its fields retained and released), 1.5% of a re-rated variant's CPU in renewals alone (perf, `billsim bench --stores compare`).
    /// `body` has exclusive access to `subscriptions` while it runs: a pure planner, never the engine.
    func inPlace<Result>(_ index: Int, _ body: (inout BilledSubscription) throws -> Result) rethrows -> Result {
        try body(&subscriptions[index])
    }

    func subscriptionIndex(_ id: String) throws -> Int {
        if let index = subscriptionIndexByID[id] { return index } else { throw EngineError("no subscription \(id)") }
    }
}
