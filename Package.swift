// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "billsim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "billsim", targets: ["billsim"]),
        .library(name: "BillingCore", targets: ["BillingCore"]),
        .library(name: "BillingHarness", targets: ["BillingHarness"]),
        .library(name: "BillingStoreTesting", targets: ["BillingStoreTesting"]),
    ],
    traits: [
        .trait(
            name: "PostgreSQL",
            description: """
                The PostgreSQL store (postgres-nio): `--store postgres://…` and its tests. On by default; \
                `swift build --disable-default-traits` leaves postgres-nio out, most of a clean build's time.
                """),
        .default(enabledTraits: ["PostgreSQL"]),
    ],
    dependencies: [
        .package(url: "https://github.com/jpsim/Yams", exact: "6.2.2"),
        .package(url: "https://github.com/apple/swift-argument-parser", exact: "1.8.2"),
        .package(url: "https://github.com/groue/GRDB.swift", exact: "7.10.0"),
        .package(url: "https://github.com/vapor/postgres-nio", exact: "1.33.2"),
    ],
    targets: [
        // The pure billing core: money, calendar, catalog, usage, subscriptions, invoicing,
        // the test-clock engine and the storage protocol with its in-memory store.
        .target(name: "BillingCore"),
        // YAML scenarios (Yams) → validated core values, with file:line:col diagnostics.
        .target(name: "BillingScenario", dependencies: ["BillingCore", "InvoiceDiff", .product(name: "Yams", package: "Yams")]),
        // Structural, identity-keyed diff of expected against generated invoices.
        .target(name: "InvoiceDiff", dependencies: ["BillingCore"]),
        // ScenarioRunner: scenario → engine over a store → invoices → diff → RunResult.
        .target(name: "BillingHarness", dependencies: ["BillingCore", "BillingScenario", "InvoiceDiff"]),
        // Renderings of a RunResult (text, JSON).
        .target(name: "BillingReports", dependencies: ["BillingHarness", "BillingCore"]),
        // The one row encoding of invoices (tables, columns, encode and decode) that the SQL stores share; no database library.
        .target(name: "BillingStoreRows", dependencies: ["BillingCore"]),
        // The conformance suite every BillingStore must pass.
        .target(name: "BillingStoreTesting", dependencies: ["BillingCore"]),
        // BillingStore on SQLite (GRDB), in a file or in memory.
        .target(name: "BillingStoreSQLite", dependencies: ["BillingCore", "BillingStoreRows", .product(name: "GRDB", package: "GRDB.swift")]),
        // BillingStore on PostgreSQL (postgres-nio), one schema per run; empty without the PostgreSQL trait.
        .target(
            name: "BillingStorePostgres",
            dependencies: [
                "BillingCore", "BillingStoreRows",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]),
        // The composition root.
        .executableTarget(name: "billsim", dependencies: [
            "BillingCore", "BillingScenario", "BillingHarness", "BillingReports", "BillingStoreSQLite", "BillingStorePostgres",
            .product(name: "ArgumentParser", package: "swift-argument-parser"),
        ]),
        .testTarget(name: "BillingCoreTests", dependencies: ["BillingCore", "BillingStoreTesting"]),
        .testTarget(name: "BillingScenarioTests", dependencies: ["BillingScenario", "BillingCore"]),
        .testTarget(name: "InvoiceDiffTests", dependencies: ["InvoiceDiff", "BillingCore"]),
        .testTarget(
            name: "BillingHarnessTests",
            dependencies: ["BillingHarness", "BillingReports", "BillingCore", "BillingStoreSQLite", "BillingStorePostgres"]),
        // The codec's round trip, and both stores' real tables against its shape.
        .testTarget(
            name: "BillingStoreRowsTests",
            dependencies: [
                "BillingStoreRows", "BillingCore", "BillingStoreSQLite", "BillingStorePostgres", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]),
        .testTarget(name: "BillingStoreSQLiteTests", dependencies: ["BillingStoreSQLite", "BillingStoreTesting", "BillingCore"]),
        .testTarget(name: "BillingStorePostgresTests", dependencies: ["BillingStorePostgres", "BillingStoreTesting", "BillingCore"]),
        .testTarget(name: "billsimTests", dependencies: ["billsim"]),
    ],
    swiftLanguageModes: [.v6]
)
