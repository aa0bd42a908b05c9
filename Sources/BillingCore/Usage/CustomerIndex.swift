/// Customer ids to their position in the simulation's customer list (the first, for a repeated id),
/// looked up once per meter event.
///
/// An open-addressing table of positions, at most a quarter full, hashed with
/// ``ByteHash``: a `[String: Int]` spent a tenth of a
/// 5M-event CSV run in `find` and SipHash (perf, 2026-12-01), and its slot cannot be loaded ahead
/// (see ``MeterEventValidator/touch(_:)``).
///
/// Bytes are equal exactly when `String`s are for ASCII text only, so when an id or the id looked up is
/// not ASCII the lookup goes to a `[String: Int]`, which compares as `String` does (`"\u{212A}"`, the
/// Kelvin sign, equals `"K"`): the answer is always the dictionary's.
struct CustomerIndex: Sendable {
    /// The customer list, by position.
    let ids: [String]
    /// Position + 1 of each id, 0 for a free slot.
    private var slots: [UInt32]
    /// Every id by `String` equality, and whether every id is ASCII.
    private let byEquality: [String: Int]
    private let allASCII: Bool

    init(_ customers: [String]) {
        ids = customers
        byEquality = Dictionary(customers.enumerated().map { ($1, $0) }, uniquingKeysWith: { first, _ in first })
        allASCII = customers.allSatisfy { $0.utf8.allSatisfy { $0 < 0x80 } }
        var capacity = 16
        while capacity < customers.count * 4 { capacity *= 2 }
        slots = [UInt32](repeating: 0, count: capacity)
        for (position, id) in customers.enumerated() {
            var slot = Int(truncatingIfNeeded: ByteHash.hash(id)) & (capacity - 1)
            var known = false
            while slots[slot] != 0 {
                if customers[Int(slots[slot] - 1)] == id {
                    known = true
                    break
                }
                slot = (slot + 1) & (capacity - 1)
            }
            if !known { slots[slot] = UInt32(position + 1) }
        }
    }

    subscript(customer: String) -> Int? {
        guard allASCII, customer.utf8.allSatisfy({ $0 < 0x80 }) else { return byEquality[customer] }
        let mask = slots.count - 1
        var slot = Int(truncatingIfNeeded: ByteHash.hash(customer)) & mask
        while slots[slot] != 0 {
            let position = Int(slots[slot] - 1)
            if ids[position] == customer { return position }
            slot = (slot + 1) & mask
        }
        return nil
    }

    /// Where a lookup of `customer` starts, and that slot's content.
    func slot(of customer: String) -> Int { Int(truncatingIfNeeded: ByteHash.hash(customer)) & (slots.count - 1) }
    func bits(at slot: Int) -> UInt64 { UInt64(slots[slot]) }
}
