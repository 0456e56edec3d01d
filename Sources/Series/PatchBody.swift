import Mail

/// The parts of a patch mail's body, as `git format-patch` lays them out:
/// message, trailers, `---`, notes and diffstat, the diff, then the footer and signature.
struct PatchBody {
    var inBodyFrom: Person?
    var inBodySubject: String?
    var inBodyDate: String?
    /// The commit message's lines (a slice of the mail's lines: no copy).
    var message: ArraySlice<TextLine> = []
    var trailers: [Trailer] = []
    var notes: [TextLine] = []
    var diffstat: [DiffstatEntry] = []
    var files: [FileDiff] = []
    var footer = SeriesFooter()
    /// Index of the first diff line in the lines given, and of the first line after the diff.
    var diffStart: Int?
    var diffEnd: Int

    /// Trailer keys we know, lower case, the most common first (`readTrailer` tries them in order).
    static let knownTrailerKeyList = [
        "signed-off-by", "reviewed-by", "acked-by", "cc", "link", "fixes", "tested-by", "reported-by",
        "suggested-by", "co-developed-by", "closes", "nacked-by", "requested-by", "debugged-by",
        "reported-and-tested-by", "originally-by", "helped-by", "message-id", "bisected-by", "stable-dep-of",
    ]

    /// Review trailers b4 collects from replies.
    static let reviewTrailerKeys: Set<String> = [
        "reviewed-by", "acked-by", "tested-by", "reported-by", "suggested-by", "nacked-by",
        "reported-and-tested-by", "co-developed-by", "signed-off-by", "link", "fixes", "closes",
    ]

    /// Parses `lines[range]`, reading diffs with `parser`. `stopAtProse` is for pasted threads,
    /// where nothing but the text itself marks where a damaged diff ends.
    static func parse(_ lines: [TextLine], range: Range<Int>, parser: inout DiffParser) -> PatchBody {
        var body = PatchBody(diffEnd: range.upperBound)
        var start = range.lowerBound
        // In-body headers (git mailinfo): `From:`, `Subject:`, `Date:` as the first lines.
        var sawInBody = false
        var j = start
        while j < range.upperBound {
            let t = lines[j]
            // A format-patch mail pasted into the body starts with its `From <sha> <date>` line.
            if j == start, t.withBytes(Self.isFormatPatchSeparator) { j += 1; sawInBody = true; continue }
            if let v = t.value(after: "From: ") { body.inBodyFrom = Person.parse(String(v)); sawInBody = true }
            else if let v = t.value(after: "Subject: ") { body.inBodySubject = v.trimmingWhitespace(); sawInBody = true }
            else if let v = t.value(after: "Date: ") { body.inBodyDate = v.trimmingWhitespace(); sawInBody = true }
            else if t.isEmpty && !sawInBody { j += 1; continue }
            else { break }
            j += 1
        }
        if sawInBody { start = j }

        var diffStart: Int?
        var i = start
        while i < range.upperBound {
            if LineShape.startsFileSection(lines, i) { diffStart = i; break }
            i += 1
        }
        let messageEnd = diffStart ?? range.upperBound
        // `---` separates the message from notes and diffstat.
        var separator: Int?
        for k in start..<messageEnd where lines[k].firstByte == 0x2D && (lines[k].equals("---") || lines[k].equals("--- ")) {
            separator = k
            break
        }
        (body.message, body.trailers) = splitTrailers(lines[start..<(separator ?? messageEnd)])
        if let separator {
            for k in (separator + 1)..<messageEnd {
                if let entry = diffstatEntry(lines[k]) {
                    body.diffstat.append(entry)
                } else if isDiffstatSummary(lines[k]) {
                    continue
                } else {
                    body.notes.append(lines[k])
                }
            }
        }
        if let diffStart {
            body.diffStart = diffStart
            let (files, end) = parser.parse(lines, from: diffStart)
            body.files = files
            body.diffEnd = end
        } else {
            body.diffEnd = messageEnd
        }
        for k in body.diffEnd..<range.upperBound { readFooter(lines[k], into: &body.footer) }
        for k in start..<messageEnd { readFooter(lines[k], into: &body.footer) }
        while body.notes.last?.isBlank == true { body.notes.removeLast() }
        return body
    }

    /// `From <40 hex digits> …` (also `>From …`), by bytes.
    static func isFormatPatchSeparator(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        var i = b.first == 0x3E ? 1 : 0
        guard b.count >= i + 46, b[i] == 0x46, b[i + 1] == 0x72, b[i + 2] == 0x6F, b[i + 3] == 0x6D, b[i + 4] == 0x20
        else { return false }
        i += 5
        for k in i..<(i + 40) where ASCII.hexValue(b[k]) == nil { return false }
        return b[i + 40] == 0x20
    }

