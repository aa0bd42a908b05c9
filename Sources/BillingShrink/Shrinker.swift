import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario

/// How big a scenario is, in the units the shrinker removes.
public struct ScenarioSize: Sendable, Hashable, CustomStringConvertible {
    public var customers: Int
    public var subscriptions: Int
    public var items: Int
    public var events: Int
    public var timeline: Int
    public var days: Int64
    public var expectations: Int

    public var description: String {
        [
            (customers, "customer", "customers"), (subscriptions, "subscription", "subscriptions"), (items, "item", "items"),
            (events, "event", "events"),
            (timeline, "timeline entry", "timeline entries"), (Int(days), "day", "days"), (expectations, "expectation", "expectations"),
        ].map { "\($0.0) \($0.0 == 1 ? $0.1 : $0.2)" }.joined(separator: ", ")
    }
}

/// What `billsim shrink` produced.
public struct ShrinkResult: Sendable {
    /// The reduced scenario; its usage is one stream of literal events.
    public var scenario: Scenario
    /// The failure it preserves (the original's).
    public var failure: Failure
    /// The failure the reduced scenario shows (narrower than `failure` for differences).
    public var reducedFailure: Failure
    public var original: ScenarioSize
    public var reduced: ScenarioSize
    /// Candidates run.
    public var runs: Int

    /// The comment at the top of the written file.
    public func header(source: String) -> [String] {
        [
            "Reduced by `billsim shrink` from \(source)",
            "  (\(original)) to (\(reduced)), \(runs) candidate runs.",
            "The original fails with \(failure);",
            "this file keeps that failure (\(failure.kind)) and fails with \(reducedFailure).",
        ]
    }
}

/// A problem that stops shrinking before it starts.
public struct ShrinkError: Error, Sendable, CustomStringConvertible {
    public var description: String
    public init(_ description: String) { self.description = description }
}

/// Delta debugging over a scenario: removes customers, subscriptions, items, timeline entries,
/// events, days of the clock and expectations while the failure stays the same, then simplifies
/// values (round numbers, smaller quantities).
///
/// Every candidate is a valid scenario by construction: removing a customer removes its
/// subscriptions, its events, the timeline entries and expected invoices that belong to them.
/// Which expected invoice belongs to whom is read from the last in-process run's invoices (expected
/// invoices are compared to generated ones in creation order).
public struct Shrinker: Sendable {
    let oracle: any ShrinkOracle
    /// Accept any failure of the same kind (`--until-pass`), not only the same one.
    let loosely: Bool
    /// Rounds of all reductions (each round repeats them while any makes progress).
    let maxRounds: Int

    public init(oracle: any ShrinkOracle, loosely: Bool = false, maxRounds: Int = 4) {
        self.oracle = oracle
        self.loosely = loosely
        self.maxRounds = maxRounds
    }

    /// Reduces `scenario`, which must fail.
    ///
    /// Its usage is first read into literal events (usage files and generators included, in the order
    /// the engine receives them, so the run is the same; a usage file's problems stop here as a
    /// ``ScenarioLoadError``), and the failure to keep is that scenario's.
    public func shrink(_ scenario: Scenario) async throws -> ShrinkResult {
        var source = try UsageSources.open(scenario.usage).get()
        var events: [MeterEvent] = []
        while let event = try source.next() { events.append(event) }
        var work = Work(scenario, events: events)
        let original = await oracle.verdict(for: work.scenario)
        guard let failure = original.failure else { throw ShrinkError("\(scenario.path) passes: there is no failure to keep") }
        var session = Session(oracle: oracle, target: failure, loosely: loosely, work: work, failure: failure)
        session.adopt(original.outcome)
        session.runs = 1
        let originalSize = work.size
        // Only the expectations that differ, before anything else: every later run is then smaller.
        await session.reduceExpectations(thoroughly: false)
        for _ in 0..<maxRounds {
            let before = session.work.size
            await session.reduceCustomers()
            await session.reduceSubscriptions()
            await session.reduceItems()
            await session.reduceTimeline()
            await session.reduceEvents()
            await session.reduceClock()
            await session.reduceCatalog()
            await session.reduceExpectations()
            await session.reduceExpectationFields()
            await session.simplify()
            if session.work.size == before { break }
        }
        work = session.work
        return ShrinkResult(
            scenario: work.scenario, failure: failure, reducedFailure: session.failure, original: originalSize, reduced: work.size,
            runs: session.runs)
    }
}

