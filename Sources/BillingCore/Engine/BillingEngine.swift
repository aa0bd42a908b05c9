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
    /// The most lines Stripe puts on one invoice (BILLING-SEMANTICS §5.2, §6.1); backdating beyond it fails.
    static let maximumInvoiceLines = FirstInvoice.lineLimit
    /// How many invoices are saved at once at most (the invoices of one instant, in chunks of this size).
    public static let saveBatchSize = 5_000

    let simulation: Simulation
    let storage: StoreSession
    var intake: EventIntake
    var customers: [String: Customer]
    var subscriptions: [BilledSubscription] = []
    var subscriptionIndexByID: [String: Int] = [:]
    var queue = WorkQueue()
    var drafts: [String: Draft] = [:]
    /// Drafts of canceled subscriptions: never finalized (Stripe turns auto-advance off).
    var frozen: Set<String> = []
    var invoiceCount = 0
    var now: Instant
    var previews: [String: Invoice] = [:]
    /// The instant whose due work has had its usage aggregated in one batch (``prefetchUsage()``).
    var prefetchedAt: Instant?

    public init(simulation: Simulation, store: any BillingStore) throws {
        self.simulation = simulation
        storage = StoreSession(store: store, saveBatchSize: Self.saveBatchSize)
        now = simulation.clockStart
        customers = Dictionary(simulation.customers.map { ($0.id, $0) }, uniquingKeysWith: { first, _ in first })
        intake = EventIntake(
            validator: MeterEventValidator(
                catalog: simulation.catalog, customers: simulation.customers.map(\.id), window: simulation.settings.eventWindow))
        for (index, definition) in simulation.subscriptions.enumerated() {
            subscriptions.append(try BilledSubscription(definition: definition, catalog: simulation.catalog))
            subscriptionIndexByID[definition.id] = index
            queue.schedule(.start(subscription: index), at: definition.created)
        }
        for (index, entry) in simulation.timeline.enumerated() {
            queue.schedule(.timeline(entry: index), at: entry.at)
        }
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

    func advance(over source: inout some MeterEventSource) async throws -> SimulationOutcome {
        let (start, until) = (simulation.clockStart, simulation.clockUntil)
        var events = try SourceCursor(&source)
        while true {
            let nextWork = queue.nextInstant ?? Instant.distantFuture
            // The instant's work is done: its invoices reach the store together, before the clock moves on.
            if nextWork > now { try await storage.flush() }
            let horizon = min(nextWork, until)
            // The hot loop owns the intake while it runs.
            var local = EventIntake.empty
            swap(&local, &intake)
            var clock = now
            while let arrival = events.nextArrival, max(arrival, start) <= horizon {
                events.receive(into: &local, start: start, horizon: horizon, clock: &clock, limit: Self.batchSize)
                if events.isDone { try events.refill(from: &source) }
                if local.pending.count >= Self.batchSize { try await ingest(local.takeBatch(capacity: Self.batchSize)) }
            }
            now = clock
            try await ingest(local.takeBatch(capacity: 0))
            swap(&local, &intake)
            try await storage.settle()
            guard let at = queue.nextInstant, at <= until else { break }
            now = max(now, at)
            if prefetchedAt != now { try await prefetchUsage() }
            try await perform(queue.takeNext())
        }
        try await showBalanceOnDrafts()
        try await storage.flush()
        intake.usage.notReceived += try events.skipRest(of: &source)
        return SimulationOutcome(
            invoices: try await storage.invoices(), previews: previews, usage: intake.usage, subscriptions: subscriptions.map(\.snapshot),
            customers: simulation.customers.map { customer in
                CustomerSnapshot(id: customer.id, balance: customers[customer.id]?.balance ?? customer.balance, currency: customer.currency)
            })
    }

    /// Drafts left when the clock stops show the customer's balance now as `starting_balance` (and in
    /// `amount_due`), as Stripe's draft invoices do (Docs/ENGINE-RULES.md, "Totals").
    func showBalanceOnDrafts() async throws {
        for id in drafts.keys.sorted() {
            guard var invoice = drafts[id]?.invoice else { continue }
            invoice.startingBalance = customers[invoice.customer]?.balance ?? 0
            try await storage.save(invoice)
        }
    }

    // MARK: Usage

    /// Hands a batch of accepted events to the store (cached aggregates are stale from then on).
    func ingest(_ batch: [RecordedMeterEvent]) async throws {
        guard !batch.isEmpty else { return }
        prefetchedAt = nil
        try await storage.ingest(batch)
    }

    /// Aggregates in one store call the usage that the work due now reads (renewals and
    /// finalizations; other work asks as it goes), so a database answers a busy instant, such as ten
    /// thousand renewals on the first of the month, in one round trip instead of one per subscription.
    func prefetchUsage() async throws {
        prefetchedAt = now
        var wanted = Set<UsageQuery>()
        var queries: [UsageQuery] = []
        for work in queue.due(by: now) {
            for query in usageQueries(for: work) where !storage.isCached(query) && wanted.insert(query).inserted { queries.append(query) }
        }
        do {
            try await storage.prefetch(queries)
        } catch is AmountOverflow {
            // A usage sum that does not fit: each work asks for its own and reports it with its subscription.
        }
    }

    /// The aggregations a renewal or a finalization will read (one that cannot be formed is left for
    /// the work itself to report, in its turn).
    func usageQueries(for work: Work) -> [UsageQuery] {
        switch work {
        case .finalize(let id):
            guard !frozen.contains(id) else { return [] }
            return drafts[id]?.usageLines.map(\.query) ?? []
        case .renew(let index):
            let subscription = subscriptions[index]
            guard subscription.lifecycle.periodEnded() == .billRenewal else { return [] }
            return Renewal.plan(subscription).lines.filter { $0.kind == .usage }.compactMap { try? usageQuery($0, of: subscription) }
        case .expire, .start, .timeline, .cancelAt:
            return []
        }
    }

    /// The aggregation a planned usage line bills.
    func usageQuery(_ plan: PlannedLine, of subscription: BilledSubscription) throws -> UsageQuery {
        try plan.usageQuery(of: subscription, catalog: simulation.catalog, keys: intake.validator)
    }

    /// A planned line priced, with the usage it reads (and the query it read, for a usage line).
    /// An amount or usage sum that does not fit (``AmountOverflow``) stops the run with the subscription,
    /// price and period named.
    func price(_ plan: PlannedLine, of subscription: BilledSubscription) async throws -> (line: InvoiceLine, usage: UsageQuery?) {
        do {
            guard plan.kind == .usage else { return (try plan.priced(for: subscription), nil) }
            let query = try usageQuery(plan, of: subscription)
            return (try plan.priced(for: subscription, usage: try await storage.usage(query)), query)
        } catch let overflow as AmountOverflow {
            throw Self.located(overflow, subscription.definition, price: subscription.prices[plan.item].id, period: plan.period)
        }
    }

    /// An ``AmountOverflow`` as the error that stops the run: where the subscription is defined, the
    /// subscription, then the price and period (or invoice) being billed.
    static func located(_ overflow: AmountOverflow, _ definition: Subscription, price: String? = nil, period: Period? = nil, invoice: String? = nil)
        -> EngineError
    {
        var context = "subscription \(definition.id)"
        if let price { context += ", price \(price)" }
        if let period { context += ", period \(period)" }
        if let invoice { context += ", invoice \(invoice)" }
        return EngineError("\(definition.source.map { "\($0): " } ?? "")\(context): \(overflow.message)")
    }

    // MARK: Work

    /// Performs `work`, then records the status of the subscription it concerned (its status history).
    func perform(_ work: Work) async throws {
        let index = subscriptionIndex(concernedBy: work)
        try await performWork(work)
        if let index { subscriptions[index].noteStatus(at: now) }
    }

    /// The subscription `work` concerns, if any.
    func subscriptionIndex(concernedBy work: Work) -> Int? {
        switch work {
        case .finalize(let id): drafts[id].flatMap { subscriptionIndexByID[$0.invoice.subscription] }
        case .expire(let index), .start(let index), .renew(let index), .cancelAt(let index): index
        case .timeline(let entry):
            switch simulation.timeline[entry].action {
            case .cancelSubscription(let id, _, _), .previewInvoice(let id, _): subscriptionIndexByID[id]
            case .updateSubscription(let update): subscriptionIndexByID[update.subscription]
            case .addInvoiceItem(let item): subscriptionIndexByID[item.subscription]
            case .previewChange(_, let change): subscriptionIndexByID[change.subscription]
            }
        }
    }

    func performWork(_ work: Work) async throws {
        switch work {
        case .finalize(let id):
            try await finalize(id)
        case .expire(let index):
            if case .voidFirstInvoice(let invoice) = subscriptions[index].lifecycle.incompleteWindowEnded() { try await void(invoice) }
        case .start(let index):
            try await start(index)
        case .renew(let index):
            try await renew(index)
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
                subscriptions[index].pending.append(try InvoiceLine.invoiceItem(item, at: now))
            case .previewChange(let name, let change):
                previews[name] = try await preview(try subscriptionIndex(change.subscription), changedBy: change)
            case .previewInvoice(let id, let name):
                previews[name] = try await preview(try subscriptionIndex(id))
            }
        }
    }

    func subscriptionIndex(_ id: String) throws -> Int {
        if let index = subscriptionIndexByID[id] { return index } else { throw EngineError("no subscription \(id)") }
    }

    /// The subscription's `created` instant: its first invoice, then its first renewal scheduled.
    func start(_ index: Int) async throws {
        let definition = subscriptions[index].definition
        let trialEnd = definition.trialEnd.flatMap { $0 > definition.created ? $0 : nil }
        if case .reject(let why) = subscriptions[index].lifecycle.start(trial: trialEnd != nil) {
            throw EngineError("subscription \(definition.id): \(why.explanation(for: definition))")
        }
        let plan: FirstInvoice.Plan
        if let trialEnd {
            plan = FirstInvoice.trial(subscriptions[index], until: trialEnd)
            subscriptions[index].trialEnd = trialEnd
        } else if definition.prorationBehavior == .none, let anchor = definition.billingCycleAnchor, anchor > definition.created {
            plan = FirstInvoice.freeStub(subscriptions[index])
            // Nothing was charged for the stub: nothing to credit back (flexible).
            for item in subscriptions[index].licensedItems { subscriptions[index].debits[definition.items[item].id] = [] }
        } else {
            plan = FirstInvoice.plan(subscriptions[index])
        }
        subscriptions[index].period = plan.period
        subscriptions[index].usageStart = plan.usageStart
        let subscription = subscriptions[index]
        var deferred: [InvoiceLine] = []
        for line in plan.deferred { deferred.append(try await price(line, of: subscription).line) }
        let created = try await FirstInvoice.isCreated(plan.lines, mode: definition.billingMode) { line in
            try await self.storage.usage(self.usageQuery(line, of: subscription)) > .zero
        }
        if created {
            try FirstInvoice.checkLineLimit(plan.lines, of: definition)
            try await createInvoice(
                for: index, reason: .subscriptionCreate, period: Period(start: definition.created, end: definition.created), lines: plan.lines,
                finalizingFrom: definition.created)
        }
        subscriptions[index].pending += deferred
        if definition.cancelAtPeriodEnd {
            subscriptions[index].lifecycle.cancelAtPeriodEnd(true)
            subscriptions[index].canceledAt = definition.created
        }
        queue.schedule(.renew(subscription: index), at: plan.period.end)
    }

    /// The end of the current period: the renewal invoice, then the next renewal scheduled.
    func renew(_ index: Int) async throws {
        // A renewal scheduled for a period an anchor reset replaced.
        guard subscriptions[index].period.end == now else { return }
        switch subscriptions[index].lifecycle.periodEnded() {
        case .stop: return
        case .billFinalInvoice: return try await endAtPeriodEnd(index)
        case .endTrial: return try await endTrial(index, reason: .subscriptionCycle)
        case .billRenewal: break
        }
        let ended = subscriptions[index].period
        let (next, lines) = Renewal.plan(subscriptions[index])
        subscriptions[index].period = next
        subscriptions[index].usageStart = next.start
        subscriptions[index].slotUsageStart = [:]
        try await createInvoice(for: index, reason: .subscriptionCycle, period: ended, lines: lines, finalizingFrom: ended.end)
        queue.schedule(.renew(subscription: index), at: next.end)
    }

    /// The trial ended (Docs/ENGINE-RULES.md, "Trials"): at `trial_end` (`reason` subscription_cycle) or
    /// early by `trial_end: now` (subscription_update, and a new anchor at `now` unless one was given).
    func endTrial(_ index: Int, reason: BillingReason) async throws {
        let definition = subscriptions[index].definition
        let hasPaymentMethod = customers[definition.customer]?.defaultPaymentMethod != nil
        let trial = subscriptions[index].period
        subscriptions[index].trialEnd = now
        switch subscriptions[index].lifecycle.trialEnded(hasPaymentMethod: hasPaymentMethod, behavior: definition.trialEndBehavior) {
        case .cancel:
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
        case .pause:
            break
        case .billFirstPeriod:
            if reason == .subscriptionUpdate && definition.billingCycleAnchor == nil {
                subscriptions[index].schedule = BillingSchedule(anchor: now, interval: subscriptions[index].schedule.interval)
            }
            let (next, lines) = TrialEnd.plan(subscriptions[index], at: now)
            subscriptions[index].period = next
            subscriptions[index].usageStart = now
            subscriptions[index].slotUsageStart = [:]
            try await createInvoice(for: index, reason: reason, period: Period(start: trial.start, end: now), lines: lines, finalizingFrom: now)
            queue.schedule(.renew(subscription: index), at: next.end)
        }
    }

    /// `cancel_at_period_end` reached the period end (Docs/ENGINE-RULES.md, "Cancellation at period end"):
    /// the final invoice bills the period's usage and the held lines; no new period.
    func endAtPeriodEnd(_ index: Int) async throws {
        let subscription = subscriptions[index]
        let ended = subscription.period
        subscriptions[index].lifecycle.endedAtPeriodEnd()
        subscriptions[index].endedAt = now
        let lines = Renewal.finalLines(subscription)
        guard !lines.isEmpty || !subscription.pending.isEmpty || !subscription.pendingUsage.isEmpty else { return }
        try await createInvoice(for: index, reason: .subscriptionCycle, period: ended, lines: lines, finalizingFrom: ended.end)
    }

    /// `cancel_subscription` (Docs/ENGINE-RULES.md, "Cancellation").
    func cancel(_ index: Int, invoiceNow: Bool, prorate: Bool) async throws {
        let definition = subscriptions[index].definition
        switch subscriptions[index].lifecycle.cancel() {
        case .reject(let why):
            throw EngineError("cancel_subscription \(definition.id) at \(now): \(why.explanation(for: definition))")
        case .voidFirstInvoice(let invoice):
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
            try await void(invoice)
        case .endWithoutInvoice:
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
        case .billCancellation:
            subscriptions[index].canceledAt = now
            subscriptions[index].endedAt = now
            let subscription = subscriptions[index]
            for (draftID, draft) in drafts where draft.invoice.subscription == definition.id { frozen.insert(draftID) }
            let lines = Cancellation.plan(subscription, at: now, invoiceNow: invoiceNow, prorate: prorate)
            if invoiceNow {
                guard !lines.isEmpty || !subscription.pending.isEmpty || !subscription.pendingUsage.isEmpty else { return }
                try await createInvoice(
                    for: index, reason: .subscriptionUpdate, period: Cancellation.invoicePeriod(subscription, at: now), lines: lines,
                    finalizingFrom: now)
            } else {
                var balance = customers[definition.customer]?.balance ?? 0
                do {
                    for planned in lines {
                        balance = try balance.adding(try await price(planned, of: subscription).line.amount, "the customer balance")
                    }
                } catch let overflow as AmountOverflow {
                    throw Self.located(overflow, definition)
                }
                customers[definition.customer]?.balance = balance
            }
        }
    }

    /// `update_subscription` (Docs/ENGINE-RULES.md, "Updates"): the plan of ``Update/plan(_:of:at:catalog:)``
    /// performed: an invoice now, or its lines held for the next invoice.
    func update(_ index: Int, with update: SubscriptionUpdate) async throws {
        let definition = subscriptions[index].definition
        if let why = subscriptions[index].lifecycle.update() {
            throw EngineError("update_subscription \(definition.id) at \(now): \(why.explanation(for: definition))")
        }
        if subscriptions[index].lifecycle.state == .trialing {
            guard update.items.isEmpty, !update.resetsAnchor, update.cancelAtPeriodEnd != true, update.cancelAt == nil || update.endsTrial
            else {
                throw EngineError(
                    "update_subscription \(definition.id) at \(now): changing items, the anchor or the cancellation during a trial is not supported yet"
                )
            }
            if update.endsTrial { try await endTrial(index, reason: .subscriptionUpdate) }
        }
        let plan = try Update.plan(update, of: subscriptions[index], at: now, catalog: simulation.catalog)
        let resetsPeriod = plan.subscription.period != subscriptions[index].period
        subscriptions[index] = plan.subscription
        let lines = plan.usage + plan.advance + plan.prorations
        let nothingToInvoice = lines.isEmpty && subscriptions[index].pending.isEmpty && subscriptions[index].pendingUsage.isEmpty
        if let period = plan.invoicePeriod, !nothingToInvoice {
            try await createInvoice(
                for: index, reason: .subscriptionUpdate, period: period, lines: lines, finalizingFrom: now)
        } else if plan.invoicePeriod == nil {
            subscriptions[index].pendingUsage += plan.usage
            for planned in plan.prorations {
                let line = try await price(planned, of: subscriptions[index]).line
                subscriptions[index].recordCharge(line, for: planned)
                subscriptions[index].pending.append(line)
            }
        }
        if resetsPeriod { queue.schedule(.renew(subscription: index), at: subscriptions[index].period.end) }
        if let on = update.cancelAtPeriodEnd {
            subscriptions[index].lifecycle.cancelAtPeriodEnd(on)
            subscriptions[index].canceledAt = on ? now : nil
        }
        if let at = update.cancelAt { try schedule(cancelAt: at, prorates: update.prorationBehavior != .none, for: index) }
    }

    /// `cancel_at` (Docs/ENGINE-RULES.md, "cancel_at"): at the current period end it is
    /// `cancel_at_period_end`; before it, a cancellation then, with the final invoice and (when
    /// prorations are on) the credit; a later period is not supported yet.
    func schedule(cancelAt at: Instant, prorates: Bool, for index: Int) throws {
        let subscription = subscriptions[index]
        if at == subscription.period.end {
            subscriptions[index].lifecycle.cancelAtPeriodEnd(true)
        } else if at < subscription.period.end {
            subscriptions[index].cancelAt = ScheduledCancellation(at: at, prorates: prorates)
            queue.schedule(.cancelAt(subscription: index), at: at)
        } else {
            throw EngineError(
                "subscription \(subscription.definition.id): cancel_at \(at) is after the current period end \(subscription.period.end); a cancel_at in a later period is not supported yet"
            )
        }
        subscriptions[index].canceledAt = now
    }

    /// The upcoming invoice: the next renewal as if it happened now, with the usage received so far.
    func preview(_ index: Int) async throws -> Invoice { try await preview(of: subscriptions[index]) }

    /// The upcoming invoice if `change` were made now (Docs/ENGINE-RULES.md, "Preview of a change"): the
    /// update planned on a copy; `always_invoice` or an anchor reset previews the invoice the update
    /// would create now, otherwise the next renewal with the change's lines held for it.
    func preview(_ index: Int, changedBy change: SubscriptionUpdate) async throws -> Invoice {
        var subscription = subscriptions[index]
        let definition = subscription.definition
        if let why = subscription.lifecycle.update() {
            throw EngineError("preview_invoice \(definition.id) at \(now): \(why.explanation(for: definition))")
        }
        let plan = try Update.plan(change, of: subscription, at: now, catalog: simulation.catalog)
        subscription = plan.subscription
        if let on = change.cancelAtPeriodEnd { subscription.lifecycle.cancelAtPeriodEnd(on) }
        let balance = customers[definition.customer]?.balance ?? 0
        guard plan.invoicePeriod == nil else {
            var lines: [InvoiceLine] = []
            for planned in plan.usage + plan.advance + plan.prorations + subscription.pendingUsage {
                lines.append(try await price(planned, of: subscription).line)
            }
            var invoice = Invoice.preview(of: subscription, lines: lines, balance: balance)
            invoice.created = now
            return invoice
        }
        subscription.pendingUsage += plan.usage
        for planned in plan.prorations { subscription.pending.append(try await price(planned, of: subscription).line) }
        return try await preview(of: subscription)
    }

    /// The upcoming invoice of `subscription` as it stands.
    func preview(of subscription: BilledSubscription) async throws -> Invoice {
        if let why = subscription.lifecycle.preview() {
            throw EngineError("preview_invoice \(subscription.definition.id) at \(now): \(why.explanation(for: subscription.definition))")
        }
        var lines: [InvoiceLine] = []
        let planned =
            switch subscription.lifecycle.periodEnded() {
            case .billFinalInvoice: Renewal.finalLines(subscription)
            case .endTrial: TrialEnd.plan(subscription, at: subscription.period.end).lines
            case .billRenewal, .stop: Renewal.plan(subscription).lines
            }
        for plan in planned + subscription.pendingUsage { lines.append(try await price(plan, of: subscription).line) }
        let preview = Invoice.preview(of: subscription, lines: lines, balance: customers[subscription.definition.customer]?.balance ?? 0)
        do { try preview.checkTotals() } catch { throw Self.located(error, subscription.definition, invoice: preview.id) }
        return preview
    }

    // MARK: Invoices

    /// Prices `planned` into a new draft; finalizes it now if due now (the store only ever sees the
    /// final invoice), else saves the draft and schedules its finalization (``Finalization/instant(of:collection:created:grace:)``
    /// from `start`: the instant the invoice is due, which the clock may have passed).
    func createInvoice(
        for index: Int, reason: BillingReason, period: Period, lines planned: [PlannedLine], finalizingFrom start: Instant
    ) async throws {
        var subscription = subscriptions[index]
        let finalizeAt = Finalization.instant(
            of: reason, collection: subscription.definition.collectionMethod, created: start, grace: simulation.settings.finalizationGrace)
        invoiceCount += 1
        var lines: [InvoiceLine] = []
        var usageLines: [Draft.UsageLine] = []
        let held = subscription.pendingUsage
        subscription.pendingUsage = []
        for plan in planned + held {
            let (line, query) = try await price(plan, of: subscription)
            if let query { usageLines.append(Draft.UsageLine(index: lines.count, query: query, price: subscription.prices[plan.item])) }
            subscription.recordCharge(line, for: plan)
            lines.append(line)
        }
        let invoice = Invoice.draft(number: invoiceCount, of: subscription, reason: reason, created: now, period: period, lines: lines)
        do { try invoice.checkTotals() } catch { throw Self.located(error, subscription.definition, invoice: invoice.id) }
        subscription.pending = []
        subscriptions[index] = subscription
        drafts[invoice.id] = Draft(invoice: invoice, usageLines: usageLines)
        if finalizeAt <= now {
            try await finalize(invoice.id)
        } else {
            try await storage.save(invoice)
            queue.schedule(.finalize(invoice: invoice.id), at: finalizeAt)
        }
    }

    /// Draft → open → paid: re-aggregates usage (late usage in the grace lands), applies the balance.
    func finalize(_ id: String) async throws {
        guard var draft = drafts.removeValue(forKey: id) else { return }
        guard !frozen.contains(id) else { return }
        let index = try subscriptionIndex(draft.invoice.subscription)
        let definition = subscriptions[index].definition
        for usageLine in draft.usageLines {
            do {
                try draft.rerate(usageLine, quantity: try await storage.usage(usageLine.query))
            } catch let overflow as AmountOverflow {
                throw Self.located(overflow, definition, price: usageLine.price.id, period: usageLine.query.period)
            }
            intake.billedPeriods[usageLine.query.key, default: []].append(usageLine.query.period)
        }
        let customer = customers[draft.invoice.customer]
        let finalized: Finalization.Finalized
        do {
            finalized = try Finalization.finalize(
                draft.invoice, at: now, balance: customer?.balance ?? 0, hasPaymentMethod: customer?.defaultPaymentMethod != nil,
                daysUntilDue: definition.daysUntilDue)
        } catch {
            throw Self.located(error, definition, invoice: id)
        }
        customers[draft.invoice.customer]?.balance = finalized.balance
        if case .scheduleExpiry(let at) = subscriptions[index].lifecycle.invoiceFinalized(finalized.invoice, at: now) {
            queue.schedule(.expire(subscription: index), at: at)
        }
        try await storage.save(finalized.invoice)
    }

    /// Voids an incomplete subscription's unpaid first invoice and gives back the balance it used.
    func void(_ invoice: Invoice) async throws {
        let (voided, givenBack) = Finalization.voidingUnpaidFirstInvoice(invoice)
        if let balance = customers[invoice.customer]?.balance {
            do {
                customers[invoice.customer]?.balance = try balance.adding(givenBack, "the customer balance")
            } catch {
                throw Self.located(error, subscriptions[try subscriptionIndex(invoice.subscription)].definition, invoice: invoice.id)
            }
        }
        try await storage.save(voided)
    }
}
