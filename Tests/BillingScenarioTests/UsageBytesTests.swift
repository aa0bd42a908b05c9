import BillingCore
import Testing

@testable import BillingScenario

/// The byte-level shortcuts of the usage file readers give exactly what the plain way gives.
struct UsageBytesTests {
    static func withBytes<Result>(_ text: String, _ body: (UnsafeBufferPointer<UInt8>) -> Result) -> Result {
        Array(text.utf8).withUnsafeBufferPointer(body)
    }

    /// Each time of day and day change read with the day before equals `Instant(utf8:)`; other shapes and
    /// invalid times fall back to it (and are refused when it refuses them).
    @Test func timestampsReadWithTheDayBeforeEqualInstantParsing() {
        let texts = [
            "2026-01-31T23:59:59Z", "2026-01-31T00:00:00Z", "2026-01-31T12:34:56Z", "2026-02-01T00:00:00Z", "2026-02-01T00:00:01Z",
            "2026-02-01T24:00:00Z", "2026-02-01T23:60:00Z", "2026-02-01T23:59:60Z", "2026-02-01T2a:00:00Z", "2026-02-01t10:00:00z",
            "2026-02-01T10:00:00+01:00", "2026-02-01T10:00:00.000Z", "2026-02-01", "1769904000", "2026-02-01T10-00-00Z",
            "2026-02-30T10:00:00Z", "2026-02-01T10:00:00Z", "2024-02-29T10:00:00Z", "2023-02-29T10:00:00Z", " 2026-02-01T10:00:00Z",
            "2026-02-01T10:00:00Z",
        ]
        var reader = TimestampReader()
        for text in texts {
            let expected = Self.withBytes(text) { Instant(utf8: $0) }
            #expect(Self.withBytes(text) { reader.instant($0) } == expected, "\(text)")
        }
    }

    /// The eight-bytes-at-a-time test finds `,` `"` LF and CR at every position, and nothing else.
    @Test func delimiterTestFindsEachDelimiterAtEveryPosition() {
        for position in 0..<8 {
            for byte in UInt8.min...UInt8.max {
                var word = [UInt8](repeating: UInt8(ascii: "a"), count: 8)
                word[position] = byte
                let packed = word.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                #expect(CSVEventReader.hasDelimiter(packed) == [0x2C, 0x22, 0x0A, 0x0D].contains(byte), "byte \(byte) at \(position)")
            }
        }
    }

    /// Values of every length up to 40 bytes, among them values that differ only in a middle byte (past the
    /// 16 bytes a key holds) or only in length (zero bytes), are told apart and found again.
    @Test func valueTableTellsApartValuesOfEveryLength() {
        var values: [[UInt8]] = []
        for length in 0...40 {
            let base = (0..<length).map { UInt8(48 + $0 % 10) }
            values.append(base)
            if length > 2 {
                var middle = base
                middle[length / 2] = UInt8(ascii: "x")
                values.append(middle)
            }
            values.append(base + [0])
        }
        let distinct = Array(Set(values))
        var table = ByteInterner()
        for value in distinct {
            value.withUnsafeBufferPointer { bytes in
                #expect(table.find(bytes) == nil)
                let id = table.add(bytes)
                #expect(table.find(bytes) == id)
                #expect(table.equal(id, bytes))
            }
        }
        for (id, value) in distinct.enumerated() {
            value.withUnsafeBufferPointer { bytes in
                #expect(table.find(bytes) == id)
                for other in distinct.indices where other != id { #expect(!table.equal(other, bytes)) }
            }
        }
    }

    @Test func byteHashDependsOnEveryByteAndTheLength() {
        var seen: Set<UInt64> = []
        for length in 0...24 {
            for position in 0..<max(length, 1) {
                var bytes = [UInt8](repeating: 0, count: length)
                if length > 0 { bytes[position] = 1 }
                seen.insert(bytes.withUnsafeBufferPointer { ByteHash.hash($0) })
            }
        }
        // 1 (empty) + the lengths 1…24 with their single 1 at each position: 1 + 300 distinct inputs.
        #expect(seen.count == 301)
    }
}