/// The scenario being reduced, in parts the reductions can take apart.
struct Work: Sendable {
    var base: Scenario
    var meters: [Meter]
    var products: [Product]
    var prices: [Price]
    var coupons: [Coupon]
    /// Kept whole: the shrinker does not remove tax rates (few, and every line may name them).
    var taxRates: [TaxRate]
    var customers: [Customer]
    var subscriptions: [Subscription]
    var timeline: [TimelineEntry]
    var events: [MeterEvent]
    var clockStart: Instant
    var clockUntil: Instant
    var settings: EngineSettings
    /// `expect.invoices` as a list (`nil`: not stated).
    var expectedInvoices: [Expected]?
    var expectation: Expectation
    /// The customer and subscription of each generated invoice, in creation order.
    var owners: [(customer: String, subscription: String)] = []

    init(_ scenario: Scenario, events: [MeterEvent]) {
        base = scenario
        let simulation = scenario.simulation
        meters = simulation.catalog.meters
        products = simulation.catalog.products
        prices = simulation.catalog.prices
        coupons = simulation.catalog.coupons
        taxRates = simulation.catalog.taxRates
        customers = simulation.customers
        subscriptions = simulation.subscriptions
        timeline = simulation.timeline
        self.events = events
        clockStart = simulation.clockStart
        clockUntil = simulation.clockUntil
        settings = simulation.settings
        expectation = scenario.expectation
        if case .list(let items, _) = scenario.expectation.invoices { expectedInvoices = items }
    }

    /// The coupons a customer, a subscription or an update applies.
    var usedCoupons: Set<String> {
        var used = Set(customers.compactMap(\.discount) + subscriptions.flatMap(\.discounts))
        for entry in timeline {
            if case .updateSubscription(let update) = entry.action { used.formUnion(update.discounts ?? []) }
        }
        return used
    }

    /// The base's credit grants whose customer and listed prices are still there.
    var creditGrants: [CreditGrant] {
        let (customerIDs, priceIDs) = (Set(customers.map(\.id)), Set(prices.map(\.id)))
        return base.simulation.catalog.creditGrants.filter { grant in
            guard customerIDs.contains(grant.customer) else { return false }
            if case .prices(let ids) = grant.scope { return ids.allSatisfy(priceIDs.contains) }
            return true
        }
    }

    var scenario: Scenario {
        var scenario = base
        scenario.simulation = Simulation(
            clockStart: clockStart, clockUntil: clockUntil,
            catalog: Catalog(
                meters: meters, products: products, prices: prices, coupons: coupons, taxRates: taxRates, creditGrants: creditGrants),
            customers: customers, subscriptions: subscriptions, timeline: timeline, settings: settings)
        scenario.usage = events.isEmpty ? [] : [.events(events)]
        var expectation = expectation
        expectation.invoices = expectedInvoices.map { .list($0, expectation.invoices?.location ?? expectation.location) }
        scenario.expectation = expectation
        return scenario
    }

    var size: ScenarioSize {
        let expected =
            (expectedInvoices?.filter { $0 != .map([], $0.location) }.count ?? 0) + (expectation.invoiceCount == nil ? 0 : 1)
            + expectation.previews.count + expectation.meterEventErrors.count + (expectation.lateEvents == nil ? 0 : 1)
        return ScenarioSize(
            customers: customers.count, subscriptions: subscriptions.count, items: subscriptions.reduce(0) { $0 + $1.items.count },
            events: events.count, timeline: timeline.count, days: (clockUntil - clockStart + 86_399) / 86_400, expectations: expected)
    }

    static func subscriptionID(of entry: TimelineEntry) -> String {
        switch entry.action {
        case .cancelSubscription(let subscription, _, _), .previewInvoice(let subscription, _): subscription
        case .updateSubscription(let update), .previewChange(_, let update): update.subscription
        case .addInvoiceItem(let item): item.subscription
        // Customer-wide or invoice-wide: kept with the subscriptions (a customer's go with it: ``remove(customers:)``).
        case .customerBalanceTransaction, .attachPaymentMethod, .detachPaymentMethod, .invoiceAction: ""
        }
    }

