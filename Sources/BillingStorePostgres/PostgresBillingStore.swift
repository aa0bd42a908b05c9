#if PostgreSQL
    import BillingCore
    import BillingStoreRows
    import Foundation
    import PostgresNIO
    import Synchronization

    /// A ``BillingStore`` on PostgreSQL: one connection, one schema per run, COPY ingestion, aggregation in SQL.
    ///
    /// Each store creates its own schema (a generated unique name unless one is given), so parallel
    /// runs never see each other's data; ``close()`` drops it unless `keepSchema` was set. Events
    /// arrive through `COPY … FROM STDIN` under their integer (meter, customer) key (`usage_keys` names
    /// the pairs); values are exact `numeric`s summed by the server over an index on (key, timestamp,
    /// sequence) that carries the value, built by the first aggregate. Every value is a bound
    /// parameter or COPY data; the only identifier in SQL text is the validated, quoted schema name.
    /// Each call is bounded by `timeout` (building the index by ten times that), so a server that stops
    /// answering gives a ``PostgresStoreError`` naming the store, not a hang.
    public final class PostgresBillingStore: BillingStore {
        /// The environment variable the CLI (`--store postgres`) and the tests read a server URL from.
        public static let urlEnvironmentVariable = "BILLSIM_POSTGRES_URL"
        /// How long one store call may wait for the server before the connection is dropped.
        public static let defaultTimeout: Duration = .seconds(60)

        /// The store's URL without its password, as errors name it.
        public let url: String
        /// The schema holding this run's tables.
        public let schema: String
        /// Whether ``close()`` leaves the schema in place (for a look afterwards).
        public let keepSchema: Bool
        /// How long one call waits; tests shorten it after a slow setup (``PostgresBillingStore/connect(url:schema:keepSchema:timeout:)``).
        var timeout: Duration {
            get { timeoutLimit.withLock { $0 } }
            set { timeoutLimit.withLock { $0 = newValue } }
        }
        let timeoutLimit: Mutex<Duration>
        let connection: PostgresConnection
        let gate = Gate()
        let closed = Mutex(false)
        /// Whether a call past its deadline closed the connection (``PostgresConnection/closeNow()``): it is
        /// never closed again, as postgres-nio traps on a second close while the first is under way
        /// (`Invalid query state machine action in state: .closing`, seen in the frozen-server test).
        let abandoned = Mutex(false)
        /// Whether the events index exists: it is built by the first aggregate, after the bulk of the
        /// events (one sorted build is about twice as fast as updating the index row by row).
        let indexed = Mutex(false)
        /// The (meter, customer) pairs already in `usage_keys`.
        let keys = Mutex(UsageKeys())
        static let logger: Logger = {
            var logger = Logger(label: "billsim.postgres")
            logger.logLevel = .critical
            return logger
        }()

        init(url: String, schema: String, keepSchema: Bool, timeout: Duration, connection: PostgresConnection) {
            self.url = url
            self.schema = schema
            self.keepSchema = keepSchema
            self.timeoutLimit = Mutex(timeout)
            self.connection = connection
        }

        deinit {
            // Forgotten without close(): at least release the connection (the schema stays).
            if !closed.withLock({ $0 }), !abandoned.withLock({ $0 }) { Task { [connection] in try? await connection.close() } }
        }

        /// Connects to the server at `url`, creates the run's schema and tables, and returns the store.
        ///
        /// - Parameters:
        ///   - url: `postgres://user[:password]@host[:port]/database`, or `postgres://user@/database?host=/socket/dir`.
        ///   - schema: The schema to create (letters, digits, `_`; it must not exist yet); a unique `billsim_…` name when `nil`.
        ///   - keepSchema: Keep the schema and its tables when the store is closed.
        ///   - timeout: The longest one call (connect, ingest, aggregate, save, read) waits for the server.
        public static func connect(
            url: String, schema: String? = nil, keepSchema: Bool = false, timeout: Duration = defaultTimeout
        ) async throws -> PostgresBillingStore {
            let target = try PostgresURL(url)
            let schema = schema ?? generatedSchemaName()
            guard isValidSchemaName(schema) else {
                throw PostgresStoreError(
                    store: target.display,
                    message: "invalid schema name \"\(schema)\": use up to 63 letters, digits and _, not starting with a digit or pg_")
            }
            let connection: PostgresConnection
            do {
                connection = try await withDeadline(timeout, onTimeout: {}) {
                    let connection = try await PostgresConnection.connect(
                        configuration: target.configuration(connectTimeout: timeout), id: 1, logger: logger)
                    if Task.isCancelled {  // too late: the caller has given up
                        try? await connection.close()
                        throw CancellationError()
                    }
                    return connection
                }
            } catch {
                throw PostgresStoreError(store: target.display, message: "cannot connect: \(describe(error))")
            }
            let store = PostgresBillingStore(url: target.display, schema: schema, keepSchema: keepSchema, timeout: timeout, connection: connection)
            do {
                try await store.perform("creating schema \(schema)") { connection in
                    try await connection.transaction {
                        for statement in Schema.statements(schema: schema) { try await connection.run(statement) }
                    }
                }
            } catch {
                store.closed.withLock { $0 = true }
                await store.releaseConnection()
                throw error
            }
            return store
        }

        public func ingest(_ events: [RecordedMeterEvent]) async throws {
            guard !events.isEmpty else { return }
            // Once the index exists, rows grouped by (meter, customer) update it about twice as fast as interleaved ones.
            let order = indexed.withLock { $0 } ? events.indices.sorted { Self.indexOrder(events[$0], events[$1]) } : Array(events.indices)
            let fresh = keys.withLock { $0.new(in: events) }
            do {
                try await perform("ingesting \(events.count) events") { connection in
                    // New pairs and their events together, or neither.
                    try await connection.transaction {
                        if !fresh.isEmpty { try await connection.run(Schema.insertKeys(fresh)) }
                        try await connection.copy(order.lazy.map { events[$0] }, into: "meter_events", columns: Schema.eventColumns) {
                            $0.writeCopyRow($1)
                        }
                    }
                }
            } catch {
                keys.withLock { $0.forget(fresh) }
                throw error
            }
        }

        public func aggregate(_ queries: [UsageQuery]) async throws -> [Decimal12] {
            guard !queries.isEmpty else { return [] }
            try await createIndexIfNeeded()
            let what =
                queries.count == 1 ? "\(queries[0].formula) of \(queries[0].meter) for \(queries[0].customer)" : "\(queries.count) usage queries"
            return try await perform("aggregating \(what)") { connection in
                // One statement for the whole batch: each query's row, in order, as integer text of units of 10⁻¹².
                let rows = try await connection.query(Schema.aggregate(queries), logger: Self.logger).collect()
                guard rows.count == queries.count else {
                    throw UnexpectedResult(description: "\(rows.count) aggregates for \(queries.count) queries")
                }
                return try rows.map { row in try row.decode(String?.self).map { Decimal12(units: try Self.units($0)) } ?? .zero }
            }
        }

        public func save(_ invoices: [Invoice]) async throws {
            guard !invoices.isEmpty else { return }
            // Within the batch the last version of an id wins.
            let batch = InvoiceRows.latestVersions(invoices)
            let rows = InvoiceRows.rows(for: batch)
            let what = batch.count == 1 ? "invoice \(batch[0].id)" : "\(batch.count) invoices"
            try await perform("saving \(what)") { connection in
                try await connection.transaction {
                    // Lines and tiers go with the old rows (ON DELETE CASCADE).
                    try await connection.run("DELETE FROM invoices WHERE id = ANY(\(batch.map(\.id)))")
                    for table in InvoiceRows.shapes where !rows[table].isEmpty {
                        try await connection.copy(rows[table], into: table.name, columns: table.columnNames) { $0.writeCopyRow($1) }
                    }
                }
            }
        }

        public func invoices() async throws -> [Invoice] {
            try await perform("reading invoices") { connection in
                func values(_ table: TableShape) async throws -> [[ColumnValue]] {
                    let rows = try await connection.query(PostgresQuery(unsafeSQL: table.selectStatement(.postgres)), logger: Self.logger).collect()
                    return try Schema.values(rows, table)
                }
                var rows = InvoiceRows.Rows()
                rows.invoices = try await values(InvoiceRows.invoices.shape)
                rows.lines = try await values(InvoiceRows.lines.shape)
                rows.tiers = try await values(InvoiceRows.tiers.shape)
                rows.discounts = try await values(InvoiceRows.discounts.shape)
                rows.taxes = try await values(InvoiceRows.taxes.shape)
                rows.credits = try await values(InvoiceRows.credits.shape)
                return try InvoiceRows.invoices(from: rows)
            }
        }

        /// Drops the schema (unless `keepSchema`) and closes the connection; later calls throw.
        public func close() async throws {
            guard !closed.withLock({ $0 }) else { return }
            var failure: (any Error)?
            if keepSchema {
                do {
                    try await createIndexIfNeeded()
                } catch {
                    failure = error
                }
            } else {
                let schema = self.schema
                do {
                    try await perform("dropping schema \(schema)") { connection in
                        try await connection.run("DROP SCHEMA \(unescaped: Schema.quoted(schema)) CASCADE")
                    }
                } catch {
                    failure = error
                }
            }
            closed.withLock { $0 = true }
            await releaseConnection()
            if let failure { throw failure }
        }

        /// Closes the connection unless a call past its deadline already did (see ``abandoned``).
        func releaseConnection() async {
            if !abandoned.withLock({ $0 }) { try? await connection.close() }
        }

        /// The server URL in `BILLSIM_POSTGRES_URL`, or an error saying how to get one.
        public static func environmentURL(_ environment: [String: String] = ProcessInfo.processInfo.environment) throws -> String {
            guard let url = environment[urlEnvironmentVariable], !url.isEmpty else {
                throw PostgresStoreError(
                    store: "$\(urlEnvironmentVariable)",
                    message:
                        "not set: start a throwaway server with eval \"$(Scripts/pg-start)\" (Scripts/test does it for the tests) or give a postgres://user@host:port/database URL"
                )
            }
            return url
        }

        /// Runs `body` alone on the connection within `timeout` (the store's by default); any failure becomes a ``PostgresStoreError``.
        func perform<T: Sendable>(
            _ operation: String, timeout: Duration? = nil, _ body: @escaping @Sendable (PostgresConnection) async throws -> T
        ) async throws -> T {
            await gate.acquire()
            defer { gate.release() }
            guard !closed.withLock({ $0 }) else {
                throw PostgresStoreError(store: url, message: "\(operation): the store is closed")
            }
            let connection = self.connection
            // postgres-nio queues work on a dead connection until the deadline: fail at once instead.
            guard !connection.isClosed, !abandoned.withLock({ $0 }) else {
                throw PostgresStoreError(store: url, message: "\(operation): the connection to the server is closed")
            }
            do {
                return try await withDeadline(
                    timeout ?? self.timeout,
                    onTimeout: { [self] in
                        abandoned.withLock { $0 = true }
                        connection.closeNow()
                    }, abandonWhen: { connection.isClosed }
                ) {
                    try await body(connection)
                }
            } catch let overflow as AmountOverflow {
                throw overflow  // the same typed error every store throws for a usage sum past 128 bits
            } catch {
                throw PostgresStoreError(store: url, message: "\(operation): \(Self.describe(error))")
            }
        }

        /// Builds the events index and vacuums the events unless that is done (checked again inside
        /// ``perform(_:timeout:_:)``, so never twice at once), allowing ten times the store's timeout.
        func createIndexIfNeeded() async throws {
            guard !indexed.withLock({ $0 }) else { return }
            try await perform("building the events index and vacuuming", timeout: timeout * 10) { connection in
                guard !self.indexed.withLock({ $0 }) else { return }
                try await connection.run(Schema.createIndex)
                try await connection.run(Schema.vacuum)
                self.indexed.withLock { $0 = true }
            }
        }

        /// (key, timestamp, sequence) order: rows of one (meter, customer) together, as the index keeps them.
        static func indexOrder(_ a: RecordedMeterEvent, _ b: RecordedMeterEvent) -> Bool {
            (a.key, a.timestamp.seconds, a.sequence) < (b.key, b.timestamp.seconds, b.sequence)
        }

        /// The integer text of a value × 10¹² as ``Decimal12`` units; an integer beyond `Int128` (a sum
        /// too large) is ``AmountOverflow/usageSum``, as on every store.
        static func units(_ text: String) throws -> Int128 {
            guard let units = Int128(text) else {
                let digits = text.hasPrefix("-") ? text.dropFirst() : Substring(text)
                if !digits.isEmpty, digits.utf8.allSatisfy({ $0 >= UInt8(ascii: "0") && $0 <= UInt8(ascii: "9") }) { throw AmountOverflow.usageSum }
                throw UnexpectedResult(description: "not an integer: \(text)")
            }
            return units
        }

        /// `billsim_<unix time>_<random hex>`: unique per run, sortable by start time.
        static func generatedSchemaName() -> String {
            let random = String(UInt64.random(in: 0...UInt64.max) & 0xFFFF_FFFF_FFFF, radix: 16)
            return "billsim_\(Int(Date().timeIntervalSince1970))_\(random)"
        }

        /// Up to 63 ASCII letters, digits and `_`, not starting with a digit, not `pg_…` (reserved).
        static func isValidSchemaName(_ name: String) -> Bool {
            guard let first = name.utf8.first, name.utf8.count <= 63, !name.lowercased().hasPrefix("pg_") else { return false }
            let isLetter = { (byte: UInt8) in (byte | 0x20) >= UInt8(ascii: "a") && (byte | 0x20) <= UInt8(ascii: "z") || byte == UInt8(ascii: "_") }
            return isLetter(first) && name.utf8.allSatisfy { isLetter($0) || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains($0) }
        }

        /// A readable account of a postgres-nio error (its `description` deliberately says nothing).
        static func describe(_ error: any Error) -> String {
            switch error {
            case let error as PSQLError:
                if let info = error.serverInfo, let message = info[.message] {
                    let state = info[.sqlState].map { " \($0)" } ?? ""
                    let detail = info[.detail].map { " (\($0))" } ?? ""
                    return "server error\(state): \(message)\(detail)"
                }
                let underlying = error.underlying.map { ": \($0)" } ?? ""
                switch error.code {
                case .serverClosedConnection: return "the server closed the connection\(underlying)"
                case .clientClosedConnection: return "the connection is closed\(underlying)"
                case .connectionError: return "connection error\(underlying)"
                default: return "\(error.code)\(underlying)"
                }
            case PostgresError.connectionClosed, is ConnectionLost:
                return "the server closed the connection"
            case let error as DeadlineExceeded:
                let (seconds, attoseconds) = error.timeout.components
                let time = attoseconds == 0 ? "\(seconds) s" : "\(seconds * 1000 + attoseconds / 1_000_000_000_000_000) ms"
                return "no answer from the server within \(time) (connection closed)"
            case let error as PostgresStoreError:
                return error.message
            default:
                return "\(error)"
            }
        }
    }

    /// A PostgreSQL store failure, naming the store: `PostgreSQL store postgres://user@host:5432/db: what happened`.
    public struct PostgresStoreError: Error, Sendable, CustomStringConvertible {
        /// The store's URL, without a password.
        public var store: String
        public var message: String

        public init(store: String, message: String) {
            self.store = store
            self.message = message
        }

        public var description: String { "PostgreSQL store \(store): \(message)" }
    }

    /// A row the store cannot make sense of (a schema changed behind its back).
    struct UnexpectedResult: Error, CustomStringConvertible {
        var description: String
    }

    /// The server did not answer within the store's timeout.
    struct DeadlineExceeded: Error {
        var timeout: Duration
    }

    /// The connection closed under a call that then gave no answer of its own.
    struct ConnectionLost: Error {}

    /// Runs `body`; if it has not finished after `timeout`, calls `onTimeout` (which should make `body`
    /// give up, e.g. by closing its connection) and throws ``DeadlineExceeded`` at once. If `abandonWhen`
    /// turns true (the connection closed under `body`) and `body` has not reported its own error a
    /// second later, throws ``ConnectionLost`` without waiting for the deadline.
    ///
    /// `body` runs in a task of its own that is not waited for after the deadline: a postgres-nio call
    /// that never returns (a COPY write on a connection that died waits forever) cannot hang the caller.
    func withDeadline<T: Sendable>(
        _ timeout: Duration, onTimeout: @escaping @Sendable () -> Void, abandonWhen lost: @escaping @Sendable () -> Bool = { false },
        _ body: @escaping @Sendable () async throws -> T
    ) async throws -> T {
        let race = DeadlineRace<T>()
        return try await withTaskCancellationHandler {
            try await withCheckedThrowingContinuation { continuation in
                race.waiting.withLock { $0 = continuation }
                let work = Task {
                    let result: Result<T, any Error>
                    do { result = .success(try await body()) } catch { result = .failure(error) }
                    race.timer.withLock { $0 }?.cancel()
                    race.finish(result)
                }
                race.timer.withLock {
                    $0 = Task {
                        let clock = ContinuousClock()
                        let deadline = clock.now + timeout
                        var lostSince: ContinuousClock.Instant?
                        while !Task.isCancelled, clock.now < deadline {
                            try? await Task.sleep(for: min(.milliseconds(100), deadline - clock.now))
                            if lostSince == nil, lost() { lostSince = clock.now }
                            if let lostSince, clock.now - lostSince >= .seconds(1) {
                                race.finish(.failure(ConnectionLost())) { work.cancel() }
                                return
                            }
                        }
                        if !Task.isCancelled {
                            race.finish(.failure(DeadlineExceeded(timeout: timeout))) {
                                work.cancel()
                                onTimeout()
                            }
                        }
                    }
                }
            }
        } onCancel: {
            race.timer.withLock { $0 }?.cancel()
            race.finish(.failure(CancellationError()))
        }
    }

    /// The shared state of ``withDeadline(_:onTimeout:_:)``: whoever finishes first resumes the caller.
    final class DeadlineRace<T: Sendable>: Sendable {
        let waiting = Mutex<CheckedContinuation<T, any Error>?>(nil)
        let timer = Mutex<Task<Void, Never>?>(nil)

        /// Resumes the caller with `result` (after running `before`) unless someone already did; whether it did.
        @discardableResult
        func finish(_ result: Result<T, any Error>, before: () -> Void = {}) -> Bool {
            guard let continuation = waiting.withLock({ $0.take() }) else { return false }
            before()
            continuation.resume(with: result)
            return true
        }
    }

    /// A first-come, first-served async lock: one store call at a time on the connection.
    final class Gate: Sendable {
        private let state = Mutex<(busy: Bool, waiters: [CheckedContinuation<Void, Never>])>((false, []))

        func acquire() async {
            await withCheckedContinuation { (continuation: CheckedContinuation<Void, Never>) in
                let now = state.withLock { state in
                    if state.busy {
                        state.waiters.append(continuation)
                        return false
                    }
                    state.busy = true
                    return true
                }
                if now { continuation.resume() }
            }
        }

        func release() {
            let next = state.withLock { state -> CheckedContinuation<Void, Never>? in
                if state.waiters.isEmpty {
                    state.busy = false
                    return nil
                }
                return state.waiters.removeFirst()
            }
            next?.resume()
        }
    }

    extension PostgresConnection {
        /// Closes the channel without waiting: pending queries fail at once.
        func closeNow() {
            let _: EventLoopFuture<Void> = close()
        }

        /// Runs a statement and discards its rows.
        func run(_ query: PostgresQuery) async throws {
            try await self.query(query, logger: PostgresBillingStore.logger)
        }

        /// Runs `body` between BEGIN and COMMIT; rolls back if it throws.
        func transaction(_ body: () async throws -> Void) async throws {
            try await run("BEGIN")
            do {
                try await body()
                try await run("COMMIT")
            } catch {
                try? await run("ROLLBACK")
                throw error
            }
        }

        /// Streams `rows` into `table` through `COPY … FROM STDIN`, each written by `write` in COPY text format.
        func copy<Rows: Sequence>(
            _ rows: Rows, into table: String, columns: [String], row write: (inout ByteBuffer, Rows.Element) -> Void
        ) async throws {
            try await copyFrom(table: table, columns: columns, logger: PostgresBillingStore.logger) { writer in
                let chunk = 1 << 20
                var buffer = ByteBufferAllocator().buffer(capacity: chunk + 4096)
                for row in rows {
                    write(&buffer, row)
                    if buffer.readableBytes >= chunk {
                        try await writer.write(buffer)
                        buffer = ByteBufferAllocator().buffer(capacity: chunk + 4096)
                    }
                }
                if buffer.readableBytes > 0 { try await writer.write(buffer) }
            }
        }
    }
#endif
