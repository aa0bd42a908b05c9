import BillingCore
import BillingDocument
import BillingScenario
import Foundation
import InvoiceDiff

/// The verdict on one scenario file.
public enum ScenarioStatus: String, Sendable, Hashable {
    /// Everything expected was produced.
    case passed
    /// The run differs from the expectations.
    case failed
    /// The file (or a usage file it names) is malformed; nothing ran.
    case invalid
    /// The run stopped on an engine or store error.
    case error
}

/// What running one scenario gave.
public struct ScenarioResult: Sendable {
    public var path: String
    public var name: String
    public var status: ScenarioStatus
    public var differences: [Difference]
    public var diagnostics: [Diagnostic]
    public var errorMessage: String?
    public var outcome: SimulationOutcome?
    /// Whether the scenario states any expectation at all.
    public var hasExpectations: Bool
    /// What the report says once about the expectations (``Expectation/notes``: Stripe fields not compared).
    public var notes: [String] = []
    /// The scenario's catalog, for the invoices in Stripe's shape (each line's product and unit amount).
    public var catalog: Catalog?

    public init(
        path: String, name: String, status: ScenarioStatus, differences: [Difference] = [], diagnostics: [Diagnostic] = [],
        errorMessage: String? = nil, outcome: SimulationOutcome? = nil, hasExpectations: Bool = true
    ) {
        self.path = path
        self.name = name
        self.status = status
        self.differences = differences
        self.diagnostics = diagnostics
        self.errorMessage = errorMessage
        self.outcome = outcome
        self.hasExpectations = hasExpectations
    }
}

/// The results of a run over several files.
public struct RunResult: Sendable {
    public var results: [ScenarioResult]

    public init(results: [ScenarioResult]) { self.results = results }

    public func count(_ status: ScenarioStatus) -> Int { results.filter { $0.status == status }.count }

    /// The counts of the results.
    public var summary: RunSummary {
        results.reduce(into: RunSummary()) { $0.add($1.status, hasExpectations: $1.hasExpectations) }
    }

    /// 0 when every scenario passed, 2 when a file is invalid, else 1.
    public var exitCode: Int32 { summary.exitCode }
}

/// How many scenarios ended each way: what a report's summary shows and what decides the exit status.
public struct RunSummary: Sendable, Hashable {
    public var passed = 0
    public var failed = 0
    public var invalid = 0
    public var errors = 0
    /// Passed without stating any expectation: nothing was checked.
    public var unchecked = 0

    public init() {}

    public var total: Int { passed + failed + invalid + errors }

    public mutating func add(_ status: ScenarioStatus, hasExpectations: Bool) {
        switch status {
        case .passed:
            passed += 1
            if !hasExpectations { unchecked += 1 }
        case .failed: failed += 1
        case .invalid: invalid += 1
        case .error: errors += 1
        }
    }

    /// 0 when every scenario passed, 2 when a file is invalid, else 1 (README, "Exit codes").
    public var exitCode: Int32 {
        if invalid > 0 { return 2 }
        if failed + errors > 0 { return 1 }
        return 0
    }
}

/// Scenario → engine over a store → invoices → diff.
public struct ScenarioRunner: Sendable {
    /// Makes a fresh store for one scenario run.
    public typealias StoreFactory = @Sendable () async throws -> any BillingStore

    let makeStore: StoreFactory
    /// Told how far each run has got, for a progress line (none: no progress is kept).
    let progress: ScenarioProgress?

    public init(makeStore: @escaping StoreFactory, progress: ScenarioProgress? = nil) {
        self.makeStore = makeStore
        self.progress = progress
    }

