import BillingFuzzTargets
import BillingScenario
import Foundation
import Testing

/// Replays the fuzz corpus (Tests/FuzzCorpus/<target>/, seeds and every finding, minimized) as
/// ordinary tests, so a fixed crash stays fixed without a fuzzer build: a broken invariant is a
/// `fatalError` in the target, which fails the run.
struct FuzzCorpusTests {
    static let corpus = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().appendingPathComponent("FuzzCorpus")

    @Test(arguments: FuzzTarget.allCases)
    func corpusReplays(_ target: FuzzTarget) async throws {
        let directory = Self.corpus.appendingPathComponent(target.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(!files.isEmpty, "no corpus for \(target.rawValue)")
        for file in files {
            let bytes = try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))
            await target.run(bytes)
        }
    }

    /// The end-to-end target bills something: most of its corpus makes scenarios the loader accepts.
    @Test func endToEndCorpusMostlyLoads() throws {
        let directory = Self.corpus.appendingPathComponent(FuzzTarget.e2e.rawValue)
        let files = try FileManager.default.contentsOfDirectory(atPath: directory.path)
        var loaded = 0
        for file in files {
            let yaml = FuzzScenario(try [UInt8](Data(contentsOf: directory.appendingPathComponent(file)))).yaml
            if case .success = ScenarioLoader.load(yaml: yaml, path: "fuzz.yaml") { loaded += 1 }
        }
        #expect(loaded * 2 > files.count, "\(loaded) of \(files.count) e2e inputs load")
    }
}
