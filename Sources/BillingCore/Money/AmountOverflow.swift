/// A money or quantity result that does not fit the integer it must be stored in (a line amount or
/// a total beyond `Int64` minor units, a usage sum beyond 128-bit units of 10⁻¹²): an error, never a
/// wrapped number or a trap. The engine adds the subscription, price and period it was billing.
public struct AmountOverflow: Error, Sendable, Hashable, CustomStringConvertible {
    /// What did not fit, with the value when it is known.
    public var message: String

    public init(_ message: String) { self.message = message }

    public var description: String { message }

    /// The usage sum of one (meter, customer, period) beyond 128-bit units of 10⁻¹² (about ±1.7 × 10²⁶):
    /// every store reports it with this message.
    public static let usageSum = AmountOverflow(
        "the sum of the meter event values is beyond ±170141183460469231731687303.715884105727 (128-bit units of 10⁻¹²)")
}

extension Int64 {
    /// `self + other`, or ``AmountOverflow`` naming `what` when the sum is beyond `Int64`.
    func adding(_ other: Int64, _ what: @autoclosure () -> String) throws(AmountOverflow) -> Int64 {
        let (sum, overflow) = addingReportingOverflow(other)
        guard !overflow else { throw AmountOverflow("\(what()) (\(self) + \(other)) is beyond ±\(Int64.max) minor units") }
        return sum
    }
}

extension Sequence where Element == Int64 {
    /// The sum, or ``AmountOverflow`` naming `what` when a partial sum is beyond `Int64`.
    func checkedSum(_ what: @autoclosure () -> String) throws(AmountOverflow) -> Int64 {
        var total: Int64 = 0
        for value in self { total = try total.adding(value, what()) }
        return total
    }
}
