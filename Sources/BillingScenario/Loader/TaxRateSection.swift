import BillingCore
import BillingDocument
import Yams

/// `tax_rates`, and the `default_tax_rates` and items' `tax_rates` that name them (Docs/ENGINE-RULES.md, "Taxes").
extension ScenarioReader {
    func readTaxRate(_ fields: Fields) -> TaxRate? {
        fields.apply(StripeFields.taxRate)
        let id = taxRates.declare(fields.required("id"))
        let displayName = fields.read("display_name", default: "") { $0.string() }
        let percentage = fields.required("percentage").flatMap(readPercentage)
        let inclusive = fields.read("inclusive", default: false) { $0.bool() }
        guard let id, let displayName, let percentage, let inclusive else { return nil }
        return TaxRate(id: id, displayName: displayName, percentage: percentage, inclusive: inclusive)
    }

    /// A tax rate's `percentage` in ten-thousandths of a percent: from 0 to 100, at most 4 decimals
    /// (Stripe's limits, BILLING-SEMANTICS §6.4).
    func readPercentage(_ value: YAMLValue) -> Int64? {
        guard let decimal = value.parse("a percentage from 0 to 100 (like 19 or 8.875)", { ExactDecimal(parsing: $0) }) else { return nil }
        if decimal < .zero {
            value.error("a tax rate's percentage cannot be negative (found \(value.found))")
            return nil
        }
        if ExactDecimal(100) < decimal {
            value.error("a tax rate's percentage is at most 100 (found \(value.found))")
            return nil
        }
        let scaled = decimal.scaled(by: 10_000, over: 1)
        guard scaled.isInteger, let tenThousandths = scaled.int64 else {
            value.error("a tax rate's percentage has at most 4 decimals, as Stripe's (found \(value.found))")
            return nil
        }
        return tenThousandths
    }

    /// `default_tax_rates` or an item's `tax_rates`: tax rates by id (or as the objects Stripe returns),
    /// each once, at most 5 (`""` or `[]`: none).
    func readTaxRateIDs(_ value: YAMLValue) -> [String]? {
        if value.scalarText == "" { return [] }
        guard let list = value.list() else { return nil }
        if list.count > TaxRate.maxPerLine {
            value.error("at most \(TaxRate.maxPerLine) tax rates apply to a line (Stripe's limit), found \(list.count)")
            return nil
        }
        var ids: [String] = []
        var valid = true
        for element in list {
            guard let reference = reference(element), let id = taxRates.resolve(reference)?.id else {
                valid = false
                continue
            }
            if ids.contains(id) {
                reference.error("tax rate `\(id)` is already in this list")
                valid = false
            }
            ids.append(id)
        }
        return valid ? ids : nil
    }
}
