import BillingCore
import BillingDocument
import Testing

@testable import BillingScenario

// "An object copied from Stripe's API pastes in unchanged" (issue 7): each object below is written
// as the API returns it (JSON, which YAML reads as it is), with every field Stripe sends.

/// A scenario of objects as Stripe's API returns them, with ids renamed and times on the clock.
let pastedFromTheAPI = """
    name: Pasted from Stripe's API
    clock: { start: 2026-01-01T00:00:00Z, until: 2026-02-01T02:00:00Z }
    settings: { billing_mode: flexible }
    meters:
      - {
          "id": "mtr_api", "object": "billing.meter", "created": 1767225600,
          "customer_mapping": { "event_payload_key": "stripe_customer_id", "type": "by_id" },
          "default_aggregation": { "formula": "sum" }, "display_name": "API requests", "event_name": "api_request",
          "event_time_window": null, "livemode": false, "status": "active", "status_transitions": { "deactivated_at": null },
          "updated": 1767225600, "value_settings": { "event_payload_key": "value" }
        }
    products:
      - {
          "id": "prod_api", "object": "product", "active": true, "created": 1767225600, "default_price": "price_api_seat",
          "description": "Comfortable gray cotton t-shirt", "images": [], "livemode": false, "marketing_features": [],
          "metadata": {}, "name": "API plan", "package_dimensions": { "height": 1.5, "length": 2, "weight": 3, "width": 4 },
          "shippable": null, "statement_descriptor": null, "tax_code": null, "type": "service", "unit_label": null,
          "updated": 1767225600, "url": null
        }
    prices:
      - {
          "id": "price_api_seat", "object": "price", "active": true, "billing_scheme": "per_unit", "created": 1767225600,
          "currency": "usd", "custom_unit_amount": { "maximum": null, "minimum": null, "preset": null }, "livemode": false,
          "lookup_key": null, "metadata": {}, "nickname": null, "product": "prod_api",
          "recurring": { "interval": "month", "interval_count": 1, "meter": null, "trial_period_days": null, "usage_type": "licensed" },
          "tax_behavior": "unspecified", "tiers_mode": null, "transform_quantity": { "divide_by": 10, "round": "up" },
          "type": "recurring", "unit_amount": 2000, "unit_amount_decimal": "2000"
        }
      - {
          "id": "price_api_usage", "object": "price", "active": true, "billing_scheme": "tiered", "created": 1767225600,
          "currency": "usd", "currency_options": { }, "custom_unit_amount": null, "livemode": false, "lookup_key": "usage",
          "metadata": {}, "nickname": "Usage", "product": "prod_api",
          "recurring": { "interval": "month", "interval_count": 1, "meter": "mtr_api", "trial_period_days": null, "usage_type": "metered" },
          "tax_behavior": "unspecified",
          "tiers": [
            { "flat_amount": null, "flat_amount_decimal": null, "unit_amount": 0, "unit_amount_decimal": "0", "up_to": 1000 },
            { "flat_amount": null, "flat_amount_decimal": null, "unit_amount": 2, "unit_amount_decimal": "2", "up_to": null }
          ],
          "tiers_mode": "graduated", "transform_quantity": null, "type": "recurring", "unit_amount": null, "unit_amount_decimal": null
        }
    customers:
      - {
          "id": "cus_api", "object": "customer", "address": { "city": null, "country": null, "line1": null, "line2": null,
          "postal_code": null, "state": null }, "balance": 0, "business_name": null, "cash_balance": null, "created": 1767225600,
          "currency": "usd", "customer_account": null, "default_source": null, "delinquent": false, "description": null,
          "discount": null, "email": "jennyrosen@example.com", "individual_name": null, "invoice_credit_balance": {},
          "invoice_prefix": "0759376C",
          "invoice_settings": { "custom_fields": null, "default_payment_method": "pm_card_visa", "footer": null,
                                "rendering_options": { "amount_tax_display": null, "template": null } },
          "livemode": false, "metadata": {}, "name": "Jenny Rosen", "next_invoice_sequence": 1, "phone": null,
          "preferred_locales": [], "shipping": null,
          "sources": { "object": "list", "data": [], "has_more": false, "total_count": 0, "url": "/v1/customers/cus_api/sources" },
          "subscriptions": { "object": "list", "data": [], "has_more": false, "total_count": 1, "url": "/v1/customers/cus_api/subscriptions" },
          "tax": { "automatic_tax": "unrecognized_location", "ip_address": null, "location": null, "provider": "stripe" },
          "tax_exempt": "none",
          "tax_ids": { "object": "list", "data": [], "has_more": false, "total_count": 0, "url": "/v1/customers/cus_api/tax_ids" },
          "test_clock": null
        }
    subscriptions:
      - {
          "id": "sub_api", "object": "subscription", "application": null, "application_fee_percent": null,
          "automatic_tax": { "disabled_reason": null, "enabled": false, "liability": { "type": "account" } },
          "billing_cycle_anchor": 1767225600, "billing_cycle_anchor_config": null,
          "billing_mode": { "flexible": { "proration_discounts": "included" }, "type": "flexible", "updated_at": 1767225600 },
          "billing_thresholds": null, "cancel_at": null, "cancel_at_period_end": false, "canceled_at": null,
          "cancellation_details": { "comment": null, "feedback": null, "reason": null }, "collection_method": "charge_automatically",
          "created": 1767225600, "currency": "usd", "customer": "cus_api", "customer_account": null, "days_until_due": null,
          "default_payment_method": null, "default_source": null, "default_tax_rates": [], "description": null, "discounts": [],
          "ended_at": null, "invoice_settings": { "account_tax_ids": null, "issuer": { "type": "self" } },
          "items": {
            "object": "list",
            "data": [
              {
                "id": "si_api_seat", "object": "subscription_item", "billing_thresholds": null, "created": 1767225600,
                "current_period_end": 1769904000, "current_period_start": 1767225600, "discounts": [], "metadata": {},
                "plan": { "id": "price_api_seat", "object": "plan", "active": true, "amount": 2000, "amount_decimal": "2000",
                          "billing_scheme": "per_unit", "created": 1767225600, "currency": "usd", "interval": "month",
                          "interval_count": 1, "livemode": false, "metadata": {}, "meter": null, "nickname": null,
                          "product": "prod_api", "tiers_mode": null, "transform_usage": { "divide_by": 10, "round": "up" },
                          "trial_period_days": null, "usage_type": "licensed" },
                "price": { "id": "price_api_seat", "object": "price", "active": true, "billing_scheme": "per_unit",
                           "currency": "usd", "product": "prod_api", "unit_amount": 2000, "unit_amount_decimal": "2000" },
                "quantity": 25, "subscription": "sub_api", "tax_rates": []
              },
              {
                "id": "si_api_usage", "object": "subscription_item", "billing_thresholds": { "usage_gte": null },
                "created": 1767225600, "current_period_end": 1769904000, "current_period_start": 1767225600, "discounts": [],
                "metadata": {}, "plan": null, "price": "price_api_usage", "subscription": "sub_api", "tax_rates": []
              }
            ],
            "has_more": false, "total_count": 2, "url": "/v1/subscription_items?subscription=sub_api"
          },
          "latest_invoice": "in_1Q0", "livemode": false, "metadata": {}, "next_pending_invoice_item_invoice": null,
          "on_behalf_of": null, "pause_collection": null,
          "payment_settings": { "payment_method_options": null, "payment_method_types": null, "save_default_payment_method": "off" },
          "pending_invoice_item_interval": null, "pending_setup_intent": null, "pending_update": null, "schedule": null,
          "start_date": 1767225600, "status": "active", "test_clock": null, "transfer_data": null, "trial_end": null,
          "trial_settings": { "end_behavior": { "missing_payment_method": "create_invoice" } }, "trial_start": null
        }
    usage:
      - events:
          - {
              "object": "billing.meter_event", "created": 1768478400, "event_name": "api_request", "identifier": "evt_api_1",
              "livemode": false, "payload": { "stripe_customer_id": "cus_api", "value": "25" }, "timestamp": 1768478400
            }
    timeline:
      - at: 2026-01-20T00:00:00Z
        preview_invoice: { subscription: sub_api, as: jan_preview, subscription_details: null }
    expect:
      invoice_count: 2
      previews: { jan_preview: { total: 5000 } }
      meter_event_errors: {}
      late_events: 0

    """