    /// The customer a customer-wide action names, if any.
    static func customerID(of entry: TimelineEntry) -> String? {
        switch entry.action {
        case .attachPaymentMethod(let customer, _), .detachPaymentMethod(let customer, _), .customerBalanceTransaction(let customer, _): customer
        default: nil
        }
    }

    /// Removes subscriptions and what belongs to them: their timeline entries, previews and expected invoices.
    mutating func remove(subscriptions removed: Set<String>) {
        guard !removed.isEmpty else { return }
        subscriptions.removeAll { removed.contains($0.id) }
        let gone = timeline.filter { removed.contains(Self.subscriptionID(of: $0)) }
        timeline.removeAll { removed.contains(Self.subscriptionID(of: $0)) }
        forget(previewsOf: gone)
        var kept: [Expected] = []
        var keptOwners: [(customer: String, subscription: String)] = []
        for (index, owner) in owners.enumerated() {
            if removed.contains(owner.subscription) {
                if expectation.invoiceCount != nil { expectation.invoiceCount! -= 1 }
                continue
            }
            keptOwners.append(owner)
            if let expected = expectedInvoices, index < expected.count { kept.append(expected[index]) }
        }
        if let expected = expectedInvoices, expected.count > owners.count { kept += expected[owners.count...] }
        if expectedInvoices != nil { expectedInvoices = kept }
        owners = keptOwners
    }

    /// Without the customers that no non-empty expected invoice belongs to; `nil` when that removes
    /// none or all of them.
    func onlyCustomersOfExpectedInvoices() -> Work? {
        let expected = Set(owners.indices.filter { isExpected(invoice: $0) }.map { owners[$0].customer })
        guard !expected.isEmpty, expected.count < customers.count else { return nil }
        var candidate = self
        candidate.remove(customers: Set(customers.map(\.id)).subtracting(expected))
        return candidate
    }

    /// Whether the `index`-th generated invoice has a non-empty expectation.
    func isExpected(invoice index: Int) -> Bool {
        guard let expected = expectedInvoices, index < expected.count else { return false }
        return expected[index] != .map([], expected[index].location)
    }

    /// Drops the preview expectations of removed `preview_invoice` entries.
    mutating func forget(previewsOf entries: [TimelineEntry]) {
        let names = Set(
            entries.compactMap { entry -> String? in
                switch entry.action {
                case .previewInvoice(_, let name), .previewChange(let name, _): name
                default: nil
                }
            })
        expectation.previews.removeAll { names.contains($0.name) }
    }

    /// Removes customers with their subscriptions and events.
    mutating func remove(customers removed: Set<String>) {
        guard !removed.isEmpty else { return }
        remove(subscriptions: Set(subscriptions.filter { removed.contains($0.customer) }.map(\.id)))
        customers.removeAll { removed.contains($0.id) }
        timeline.removeAll { Self.customerID(of: $0).map(removed.contains) ?? false }
        let customerKeys = Dictionary(meters.map { ($0.eventName, $0.customerPayloadKey) }, uniquingKeysWith: { first, _ in first })
        events.removeAll { event in customerKeys[event.eventName].flatMap { event.payload[$0] }.map(removed.contains) ?? false }
    }
}

/// One shrinking run: the current best scenario and the oracle's verdicts on candidates.
struct Session {
    let oracle: any ShrinkOracle
    let target: Failure
    let loosely: Bool
    var work: Work
    /// How the current best scenario fails.
    var failure: Failure
    var runs = 0

    /// The outcome of the current best scenario, when it ran in process.
    var outcome: SimulationOutcome?

    /// Records the current scenario's outcome and which invoice belongs to whom.
    mutating func adopt(_ outcome: SimulationOutcome?) {
        self.outcome = outcome
        guard let outcome else { return }
        work.owners = outcome.invoices.map { ($0.customer, $0.subscription) }
    }

    /// Runs `candidate`; keeps it when it fails the same way.
    mutating func attempt(_ candidate: Work) async -> Bool {
        runs += 1
        let verdict = await oracle.verdict(for: candidate.scenario)
        guard let seen = verdict.failure, target.admits(seen, loosely: loosely) else { return false }
        work = candidate
        failure = seen
        adopt(verdict.outcome)
        return true
    }

