import Mail
#if canImport(Glibc)
import Glibc
#endif

/// Grouping a large archive without reading every mail in full: the envelope from the headers,
/// and for a plain body (one text/plain part, no transfer encoding) whether it carries a diff
/// and that diff's change, read from its bytes. The series that come out have outline patches,
/// cover letters and replies (numbers, subjects, where each mail is), enough to list them and to
/// choose one; the chosen one is then read in full (`SeriesCollection.members`).
/// One mail as grouping reads it, made without touching the builder (so many can be made at
/// once, on all cores, and added in order).
public struct MailOutline: Sendable {
    var envelope: MailEnvelope
    var subjectInfo: SubjectInfo
    var diff: DiffSkim
    var location: SourceLocation
    /// The input the mail came from.
    public var source: String { location.file }

    /// The outline of the same mail `lines` lines further down its file (an mbox read in blocks
    /// numbers each block's lines from its start).
    public mutating func moveDown(_ lines: Int) {
        location.line += lines
        pullRequest?.moveDown(lines)
    }
    /// The note for a `git request-pull` mail (no diff, not a reply).
    var pullRequest: Diagnostic?
}

extension SeriesBuilder {
    /// The outline of `raw`: its envelope, and its body's diff read from the bytes (decoded
    /// first when the body is MIME parts or transfer-encoded).
    public static func outline(_ raw: RawMessage) -> MailOutline {
        let head = MailMessage.head(raw)
        let envelope = head.envelope
        let info = SubjectParser.parse(envelope.subject)
        var diff = DiffSkim()
        var decoded: MailMessage?
        // A reply is a reply whatever its body holds (`role`): its body is not read.
        if !info.isReply {
            if let bodyStart = head.plainBodyStart {
                diff = DiffSkim.scan(raw.bytes, from: bodyStart)
            } else {
                decoded = MailMessage.parse(raw, head: head)
                diff = DiffSkim.scan(Array(decoded!.body.utf8), from: 0)
            }
        }
        var outline = MailOutline(envelope: envelope, subjectInfo: info, diff: diff,
                                  location: SourceLocation(file: raw.source, line: raw.startLine))
        if diff.mentionsPullRequest && !diff.hasFiles && role(outline) == .other {
            if decoded == nil, let bodyStart = head.plainBodyStart, let read = pullRequest(inPlainBody: raw.bytes, from: bodyStart) {
                outline.pullRequest = read.map {
                    pullRequestNote(sinceLine: head.bodyFileLine(startLine: raw.startLine) + $0.sinceLine, url: $0.url, source: raw.source)
                }
            } else {
                let message = decoded ?? MailMessage.parse(raw, head: head)
                outline.pullRequest = pullRequest(in: message).map { pullRequestNote($0, source: message.source) }
            }
        }
        return outline
    }

    /// The request-pull lines of `message`. A request-pull mail says what it is in its first
    /// lines, and its shortlog and diffstat can be long: they are read from the first `count`
    /// lines when those hold all of the note (the same lines give the same note), else from every line.
    static func pullRequest(in message: MailMessage, readingFirst count: Int = 64) -> (since: TextLine, url: String)? {
        let map = message.bodyLineMap()
        let body = message.body
        let first = firstLines(of: body, count)
        if first.utf8.count < body.utf8.count,
           let found = pullRequest(in: TextLines.split(String(first)) { map.fileLine($0) }), !found.url.isEmpty {
            return found
        }
        return pullRequest(in: TextLines.split(body) { map.fileLine($0) })
    }

