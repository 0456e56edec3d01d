import Foundation
import Mail

/// Splits a header-less thread, as copied out of a web archive, by the structure people write:
/// cover letter (ending in a sign-off such as `--D`), then per patch a commit message, trailers,
/// `---`, diffstat and diff, then replies (`On <date>, <name> wrote:` attributions, `> ` quotes).
/// What the text only implies (version, authors, which patch a reply answers) is inferred, and
/// every inference says what it rests on.
public struct PastedThread {
    public var source: String
    public var stripLevel: Int

    public init(source: String, stripLevel: Int = 1) {
        self.source = source
        self.stripLevel = stripLevel
    }

    struct Cluster {
        var start: Int  // first diff line
        var end: Int  // first line after the diff
        var files: [FileDiff]
    }

    public func split(_ text: String) -> (PatchSeries?, [Diagnostic]) {
        let lines = TextLines.split(text) { $0 + 1 }
        var diagnostics: [Diagnostic] = []
        // 1. Diffs.
        var clusters: [Cluster] = []
        var i = 0
        var probe = DiffParser(source: source, stripLevel: stripLevel)
        while i < lines.count {
            if LineShape.startsFileSection(lines, i) {
                let (files, end) = probe.parse(lines, from: i)
                if !files.isEmpty {
                    clusters.append(Cluster(start: i, end: end, files: files))
                    i = max(end, i + 1)
                    continue
                }
            }
            i += 1
        }
        guard !clusters.isEmpty else {
            diagnostics.append(Diagnostic(
                "mail/no-patch", .error, "no diff found in text without mail headers",
                at: SourceLocation(file: source, line: 1)))
            return (nil, diagnostics)
        }

        // 2. Heads: the text before each diff holds the commit message, trailers, `---`, diffstat.
        let firstTrailer = trailerBlockStart(lines, before: clusters[0].start, from: 0)
        var coverEnd = 0  // exclusive
        if let firstTrailer {
            var k = firstTrailer - 1
            while k >= 0 {
                if LineShape.isSignature(lines[k].text) { coverEnd = k + 1; break }
                k -= 1
            }
        }
        var patches: [Patch] = []
        let total = clusters.count
        for (index, cluster) in clusters.enumerated() {
            let headStart = index == 0 ? coverEnd : clusters[index - 1].end
            var parser = DiffParser(source: source, patchNumber: index + 1, stripLevel: stripLevel)
            let body = PatchBody.parse(lines, range: headStart..<cluster.end, parser: &parser)
            let author = body.trailers.first(where: { $0.key == "Signed-off-by" })?.person
            var messageLines = body.message.map { String($0.text) }
            while messageLines.first?.isBlank == true { messageLines.removeFirst() }
            var patch = Patch(
                number: index + 1, total: total, subject: "",
                subjectInfo: SubjectInfo(title: "", isReply: false, isPatch: true, isRFC: false, isResend: false,
                                         version: "1", versionGiven: false, number: index + 1, total: total, tags: []),
                author: author, date: nil, messageID: nil, inReplyTo: nil,
                message: messageLines.joined(separator: "\n"), trailers: body.trailers, collectedTrailers: [],
                notes: body.notes.map { String($0.text) }.joined(separator: "\n"), diffstat: body.diffstat,
                files: body.files, footer: body.footer,
                source: SourceLocation(file: source, line: lines[min(headStart, lines.count - 1)].mailLine ?? 1),
                diagnostics: parser.diagnostics)
            PatchChecks.run(&patch)
            patches.append(patch)
        }

        // 3. Cover letter.
        var cover: CoverLetter?
        var version = "1"
        var title = ""
        if coverEnd > 0 {
            let coverText = lines[0..<coverEnd].map { String($0.text) }.joined(separator: "\n")
            cover = CoverLetter(subject: "", author: nil, date: nil, messageID: nil, body: coverText,
                                source: SourceLocation(file: source, line: 1))
            if let (v, t) = Self.versionStatement(coverText) {
                version = v
                title = t
            }
        }

        // 4. Replies after the last diff.
        var replies = splitReplies(lines, from: clusters[clusters.count - 1].end)

        // 5. Who wrote what: attributions that quote a reply, sign-offs that match a signer.
        var people: [Person] = []
        for patch in patches { for t in patch.trailers { if let p = t.person, !people.contains(p) { people.append(p) } } }
        if var c = cover, let signature = lines[0..<coverEnd].last(where: { LineShape.isSignature($0.text) }),
           let person = Self.person(signedAs: signature.text, among: people) {
            c.author = person
            cover = c
        }
        for r in replies.indices {
            if let attribution = attributionQuoting(replies[r], in: replies) {
                replies[r].author = attribution.person
                replies[r].date = attribution.date
                replies[r].authorEvidence = "attribution line quoting it (line \(attribution.line))"
            } else if let signature = replies[r].text.split(separator: "\n").last(where: { LineShape.isSignature($0) }),
                      let person = Self.person(signedAs: signature, among: people) {
                replies[r].author = person
                replies[r].authorEvidence = "sign-off '\(signature.trimmingWhitespace())' matches \(person.formatted)"
            }
        }
        // 6. Which message a reply answers: a quoted patch line, a quoted reply, else the cover.
        for r in replies.indices {
            replies[r].inReplyTo = target(of: replies[r], replies: replies, patches: patches, hasCover: cover != nil)
        }
        if !patches.isEmpty && title.isEmpty {
            title = patches[0].subjectInfo.title
        }
        for p in patches.indices { patches[p].subjectInfo.version = version; patches[p].subjectInfo.versionGiven = version != "1" }

        diagnostics.append(Diagnostic(
            "mail/pasted-thread", .info,
            "no mail headers: read as a pasted thread (\(total) patch(es)\(cover != nil ? ", a cover letter" : ""), \(replies.count) repl\(replies.count == 1 ? "y" : "ies")); subjects and dates are unknown",
            at: SourceLocation(file: source, line: 1)))
        let series = PatchSeries(
            title: title, version: version, total: total, coverLetter: cover, patches: patches, replies: replies,
            missingPatches: [], footer: patches.first?.footer ?? SeriesFooter(), tags: [])
        var collected = series
        ReplyTrailers.apply(to: &collected)
        return (collected, diagnostics)
    }

