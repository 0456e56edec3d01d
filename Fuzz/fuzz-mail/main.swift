import FuzzSupport
import Mail
import Series

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

runFuzzTarget(parseEverything)