    static func readFooter(_ t: TextLine, into footer: inout SeriesFooter) {
        // Most lines start with something else: one byte decides.
        let first = t.firstByte
        guard first == 0x62 || first == 0x70 || first == 0x63 else { return }
        if let v = t.value(after: "base-commit: ") { footer.baseCommit = v.trimmingWhitespace() }
        else if let v = t.value(after: "prerequisite-patch-id: ") { footer.prerequisitePatchIDs.append(v.trimmingWhitespace()) }
        else if let v = t.value(after: "change-id: ") { footer.changeID = v.trimmingWhitespace() }
    }

    /// A trailer line `Key: value`, by git's shape, with a key we know or an `X-by` key.
    static func trailer(_ line: Substring) -> Trailer? {
        line.withBytes { readTrailer($0)?.trailer }
    }

    static func trailer(_ line: TextLine) -> (trailer: Trailer, isKnown: Bool)? {
        line.withBytes { readTrailer($0) }
    }

    /// The keys of `knownTrailerKeyList`, lower case and as the kernel's docs spell them, for
    /// matching by bytes: hashing a String per trailer line cost more than the rest of its reading.
    private static let knownTrailerSpellings: [(lowered: [UInt8], canonical: String)] = knownTrailerKeyList.map { key in
        (Array(key.utf8), canonicalKey(lowered: key))
    }

    /// By bytes: trailer keys are ASCII tokens, and this runs on every line of every reply.
    private static func readTrailer(_ b: UnsafeBufferPointer<UInt8>) -> (trailer: Trailer, isKnown: Bool)? {
        guard let first = b.first, (first | 0x20) >= 0x61 && (first | 0x20) <= 0x7A else { return nil }
        var colon = 0
        while colon < b.count {
            let c = b[colon]
            if c == 0x3A { break }
            let letter = (c | 0x20) >= 0x61 && (c | 0x20) <= 0x7A
            guard letter || (c >= 0x30 && c <= 0x39) || c == 0x2D, colon < 40 else { return nil }
            colon += 1
        }
        guard colon < b.count else { return nil }
        let valueRange = ByteText.trimmed(b, (colon + 1)..<b.count)
        guard !valueRange.isEmpty else { return nil }
        // The key is ASCII letters, digits and '-' (checked above): `| 0x20` lower-cases it.
        var key: (canonical: String, isKnown: Bool)?
        for known in knownTrailerSpellings where known.lowered.count == colon {
            var k = 0
            while k < colon && (b[k] | 0x20) == known.lowered[k] { k += 1 }
            if k == colon { key = (known.canonical, true); break }
        }
        if key == nil {
            guard colon > 3, (b[colon - 3] | 0x20) == 0x2D, (b[colon - 2] | 0x20) == 0x62, (b[colon - 1] | 0x20) == 0x79
            else { return nil }  // not `…-by`
            let lowered = String(unsafeUninitializedCapacity: colon) { out in
                for k in 0..<colon { out[k] = ASCII.lower(b[k]) }
                return colon
            }
            key = (canonicalKey(lowered: lowered), false)
        }
        // Unicode whitespace alone (a non-breaking space) is no value either.
        let value = ByteText.trimmedString(b, valueRange)
        guard let key, !value.isEmpty else { return nil }
        return (Trailer(key: key.canonical, value: value), key.isKnown)
    }

    /// `signed-off-by` → `Signed-off-by`, the spelling the kernel's docs use (from a lower-case
    /// ASCII key, which `trailer` guarantees).
    static func canonicalKey(lowered key: String) -> String {
        switch key {
        case "cc": return "Cc"
        case "message-id": return "Message-ID"
        default:
            var bytes = Array(key.utf8)
            if let first = bytes.first, first >= 0x61 && first <= 0x7A { bytes[0] = first - 0x20 }
            return String(decoding: bytes, as: UTF8.self)
        }
    }

    /// Splits trailers off the end of a commit message. Works without the blank line before the
    /// trailer block too (pasted text loses it), by reading trailer lines backwards from the end.
    static func splitTrailers(_ lines: [TextLine]) -> (ArraySlice<TextLine>, [Trailer]) {
        splitTrailers(lines[...])
    }

