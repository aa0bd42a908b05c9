import BillingCore
import BillingHarness
import BillingStoreSQLite

#if PostgreSQL
    import BillingStorePostgres
#endif

/// What `--store` and `--keep-schema` asked for.
struct StoreRequest: Sendable {
    var value: String
    /// PostgreSQL: keep the run's schema instead of dropping it when the run ends.
    var keepSchema = false
}

/// Storage backends by the name `--store` uses. Adding one is one entry here; nothing else changes.
enum StoreRegistry {
    struct Backend {
        /// Whether this backend handles the `--store` value.
        let matches: @Sendable (String) -> Bool
        let make: @Sendable (StoreRequest) async throws -> any BillingStore
        let usage: String
        /// Why this build cannot use the backend, if it cannot (a package trait left it out).
        var missing: String? = nil
    }

    static let backends: [Backend] = [
        Backend(matches: { $0 == "memory" }, make: { _ in InMemoryBillingStore() }, usage: "memory"),
        Backend(
            matches: { $0.hasPrefix("sqlite:") }, make: { request in try SQLiteBillingStore(path: String(request.value.dropFirst("sqlite:".count))) },
            usage: "sqlite:PATH, sqlite::memory:"),
        postgres,
    ]

    static var postgres: Backend {
        let matches: @Sendable (String) -> Bool = { $0 == "postgres" || $0.hasPrefix("postgres://") || $0.hasPrefix("postgresql://") }
        let usage = "postgres://USER@HOST:PORT/DB (or postgres: the URL in BILLSIM_POSTGRES_URL)"
        #if PostgreSQL
            return Backend(
                matches: matches,
                make: { request in
                    let url = request.value == "postgres" ? try PostgresBillingStore.environmentURL() : request.value
                    let store = try await PostgresBillingStore.connect(url: url, keepSchema: request.keepSchema)
                    if request.keepSchema { printError("billsim: the run's tables stay in PostgreSQL schema \(store.schema)") }
                    return store
                },
                usage: usage)
        #else
            let missing =
                "this billsim was built without the PostgreSQL trait: build it with the default traits (`swift build`) to use a PostgreSQL store"
            return Backend(matches: matches, make: { _ in throw CLIError(missing) }, usage: usage, missing: missing)
        #endif
    }

    static var usage: String { backends.map(\.usage).joined(separator: ", ") }

    /// The factory for a `--store` value, or a usage error naming the known stores.
    static func factory(for request: StoreRequest) throws -> ScenarioRunner.StoreFactory {
        guard let backend = backends.first(where: { $0.matches(request.value) }) else {
            throw CLIError("unknown store \"\(request.value)\" (known: \(usage))")
        }
        if let missing = backend.missing { throw CLIError(missing) }
        return { try await backend.make(request) }
    }
}

struct CLIError: Error, CustomStringConvertible {
    var description: String
    init(_ description: String) { self.description = description }
}
