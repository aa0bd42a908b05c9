/// Proration math (BILLING-SEMANTICS Decision 5, §5.3(4)): the share of a price a span of time is
/// charged, and the credit for the unused part of a licensed period. Every prorated amount billsim
/// computes comes from this file.

extension BillingSchedule {
    /// How many periods `span` covers: whole periods count 1, partial ones their share of seconds.
    public func coverage(of span: Period) -> ExactDecimal { prorate(ExactDecimal(1), over: span) }

    /// `amount` for each period `span` touches, in proportion to the seconds it covers (Decision 5):
    /// amount × (whole periods + each partial period's covered seconds ÷ its seconds), the fractions
    /// added first and divided once, so that an amount that comes out exact stays exact (999 × 25/30 =
    /// 832.5, which rounds to 833; 999 × (156/168 + 96/168) = 1498.5 → 1499; multiplying by a
    /// truncated 0.8333… would give 832.4999… and round to 832).
    public func prorate(_ amount: ExactDecimal, over span: Period) -> ExactDecimal {
        var shares: [(covered: Int64, length: Int64)] = []
        var cursor = span.start
        while cursor < span.end {
            let full = period(containing: cursor)
            let end = min(full.end, span.end)
            shares.append((end - cursor, full.seconds))
            cursor = end
        }
        if let (numerator, denominator) = Self.sum(shares) {
            // One whole period (every renewal): the amount itself, without exact division.
            return numerator == denominator ? amount : amount.scaled(by: numerator, over: denominator)
        }
        // A fraction beyond 64 bits (centuries of periods): each share divided alone.
        return shares.reduce(.zero) { $0 + amount.scaled(by: $1.covered, over: $1.length) }
    }

    /// The sum of fractions in lowest terms, or `nil` if it does not fit 64 bits.
    static func sum(_ fractions: [(covered: Int64, length: Int64)]) -> (Int64, Int64)? {
        var (numerator, denominator): (Int64, Int64) = (0, 1)
        for (covered, length) in fractions {
            let (a, o1) = numerator.multipliedReportingOverflow(by: length)
            let (b, o2) = covered.multipliedReportingOverflow(by: denominator)
            let (sum, o3) = a.addingReportingOverflow(b)
            let (product, o4) = denominator.multipliedReportingOverflow(by: length)
            guard !(o1 || o2 || o3 || o4) else { return nil }
            let divisor = greatestCommonDivisor(sum, product)
            (numerator, denominator) = (sum / divisor, product / divisor)
        }
        return (numerator, denominator)
    }
}

func greatestCommonDivisor(_ a: Int64, _ b: Int64) -> Int64 {
    var (x, y) = (a.magnitude, b.magnitude)
    while y != 0 { (x, y) = (y, x % y) }
    return x == 0 ? 1 : Int64(x)
}

/// An amount charged for a licensed item's period (a whole period, a stub, or the remaining time after
/// a change): what a `flexible` credit gives back (§5.3(4): "credits use the amount originally debited").
struct Debit: Sendable, Hashable {
    /// The slot charged (its price and quantity show on the credit).
    var slot: Int
    var amount: Int64
    /// What each discount took off `amount` (the debit line's `discount_amounts`): a credit gives back
    /// the net amount (§4.10), and `itemized` shows these discounts on it.
    var discounts: [DiscountAmount] = []
    /// The span the amount paid for.
    var period: Period
    /// The part of `period` not credited yet.
    var uncredited: Period

    /// The part of `span` this debit paid for and has not credited, if any.
    func overlap(_ span: Period) -> Period? {
        let overlap = Period(start: max(span.start, uncredited.start), end: min(span.end, uncredited.end))
        return overlap.seconds > 0 ? overlap : nil
    }
}

/// The exact amount of a licensed line, and whether it is a proration (Docs/ENGINE-RULES.md, "First
/// invoice" for stubs and classic backdating, "Cancellation" and "Updates" for credits).
struct LicensedAmount: Sendable, Hashable {
    var exact: ExactDecimal
    var isProration: Bool

    /// The amount for `span` of an item whose full period costs `listAmount`: the list amount when
    /// `span` is exactly one period, else its share of each period it touches (``BillingSchedule/prorate(_:over:)``).
    static func charge(_ listAmount: ExactDecimal, over span: Period, schedule: BillingSchedule) -> LicensedAmount {
        guard schedule.coverage(of: span) != ExactDecimal(1) else { return LicensedAmount(exact: listAmount, isProration: false) }
        return LicensedAmount(exact: schedule.prorate(listAmount, over: span), isProration: true)
    }

    /// The debit for the remaining time `span` after a change: always a proration, even when `span` is a
    /// whole period (a change at the instant a period starts).
    static func remaining(_ listAmount: ExactDecimal, over span: Period, schedule: BillingSchedule) -> LicensedAmount {
        LicensedAmount(exact: schedule.prorate(listAmount, over: span), isProration: true)
    }

    /// The credit (negative) for the unused `span` of a licensed period (§5.3(4)).
    ///
    /// With a `debit` (`flexible`): `amount` (what was debited, net of its discounts or not: the caller
    /// says) × (seconds of `span` ÷ seconds of the span the debit paid for); without (`classic`, or an item
    /// never debited): `amount` (the current list amount) for the share of each period `span` touches.
    static func credit(_ amount: ExactDecimal, over span: Period, schedule: BillingSchedule, debit: Debit?) -> LicensedAmount {
        let unused =
            if let debit {
                amount.scaled(by: span.seconds, over: debit.period.seconds)
            } else {
                schedule.prorate(amount, over: span)
            }
        return LicensedAmount(exact: -unused, isProration: true)
    }
}

/// Which credit lines the unused time of an item gets (Docs/ENGINE-RULES.md, "Cancellation", "Updates").
enum Proration {
    /// The credits for `span` of the open `slot`, and the item's debits left after them.
    ///
    /// `classic` (or an item that has no record of its charges): one credit at the slot's current price
    /// and quantity. `flexible`: one credit per debit the item has not credited yet that paid for part of
    /// `span`, each for that part (§5.3(4): "one credit per original debit"); those parts are then
    /// credited. An item whose charges were all credited gets no credit.
    static func credits(for slot: Int, over span: Period, of subscription: BilledSubscription) -> (lines: [PlannedLine], debits: [Debit]?) {
        let id = subscription.definition.items[slot].id
        guard subscription.definition.billingMode == .flexible, let debits = subscription.debits[id] else {
            return ([PlannedLine(item: slot, period: span, kind: .credit(nil))], subscription.debits[id])
        }
        var lines: [PlannedLine] = []
        var left: [Debit] = []
        for var debit in debits {
            if let overlap = debit.overlap(span) {
                lines.append(PlannedLine(item: debit.slot, period: overlap, kind: .credit(debit)))
                debit.uncredited = Period(start: debit.uncredited.start, end: max(debit.uncredited.start, span.start))
            }
            left.append(debit)
        }
        return (lines, left)
    }
}
