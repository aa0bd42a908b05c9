import BillingCore
import Testing

/// The payload keeps up to three entries inline and the rest in an array; it behaves as a dictionary.
struct PayloadTests {
    @Test func readsWritesAndRemovesAcrossInlineAndSpill() {
        var payload = MeterEventPayload()
        for (index, key) in ["a", "b", "c", "d", "e"].enumerated() { payload[key] = String(index) }
        #expect(payload.count == 5)
        #expect(["a", "b", "c", "d", "e"].map { payload[$0] } == ["0", "1", "2", "3", "4"])
        payload["d"] = "x"
        payload["b"] = nil
        #expect(payload.count == 4)
        #expect(payload["b"] == nil)
        #expect(payload.map(\.key) == ["a", "c", "d", "e"])
        #expect(payload["d"] == "x")
        #expect(payload["zz"] == nil)
    }

    @Test func equalityIgnoresOrderAndDictionaryInitIsSorted() {
        let built: MeterEventPayload = ["value": "1", "stripe_customer_id": "cus_a"]
        let fromDictionary = MeterEventPayload(["value": "1", "stripe_customer_id": "cus_a"])
        #expect(built == fromDictionary)
        #expect(built.hashValue == fromDictionary.hashValue)
        #expect(fromDictionary.map(\.key) == ["stripe_customer_id", "value"])
        #expect(built != ["value": "2", "stripe_customer_id": "cus_a"])
        #expect(fromDictionary.dictionary == ["value": "1", "stripe_customer_id": "cus_a"])
    }
}
