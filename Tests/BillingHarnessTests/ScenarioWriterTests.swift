import BillingCore
import BillingHarness
import BillingScenario
import Foundation
import Testing

/// ScenarioWriter (what `billsim shrink` and the property tests print) writes scenario YAML that
/// loads back into the same scenario: every bundled scenario, written and reloaded, bills
/// byte-identically and checks its expectations the same way.
struct ScenarioWriterTests {
    @Test func everyBundledScenarioRoundTrips() async throws {
        let runner = ScenarioRunner(makeStore: { InMemoryBillingStore() })
        let files = try ScenarioRunner.discover([CrossStoreTests.root.appendingPathComponent("Scenarios").path])
        #expect(files.count >= 24)
        for file in files {
            let scenario = try ScenarioLoader.load(path: file).get()
            let text = ScenarioWriter.yaml(scenario, header: ["written back"])
            let reloaded = try #require(try? ScenarioLoader.load(yaml: text, path: file).get(), "\(file) does not load back:\n\(text)")
            let before = await runner.run(scenario)
            let after = await runner.run(reloaded)
            #expect(after.status == before.status, "\(file)")
            #expect(after.differences.map(\.description) == before.differences.map(\.description), "\(file)")
            #expect(after.outcome?.json == before.outcome?.json, "\(file)")
        }
    }

    @Test(arguments: [
        ("cus_1", "cus_1"), ("", "\"\""), ("two words", "\"two words\""), ("null", "\"null\""), ("-", "\"-\""), ("-334", "-334"),
        ("a: b", "\"a: b\""), ("12:00", "\"12:00\""), ("say \"hi\"\n", "\"say \\\"hi\\\"\\n\""), ("\u{1B}[31m", "\"\\u001b[31m\""),
    ])
    func quoting(text: String, written: String) {
        #expect(ScenarioWriter.quote(text) == written)
    }

    @Test func csvCellsAreQuotedWhenNeeded() {
        let event = MeterEvent(
            eventName: "tokens", timestamp: Instant(seconds: 0), identifier: "a,b", payload: ["stripe_customer_id": "cus_\"x\"", "value": "1"])
        #expect(
            UsageCSVWriter.csv([event])
                == "event_name,timestamp,identifier,received_at,payload.stripe_customer_id,payload.value\ntokens,1970-01-01T00:00:00Z,\"a,b\",,\"cus_\"\"x\"\"\",1\n"
        )
    }
}