    /// `This is v3.2 of the stable-page-writes patchset` → ("3.2", "stable-page-writes").
    static func versionStatement(_ text: String) -> (String, String)? {
        let pattern = #"\b[Tt]his is (?:the )?v(\d+(?:\.\d+)*) of (?:the |my )?(.+?)(?: patch ?set| patch series| series| patches)\b"#
        guard let regex = try? NSRegularExpression(pattern: pattern) else { return nil }
        let ns = text as NSString
        guard let match = regex.firstMatch(in: text, range: NSRange(location: 0, length: ns.length)) else {
            return nil
        }
        return (ns.substring(with: match.range(at: 1)), ns.substring(with: match.range(at: 2)))
    }

    /// The first line of the trailer block that ends right before the `---` preceding `diffStart`.
    func trailerBlockStart(_ lines: [TextLine], before diffStart: Int, from start: Int) -> Int? {
        var k = diffStart - 1
        while k >= start && !lines[k].equals("---") { k -= 1 }
        guard k >= start else { return nil }
        var first: Int?
        var j = k - 1
        while j >= start, PatchBody.trailer(lines[j].text) != nil {
            first = j
            j -= 1
        }
        return first
    }

    func splitReplies(_ lines: [TextLine], from start: Int) -> [Reply] {
        var blocks: [[TextLine]] = []
        var current: [TextLine] = []
        for line in lines[start...] {
            if LineShape.isAttribution(line.text) && current.contains(where: { !$0.text.isBlank }) {
                blocks.append(current)
                current = []
            }
            current.append(line)
            if LineShape.isSignature(line.text) {
                blocks.append(current)
                current = []
            }
        }
        blocks.append(current)
        return blocks.compactMap { block in
            let trimmed = block.drop(while: { $0.text.isBlank })
            guard !trimmed.isEmpty else { return nil }
            let text = trimmed.map { String($0.text) }.joined(separator: "\n")
            let own = trimmed.filter { !LineShape.isQuote($0.text) && !LineShape.isAttribution($0.text) && !LineShape.isSignature($0.text) }
                .map { String($0.text) }.joined(separator: "\n").trimmingWhitespace()
            return Reply(author: nil, date: nil, messageID: nil, subject: "", inReplyTo: .unknown,
                         trailers: ReplyTrailers.find(in: own), text: text, ownText: own,
                         source: SourceLocation(file: source, line: trimmed.first?.mailLine ?? 1), authorEvidence: nil)
        }
    }