    /// Every `.yaml`/`.yml` file under the paths (files as given, folders recursively, each folder's
    /// files sorted), in the order of the paths. A path that does not exist is kept as it is, so that
    /// loading it reports it in its place (`no scenario file at …`) and the other paths still run.
    public static func discover(_ paths: [String]) -> [String] {
        var files: [String] = []
        let manager = FileManager.default
        for path in paths {
            var isDirectory: ObjCBool = false
            guard manager.fileExists(atPath: path, isDirectory: &isDirectory), isDirectory.boolValue else {
                files.append(path)
                continue
            }
            let base = path.hasSuffix("/") ? String(path.dropLast()) : path
            let found = (manager.enumerator(atPath: base)?.compactMap { $0 as? String } ?? [])
                .filter { $0.hasSuffix(".yaml") || $0.hasSuffix(".yml") }
                .sorted()
                .map { "\(base)/\($0)" }
            files += found
        }
        return files
    }

    /// Loads, runs and checks each file; one bad file never stops the others.
    ///
    /// - Parameters:
    ///   - filter: Only scenarios whose path or name contains this text.
    ///   - tags: Only scenarios tagged with every one of these. An invalid file is reported whatever
    ///     the tags (they cannot be read from it), so a broken file never goes unnoticed.
    public func run(files: [String], filter: String? = nil, tags: [String] = []) async -> RunResult {
        var results: [ScenarioResult] = []
        for file in files {
            if let result = await run(file: file, filter: filter, tags: tags) { results.append(result) }
        }
        return RunResult(results: results)
    }

    /// Loads, runs and checks one file; `nil` when `filter` or `tags` leave it out (see `run(files:filter:tags:)`).
    public func run(file: String, filter: String? = nil, tags: [String] = []) async -> ScenarioResult? {
        switch ScenarioLoader.load(path: file) {
        case .failure(let error):
            if let filter, !file.contains(filter) { return nil }
            return ScenarioResult(path: file, name: file, status: .invalid, diagnostics: error.diagnostics)
        case .success(let scenario):
            if let filter, !file.contains(filter), !scenario.name.contains(filter) { return nil }
            if !tags.allSatisfy(scenario.tags.contains) { return nil }
            return await run(scenario)
        }
    }

    /// Runs one loaded scenario and compares the outcome with its expectations.
    public func run(_ scenario: Scenario) async -> ScenarioResult {
        var result = ScenarioResult(path: scenario.path, name: scenario.name, status: .passed)
        do {
            let outcome = try await simulate(scenario)
            result.outcome = outcome
            result.catalog = scenario.simulation.catalog
            result.notes = scenario.expectation.notes
            result.differences = Self.check(scenario.expectation, against: outcome, catalog: scenario.simulation.catalog)
            result.hasExpectations = scenario.expectation.isStated
            result.status = result.differences.isEmpty ? .passed : .failed
        } catch let error as ScenarioLoadError {
            result.status = .invalid
            result.diagnostics = error.diagnostics
        } catch {
            result.status = .error
            result.errorMessage = "\(error)"
        }
        return result
    }

    /// Runs the scenario's clock over a fresh store, closes the store, and returns what it produced.
    public func simulate(_ scenario: Scenario) async throws -> SimulationOutcome {
        try await withStore { store in
            try await reading(scenario) { source in try await BillingEngine(simulation: scenario.simulation, store: store).run(events: &source) }
        }
    }

    /// Runs the scenario as ``simulate(_:)`` does and keeps its usage, to re-rate variants from (``rerate(_:over:)``);
    /// `allReceived` is told the usage as soon as it is final (``BillingEngine/runKeepingUsage(events:allReceived:)``).
    public func simulateKeepingUsage(
        _ scenario: Scenario, allReceived: @escaping @Sendable (ReceivedUsage) -> Void = { _ in }
    ) async throws -> (outcome: SimulationOutcome, usage: ReceivedUsage) {
        try await withStore { store in
            try await reading(scenario) { source in
                try await BillingEngine(simulation: scenario.simulation, store: store).runKeepingUsage(events: &source, allReceived: allReceived)
            }
        }
    }