@Suite struct StripeObjectsPasteIn {
    @Test func everyObjectAsTheAPIReturnsItLoads() throws {
        let scenario = try loaded(pastedFromTheAPI)
        let simulation = scenario.simulation
        let customer = Customer(id: "cus_api", name: "Jenny Rosen", currency: Currency(code: "usd"), balance: 0, defaultPaymentMethod: "pm_card_visa")
        #expect(simulation.customers == [customer])
        let catalog = simulation.catalog
        #expect(catalog.products.map(\.name) == ["API plan"])
        #expect(catalog.meters.map(\.eventName) == ["api_request"])
        let transform = TransformQuantity(divideBy: 10, roundUp: true)
        #expect(catalog.price("price_api_seat")?.scheme == .perUnit(unitAmount: ExactDecimal(2000), transform: transform))
        #expect(
            catalog.price("price_api_usage")?.scheme
                == .graduated([
                    PriceTier(upTo: 1000, unitAmount: .zero, flatAmount: .zero), PriceTier(upTo: nil, unitAmount: ExactDecimal(2), flatAmount: .zero),
                ]))
        let subscription = try #require(simulation.subscriptions.first)
        #expect(subscription.created == Instant(year: 2026, month: 1, day: 1))
        #expect(subscription.billingMode == .flexible)
        #expect(
            subscription.items == [
                SubscriptionItem(id: "si_api_seat", price: "price_api_seat", quantity: 25),
                SubscriptionItem(id: "si_api_usage", price: "price_api_usage", quantity: 1),
            ])
        guard case .events(let events) = try #require(scenario.usage.first) else {
            Issue.record("expected literal events")
            return
        }
        #expect(events.map(\.identifier) == ["evt_api_1"])
        #expect(events.first?.timestamp == Instant(year: 2026, month: 1, day: 15, hour: 12))
    }

    /// The fields the issue names, each on its own: a customer, a price and a meter event of the seed.
    @Test func theFieldsThatWereRejectedLoad() throws {
        let customer = patched(
            replacing: "    name: John Doe\n",
            with: """
                    name: John Doe
                    default_source: null
                    delinquent: false
                    discount: null
                    invoice_prefix: 0759376C
                    next_invoice_sequence: 1
                    preferred_locales: []
                    shipping: null
                    tax_exempt: none
                    test_clock: null

                """)
        _ = try loaded(customer)
        _ = try loaded(patched(replacing: "identifier: evt_1,", with: "identifier: evt_1, created: 1768478400,"))
        _ = try loaded(patched(replacing: "    unit_amount: 10000\n", with: "    unit_amount: 10000\n    custom_unit_amount: null\n"))
        _ = try loaded(
            patched(
                replacing: "    unit_amount: 10000\n",
                with: "    unit_amount: 10000\n    custom_unit_amount: { maximum: null, minimum: null, preset: null }\n"))
    }

    @Test func aFieldOfNoStripeObjectIsAnError() throws {
        let yaml = patched(replacing: "    name: John Doe\n", with: "    name: John Doe\n    invoice_prefx: JD\n")
        let found = diagnostics(yaml)
        #expect(found.map(\.message) == ["customers[0]: unknown field `invoice_prefx` (did you mean `invoice_prefix`?)"])
        #expect(found.first?.location.line == line(of: "invoice_prefx", in: yaml))
        #expect(found.first?.location.column == 5)
        let event = diagnostics(patched(replacing: "identifier: evt_1,", with: "identifier: evt_1, cretaed: 1,"))
        #expect(event.map(\.message) == ["usage[0].events[0]: unknown field `cretaed` (did you mean `created`?)"])
    }

    @Test func aWrongValueOfABilledFieldIsStillAnError() {
        let yaml = patched(replacing: "    balance: 0\n", with: "    balance: lots\n")
        #expect(diagnostics(yaml).map(\.message) == ["customers[0].balance: expected an integer, found \"lots\""])
    }
}

