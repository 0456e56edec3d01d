#if canImport(Glibc)
import Glibc
#endif

/// The driver every fuzz target shares. Built with `-sanitize=fuzzer -DFUZZING` it hands the
/// target's body to libFuzzer; a plain build replays the files named on the command line (a
/// crash artifact, say) through the same body.
nonisolated(unsafe) private var registeredBody: (([UInt8]) -> Void)?

#if FUZZING
// libFuzzer's archive references this symbol even though its `main` is not used; without it gold
// fails with an internal error while reporting the undefined symbol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    registeredBody?(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links the target's top-level code as the program's entry, which shadows libFuzzer's
// own `main`; drive libFuzzer through its documented entry point instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32
#endif

/// Runs `body` under libFuzzer (fuzzing build) or over the named files (plain build); never returns.
public func runFuzzTarget(_ body: @escaping ([UInt8]) -> Void) -> Never {
    registeredBody = body
    #if FUZZING
    var argc = CommandLine.argc
    var argv = CommandLine.unsafeArgv
    exit(LLVMFuzzerRunDriver(&argc, &argv) { data, size in
        guard let data else { return 0 }
        return fuzzOneInput(data, size)
    })
    #else
    for path in CommandLine.arguments.dropFirst() {
        guard let f = fopen(path, "rb") else { continue }
        var bytes: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 65536)
        while true {
            let n = fread(&chunk, 1, chunk.count, f)
            if n <= 0 { break }
            bytes.append(contentsOf: chunk[0..<n])
        }
        fclose(f)
        body(bytes)
        print("ok \(path)")
    }
    exit(0)
    #endif
}
