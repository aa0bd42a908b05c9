/// The engine's billing credits and customer balance transactions (Docs/ENGINE-RULES.md, "Billing
/// credits", "Customer balance"). ``CreditLedger`` decides; finalization spends (``finalize(_:)``) and
/// voiding gives back (``void(_:)``).
extension BillingEngine {
    /// `invoice` showing the credits it would take if finalized now, without taking them: a preview, or
    /// a draft left when the clock stops.
    func tentativelyCredited(_ invoice: Invoice) -> Invoice {
        credits.applied(to: invoice, at: now, catalog: simulation.catalog).invoice
    }

    /// `customer_balance_transaction`: `amount` added to the customer's balance now.
    func adjustBalance(of customer: String, by amount: Int64) throws {
        guard let balance = customers[customer]?.balance else { throw EngineError("customer_balance_transaction at \(now): no customer \(customer)") }
        do {
            customers[customer]?.balance = try balance.adding(amount, "the customer balance")
        } catch {
            throw EngineError("customer_balance_transaction \(customer) at \(now): \(error)")
        }
    }

    /// Each grant's available balance when the clock stops, in scenario order.
    func creditGrantSnapshots() -> [CreditGrantSnapshot] {
        simulation.catalog.creditGrants.map { grant in
            CreditGrantSnapshot(id: grant.id, available: credits.available(grant.id, at: simulation.clockUntil), currency: grant.currency)
        }
    }
}
