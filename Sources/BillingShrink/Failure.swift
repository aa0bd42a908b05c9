import BillingCore
import BillingDocument
import BillingHarness
import BillingScenario
import Foundation

/// How a scenario fails: what `billsim shrink` keeps while it removes everything else.
public enum Failure: Sendable, Hashable, CustomStringConvertible {
    /// Differences against the expectations, as path shapes (`invoices[*].lines[*].amount`).
    case differences(Set<String>)
    /// The run stopped on an engine or store error (numbers in the message written `#`).
    case error(String)
    /// A usage file or the scenario is rejected (numbers in the message written `#`).
    case invalid(String)
    /// A child process (`--command`) ended this way: `signal 4`, `exit status 1`, `timeout`.
    case process(String)

    /// `diff`, `error`, `invalid` or `process`.
    public var kind: String {
        switch self {
        case .differences: "diff"
        case .error: "error"
        case .invalid: "invalid"
        case .process: "process"
        }
    }

    public var description: String {
        switch self {
        case .differences(let shapes): "differences at \(shapes.sorted().joined(separator: ", "))"
        case .error(let message): "the run error \"\(message)\""
        case .invalid(let message): "the rejection \"\(message)\""
        case .process(let ending): "the command ending with \(ending)"
        }
    }

    /// Whether `other` is this failure: the same kind, and for differences, some of the same path
    /// shapes and no other. `loosely` (`--until-pass`) accepts any failure of the same kind, and for
    /// differences any that still include a field of the same name (`total`), whatever else differs.
    public func admits(_ other: Failure, loosely: Bool) -> Bool {
        guard kind == other.kind else { return false }
        if case .differences(let mine) = self, case .differences(let theirs) = other {
            if loosely { return !Set(mine.map(Self.field)).isDisjoint(with: theirs.map(Self.field)) }
            return !theirs.isEmpty && theirs.isSubset(of: mine)
        }
        return loosely || self == other
    }

    /// The last field of a path: `invoices[*].lines[*].amount` → `amount`.
    static func field(of path: String) -> String {
        String(path.split(separator: ".").last ?? Substring(path))
    }

    /// `invoices[12].lines[0].amount` → `invoices[*].lines[*].amount`.
    public static func shape(of path: String) -> String {
        var out = ""
        var inIndex = false
        for character in path {
            if inIndex {
                if character == "]" {
                    out += "*]"
                    inIndex = false
                }
                continue
            }
            out.append(character)
            if character == "[" { inIndex = true }
        }
        return out
    }

    /// Every run of digits as `#`, so `subscription sub_0042 … 2026-…` keeps its shape.
    static func normalized(_ message: String) -> String {
        var out = ""
        var lastWasDigit = false
        for character in message {
            if character.isASCII, character.isNumber {
                if !lastWasDigit { out += "#" }
                lastWasDigit = true
            } else {
                out.append(character)
                lastWasDigit = false
            }
        }
        return out
    }
}

/// What one run of a candidate gave.
public struct Verdict: Sendable {
    /// `nil` when the candidate passes.
    public var failure: Failure?
    /// The run's outcome, when it ran in process (used to tell which invoice belongs to whom).
    public var outcome: SimulationOutcome?

    public init(failure: Failure?, outcome: SimulationOutcome? = nil) {
        self.failure = failure
        self.outcome = outcome
    }
}

/// Runs one candidate scenario and says how it fails.
public protocol ShrinkOracle: Sendable {
    func verdict(for scenario: Scenario) async -> Verdict
}

/// Runs candidates in this process with ``ScenarioRunner`` (a difference or an error of this build).
public struct RunnerOracle: ShrinkOracle {
    let runner: ScenarioRunner

    public init(runner: ScenarioRunner) { self.runner = runner }

    public func verdict(for scenario: Scenario) async -> Verdict {
        let result = await runner.run(scenario)
        switch result.status {
        case .passed: return Verdict(failure: nil, outcome: result.outcome)
        case .failed: return Verdict(failure: .differences(Set(result.differences.map { Failure.shape(of: $0.path) })), outcome: result.outcome)
        case .error: return Verdict(failure: .error(Failure.normalized(result.errorMessage ?? "")), outcome: result.outcome)
        case .invalid: return Verdict(failure: .invalid(Failure.normalized(result.diagnostics.first?.message ?? "")))
        }
    }
}

/// Runs each candidate through a command in a child process (`path/to/old/billsim run {}`: `{}` is the
/// candidate's file), so a crash or hang of another build is a failure like any other. Exit status 0
/// passes; any other status, a signal or the timeout is the failure.
public struct CommandOracle: ShrinkOracle {
    let command: String
    let folder: URL
    let timeout: Duration
    /// Candidates with more events than this get their usage as a CSV file beside the YAML.
    let inlineEventLimit: Int

    public init(command: String, folder: URL, timeout: Duration, inlineEventLimit: Int = 200) {
        self.command = command
        self.folder = folder
        self.timeout = timeout
        self.inlineEventLimit = inlineEventLimit
    }

    public func verdict(for scenario: Scenario) async -> Verdict {
        let file = folder.appendingPathComponent("candidate.yaml")
        do {
            try ShrinkOutput.write(scenario, header: [], to: file, inlineEventLimit: inlineEventLimit)
        } catch {
            return Verdict(failure: .process("a candidate that cannot be written: \(error)"))
        }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/bin/sh")
        let quoted = "'" + file.path.split(separator: "'", omittingEmptySubsequences: false).joined(separator: "'\\''") + "'"
        process.arguments = ["-c", command.contains("{}") ? command.replacingOccurrences(of: "{}", with: quoted) : command + " " + quoted]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        process.currentDirectoryURL = folder
        do { try process.run() } catch { return Verdict(failure: .process("a command that cannot start: \(error)")) }
        let clock = ContinuousClock()
        let deadline = clock.now + timeout
        while process.isRunning {
            if clock.now >= deadline {
                process.terminate()
                process.waitUntilExit()
                return Verdict(failure: .process("timeout"))
            }
            try? await Task.sleep(for: .milliseconds(5))
        }
        process.waitUntilExit()
        let status = process.terminationStatus
        switch process.terminationReason {
        case .uncaughtSignal: return Verdict(failure: .process("signal \(status)"))
        // The shell reports a command killed by signal N as exit status 128 + N.
        case .exit where (129...192).contains(status): return Verdict(failure: .process("signal \(status - 128)"))
        default: return Verdict(failure: status == 0 ? nil : .process("exit status \(status)"))
        }
    }
}