    /// `pullRequest(in:)` of a plain body, read from its bytes (a request-pull mail is mostly a
    /// long shortlog, and making it lines of text was most of the cost of one): the body line
    /// of the base line, and the URL. `.some(nil)`: no request-pull note. `nil`: a line that
    /// decides has a byte over 0x7F, or the body a NUL, where the text may not be the bytes
    /// (lowercasing `K`, the Kelvin sign, gives `k`; invalid UTF-8 is replaced; NULs are
    /// dropped), and the decoded text must decide.
    static func pullRequest(inPlainBody bytes: [UInt8], from bodyStart: Int) -> (sinceLine: Int, url: String)?? {
        bytes.withUnsafeBufferPointer { all -> (sinceLine: Int, url: String)?? in
            // The text of a body with NUL bytes is the bytes without them.
            if ByteText.first(0, in: all, bodyStart..<all.count) != nil { return nil }
            var since: Int?, at: Int?, url: String?
            var position = bodyStart, k = 0
            while position <= all.count {
                let end = ByteText.first(0x0A, in: all, position..<all.count) ?? all.count
                var lineEnd = end
                if lineEnd > position && all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[position..<lineEnd])
                position = end + 1
                defer { k += 1 }
                if since == nil && line.hasBytePrefix("The following changes since commit") { since = k }
                if at == nil {
                    guard line.containsBytes("epository") || line.containsBytes("EPOSITORY") else { continue }
                    guard line.isASCII else { return nil }
                    if line.asciiLowercasedContains("are available in the git repository at") { at = k }
                } else if url == nil {
                    guard line.isASCII else { return nil }
                    let trimmed = ByteText.trimmed(line, 0..<line.count)
                    if !trimmed.isEmpty { url = ByteText.string(line, trimmed) }
                }
                if since != nil && url != nil { break }
            }
            guard let since, at != nil else { return .some(nil) }
            return .some((since, url ?? ""))
        }
    }

    /// The first `count` lines of `text`, each with its newline (all of it when it has fewer).
    static func firstLines(of text: String, _ count: Int) -> Substring {
        // The byte after the `count`th newline.
        let end = text.withBytes { bytes -> Int? in
            var seen = 0, i = 0
            while let at = ByteText.first(0x0A, in: bytes, i..<bytes.count) {
                seen += 1
                if seen == count { return at + 1 }
                i = at + 1
            }
            return nil
        }
        guard let end else { return text[...] }
        return text[..<text.utf8.index(text.utf8.startIndex, offsetBy: end)]
    }

    static func role(_ outline: MailOutline) -> Role {
        role(outline.subjectInfo, hasFiles: outline.diff.hasFiles,
             threaded: outline.envelope.inReplyTo != nil || !outline.envelope.references.isEmpty)
    }

    public mutating func addSkimmed(_ raw: RawMessage) { add(Self.outline(raw)) }

    public mutating func add(_ outline: MailOutline) {
        messageCount += 1
        if let note = outline.pullRequest { diagnostics.append(note) }
        let envelope = outline.envelope, diff = outline.diff, location = outline.location
        var info = outline.subjectInfo
        // git mailinfo's in-body `Subject:` names the commit, as a full read takes it.
        if let inBody = diff.inBodySubject { info.title = SubjectParser.parse(inBody).title }
        var parents: [String] = []
        if let r = envelope.inReplyTo { parents.append(r) }
        parents.append(contentsOf: envelope.references.reversed().filter { $0 != envelope.inReplyTo })
        let role = Self.role(info, hasFiles: diff.hasFiles, threaded: envelope.inReplyTo != nil || !envelope.references.isEmpty)
        var entry = Entry(role: role, subjectInfo: info, messageID: envelope.messageID)
        entry.sender = envelope.from?.email.lowercased() ?? ""
        entry.patchID = diff.hasFiles ? diff.patchID : 0
        entry.hasFiles = diff.hasFiles
        switch role {
        case .patch:
            entry.patch = Patch(
                number: info.number ?? 1, total: info.total ?? 1, subject: envelope.subject, subjectInfo: info,
                author: envelope.from, date: nil, messageID: envelope.messageID, inReplyTo: envelope.inReplyTo,
                message: "", trailers: [], collectedTrailers: [], notes: "", diffstat: [], files: [], footer: SeriesFooter(),
                source: location, diagnostics: [])
        case .cover:
            entry.cover = CoverLetter(subject: envelope.subject, author: envelope.from, date: nil, messageID: envelope.messageID,
                                      body: "", source: location, recipients: Recipients())
        case .reply:
            entry.reply = Reply(author: envelope.from, date: nil, messageID: envelope.messageID, subject: envelope.subject,
                                inReplyTo: .unknown, trailers: [], text: "", ownText: "", source: location,
                                authorEvidence: "From: header")
        case .other:
            break
        }
        append(entry, naming: parents)
    }
}

