/// How billsim treats one field of a Stripe object written in a scenario.
///
/// The rule for every field: null, or Stripe's default value, is never an error (see
/// ``YAMLValue/isOff(defaults:)``), so an object copied from Stripe's API pastes in unchanged.
enum FieldPolicy: Sendable, Equatable {
    /// Read by the object's section: it shapes the bill, or names what the bill refers to.
    case billed
    /// Accepted and never read: it cannot change a bill. The text says why.
    case ignored(String)
    /// A Stripe feature billsim does not model yet. At null or at Stripe's default (null, `false`,
    /// `[]`, `{}`, a mapping of such values, or one of `defaults`) it is accepted; any other value is
    /// an error with `message`, at the field.
    case notSupportedYet(String, defaults: [String] = [])
}

/// The policy for every field of one Stripe object: the one place that decides what a scenario
/// may write on it. Each section reader applies its object's table first, then reads the
/// `.billed` fields; a key in no table and not read is an unknown field (a typo, with a hint).
struct FieldTable: Sendable {
    /// Stripe's name of the object (`customer`, `billing.meter`, …).
    let object: String
    let fields: [String: FieldPolicy]

    var billed: Set<String> { Set(fields.filter { $0.value == .billed }.keys) }
}

extension Fields {
    /// Applies `table`: ignored fields are accepted; a not-supported field is accepted at its off
    /// value and reported otherwise. Billed fields are left to the reader, which must read them
    /// (``DiagnosticSink/fieldsRead`` records what it read, for the table test).
    func apply(_ table: FieldTable) {
        self.table = table
        for (name, policy) in table.fields {
            switch policy {
            case .billed: break
            case .ignored: ignore([name])
            case .notSupportedYet(let message, let defaults): unsupported(name, message, defaults: defaults)
            }
        }
    }
}

// The field lists are every property of the object's schema in Stripe's OpenAPI spec
// (github.com/stripe/openapi, openapi/spec3.json and fixtures3.json at commit f6c2a48, 2026-08-21,
// the API version of that date), plus the expandable properties the API returns only when asked
// (`customer.tax_ids`, `price.tiers`, …), fields of older API versions that a pasted object may
// still carry (marked "older API versions"), and the create parameters SCENARIO-FORMAT.md uses
// (marked "a create parameter"). billsim's own additions are marked "billsim's".
enum StripeFields {
    private static let objectType = FieldPolicy.ignored("the object's type, as Stripe writes it")
    private static let livemode = FieldPolicy.ignored("live or test mode; a scenario is a simulation either way")
    private static let metadata = FieldPolicy.ignored("your key-value pairs; Stripe never bills them")
    private static let created = FieldPolicy.ignored("when Stripe created it; the scenario's clock starts the simulation")
    private static let updated = FieldPolicy.ignored("when Stripe last changed it")
    private static let contact = FieldPolicy.ignored("contact details shown on documents; never change an amount")
    private static let connect = FieldPolicy.ignored("Connect: which account collects or settles, not what is billed")
    private static let testClock = FieldPolicy.ignored("the scenario's clock is the test clock")
    private static let state = FieldPolicy.ignored("Stripe's state when the object was retrieved; the run computes its own")
    private static let noTaxes = FieldPolicy.ignored("tax details for Stripe Tax; billsim applies tax rates (`tax_rates`) only")
    private static let discounts = FieldPolicy.notSupportedYet("this form of discount is not supported yet (give `discounts: [{ coupon: … }]`)")
    private static let legacySources = FieldPolicy.notSupportedYet(
        "default_source (legacy payment sources) is not supported yet; give invoice_settings.default_payment_method")

