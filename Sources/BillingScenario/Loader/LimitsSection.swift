import BillingCore
import BillingDocument

/// `settings.limits`: how much one run may bill and generate, checked when the file loads so that a
/// scenario that would run for hours or exhaust memory is INVALID at the line that asks for it
/// (Docs/ENGINE-RULES.md, "Limits"). The clock's own span needs no limit: instants stop at year 9999
/// (RFC 3339), and the engine only spends time on work that is due.
struct RunLimits {
    /// Billing periods of all subscriptions together, from each one's start to `clock.until`.
    var maxPeriods: Int64 = 1_000_000
    /// Events all `generate:` streams together produce (their expected number).
    var maxGeneratedEvents: Int64 = 10_000_000
}

extension ScenarioReader {
    func readLimits(_ fields: Fields) -> RunLimits {
        var limits = RunLimits()
        if let value = fields.optional("max_periods"), let limit = value.integer(1...Int64.max) { limits.maxPeriods = limit }
        if let value = fields.optional("max_generated_events"), let limit = value.integer(1...Int64.max) { limits.maxGeneratedEvents = limit }
        return limits
    }

    /// How many billing periods `subscription` has from its start to `until` (the period containing
    /// `until` included; a cancellation is not foreseen: it is an upper bound).
    func periodCount(_ subscription: Subscription, interval: BillingInterval, until: Instant) -> Int64 {
        guard until >= subscription.start else { return 0 }
        let schedule = subscription.schedule(interval: interval)
        let first = interval.periodIndex(containing: subscription.start, anchor: schedule.anchor)
        let last = interval.periodIndex(containing: until, anchor: schedule.anchor)
        return Int64(last - first + 1)
    }

    /// Reports the subscription whose periods take the run past `settings.limits.max_periods`.
    func checkPeriods(_ subscriptions: [Subscription], prices: [String: Price], until: Instant) {
        var total: Int64 = 0
        for subscription in subscriptions {
            guard let first = subscription.items.first, let interval = prices[first.price]?.interval else { continue }
            let count = periodCount(subscription, interval: interval, until: until)
            total += count
            guard total > limits.maxPeriods else { continue }
            let location = subscriptionLocations[subscription.id] ?? SourceLocation(file: path, line: 1, column: 1)
            sink.report(
                "subscription `\(subscription.id)` bills \(count) periods (every \(interval) from \(subscription.start) to clock.until \(until))\(total == count ? "" : ", \(total) with the subscriptions before it"): more than settings.limits.max_periods (\(limits.maxPeriods)); shorten the clock or raise the limit",
                at: location)
            return
        }
    }

    /// The expected number of events of a `generate:` stream: per customer, the arrivals between `from`
    /// and `to` (already cut at `clock.until`); reports the stream that takes the run past
    /// `settings.limits.max_generated_events`.
    func checkGeneratedEvents(_ spec: GeneratorSpec, at location: SourceLocation) {
        // Each customer's own process: a rate drawn per customer is drawn here as the stream will draw it.
        let expected = spec.customerArrivals.reduce(0.0) { $0 + $1.expectedCount(over: spec.to - spec.from) }
        generatedEvents += expected
        guard generatedEvents > Double(limits.maxGeneratedEvents) else { return }
        let shown = expected < 1e15 ? String(Int64(expected.rounded(.up))) : "more than 10^15"
        sink.report(
            "this stream generates about \(shown) events (\(spec.customers.count) customer\(spec.customers.count == 1 ? "" : "s") from \(spec.from) to \(spec.to))\(generatedEvents == expected ? "" : ", with the streams before it"): more than settings.limits.max_generated_events (\(limits.maxGeneratedEvents)); lower the rate, shorten the span or raise the limit",
            at: location)
        generatedEvents = -.infinity  // one report is enough
    }
}

/// Stripe's own limits on what a scenario writes (Docs/ENGINE-RULES.md, "Limits"), checked when the file
/// loads so that `validate` rejects what Stripe would refuse.
enum StripeLimits {
    /// The largest amount in minor units: "The amount value supports up to eight digits (e.g., a value of
    /// 99999999 for a USD charge of $999,999.99)" (docs.stripe.com/currencies#minimum-and-maximum-charge-amounts).
    /// `unit_amount`, `flat_amount` and the whole part of their `_decimal` forms.
    static let maxAmount: Int64 = 99_999_999
    /// The largest licensed quantity: Stripe documents none; billsim takes the same eight digits, so
    /// that a licensed line (≤ 99999999 × 99999999 < 10¹⁶) and 250 of them on one invoice fit `Int64`.
    static let maxQuantity: Int64 = 99_999_999
    /// `add_invoice_items` per subscription (BILLING-SEMANTICS §5.11).
    static let maxAddInvoiceItems = 20
}
