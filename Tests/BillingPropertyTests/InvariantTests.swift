import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import BillingStoreSQLite
import Foundation
import PropertyBased
import Testing

#if PostgreSQL
    import BillingStorePostgres
#endif

/// Invariants of billing over generated catalogs, subscriptions and usage (issue 8). Each expected
/// value is computed here from the rules (Docs/ENGINE-RULES.md), not by the code under test; a
/// failing case is shrunk by PropertyBased and printed as scenario YAML.
@Suite struct InvariantTests {
    static let memory = ScenarioRunner(makeStore: { InMemoryBillingStore() })
    /// usd's minimum charge (ENGINE-RULES "Minimum charge"): 0.50 USD.
    static let minimumCharge: Int64 = 50

    static func outcome(_ scenario: Scenario, runner: ScenarioRunner = memory) async throws -> SimulationOutcome {
        try await runner.simulate(scenario)
    }

    /// Round half away from zero of `numerator / 100` for a non-negative numerator.
    static func centsFromHundredths(_ numerator: Int64) -> Int64 { (numerator + 50) / 100 }

    /// The metered line's amount from the tier table, in integers: per unit `q × u`; graduated, each
    /// slice at its tier's unit amount plus the flat fee of every tier reached (the first always);
    /// volume, the whole quantity at the unit amount of the tier that contains it (up_to inclusive)
    /// plus that tier's flat fee. Unit amounts are hundredths of a cent; rounded once per line.
    static func expectedAmount(_ generated: GeneratedScenario, quantity: Int64) -> Int64 {
        let specs = generated.tiers
        switch generated.scheme {
        case 0:
            return centsFromHundredths(quantity * specs[0].centiUnit)
        case 1:
            var lower: Int64 = 0
            var hundredths: Int64 = 0
            var flat: Int64 = 0
            for (index, tier) in specs.enumerated() {
                let upper = index == specs.count - 1 ? Int64.max : lower + tier.width
                if index == 0 || quantity > lower {
                    hundredths += (min(quantity, upper) - lower) * tier.centiUnit
                    flat += tier.flat
                }
                if quantity <= upper { break }
                lower = upper
            }
            return centsFromHundredths(hundredths) + flat
        default:
            var upper: Int64 = 0
            for (index, tier) in specs.enumerated() {
                upper += tier.width
                if quantity <= upper || index == specs.count - 1 { return centsFromHundredths(quantity * tier.centiUnit) + tier.flat }
            }
            preconditionFailure("no tiers")
        }
    }

    /// Totals add up: each invoice's subtotal and total are the sum of its lines; after the starting
    /// balance, amount due is what is owed (0 when under the minimum charge, which moves to the
    /// balance), the ending balance is the credit left (or that small debit), paid + remaining = due;
    /// each customer's first invoice starts from the customer's balance and each next finalized one
    /// from the previous one's ending balance. Every line's amount is its quantity rated from the tier
    /// table (licensed: quantity × unit amount).
    @Test func invoiceTotalsAreTheirLinesAfterTheBalance() async {
        await propertyCheck(count: 200, input: GeneratedScenario.generator) { generated in
            let outcome = try await Self.outcome(generated.scenario())
            var balances = Dictionary(
                uniqueKeysWithValues: generated.customers.indices.map { (generated.customerID($0), generated.customers[$0].balance) })
            for invoice in outcome.invoices.sorted(by: {
                ($0.finalizedAt ?? .init(seconds: .max), $0.number) < ($1.finalizedAt ?? .init(seconds: .max), $1.number)
            }) {
                let document = InvoiceDocument.document(invoice)
                guard case .list(let lines) = document["lines"] else {
                    Issue.record("\(invoice.id) has no lines")
                    continue
                }
                let sum = lines.reduce(Int64(0)) { sum, line in sum + (line["amount"].flatMap(Self.money) ?? 0) }
                #expect(document["subtotal"].flatMap(Self.money) == sum, "\(invoice.id)")
                #expect(document["total"].flatMap(Self.money) == sum, "\(invoice.id)")
                for line in invoice.lines where !line.proration {
                    let quantity = line.quantity.int64 ?? -1
                    let expected = line.metered ? Self.expectedAmount(generated, quantity: quantity) : quantity * generated.licensed
                    #expect(line.amount == expected, "\(invoice.id) \(line.price) × \(line.quantity)")
                }
                guard invoice.status != .draft else { continue }
                let starting = document["starting_balance"].flatMap(Self.money) ?? -1
                #expect(starting == balances[invoice.customer], "\(invoice.id) starting balance")
                let owed = sum + starting
                let small = owed > 0 && owed < Self.minimumCharge
                let due = small ? 0 : max(0, owed)
                let ending = small ? owed : min(0, owed)
                #expect(document["amount_due"].flatMap(Self.money) == due, "\(invoice.id) amount_due")
                #expect(document["ending_balance"].flatMap(Self.money) == ending, "\(invoice.id) ending_balance")
                let paid = document["amount_paid"].flatMap(Self.money) ?? -1
                #expect(paid + (document["amount_remaining"].flatMap(Self.money) ?? -1) == due, "\(invoice.id) paid + remaining")
                balances[invoice.customer] = ending
            }
        }
    }

