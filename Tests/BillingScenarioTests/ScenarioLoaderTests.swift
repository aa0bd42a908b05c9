import BillingCore
import BillingDocument
import Foundation
import Testing

@testable import BillingScenario

// Expectations here come from SCENARIO-FORMAT.md (shapes, defaults, message style) and from
// ENGINE-RULES.md (what the engine, not the loader, judges).

/// The format document's example, trimmed to one subscription: every section the loader reads.
let seed = """
    name: Hypernian flat fee with overages
    description: >
      The seed plan.
    tags: [seed, flat-fee]
    clock:
      start: 2026-01-01T00:00:00Z
      until: 2026-03-01T02:00:00Z
    meters:
      - id: mtr_tokens
        display_name: Hypernian tokens
        event_name: hypernian_tokens
        default_aggregation: { formula: sum }
    products:
      - { id: prod_license, name: Hypernian license fee }
      - { id: prod_usage, name: Hypernian usage }
    prices:
      - id: price_license
        product: prod_license
        currency: usd
        unit_amount: 10000
        recurring: { interval: month, interval_count: 1, usage_type: licensed }
      - id: price_usage
        product: prod_usage
        currency: usd
        recurring: { interval: month, usage_type: metered, meter: mtr_tokens }
        billing_scheme: tiered
        tiers_mode: graduated
        tiers:
          - { up_to: 1000, unit_amount_decimal: "0", flat_amount: 0 }
          - { up_to: inf,  unit_amount_decimal: "4", flat_amount: 0 }
    customers:
      - id: cus_john
        name: John Doe
        currency: usd
        balance: 0
        invoice_settings: { default_payment_method: pm_card_visa }
    subscriptions:
      - id: sub_john
        customer: cus_john
        items:
          - { id: si_license, price: price_license, quantity: 1 }
          - { id: si_usage, price: price_usage }
    usage:
      - events:
          - { event_name: hypernian_tokens, timestamp: 2026-01-15T12:00:00Z, identifier: evt_1,
              payload: { stripe_customer_id: cus_john, value: "3000" } }
    timeline:
      - at: 2026-02-10T00:00:00Z
        preview_invoice: { subscription: sub_john, as: feb_preview }
    expect:
      invoices:
        - customer: cus_john
          billing_reason: subscription_create
          status: paid
          lines:
            - { price: price_license, quantity: 1, amount: 10000,
                period: { start: 2026-01-01, end: 2026-02-01 } }
          total: 10000
      invoice_count: 3
      previews:
        feb_preview: { total: 10000 }
      meter_event_errors:
        meter_event_customer_not_found: 1
      late_events: 0

    """

let path = "Scenarios/test/seed.yaml"

/// The seed with `old` replaced by `new` (which must occur exactly once).
func patched(replacing old: String, with new: String) -> String {
    if seed.components(separatedBy: old).count != 2 { Issue.record("`\(old)` must occur once in the seed") }
    return seed.replacingOccurrences(of: old, with: new)
}

func diagnostics(_ yaml: String, path: String = path) -> [Diagnostic] {
    switch ScenarioLoader.load(yaml: yaml, path: path) {
    case .success: []
    case .failure(let error): error.diagnostics
    }
}

func loaded(_ yaml: String, path: String = path) throws -> Scenario {
    switch ScenarioLoader.load(yaml: yaml, path: path) {
    case .success(let scenario): return scenario
    case .failure(let error):
        Issue.record("unexpected diagnostics:\n\(error)")
        throw error
    }
}

/// The 1-based line of the first line of `yaml` that contains `text`.
func line(of text: String, in yaml: String) -> Int {
    (yaml.components(separatedBy: "\n").firstIndex { $0.contains(text) } ?? -1) + 1
}

/// The 1-based column where `text` starts on the first line that contains it.
func column(of text: String, in yaml: String) -> Int {
    guard let line = yaml.components(separatedBy: "\n").first(where: { $0.contains(text) }), let range = line.range(of: text) else { return -1 }
    return line.unicodeScalars.distance(from: line.unicodeScalars.startIndex, to: range.lowerBound) + 1
}

@Suite struct HappyPath {
    @Test func theSeedLoadsWithItsValues() throws {
        let scenario = try loaded(seed)
        #expect(scenario.name == "Hypernian flat fee with overages")
        #expect(scenario.description == "The seed plan.")
        #expect(scenario.tags == ["seed", "flat-fee"])
        let simulation = scenario.simulation
        #expect(simulation.clockStart == Instant(year: 2026, month: 1, day: 1))
        #expect(simulation.clockUntil == Instant(year: 2026, month: 3, day: 1, hour: 2))
        // Settings are optional: finalization grace 1h, event window 35d / 5m.
        #expect(simulation.settings == EngineSettings(finalizationGrace: .hours(1), eventWindow: EventWindow(past: .days(35), future: .minutes(5))))

        let meter = try #require(simulation.catalog.meter("mtr_tokens"))
        #expect(meter == Meter(id: "mtr_tokens", displayName: "Hypernian tokens", eventName: "hypernian_tokens", formula: .sum))
        // The default customer mapping and value settings of the format.
        #expect(meter.customerPayloadKey == "stripe_customer_id")
        #expect(meter.valuePayloadKey == "value")
        #expect(meter.isActive)

        #expect(simulation.catalog.product("prod_license")?.name == "Hypernian license fee")
        let license = try #require(simulation.catalog.price("price_license"))
        #expect(license.currency == Currency(code: "usd"))
        #expect(license.interval == BillingInterval(.month, count: 1))
        #expect(license.usageType == .licensed)
        #expect(license.scheme == .perUnit(unitAmount: ExactDecimal(10000), transform: nil))

        let usage = try #require(simulation.catalog.price("price_usage"))
        #expect(usage.product == "prod_usage")
        #expect(usage.usageType == .metered(meter: "mtr_tokens"))
        #expect(usage.interval == BillingInterval(.month))
        #expect(
            usage.scheme
                == .graduated([
                    PriceTier(upTo: 1000, unitAmount: .zero, flatAmount: .zero),
                    PriceTier(upTo: nil, unitAmount: ExactDecimal(4), flatAmount: .zero),
                ]))