    static func splitTrailers(_ lines: ArraySlice<TextLine>) -> (ArraySlice<TextLine>, [Trailer]) {
        let first = lines.startIndex
        var end = lines.endIndex
        while end > first && lines[end - 1].isBlank { end -= 1 }
        var start = end
        var trailers: [Trailer] = []
        var sawKnown = false
        while start > first {
            let t = lines[start - 1]
            let last = t.isEmpty ? 0 : t.withBytes { $0[$0.count - 1] }
            if let found = trailer(t) {
                trailers.append(found.trailer)
                if found.isKnown { sawKnown = true }
                start -= 1
            } else if t.firstByte == 0x5B && last == 0x5D && start < end {
                start -= 1  // maintainer annotation between trailers: `[djwong: fixed typo]`
            } else if (t.firstByte == 0x20 || t.firstByte == 0x09) && !t.isBlank && start < end && start - 2 >= first
                        && trailer(lines[start - 2]) != nil {
                // continuation of a folded trailer: join it to the trailer above
                start -= 1
                let folded = t.text.trimmingWhitespace()
                start -= 1
                if var tr = trailer(lines[start])?.trailer {
                    tr.value += " " + folded
                    trailers.append(tr)
                }
            } else {
                break
            }
        }
        // Read from the end up: reversed once here rather than inserting each at the front.
        trailers.reverse()
        guard sawKnown else { return (lines[..<end], []) }
        var message = lines[..<start]
        while message.last?.isBlank == true { message = message.dropLast() }
        return (message, trailers)
    }

    /// ` mm/filemap.c | 4 +++-`, ` a.png | Bin 0 -> 12 bytes`, ` {a => b}/c.c | 2 +-`.
    static func diffstatEntry(_ line: TextLine) -> DiffstatEntry? {
        // By bytes: `|`, spaces, digits and `+`/`-` are ASCII.
        return line.withBytes { b -> DiffstatEntry? in
            guard let bar = ByteText.last(0x7C, in: b, 0..<b.count) else { return nil }  // no '|': not a diffstat line
            let stat = ByteText.trimmed(b, (bar + 1)..<b.count)
            let read: (changes: Int?, isBinary: Bool)?
            if !stat.isEmpty && (b[stat.lowerBound] >= 0x80 || b[stat.upperBound - 1] >= 0x80) {
                // Unicode whitespace at an end (a mailer's non-breaking spaces aligning the counts).
                read = ByteText.trimmedString(b, stat).withBytes { diffstatCount($0, 0..<$0.count) }
            } else {
                read = diffstatCount(b, stat)
            }
            // The path only for a line whose count reads (notes may hold a `|` too).
            guard let read else { return nil }
            let path = ByteText.trimmedString(b, 0..<bar)
            guard !path.isEmpty, !path.containsBytes("  ") || path.containsBytes("=>") else { return nil }
            return DiffstatEntry(path: path, changes: read.changes, isBinary: read.isBinary, mailLine: line.mailLine)
        }
    }

    /// `4 +++-`, `12`, `Bin 0 -> 12 bytes`: the count (nil for binary), or nil when it is none of these.
    private static func diffstatCount(_ b: UnsafeBufferPointer<UInt8>, _ stat: Range<Int>) -> (changes: Int?, isBinary: Bool)? {
        if stat.count >= 3 && b[stat.lowerBound] == 0x42 && b[stat.lowerBound + 1] == 0x69 && b[stat.lowerBound + 2] == 0x6E {
            return (nil, true)  // `Bin …`
        }
        let space = ByteText.first(0x20, in: b, stat)
        guard let count = ByteText.integer(b, stat.lowerBound..<(space ?? stat.upperBound)) else { return nil }
        if let space, !((space + 1)..<stat.upperBound).allSatisfy({ b[$0] == 0x2B || b[$0] == 0x2D }) { return nil }
        return (count, false)
    }

    static func isDiffstatSummary(_ line: TextLine) -> Bool {
        // ` 3 files changed, …`: a digit after the leading spaces.
        guard let c = line.withBytes({ $0.first(where: { !ByteText.isTrimmable($0) }) }), (c >= 0x30 && c <= 0x39) || c >= 0x80 else { return false }
        if c < 0x80 {
            // By bytes: leading ASCII whitespace is all that trimming would remove before the digit.
            return line.withBytes { b in
                ByteSearch.contains(b, " file changed") || ByteSearch.contains(b, " files changed")
            }
        }
        let s = line.text.trimmingWhitespace()
        guard let first = s.utf8.first, first >= 0x30 && first <= 0x39 else { return false }
        return s.containsBytes(" file changed") || s.containsBytes(" files changed")
    }
}
