import Testing

@testable import BillingCore

/// `CustomerIndex` answers what the `[String: Int]` it replaced answered (position of the first
/// occurrence, `String` equality).
struct CustomerIndexTests {
    @Test func asciiIdsByTheirFirstPosition() {
        let ids = (0..<5000).map { "cus_\($0)" } + ["cus_7", "cus_a_rather_long_customer_identifier"]
        let index = CustomerIndex(ids)
        #expect(index.ids.count == 5002)
        for position in stride(from: 0, to: 5000, by: 37) { #expect(index["cus_\(position)"] == position) }
        #expect(index["cus_7"] == 7)  // repeated at 5000: the first wins
        #expect(index["cus_a_rather_long_customer_identifier"] == 5001)
        #expect(index["cus_5000"] == nil)
        #expect(index[""] == nil)
    }

    /// U+212A KELVIN SIGN is canonically equivalent to "K": equal as `String`s, different bytes.
    @Test func nonASCIIComparesAsString() {
        let kelvin = "\u{212A}"
        #expect(CustomerIndex(["a", "K"])[kelvin] == 1)
        #expect(CustomerIndex(["a", kelvin])["K"] == 1)
        #expect(CustomerIndex(["caf\u{E9}", "x"])["cafe\u{301}"] == 0)
        #expect(CustomerIndex(["K", kelvin])[kelvin] == 0)
    }

    /// Keys stay distinct when an id repeats (a position can then reach the count of distinct ids: keys
    /// strided by that count collided), and each key gives its meter and customer back.
    @Test func eventKeysAreDistinctAndNameTheirPair() {
        let customers = CustomerIndex(["cus_a", "cus_b", "cus_a", "cus_c"])
        let keys = EventKeys(meters: ["m0": 0, "m1": 1], meterIDs: ["m0", "m1"], customers: customers)
        let all = (0..<2).flatMap { meter in (0..<4).map { keys.key(meterIndex: meter, customer: $0) } }
        #expect(Set(all).count == 8)
        #expect(keys.names(of: keys.key(meterIndex: 1, customer: 3)) == ("m1", "cus_c"))
        #expect(keys.names(of: keys.key(meter: "m0", customer: "cus_a")!) == ("m0", "cus_a"))
        #expect(keys.key(meter: "m1", customer: "cus_d") == nil)
    }
}
