import BillingCore
import BillingDocument
import Foundation

/// `variants`: each is the base simulation with a patch (SCENARIO-FORMAT.md, "Variants").
extension ScenarioReader {
    func readVariants(_ value: YAMLValue?, base: Simulation) -> [ScenarioVariant] {
        (value?.list() ?? []).compactMap { element in
            sink.clean { element.mapping { readVariant($0, base: base) } ?? nil }
        }
    }

    func readVariant(_ fields: Fields, base: Simulation) -> ScenarioVariant? {
        fields.apply(FormatFields.variant)
        let name = variants.declare(fields.required("name"))
        let description = fields.optional("description")?.string()?.trimmingCharacters(in: .whitespacesAndNewlines) ?? ""
        var catalogPrices = base.catalog.prices
        var indexByID = Dictionary(uniqueKeysWithValues: catalogPrices.enumerated().map { ($1.id, $0) })

        // `prices`: read with a registry of their own (a variant may reuse a base id: that replaces it).
        let basePrices = prices
        prices = Registry(kind: "price", plural: "prices")
        let patched = (fields.optional("prices")?.list() ?? []).compactMap { element in
            sink.clean { element.mapping(readPrice) ?? nil }.map { ($0, element) }
        }
        prices = basePrices
        for (price, element) in patched {
            if let index = indexByID[price.id] {
                checkCompatible(price, replacing: catalogPrices[index], at: element)
                catalogPrices[index] = price
            } else {
                indexByID[price.id] = catalogPrices.count
                catalogPrices.append(price)
            }
        }

        // `coupons`: replace a base coupon by id, or add one, which then applies to every subscription (its
        // `discounts`, from its creation): a variant's promotion (Docs/ENGINE-RULES.md, "Discounts").
        let baseCoupons = coupons
        coupons = Registry(kind: "coupon", plural: "coupons")
        var catalogCoupons = base.catalog.coupons
        var added: [String] = []
        for element in fields.optional("coupons")?.list() ?? [] {
            guard let coupon = sink.clean({ element.mapping(readCoupon) ?? nil }) else { continue }
            if let index = catalogCoupons.firstIndex(where: { $0.id == coupon.id }) {
                catalogCoupons[index] = coupon
            } else {
                catalogCoupons.append(coupon)
                added.append(coupon.id)
            }
            guard case .amount(_, let currency) = coupon.off else { continue }
            for subscription in base.subscriptions {
                let billed = subscription.items.first.flatMap { item in catalogPrices.first { $0.id == item.price } }?.currency
                if let billed, billed != currency, added.contains(coupon.id) || subscription.discounts.contains(coupon.id) {
                    element.error("coupon `\(coupon.id)` takes \(currency) off, but subscription `\(subscription.id)` bills in \(billed)")
                    break
                }
            }
        }
        coupons = baseCoupons

        // `tax_rates`: replace a base tax rate by id (a rate change), or add one, which then joins every
        // subscription's `default_tax_rates` (Docs/ENGINE-RULES.md, "Taxes").
        let baseTaxRates = taxRates
        taxRates = Registry(kind: "tax rate", plural: "tax rates")
        var catalogTaxRates = base.catalog.taxRates
        var addedTaxRates: [String] = []
        for element in fields.optional("tax_rates")?.list() ?? [] {
            guard let rate = sink.clean({ element.mapping(readTaxRate) ?? nil }) else { continue }
            if let index = catalogTaxRates.firstIndex(where: { $0.id == rate.id }) {
                catalogTaxRates[index] = rate
            } else {
                catalogTaxRates.append(rate)
                addedTaxRates.append(rate.id)
                let full = base.subscriptions.first { $0.defaultTaxRates.count + addedTaxRates.count > TaxRate.maxPerLine }
                if let full {
                    element.error("tax rate `\(rate.id)` would give subscription `\(full.id)` more than \(TaxRate.maxPerLine) default tax rates")
                }
            }
        }
        taxRates = baseTaxRates

        // `replace_prices: { old: new }` on every subscription item using `old`.
        var replacements: [String: String] = [:]
        if let value = fields.optional("replace_prices"), let map = value.fields() {
            for entry in map.entries {
                map.ignore([entry.key])
                guard let old = indexByID[entry.key] else {
                    sink.report(value.path, "no price `\(entry.key)` \(basePrices.listing)", at: entry.keyLocation)
                    continue
                }
                guard let newID = entry.value.identifier() else { continue }
                guard let new = indexByID[newID] else {
                    entry.value.error("no price `\(newID)` in the base or this variant's `prices` \(basePrices.listing)")
                    continue
                }
                checkCompatible(catalogPrices[new], replacing: catalogPrices[old], at: entry.value)
                replacements[entry.key] = newID
            }
            map.finish()
        }

        // `settings`: the keys written replace the base's; `billing_mode` applies to subscriptions that name none.
        var settings = base.settings
        var billingMode: BillingModeSetting?
        if let value = fields.optional("settings") {
            let baseMode = defaultBillingMode
            settings =
                value.mapping { settingsFields in
                    let read = readSettings(settingsFields, base: base.settings)
                    if settingsFields.has("billing_mode") { billingMode = defaultBillingMode }
                    return read
                } ?? base.settings
            defaultBillingMode = baseMode
        }
        guard let name else { return nil }
        var simulation = base
        simulation.catalog = Catalog(
            meters: base.catalog.meters, products: base.catalog.products, prices: catalogPrices, coupons: catalogCoupons, taxRates: catalogTaxRates,
            creditGrants: base.catalog.creditGrants)
        simulation.settings = settings
        if !replacements.isEmpty || billingMode != nil || !added.isEmpty || !addedTaxRates.isEmpty {
            simulation.subscriptions = base.subscriptions.map { subscription in
                var subscription = subscription
                if let billingMode, !explicitBillingMode.contains(subscription.id) {
                    subscription.billingMode = billingMode.type
                    subscription.prorationDiscounts = billingMode.prorationDiscounts
                }
                subscription.discounts += added
                subscription.defaultTaxRates += addedTaxRates
                for index in subscription.items.indices {
                    if let new = replacements[subscription.items[index].price] { subscription.items[index].price = new }
                }
                return subscription
            }
        }
        return ScenarioVariant(name: name, description: description, simulation: simulation, location: fields.location)
    }

