import Foundation
import GRDB
import Testing

/// A run killed with SIGKILL in the middle leaves the SQLite file consistent, and the same run
/// started again over that file bills exactly as a run on a fresh file (and as the memory store).
@Suite(.serialized) struct SQLiteFaultTests {
    /// A scenario big enough to be killed in the middle: `customers` subscriptions over three monthly
    /// cycles, each customer sending tiered usage with fractional values twice an hour (432,000 events for 100).
    static func scenario(customers: Int) -> String {
        var text = """
            name: SQLite fault test
            clock: { start: 2026-01-01T00:00:00Z, until: 2027-01-01T02:00:00Z }
            meters:
              - { id: mtr_tokens, display_name: Tokens, event_name: tokens, default_aggregation: { formula: sum } }
            products:
              - { id: prod_license, name: License }
              - { id: prod_usage, name: Usage }
            prices:
              - { id: price_license, product: prod_license, currency: usd, unit_amount: 10000, recurring: { interval: month, usage_type: licensed } }
              - id: price_usage
                product: prod_usage
                currency: usd
                billing_scheme: tiered
                tiers_mode: graduated
                tiers:
                  - { up_to: 1000, unit_amount_decimal: "0", flat_amount: 0 }
                  - { up_to: 50000, unit_amount_decimal: "0.4", flat_amount: 100 }
                  - { up_to: inf, unit_amount_decimal: "0.0333333", flat_amount: 0 }
                recurring: { interval: month, usage_type: metered, meter: mtr_tokens }
            customers:

            """
        for index in 0..<customers {
            text += "  - { id: cus_\(index), name: Customer \(index), currency: usd, invoice_settings: { default_payment_method: pm_card_visa } }\n"
        }
        text += "subscriptions:\n"
        for index in 0..<customers {
            text += """
                  - id: sub_\(index)
                    customer: cus_\(index)
                    created: 2026-01-01T00:00:00Z
                    items: [{ id: si_license_\(index), price: price_license, quantity: 1 }, { id: si_usage_\(index), price: price_usage }]

                """
        }
        text += """
            usage:
              - generate:
                  event_name: tokens
                  customers: all
                  from: 2026-01-01T00:00:00Z
                  to: 2027-01-01T00:00:00Z
                  arrivals: { kind: poisson, rate: 2/h }
                  value: { kind: uniform, min: 0, max: 2, decimals: 6 }
                  seed: 42

            """
        return text
    }

    /// Invoices in the file and whether each has all its lines and tiers.
    struct FileState {
        var invoices = 0
        var events = 0
        var halfWritten: [String] = []
        var integrity: [String] = []
    }

    static func state(of path: String) throws -> FileState {
        let database = try DatabaseQueue(path: path)
        defer { try? database.close() }
        return try database.read { db in
            var state = FileState()
            state.integrity = try String.fetchAll(db, sql: "PRAGMA integrity_check")
            state.invoices = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoices") ?? 0
            state.events = try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM meter_events") ?? 0
            // An invoice whose line count or total disagrees with its lines, or a line without its tiers.
            state.halfWritten = try String.fetchAll(
                db,
                sql: """
                    SELECT id FROM invoices i
                    WHERE line_count != (SELECT COUNT(*) FROM invoice_lines WHERE invoice_id = i.id)
                       OR total != (SELECT COALESCE(SUM(amount), 0) FROM invoice_lines WHERE invoice_id = i.id)
                    UNION
                    SELECT invoice_id FROM invoice_lines l WHERE price = 'price_usage'
                       AND NOT EXISTS (SELECT 1 FROM invoice_line_tiers t WHERE t.invoice_id = l.invoice_id AND t.line_position = l.position)
                    """)
            return state
        }
    }

    @Test func killedRunLeavesAConsistentFileAndRerunsIdentically() async throws {
        let customers = 100
        let folder = try CLI.temporaryFolder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let scenario = folder.appendingPathComponent("big.yaml").path
        try Self.scenario(customers: customers).write(toFile: scenario, atomically: true, encoding: .utf8)
        let killed = folder.appendingPathComponent("killed.sqlite").path

        // Start the run and kill it as soon as the first renewal invoices are being written.
        let process = Process()
        process.executableURL = CLI.binary
        process.arguments = ["invoices", scenario, "--store", "sqlite:\(killed)"]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        var seen = 0
        let deadline = Date().addingTimeInterval(300)
        while process.isRunning, Date() < deadline {
            try await Task.sleep(for: .milliseconds(5))
            guard FileManager.default.fileExists(atPath: killed + "-wal") else { continue }
            seen = (try? Self.count(killed)) ?? seen
            if seen > customers { break }
        }
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        try #require(process.terminationReason == .uncaughtSignal, "the run ended before it could be killed (\(seen) invoices seen)")

        let afterKill = try Self.state(of: killed)
        #expect(afterKill.integrity == ["ok"])
        #expect(afterKill.halfWritten.isEmpty, "half-written invoices: \(afterKill.halfWritten)")
        #expect(afterKill.invoices > customers && afterKill.events > 0)

        // The same run again over the killed file, on a fresh file, and in memory: identical invoices.
        let rerun = try CLI.run(["invoices", scenario, "--store", "sqlite:\(killed)"])
        let fresh = try CLI.run(["invoices", scenario, "--store", "sqlite:\(folder.appendingPathComponent("fresh.sqlite").path)"])
        let memory = try CLI.run(["invoices", scenario, "--store", "memory"])
        #expect(rerun.status == 0, "\(rerun.stderr)")
        #expect(fresh.status == 0, "\(fresh.stderr)")
        #expect(rerun.stdout == fresh.stdout)
        #expect(rerun.stdout == memory.stdout)
        let final = try Self.state(of: killed)
        #expect(final.integrity == ["ok"] && final.halfWritten.isEmpty)
        // A create invoice and twelve renewals per customer: the kill came before the run's end. (A year,
        // not a quarter: a quarter's run could end before the poll saw its first renewals on a quiet machine.)
        #expect(final.invoices == 13 * customers && afterKill.invoices < final.invoices)
    }

    /// The number of invoices in the file, read while the run writes it.
    static func count(_ path: String) throws -> Int {
        var configuration = Configuration()
        configuration.readonly = true
        let database = try DatabaseQueue(path: path, configuration: configuration)
        defer { try? database.close() }
        return try database.read { db in try Int.fetchOne(db, sql: "SELECT COUNT(*) FROM invoices") ?? 0 }
    }
}