    /// Removes units (largest chunks first) while the failure stays: delta debugging's
    /// complement steps, at chunk sizes n/2, n/4, … 1. Empty first: nothing may be needed at all.
    mutating func reduce<Unit>(_ units: (Work) -> [Unit], removing: (inout Work, [Unit]) -> Void) async {
        var all = units(work)
        guard !all.isEmpty else { return }
        var candidate = work
        removing(&candidate, all)
        if await attempt(candidate) || all.count == 1 { return }
        var chunk = all.count / 2
        while true {
            var start = 0
            while start < all.count {
                let end = min(start + chunk, all.count)
                var candidate = work
                removing(&candidate, Array(all[start..<end]))
                if await attempt(candidate) {
                    all.removeSubrange(start..<end)
                } else {
                    start = end
                }
            }
            if chunk == 1 { return }
            chunk = max(chunk / 2, 1)
        }
    }

    // MARK: Reductions

    /// Customers: first a guess (only those whose invoices are still expected, when there are any),
    /// then delta debugging.
    mutating func reduceCustomers() async {
        if let candidate = work.onlyCustomersOfExpectedInvoices() { _ = await attempt(candidate) }
        await reduce({ $0.customers.map(\.id) }, removing: { $0.remove(customers: Set($1)) })
    }

    mutating func reduceSubscriptions() async {
        await reduce({ $0.subscriptions.map(\.id) }, removing: { $0.remove(subscriptions: Set($1)) })
    }

    /// Items of subscriptions with more than one (a subscription keeps at least one).
    mutating func reduceItems() async {
        await reduce(
            { work in
                work.subscriptions.filter { $0.items.count > 1 }.flatMap { subscription in
                    subscription.items.map { "\(subscription.id)\u{0}\($0.id)" }
                }
            },
            removing: { work, units in
                let removed = Set(units)
                for index in work.subscriptions.indices {
                    let id = work.subscriptions[index].id
                    let kept = work.subscriptions[index].items.filter { !removed.contains("\(id)\u{0}\($0.id)") }
                    work.subscriptions[index].items = kept.isEmpty ? [work.subscriptions[index].items[0]] : kept
                }
            })
    }

    /// Timeline entries, by their place in the timeline as the step starts (only this step changes it).
    mutating func reduceTimeline() async {
        let timeline = work.timeline
        await reduce(
            { _ in Array(timeline.indices) },
            removing: { work, removed in
                let gone = Set(removed)
                work.forget(previewsOf: removed.map { timeline[$0] })
                work.timeline = work.timeline.filter { entry in !gone.contains { timeline[$0] == entry } }
            })
    }

    /// Events, by their place in the stream as the step starts (only this step changes it).
    mutating func reduceEvents() async {
        let events = work.events
        await reduce(
            { _ in Array(events.indices) },
            removing: { work, removed in
                let gone = Set(removed)
                var kept: [MeterEvent] = []
                var position = 0
                // work.events is `events` less the positions removed before: walk both in order.
                for index in events.indices where position < work.events.count && work.events[position] == events[index] {
                    if !gone.contains(index) { kept.append(events[index]) }
                    position += 1
                }
                work.events = kept
            })
    }

    /// Fewer days: `clock.until` earlier by whole days (binary search), then `clock.start` later.
    mutating func reduceClock() async {
        var low: Int64 = 0
        var high = (work.clockUntil - work.clockStart) / 86_400
        let until = work.clockUntil
        while low < high {
            let middle = (low + high) / 2
            let days = (until - work.clockStart) / 86_400 - middle
            var candidate = work
            candidate.clockUntil = until - .days(days)
            candidate.cut(after: candidate.clockUntil)
            if await attempt(candidate) { high = middle } else { low = middle + 1 }
        }
        let earliest = ([work.clockUntil] + work.subscriptions.map { $0.created } + work.timeline.map(\.at) + work.events.map(\.arrival)).min()!
        let start = Instant(seconds: earliest.seconds - earliest.seconds % 86_400)
        if start > work.clockStart {
            var candidate = work
            candidate.clockStart = start
            _ = await attempt(candidate)
        }
    }