        #expect(
            simulation.customers == [
                Customer(id: "cus_john", name: "John Doe", currency: Currency(code: "usd"), balance: 0, defaultPaymentMethod: "pm_card_visa")
            ])

        // Subscription defaults: created = clock.start, flexible, charge_automatically, 30 days, quantity 1.
        let subscription = try #require(simulation.subscriptions.first)
        #expect(simulation.subscriptions.count == 1)
        #expect(subscription.id == "sub_john")
        #expect(subscription.customer == "cus_john")
        #expect(subscription.created == simulation.clockStart)
        #expect(subscription.backdateStartDate == nil)
        #expect(subscription.billingCycleAnchor == nil)
        #expect(subscription.billingMode == .flexible)
        #expect(subscription.collectionMethod == .chargeAutomatically)
        #expect(subscription.daysUntilDue == 30)
        #expect(
            subscription.items == [
                SubscriptionItem(id: "si_license", price: "price_license", quantity: 1),
                SubscriptionItem(id: "si_usage", price: "price_usage", quantity: 1),
            ])

        #expect(
            simulation.timeline == [
                TimelineEntry(at: Instant(year: 2026, month: 2, day: 10), action: .previewInvoice(subscription: "sub_john", name: "feb_preview"))
            ])
    }

    @Test func usageEventsKeepTheirPayload() throws {
        let scenario = try loaded(seed)
        #expect(scenario.usage.count == 1)
        guard case .events(let events) = try #require(scenario.usage.first) else {
            Issue.record("expected literal events")
            return
        }
        #expect(
            events == [
                MeterEvent(
                    eventName: "hypernian_tokens", timestamp: Instant(year: 2026, month: 1, day: 15, hour: 12), identifier: "evt_1",
                    payload: ["stripe_customer_id": "cus_john", "value": "3000"])
            ])
    }

    @Test func expectationsKeepWhatIsWrittenAndWhere() throws {
        let scenario = try loaded(seed)
        let expectation = scenario.expectation
        #expect(expectation.invoiceCount == 3)
        #expect(expectation.lateEvents == 0)
        #expect(expectation.meterEventErrors.map(\.code) == [.customerNotFound])
        #expect(expectation.meterEventErrors.map(\.count) == [1])
        #expect(expectation.previews.map(\.name) == ["feb_preview"])
        #expect(expectation.location.line == line(of: "expect:", in: seed))
        #expect(expectation.location.column == 1)
        let invoice = try #require(expectation.invoices?.listItems.first)
        #expect(invoice["total"]?.text == "10000")
        #expect(invoice["billing_reason"]?.text == "subscription_create")
        #expect(invoice["total"]?.location.line == line(of: "total: 10000", in: seed))
        #expect(invoice["total"]?.location.column == 14)
    }

    @Test func aScenarioWithoutExpectationsPointsAtTheTopOfTheFile() throws {
        let yaml = seed.components(separatedBy: "expect:")[0]
        let scenario = try loaded(yaml)
        #expect(scenario.expectation.location.line == 1)
        #expect(scenario.expectation.location.column == 1)
        #expect(scenario.expectation.invoices == nil)
    }

    @Test func settingsAndSubscriptionFieldsOverrideDefaults() throws {
        let yaml = patched(
            replacing: "meters:\n",
            with: """
                settings:
                  billing_mode: classic
                  finalization_grace: 3h
                  event_window: { past: 10d, future: 90s }
                meters:

                """
        )
        .replacingOccurrences(
            of: "    customer: cus_john\n    items:",
            with: """
                    customer: cus_john
                    created: 2026-01-10
                    backdate_start_date: 1764547200
                    billing_cycle_anchor: "2026-01-31T00:00:00+00:00"
                    collection_method: send_invoice
                    days_until_due: 14
                    items:
                """)
        let simulation = try loaded(yaml).simulation
        #expect(simulation.settings.finalizationGrace == .hours(3))
        #expect(simulation.settings.eventWindow == EventWindow(past: .days(10), future: TimeSpan(seconds: 90)))
        let subscription = try #require(simulation.subscriptions.first)
        // settings.billing_mode is the default of subscriptions that name none.
        #expect(subscription.billingMode == .classic)
        #expect(subscription.created == Instant(year: 2026, month: 1, day: 10))
        #expect(subscription.backdateStartDate == Instant(year: 2025, month: 12, day: 1))
        #expect(subscription.billingCycleAnchor == Instant(year: 2026, month: 1, day: 31))
        #expect(subscription.collectionMethod == .sendInvoice)
        #expect(subscription.daysUntilDue == 14)
    }

    @Test func packagePricingAndVolumeTiers() throws {
        let yaml = patched(
            replacing: "customers:\n",
            with: """
                  - id: price_package
                    product: prod_usage
                    currency: usd
                    unit_amount: 4
                    transform_quantity: { divide_by: 100, round: up }
                    recurring: { interval: month, usage_type: metered, meter: mtr_tokens }
                  - id: price_volume
                    product: prod_usage
                    currency: usd
                    billing_scheme: tiered
                    tiers_mode: volume
                    tiers:
                      - { up_to: 10, flat_amount: 500 }
                      - { up_to: inf, unit_amount: 3, flat_amount_decimal: "700" }
                    recurring: { interval: year, interval_count: 2, usage_type: metered, meter: mtr_tokens }
                  - id: price_decimal
                    product: prod_usage
                    currency: usd
                    unit_amount_decimal: "0.000000000001"
                    recurring: { interval: week, usage_type: metered, meter: mtr_tokens }
                customers:

                """)
        let catalog = try loaded(yaml).simulation.catalog
        #expect(
            catalog.price("price_package")?.scheme
                == .perUnit(unitAmount: ExactDecimal(4), transform: TransformQuantity(divideBy: 100, roundUp: true)))
        #expect(
            catalog.price("price_volume")?.scheme
                == .volume([
                    PriceTier(upTo: 10, unitAmount: .zero, flatAmount: ExactDecimal(500)),
                    PriceTier(upTo: nil, unitAmount: ExactDecimal(3), flatAmount: ExactDecimal(700)),
                ]))
        #expect(catalog.price("price_volume")?.interval == BillingInterval(.year, count: 2))
        #expect(catalog.price("price_decimal")?.scheme == .perUnit(unitAmount: ExactDecimal(parsing: "0.000000000001")!, transform: nil))
    }

    /// "A price retrieved from Stripe's API as JSON can be pasted into a scenario."
    @Test func aStripePriceAsJSONLoads() throws {
        let json = """
              - {
                  "id": "price_json", "object": "price", "active": true, "billing_scheme": "per_unit", "created": 1735689600,
                  "currency": "usd", "custom_unit_amount": null, "livemode": false, "lookup_key": null, "metadata": {},
                  "nickname": null, "product": "prod_license",
                  "recurring": { "aggregate_usage": null, "interval": "month", "interval_count": 1, "meter": null,
                                 "trial_period_days": null, "usage_type": "licensed" },
                  "tax_behavior": "unspecified", "tiers_mode": null, "transform_quantity": null, "type": "recurring",
                  "unit_amount": 2500, "unit_amount_decimal": "2500"
                }
            customers:

            """
        let price = try #require(try loaded(patched(replacing: "customers:\n", with: json)).simulation.catalog.price("price_json"))
        #expect(price.scheme == .perUnit(unitAmount: ExactDecimal(2500), transform: nil))
        #expect(price.usageType == .licensed)
    }

    @Test func itemIdsDefaultFromTheSubscription() throws {
        let yaml = patched(replacing: "{ id: si_usage, price: price_usage }", with: "{ price: price_usage }")
        let items = try #require(try loaded(yaml).simulation.subscriptions.first?.items)
        #expect(items.map(\.id) == ["si_license", "si_sub_john_1"])
    }

    @Test func generatedUsageUsesTheMetersKeys() throws {
        let yaml = patched(
            replacing: "    event_name: hypernian_tokens\n",
            with: """
                    event_name: hypernian_tokens
                    customer_mapping: { type: by_id, event_payload_key: customer }
                    value_settings: { event_payload_key: tokens }

                """
        )
        .replacingOccurrences(
            of: "timeline:\n",
            with: """
                  - generate:
                      event_name: hypernian_tokens
                      customers: all
                      from: 2026-01-01
                      to: 2026-02-01
                      arrivals: { kind: poisson, rate: 12/h }
                      value: { kind: uniform, min: 1, max: 500 }
                      seed: 42
                timeline:

                """)
        let scenario = try loaded(yaml)
        guard case .generate(let spec) = scenario.usage[1] else {
            Issue.record("expected a generated stream second")
            return
        }
        #expect(spec.eventName == "hypernian_tokens")
        #expect(spec.customerKey == "customer")
        #expect(spec.valueKey == "tokens")
        #expect(spec.customers == ["cus_john"])
        #expect(spec.from == Instant(year: 2026, month: 1, day: 1))
        #expect(spec.to == Instant(year: 2026, month: 2, day: 1))
        #expect(spec.seed == 42)
        #expect(spec.identifierPrefix == "gen1_")
        #expect((spec.arrivals as? PoissonArrivals)?.meanGap == 300)
        let uniform = try #require(spec.values as? UniformValue)
        #expect(uniform.min == Decimal12(1))
        #expect(uniform.max == Decimal12(500))
        #expect(uniform.decimals == 0)
    }

    @Test func cancelSubscriptionDefaults() throws {
        let yaml = patched(
            replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with: """
                    preview_invoice: { subscription: sub_john, as: feb_preview }
                  - at: 2026-02-20T00:00:00Z
                    preview_invoice: { subscription: sub_john }
                  - at: 2026-02-21T00:00:00Z
                    cancel_subscription: { subscription: sub_john }

                """)
        let timeline = try loaded(yaml).simulation.timeline
        #expect(
            timeline.map(\.action).dropFirst() == [
                .previewInvoice(subscription: "sub_john", name: "preview_1"),
                .cancelSubscription(subscription: "sub_john", invoiceNow: false, prorate: false),
            ])
        let explicit = yaml.replacingOccurrences(
            of: "cancel_subscription: { subscription: sub_john }",
            with: "cancel_subscription: { subscription: sub_john, invoice_now: true, prorate: true }")
        #expect(
            try loaded(explicit).simulation.timeline.last?.action == .cancelSubscription(subscription: "sub_john", invoiceNow: true, prorate: true))
    }
}

