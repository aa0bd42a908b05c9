// The libFuzzer entry point (README "Fuzzing"; built by Scripts/fuzz, never by `swift build`): runs
// the target named by $BILLSIM_FUZZ_TARGET on each input.
import BillingFuzzTargets
import Foundation

let target: FuzzTarget = {
    let name = ProcessInfo.processInfo.environment["BILLSIM_FUZZ_TARGET"] ?? ""
    guard let target = FuzzTarget(rawValue: name) else {
        fatalError("BILLSIM_FUZZ_TARGET must be one of \(FuzzTarget.allCases.map(\.rawValue)), not `\(name)`")
    }
    return target
}()

@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>?, _ size: Int) -> CInt {
    target.runBlocking(data.map { Array(UnsafeBufferPointer(start: $0, count: size)) } ?? [])
    return 0
}