extension SeriesCollection {
    /// Where the mails of `series` are (patches, cover letter, replies): what to read in full
    /// once an outlined series is chosen.
    public static func members(of series: PatchSeries) -> Set<SourceLocation> {
        var out = Set(series.mailSources)
        for p in series.patches { if let s = p.source { out.insert(s) } }
        if let c = series.coverLetter?.source { out.insert(c) }
        for r in series.replies { if let s = r.source { out.insert(s) } }
        return out
    }
}

/// What grouping needs of a body's diff, from its bytes: whether it changes a file, the change
/// hashed (FNV-1a over each file's path, then each added or removed line without its blanks:
/// equal for the same change sent twice, whatever the mailer did to the spaces), the in-body
/// `Subject:` (git mailinfo's), and whether it reads like `git request-pull`. Every patch's
/// change is hashed this way, read in full or not.
struct DiffSkim: Sendable {
    var hasFiles = false
    var patchID: UInt64 = 0xcbf29ce484222325
    var mentionsPullRequest = false
    var inBodySubject: String?

    @inline(__always) mutating func mix(_ b: UInt8) { patchID = (patchID ^ UInt64(b)) &* 0x100000001b3 }

    mutating func mixPath(_ line: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) {
        var start = range.lowerBound, end = range.upperBound
        // `a/…`, `b/…`: the first component is the diff's, not the file's.
        if let slash = (start..<end).first(where: { line[$0] == 0x2F }) { start = slash + 1 }
        if let tab = (start..<end).first(where: { line[$0] == 0x09 }) { end = tab }
        for i in start..<end { mix(line[i]) }
        mix(0)
    }