    /// `body` over the scenario's usage, opened; what it reads is reported to ``progress`` when there is one.
    func reading<Result>(_ scenario: Scenario, _ body: (inout any MeterEventSource) async throws -> Result) async throws -> Result {
        let opened = try UsageSources.open(scenario.usage).get()
        guard let progress else {
            var source: any MeterEventSource = opened
            return try await body(&source)
        }
        progress.begin(start: scenario.simulation.clockStart, until: scenario.simulation.clockUntil)
        var source: any MeterEventSource = ProgressEventSource(base: opened, progress: progress)
        return try await body(&source)
    }

    /// Runs `simulation` over usage another run received (`usage.fits(simulation)` must hold): its store
    /// keeps the invoices; no event is read again.
    public func rerate(_ simulation: Simulation, over usage: ReceivedUsage) async throws -> SimulationOutcome {
        try await withStore { store in try await BillingEngine(simulation: simulation, store: store, rerating: usage).rerate() }
    }

    /// `body` over a fresh store, closed afterwards whatever happens.
    func withStore<Result>(_ body: (any BillingStore) async throws -> Result) async throws -> Result {
        let store = try await makeStore()
        do {
            let result = try await body(store)
            try await store.close()
            return result
        } catch {
            try? await store.close()
            throw error
        }
    }

    /// Every difference between the expectations and the outcome.
    /// `catalog` gives the lines' products when an expected invoice is in Stripe's shape.
    public static func check(_ expectation: Expectation, against outcome: SimulationOutcome, catalog: Catalog?) -> [Difference] {
        var differences: [Difference] = []
        if let count = expectation.invoiceCount, count != outcome.invoices.count {
            differences.append(
                Difference(path: "invoice_count", expected: "\(count)", actual: "\(outcome.invoices.count)", location: expectation.location))
        }
        if let invoices = expectation.invoices {
            differences += InvoiceDiff.compare(invoices: invoices, with: outcome.invoices, catalog: catalog)
        }
        for (name, expected) in expectation.previews {
            guard let preview = outcome.previews[name] else {
                differences.append(Difference(path: "previews.\(name)", expected: "a preview", actual: "none recorded", location: expected.location))
                continue
            }
            differences += InvoiceDiff.compare(invoice: expected, with: preview, catalog: catalog, path: "previews.\(name)")
        }
        for (code, count, location) in expectation.meterEventErrors {
            let actual = outcome.usage.rejected[code] ?? 0
            if actual != count {
                differences.append(
                    Difference(path: "meter_event_errors.\(code.rawValue)", expected: "\(count)", actual: "\(actual)", location: location))
            }
        }
        if let late = expectation.lateEvents, late != outcome.usage.late {
            differences.append(Difference(path: "late_events", expected: "\(late)", actual: "\(outcome.usage.late)", location: expectation.location))
        }
        for (id, expected) in expectation.subscriptions {
            guard let snapshot = outcome.subscriptions.first(where: { $0.id == id }) else { continue }
            differences += InvoiceDiff.compare(expected, with: SubscriptionDocument.document(snapshot), path: "subscriptions.\(id)")
        }
        for (id, expected) in expectation.customers {
            guard let snapshot = outcome.customers.first(where: { $0.id == id }) else { continue }
            differences += InvoiceDiff.compare(expected, with: CustomerDocument.document(snapshot), path: "customers.\(id)")
        }
        for (id, expected) in expectation.creditGrants {
            guard let snapshot = outcome.creditGrants.first(where: { $0.id == id }) else { continue }
            differences += InvoiceDiff.compare(expected, with: CreditGrantDocument.document(snapshot), path: "credit_grants.\(id)")
        }
        return differences
    }
}

extension Expectation {
    /// Whether anything is expected at all.
    var isStated: Bool {
        invoices != nil || invoiceCount != nil || !previews.isEmpty || !meterEventErrors.isEmpty || lateEvents != nil
            || !subscriptions.isEmpty || !customers.isEmpty || !creditGrants.isEmpty
    }
}
