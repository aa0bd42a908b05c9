import BillingCore
import BillingDocument
import Foundation
import Yams

/// `customers: - generate:` and `subscriptions: - generate:` (SCENARIO-FORMAT.md, "Populations").
///
/// Every draw comes from its own source keyed by (seed, what is drawn, which customer), so adding a
/// customer, a plan or a population never changes the values drawn for another customer.
extension ScenarioReader {
    /// One entry of `customers`: a customer, or a population of them.
    func readCustomers(_ fields: Fields) -> [Customer]? {
        guard fields.has("generate") else { return readCustomer(fields).map { [$0] } }
        return fields.required("generate")?.mapping(readCustomerPopulation) ?? nil
    }

    /// One entry of `subscriptions`: a subscription, or a population of them.
    func readSubscriptions(_ fields: Fields) -> [Subscription]? {
        guard fields.has("generate") else { return readSubscription(fields).map { [$0] } }
        return fields.required("generate")?.mapping(readSubscriptionPopulation) ?? nil
    }

    func readCustomerPopulation(_ fields: Fields) -> [Customer]? {
        customerPopulations += 1
        let count = fields.required("count")?.int(1...10_000_000)
        let idValue = fields.optional("id")
        let pattern = idValue.map { $0.identifier() } ?? "cus_{n}"
        if let idValue, let pattern, !pattern.contains("{n}") {
            idValue.error("expected an id pattern with {n} (like cus_{n}), found \"\(pattern)\"")
        }
        let currency = fields.optional("currency")?.parse("a three-letter currency code like usd") { Currency(code: $0) }
        let share = fields.read("without_payment_method", default: Decimal12.zero) { value in
            value.parse("a share from 0% to 100% (like 5% or 0.05)", Self.share)
        }
        let seed = fields.read("seed", default: 0) { $0.parse("an integer seed from 0 to \(UInt64.max)") { UInt64($0) } }
        guard let count, let pattern, pattern.contains("{n}"), let share, let seed else { return nil }
        let width = String(count).count
        var population: [Customer] = []
        population.reserveCapacity(count)
        for n in 1...count {
            let number = String(n)
            let id = pattern.replacingOccurrences(of: "{n}", with: String(repeating: "0", count: width - number.count) + number)
            guard customers.declare(id, at: idValue ?? fields.value) != nil else { return nil }
            // Exact: a uniform draw of 10¹² steps against the share's 12 decimal places.
            var random = SplitMix64(seed: seed, stream: "without_payment_method", key: number)
            let hasPaymentMethod = Int128(random.next(below: UInt64(Decimal12.scale))) >= share.units
            population.append(Customer(id: id, currency: currency, defaultPaymentMethod: hasPaymentMethod ? "pm_card_visa" : nil))
        }
        generatedCustomers += population.map(\.id)
        return population
    }

    /// `5%` or `0.05` as a fraction in 0...1.
    static func share(_ text: String) -> Decimal12? {
        let percent = text.hasSuffix("%")
        guard var value = Decimal12(percent ? String(text.dropLast()) : text) else { return nil }
        if percent { value = Decimal12(units: value.units / 100) }
        return value >= .zero && value <= Decimal12(1) ? value : nil
    }

    /// A quantity of a generated item: fixed, or drawn per subscription from a distribution.
    enum QuantitySpec {
        case fixed(Int64)
        case drawn(any ValueDistribution)
    }

    struct Plan {
        var weight: UInt64
        var items: [(price: Price, quantity: QuantitySpec)]
        var path: String
    }