    static func scan(_ bytes: [UInt8], from bodyStart: Int) -> DiffSkim {
        var skim = DiffSkim()
        bytes.withUnsafeBufferPointer { all in
            var old = 0, new = 0  // lines left in the hunk being read
            var inGitHeader = false
            var minus: Range<Int>?  // the name on a `--- ` line just seen, in `all`
            var gitName: Range<Int>?  // the new name on a `diff --git` line just seen
            var pendingFile: Range<Int>?  // a `---`/`+++` pair's name, until a hunk confirms it
            var position = bodyStart
            skim.readInBodyHeaders(all, &position)
            while position < all.count {
                let end = Self.lineEnd(all, from: position)
                var lineEnd = end
                if lineEnd > position && all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
                let line = UnsafeBufferPointer(rebasing: all[position..<lineEnd])
                let lineStart = position
                position = end + 1
                if old > 0 || new > 0 {
                    switch line.first {
                    case 0x20, nil:  // context (a blank line is one a mailer trimmed)
                        old -= 1
                        new -= 1
                        continue
                    case 0x2D, 0x2B:
                        if line.first == 0x2D { old -= 1 } else { new -= 1 }
                        skim.mix(line[0])
                        for b in line.dropFirst() where b != 0x20 && b != 0x09 { skim.mix(b) }
                        skim.mix(0x0A)
                        continue
                    case 0x5C: continue  // `\ No newline at end of file`
                    default:  // the hunk ended early: read the line as text
                        old = 0
                        new = 0
                    }
                }
                if let name = gitName {
                    // A `diff --git` line is a file when git's lines for a change follow it; an
                    // `index` line alone, or junk, is not one (git apply finds no patch there).
                    if line.hasBytePrefix("index ") { continue }
                    if line.hasBytePrefix("--- ") {
                        minus = (lineStart + 4)..<lineEnd
                        continue
                    }
                    gitName = nil
                    let plusPlus = line.hasBytePrefix("+++ ") && minus != nil
                    minus = nil
                    if plusPlus {
                        // Its hunk makes it a file, as for a plain `---`/`+++` pair.
                        pendingFile = name
                        continue
                    }
                    if Self.gitChangeStarts.contains(where: { line.hasBytePrefix($0) }) {
                        skim.mixPath(all, name)
                        skim.hasFiles = true
                        inGitHeader = true
                    }
                }
                if line.hasBytePrefix("diff --git ") {
                    // The new name: from the last ` b/` of the line.
                    var b = line.count - 3
                    while b > 11 && !(line[b] == 0x20 && line[b + 1] == 0x62 && line[b + 2] == 0x2F) { b -= 1 }
                    gitName = (lineStart + b + 1)..<lineEnd
                    inGitHeader = false
                    minus = nil
                    pendingFile = nil
                } else if line.hasBytePrefix("--- ") {
                    minus = (lineStart + 4)..<lineEnd
                } else if line.hasBytePrefix("+++ "), let m = minus {
                    if !inGitHeader {
                        let isNull = line.count >= 13 && line[4..<13].elementsEqual("/dev/null".utf8)
                        pendingFile = isNull ? m : (lineStart + 4)..<lineEnd
                    }
                    inGitHeader = false
                    minus = nil
                } else if line.hasBytePrefix("@@ -"), skim.hasFiles || pendingFile != nil, let counts = hunkCounts(line) {
                    // A `---`/`+++` pair is a file once a hunk follows it.
                    if let name = pendingFile {
                        skim.mixPath(all, name)
                        skim.hasFiles = true
                        pendingFile = nil
                    }
                    (old, new) = counts
                    minus = nil
                } else {
                    minus = nil
                    pendingFile = nil
                    if !skim.mentionsPullRequest, line.hasBytePrefix("The following changes since commit") {
                        skim.mentionsPullRequest = true
                    }
                }
            }
        }
        if !skim.hasFiles { skim.patchID = 0 }
        return skim
    }

    /// In-body headers as `PatchBody.parse` reads them: a pasted `From <sha> …` line first,
    /// then `From:`, `Subject:`, `Date:` lines (blank lines before the first are skipped).
    mutating func readInBodyHeaders(_ all: UnsafeBufferPointer<UInt8>, _ position: inout Int) {
        var p = position
        var saw = false
        var first = true
        while p < all.count {
            let end = Self.lineEnd(all, from: p)
            var lineEnd = end
            if lineEnd > p && all[lineEnd - 1] == 0x0D { lineEnd -= 1 }
            let line = UnsafeBufferPointer(rebasing: all[p..<lineEnd])
            defer { first = false }
            if first && PatchBody.isFormatPatchSeparator(line) {
                saw = true
            } else if line.hasBytePrefix("Subject: ") {
                inBodySubject = String(decoding: line.dropFirst(9), as: UTF8.self).trimmingWhitespace()
                saw = true
            } else if line.hasBytePrefix("From: ") || line.hasBytePrefix("Date: ") {
                saw = true
            } else if line.isEmpty && !saw {
                // skipped
            } else {
                break
            }
            p = end + 1
        }
        if saw { position = p }
    }

    /// Where the line at `start` ends (its newline, or the end).
    @inline(__always) static func lineEnd(_ all: UnsafeBufferPointer<UInt8>, from start: Int) -> Int {
        guard start < all.count, let base = all.baseAddress,
              let hit = memchr(base + start, 0x0A, all.count - start) else { return all.count }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }

    /// The lines after `diff --git` that say what changed when no `---`/`+++` pair does.
    static let gitChangeStarts: [[UInt8]] = [
        "new file mode ", "deleted file mode ", "old mode ", "new mode ", "similarity index ",
        "dissimilarity index ", "rename from ", "rename to ", "copy from ", "copy to ", "Binary files ", "GIT binary patch",
    ].map { Array($0.utf8) }

