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

/// Issue 8: a CSV of 20,000 columns took 37 s (each key was checked against every earlier one and the
/// spill array copied per key). Now a lookup table takes over past a few spilled keys: 100,000 keys
/// are set, overwritten and read back in well under the time limit.
@Test(.timeLimit(.minutes(1))) func aPayloadOfManyKeysIsLinear() {
    var payload = MeterEventPayload()
    let count = 100_000
    for index in 0..<count { payload["k\(index)"] = "v\(index)" }
    payload["k5"] = "five"
    payload["k99999"] = "last"
    #expect(payload.count == count)
    #expect(payload["k5"] == "five" && payload["k99999"] == "last" && payload["k50000"] == "v50000" && payload["k100000"] == nil)
    #expect(Array(payload.prefix(4)).map(\.key) == ["k0", "k1", "k2", "k3"])
    payload["k7"] = nil
    #expect(payload.count == count - 1 && payload["k7"] == nil && payload["k8"] == "v8")
}