    /// `customers[]`: Stripe's `customer`.
    static let customer = FieldTable(
        object: "customer",
        fields: [
            "id": .billed,
            "object": objectType,
            "address": contact,
            "balance": .billed,
            "business_name": contact,
            "cash_balance": .ignored("funds held for bank-transfer payments; they pay, they never change an invoice's amounts"),
            "created": created,
            "currency": .billed,
            "customer_account": .ignored("a v2 Account id: who the customer is, not what is billed"),
            "default_source": legacySources,
            "delinquent": state,
            "description": contact,
            "discount": .billed,
            "email": contact,
            "individual_name": contact,
            "invoice_credit_balance": .notSupportedYet("invoice_credit_balance is not supported yet (give balance)"),
            "invoice_prefix": .ignored("numbers invoices in Stripe; billsim's invoice ids are in_0001, …"),
            "invoice_settings": .billed,
            "livemode": livemode,
            "metadata": metadata,
            "name": .billed,
            "next_invoice_sequence": .ignored("numbers invoices in Stripe; billsim's invoice ids are in_0001, …"),
            "phone": contact,
            "preferred_locales": contact,
            "shipping": contact,
            "sources": .ignored("the payment sources Stripe lists; only default_source would pay (not supported yet)"),
            "subscriptions": .ignored("Stripe's list of the customer's subscriptions; a scenario gives them under `subscriptions`"),
            "tax": noTaxes,
            "tax_exempt": .notSupportedYet("a customer's tax exemption is not supported yet", defaults: ["none"]),
            "tax_ids": noTaxes,
            "test_clock": testClock,
        ])

    /// `products[]`: Stripe's `product`.
    static let product = FieldTable(
        object: "product",
        fields: [
            "id": .billed,
            "object": objectType,
            "active": .ignored("whether new prices may use it; existing subscriptions bill either way"),
            "created": created,
            "default_price": .ignored("a convenience for checkout; subscriptions name their prices"),
            "description": contact,
            "images": contact,
            "livemode": livemode,
            "marketing_features": contact,
            "metadata": metadata,
            "name": .billed,
            "package_dimensions": .ignored("shipping details"),
            "shippable": .ignored("shipping details"),
            "statement_descriptor": contact,
            "tax_code": noTaxes,
            "type": .ignored("good or service; billing is the same"),
            "unit_label": contact,
            "updated": updated,
            "url": contact,
        ])

    /// `prices[]`: Stripe's `price`.
    static let price = FieldTable(
        object: "price",
        fields: [
            "id": .billed,
            "object": objectType,
            "active": .ignored("whether new subscriptions may use it; existing ones bill either way"),
            "billing_scheme": .billed,
            "created": created,
            "currency": .billed,
            "currency_options": .notSupportedYet("currency_options (multi-currency prices) are not supported yet"),
            "custom_unit_amount": .notSupportedYet("custom_unit_amount (customer-chosen amounts) is not supported yet"),
            "livemode": livemode,
            "lookup_key": .ignored("a name to look the price up by; subscriptions name it by id"),
            "metadata": metadata,
            "nickname": .ignored("a name shown in the Dashboard"),
            "product": .billed,
            "recurring": .billed,
            // Stripe Tax's setting; with Tax Rates each rate's `inclusive` decides (Docs/ENGINE-RULES.md, "Taxes").
            "tax_behavior": .ignored("for Stripe Tax; with tax rates, each rate's `inclusive` decides"),
            "tiers": .billed,
            "tiers_mode": .billed,
            "transform_quantity": .billed,
            "type": .billed,
            "unit_amount": .billed,
            "unit_amount_decimal": .billed,
        ])

    /// `meters[]`: Stripe's `billing.meter`.
    static let meter = FieldTable(
        object: "billing.meter",
        fields: [
            "id": .billed,
            "object": objectType,
            "created": created,
            "customer_mapping": .billed,
            "default_aggregation": .billed,
            "dimension_payload_keys": .billed,  // billsim's (Stripe's private preview of meter dimensions)
            "display_name": .billed,
            "event_name": .billed,
            "event_time_window": .notSupportedYet("event_time_window is not supported yet (usage is aggregated per billing period)"),
            "livemode": livemode,
            "status": .billed,
            "status_transitions": .ignored("when the meter was deactivated; `status` is read"),
            "updated": updated,
            "value_settings": .billed,
        ])

    /// `usage[].events[]`: Stripe's `billing.meter_event`.
    static let meterEvent = FieldTable(
        object: "billing.meter_event",
        fields: [
            "object": objectType,
            "created": .ignored("when Stripe recorded it; `received_at` says when it reaches billing"),
            "event_name": .billed,
            "identifier": .billed,
            "livemode": livemode,
            "payload": .billed,
            "received_at": .billed,  // billsim's: when the event reaches billing (default: its timestamp)
            "timestamp": .billed,
        ])