@Suite struct Diagnostics {
    /// Three unrelated problems: all reported, in file order, each at its line and column.
    @Test func allProblemsOfAFileAreReportedAtOnce() {
        let yaml = """
            name: Three problems
            clock:
              start: 2026-01-01T00:00:00Z
              until: 2026-03-01T02:00:00Z
            meters:
              - id: mtr_tokens
                event_name: tokens
                default_aggregation: { formula: average }
            products:
              - { id: prod_a, name: A }
            prices:
              - id: price_a
                product: prod_b
                currency: usd
                unit_amount: 100
                recurring: { interval: month }
            customers:
              - id: cus_a
                balance: 12.5

            """
        let found = diagnostics(yaml)
        #expect(found.map(\.location.line) == [8, 13, 19])
        #expect(found.map(\.location.column) == [37, 14, 14])
        #expect(found.map(\.location.file) == [path, path, path])
        #expect(found.count == 3)
        guard found.count == 3 else { return }
        #expect(found[0].message.hasPrefix("meters[0].default_aggregation.formula: expected one of sum, count, last, found \"average\""))
        #expect(found[1].message.hasPrefix("prices[0].product: no product `prod_b`"))
        #expect(found[1].message.contains("prod_a"))  // lists what exists
        #expect(found[2].message.hasPrefix("customers[0].balance: expected an integer"))
        #expect(found[2].message.hasSuffix("found \"12.5\""))
    }

