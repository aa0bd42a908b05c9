#if PostgreSQL
    import BillingCore
    import Foundation
    import PostgresNIO
    import Synchronization

    @testable import BillingStorePostgres

    /// What the PostgreSQL tests need and did not get.
    struct SetupError: Error, CustomStringConvertible {
        var description: String
    }

    /// The server of the test run: `BILLSIM_POSTGRES_URL`, which Scripts/test sets (never skipped when missing).
    func serverURL() throws -> String {
        guard let url = ProcessInfo.processInfo.environment[PostgresBillingStore.urlEnvironmentVariable], !url.isEmpty else {
            throw SetupError(
                description: "BILLSIM_POSTGRES_URL is not set: run the tests with Scripts/test (it starts a throwaway PostgreSQL), "
                    + "or eval \"$(Scripts/pg-start)\" first and Scripts/pg-stop afterwards")
        }
        return url
    }

    /// Runs `body` with stores made by `makeStore`, then closes every one of them (dropping their schemas).
    func withStores<T>(
        _ body: (@escaping @Sendable () async throws -> PostgresBillingStore) async throws -> T
    ) async throws -> T {
        let url = try serverURL()
        let opened = Mutex<[PostgresBillingStore]>([])
        let make: @Sendable () async throws -> PostgresBillingStore = {
            let store = try await PostgresBillingStore.connect(url: url)
            opened.withLock { $0.append(store) }
            return store
        }
        let result: Result<T, any Error>
        do { result = .success(try await body(make)) } catch { result = .failure(error) }
        for store in opened.withLock({ $0 }) { try await store.close() }
        return try result.get()
    }

    /// A cluster of a test's own (Scripts/pg-start), for tests that stop or freeze the server.
    struct ThrowawayCluster {
        /// The package root (this file is Tests/BillingStorePostgresTests/Support.swift).
        static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()

        var url: String
        var directory: String

        /// The unix-socket URL of the same server.
        var socketURL: String {
            let port = url.split(separator: ":").last!.split(separator: "/").first!
            return "postgres://postgres@/postgres?host=\(directory)&port=\(port)"
        }

        /// Starts a cluster, runs `body`, and always stops and deletes the cluster.
        static func with<T>(_ body: (ThrowawayCluster) async throws -> T) async throws -> T {
            let output = try await script("pg-start")
            func value(_ name: String) throws -> String {
                guard let line = output.split(separator: "\n").first(where: { $0.hasPrefix("export \(name)='") }) else {
                    throw SetupError(description: "Scripts/pg-start printed no \(name): \(output)")
                }
                return String(line.dropFirst("export \(name)='".count).dropLast())
            }
            let cluster = ThrowawayCluster(url: try value("BILLSIM_POSTGRES_URL"), directory: try value("BILLSIM_PG_DIR"))
            let result: Result<T, any Error>
            do { result = .success(try await body(cluster)) } catch { result = .failure(error) }
            try await script("pg-stop", cluster.directory)
            return try result.get()
        }

        /// Stops the server at once (as a crash or an operator would).
        func stop() async throws { try await Self.script("pg-stop", directory) }

        /// Runs `Scripts/NAME ARGUMENTS…` and returns its standard output; throws when it fails.
        ///
        /// posix_spawn and waitpid on a thread of its own: Foundation's `Process.waitUntilExit()` was seen
        /// to miss the exit of pg-start (whose server outlives it) and wait forever.
        @discardableResult
        static func script(_ name: String, _ arguments: String...) async throws -> String {
            let output = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-pg-script-\(UInt64.random(in: 0...UInt64.max))").path
            defer { try? FileManager.default.removeItem(atPath: output) }
            let quoted = ([root.appendingPathComponent("Scripts/\(name)").path] + arguments).map {
                "'" + $0.replacingOccurrences(of: "'", with: "'\\''") + "'"
            }
            let command = quoted.joined(separator: " ") + " > '\(output)'"
            let status = await withCheckedContinuation { (continuation: CheckedContinuation<Int32, Never>) in
                Thread.detachNewThread {
                    let words: [String] = ["/bin/bash", "-c", command]
                    let argv: [UnsafeMutablePointer<CChar>?] = words.map { strdup($0) } + [nil]
                    defer { argv.forEach { free($0) } }
                    var pid = pid_t()
                    guard posix_spawn(&pid, "/bin/bash", nil, nil, argv, environ) == 0 else { return continuation.resume(returning: -1) }
                    var status: Int32 = 0
                    while waitpid(pid, &status, 0) == -1 && errno == EINTR {}
                    continuation.resume(returning: status)
                }
            }
            guard status == 0 else { throw SetupError(description: "Scripts/\(name) failed (wait status \(status))") }
            return (try? String(contentsOfFile: output, encoding: .utf8)) ?? ""
        }
    }

    extension PostgresConnection {
        /// The first column of the one row the query returns.
        func single<T: PostgresDecodable>(_ query: PostgresQuery, as type: T.Type) async throws -> T {
            let rows = try await self.query(query, logger: PostgresBillingStore.logger).collect()
            guard let value = try rows.first?.decode(T.self) else { throw SetupError(description: "no row from \(query.sql)") }
            return value
        }
    }

    /// An instant `seconds` after 2026-01-01T00:00:00Z.
    func at(_ seconds: Int64) -> Instant { Instant(seconds: 1_767_225_600 + seconds) }

    /// `count` events of `value` for one (meter, customer), a second apart, sequences from `firstSequence`.
    func events(_ count: Int, meter: String = "mtr_api", customer: String = "cus_a", key: Int = 0, value: String = "1", firstSequence: Int64 = 1)
        -> [RecordedMeterEvent]
    {
        let decimal = Decimal12(value)!
        return (0..<count).map { index in
            let sequence = firstSequence + Int64(index)
            return RecordedMeterEvent(
                meter: meter, customer: customer, key: key, timestamp: at(Int64(index)), sequence: sequence, value: decimal,
                identifier: "evt_\(sequence)")
        }
    }

    func query(
        _ formula: AggregationFormula, meter: String = "mtr_api", customer: String = "cus_a", key: Int = 0, from: Int64 = -86_400,
        to: Int64 = 400 * 86_400
    )
        -> UsageQuery
    {
        UsageQuery(meter: meter, customer: customer, key: key, formula: formula, period: Period(start: at(from), end: at(to)))
    }
#endif