    /// A later reply's `On <date>, <name> wrote:` line followed by quotes of `reply`'s text.
    func attributionQuoting(_ reply: Reply, in replies: [Reply]) -> (person: Person, date: String?, line: Int)? {
        let ownLines = Set(reply.ownText.split(separator: "\n").map { $0.trimmingWhitespace() }.filter { !$0.isEmpty })
        guard !ownLines.isEmpty else { return nil }
        for other in replies {
            let lines = other.text.split(separator: "\n", omittingEmptySubsequences: false)
            for (k, line) in lines.enumerated() where LineShape.isAttribution(line) {
                let quoted = lines[(k + 1)...].prefix(while: { LineShape.isQuote($0) })
                    .map { $0.drop(while: { $0 == ">" }).trimmingWhitespace() }.filter { !$0.isEmpty }
                guard !quoted.isEmpty, quoted.allSatisfy({ ownLines.contains($0) }) else { continue }
                if let (person, date) = Self.parseAttribution(line) {
                    return (person, date, (other.source?.line ?? 0) + k)
                }
            }
        }
        return nil
    }

    /// `On Fri, May 27, 2011 at 03:33:26AM -0400, Christoph Hellwig wrote:` → name and date.
    static func parseAttribution(_ line: Substring) -> (Person, String?)? {
        var t = line.trimmingWhitespace()
        for suffix in [" wrote:", " writes:"] where t.hasSuffix(suffix) { t = String(t.dropLast(suffix.count)) }
        var date: String?
        if t.hasASCIIPrefix("On ") {
            t = String(t.dropFirst(3))
            // The name follows the last comma that precedes it; dates contain commas too.
            if let comma = t.range(of: ", ", options: .backwards) {
                date = String(t[..<comma.lowerBound])
                t = String(t[comma.upperBound...])
            }
        }
        guard let person = Person.parse(t), !person.name.isEmpty || !person.email.isEmpty else { return nil }
        return (person, date)
    }

    /// `--D` matches a person whose first name starts with D; `--Andrew` one called Andrew.
    static func person(signedAs signature: Substring, among people: [Person]) -> Person? {
        let t = signature.trimmingWhitespace().drop(while: { $0 == "-" }).trimmingWhitespace()
        guard !t.isEmpty else { return nil }
        let candidates = people.filter { person in
            guard let first = person.name.split(separator: " ").first else { return false }
            return t.count == 1 ? first.uppercased().hasPrefix(t.uppercased()) : first.lowercased() == t.lowercased()
        }
        return candidates.count == 1 ? candidates[0] : nil
    }

    func target(of reply: Reply, replies: [Reply], patches: [Patch], hasCover: Bool) -> ReplyTarget {
        let quoted = reply.text.split(separator: "\n").filter { LineShape.isQuote($0) }
            .map { $0.drop(while: { $0 == ">" || $0 == " " }).trimmingWhitespace() }.filter { $0.count > 8 }
        if !quoted.isEmpty {
            for patch in patches {
                let patchLines = Set(patch.files.flatMap { $0.hunks.flatMap { $0.lines.map { $0.text.trimmingWhitespace() } } }
                                     + patch.message.split(separator: "\n").map { $0.trimmingWhitespace() })
                if quoted.contains(where: { patchLines.contains($0) }) { return .patch(patch.number) }
            }
            for other in replies where other.source != reply.source {
                let otherLines = Set(other.ownText.split(separator: "\n").map { $0.trimmingWhitespace() })
                if quoted.contains(where: { otherLines.contains($0) }) {
                    return target(of: other, replies: replies.filter { $0.source != reply.source }, patches: patches, hasCover: hasCover)
                }
            }
        }
        if hasCover { return .cover }
        return patches.count == 1 ? .patch(1) : .unknown
    }
}