    @Test func theMessageReadsLikeACompilerError() {
        let diagnostic = Diagnostic(
            location: .init(file: "Scenarios/x.yaml", line: 14, column: 7),
            message: "prices[1].tiers[0].up_to: expected an integer or \"inf\", found \"1,000\"",
            sourceLine: "    - up_to: 1,000")
        #expect(
            diagnostic.description == """
                Scenarios/x.yaml:14:7: error: prices[1].tiers[0].up_to: expected an integer or "inf", found "1,000"
                    - up_to: 1,000
                      ^
                """)
        let noSource = Diagnostic(location: .init(file: "a.yaml", line: 1, column: 1), message: "m")
        #expect(noSource.description == "a.yaml:1:1: error: m")
    }

    /// The example of SCENARIO-FORMAT.md, "Errors point at the file".
    @Test func theFormatDocumentsExampleError() throws {
        let yaml = patched(
            replacing: "      - { up_to: 1000, unit_amount_decimal: \"0\", flat_amount: 0 }\n",
            with: """
                      - up_to: 1,000
                        unit_amount_decimal: "0"

                """)
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.message == "prices[1].tiers[0].up_to: expected an integer or \"inf\", found \"1,000\"")
        #expect(diagnostic.location.line == line(of: "up_to: 1,000", in: yaml))
        #expect(diagnostic.location.column == 16)
        #expect(diagnostic.description.hasPrefix("\(path):\(diagnostic.location.line):16: error: prices[1].tiers[0].up_to"))
        #expect(diagnostic.description.hasSuffix("\n      - up_to: 1,000\n               ^"))
    }

    @Test func loadErrorDescriptionJoinsTheDiagnostics() {
        let yaml = patched(replacing: "name: Hypernian flat fee", with: "nmae: Hypernian flat fee")
        guard case .failure(let error) = ScenarioLoader.load(yaml: yaml, path: path) else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.path == path)
        #expect(error.description == error.diagnostics.map(\.description).joined(separator: "\n"))
        // A misspelled required field: the unknown key and the missing one.
        #expect(error.diagnostics.contains { $0.message.contains("unknown field `nmae`") && $0.message.contains("did you mean `name`?") })
        #expect(error.diagnostics.contains { $0.message == "missing `name`" })
    }

    @Test func anUnknownFieldIsAnError() throws {
        let yaml = patched(replacing: "    unit_amount: 10000\n", with: "    unit_amount: 10000\n    unit_ammount: 10000\n")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.message.hasPrefix("prices[0]: unknown field `unit_ammount`"))
        #expect(diagnostic.location.line == line(of: "unit_ammount", in: yaml))
        #expect(diagnostic.location.column == 5)
    }

    @Test func anUnknownTopLevelFieldIsAnError() {
        let found = diagnostics(seed + "clocks: {}\n")
        #expect(found.map(\.message) == ["unknown field `clocks` (did you mean `clock`?)"])
    }

    @Test func anUnknownFieldInsideATierIsAnError() throws {
        let yaml = patched(
            replacing: "{ up_to: inf,  unit_amount_decimal: \"4\", flat_amount: 0 }",
            with: "{ up_to: inf,  unit_amount_decimal: \"4\", flat_amount: 0, flat_fee: 100 }")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.message.hasPrefix("prices[1].tiers[1]: unknown field `flat_fee`"))
        #expect(diagnostic.location.line == line(of: "flat_fee", in: yaml))
        #expect(diagnostic.location.column == column(of: "flat_fee", in: yaml))
    }

    @Test func stripeBookkeepingFieldsAreIgnored() throws {
        var yaml = patched(
            replacing: "  - { id: prod_usage, name: Hypernian usage }",
            with: """
                  - { id: prod_usage, name: Hypernian usage, object: product, livemode: false, active: true, metadata: { team: ai },
                      description: Tokens, images: [], url: null, default_price: null, marketing_features: [], shippable: null,
                      tax_code: null, package_dimensions: null, unit_label: tokens, statement_descriptor: null, updated: 1735689600 }
                """)
        yaml = yaml.replacingOccurrences(
            of: "    name: John Doe\n", with: "    name: John Doe\n    email: john@example.com\n    phone: null\n    metadata: {}\n")
        yaml = yaml.replacingOccurrences(
            of: "    display_name: Hypernian tokens\n",
            with:
                "    display_name: Hypernian tokens\n    object: billing.meter\n    status: active\n    event_time_window: null\n    status_transitions: { deactivated_at: null }\n"
        )
        _ = try loaded(yaml)
    }

    @Test func aYAMLSyntaxErrorPointsAtTheFile() throws {
        let yaml = "name: Broken\nclock:\n  start: [2026-01-01\n  until: 2026-02-01\n"
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.location.file == path)
        #expect(diagnostic.location.line >= 3)
        #expect(diagnostic.location.column >= 1)
        #expect(diagnostic.message.hasPrefix("invalid YAML"))
        #expect(diagnostic.description.hasPrefix("\(path):\(diagnostic.location.line):\(diagnostic.location.column): error: invalid YAML"))
    }

    @Test func aTabIndentedLineIsASyntaxErrorAtItsLine() throws {
        let yaml = "name: Tabs\nclock:\n\tstart: 2026-01-01\n"
        let diagnostic = try #require(diagnostics(yaml).first)
        #expect(diagnostic.location.line == 3)
        #expect(diagnostic.location.column == 1)
    }

    @Test func aDuplicateKeyIsReported() throws {
        let yaml = "name: A\nname: B\nclock: { start: 2026-01-01, until: 2026-02-01 }\n"
        let diagnostic = try #require(diagnostics(yaml).first)
        #expect(diagnostic.message.contains("duplicate key `name`"))
        #expect(diagnostic.location.line == 1)
    }

    @Test func aRequiredFieldWrittenAsNullPointsAtIt() throws {
        let yaml = patched(replacing: "    customer: cus_john\n", with: "    customer:\n")
        let diagnostic = try #require(diagnostics(yaml).first)
        #expect(diagnostics(yaml).count == 1)
        #expect(diagnostic.message == "subscriptions[0].customer: expected a value, found null")
        #expect(diagnostic.location.line == line(of: "customer:", in: yaml))
    }

    /// A broken object still reads all its fields: no false "unknown field" after the first problem.
    @Test func aMissingIdDoesNotHideTheOtherFields() {
        let yaml = patched(replacing: "  - id: cus_john\n    name: John Doe\n", with: "  - name: John Doe\n")
            .replacingOccurrences(of: "  - id: mtr_tokens\n    display_name: Hypernian tokens\n", with: "  - display_name: Hypernian tokens\n")
        let messages = diagnostics(yaml).map(\.message)
        #expect(messages.filter { $0.contains("unknown field") } == [])
        #expect(messages.contains("meters[0]: missing `id`"))
        #expect(messages.contains("customers[0]: missing `id`"))
    }

    @Test func anEmptyFileIsAnError() {
        #expect(diagnostics("").map(\.message) == ["the file is empty; a scenario needs at least `name` and `clock`"])
        #expect(diagnostics("- a\n- b\n").map(\.message) == ["expected a mapping, found a list"])
    }

    struct Unsupported: CustomTestStringConvertible, Sendable {
        var old: String
        var new: String
        var message: String
        var testDescription: String { message }
    }

    @Test(arguments: [
        Unsupported(
            old: "    balance: 0\n", new: "    balance: 0\n    tax_exempt: reverse\n",
            message: "customers[0].tax_exempt: a customer's tax exemption is not supported yet"),
        Unsupported(
            old: "timeline:\n",
            new: "timeline:\n  - at: 2026-01-20T00:00:00Z\n    cancel_meter_event: { event_name: hypernian_tokens, identifier: evt_1 }\n",
            message: "timeline[0].cancel_meter_event: cancel_meter_event is not supported yet"),
        Unsupported(
            old: "    customer: cus_john\n", new: "    customer: cus_john\n    discount: { coupon: half }\n",
            message: "subscriptions[0].discount: this form of discount is not supported yet (give `discounts: [{ coupon: … }]`)"),
        Unsupported(
            old: "    customer: cus_john\n", new: "    customer: cus_john\n    pause_collection: { behavior: void }\n",
            message: "subscriptions[0].pause_collection: pause_collection is not supported yet"
        ),
        Unsupported(
            old: "    default_aggregation: { formula: sum }\n", new: "    default_aggregation: { formula: sum }\n    event_time_window: hour\n",
            message: "meters[0].event_time_window: event_time_window is not supported yet (usage is aggregated per billing period)"),
        Unsupported(
            old: "    unit_amount: 10000\n", new: "    unit_amount: 10000\n    type: one_time\n",
            message: "prices[0].recurring: a one-time price (type: one_time) has no `recurring`"),
        Unsupported(
            old: "expect:", new: "tax_rates: [{ id: txr_flat, percentage: 0, rate_type: flat_amount }]\nexpect:",
            message: "tax_rates[0].rate_type: flat-amount tax rates are not supported yet"),
    ])
    func unsupportedFeaturesAreNamed(_ test: Unsupported) {
        let found = diagnostics(patched(replacing: test.old, with: test.new))
        #expect(found.map(\.message) == [test.message])
    }

    /// Stripe's JSON writes unset features at their "off" value; those are accepted.
    @Test func unsupportedFeaturesAtTheirOffValueAreAccepted() throws {
        let yaml = patched(
            replacing: "    customer: cus_john\n",
            with: "    customer: cus_john\n    trial_end: null\n    discounts: []\n    cancel_at_period_end: false\n    cancel_at: null\n"
        )
        .replacingOccurrences(of: "expect:", with: "variants: []\nexpect:")
        .replacingOccurrences(
            of: "    unit_amount: 10000\n",
            with: "    unit_amount: 10000\n    tax_behavior: unspecified\n    type: recurring\n    currency_options: {}\n")
        _ = try loaded(yaml)
    }

    @Test func aPriceWithoutRecurringIsAOneTimePrice() {
        let yaml = patched(replacing: "    recurring: { interval: month, interval_count: 1, usage_type: licensed }\n", with: "")
        let missing = "prices[0]: missing `recurring` (or `type: one_time` for a price billed only as an invoice item)"
        #expect(diagnostics(yaml).map(\.message) == [missing])
        let typed = patched(replacing: "    recurring: { interval: month, interval_count: 1, usage_type: licensed }\n", with: "    type: recurring\n")
        #expect(diagnostics(typed).map(\.message) == [missing])
    }

    @Test func meteredPricesNeedAMeter() {
        let yaml = patched(replacing: "{ interval: month, usage_type: metered, meter: mtr_tokens }", with: "{ interval: month, usage_type: metered }")
        #expect(diagnostics(yaml).map(\.message) == ["prices[1].recurring: a metered price needs recurring.meter"])
        let licensed = patched(
            replacing: "{ interval: month, interval_count: 1, usage_type: licensed }", with: "{ interval: month, meter: mtr_tokens }")
        #expect(diagnostics(licensed).count == 1)
        #expect(diagnostics(licensed).first?.message.hasPrefix("prices[0].recurring.meter: ") == true)
    }

    @Test func aMeteredItemHasNoQuantity() {
        let yaml = patched(replacing: "{ id: si_usage, price: price_usage }", with: "{ id: si_usage, price: price_usage, quantity: 5 }")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        #expect(found.first?.message.hasPrefix("subscriptions[0].items[1].quantity: ") == true)
    }

    @Test func tiersRules() {
        func messages(_ tiers: String) -> [String] {
            diagnostics(
                patched(
                    replacing:
                        "      - { up_to: 1000, unit_amount_decimal: \"0\", flat_amount: 0 }\n      - { up_to: inf,  unit_amount_decimal: \"4\", flat_amount: 0 }\n",
                    with: tiers)
            ).map(\.message)
        }
        // The last tier must be inf; bounds ascend; a tier needs an amount; flat_amount_decimal is whole.
        #expect(messages("      - { up_to: 1000, unit_amount: 1 }\n") == ["prices[1].tiers[0].up_to: the last tier must have up_to: inf"])
        #expect(
            messages("      - { up_to: inf, unit_amount: 1 }\n      - { up_to: 1000, unit_amount: 1 }\n").contains(
                "prices[1].tiers[0].up_to: only the last tier can have up_to: inf"))
        #expect(
            messages("      - { up_to: 100, unit_amount: 1 }\n      - { up_to: 100, unit_amount: 1 }\n      - { up_to: inf, unit_amount: 1 }\n")
                == ["prices[1].tiers[1].up_to: must be greater than the previous tier's up_to (100)"])
        #expect(
            messages("      - { up_to: 100 }\n      - { up_to: inf, unit_amount: 1 }\n") == [
                "prices[1].tiers[0]: a tier needs unit_amount(_decimal), flat_amount(_decimal) or both"
            ])
        #expect(
            messages("      - { up_to: 100, flat_amount_decimal: \"1.5\" }\n      - { up_to: inf, unit_amount: 1 }\n") == [
                "prices[1].tiers[0].flat_amount_decimal: must be a whole number of minor units, found \"1.5\""
            ])
        #expect(
            messages("      - { up_to: 0, unit_amount: 1 }\n      - { up_to: inf, unit_amount: 1 }\n") == [
                "prices[1].tiers[0].up_to: expected a positive integer or \"inf\", found \"0\""
            ])
        // Stripe's JSON writes the last tier's up_to as null.
        #expect(messages("      - { up_to: 100, unit_amount: 1 }\n      - { up_to: null, unit_amount: 2 }\n") == [])
    }

    @Test func amountRules() {
        #expect(
            diagnostics(patched(replacing: "unit_amount: 10000", with: "unit_amount: -5")).map(\.message)
                == [
                    "prices[0].unit_amount: expected a non-negative integer of at most 8 digits (minor units; Stripe's maximum is 99999999), found \"-5\""
                ])
        #expect(
            diagnostics(patched(replacing: "unit_amount: 10000", with: "unit_amount_decimal: \"0.0000000000001\"")).map(\.message)
                == [
                    "prices[0].unit_amount_decimal: expected a non-negative decimal string below 100000000 (minor units: at most 8 integer digits and 12 decimal places, as Stripe takes), found \"0.0000000000001\""
                ])
        #expect(
            diagnostics(patched(replacing: "unit_amount: 10000", with: "unit_amount: 10000\n    unit_amount_decimal: \"9999\"")).map(\.message)
                == ["prices[0].unit_amount_decimal: unit_amount and unit_amount_decimal disagree (10000 and 9999); write one of them"])
        #expect(
            diagnostics(patched(replacing: "    unit_amount: 10000\n", with: "")).map(\.message)
                == ["prices[0]: a per_unit price needs unit_amount or unit_amount_decimal"])
        #expect(
            diagnostics(
                patched(
                    replacing: "    tiers_mode: graduated\n",
                    with: "    tiers_mode: graduated\n    transform_quantity: { divide_by: 10, round: up }\n")
            ).map(\.message)
                == ["prices[1].transform_quantity: transform_quantity cannot be combined with tiers"])
        #expect(
            diagnostics(patched(replacing: "currency: usd\n    unit_amount", with: "currency: dollars\n    unit_amount")).map(\.message)
                == ["prices[0].currency: expected a currency code Stripe accepts, like usd (ISO 4217), found \"dollars\""])
    }

    @Test func intervalRules() {
        let yaml = patched(replacing: "{ interval: month, interval_count: 1, usage_type: licensed }", with: "{ interval: month, interval_count: 37 }")
        #expect(
            diagnostics(yaml).map(\.message) == [
                "prices[0].recurring.interval_count: the interval must be at most 3 years (Stripe's limit), found every 37 months"
            ])
    }

    @Test func idsAreUniquePerKind() throws {
        let yaml = patched(replacing: "  - { id: prod_usage, name: Hypernian usage }", with: "  - { id: prod_license, name: Again }")
        let found = diagnostics(yaml)
        // The duplicate is reported where it is repeated; prod_usage is then missing for price_usage.
        #expect(found.count == 2, "\(found)")
        #expect(found.first?.message == "products[1].id: product `prod_license` is already defined at line \(line(of: "id: prod_license", in: yaml))")
        #expect(found.first?.location.line == line(of: "name: Again", in: yaml))
        #expect(found.last?.message == "prices[1].product: no product `prod_usage` (products: prod_license)")
    }

    @Test func eventNamesAreUniqueAcrossMeters() {
        let yaml = patched(
            replacing: "    default_aggregation: { formula: sum }\n",
            with: "    default_aggregation: { formula: sum }\n  - { id: mtr_two, event_name: hypernian_tokens }\n")
        #expect(diagnostics(yaml).map(\.message) == ["meters[1].event_name: meter `mtr_tokens` already has event_name `hypernian_tokens`"])
    }

    @Test func referencesListWhatExists() {
        let yaml = patched(replacing: "id: si_license, price: price_license", with: "id: si_license, price: price_licence")
            .replacingOccurrences(of: "  - id: sub_john\n    customer: cus_john", with: "  - id: sub_john\n    customer: cus_jon")
            .replacingOccurrences(of: "preview_invoice: { subscription: sub_john,", with: "preview_invoice: { subscription: sub_jon,")
        #expect(
            diagnostics(yaml).map(\.message) == [
                "subscriptions[0].customer: no customer `cus_jon` (customers: cus_john)",
                "subscriptions[0].items[0].price: no price `price_licence` (prices: price_license, price_usage)",
                "timeline[0].preview_invoice.subscription: no subscription `sub_jon` (subscriptions: sub_john)",
            ])
    }

    @Test func aBrokenObjectIsNotReportedAgainWhereItIsUsed() {
        // price_usage has its own problem; the subscription naming it reports nothing more.
        let yaml = patched(replacing: "tiers_mode: graduated", with: "tiers_mode: stepped")
        #expect(diagnostics(yaml).map(\.message) == ["prices[1].tiers_mode: expected graduated or volume, found \"stepped\""])
    }

    @Test func subscriptionPricesShareCurrencyAndInterval() {
        let yearly = patched(replacing: "{ interval: month, interval_count: 1, usage_type: licensed }", with: "{ interval: year }")
        #expect(diagnostics(yearly).count == 1)
        #expect(diagnostics(yearly).first?.message.hasSuffix("mixed intervals are not supported yet") == true)
        #expect(diagnostics(yearly).first?.message.hasPrefix("subscriptions[0].items[1].price: ") == true)
        let euro = patched(
            replacing: "    currency: usd\n    recurring: { interval: month, usage_type: metered",
            with: "    currency: eur\n    recurring: { interval: month, usage_type: metered")
        #expect(
            diagnostics(euro).map(\.message) == [
                "subscriptions[0].items[1].price: price `price_usage` is in eur, but customer `cus_john` pays in usd"
            ])
    }

    @Test func subscriptionDatesAreOrdered() {
        let yaml = patched(
            replacing: "    customer: cus_john\n",
            with: "    customer: cus_john\n    created: 2025-12-31T00:00:00Z\n")
        #expect(diagnostics(yaml).map(\.message) == ["subscriptions[0].created: must not be before clock.start (2026-01-01T00:00:00Z)"])
        let backdate = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    backdate_start_date: 2026-01-01\n")
        #expect(diagnostics(backdate).map(\.message) == ["subscriptions[0].backdate_start_date: must be before created (2026-01-01T00:00:00Z)"])
        let days = patched(replacing: "    customer: cus_john\n", with: "    customer: cus_john\n    days_until_due: 10\n")
        #expect(
            diagnostics(days).map(\.message) == ["subscriptions[0].days_until_due: days_until_due applies only to collection_method: send_invoice"])
        let clock = patched(replacing: "  until: 2026-03-01T02:00:00Z", with: "  until: 2025-03-01T02:00:00Z")
        #expect(diagnostics(clock).first?.message == "clock.until: must not be before clock.start (2026-01-01T00:00:00Z)")
    }

    @Test func aTimelineEntryHasOneAction() {
        let none = patched(replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n", with: "")
        #expect(
            diagnostics(none).map(\.message).contains(
                "timeline[0]: missing an action (update_subscription or cancel_subscription or preview_invoice or add_invoice_item or customer_balance_transaction or attach_payment_method or detach_payment_method or pay_invoice or void_invoice or mark_uncollectible or finalize_invoice)"
            ))
        let two = patched(
            replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n    cancel_subscription: { subscription: sub_john }\n")
        #expect(diagnostics(two).map(\.message) == ["timeline[0]: one action per timeline entry: `cancel_subscription` after `preview_invoice`"])
    }

    @Test func previewNamesAreUniqueAndExpectedPreviewsExist() {
        let yaml = patched(
            replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with:
                "    preview_invoice: { subscription: sub_john, as: feb_preview }\n  - at: 2026-02-11T00:00:00Z\n    preview_invoice: { subscription: sub_john, as: feb_preview }\n"
        )
        #expect(diagnostics(yaml).count == 1)
        #expect(diagnostics(yaml).first?.message.hasPrefix("timeline[1].preview_invoice.as: preview `feb_preview` is already defined") == true)
        let missing = patched(replacing: "    feb_preview: { total: 10000 }", with: "    march_preview: { total: 10000 }")
        #expect(diagnostics(missing).map(\.message) == ["expect.previews: no preview_invoice is named `march_preview` (previews: feb_preview)"])
    }

    @Test func expectedInvoicesAreCheckedForUnknownFields() throws {
        let yaml = patched(replacing: "      total: 10000\n", with: "      totl: 10000\n")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.message.hasPrefix("expect.invoices[0].totl: unknown invoice field"))
        #expect(diagnostic.location.line == line(of: "totl", in: yaml))
        #expect(diagnostic.location.column == 7)
        let code = patched(replacing: "meter_event_customer_not_found: 1", with: "customer_not_found: 1")
        #expect(diagnostics(code).first?.message.hasPrefix("expect.meter_event_errors: unknown meter event error code `customer_not_found`") == true)
    }
}

