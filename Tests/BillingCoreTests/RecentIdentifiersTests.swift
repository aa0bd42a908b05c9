import Testing

@testable import BillingCore

/// `RecentIdentifiers` against a plain reference: an identifier is a duplicate while an accepted
/// event carrying it was received less than 24 hours earlier (Decisions 8).
struct RecentIdentifiersTests {
    /// A seeded stream over a small pool of identifiers with gaps of 0 to 3 hours, so identifiers
    /// recur inside and outside the window, the table rebuilds many times, and forgotten slots are
    /// reused: every verdict must match the reference.
    /// `eager`: the window is moved before each identifier (`forget`), else only by `receive`'s cutoff, which
    /// moves it every `forgetEvery` identifiers and treats an older match as absent.
    @Test(arguments: [1, 2, 3] as [UInt64], [true, false])
    func matchesTheReference(seed: UInt64, eager: Bool) {
        var random = seed &* 0x9E37_79B9_7F4A_7C15
        func next(_ bound: UInt64) -> UInt64 {
            random = random &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
            return (random >> 33) % bound
        }
        var table = RecentIdentifiers()
        var reference: [String: Instant] = [:]
        var now = Instant(year: 2026, month: 1, day: 1)
        let window = MeterEventValidator.identifierWindow
        var duplicates = 0
        for _ in 0..<40_000 {
            now = now + TimeSpan(seconds: Int64(next(3 * 3600 / 40)))
            // Lengths from 5 to 40 bytes (some past the 16 a small string holds), a few not ASCII.
            let number = next(3000)
            let identifier = "evt_\(number)" + String(repeating: number % 7 == 0 ? "\u{E9}" : "x", count: Int(number % 19))
            if eager { table.forget(receivedAtOrBefore: now - window) }
            let verdict = table.receive(identifier, at: now, forgetting: now - window)
            let expected = reference[identifier].flatMap { now - $0 < window.seconds ? $0 : nil }
            #expect(verdict == expected, "\(identifier) at \(now)")
            if expected == nil { reference[identifier] = now } else { duplicates += 1 }
        }
        #expect(duplicates > 1000)  // the stream really exercises both outcomes
        table.forget(receivedAtOrBefore: now - window)
        #expect(table.count == reference.values.filter { now - $0 < window.seconds }.count)
    }

    /// Forgotten identifiers' entries and bytes are dropped in bulk (past 65,536 of them): identifiers
    /// still remembered are found afterwards, byte for byte.
    @Test func dropsForgottenBytesAndKeepsTheRest() {
        var table = RecentIdentifiers()
        var now = Instant(year: 2026, month: 1, day: 1)
        for number in 0..<150_000 {
            now = now + TimeSpan(seconds: 2)  // 43,200 identifiers a day
            table.forget(receivedAtOrBefore: now - MeterEventValidator.identifierWindow)
            #expect(table.receive("identifier-\(number)-" + String(repeating: "z", count: number % 30), at: now) == nil)
        }
        // Remembered: those received after now - 24h, numbers 106,800 (at now - 86,398 s) to 149,999.
        #expect(table.count == 43_200)
        #expect(table.receive("identifier-149999-" + String(repeating: "z", count: 149_999 % 30), at: now) == now)
        #expect(table.receive("identifier-106800-" + String(repeating: "z", count: 106_800 % 30), at: now) != nil)
        #expect(table.receive("identifier-106799-" + String(repeating: "z", count: 106_799 % 30), at: now) == nil)  // aged out
    }

    /// Identifiers are compared by their bytes: "\u{212A}" (KELVIN SIGN) and "K" are equal as `String`s
    /// but are two identifiers.
    @Test func identifiersCompareByteForByte() {
        var table = RecentIdentifiers()
        let now = Instant(year: 2026, month: 1, day: 1)
        #expect(table.receive("K", at: now) == nil)
        #expect(table.receive("\u{212A}", at: now) == nil)
        #expect(table.receive("\u{212A}", at: now) == now)
    }

    @Test func exactlyTwentyFourHoursLaterIsNew() {
        var table = RecentIdentifiers()
        let start = Instant(year: 2026, month: 1, day: 1)
        #expect(table.receive("a", at: start) == nil)
        let almost = start + .days(1) - TimeSpan(seconds: 1)
        table.forget(receivedAtOrBefore: almost - .days(1))
        #expect(table.receive("a", at: almost) == start)
        table.forget(receivedAtOrBefore: start)
        #expect(table.receive("a", at: start + .days(1)) == nil)
    }
}