    /// `subscriptions[]`: Stripe's `subscription`.
    static let subscription = FieldTable(
        object: "subscription",
        fields: [
            "id": .billed,
            "object": objectType,
            "add_invoice_items": .billed,  // a create parameter
            "application": connect,
            "application_fee_percent": connect,
            // Stripe writes a disabled automatic_tax as { enabled: false, liability: { type: account } } or with liability: null.
            "automatic_tax": .notSupportedYet("automatic tax is not supported yet", defaults: ["account"]),
            "backdate_start_date": .billed,  // a create parameter
            "billing_cycle_anchor": .billed,
            "billing_cycle_anchor_config": .notSupportedYet("billing_cycle_anchor_config is not supported yet (give billing_cycle_anchor)"),
            "billing_mode": .billed,
            "billing_schedules": .notSupportedYet("billing_schedules are not supported yet"),
            "billing_thresholds": .billed,
            "cancel_at": .billed,
            "cancel_at_period_end": .billed,
            "canceled_at": .notSupportedYet("a canceled subscription is not supported yet (cancel it with a timeline cancel_subscription)"),
            "cancellation_details": .ignored("why a subscription was canceled; never changes a bill"),
            "collection_method": .billed,
            "coupon": discounts,  // a create parameter of older API versions
            "created": .billed,
            "currency": .ignored("Stripe's copy of the items' currency; the items' prices are checked against the customer"),
            "current_period_end": state,  // older API versions
            "current_period_start": state,  // older API versions
            "customer": .billed,
            "customer_account": .ignored("a v2 Account id: who the customer is, not what is billed"),
            "days_until_due": .billed,
            "default_payment_method": .billed,
            "default_source": legacySources,
            "default_tax_rates": .billed,
            "description": contact,
            "discount": discounts,  // older API versions
            "discounts": .billed,
            "ended_at": .notSupportedYet("an ended subscription is not supported yet (cancel it with a timeline cancel_subscription)"),
            "invoice_settings": .ignored("who issues the invoices and their tax ids, not what they bill"),
            "items": .billed,
            "latest_invoice": .ignored("the last invoice Stripe made; the run makes its own"),
            "livemode": livemode,
            "managed_payments": .notSupportedYet("managed_payments is not supported yet"),
            "metadata": metadata,
            "next_pending_invoice_item_invoice": state,
            "on_behalf_of": connect,
            "pause_collection": .notSupportedYet("pause_collection is not supported yet"),
            "payment_settings": .ignored("which payment methods invoices offer, not what they bill"),
            "pending_invoice_item_interval": .billed,
            "pending_setup_intent": state,
            "pending_update": .notSupportedYet("pending_update (updates waiting for a payment) is not supported yet"),
            "plan": .ignored("older API versions: the single item's plan; `items` is read"),
            "proration_behavior": .billed,  // a create parameter
            "quantity": .ignored("older API versions: the single item's quantity; `items` is read"),
            "schedule": .notSupportedYet("subscription schedules are not supported yet"),
            "start_date": .ignored("Stripe's copy of created, or of backdate_start_date when given"),
            "status": state,
            "test_clock": testClock,
            "transfer_data": connect,
            "trial_end": .billed,
            "trial_period_days": .billed,  // a create parameter
            "trial_settings": .billed,
            "trial_start": state,
        ])

    /// `coupons[]`: Stripe's `coupon`.
    static let coupon = FieldTable(
        object: "coupon",
        fields: [
            "id": .billed,
            "object": objectType,
            "amount_off": .billed,
            "applies_to": .billed,
            "created": created,
            "currency": .billed,
            "currency_options": .notSupportedYet("currency_options (amounts off in other currencies) are not supported yet"),
            "duration": .billed,
            "duration_in_months": .billed,
            "livemode": livemode,
            "max_redemptions": .ignored("how many customers may redeem it; a scenario applies it where it says"),
            "metadata": metadata,
            "name": contact,
            "percent_off": .billed,
            "redeem_by": .ignored("the last date it may be redeemed; a scenario applies it where it says"),
            "times_redeemed": state,
            "valid": state,
        ])

    /// `credit_grants[]`: Stripe's `billing.credit_grant`.
    static let creditGrant = FieldTable(
        object: "billing.credit_grant",
        fields: [
            "id": .billed,
            "object": objectType,
            "amount": .billed,
            "applicability_config": .billed,
            "category": .billed,
            "created": created,
            "customer": .billed,
            "customer_account": .notSupportedYet("customer_account (a v2 account) is not supported yet (give customer)"),
            "effective_at": .billed,
            "expires_at": .billed,
            "livemode": livemode,
            "metadata": metadata,
            "name": .billed,
            "priority": .billed,
            "test_clock": testClock,
            "updated": updated,
            "voided_at": .notSupportedYet("a voided credit grant is not supported yet (leave it out)"),
        ])

