/// A small scenario chosen by fuzz bytes, as scenario YAML (so a failing input prints as a file):
/// one clock of a few billing periods, a meter or two, up to four prices of one interval (licensed or
/// metered; per unit, package, volume or graduated tiers), one or two customers, up to three
/// subscriptions and up to eight meter events. Amounts stay far below `Int64` (unit amounts below
/// 10⁹, quantities below 10⁶): this target looks for wrong bills, the loader's limits are the
/// `scenario` target's.
public struct FuzzScenario {
    var bytes: [UInt8]
    var next = 0

    public init(_ bytes: [UInt8]) { self.bytes = bytes }

    /// The next byte, 0 past the end.
    mutating func byte() -> Int {
        defer { next += 1 }
        return next < bytes.count ? Int(bytes[next]) : 0
    }

    mutating func pick<T>(_ choices: [T]) -> T { choices[byte() % choices.count] }

    static let amounts = ["0", "1", "5", "99", "100", "700", "1000", "2500", "99999", "123456789"]
    static let decimals = ["0.5", "0.001", "1.25", "0.333333333333", "12.999999999999", "4"]
    static let quantities = ["0", "1", "2", "3", "10", "99", "1000", "999999"]
    static let values = ["1", "0", "2.5", "100", "0.000000000001", "999999", "-3", "1000000000", "7"]
    static let upTos = [1, 2, 5, 10, 100, 1000]

    func time(_ seconds: Int) -> String {
        // 2026-01-01T00:00:00Z plus `seconds`, written as Unix seconds.
        "\(1_767_225_600 + seconds)"
    }

    public var yaml: String {
        var input = self
        return input.make()
    }

    mutating func make() -> String {
        // A few periods at most: up to 8 days of daily billing, 6 weeks of weekly, 2 months of monthly.
        let (interval, maxDays) = pick([("day", 8), ("week", 42), ("month", 62)])
        let days = 1 + byte() % maxDays
        var lines = [
            "name: fuzz", "clock: { start: \(time(0)), until: \(time(days * 86_400)) }",
            "meters:",
            "  - { id: mtr_a, event_name: ev_a, default_aggregation: { formula: \(pick(["sum", "count", "last"])) } }",
            "  - { id: mtr_b, event_name: ev_b, default_aggregation: { formula: \(pick(["sum", "count", "last"])) } }",
            "products: [{ id: prod, name: P }]",
            "prices:",
        ]
        let priceCount = 1 + byte() % 4
        var licensed: [Bool] = []
        for index in 0..<priceCount {
            let metered = byte() % 2 == 0
            licensed.append(!metered)
            let usage = metered ? "usage_type: metered, meter: \(pick(["mtr_a", "mtr_b"]))" : "usage_type: licensed"
            var price = "  - { id: price_\(index), product: prod, currency: usd, recurring: { interval: \(interval), \(usage) }"
            switch byte() % 5 {
            case 0: price += ", unit_amount: \(pick(Self.amounts))"
            case 1: price += ", unit_amount_decimal: \"\(pick(Self.decimals))\""
            case 2:
                price +=
                    ", unit_amount: \(pick(Self.amounts)), transform_quantity: { divide_by: \(pick(Self.upTos)), round: \(pick(["up", "down"])) }"
            default:
                price += ", billing_scheme: tiered, tiers_mode: \(pick(["volume", "graduated"])), tiers: ["
                var upTo = 0
                for _ in 0..<(byte() % 3) {
                    upTo += pick(Self.upTos)
                    price += "{ up_to: \(upTo), unit_amount: \(pick(Self.amounts)), flat_amount: \(pick(Self.amounts)) }, "
                }
                price += "{ up_to: inf, unit_amount_decimal: \"\(pick(Self.decimals))\", flat_amount: \(pick(Self.amounts)) }]"
            }
            lines.append(price + " }")
        }
        lines.append("customers:")
        let customerCount = 1 + byte() % 2
        for index in 0..<customerCount {
            let payment = pick(["pm_card_visa", "pm_card_chargeDeclined", ""])
            let settings = payment.isEmpty ? "" : ", invoice_settings: { default_payment_method: \(payment) }"
            lines.append("  - { id: cus_\(index), currency: usd, balance: \(pick(["0", "-500", "1200", "-99999"]))\(settings) }")
        }
        lines.append("subscriptions:")
        for index in 0..<(1 + byte() % 3) {
            let created = time(byte() % days * 86_400 / 2)
            var items: [String] = []
            var used = Set<Int>()
            for _ in 0..<(1 + byte() % priceCount) {
                let price = byte() % priceCount
                guard used.insert(price).inserted else { continue }
                let quantity = licensed[price] ? ", quantity: \(pick(Self.quantities))" : ""
                items.append("{ id: si_\(index)_\(price), price: price_\(price)\(quantity) }")
            }
            let mode = pick(["flexible", "classic"])
            lines.append(
                "  - { id: sub_\(index), customer: cus_\(byte() % customerCount), created: \(created), "
                    + "billing_mode: { type: \(mode) }, items: [\(items.joined(separator: ", "))] }")
        }
        let eventCount = byte() % 9
        if eventCount > 0 {
            lines.append("usage:")
            lines.append("  - events:")
            var at = 0
            for index in 0..<eventCount {
                at += byte() * byte() * 60 % (days * 86_400)
                let name = pick(["ev_a", "ev_b"])
                lines.append(
                    "      - { event_name: \(name), timestamp: \(time(min(at, days * 86_400 - 1))), identifier: e\(index), "
                        + "payload: { stripe_customer_id: cus_\(byte() % customerCount), value: \"\(pick(Self.values))\" } }")
            }
        }
        return lines.joined(separator: "\n") + "\n"
    }
}