    /// Graduated amounts never decrease as the quantity grows, and a volume price is its tier's unit
    /// amount × quantity + flat fee (the tier found here from the table: the first whose inclusive
    /// up_to holds the quantity, else the last). Quantities are often a tier's bound or next to one.
    @Test func graduatedGrowsAndVolumeIsOneTier() async {
        await propertyCheck(
            count: 300, input: GeneratedScenario.generator, Gen.int64(in: 0...20_000), Gen.int64(in: 0...20_000), Gen.int(in: 0...30)
        ) { generated, first, second, pick in
            let bounds = generated.priceTiers.compactMap(\.upTo).flatMap { [$0 - 1, $0, $0 + 1] }
            let near = bounds.isEmpty ? first : bounds[pick % bounds.count]
            let (low, high) = (min(near, second), max(near, second))
            let tiers = generated.priceTiers
            for quantity in [low, high] {
                var volume = generated
                volume.scheme = 2
                #expect(
                    (try? Rating.rate(.volume(tiers), quantity: ExactDecimal(quantity)).amount) == Self.expectedAmount(volume, quantity: quantity),
                    "volume × \(quantity)")
                var graduated = generated
                graduated.scheme = 1
                #expect(
                    (try? Rating.rate(.graduated(tiers), quantity: ExactDecimal(quantity)).amount)
                        == Self.expectedAmount(graduated, quantity: quantity),
                    "graduated × \(quantity)")
            }
            #expect(
                (try? Rating.rate(.graduated(tiers), quantity: ExactDecimal(low)).amount) ?? .max
                    <= (try? Rating.rate(.graduated(tiers), quantity: ExactDecimal(high)).amount) ?? .min)
        }
    }

    /// Usage conservation, on a `count` meter (each event weighs 1): every accepted event is in exactly
    /// one metered line's quantity, counted late, or in the period still open when the clock stops
    /// (monthly periods from each subscription's creation). Every event received is accepted here.
    /// Every customer has a card, so no subscription expires unpaid (its usage would be billed nowhere).
    @Test func everyAcceptedEventIsBilledLateOrPending() async {
        let generator = GeneratedScenario.generator.map { original in
            var generated = original
            generated.countMeter = true
            for index in generated.customers.indices { generated.customers[index].hasCard = true }
            return generated
        }
        await propertyCheck(count: 200, input: generator) { generated in
            let outcome = try await Self.outcome(generated.scenario())
            let received = generated.meterEvents.filter { $0.arrival <= generated.until }
            #expect(outcome.usage.received == received.count)
            #expect(outcome.usage.accepted == received.count && outcome.usage.rejectedTotal == 0)
            var pending = 0
            for event in received {
                let index = Int(event.payload["stripe_customer_id"]!.dropFirst(4))! - 1
                // The open period starts at the last monthly boundary (same day of the month) by clock.until.
                var openStart = generated.created(index)
                for months in 1...4 {
                    let boundary = Instant(year: 2026, month: 1 + months, day: generated.customers[index].createdDay)
                    if boundary <= generated.until { openStart = boundary }
                }
                if event.timestamp >= openStart { pending += 1 }
            }
            let billed = outcome.invoices.flatMap(\.lines).filter(\.metered).reduce(Int64(0)) { $0 + ($1.quantity.int64 ?? 0) }
            #expect(
                Int(billed) + outcome.usage.late + pending == outcome.usage.accepted,
                "billed \(billed), late \(outcome.usage.late), pending \(pending)")
        }
    }

    /// Splitting the usage into two `events` streams, into two CSV files, or swapping the two streams
    /// (ties in `received_at` then merge the other way) changes no invoice.
    @Test func splittingOrReorderingStreamsChangesNoInvoice() async throws {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-props-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        await propertyCheck(count: 100, input: GeneratedScenario.generator, Gen.bool().array(of: 60)) { generated, mask in
            let events = generated.meterEvents
            let whole = try await Self.outcome(generated.scenario()).json
            let first = events.enumerated().filter { mask[$0.offset] }.map(\.element)
            let second = events.enumerated().filter { !mask[$0.offset] }.map(\.element)
            let split = try await Self.outcome(generated.scenario(usage: [.events(first), .events(second)])).json
            #expect(split == whole, "two events streams")
            let swapped = try await Self.outcome(generated.scenario(usage: [.events(second), .events(first)])).json
            #expect(swapped == whole, "the two streams swapped")
            let files = try await Self.outcome(try Self.viaFiles(generated, [first, second], in: folder)).json
            #expect(files == whole, "two CSV files")
        }
    }

    /// Every store bills identically: memory, SQLite in memory, and PostgreSQL when BILLSIM_POSTGRES_URL is set.
    @Test func everyStoreBillsIdentically() async {
        var stores: [(String, ScenarioRunner)] = [("sqlite :memory:", ScenarioRunner(makeStore: { try SQLiteBillingStore(path: ":memory:") }))]
        #if PostgreSQL
            if let url = ProcessInfo.processInfo.environment["BILLSIM_POSTGRES_URL"], !url.isEmpty {
                stores.append(("postgres", ScenarioRunner(makeStore: { try await PostgresBillingStore.connect(url: url) })))
            }
        #endif
        let others = stores
        await propertyCheck(count: 100, input: GeneratedScenario.generator) { generated in
            let reference = try await Self.outcome(generated.scenario()).json
            for (name, runner) in others {
                #expect(try await Self.outcome(generated.scenario(), runner: runner).json == reference, "\(name) differs from memory")
            }
        }
    }

    /// The scenario written as YAML with each stream's events in a CSV file, loaded back.
    static func viaFiles(_ generated: GeneratedScenario, _ streams: [[MeterEvent]], in folder: URL) throws -> Scenario {
        let case_ = UUID().uuidString
        var usage: [UsageStream] = []
        for (index, events) in streams.enumerated() {
            let name = "\(case_)-\(index).csv"
            let sorted = events.enumerated().sorted { ($0.element.arrival, $0.offset) < ($1.element.arrival, $1.offset) }.map(\.element)
            try UsageCSVWriter.csv(sorted).write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
            usage.append(.file(path: name, format: .csv, location: SourceLocation(file: "", line: 1, column: 1)))
        }
        let path = folder.appendingPathComponent("\(case_).yaml").path
        return try ScenarioLoader.load(yaml: ScenarioWriter.yaml(generated.scenario(usage: usage)), path: path).get()
    }

    /// An amount of a document (`.money`), in minor units.
    static func money(_ value: DocumentValue) -> Int64? {
        if case .money(let amount, _) = value { return amount }
        return nil
    }
}