    /// `subscriptions[].items[]`: Stripe's `subscription_item`.
    static let subscriptionItem = FieldTable(
        object: "subscription_item",
        fields: [
            "id": .billed,
            "object": objectType,
            "billing_thresholds": .billed,
            "created": created,
            "current_period_end": state,
            "current_period_start": state,
            "discounts": .notSupportedYet("item-level discounts are not supported yet (give the subscription a coupon)"),
            "metadata": metadata,
            "plan": .ignored("the older twin of `price`; `price` is read"),
            "price": .billed,
            "quantity": .billed,
            "subscription": .ignored("the subscription it is written under"),
            "tax_rates": .billed,
        ])

    /// `update_subscription.items[]`: Stripe's `items[]` parameter of a subscription update.
    static let subscriptionItemUpdate = FieldTable(
        object: "subscription_item_update",
        fields: [
            "id": .billed, "price": .billed, "quantity": .billed, "deleted": .billed,
            "clear_usage": .notSupportedYet("clear_usage (legacy usage records) is not supported"),
            "price_data": .notSupportedYet("price_data (an inline price) is not supported yet; define the price under `prices`"),
            "billing_thresholds": .notSupportedYet("billing_thresholds are not supported yet"),
            "discounts": .notSupportedYet("item-level discounts are not supported yet (give the subscription a coupon)"),
            "tax_rates": .billed,
            "metadata": .ignored("your key-value pairs; Stripe never bills them"),
        ])

    /// A Stripe list (`subscription.items` as the API returns it): `data` holds the objects.
    static let list = FieldTable(
        object: "list",
        fields: [
            "object": objectType,
            "data": .billed,
            "has_more": .ignored("pagination; the scenario holds the whole list"),
            "total_count": .ignored("pagination; the scenario holds the whole list"),
            "url": .ignored("where Stripe serves the list"),
        ])

    /// `tax_rates[]`: Stripe's `tax_rate`.
    static let taxRate = FieldTable(
        object: "tax_rate",
        fields: [
            "id": .billed,
            "object": objectType,
            "active": .ignored("whether new objects may use it; a scenario applies it where it says"),
            "country": .ignored("where the tax applies; a scenario applies it where it says"),
            "created": created,
            "description": contact,
            "display_name": .billed,
            "effective_percentage": state,
            "flat_amount": .notSupportedYet("flat-amount tax rates are not supported yet"),
            "inclusive": .billed,
            "jurisdiction": .ignored("where the tax applies; a scenario applies it where it says"),
            "jurisdiction_level": .ignored("where the tax applies; a scenario applies it where it says"),
            "livemode": livemode,
            "metadata": metadata,
            "percentage": .billed,
            "rate_type": .notSupportedYet("flat-amount tax rates are not supported yet", defaults: ["percentage"]),
            "state": .ignored("where the tax applies; a scenario applies it where it says"),
            "tax_type": .ignored("the kind of tax shown on documents; never changes an amount"),
        ])

    /// Every table, for the table tests.
    static let all = [
        customer, product, price, meter, meterEvent, subscription, subscriptionItem, subscriptionItemUpdate, list, coupon, taxRate, creditGrant,
    ]

}

/// The scenario format's own sections (SCENARIO-FORMAT.md) that later issues build: written, they
/// get the same clear "not supported yet"; empty, they are accepted.
enum FormatFields {
    /// The top level of a scenario file.
    static let scenario = FieldTable(
        object: "scenario",
        fields: [
            "name": .billed, "description": .billed, "tags": .billed, "clock": .billed, "settings": .billed,
            "meters": .billed, "products": .billed, "prices": .billed, "customers": .billed, "subscriptions": .billed,
            "usage": .billed, "timeline": .billed, "expect": .billed,
            "coupons": .billed,
            "tax_rates": .billed,
            "credit_grants": .billed,
            "variants": .billed,
        ])

    /// `variants[]`.
    static let variant = FieldTable(
        object: "variant",
        fields: [
            "name": .billed, "description": .billed, "prices": .billed, "replace_prices": .billed, "settings": .billed,
            "coupons": .billed,
            "tax_rates": .billed,
        ])