    func readSubscriptionPopulation(_ fields: Fields) -> [Subscription]? {
        var owners: [String]?
        if let value = fields.required("customers") {
            if case .scalar(let scalar) = value.node, scalar.string == "generated" || scalar.string == "all" {
                owners = scalar.string == "all" ? customers.order : generatedCustomers
            } else if case .sequence = value.node, let list = value.list() {
                owners = list.compactMap { customers.resolve($0)?.id }
            } else {
                value.error("expected `generated`, `all` or a list of customer ids, found \(value.found)")
            }
            if owners?.isEmpty == true {
                // `generated` after a customer population with problems: those are reported already.
                if case .scalar(let scalar) = value.node, scalar.string == "generated", customerPopulations > 0 {
                    owners = nil
                } else {
                    value.error("no customers to subscribe")
                }
            }
        }
        let idValue = fields.optional("id")
        let pattern = idValue.map { $0.identifier() } ?? "sub_{customer}"
        if let idValue, let pattern, !pattern.contains("{customer}") {
            idValue.error("expected an id pattern with {customer} (like sub_{customer}), found \"\(pattern)\"")
        }
        let created: (from: Instant, to: Instant)? =
            if let value = fields.optional("created") { readCreatedRange(value) } else { clock.map { ($0.start, $0.start) } }
        let modeValue = fields.optional("billing_mode")
        let mode = modeValue.map(readBillingMode) ?? defaultBillingMode
        let seed = fields.read("seed", default: 0) { $0.parse("an integer seed from 0 to \(UInt64.max)") { UInt64($0) } }
        let plansValue = fields.required("plans")
        let plans = plansValue.flatMap { value in sink.clean { value.list()?.compactMap { plan in plan.mapping(readPlan) ?? nil } } }
        if let plansValue, let plans, !plans.contains(where: { $0.weight > 0 }) {
            plansValue.error("expected at least one plan with a weight above 0")
        }
        guard let owners, let pattern, pattern.contains("{customer}"), let created, let mode, let seed, let plans,
            plans.contains(where: { $0.weight > 0 }),
            let plansValue
        else { return nil }

        let customerByID = Dictionary(uniqueKeysWithValues: customers.loaded.map { ($0.id, $0) })
        var mismatched: [Int: (count: Int, first: String)] = [:]
        var population: [Subscription] = []
        population.reserveCapacity(owners.count)
        for owner in owners {
            let id = pattern.replacingOccurrences(of: "{customer}", with: owner)
            guard subscriptions.declare(id, at: idValue ?? fields.value) != nil else { return nil }
            var createdRandom = SplitMix64(seed: seed, stream: "created", key: owner)
            let span = UInt64(created.to.seconds - created.from.seconds)
            let at = created.from + TimeSpan(seconds: span == 0 ? 0 : Int64(createdRandom.next(below: span)))
            var planRandom = SplitMix64(seed: seed, stream: "plan", key: owner)
            let planIndex = ChoiceValue.pick(plans.map(\.weight), random: &planRandom)
            let plan = plans[planIndex]
            if let currency = customerByID[owner]?.currency, currency != plan.items[0].price.currency {
                mismatched[planIndex] = ((mismatched[planIndex]?.count ?? 0) + 1, mismatched[planIndex]?.first ?? owner)
            }
            let items = plan.items.enumerated().map { index, item in
                let quantity: Int64
                switch item.quantity {
                case .fixed(let fixed): quantity = fixed
                case .drawn(let distribution):
                    var random = SplitMix64(seed: seed, stream: "quantity/\(planIndex)/\(index)", key: owner)
                    // Rounded half away from zero; a draw below 0 (a normal's tail) counts as 0.
                    quantity = max(0, distribution.value(random: &random).roundedToInteger ?? 0)
                }
                let itemID = "si_\(id)_\(index)"
                _ = subscriptionItems.declare(itemID, at: idValue ?? fields.value)
                return SubscriptionItem(id: itemID, price: item.price.id, quantity: quantity)
            }
            population.append(
                Subscription(
                    id: id, customer: owner, created: at, backdateStartDate: nil, billingCycleAnchor: nil, billingMode: mode.type,
                    prorationDiscounts: mode.prorationDiscounts,
                    collectionMethod: .chargeAutomatically, daysUntilDue: 30, items: items))
        }
        for (index, problem) in mismatched.sorted(by: { $0.key < $1.key }) {
            sink.report(
                plans[index].path,
                "plan is in \(plans[index].items[0].price.currency), but \(problem.count) customer(s) it was drawn for pay in another currency (first: \(problem.first))",
                at: plansValue.location)
        }
        if modeValue != nil { explicitBillingMode.formUnion(population.map(\.id)) }
        return mismatched.isEmpty ? population : nil
    }

    /// `{ from, to }` (spread uniformly, `to` exclusive) or one timestamp.
    func readCreatedRange(_ value: YAMLValue) -> (from: Instant, to: Instant)? {
        let range: (from: Instant, to: Instant)?
        if case .mapping = value.node {
            range =
                value.mapping { fields -> (from: Instant, to: Instant)? in
                    let from = fields.required("from")?.instant()
                    let toValue = fields.required("to")
                    guard let from, let toValue, let to = toValue.instant() else { return nil }
                    guard to > from else {
                        toValue.error("must be after from (\(from)); `to` is exclusive")
                        return nil
                    }
                    return (from, to)
                } ?? nil
        } else {
            range = value.instant().map { ($0, $0) }
        }
        if let range, let start = clock?.start, range.from < start {
            value.error("must not be before clock.start (\(start))")
            return nil
        }
        return range
    }

    /// `{ weight, items: [{ price, quantity }] }`: prices exist, share a currency and an interval, each once.
    func readPlan(_ fields: Fields) -> Plan? {
        let weight = fields.read("weight", default: Int64(1)) { $0.integer(0...Int64(UInt32.max)) }
        let itemsValue = fields.required("items")
        let items = itemsValue.flatMap { value in
            sink.clean {
                (value.list() ?? []).compactMap { itemValue in
                    itemValue.mapping { item -> (price: Price, quantity: QuantitySpec)? in
                        guard let price = prices.resolve(item.required("price").flatMap(reference))?.object else {
                            item.ignore(["quantity"])
                            return nil
                        }
                        if price.isOneTime, let value = item.optional("price") {
                            value.error("price `\(price.id)` is one-time: it bills only as an invoice item, not as a subscription item")
                        }
                        var quantity = QuantitySpec.fixed(1)
                        if let value = item.optional("quantity") {
                            if price.isMetered { value.error("a metered item has no quantity (its usage comes from the meter)") }
                            if case .mapping = value.node {
                                guard let distribution = value.mapping({ plugin(GeneratorRegistry.values, $0, role: "quantity") }) ?? nil else {
                                    return nil
                                }
                                quantity = .drawn(distribution)
                            } else {
                                guard let fixed = value.integer(0...Int64.max) else { return nil }
                                quantity = .fixed(fixed)
                            }
                        }
                        return (price, quantity)
                    } ?? nil
                }
            }
        }
        guard let weight, let items, let itemsValue else { return nil }
        if items.isEmpty { itemsValue.error("a plan needs at least one item") }
        let first = items.first?.price
        for item in items.dropFirst() {
            if let first, item.price.currency != first.currency {
                itemsValue.error(
                    "price `\(item.price.id)` is in \(item.price.currency), but `\(first.id)` is in \(first.currency): a plan's prices share one currency"
                )
            }
            if let first, item.price.interval != first.interval {
                itemsValue.error(
                    "price `\(item.price.id)` bills every \(item.price.interval), but `\(first.id)` every \(first.interval): mixed intervals are not supported yet"
                )
            }
        }
        if Set(items.map(\.price.id)).count != items.count { itemsValue.error("a price appears more than once in this plan") }
        guard !items.isEmpty else { return nil }
        return Plan(weight: UInt64(weight), items: items, path: fields.path)
    }
}