    /// `@@ -12,5 +12,6 @@` → (5, 6); a count left out is 1. Nil for a number of more than 12
    /// digits (no file has that many lines; hostile input must not overflow), as DiffParser.
    static func hunkCounts(_ line: UnsafeBufferPointer<UInt8>) -> (Int, Int)? {
        var i = 4
        func number() -> Int? {
            var n = 0, digits = 0
            while i < line.count, line[i] >= 0x30, line[i] <= 0x39 {
                digits += 1
                if digits > 12 { return nil }
                n = n * 10 + Int(line[i] - 0x30)
                i += 1
            }
            return n
        }
        guard number() != nil else { return nil }
        var old = 1, new = 1
        if i < line.count && line[i] == 0x2C {
            i += 1
            guard let n = number() else { return nil }
            old = n
        }
        while i < line.count && line[i] != 0x2B { i += 1 }
        i += 1
        guard number() != nil else { return nil }
        if i < line.count && line[i] == 0x2C {
            i += 1
            guard let n = number() else { return nil }
            new = n
        }
        return (old, new)
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// The first byte decides most lines (they are text) without a call to memcmp.
    @inline(__always) func hasBytePrefix(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard count >= n, let base = baseAddress else { return false }
        return n == 0 || (base[0] == prefix.utf8Start[0] && memcmp(base, prefix.utf8Start, n) == 0)
    }

    @inline(__always) func hasBytePrefix(_ prefix: [UInt8]) -> Bool {
        guard count >= prefix.count, let base = baseAddress else { return false }
        return prefix.withUnsafeBufferPointer { memcmp(base, $0.baseAddress!, prefix.count) == 0 }
    }

    /// Whether `needle`'s bytes occur here.
    func containsBytes(_ needle: StaticString) -> Bool {
        ByteText.contains(UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount), in: self)
    }

    /// Whether `needle` (lowercase ASCII) occurs in these bytes, ASCII letters compared without case.
    func asciiLowercasedContains(_ needle: StaticString) -> Bool {
        let n = needle.utf8CodeUnitCount
        guard count >= n else { return false }
        let lowered = map(ASCII.lower)
        return (0...(count - n)).contains { i in (0..<n).allSatisfy { lowered[i + $0] == needle.utf8Start[$0] } }
    }
}

#if FUZZING
extension SeriesBuilder {
    /// For `fuzz-mail`: a request-pull note read from a mail's first lines, when taken, is the
    /// note all its lines give.
    public static func checkPullRequestPrefix(_ message: MailMessage) {
        let map = message.bodyLineMap()
        let all = pullRequest(in: TextLines.split(message.body) { map.fileLine($0) }).map { "\($0.since.mailLine ?? -1) \($0.url)" }
        for count in [1, 2, 5, 64] {
            let read = pullRequest(in: message, readingFirst: count).map { "\($0.since.mailLine ?? -1) \($0.url)" }
            precondition(read == all, "a request-pull note read from the first \(count) lines differs from every line's")
        }
    }

    /// For `fuzz-mail`: a plain body's request-pull note read from its bytes, when they decide,
    /// is the note its decoded text gives.
    public static func checkPullRequestBytes(_ raw: RawMessage) {
        let head = MailMessage.head(raw)
        guard let bodyStart = head.plainBodyStart, let read = pullRequest(inPlainBody: raw.bytes, from: bodyStart) else { return }
        let message = MailMessage.parse(raw, head: head)
        let text = pullRequest(in: message).map { "\($0.since.mailLine ?? 1) \($0.url)" }
        let bytes = read.map { "\(head.bodyFileLine(startLine: raw.startLine) + $0.sinceLine) \($0.url)" }
        precondition(bytes == text, "a request-pull note read from a plain body's bytes differs from its text's")
    }
}
#endif
