import BillingCore
import Synchronization

/// How far a running scenario has got, for a progress line: the usage events read so far and how much of
/// the scenario's clock (`clock.start` to `clock.until`) their arrival times cover, in thousandths. Events
/// are read in arrival order, so the share grows with the run whatever the usage comes from (a file, a
/// generator); it is what a time left is estimated from. Written by the run, read by whoever shows it.
public final class ScenarioProgress: Sendable {
    /// What has been read: `permille` of the clock's span, `events` in all.
    public struct Snapshot: Sendable, Hashable {
        public var events: Int
        public var permille: Int
        public init(events: Int, permille: Int) {
            self.events = events
            self.permille = permille
        }
    }

    struct State {
        var events = 0
        var start: Int64 = 0
        var span: Int64 = 0
        var reached: Int64 = 0
    }

    let state = Mutex(State())

    public init() {}

    /// A run over the clock from `start` to `until` begins: nothing read yet.
    func begin(start: Instant, until: Instant) {
        state.withLock { $0 = State(start: start.seconds, span: until.seconds - start.seconds) }
    }

    /// `events` more were read, the last arriving at `arrival`.
    func read(_ events: Int, lastArrival arrival: Instant) {
        state.withLock {
            $0.events += events
            $0.reached = max($0.reached, arrival.seconds - $0.start)
        }
    }

    /// Nothing is running: the snapshot is zero until the next run begins.
    public func reset() { state.withLock { $0 = State() } }

    public var snapshot: Snapshot {
        state.withLock { state in
            // Int128: an arrival anywhere in RFC 3339's range times 1000 fits.
            let permille = state.span > 0 ? Int(min(1000, max(0, Int128(state.reached) * 1000 / Int128(state.span)))) : 0
            return Snapshot(events: state.events, permille: permille)
        }
    }
}

/// A usage source that tells a `ScenarioProgress` what it hands over, batch by batch (no cost per event).
struct ProgressEventSource<Base: MeterEventSource>: MeterEventSource {
    var base: Base
    let progress: ScenarioProgress

    mutating func next() throws -> MeterEvent? {
        let event = try base.next()
        if let event { progress.read(1, lastArrival: event.arrival) }
        return event
    }

    mutating func nextBatch() throws -> [MeterEvent] {
        let batch = try base.nextBatch()
        if let last = batch.last { progress.read(batch.count, lastArrival: last.arrival) }
        return batch
    }

    mutating func nextEventBatch() throws -> MeterEventBatch {
        let batch = try base.nextEventBatch()
        if let last = batch.lastArrival { progress.read(batch.count, lastArrival: last) }
        return batch
    }
}
