import FuzzSupport
import Mail
import Series

// One input through every parser the mail stage has: container detection, mbox splitting,
// header/MIME decoding, subject, trailers, diff and pasted-thread parsing, series grouping, and
// the outlines a large archive is grouped from (envelope, in-body Subject, the diff's byte scan).
func parseEverything(_ bytes: [UInt8]) {
    var builder = SeriesBuilder()
    var outlines = SeriesBuilder()
    let kind = (try? MailInput.classify(Array(bytes.prefix(65536)), path: "fuzz")) ?? .headerless
    switch kind {
    case .mbox:
        var reader = MboxReader(path: "fuzz", source: .memory(bytes))
        while let raw = reader.next() {
            builder.add(MailMessage.parse(raw))
            outlines.addSkimmed(raw)
        }
    case .message:
        let raw = RawMessage(bytes: bytes, source: "fuzz")
        builder.add(MailMessage.parse(raw))
        outlines.addSkimmed(raw)
    default:
        let text = String(decoding: bytes, as: UTF8.self)
        builder.add(.text(PlainText(source: "fuzz", text: text, origin: .headerless, diagnostics: [])))
        builder.add(.text(PlainText(source: "fuzz", text: text, origin: .quiltPatch(strip: 1), diagnostics: [])))
    }
    let collection = builder.finish()
    _ = collection.pick()
    if let chosen = outlines.finish().pick() { _ = SeriesCollection.members(of: chosen) }
}

runFuzzTarget(parseEverything)
