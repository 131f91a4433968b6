import ChatClientCore
import ChatWire
import NIOCore
import RESP

/// libFuzzer's entry point: every parser of outside bytes, with properties checked, not only
/// "no crash". Build and run with scripts/fuzz.sh.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ start: UnsafeRawPointer, _ count: Int) -> CInt {
    let bytes = Array(UnsafeRawBufferPointer(start: start, count: count))
    FuzzChecks.frames(bytes)
    FuzzChecks.cuts(bytes)
    FuzzChecks.runs(bytes)
    FuzzChecks.controls(bytes)
    FuzzChecks.session(bytes)
    FuzzChecks.inputLine(bytes)
    FuzzChecks.keys(bytes)
    RESPFuzzCheck.parse(bytes)
    return 0
}
