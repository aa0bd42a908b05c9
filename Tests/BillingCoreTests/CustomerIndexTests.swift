import Testing

@testable import BillingCore

/// `CustomerIndex` answers what the `[String: Int]` it replaced answered (position of the first
/// occurrence, `String` equality, distinct count).
struct CustomerIndexTests {
    @Test func asciiIdsByTheirFirstPosition() {
        let ids = (0..<5000).map { "cus_\($0)" } + ["cus_7", "cus_a_rather_long_customer_identifier"]
        let index = CustomerIndex(ids)
        #expect(index.count == 5001)
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
        #expect(CustomerIndex(["K", kelvin]).count == 1)
    }
}
