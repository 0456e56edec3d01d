import Mail
import Series
#if canImport(Glibc)
import Glibc
#endif

// One input through every parser the mail stage has: container detection, mbox splitting,
// header/MIME decoding, subject, trailers, diff and pasted-thread parsing, series grouping.
func parseEverything(_ bytes: [UInt8]) {
    var builder = SeriesBuilder()
    let kind = (try? MailInput.classify(Array(bytes.prefix(65536)), path: "fuzz")) ?? .headerless
    switch kind {
    case .mbox:
        var reader = MboxReader(path: "fuzz", source: .memory(bytes))
        while let raw = reader.next() { builder.add(MailMessage.parse(raw)) }
    case .message:
        builder.add(MailMessage.parse(RawMessage(bytes: bytes, source: "fuzz")))
    default:
        let text = String(decoding: bytes, as: UTF8.self)
        builder.add(.text(PlainText(source: "fuzz", text: text, origin: .headerless, diagnostics: [])))
        builder.add(.text(PlainText(source: "fuzz", text: text, origin: .quiltPatch(strip: 1), diagnostics: [])))
    }
    let collection = builder.finish()
    _ = collection.pick()
}

#if FUZZING
// libFuzzer's archive references this symbol even though its `main` is not used; without it gold
// fails with an internal error while reporting the undefined symbol.
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
// Replay mode (a plain build): run the parsers over the files named, e.g. a crash artifact.
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
