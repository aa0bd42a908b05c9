import Testing

@testable import BillingCore

/// `RecentIdentifiers` against a plain reference: an identifier is a duplicate while an accepted
/// event carrying it was received less than 24 hours earlier (Decisions 8).
struct RecentIdentifiersTests {
    /// A seeded stream over a small pool of identifiers with gaps of 0 to 3 hours, so identifiers
    /// recur inside and outside the window, the table rebuilds many times, and forgotten slots are
    /// reused: every verdict must match the reference.
    @Test(arguments: [1, 2, 3] as [UInt64])
    func matchesTheReference(seed: UInt64) {
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
            let identifier = "evt_\(next(3000))"
            table.forget(receivedAtOrBefore: now - window)
            let verdict = table.receive(identifier, at: now)
            let expected = reference[identifier].flatMap { now - $0 < window.seconds ? $0 : nil }
            #expect(verdict == expected, "\(identifier) at \(now)")
            if expected == nil { reference[identifier] = now } else { duplicates += 1 }
        }
        #expect(duplicates > 1000)  // the stream really exercises both outcomes
        #expect(table.count == reference.values.filter { now - $0 < window.seconds }.count)
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
