import BillingCore
import BillingScenario

/// Storage backends by the name `--store` uses. Adding one is one entry here; nothing else changes.
enum StoreRegistry {
    struct Backend {
        /// Whether this backend handles the `--store` value.
        let matches: @Sendable (String) -> Bool
        let make: @Sendable (String, Scenario) async throws -> any BillingStore
        let usage: String
    }

    static let backends: [Backend] = [
        Backend(matches: { $0 == "memory" }, make: { _, _ in InMemoryBillingStore() }, usage: "memory"),
    ]

    static var usage: String { backends.map(\.usage).joined(separator: ", ") }

    /// The factory for a `--store` value, or a usage error naming the known stores.
    static func factory(for value: String) throws -> @Sendable (Scenario) async throws -> any BillingStore {
        guard let backend = backends.first(where: { $0.matches(value) }) else {
            throw CLIError("unknown store \"\(value)\" (known: \(usage))")
        }
        return { scenario in try await backend.make(value, scenario) }
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