    /// Meters, products, prices and coupons nothing refers to.
    mutating func reduceCatalog() async {
        var candidate = work
        // Prices of subscription items, and the one-time prices of invoice items (at creation and on the timeline).
        let invoiceItems =
            work.subscriptions.flatMap(\.addInvoiceItems)
            + work.timeline.compactMap { entry -> InvoiceItem? in
                if case .addInvoiceItem(let item) = entry.action { item } else { nil }
            }
        let usedPrices = Set(work.subscriptions.flatMap { $0.items.map(\.price) } + invoiceItems.compactMap(\.price))
        candidate.prices.removeAll { !usedPrices.contains($0.id) }
        let usedCoupons = work.usedCoupons
        candidate.coupons.removeAll { !usedCoupons.contains($0.id) }
        // A coupon's applies_to names products: they stay while it does.
        let usedProducts = Set(candidate.prices.map(\.product) + candidate.coupons.flatMap { $0.products ?? [] })
        candidate.products.removeAll { !usedProducts.contains($0.id) }
        let usedEventNames = Set(work.events.map(\.eventName))
        let usedMeters = Set(candidate.prices.compactMap(\.meterID))
        candidate.meters.removeAll { !usedMeters.contains($0.id) && !usedEventNames.contains($0.eventName) }
        if candidate.prices.count + candidate.products.count + candidate.meters.count + candidate.coupons.count
            < work.prices.count + work.products.count + work.meters.count + work.coupons.count
        {
            _ = await attempt(candidate)
        }
    }

    /// Expectation items (`{}` for an expected invoice that no longer checks anything; trailing ones
    /// dropped): first only those that differ now, then (`thoroughly`) delta debugging over all of them.
    mutating func reduceExpectations(thoroughly: Bool = true) async {
        enum Item: Hashable {
            case invoice(Int)
            case count
            case preview(String)
            case meterEventError(MeterEventErrorCode)
            case late
        }
        func items(_ work: Work) -> [Item] {
            var items: [Item] = []
            for (index, invoice) in (work.expectedInvoices ?? []).enumerated() where invoice != .map([], invoice.location) {
                items.append(.invoice(index))
            }
            if work.expectation.invoiceCount != nil { items.append(.count) }
            items += work.expectation.previews.map { .preview($0.name) }
            items += work.expectation.meterEventErrors.map { .meterEventError($0.code) }
            if work.expectation.lateEvents != nil { items.append(.late) }
            return items
        }
        func remove(_ work: inout Work, _ removed: [Item]) {
            for item in removed {
                switch item {
                case .invoice(let index): work.expectedInvoices![index] = .map([], work.expectedInvoices![index].location)
                case .count: work.expectation.invoiceCount = nil
                case .preview(let name): work.expectation.previews.removeAll { $0.name == name }
                case .meterEventError(let code): work.expectation.meterEventErrors.removeAll { $0.code == code }
                case .late: work.expectation.lateEvents = nil
                }
            }
            while let last = work.expectedInvoices?.last, last == .map([], last.location) { work.expectedInvoices!.removeLast() }
            if work.expectedInvoices?.isEmpty == true { work.expectedInvoices = nil }
        }
        let all = items(work)
        guard !all.isEmpty else { return }
        if case .differences = target, let outcome {
            let differing = Set(
                ScenarioRunner.check(work.scenario.expectation, against: outcome, catalog: work.scenario.simulation.catalog).compactMap {
                    difference -> Item? in
                    let path = difference.path
                    if path.hasPrefix("invoices["), let index = Int(path.dropFirst(9).prefix { $0 != "]" }) { return .invoice(index) }
                    if path == "invoice_count" { return .count }
                    if path.hasPrefix("previews.") { return .preview(String(path.dropFirst(9).prefix { $0 != "." })) }
                    if path.hasPrefix("meter_event_errors.") {
                        return MeterEventErrorCode(rawValue: String(path.dropFirst(19))).map(Item.meterEventError)
                    }
                    if path == "late_events" { return .late }
                    return nil
                })
            var candidate = work
            remove(&candidate, all.filter { !differing.contains($0) })
            if !differing.isEmpty, differing.count < all.count {
                // At the start, first also without the customers none of those invoices belong to: when
                // that fails the same way, no run of the whole scenario is needed at all.
                if !thoroughly, let fewer = candidate.onlyCustomersOfExpectedInvoices(), await attempt(fewer) { return }
                if await attempt(candidate), !thoroughly { return }
            }
        }
        guard thoroughly else { return }
        await reduce(items, removing: remove)
    }

