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
        var whole: [RawMessage] = []
        while let raw = reader.next() {
            let message = MailMessage.parse(raw)
            builder.add(message)
            outlines.addSkimmed(raw)
            whole.append(raw)
            #if FUZZING
            SeriesBuilder.checkPullRequestPrefix(message)
            SeriesBuilder.checkPullRequestBytes(raw)
            #endif
        }
        // Cut into blocks (as `list` reads an archive on several cores), the file must read the same.
        var blocks = MboxBlocks(bytes: bytes, blockSize: 1 + Int(bytes.count % 61))
        var fromBlocks: [RawMessage] = []
        var huge: [Int] = []
        var linesBefore = 0
        while let block = blocks.next() {
            var part = MboxReader(path: "fuzz", block: block)
            while var raw = part.next() {
                raw.startLine += linesBefore
                fromBlocks.append(raw)
            }
            huge += part.hugeLines.map { $0.line + linesBefore }
            linesBefore += part.linesRead
        }
        precondition(fromBlocks.map(\.bytes) == whole.map(\.bytes), "blocks cut the mbox differently")
        precondition(fromBlocks.map(\.startLine) == whole.map(\.startLine), "blocks number lines differently")
        precondition(fromBlocks.map(\.separator) == whole.map(\.separator), "blocks see other separators")
        precondition(huge == reader.hugeLines.map(\.line), "blocks see other huge lines")
    case .message:
        let raw = RawMessage(bytes: bytes, source: "fuzz")
        builder.add(MailMessage.parse(raw))
        outlines.addSkimmed(raw)
    default:
        let text = String(decoding: bytes, as: UTF8.self)
        builder.add(.text(PlainText(source: "fuzz", text: text, origin: .headerless, diagnostics: [])))
        builder.add(.text(PlainText(source: "fuzz", text: text, origin: .quiltPatch(strip: 1), diagnostics: [])))
    }
    #if FUZZING
    MboxReader.checkBulkSkip(bytes)
    GzipStream.checkRoundTrip(bytes)
    #endif
    // Charsets read as the line-by-line reading reads them, shortcuts or not.
    let charsets = ["utf-8", "iso-8859-1", "iso-8859-15", "windows-1252", "koi8-r", "none", "iso-2022-jp", "utf-16", "x-unknown"]
    #if FUZZING
    Charset.checkShortcuts(Array(bytes.prefix(4096)), charset: charsets[bytes.count % charsets.count])
    #else
    _ = charsets
    #endif
    let collection = builder.finish()
    _ = collection.pick()
    if let chosen = outlines.finish().pick() { _ = SeriesCollection.members(of: chosen) }
}

runFuzzTarget(parseEverything)