/// Trailers in review replies (`Reviewed-by:` …) and where they go, as b4 does it: to the patch
/// replied to, or to every patch when the reply answers the cover letter; only when the reply's
/// sender is the person the trailer names (by address), else listed as a mismatch and not
/// applied; cleaned of what mail clients add (`<mailto:…>`, HTML, trailing punctuation,
/// parenthesised comments); each once, in the order received, after the patch's own.
enum ReplyTrailers {
    static func find(in ownText: String) -> [Trailer] {
        ownText.split(separator: "\n").compactMap { line in
            guard let t = PatchBody.trailer(line.trimmingWhitespace()[...]),
                  PatchBody.reviewTrailerKeys.contains(t.key.lowercased()), t.key != "Signed-off-by" else { return nil }
            return Trailer(key: t.key, value: clean(t.value))
        }
    }

    /// `Name <mailto:a@b>`, `Name &lt;a@b&gt;`, `<a href="mailto:a@b">a@b</a>`, `Name <a@b>.`,
    /// `Name <a@b> (for the xfs bits)` → `Name <a@b>`.
    static func clean(_ value: String) -> String {
        var v = value
        for (entity, char) in [("&lt;", "<"), ("&gt;", ">"), ("&quot;", "\""), ("&#39;", "'"), ("&amp;", "&"), ("&nbsp;", " ")] {
            v = v.replacingOccurrences(of: entity, with: char)
        }
        // HTML tags: keep what they enclose.
        while let open = v.range(of: "<a "), let close = v.range(of: ">", range: open.upperBound..<v.endIndex) {
            v.removeSubrange(open.lowerBound..<close.upperBound)
        }
        v = v.replacingOccurrences(of: "</a>", with: "")
        v = v.replacingOccurrences(of: "<mailto:", with: "<").replacingOccurrences(of: "mailto:", with: "")
        if let close = v.lastIndex(of: ">"), v.contains("<") {
            v = String(v[...close])  // a comment or punctuation after the address
        } else {
            while let last = v.last, ".,;:".contains(last) { v.removeLast() }
        }
        // `Name (comment) <a@b>`: the comment is not part of the identity.
        while let open = v.firstIndex(of: "("), let close = v[open...].firstIndex(of: ")") {
            v.removeSubrange(open...close)
        }
        return v.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }

    /// The same person: the address, case aside.
    static func sameIdentity(_ trailer: Person?, _ sender: Person?) -> Bool {
        guard let a = trailer?.email.lowercased(), !a.isEmpty, let b = sender?.email.lowercased(), !b.isEmpty else { return false }
        return a == b
    }

    static func apply(to series: inout PatchSeries) {
        func add(_ t: Trailer, to p: Int) {
            let patch = series.patches[p]
            let key = t.key.lowercased(), who = t.person?.email.lowercased() ?? t.value.lowercased()
            let seen = (patch.trailers + patch.collectedTrailers).contains {
                $0.key.lowercased() == key && ($0.person?.email.lowercased() ?? $0.value.lowercased()) == who
            }
            if !seen { series.patches[p].collectedTrailers.append(t) }
        }
        for reply in series.replies where !reply.trailers.isEmpty {
            let targets: [Int]
            switch reply.inReplyTo {
            case .cover: targets = Array(series.patches.indices)
            case .patch(let n): targets = series.patches.firstIndex(where: { $0.number == n }).map { [$0] } ?? []
            case .unknown: targets = []
            }
            for t in reply.trailers {
                if sameIdentity(t.person, reply.author) {
                    for p in targets { add(t, to: p) }
                } else {
                    for p in targets {
                        series.patches[p].mismatchedTrailers.append(MismatchedTrailer(trailer: t, sender: reply.author, source: reply.source))
                    }
                }
            }
        }
    }
}
