import Mail

/// One mail read as a patch would be: subject prefixes, in-body headers, message, trailers,
/// diffstat and diff. Whether it *is* a patch is the series builder's call.
public struct PatchMail: Sendable {
    public var subjectInfo: SubjectInfo
    /// The author: an in-body `From:` wins over the header, as with `git am`.
    public var author: Person?
    public var date: String?
    public var message: String
    public var trailers: [Trailer]
    public var files: [FileDiff]
    public var diffDiagnostics: [Diagnostic]
    /// The diff lines as sent, made from the mail's lines when asked for (only the apply
    /// stage's second opinion reads them).
    public var rawDiff: String { diffLines.map(DiffText.joined) ?? "" }
    var diffLines: ArraySlice<TextLine>?
    var body: PatchBody
    var lines: [TextLine]

    public static func read(_ message: MailMessage) -> PatchMail {
        var info = SubjectParser.parse(message.subject)
        let text = message.body
        let map = message.bodyLineMap()
        var lines = TextLines.split(text) { map.fileLine($0) }
        let sent = message.sentBodyLines
        if !sent.isEmpty { TextLine.attach(sent, to: &lines) }
        var parser = DiffParser(source: message.source, patchNumber: info.number, stripLevel: message.quiltStrip ?? 1)
        parser.mayContainNonBreakingSpace = text.containsBytes("\u{00A0}")
        let body = PatchBody.parse(lines, range: 0..<lines.count, parser: &parser)
        if let inBodySubject = body.inBodySubject {
            info.title = SubjectParser.parse(inBodySubject).title
        }
        var messageStart = body.message.startIndex
        while messageStart < body.message.endIndex && body.message[messageStart].isBlank { messageStart += 1 }
        return PatchMail(
            subjectInfo: info, author: body.inBodyFrom ?? message.from, date: body.inBodyDate ?? message.date,
            message: TextLines.joined(body.message[messageStart...]), trailers: body.trailers, files: body.files,
            diffDiagnostics: parser.diagnostics,
            diffLines: body.diffStart.map { lines[$0..<body.diffEnd] },
            body: body, lines: lines)
    }
}

/// A diff's text from its lines, each ended by a newline.
enum DiffText {
    static func joined(_ lines: ArraySlice<TextLine>) -> String { TextLines.joined(lines, withFinalNewline: true) }
}