    /// Fields inside the expected invoices, one at a time (the wrong one stays), once at most 20 are left.
    mutating func reduceExpectationFields() async {
        guard let invoices = work.expectedInvoices, invoices.filter({ $0 != .map([], $0.location) }).count <= 20 else { return }
        for index in invoices.indices {
            var position = 0
            while true {
                guard let current = work.expectedInvoices?[index], let reduced = current.removingEntry(at: position) else { break }
                var candidate = work
                candidate.expectedInvoices![index] = reduced
                if await !attempt(candidate) { position += 1 }
            }
        }
    }

    /// Simpler values: value 1 or a rounder number, whole-hour timestamps, no identifiers or
    /// `received_at`, quantity 1, no balance or names, default settings.
    mutating func simplify() async {
        func tryAll(when needed: (Work) -> Bool, _ change: (inout Work) -> Void) async {
            guard needed(work) else { return }
            var candidate = work
            change(&candidate)
            _ = await attempt(candidate)
        }
        await tryAll(when: { $0.events.contains { $0.identifier != nil } }) { work in
            for index in work.events.indices { work.events[index].identifier = nil }
        }
        await tryAll(when: { $0.events.contains { $0.receivedAt != nil } }) { work in
            for index in work.events.indices { work.events[index].receivedAt = nil }
        }
        await tryAll(when: { $0.settings != EngineSettings() }) { $0.settings = EngineSettings() }
        await tryAll(when: { work in
            work.customers.contains { !$0.name.isEmpty || $0.balance != 0 } || work.products.contains { $0.name != $0.id }
                || !work.base.description.isEmpty
        }) { work in
            for index in work.customers.indices { (work.customers[index].name, work.customers[index].balance) = ("", 0) }
            for index in work.products.indices { work.products[index].name = work.products[index].id }
            work.base.description = ""
        }
        await tryAll(when: { $0.subscriptions.contains { $0.backdateStartDate != nil || $0.billingCycleAnchor != nil } }) { work in
            for index in work.subscriptions.indices {
                work.subscriptions[index].backdateStartDate = nil
                work.subscriptions[index].billingCycleAnchor = nil
            }
        }
        await tryAll(when: { $0.subscriptions.contains { $0.cancelAt != nil } }) { work in
            for index in work.subscriptions.indices { work.subscriptions[index].cancelAt = nil }
        }
        await tryAll(when: { $0.subscriptions.contains { $0.billingThresholds != nil || $0.items.contains { $0.usageGTE != nil } } }) { work in
            for index in work.subscriptions.indices {
                work.subscriptions[index].billingThresholds = nil
                for item in work.subscriptions[index].items.indices { work.subscriptions[index].items[item].usageGTE = nil }
            }
        }
        await tryAll(when: { !$0.usedCoupons.isEmpty }) { work in
            for index in work.customers.indices { work.customers[index].discount = nil }
            for index in work.subscriptions.indices { work.subscriptions[index].discounts = [] }
            for index in work.timeline.indices {
                if case .updateSubscription(var update) = work.timeline[index].action {
                    update.discounts = nil
                    work.timeline[index].action = .updateSubscription(update)
                }
            }
        }
        await tryAll(when: { $0.subscriptions.contains { !$0.addInvoiceItems.isEmpty || $0.pendingInvoiceItemInterval != nil } }) { work in
            for index in work.subscriptions.indices {
                work.subscriptions[index].addInvoiceItems = []
                work.subscriptions[index].pendingInvoiceItemInterval = nil
            }
        }
        await tryAll(when: { $0.subscriptions.contains { $0.items.contains { $0.quantity != 1 } } }) { work in
            for index in work.subscriptions.indices {
                for item in work.subscriptions[index].items.indices { work.subscriptions[index].items[item].quantity = 1 }
            }
        }
        await simplifyPrices()
        guard work.events.count <= 50 else { return }
        for index in work.events.indices {
            guard let key = work.valueKey(of: work.events[index]), let value = work.events[index].payload[key] else { continue }
            for simpler in Rounding.simpler(than: value) {
                var candidate = work
                candidate.events[index].payload[key] = simpler
                if await attempt(candidate) { break }
            }
            let timestamp = work.events[index].timestamp
            let hour = Instant(seconds: timestamp.seconds - timestamp.seconds % 3600)
            if hour != timestamp, work.events[index].receivedAt == nil {
                var candidate = work
                candidate.events[index].timestamp = hour
                _ = await attempt(candidate)
            }
        }
    }
}