@Suite struct Usage {
    /// ENGINE-RULES: invalid values are rejected by the engine with Stripe's codes, not by the loader.
    @Test func invalidMeterValuesInLiteralEventsLoadAsWritten() throws {
        let yaml = patched(
            replacing: "          payload: { stripe_customer_id: cus_john, value: \"3000\" } }\n",
            with: """
                          payload: { stripe_customer_id: cus_john, value: "3000" } }
                      - { event_name: hypernian_tokens, timestamp: 2026-01-16, payload: { stripe_customer_id: cus_john, value: "1,000" } }
                      - { event_name: hypernian_tokens, timestamp: 2026-01-16, payload: { stripe_customer_id: cus_nobody, value: 1e3 } }
                      - { event_name: no_such_meter, timestamp: 1768521600, received_at: 2026-01-20T00:00:00Z, payload: { value: abc } }
                      - { event_name: hypernian_tokens, timestamp: 2026-01-16, payload: { stripe_customer_id: cus_john, value: 0.1234567890123 } }

                """)
        let scenario = try loaded(yaml)
        guard case .events(let events) = scenario.usage[0] else {
            Issue.record("expected literal events")
            return
        }
        #expect(events.map { $0.payload["value"] } == ["3000", "1,000", "1e3", "abc", "0.1234567890123"])
        #expect(events[2].payload["stripe_customer_id"] == "cus_nobody")
        #expect(events[3].eventName == "no_such_meter")
        #expect(events[3].timestamp == Instant(year: 2026, month: 1, day: 16))
        #expect(events[3].receivedAt == Instant(year: 2026, month: 1, day: 20))
        #expect(events[3].identifier == nil)
    }