/// Where a field of each table goes in the seed, and the path its diagnostic names.
struct Placement: Sendable {
    var table: FieldTable
    var old: String
    var new: @Sendable (String) -> String
    var path: String

    static let all: [Placement] = [
        Placement(table: StripeFields.customer, old: "    name: John Doe\n", new: { "    name: John Doe\n    \($0)\n" }, path: "customers[0]"),
        Placement(
            table: StripeFields.product, old: "{ id: prod_usage, name: Hypernian usage }",
            new: { "{ id: prod_usage, name: Hypernian usage, \($0) }" },
            path: "products[1]"),
        Placement(table: StripeFields.price, old: "    unit_amount: 10000\n", new: { "    unit_amount: 10000\n    \($0)\n" }, path: "prices[0]"),
        Placement(
            table: StripeFields.meter, old: "    default_aggregation: { formula: sum }\n",
            new: { "    default_aggregation: { formula: sum }\n    \($0)\n" },
            path: "meters[0]"),
        Placement(table: StripeFields.meterEvent, old: "identifier: evt_1,", new: { "identifier: evt_1, \($0)," }, path: "usage[0].events[0]"),
        Placement(
            table: StripeFields.subscription, old: "    customer: cus_john\n", new: { "    customer: cus_john\n    \($0)\n" },
            path: "subscriptions[0]"),
        Placement(
            table: StripeFields.subscriptionItem, old: "{ id: si_usage, price: price_usage }",
            new: { "{ id: si_usage, price: price_usage, \($0) }" },
            path: "subscriptions[0].items[1]"),
        Placement(table: FormatFields.scenario, old: "expect:\n", new: { "\($0)\nexpect:\n" }, path: ""),
        Placement(table: FormatFields.settings, old: "clock:\n", new: { "settings: { \($0) }\nclock:\n" }, path: "settings"),
        Placement(table: FormatFields.expect, old: "  invoice_count: 3\n", new: { "  invoice_count: 3\n  \($0)\n" }, path: "expect"),
        Placement(
            table: FormatFields.previewInvoice, old: "{ subscription: sub_john, as: feb_preview }",
            new: { "{ subscription: sub_john, as: feb_preview, \($0) }" }, path: "timeline[0].preview_invoice"),
    ]
}

