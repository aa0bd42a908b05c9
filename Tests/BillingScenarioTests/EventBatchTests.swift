import BillingCore
import Testing

@testable import BillingScenario

/// `nextBatch()`, the engine's way of reading a source, gives the events `next()` gives, and a source's
/// error after some events comes after those events, on the following call.
struct EventBatchTests {
    struct Failure: Error {}

    /// Its events, then an error.
    struct FailingSource: MeterEventSource {
        var events: [MeterEvent]
        mutating func next() throws -> MeterEvent? {
            guard !events.isEmpty else { throw Failure() }
            return events.removeFirst()
        }
    }

    static func event(_ second: Int64, _ identifier: String) -> MeterEvent {
        MeterEvent(eventName: "e", timestamp: Instant(seconds: 1_767_225_600 + second), identifier: identifier, payload: ["c": "x"])
    }

    @Test func mergedSourcesHandTheirEventsOverBeforeTheError() throws {
        var merged = MergedEventSource([
            ArrayMeterEventSource([Self.event(1, "a1"), Self.event(3, "a3")]),
            FailingSource(events: [Self.event(2, "b2")]),
        ])
        // As `next()` reads: a1 (1 s) comes first; b2 (2 s) would come next, but replacing it as the
        // failing source's head throws, so `next()` throws instead of returning it, and so does the
        // call after the batch [a1].
        #expect(try merged.nextBatch().map { $0.identifier ?? "" } == ["a1"])
        #expect(throws: Failure.self) { try merged.nextBatch() }
    }

    @Test func oneSourceIsHandedOverAsItIs() throws {
        var merged = MergedEventSource([ArrayMeterEventSource((0..<5000).map { Self.event(Int64($0), "e\($0)") })])
        #expect(try merged.nextBatch().count == 4096)  // the default batch of a source without its own
        #expect(try merged.nextBatch().map { $0.identifier ?? "" } == (4096..<5000).map { "e\($0)" })
        #expect(try merged.nextBatch().isEmpty)
    }
}