    @Test func anEventNeedsAValidTimestamp() {
        let yaml = patched(replacing: "timestamp: 2026-01-15T12:00:00Z", with: "timestamp: 2026-01-15 noon")
        #expect(diagnostics(yaml).first?.message.hasPrefix("usage[0].events[0].timestamp: expected a timestamp") == true)
    }

    func generate(_ body: String) -> String {
        patched(replacing: "timeline:\n", with: "  - generate:\n" + body + "timeline:\n")
    }

    static let generator = """
              event_name: hypernian_tokens
              customers: [cus_john]
              from: 2026-01-01
              to: 2026-02-01

        """

    @Test func anUnknownGeneratorKindListsTheKnownOnes() throws {
        let yaml = generate(Self.generator + "      arrivals: { kind: sporadic, every: 1m }\n      value: { kind: gaussian, mean: 5 }\n")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "usage[1].generate.arrivals.kind: unknown arrivals kind `sporadic` (known: bursty, constant, diurnal, poisson)",
                "usage[1].generate.value.kind: unknown value kind `gaussian` (known: choice, constant, lognormal, normal, pareto, uniform)",
            ])
        #expect(found.first?.location.line == line(of: "kind: sporadic", in: yaml))
        #expect(found.first?.location.column == column(of: "sporadic", in: yaml))
    }

    @Test func anUnknownGeneratorParameterIsAnError() throws {
        let yaml = generate(
            Self.generator + "      arrivals: { kind: constant, every: 1m, jitter: 5s }\n      value: { kind: constant, value: \"1\" }\n")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.message.hasPrefix("usage[1].generate.arrivals: unknown field `jitter`"))
        #expect(diagnostic.location.line == line(of: "jitter", in: yaml))
        #expect(diagnostic.location.column == column(of: "jitter", in: yaml))
    }

    @Test func aGeneratorParameterProblemPointsAtTheParameter() throws {
        let yaml = generate(Self.generator + "      arrivals: { kind: poisson, rate: fast }\n      value: { kind: uniform, min: 1 }\n")
        let found = diagnostics(yaml)
        #expect(
            found.map(\.message) == [
                "usage[1].generate.arrivals.rate: expected events per unit like 12/h, found \"fast\"",
                "usage[1].generate.value: uniform: missing `max`",
            ])
        #expect(found.first?.location.column == column(of: "fast", in: yaml))
    }

    @Test func aGeneratorNeedsAMeterAndKnownCustomers() {
        let yaml = generate(
            """
                  event_name: tokens
                  customers: [cus_john, cus_jane]
                  from: 2026-02-01
                  to: 2026-01-01
                  arrivals: { kind: constant, every: 1h }
                  value: { kind: constant, value: "1" }

            """)
        #expect(
            diagnostics(yaml).map(\.message) == [
                "usage[1].generate.event_name: no meter has event_name `tokens` (event names: hypernian_tokens)",
                "usage[1].generate.customers[1]: no customer `cus_jane` (customers: cus_john)",
                "usage[1].generate.to: must be after from (2026-02-01T00:00:00Z); `to` is exclusive",
            ])
    }

    @Test func aUsageStreamHasExactlyOneSource() {
        let yaml = patched(replacing: "timeline:\n", with: "  - { file: a.csv, generate: {} }\n  - {}\ntimeline:\n")
        let messages = diagnostics(yaml).map(\.message)
        #expect(messages.count == 2)
        #expect(messages.allSatisfy { $0.contains("one of `events`, `file` or `generate`") })
    }

    @Test func aMissingUsageFileIsAnError() throws {
        let yaml = patched(replacing: "timeline:\n", with: "  - file: usage/missing.csv\ntimeline:\n")
        let found = diagnostics(yaml)
        #expect(found.count == 1)
        let diagnostic = try #require(found.first)
        #expect(diagnostic.message.hasPrefix("usage[1].file: no usage file at Scenarios/test/usage/missing.csv"))
        #expect(diagnostic.location.line == line(of: "usage/missing.csv", in: yaml))
        #expect(diagnostic.location.column == 11)
    }

    @Test func usageFilesResolveAgainstTheScenariosDirectory() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("billsim-loader-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("usage"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["tokens.csv", "tokens.ndjson", "tokens.txt"] {
            try Data("event_name,timestamp\n".utf8).write(to: directory.appendingPathComponent("usage/\(name)"))
        }
        let scenarioPath = directory.appendingPathComponent("scenario.yaml").path
        let yaml = patched(replacing: "timeline:\n", with: "  - file: usage/tokens.csv\n  - file: usage/tokens.ndjson\ntimeline:\n")
        try Data(yaml.utf8).write(to: URL(fileURLWithPath: scenarioPath))
        let scenario = try {
            switch ScenarioLoader.load(path: scenarioPath) {
            case .success(let scenario): return scenario
            case .failure(let error): throw error
            }
        }()
        #expect(scenario.path == scenarioPath)
        guard case .file(let csvPath, let csvFormat, _) = scenario.usage[1], case .file(let jsonPath, let jsonFormat, _) = scenario.usage[2] else {
            Issue.record("expected two file streams")
            return
        }
        #expect(csvPath == directory.appendingPathComponent("usage/tokens.csv").path)
        #expect(csvFormat == .csv)
        #expect(jsonPath == directory.appendingPathComponent("usage/tokens.ndjson").path)
        #expect(jsonFormat == .jsonl)

        let unknownFormat = patched(replacing: "timeline:\n", with: "  - file: usage/tokens.txt\ntimeline:\n")
        #expect(
            diagnostics(unknownFormat, path: scenarioPath).map(\.message)
                == ["usage[1].file: cannot tell the format of \"usage/tokens.txt\": name a .csv, .jsonl or .ndjson file"])
    }

    @Test func anUnreadableScenarioFileIsOneDiagnostic() {
        guard case .failure(let error) = ScenarioLoader.load(path: "/nonexistent/billsim/x.yaml") else {
            Issue.record("expected a failure")
            return
        }
        #expect(error.diagnostics.map(\.message) == ["no scenario file at /nonexistent/billsim/x.yaml"])
        #expect(error.diagnostics.first?.location.file == "/nonexistent/billsim/x.yaml")
    }
}

extension Expected {
    var listItems: [Expected] {
        if case .list(let items, _) = self { return items }
        return []
    }

    var text: String? {
        if case .scalar(let text, _) = self { return text }
        return nil
    }
}
