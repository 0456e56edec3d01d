import StablePages
#if canImport(Glibc)
import Glibc
#endif

// One input through the `.spw-review.toml` reader (the only parser of user files besides mail
// and C): tables, keys, strings, integers, comments, and every error path.
func parseEverything(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let config = try? UserConfiguration.parse(text, file: "fuzz.toml") {
        _ = config.apply(to: .builtIn)
    }
}

#if FUZZING
// libFuzzer's archive (linked by -sanitize=fuzzer) references this symbol even though its `main` is
// not used; without it gold fails with an internal error while reporting the undefined symbol.
@_cdecl("LLVMFuzzerTestOneInput")
public func fuzzOneInput(_ data: UnsafePointer<UInt8>, _ size: Int) -> CInt {
    parseEverything(Array(UnsafeBufferPointer(start: data, count: size)))
    return 0
}

// SwiftPM links this file's top-level code as the program's entry, which shadows libFuzzer's own
// `main`; drive libFuzzer through its documented entry point instead.
@_silgen_name("LLVMFuzzerRunDriver")
func LLVMFuzzerRunDriver(
    _ argc: UnsafeMutablePointer<Int32>,
    _ argv: UnsafeMutablePointer<UnsafeMutablePointer<UnsafeMutablePointer<CChar>?>>,
    _ callback: @convention(c) (UnsafePointer<UInt8>?, Int) -> Int32
) -> Int32

var fuzzArgc = CommandLine.argc
var fuzzArgv = CommandLine.unsafeArgv
exit(LLVMFuzzerRunDriver(&fuzzArgc, &fuzzArgv) { data, size in
    guard let data else { return 0 }
    return fuzzOneInput(data, size)
})
#else
// Replay mode (a plain build): run the parser over the files named, e.g. a crash artifact.
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
    parseEverything(bytes)
    print("ok \(path)")
}
#endif