@Suite struct StripeFieldTables {
    /// Every property of each object's schema in Stripe's OpenAPI spec (fixtures3.json of
    /// github.com/stripe/openapi at f6c2a48, 2026-08-21, plus the expandable properties), copied here
    /// so that a field dropped from a table fails this test.
    static let stripeSchemas: [(table: FieldTable, fields: [String])] = [
        (
            StripeFields.customer,
            [
                "address", "balance", "business_name", "cash_balance", "created", "currency", "customer_account", "default_source",
                "delinquent", "description", "discount", "email", "id", "individual_name", "invoice_credit_balance", "invoice_prefix",
                "invoice_settings", "livemode", "metadata", "name", "next_invoice_sequence", "object", "phone", "preferred_locales",
                "shipping", "sources", "subscriptions", "tax", "tax_exempt", "tax_ids", "test_clock",
            ]
        ),
        (
            StripeFields.product,
            [
                "active", "created", "default_price", "description", "id", "images", "livemode", "marketing_features", "metadata", "name",
                "object", "package_dimensions", "shippable", "statement_descriptor", "tax_code", "type", "unit_label", "updated", "url",
            ]
        ),
        (
            StripeFields.price,
            [
                "active", "billing_scheme", "created", "currency", "currency_options", "custom_unit_amount", "id", "livemode", "lookup_key",
                "metadata", "nickname", "object", "product", "recurring", "tax_behavior", "tiers", "tiers_mode", "transform_quantity", "type",
                "unit_amount", "unit_amount_decimal",
            ]
        ),
        (
            StripeFields.meter,
            [
                "created", "customer_mapping", "default_aggregation", "display_name", "event_name", "event_time_window", "id", "livemode",
                "object", "status", "status_transitions", "updated", "value_settings",
            ]
        ),
        (StripeFields.meterEvent, ["created", "event_name", "identifier", "livemode", "object", "payload", "timestamp"]),
        (
            StripeFields.subscription,
            [
                "application", "application_fee_percent", "automatic_tax", "billing_cycle_anchor", "billing_cycle_anchor_config",
                "billing_mode", "billing_schedules", "billing_thresholds", "cancel_at", "cancel_at_period_end", "canceled_at",
                "cancellation_details", "collection_method", "created", "currency", "customer", "customer_account", "days_until_due",
                "default_payment_method", "default_source", "default_tax_rates", "description", "discounts", "ended_at", "id",
                "invoice_settings", "items", "latest_invoice", "livemode", "managed_payments", "metadata", "next_pending_invoice_item_invoice",
                "object", "on_behalf_of", "pause_collection", "payment_settings", "pending_invoice_item_interval", "pending_setup_intent",
                "pending_update", "schedule", "start_date", "status", "test_clock", "transfer_data", "trial_end", "trial_settings",
                "trial_start",
            ]
        ),
        (
            StripeFields.subscriptionItem,
            [
                "billing_thresholds", "created", "current_period_end", "current_period_start", "discounts", "id", "metadata", "object", "plan",
                "price", "quantity", "subscription", "tax_rates",
            ]
        ),
        (
            StripeFields.taxRate,
            [
                "active", "country", "created", "description", "display_name", "effective_percentage", "flat_amount", "id", "inclusive",
                "jurisdiction", "jurisdiction_level", "livemode", "metadata", "object", "percentage", "rate_type", "state", "tax_type",
            ]
        ),
    ]

