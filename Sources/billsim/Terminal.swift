import BillingHarness
import Foundation
import Synchronization

/// What `billsim run` adds when a person watches: colour on a terminal (never with `NO_COLOR`,
/// https://no-color.org: set and not empty), and a progress line on standard error for runs that
/// last more than about two seconds. Files and pipes get neither.
enum Terminal {
    static func isTerminal(_ descriptor: Int32) -> Bool { isatty(descriptor) != 0 }

    static var noColor: Bool { !(ProcessInfo.processInfo.environment["NO_COLOR"] ?? "").isEmpty }

    /// Whether text written to `descriptor` is coloured.
    static func colours(_ descriptor: Int32) -> Bool { isTerminal(descriptor) && !noColor }

    static let green = "\u{1B}[32m"
    static let red = "\u{1B}[31m"
    static let yellow = "\u{1B}[33m"
    static let reset = "\u{1B}[0m"

    /// A text report part with its label coloured: PASS green (yellow when nothing was checked), FAIL,
    /// INVALID and ERROR red.
    static func coloured(_ part: String) -> String {
        for (label, colour) in [("PASS", green), ("FAIL", red), ("INVALID", red), ("ERROR", red)] where part.hasPrefix(label) {
            let firstLine = part.prefix { $0 != "\n" }
            let tone = label == "PASS" && firstLine.contains("[no expectations") ? yellow : colour
            return tone + label + reset + part.dropFirst(label.count)
        }
        return part
    }

    /// The summary line (ending with a newline) in green when everything passed, else red.
    static func coloured(summary line: String, _ summary: RunSummary) -> String {
        (summary.exitCode == 0 ? green : red) + line.dropLast() + reset + "\n"
    }
}

/// `[#######.........] 31% · 12/40 scenarios · 1234567 events · 410000 events/s · 0:03 elapsed · ~0:07 left`
/// on standard error, redrawn in place; shown after two seconds, and only on a terminal. A scenario
/// (for `billsim compare`: a run, the base or a variant) counts as done in whole when it finishes and,
/// while it runs, by the share of its clock its events have reached (reported by the worker running it),
/// so one long scenario moves the bar too; the time left is the elapsed time per share done times the
/// share left. A comparison's runs are weighted by what they cost (``weights``): a variant re-rated from
/// the base's usage reads no event and counts a tenth of a run.
final class Progress: Sendable {
    struct State {
        var done = 0
        var events = 0
        var shown = false
        /// The scenarios running, by worker: events read and thousandths of the clock reached.
        var running: [Int: ScenarioProgress.Snapshot] = [:]
    }

    let total: Int
    /// Each item's share of the work, in thousandths of a scenario run, in the order items finish (nil: 1000 each).
    let weights: [Int]?
    /// What is counted: `scenarios` (`billsim run`) or `runs` (`billsim compare`).
    let unit: String
    let enabled: Bool
    let clock = ContinuousClock()
    let started: ContinuousClock.Instant
    let state = Mutex(State())
    static let delay = Duration.seconds(2)

    init(total: Int, unit: String = "scenarios", weights: [Int]? = nil, enabled: Bool = Terminal.isTerminal(STDERR_FILENO)) {
        self.total = total
        self.weights = weights
        self.unit = unit
        self.enabled = enabled
        started = clock.now
    }

    func finished(events: Int) {
        state.withLock {
            $0.done += 1
            $0.events += events
        }
    }

    /// Worker `worker`'s scenario has got this far (`nil`: it has finished).
    func running(worker: Int, _ snapshot: ScenarioProgress.Snapshot?) {
        state.withLock { $0.running[worker] = snapshot }
    }

    /// Redraws the line (after the first two seconds).
    func draw() {
        guard enabled else { return }
        let elapsed = clock.now - started
        guard elapsed >= Self.delay else { return }
        let line = state.withLock { state -> String in
            state.shown = true
            let running = state.running.values
            return Self.line(
                done: state.done, total: total, unit: unit, events: state.events + running.reduce(0) { $0 + $1.events },
                runningPermille: running.reduce(0) { $0 + $1.permille }, weights: weights, elapsed: elapsed)
        }
        FileHandle.standardError.write(Data(("\r\u{1B}[K" + line).utf8))
    }

    /// Takes the line away (before other output, and at the end).
    func clear() {
        guard enabled, state.withLock({ $0.shown }) else { return }
        FileHandle.standardError.write(Data("\r\u{1B}[K".utf8))
    }

    /// The line for `done` of `total` items finished and the running ones `runningPermille` thousandths
    /// of their clock along (summed), `events` read in all, after `elapsed`; items weigh `weights`
    /// thousandths of a scenario run each (nil: 1000 each; then the running item is the next one).
    static func line(
        done: Int, total: Int, unit: String = "scenarios", events: Int, runningPermille: Int = 0, weights: [Int]? = nil, elapsed: Duration
    ) -> String {
        let width = 24
        let whole = weights?.reduce(0, +) ?? total * 1000  // thousandths of a scenario run
        let finished = weights?.prefix(done).reduce(0, +) ?? done * 1000
        let running = weights.map { done < $0.count ? runningPermille * $0[done] / 1000 : 0 } ?? runningPermille
        let reached = min(finished + running, whole)
        let filled = whole > 0 ? width * reached / whole : 0
        let seconds = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        var parts = ["[" + String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled) + "]"]
        if whole > 0 { parts[0] += " \(reached * 100 / whole)%" }
        parts.append("\(done)/\(total) \(unit)")
        parts.append("\(events) events")
        if seconds > 0 { parts.append("\(Int(Double(events) / seconds)) events/s") }
        parts.append("\(clockText(seconds)) elapsed")
        if reached > 0, reached < whole { parts.append("~\(clockText(seconds / Double(reached) * Double(whole - reached))) left") }
        return parts.joined(separator: " · ")
    }
    /// `1:05` (minutes:seconds).
    static func clockText(_ seconds: Double) -> String {
        let whole = Int(seconds.rounded())
        return "\(whole / 60):" + (whole % 60 < 10 ? "0" : "") + "\(whole % 60)"
    }
}