    /// A price that takes another's place on subscription items bills in its currency, interval and usage type.
    func checkCompatible(_ price: Price, replacing old: Price, at value: YAMLValue) {
        if price.isOneTime != old.isOneTime {
            value.error("price `\(price.id)` is \(price.isOneTime ? "one-time" : "recurring"), but `\(old.id)` it replaces is not")
            return
        }
        if price.currency != old.currency {
            value.error("price `\(price.id)` is in \(price.currency), but `\(old.id)` it replaces is in \(old.currency)")
        }
        if price.interval != old.interval {
            value.error("price `\(price.id)` bills every \(price.interval), but `\(old.id)` it replaces every \(old.interval)")
        }
        if price.isMetered != old.isMetered {
            value.error("price `\(price.id)` is \(price.isMetered ? "metered" : "licensed"), but `\(old.id)` it replaces is not")
        }
    }

    /// `expect.variants`: per variant, `total`, `invoice_count` and `invoices`.
    func readVariantExpectations(_ value: YAMLValue) -> [VariantExpectation] {
        guard let map = value.fields() else { return [] }
        defer { map.finish() }
        return map.entries.compactMap { entry in
            map.ignore([entry.key])
            if !variants.isDeclared(entry.key) {
                sink.report(value.path, "no variant is named `\(entry.key)` \(variants.listing)", at: entry.keyLocation)
            }
            return entry.value.mapping { fields -> VariantExpectation in
                var expected = VariantExpectation(name: entry.key, location: entry.keyLocation)
                expected.total = fields.optional("total")?.integer()
                expected.invoiceCount = fields.optional("invoice_count")?.int(0...Int64(Int32.max))
                if let invoices = fields.optional("invoices"), let list = invoices.list() {
                    let documents = list.map { $0.expected() }
                    for (index, invoice) in documents.enumerated() {
                        report(problems(in: invoice, path: "\(entry.value.path).invoices[\(index)]"))
                    }
                    expected.invoices = .list(documents, invoices.location)
                }
                return expected
            }
        }
    }
}