    @Test func everyFieldOfStripesObjectsIsClassified() {
        for (table, fields) in Self.stripeSchemas {
            let missing = fields.filter { table.fields[$0] == nil }
            #expect(missing == [], "\(table.object) has no policy for \(missing)")
        }
    }

    @Test func everyIgnoredOrUnsupportedFieldSaysWhy() {
        for table in StripeFields.all + [
            FormatFields.scenario, FormatFields.settings, FormatFields.expect, FormatFields.previewInvoice, FormatFields.updateSubscription,
        ] {
            for (name, policy) in table.fields {
                switch policy {
                case .billed: break
                case .ignored(let reason): #expect(!reason.isEmpty, "\(table.object).\(name)")
                case .notSupportedYet(let message, _): #expect(!message.isEmpty, "\(table.object).\(name)")
                }
            }
        }
    }

    /// A `.billed` field is one its section reads: loading the seed and the pasted objects asks for
    /// every one of them.
    @Test func everyBilledFieldIsReadByItsSection() {
        var read: [String: Set<String>] = [:]
        let settings = "settings: { billing_mode: flexible, finalization_grace: 1h, event_window: {} }\n"
        let withSettings = patched(replacing: "clock:\n", with: settings + "clock:\n")
        let update = patched(
            replacing: "    preview_invoice: { subscription: sub_john, as: feb_preview }\n",
            with: """
                    preview_invoice: { subscription: sub_john, as: feb_preview }
                  - at: 2026-02-11T00:00:00Z
                    update_subscription:
                      subscription: sub_john
                      items: [{ id: si_license, quantity: 2 }, { id: si_usage, deleted: true }, { price: price_usage }]
                      proration_behavior: always_invoice
                      proration_date: 2026-02-10T00:00:00Z
                      billing_cycle_anchor: unchanged
                      cancel_at_period_end: false
                      cancel_at: 2026-02-20T00:00:00Z
                  - at: 2026-02-11T00:00:00Z
                    add_invoice_item: { customer: cus_john, subscription: sub_john, amount: 2500, currency: usd, description: Support }
                  - at: 2026-02-12T00:00:00Z
                    preview_invoice:
                      subscription: sub_john
                      subscription_details:
                        items: [{ id: si_license, quantity: 3 }]
                        proration_date: 2026-02-11T00:00:00Z
                        proration_behavior: none
                        billing_cycle_anchor: unchanged
                        cancel_at_period_end: false

                """)
        let coupons = patched(
            replacing: "customers:\n",
            with:
                "coupons:\n  - { id: co_x, percent_off: 10, duration: repeating, duration_in_months: 2, applies_to: { products: [prod_license] } }\n"
                + "  - { id: co_y, amount_off: 10, currency: usd }\ncustomers:\n")
        let grants = patched(
            replacing: "expect:\n",
            with: """
                credit_grants:
                  - id: cg_x
                    customer: cus_john
                    name: Credit
                    amount: { type: monetary, monetary: { currency: usd, value: 500 } }
                    applicability_config: { scope: { price_type: metered } }
                    category: promotional
                    priority: 20
                    effective_at: 2026-01-01T00:00:00Z
                    expires_at: 2026-03-01T00:00:00Z
                expect:

                """)
        let taxRates = patched(
            replacing: "customers:\n", with: "tax_rates:\n  - { id: txr_x, display_name: VAT, percentage: 19, inclusive: true }\ncustomers:\n")
        for yaml in [withSettings, pastedFromTheAPI, update, coupons, grants, taxRates] {
            let (scenario, sink) = ScenarioLoader.read(yaml: yaml, path: path)
            #expect(scenario != nil)
            read.merge(sink.fieldsRead) { $0.union($1) }
        }
        for table in StripeFields.all + [
            FormatFields.scenario, FormatFields.settings, FormatFields.expect, FormatFields.previewInvoice, FormatFields.updateSubscription,
        ] {
            let unread = table.billed.subtracting(read[table.object] ?? [])
            #expect(unread.isEmpty, "\(table.object): billed but never read: \(unread.sorted())")
        }
    }