    /// `settings`.
    static let settings = FieldTable(
        object: "settings",
        fields: [
            "billing_mode": .billed, "finalization_grace": .billed, "event_window": .billed, "limits": .billed,
            "payment_retries": .billed,
        ])

    /// `expect`.
    static let expect = FieldTable(
        object: "expect",
        fields: [
            "invoices": .billed, "invoice_count": .billed, "previews": .billed, "meter_event_errors": .billed, "late_events": .billed,
            "subscriptions": .billed,
            "customers": .billed,
            "credit_grants": .billed,
            "variants": .billed,
        ])

    /// `timeline[].preview_invoice`.
    static let previewInvoice = FieldTable(
        object: "preview_invoice",
        fields: [
            "subscription": .billed, "as": .billed,
            "subscription_details": .billed,
        ])

    /// `preview_invoice.subscription_details`: the change a preview shows without making it.
    static let subscriptionDetails = FieldTable(
        object: "subscription_details",
        fields: [
            "items": .billed, "proration_date": .billed, "proration_behavior": .billed, "cancel_at_period_end": .billed,
            "billing_cycle_anchor": .billed,
            "cancel_at": .notSupportedYet("previewing cancel_at is not supported yet"),
            "trial_end": .notSupportedYet("previewing a trial change is not supported yet"),
            "default_tax_rates": .billed,
            "billing_mode": .notSupportedYet("previewing another billing_mode is not supported yet"),
            "start_date": .notSupportedYet("previewing a new subscription is not supported yet"),
            "resume_at": .notSupportedYet("pausing and resuming are not supported yet"),
            "cancel_now": .notSupportedYet("previewing an immediate cancellation is not supported yet"),
        ])

    /// `timeline[].update_subscription`: the parameters of `POST /v1/subscriptions/:id`.
    static let updateSubscription = FieldTable(
        object: "update_subscription",
        fields: [
            "subscription": .billed, "items": .billed, "proration_behavior": .billed, "proration_date": .billed,
            "billing_cycle_anchor": .billed, "cancel_at_period_end": .billed,
            "cancel_at": .billed,
            "trial_end": .billed,
            "discounts": .billed,
            "default_tax_rates": .billed,
            "billing_thresholds": .billed,
            "collection_method": .notSupportedYet("changing collection_method is not supported yet", defaults: ["charge_automatically"]),
            "days_until_due": .notSupportedYet("changing days_until_due is not supported yet"),
            "default_payment_method": .billed,
            "payment_behavior": .ignored("what happens when an update's payment fails; every update's invoice is collected as a renewal's"),
            "metadata": .ignored("your key-value pairs; Stripe never bills them"),
            "description": .ignored("shown on documents; never changes an amount"),
        ])

    /// `timeline[].add_invoice_item`: the parameters of `POST /v1/invoiceitems`.
    static let addInvoiceItem = FieldTable(
        object: "add_invoice_item",
        fields: [
            "customer": .billed, "subscription": .billed, "amount": .billed, "currency": .billed, "description": .billed,
            "price": .billed, "quantity": .billed,
            "price_data": .notSupportedYet("price_data is not supported yet (give amount and currency)"),
            "invoice": .notSupportedYet("adding an item to a given draft invoice is not supported yet"),
            "period": .notSupportedYet("an invoice item's period is not supported yet"),
            "discounts": .notSupportedYet("discounts on an invoice item are not supported yet (give the subscription or customer a coupon)"),
            "tax_rates": .notSupportedYet("an invoice item's own tax rates are not supported yet (it gets the subscription's default_tax_rates)"),
            "metadata": .ignored("your key-value pairs; Stripe never bills them"),
        ])

    /// `subscriptions[].add_invoice_items[]`: the create parameter's entries.
    static let addInvoiceItems = FieldTable(
        object: "add_invoice_items",
        fields: [
            "price": .billed, "quantity": .billed,
            "price_data": .notSupportedYet("price_data is not supported yet (give a one-time price)"),
            "discounts": .notSupportedYet("discounts on an invoice item are not supported yet (give the subscription or customer a coupon)"),
            "tax_rates": .notSupportedYet("an invoice item's own tax rates are not supported yet (it gets the subscription's default_tax_rates)"),
            "period": .notSupportedYet("an invoice item's period is not supported yet"),
            "metadata": .ignored("your key-value pairs; Stripe never bills them"),
        ])

    /// Timeline actions the format names that billsim does not run yet: "<action> is not supported yet".
    static let futureActions = ["cancel_meter_event"]
}
