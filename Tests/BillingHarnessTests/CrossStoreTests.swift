import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import BillingStoreSQLite
import Foundation
import Testing

#if PostgreSQL
    import BillingStorePostgres
#endif

/// Every bundled scenario billed on the memory, SQLite and PostgreSQL stores gives byte-identical
/// invoices, previews and usage reports (PostgreSQL: the server Scripts/test starts; left out of a
/// build without the PostgreSQL trait), and they equal the golden file recorded for it in `Golden/`
/// (recorded before the engine was restructured, so a refactoring that changes one cent fails here).
/// `BILLSIM_RECORD_GOLDEN=1 swift test --filter CrossStoreTests` records them anew; CI never does.
struct CrossStoreTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let golden = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Golden")
    static let recording = ProcessInfo.processInfo.environment["BILLSIM_RECORD_GOLDEN"] == "1"

    /// The golden file of a scenario: its path under `Scenarios/`, `/` as `_`, `.json`.
    static func goldenFile(for scenario: String) -> URL {
        let relative = scenario.replacingOccurrences(of: root.appendingPathComponent("Scenarios").path + "/", with: "")
        return golden.appendingPathComponent(relative.replacingOccurrences(of: "/", with: "_") + ".json")
    }

    /// The invoices, previews and usage counts of a run, as JSON.
    static func rendered(_ outcome: SimulationOutcome) -> String { outcome.json }

    #if PostgreSQL
        static func postgresURL() throws -> String {
            guard let url = ProcessInfo.processInfo.environment["BILLSIM_POSTGRES_URL"], !url.isEmpty else {
                throw EngineError("BILLSIM_POSTGRES_URL is not set: run the tests with Scripts/test, which starts a throwaway PostgreSQL")
            }
            return url
        }
    #endif

    @Test func everyBundledScenarioBillsIdenticallyOnEveryStore() async throws {
        #if PostgreSQL
            let url = try Self.postgresURL()
        #endif
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-cross-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var stores: [(name: String, make: ScenarioRunner.StoreFactory)] = [
            ("memory", { InMemoryBillingStore() }),
            ("sqlite file", { try SQLiteBillingStore(path: folder.appendingPathComponent("run.sqlite").path) }),
            ("sqlite :memory:", { try SQLiteBillingStore(path: ":memory:") }),
        ]
        #if PostgreSQL
            stores.append(("postgres", { try await PostgresBillingStore.connect(url: url) }))
        #endif
        let files = ScenarioRunner.discover([Self.root.appendingPathComponent("Scenarios").path])
        #expect(files.count >= 24)
        for file in files {
            let scenario = try ScenarioLoader.load(path: file).get()
            var reference: String?
            for (name, make) in stores {
                let output = Self.rendered(try await ScenarioRunner(makeStore: make).simulate(scenario))
                if let reference {
                    #expect(output == reference, "\(file) on \(name) differs from memory")
                } else {
                    reference = output
                    let goldenFile = Self.goldenFile(for: file)
                    if Self.recording {
                        try FileManager.default.createDirectory(at: Self.golden, withIntermediateDirectories: true)
                        try output.write(to: goldenFile, atomically: true, encoding: .utf8)
                    }
                    let recorded = try? String(contentsOf: goldenFile, encoding: .utf8)
                    #expect(recorded == output, "\(file) differs from its golden file \(goldenFile.lastPathComponent)")
                }
            }
        }
    }
}