extension Session {
    /// Rounder unit amounts and flat fees: 1, one significant digit, the whole part; tiers' flat fees 0.
    mutating func simplifyPrices() async {
        guard work.prices.count <= 10 else { return }
        for index in work.prices.indices {
            switch work.prices[index].scheme {
            case .perUnit(let amount, let transform):
                for simpler in Rounding.simpler(than: amount) {
                    var candidate = work
                    candidate.prices[index].scheme = .perUnit(unitAmount: simpler, transform: transform)
                    if await attempt(candidate) { break }
                }
            case .graduated(let tiers), .volume(let tiers):
                let graduated = if case .graduated = work.prices[index].scheme { true } else { false }
                for tier in tiers.indices {
                    for field in [\PriceTier.unitAmount, \PriceTier.flatAmount] {
                        let now = work.prices[index].tiers[tier][keyPath: field]
                        for simpler in [ExactDecimal.zero] + Rounding.simpler(than: now) where simpler != now {
                            var candidate = work
                            var changed = candidate.prices[index].tiers
                            changed[tier][keyPath: field] = simpler
                            candidate.prices[index].scheme = graduated ? .graduated(changed) : .volume(changed)
                            if await attempt(candidate) { break }
                        }
                    }
                }
            }
        }
    }
}

extension Price {
    /// The tiers of a tiered price (none for a per-unit one).
    var tiers: [PriceTier] {
        switch scheme {
        case .perUnit: []
        case .graduated(let tiers), .volume(let tiers): tiers
        }
    }
}

extension Work {
    /// The payload key of an event's value, through its meter.
    func valueKey(of event: MeterEvent) -> String? {
        meters.first { $0.eventName == event.eventName }?.valuePayloadKey
    }

    /// Drops what happens after `until`: timeline entries (and their previews) and events received later.
    mutating func cut(after until: Instant) {
        let gone = timeline.filter { $0.at > until }
        timeline.removeAll { $0.at > until }
        forget(previewsOf: gone)
        events.removeAll { $0.arrival > until }
    }
}

extension Expected {
    /// This tree without its `position`-th mapping entry (depth first), or `nil` when it has fewer.
    func removingEntry(at position: Int) -> Expected? {
        var remaining = position
        return removing(&remaining)
    }

    private func removing(_ remaining: inout Int) -> Expected? {
        switch self {
        case .scalar: return nil
        case .list(let items, let location):
            for (index, item) in items.enumerated() {
                if let reduced = item.removing(&remaining) {
                    var items = items
                    items[index] = reduced
                    return .list(items, location)
                }
            }
            return nil
        case .map(let entries, let location):
            for (index, entry) in entries.enumerated() {
                if remaining == 0 {
                    var entries = entries
                    entries.remove(at: index)
                    return .map(entries, location)
                }
                remaining -= 1
                if let reduced = entry.value.removing(&remaining) {
                    var entries = entries
                    entries[index].value = reduced
                    return .map(entries, location)
                }
            }
            return nil
        }
    }
}

/// Rounder numbers for a meter value: 1, then the value with one significant digit, then its whole part
/// (none for 0).
enum Rounding {
    /// The same for an exact decimal (a unit amount or a flat fee).
    static func simpler(than value: ExactDecimal) -> [ExactDecimal] {
        simpler(than: value.description).compactMap { ExactDecimal(parsing: $0) }
    }

    static func simpler(than value: String) -> [String] {
        guard value != "0" else { return [] }
        var candidates = ["1"]
        let whole = value.split(separator: ".", maxSplits: 1).first.map(String.init) ?? value
        if whole.count > 1, whole.allSatisfy(\.isNumber) {
            candidates.append(String(whole.first!) + String(repeating: "0", count: whole.count - 1))
        }
        if whole != value, !whole.isEmpty { candidates.append(whole) }
        return candidates.filter { $0 != value }
    }
}