    /// Each "not supported yet" field, written with a value that is not its default, gives exactly
    /// its message at the field.
    @Test func everyUnsupportedFieldGivesItsDiagnostic() throws {
        for placement in Placement.all {
            for (name, policy) in placement.table.fields.sorted(by: { $0.key < $1.key }) {
                guard case .notSupportedYet(let message, _) = policy else { continue }
                let yaml = patched(replacing: placement.old, with: placement.new("\(name): something"))
                let found = diagnostics(yaml)
                let fieldPath = placement.path.isEmpty ? name : "\(placement.path).\(name)"
                #expect(found.map(\.message) == ["\(fieldPath): \(message)"])
                #expect(found.first?.location.line == line(of: "\(name): something", in: yaml))
                #expect(found.first?.location.column == column(of: "\(name): something", in: yaml))
            }
        }
    }

    /// Null or Stripe's default is never an error: every "not supported yet" field at null, and the
    /// ones with a default at it.
    @Test func everyUnsupportedFieldAtNullOrItsDefaultLoads() throws {
        for placement in Placement.all {
            for (name, policy) in placement.table.fields {
                guard case .notSupportedYet(_, let defaults) = policy else { continue }
                for value in ["null"] + defaults {
                    let yaml = patched(replacing: placement.old, with: placement.new("\(name): \(value)"))
                    #expect(diagnostics(yaml).map(\.message) == [], "\(placement.table.object).\(name): \(value)")
                }
            }
        }
    }

    /// Ignored fields are never read, so any value loads.
    @Test func ignoredFieldsTakeAnyValue() throws {
        for placement in Placement.all {
            for (name, policy) in placement.table.fields {
                guard case .ignored = policy else { continue }
                let yaml = patched(replacing: placement.old, with: placement.new("\(name): anything"))
                #expect(diagnostics(yaml).map(\.message) == [], "\(placement.table.object).\(name)")
            }
        }
    }
}

@Suite struct FormatSectionsNotSupportedYet {
    /// Populations load (PopulationTests has the rest); one without `plans` names what is missing.
    @Test func populationsLoad() throws {
        let customers = patched(replacing: "subscriptions:\n", with: "  - generate: { count: 10, id: \"cus_{n}\", seed: 7 }\nsubscriptions:\n")
        #expect(try loaded(customers).simulation.customers.map(\.id).suffix(2) == ["cus_09", "cus_10"])
        let subscriptions = patched(replacing: "usage:\n", with: "  - generate: { customers: all, seed: 7 }\nusage:\n")
        #expect(diagnostics(subscriptions).map(\.message) == ["subscriptions[1].generate: missing `plans`"])
    }

    @Test func futureTimelineActionsAreNamed() {
        for action in FormatFields.futureActions {
            let yaml = patched(replacing: "timeline:\n", with: "timeline:\n  - at: 2026-01-20T00:00:00Z\n    \(action): { invoice: in_0001 }\n")
            #expect(diagnostics(yaml).map(\.message) == ["timeline[0].\(action): \(action) is not supported yet"])
        }
    }

    @Test func emptyMoneySectionsLoad() throws {
        _ = try loaded(patched(replacing: "expect:\n", with: "coupons: []\ntax_rates: []\ncredit_grants: []\nvariants: []\nexpect:\n"))
    }
}
