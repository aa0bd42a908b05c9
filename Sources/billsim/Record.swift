import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import Foundation

/// `billsim run --record`: each scenario's generated invoices (and previews) written, for review,
/// into `NAME.expected.yaml` beside it, which the scenario references with
/// `expect: { file: NAME.expected.yaml }` (added at the end of a scenario that has no `expect`).
/// A scenario with its expectations written inline is left alone (an error), and nothing is recorded
/// where the `CI` environment variable is set: CI checks expectations, it never writes them.
enum Record {
    /// `Scenarios/x.yaml` → `x.expected.yaml` (the name the scenario writes; the file is beside it).
    static func expectedName(_ path: String) -> String {
        var name = URL(fileURLWithPath: path).lastPathComponent
        for suffix in [".yaml", ".yml"] where name.hasSuffix(suffix) { name.removeLast(suffix.count) }
        return name + ".expected.yaml"
    }

    /// The expectations file's text: `invoice_count`, `invoices` and `previews` as JSON (which is YAML).
    static func expectations(invoices: [DocumentValue], previews: [(String, DocumentValue)]) -> String {
        var out = "# Recorded by `billsim run --record` from the generated invoices: review every figure before committing.\n"
        out += "invoice_count: \(invoices.count)\n"
        out += "invoices: \(DocumentValue.list(invoices).json(pretty: true, indent: "  "))\n"
        if !previews.isEmpty { out += "previews: \(DocumentValue.object(previews).json(pretty: true, indent: "  "))\n" }
        return out
    }

    /// Records every file; returns the problems (one line each) of those it could not record.
    static func record(_ files: [String], store: StoreRequest) async -> [String] {
        var problems: [String] = []
        for file in files {
            let shown = TerminalText.escaped(file, limit: nil)
            let scenario: Scenario
            switch ScenarioLoader.load(path: file) {
            case .success(let loaded): scenario = loaded
            case .failure(let error):
                problems.append(error.description)
                continue
            }
            let name = expectedName(file)
            let referenced = scenario.expectation.location.file != scenario.path
            guard let text = try? String(contentsOfFile: file, encoding: .utf8) else { continue }
            let inline = !referenced && text.split(separator: "\n").contains { $0.hasPrefix("expect:") }
            if inline {
                problems.append(
                    "error: \(shown): its expectations are written inline; --record writes \(name) beside it: replace `expect` with `expect: { file: \(name) }` to record"
                )
                continue
            }
            if referenced, URL(fileURLWithPath: scenario.expectation.location.file).lastPathComponent != name {
                problems.append("error: \(shown): expect.file names \(TerminalText.escaped(scenario.expectation.location.file)), not \(name)")
                continue
            }
            do {
                let runner = ScenarioRunner(makeStore: try StoreRegistry.factory(for: store))
                let outcome = try await runner.simulate(scenario)
                let recorded = expectations(
                    invoices: outcome.invoices.map(InvoiceDocument.document),
                    previews: outcome.previews.sorted { $0.key < $1.key }.map { ($0.key, InvoiceDocument.document($0.value)) })
                let folder = URL(fileURLWithPath: file).deletingLastPathComponent()
                try recorded.write(to: folder.appendingPathComponent(name), atomically: true, encoding: .utf8)
                if !referenced {
                    try (text + (text.hasSuffix("\n") ? "" : "\n") + "expect: { file: \(name) }\n").write(
                        toFile: file, atomically: true, encoding: .utf8)
                }
                printError("recorded \(shown): \(outcome.invoices.count) invoices in \(TerminalText.escaped(name)) (review before committing)")
            } catch {
                problems.append("error: \(shown): \(TerminalText.escaped("\(error)", limit: 500))")
            }
        }
        return problems
    }
}
