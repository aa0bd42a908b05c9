/// The engine's taxes (Docs/ENGINE-RULES.md, "Taxes"): which tax rates each line of an invoice gets,
/// and an update's new rates. ``InvoiceAdjustments/taxed(_:rates:)`` applies them.
extension BillingEngine {
    /// The tax rates of each line of `invoice` of `subscription`: its item's own `tax_rates`, else the
    /// subscription's `default_tax_rates` (invoice items, which have no item, get the defaults).
    /// No rates anywhere: `[]`, which taxes as lines without rates do (``InvoiceAdjustments/taxed(_:rates:)``), with nothing looked up or made.
    func lineTaxRates(of invoice: Invoice, subscription: BilledSubscription) -> [[TaxRate]] {
        guard !subscription.itemTaxRates.isEmpty || !subscription.defaultTaxRates.isEmpty else { return [] }
        return invoice.lines.map { line in subscription.itemTaxRates[line.subscriptionItem] ?? subscription.defaultTaxRates }
    }

    /// `invoice` with its lines taxed at `rates` (``InvoiceAdjustments/taxed(_:rates:)``), an overflow
    /// located at its subscription.
    func taxed(_ invoice: Invoice, rates: [[TaxRate]], subscription definition: Subscription) throws -> Invoice {
        guard rates.contains(where: { !$0.isEmpty }) || invoice.lines.contains(where: { !$0.taxes.isEmpty }) else { return invoice }
        do {
            return try InvoiceAdjustments.taxed(invoice, rates: rates)
        } catch {
            throw Self.located(error, definition, invoice: invoice.id)
        }
    }

    /// `invoice` of `subscription` taxed at the rates its lines get now (``lineTaxRates(of:subscription:)``).
    func taxed(_ invoice: Invoice, of subscription: BilledSubscription) throws -> Invoice {
        try taxed(invoice, rates: lineTaxRates(of: invoice, subscription: subscription), subscription: subscription.definition)
    }

    /// `subscription` with the tax rates `update` writes: its `default_tax_rates`, and its items' `tax_rates`.
    func applyTaxRates(of update: SubscriptionUpdate, to subscription: inout BilledSubscription) throws {
        let catalog = simulation.catalog
        let owner = "update_subscription \(subscription.definition.id)"
        if let ids = update.defaultTaxRates {
            subscription.defaultTaxRates = try TaxRate.resolve(ids, catalog: catalog, for: owner)
            subscription.definition.defaultTaxRates = ids
        }
        for (item, ids) in update.itemTaxRates.sorted(by: { $0.key < $1.key }) {
            subscription.itemTaxRates[item] = ids.isEmpty ? nil : try TaxRate.resolve(ids, catalog: catalog, for: owner)
        }
    }
}
