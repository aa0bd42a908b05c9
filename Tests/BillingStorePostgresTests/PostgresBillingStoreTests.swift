#if PostgreSQL
    import BillingCore
    import BillingStoreTesting
    import Foundation
    import PostgresNIO
    import Synchronization
    import Testing

    @testable import BillingStorePostgres

    /// The shared conformance suite on PostgreSQL: one test per check, each store in its own schema.
    @Suite("PostgresBillingStore conformance")
    struct PostgresConformanceTests {
        @Test(arguments: BillingStoreConformance.checkNames)
        func check(_ name: String) async throws {
            try await withStores { makeStore in
                try await BillingStoreConformance(makeStore: { try await makeStore() }).run(name)
            }
        }
    }

    @Suite("PostgresBillingStore")
    struct PostgresBillingStoreTests {
        @Test func storesInSeparateSchemasDoNotSeeEachOther() async throws {
            try await withStores { makeStore in
                let first = try await makeStore()
                let second = try await makeStore()
                #expect(first.schema != second.schema)
                try await first.ingest(events(3, value: "2.5"))
                try await second.ingest(events(1, value: "-7"))
                #expect(try await first.aggregate(query(.sum)) == Decimal12("7.5")!)
                #expect(try await second.aggregate(query(.sum)) == Decimal12("-7")!)
                #expect(try await second.aggregate(query(.count)) == Decimal12(1))
                try await first.save(invoice(id: "in_first"))
                #expect(try await first.invoices().map(\.id) == ["in_first"])
                #expect(try await second.invoices().isEmpty)
            }
        }

        @Test func closeDropsTheSchemaUnlessKept() async throws {
            let url = try serverURL()
            let kept = "billsim_test_kept_\(UInt32.random(in: 0...UInt32.max))"
            let dropped = "billsim_test_dropped_\(UInt32.random(in: 0...UInt32.max))"
            let keeper = try await PostgresBillingStore.connect(url: url, schema: kept, keepSchema: true)
            #expect(keeper.schema == kept && keeper.keepSchema)
            try await keeper.ingest(events(2))
            try await keeper.save(invoice(id: "in_kept"))
            try await keeper.close()
            let dropper = try await PostgresBillingStore.connect(url: url, schema: dropped)
            try await dropper.close()

            let probe = try await PostgresBillingStore.connect(url: url)
            let counts = try await probe.perform("probing") { connection in
                (
                    try await connection.single("SELECT count(*) FROM pg_namespace WHERE nspname = \(kept)", as: Int64.self),
                    try await connection.single("SELECT count(*) FROM pg_namespace WHERE nspname = \(dropped)", as: Int64.self),
                    try await connection.single("SELECT count(*) FROM \(unescaped: Schema.quoted(kept)).meter_events", as: Int64.self),
                    try await connection.single("SELECT count(*) FROM \(unescaped: Schema.quoted(kept)).invoices", as: Int64.self),
                    // The events index is built on close when no aggregate built it.
                    try await connection.single(
                        "SELECT count(*) FROM pg_indexes WHERE schemaname = \(kept) AND indexname = 'meter_events_key_ts'", as: Int64.self),
                    // The pair the events' key stands for, as a person querying the schema joins it.
                    try await connection.single(
                        """
                        SELECT k.meter || ' ' || k.customer || ' ' || count(*) FROM \(unescaped: Schema.quoted(kept)).meter_events e
                        JOIN \(unescaped: Schema.quoted(kept)).usage_keys k USING (key) GROUP BY k.meter, k.customer
                        """, as: String.self)
                )
            }
            // A kept schema cannot be taken again by mistake.
            let error = await #expect(throws: PostgresStoreError.self) { try await PostgresBillingStore.connect(url: url, schema: kept) }
            #expect(error?.description.contains("already exists") == true, "\(String(describing: error))")
            try await probe.perform("dropping the kept schema") { connection in
                try await connection.run("DROP SCHEMA \(unescaped: Schema.quoted(kept)) CASCADE")
            }
            try await probe.close()
            #expect(counts == (1, 0, 2, 1, 1, "mtr_api cus_a 2"))
            // Closing twice is fine; a closed store refuses work.
            try await probe.close()
            await #expect(throws: PostgresStoreError.self) { try await probe.aggregate(query(.sum)) }
        }

        @Test func copyEscapesTabsNewlinesAndBackslashes() async throws {
            try await withStores { makeStore in
                let store = try await makeStore()
                let meter = "m\tetr\\N\n\\.\r"
                let customer = "\\.\n"
                var batch = events(2, meter: meter, customer: customer, value: "3")
                batch[0].identifier = "a\tb\nc\\d"
                try await store.ingest(batch)
                #expect(try await store.aggregate(query(.sum, meter: meter, customer: customer)) == Decimal12(6))
                // The texts read back byte for byte: the pair in usage_keys, the identifiers in meter_events.
                let stored = try await store.perform("reading back") { connection in
                    let pair = try await connection.single("SELECT meter || '|' || customer FROM usage_keys", as: String.self)
                    let identifiers = try await connection.query(
                        "SELECT identifier FROM meter_events ORDER BY seq", logger: PostgresBillingStore.logger
                    )
                    .collect().map { try $0.decode(String.self) }
                    return (pair, identifiers)
                }
                #expect(stored.0 == meter + "|" + customer)
                #expect(stored.1 == ["a\tb\nc\\d", "evt_2"])
            }
        }

        @Test func computedAmountsReadBackExactly() async throws {
            // Amounts of 38 significant digits below 1, and of 39 digits, as prorations produce.
            let amounts = [
                ExactDecimal(1).scaled(by: 1, over: 31), ExactDecimal(3).scaled(by: 1, over: 7000), ExactDecimal(123_456_789).scaled(by: 1, over: 7),
                -ExactDecimal(1).scaled(by: 2, over: 3),
            ]
            try await withStores { makeStore in
                let store = try await makeStore()
                var saved = invoice(id: "in_exact")
                saved.lines = try amounts.enumerated().map { index, amount in
                    try InvoiceLine(
                        id: "il_\(index)", price: "price", subscriptionItem: "si", description: "", period: Period(start: at(0), end: at(1)),
                        quantity: amount, rated: RatedAmount(exact: amount, transformedQuantity: amount), proration: true, metered: false)
                }
                try await store.save(saved)
                #expect(try await store.invoices() == [saved])
            }
        }

        @Test func manyEventsAggregateInSQL() async throws {
            try await withStores { makeStore in
                let store = try await makeStore()
                for batch in 0..<4 {
                    try await store.ingest(events(50_000, value: "0.000000000001", firstSequence: Int64(batch) * 50_000 + 1))
                }
                #expect(try await store.aggregate(query(.sum)) == Decimal12("0.0000002")!)
                #expect(try await store.aggregate(query(.count)) == Decimal12(200_000))
                #expect(try await store.aggregate(query(.last)) == Decimal12("0.000000000001")!)
            }
        }

        /// Malformed URLs, and the part of the error that says what is wrong.
        @Test(arguments: [
            ("not a url at all", "malformed URL"),
            ("mysql://user@127.0.0.1/db", "scheme must be postgres"),
            ("postgres://127.0.0.1/db", "no user name"),
            ("postgres://user@127.0.0.1", "no database name"),
            ("postgres://user@127.0.0.1:5432/", "no database name"),
            ("postgres://user@/db", "no host"),
            ("postgres://user@/db?host=relative/dir", "absolute socket directory"),
            ("postgres://user:hunter2@127.0.0.1/db?schema=x", "unsupported parameter schema"),
            ("postgres://user@127.0.0.1/db?port=abc", "not a number"),
        ])
        func malformedURL(_ url: String, _ reason: String) async throws {
            let error = await #expect(throws: PostgresStoreError.self) { try await PostgresBillingStore.connect(url: url) }
            let text = error?.description ?? ""
            #expect(text.hasPrefix("PostgreSQL store "), "\(text)")
            #expect(text.contains("malformed URL") && text.contains(reason), "\(text)")
            #expect(!text.contains("hunter2"), "the password leaks: \(text)")
        }

        @Test func urlForms() throws {
            let tcp = try PostgresURL("postgresql://alice:s%40cret@db.example:6543/billing")
            #expect(tcp.endpoint == .tcp(host: "db.example", port: 6543))
            #expect(tcp.username == "alice" && tcp.password == "s@cret" && tcp.database == "billing")
            #expect(tcp.display == "postgresql://alice:***@db.example:6543/billing")
            #expect(try PostgresURL("postgres://u@127.0.0.1/db").endpoint == .tcp(host: "127.0.0.1", port: 5432))
            #expect(try PostgresURL("postgres://u@[::1]:5433/db").endpoint == .tcp(host: "::1", port: 5433))
            #expect(try PostgresURL("postgres://u@/db?host=/tmp/pg&port=7000").endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.7000"))
            #expect(try PostgresURL("postgres://u@%2Ftmp%2Fpg/db").endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5432"))
            #expect(try PostgresURL("postgres://u@/db?host=/tmp/pg/.s.PGSQL.5432").endpoint == .unixSocket(path: "/tmp/pg/.s.PGSQL.5432"))
        }

        @Test(arguments: ["bad name", "x\"; DROP SCHEMA public; --", "1abc", "pg_catalog", "", String(repeating: "a", count: 64)])
        func invalidSchemaNamesAreRefusedBeforeConnecting(_ schema: String) async throws {
            // Port 9 (discard) on loopback: nothing is connected to, the name is refused first.
            let error = await #expect(throws: PostgresStoreError.self) {
                try await PostgresBillingStore.connect(url: "postgres://u@127.0.0.1:9/db", schema: schema)
            }
            #expect(error?.message.contains("invalid schema name") == true, "\(String(describing: error))")
        }

        @Test func missingServerURLSaysHowToGetOne() {
            let error = #expect(throws: PostgresStoreError.self) { try PostgresBillingStore.environmentURL([:]) }
            #expect(error?.description.contains("BILLSIM_POSTGRES_URL") == true)
            #expect(error?.description.contains("Scripts/pg-start") == true)
        }
    }

    /// A server that goes away or stops answering gives an error naming the store, within a bounded time.
    @Suite("PostgresBillingStore faults", .serialized)
    struct PostgresFaultTests {
        @Test(.timeLimit(.minutes(2)))
        func serverStoppedMidIngest() async throws {
            try await ThrowawayCluster.with { cluster in
                let store = try await PostgresBillingStore.connect(url: cluster.url, timeout: .seconds(20))
                let batches = Batches()
                let clock = ContinuousClock()
                // The failing call's error and when that call began and ended.
                let ingesting = Task {
                    for batch in 0..<10_000 {
                        let events = events(50_000, firstSequence: Int64(batch) * 50_000 + 1)
                        let began = clock.now
                        do {
                            try await store.ingest(events)
                        } catch {
                            return (error as (any Error)?, began, clock.now)
                        }
                        await batches.increment()
                    }
                    return (nil, clock.now, clock.now)
                }
                while await batches.count < 2 { try await Task.sleep(for: .milliseconds(5)) }
                try await cluster.stop()
                // The store's failing call is what is timed: from when the server is gone, or from when that call
                // began if later (stopping the server, the pg-stop script, took 12.5 s once on a loaded machine).
                let stopped = clock.now
                let (error, began, ended) = await ingesting.value
                let elapsed = ended - max(began, stopped)
                let description = "\(error.map { "\($0)" } ?? "no error")"
                #expect(error is PostgresStoreError, "\(description)")
                #expect(description.hasPrefix("PostgreSQL store \(cluster.url): ingesting 50000 events: "), "\(description)")
                // The store noticed the closed connection: its error is not the deadline's, and it came before the
                // deadline (20 s). A bound of 10 s failed twice on loaded CI machines with this debug build (13.6 s
                // timed from the server's stop, then 11.2 s timed as here, 2026-12-02).
                #expect(!description.contains("no answer from the server within"), "\(description)")
                #expect(elapsed < .seconds(20), "took \(elapsed)")
                // Later calls fail at once, naming the store.
                let later = clock.now
                let error2 = await #expect(throws: PostgresStoreError.self) { try await store.aggregate(query(.sum)) }
                #expect(error2?.description.hasPrefix("PostgreSQL store \(cluster.url): ") == true, "\(String(describing: error2))")
                #expect(error2?.description.hasSuffix(": the connection to the server is closed") == true, "\(String(describing: error2))")
                await #expect(throws: PostgresStoreError.self) { try await store.close() }
                #expect(clock.now - later < .seconds(2), "took \(clock.now - later)")
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func serverStoppedBeforeAnAggregate() async throws {
            try await ThrowawayCluster.with { cluster in
                let store = try await PostgresBillingStore.connect(url: cluster.url, timeout: .seconds(20))
                try await store.ingest(events(100))
                #expect(try await store.aggregate(query(.count)) == Decimal12(100))
                try await cluster.stop()
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: PostgresStoreError.self) { try await store.aggregate(query(.last)) }
                // Well before the 30 s deadline. Not 5 s: on 2 cores, the CPU-bound suites running beside this one
                // (property tests, shrinking, the fuzz corpus) can hold both cooperative threads for seconds (7.3 s seen).
                #expect(clock.now - start < .seconds(15), "took \(clock.now - start)")
                #expect(
                    error?.description.hasPrefix("PostgreSQL store \(cluster.url): aggregating last of mtr_api for cus_a: ") == true,
                    "\(String(describing: error))")
                try? await store.close()
            }
        }

        @Test(.timeLimit(.minutes(2)))
        func frozenServerTimesOut() async throws {
            try await ThrowawayCluster.with { cluster in
                // Over the unix socket this time.
                // Set up with a generous deadline (creating the schema took over 2 s in CI with the CPU-bound
                // suites beside it), then shorten it for the frozen call.
                let store = try await PostgresBillingStore.connect(url: cluster.socketURL, timeout: .seconds(30))
                try await store.ingest(events(10))
                #expect(try await store.aggregate(query(.count)) == Decimal12(10))  // builds the index before the freeze
                store.timeout = .seconds(2)
                let backend = try await store.perform("finding the backend") { connection in
                    try await connection.single("SELECT pg_backend_pid()", as: Int32.self)
                }
                // Freeze the store's server process: the connection stays open and nothing answers.
                kill(pid_t(backend), SIGSTOP)
                defer { kill(pid_t(backend), SIGCONT) }
                let clock = ContinuousClock()
                let start = clock.now
                let error = await #expect(throws: PostgresStoreError.self) { try await store.aggregate(query(.sum)) }
                #expect(clock.now - start < .seconds(8))
                #expect(
                    error?.description.hasPrefix("PostgreSQL store \(cluster.socketURL): aggregating sum") == true, "\(String(describing: error))")
                #expect(error?.description.contains("no answer from the server within 2 s") == true, "\(String(describing: error))")
            }
        }

        @Test(.timeLimit(.minutes(1)))
        func noServerAtTheAddress() async throws {
            // A port nothing listens on: a clear connection error naming the store, not a hang.
            let error = await #expect(throws: PostgresStoreError.self) {
                try await PostgresBillingStore.connect(url: "postgres://postgres@127.0.0.1:9/postgres", timeout: .seconds(5))
            }
            #expect(
                error?.description.hasPrefix("PostgreSQL store postgres://postgres@127.0.0.1:9/postgres: cannot connect: ") == true,
                "\(String(describing: error))")
        }
    }

    /// A counter the ingesting task and the test share.
    actor Batches {
        var count = 0
        func increment() { count += 1 }
    }

    /// The deadline that bounds every store call.
    @Suite("PostgresBillingStore deadline")
    struct DeadlineTests {
        /// A call whose connection closed under it and that never answers (as a COPY write on a dead
        /// connection can) fails a second after the close is seen, long before its deadline.
        @Test(.timeLimit(.minutes(1)))
        func aCallOnALostConnectionFailsWithoutWaitingForTheDeadline() async throws {
            let clock = ContinuousClock()
            let start = clock.now
            let error = await #expect(throws: ConnectionLost.self) {
                try await withDeadline(.seconds(30), onTimeout: {}, abandonWhen: { clock.now - start > .milliseconds(200) }) {
                    try await Task.sleep(for: .seconds(60))
                }
            }
            #expect(error != nil)
            // Well before the 30 s deadline. Not 5 s: on 2 cores, the CPU-bound suites running beside this one
            // (property tests, shrinking, the fuzz corpus) can hold both cooperative threads for seconds (7.3 s seen).
            #expect(clock.now - start < .seconds(15), "took \(clock.now - start)")
            #expect(PostgresBillingStore.describe(ConnectionLost()) == "the server closed the connection")
        }

        /// A call that answers on time is not affected, and one that does not answer times out.
        @Test(.timeLimit(.minutes(1)))
        func answersAndTimeouts() async throws {
            #expect(try await withDeadline(.seconds(30), onTimeout: {}) { 42 } == 42)
            let timedOut = Mutex(false)
            await #expect(throws: DeadlineExceeded.self) {
                try await withDeadline(.milliseconds(300), onTimeout: { timedOut.withLock { $0 = true } }) { try await Task.sleep(for: .seconds(60)) }
            }
            #expect(timedOut.withLock { $0 })
        }
    }

    /// A bare draft invoice.
    func invoice(id: String, number: Int = 1) -> Invoice {
        Invoice(
            id: id, number: number, customer: "cus_a", subscription: "sub_a", billingReason: .subscriptionCreate, currency: Currency(code: "usd")!,
            collectionMethod: .chargeAutomatically, created: at(0), periodStart: at(0), periodEnd: at(86_400), lines: [])
    }

    /// Opt-in ingest benchmark (release build): `BILLSIM_POSTGRES_BENCH_EVENTS=5000000`; prints events/s.
    @Suite("PostgresBillingStore benchmark")
    struct PostgresBenchmark {
        @Test(.enabled(if: ProcessInfo.processInfo.environment["BILLSIM_POSTGRES_BENCH_EVENTS"] != nil))
        func copyIngestRate() async throws {
            let total = Int(ProcessInfo.processInfo.environment["BILLSIM_POSTGRES_BENCH_EVENTS"] ?? "") ?? 5_000_000
            let customers = (0..<10_000).map { "cus_\($0)" }
            let values = ["1", "2.5", "0.000000000001", "17", "-3", "1234.5678"].map { Decimal12($0)! }
            try await withStores { makeStore in
                let store = try await makeStore()
                let clock = ContinuousClock()
                var sequence: Int64 = 0
                func ingest(upTo total: Int) async throws -> Duration {
                    var ingesting = Duration.zero
                    while sequence < total {
                        let batch = (0..<min(50_000, total - Int(sequence))).map { _ in
                            sequence += 1
                            let customer = Int(sequence % 10_000)
                            return RecordedMeterEvent(
                                meter: "mtr_api", customer: customers[customer], key: customer, timestamp: at(sequence / 2), sequence: sequence,
                                value: values[Int(sequence % 6)], identifier: "evt_\(sequence)")
                        }
                        let start = clock.now
                        try await store.ingest(batch)
                        ingesting += clock.now - start
                    }
                    return ingesting
                }
                func rate(_ count: Int, _ time: Duration) -> String {
                    let seconds = Double(time.components.seconds) + Double(time.components.attoseconds) / 1e18
                    return "\(count) events in \(seconds) s = \(Int(Double(count) / seconds)) events/s"
                }
                let bulk = try await ingest(upTo: total)
                let start = clock.now
                let sum = try await store.aggregate(query(.sum, customer: "cus_42", key: 42, to: Int64(total)))
                let firstAggregate = clock.now - start
                // After the first aggregate the index exists: later batches update it.
                let later = try await ingest(upTo: total + total / 5)
                print(
                    "BENCH bulk ingest: \(rate(total, bulk)); first aggregate (builds the index): \(firstAggregate) (sum \(sum)); "
                        + "ingest with the index: \(rate(total / 5, later))")
            }
        }
    }
#endif
