// swift-tools-version: 6.1
import PackageDescription

let package = Package(
    name: "billsim",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "billsim", targets: ["billsim"]),
        .library(name: "BillingCore", targets: ["BillingCore"]),
        .library(name: "BillingHarness", targets: ["BillingHarness"]),
        .library(name: "BillingCompare", targets: ["BillingCompare"]),
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
        .package(url: "https://github.com/x-sheep/swift-property-based", from: "2.0.1"),
    ],
    targets: [
        // The pure billing core: money, calendar, catalog, usage, subscriptions, invoicing,
        // the test-clock engine and the storage protocol with its in-memory store.
        .target(name: "BillingCore"),
        // The documents the other targets share: SourceLocation, diagnostics, expected values,
        // differences and the Stripe-shaped invoice document (a leaf: Scenario, Diff and Reports
        // import it, so none of them imports another for a shared type).
        .target(name: "BillingDocument", dependencies: ["BillingCore"]),
        // YAML scenarios (Yams) → validated core values, with file:line:col diagnostics.
        .target(name: "BillingScenario", dependencies: ["BillingCore", "BillingDocument", .product(name: "Yams", package: "Yams")]),
        // Structural, identity-keyed diff of expected against generated invoices.
        .target(name: "InvoiceDiff", dependencies: ["BillingCore", "BillingDocument"]),
        // ScenarioRunner: scenario → engine over a store → invoices → diff → RunResult.
        .target(name: "BillingHarness", dependencies: ["BillingCore", "BillingDocument", "BillingScenario", "InvoiceDiff"]),
        // billsim shrink: delta debugging of a failing scenario down to the smallest one that fails the same way.
        .target(name: "BillingShrink", dependencies: ["BillingCore", "BillingDocument", "BillingScenario", "BillingHarness"]),
        // What-if pricing: runs a scenario's base and variants and builds the Comparison (text and JSON renderings).
        .target(
            name: "BillingCompare",
            dependencies: ["BillingCore", "BillingDocument", "BillingScenario", "BillingHarness", "BillingReports", "InvoiceDiff"]),
        // Renderings of a RunResult (text, JSON, JUnit XML).
        .target(name: "BillingReports", dependencies: ["BillingCore", "BillingDocument", "BillingHarness"]),
        // The one row encoding of invoices (tables, columns, encode and decode) that the SQL stores share; no database library.
        .target(name: "BillingStoreRows", dependencies: ["BillingCore"]),
        // The conformance suite every BillingStore must pass.
        .target(name: "BillingStoreTesting", dependencies: ["BillingCore"]),
        // BillingStore on SQLite (GRDB), in a file or in memory.
        .target(
            name: "BillingStoreSQLite",
            dependencies: [
                "BillingCore", "BillingStoreRows", .product(name: "GRDB", package: "GRDB.swift"), .product(name: "GRDBSQLite", package: "GRDB.swift"),
            ]),
        // BillingStore on PostgreSQL (postgres-nio), one schema per run; empty without the PostgreSQL trait.
        .target(
            name: "BillingStorePostgres",
            dependencies: [
                "BillingCore", "BillingStoreRows",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]),
        // The fuzz targets' entry functions (README "Fuzzing"): `Scripts/fuzz` links them into libFuzzer
        // executables, and BillingFuzzTargetsTests replays the corpus through them.
        .target(name: "BillingFuzzTargets", dependencies: ["BillingCore", "BillingDocument", "BillingScenario", "BillingHarness"]),
        // The composition root.
        .executableTarget(
            name: "billsim",
            dependencies: [
                "BillingCore", "BillingDocument", "BillingScenario", "BillingHarness", "BillingReports", "BillingShrink", "BillingCompare",
                "BillingStoreSQLite",
                "BillingStorePostgres", .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .testTarget(name: "BillingCoreTests", dependencies: ["BillingCore", "BillingStoreTesting"]),
        .testTarget(name: "BillingScenarioTests", dependencies: ["BillingScenario", "BillingDocument", "BillingCore"]),
        // Invariants over generated scenarios (PropertyBased), on every store.
        .testTarget(
            name: "BillingPropertyTests",
            dependencies: [
                "BillingCore", "BillingDocument", "BillingScenario", "BillingHarness", "BillingStoreSQLite", "BillingStorePostgres",
                .product(name: "PropertyBased", package: "swift-property-based"),
            ]),
        .testTarget(
            name: "BillingShrinkTests", dependencies: ["BillingShrink", "BillingHarness", "BillingScenario", "BillingDocument", "BillingCore"]),
        .testTarget(
            name: "BillingCompareTests", dependencies: ["BillingCompare", "BillingHarness", "BillingScenario", "BillingDocument", "BillingCore"]),
        .testTarget(name: "InvoiceDiffTests", dependencies: ["InvoiceDiff", "BillingDocument", "BillingCore"], exclude: ["StripeFixtures"]),
        .testTarget(
            name: "BillingHarnessTests",
            dependencies: [
                "BillingHarness", "BillingReports", "BillingScenario", "BillingDocument", "BillingCore", "BillingStoreSQLite",
                "BillingStorePostgres",
            ],
            exclude: ["Golden"]),
        // The codec's round trip, and both stores' real tables against its shape.
        .testTarget(
            name: "BillingStoreRowsTests",
            dependencies: [
                "BillingStoreRows", "BillingCore", "BillingStoreSQLite", "BillingStorePostgres", .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]),
        .testTarget(
            name: "BillingStoreSQLiteTests",
            dependencies: ["BillingStoreSQLite", "BillingStoreTesting", "BillingCore", .product(name: "GRDB", package: "GRDB.swift")]),
        .testTarget(
            name: "BillingStorePostgresTests",
            dependencies: [
                "BillingStorePostgres", "BillingStoreTesting", "BillingCore",
                .product(name: "PostgresNIO", package: "postgres-nio", condition: .when(traits: ["PostgreSQL"])),
            ]),
        // Every file of Tests/FuzzCorpus/<target>/ through its fuzz target.
        .testTarget(name: "BillingFuzzTargetsTests", dependencies: ["BillingFuzzTargets", "BillingScenario"]),
        .testTarget(name: "billsimTests", dependencies: ["billsim", "BillingHarness", .product(name: "GRDB", package: "GRDB.swift")]),
    ],
    swiftLanguageModes: [.v6]
)

// Imports are honest: a target uses members only of the modules it imports itself (SE-0444), and
// Scripts/check-imports checks that each of those is declared above.
for target in package.targets {
    target.swiftSettings = (target.swiftSettings ?? []) + [.enableUpcomingFeature("MemberImportVisibility")]
}
