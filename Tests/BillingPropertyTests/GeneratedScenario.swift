import BillingCore
import BillingDocument
import BillingScenario
import PropertyBased

/// One tier of a generated price: its width (so `up_to` ascends), its unit amount in hundredths of
/// a cent (`unit_amount_decimal` with two decimals) and its flat fee in cents.
struct TierSpec: Sendable, Hashable {
    var width: Int64
    var centiUnit: Int64
    var flat: Int64
}

/// A generated customer: balance (negative = credit), whether it has a card, and the January day
/// its subscription is created.
struct CustomerSpec: Sendable, Hashable {
    var balance: Int64
    var hasCard: Bool
    var createdDay: Int
}

/// A generated meter event: its customer (index mod the customer count), its offset in seconds after
/// that customer's subscription is created, its value, and how many seconds after its timestamp it
/// is received (0: on time). Offsets and delays are whole multiples of 6 hours.
struct EventSpec: Sendable, Hashable {
    var customer: Int
    var offset: Int64
    var value: Int64
    var delay: Int64
}

/// A small random scenario: one licensed price, one metered price (per unit, graduated or volume) on
/// a `sum` or `count` meter, 1–4 customers each with one subscription of both, and up to 60 events.
/// It prints as scenario YAML, so a failing case reads as a scenario to paste and run.
struct GeneratedScenario: Sendable, CustomStringConvertible {
    static let start = Instant(year: 2026, month: 1, day: 1)
    static let file = "generated.yaml"

    var scheme: Int
    var tiers: [TierSpec]
    var countMeter: Bool
    var licensed: Int64
    var quantity: Int64
    var customers: [CustomerSpec]
    var days: Int64
    var events: [EventSpec]

    static let generator = zip(
        Gen.int(in: 0...2), zip(Gen.int64(in: 1...2000), Gen.int64(in: 0...900), Gen.int64(in: 0...500)).array(of: 1...4),
        Gen.bool(), Gen.int64(in: 0...20000), Gen.int64(in: 1...5),
        zip(Gen.int64(in: -3000...3000), Gen.bool(0.8), Gen.int(in: 1...20)).array(of: 1...4), Gen.int64(in: 1...75),
        zip(Gen.int(in: 0...3), Gen.int64(in: 0...300), Gen.int64(in: 0...1000), Gen.int64(in: -6...12)).array(of: 0...60)
    ).map { value in
        GeneratedScenario(
            scheme: value.0, tiers: value.1.map { TierSpec(width: $0.0, centiUnit: $0.1, flat: $0.2) }, countMeter: value.2, licensed: value.3,
            quantity: value.4, customers: value.5.map { CustomerSpec(balance: $0.0, hasCard: $0.1, createdDay: $0.2) }, days: value.6,
            // Times in steps of 6 hours, so that events (of one stream or of two) often arrive at the same
            // instant; a negative delay is "on time": about two thirds of the events arrive up to 3 days late.
            events: value.7.map { EventSpec(customer: $0.0, offset: $0.1 * 21_600, value: $0.2, delay: max(0, $0.3) * 21_600) })
    }

    var until: Instant { Self.start + .days(days) + .hours(2) }

    func customerID(_ index: Int) -> String { "cus_\(index + 1)" }
    func created(_ index: Int) -> Instant { Self.start + .days(Int64(customers[index].createdDay - 1)) }

    /// The metered price's tiers with ascending `up_to`, the last one `inf`.
    var priceTiers: [PriceTier] {
        var upTo: Int64 = 0
        return tiers.enumerated().map { index, tier in
            upTo += tier.width
            return PriceTier(
                upTo: index == tiers.count - 1 ? nil : upTo, unitAmount: ExactDecimal(tier.centiUnit).scaled(by: 1, over: 100),
                flatAmount: ExactDecimal(tier.flat))
        }
    }

    var meteredScheme: PricingScheme {
        switch scheme {
        case 0: .perUnit(unitAmount: ExactDecimal(tiers[0].centiUnit).scaled(by: 1, over: 100), transform: nil)
        case 1: .graduated(priceTiers)
        default: .volume(priceTiers)
        }
    }

    /// The events, each for an existing customer, at or after its subscription's creation.
    var meterEvents: [MeterEvent] {
        events.enumerated().map { index, spec in
            let customer = spec.customer % customers.count
            let timestamp = created(customer) + TimeSpan(seconds: spec.offset)
            return MeterEvent(
                eventName: "tokens", timestamp: timestamp, identifier: "evt_\(index)",
                payload: ["stripe_customer_id": customerID(customer), "value": String(spec.value)],
                receivedAt: spec.delay == 0 ? nil : timestamp + TimeSpan(seconds: spec.delay))
        }
    }

    /// The scenario with its usage in the given streams (default: one literal stream of every event).
    func scenario(usage: [UsageStream]? = nil) -> Scenario {
        let catalog = Catalog(
            meters: [Meter(id: "mtr_tokens", eventName: "tokens", formula: countMeter ? .count : .sum)],
            products: [Product(id: "prod_license", name: "License"), Product(id: "prod_tokens", name: "Tokens")],
            prices: [
                Price(
                    id: "price_license", product: "prod_license", currency: Currency(code: "usd")!, interval: BillingInterval(.month),
                    usageType: .licensed, scheme: .perUnit(unitAmount: ExactDecimal(licensed), transform: nil)),
                Price(
                    id: "price_tokens", product: "prod_tokens", currency: Currency(code: "usd")!, interval: BillingInterval(.month),
                    usageType: .metered(meter: "mtr_tokens"), scheme: meteredScheme),
            ])
        let customerList = customers.indices.map { index in
            Customer(
                id: customerID(index), currency: Currency(code: "usd"), balance: customers[index].balance,
                defaultPaymentMethod: customers[index].hasCard ? "pm_card_visa" : nil)
        }
        let subscriptions = customers.indices.map { index in
            Subscription(
                id: "sub_\(index + 1)", customer: customerID(index), created: created(index), billingMode: .flexible,
                items: [
                    SubscriptionItem(id: "si_license_\(index + 1)", price: "price_license", quantity: quantity),
                    SubscriptionItem(id: "si_tokens_\(index + 1)", price: "price_tokens"),
                ])
        }
        let simulation = Simulation(
            clockStart: Self.start, clockUntil: until, catalog: catalog, customers: customerList, subscriptions: subscriptions)
        return Scenario(
            path: Self.file, name: "generated", description: "", tags: [], simulation: simulation, usage: usage ?? [.events(meterEvents)],
            expectation: Expectation(location: SourceLocation(file: Self.file, line: 1, column: 1)))
    }

    var description: String { "\n" + ScenarioWriter.yaml(scenario(), header: ["A generated scenario (PropertyBased shrinks it before printing)"]) }
}
