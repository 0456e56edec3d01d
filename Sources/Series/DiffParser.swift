import Mail
#if canImport(Glibc)
import Glibc
#endif

/// Reads the diff part of a patch: `diff --git` and plain `diff -u` sections, extended headers,
/// binary markers, hunks. Mail-damaged hunks are read too: the hunk header's counts bound the
/// hunk, lines without a valid prefix become context, and each repair is recorded as `Damage`.
public struct DiffParser {
    public var source: String
    public var patchNumber: Int?
    /// Leading path components to strip from plain (non-git) diffs: quilt's `-pN`.
    public var stripLevel: Int
    public private(set) var diagnostics: [Diagnostic] = []
    /// False when the whole text was checked and holds no U+00A0: no per-line search then.
    public var mayContainNonBreakingSpace = true

    public init(source: String, patchNumber: Int? = nil, stripLevel: Int = 1) {
        self.source = source
        self.patchNumber = patchNumber
        self.stripLevel = stripLevel
    }

    /// Parses file sections starting at `start`; stops at the first line that cannot belong to
    /// the diff. Returns the files and the index of the first line after the diff.
    public mutating func parse(_ lines: [TextLine], from start: Int) -> (files: [FileDiff], end: Int) {
        var files: [FileDiff] = []
        var i = start
        while i < lines.count {
            if lines[i].hasPrefix("diff --git ") {
                let (file, next) = parseGitSection(lines, i)
                if file.hunks.isEmpty && !file.isBinary && !file.isNew && !file.isDeleted && !file.isRename
                    && !file.isCopy && file.oldMode == file.newMode {
                    // A header with nothing under it: git apply calls this garbage; so do we.
                    diagnostics.append(Diagnostic(
                        "mail/corrupt-diff", .warning, "'diff --git' header for \(file.path) with no change under it",
                        at: lines[i].mailLine.map { SourceLocation(file: source, line: $0) }, patch: patchNumber,
                        diffPath: file.path))
                } else {
                    files.append(file)
                }
                i = max(next, i + 1)
            } else if LineShape.startsFileSection(lines, i) {
                let (file, next) = parsePlainSection(lines, i)
                if let file { files.append(file) }
                i = max(next, i + 1)
            } else if !files.isEmpty, let next = (i + 1..<min(i + 6, lines.count)).first(where: { LineShape.startsFileSection(lines, $0) }),
                      !(i..<next).contains(where: { lines[$0].equals("-- ") || LineShape.isAttribution(lines[$0].text) }) {
                // A few stray lines between file sections (hand-joined patches, mangled headers):
                // git apply skips them too.
                i = next
            } else {
                break
            }
        }
        return (files, i)
    }

    // MARK: - File sections

    private mutating func parseGitSection(_ lines: [TextLine], _ start: Int) -> (FileDiff, Int) {
        var file = FileDiff()
        file.isGitFormat = true
        file.mailLine = lines[start].mailLine
        let (a, b) = Self.gitHeaderPaths(lines[start])
        file.oldPath = a
        file.newPath = b
        var i = start + 1
        headerLoop: while i < lines.count {
            let t = lines[i]
            // One byte picks the candidates: these lines run for every file of every patch.
            switch lines[i].firstByte {
            case 0x6F:  // 'o'
                guard let v = t.string(after: "old mode ") else { break headerLoop }
                file.oldMode = v
            case 0x6E:  // 'n'
                if let v = t.string(after: "new mode ") { file.newMode = v }
                else if let v = t.string(after: "new file mode ") { file.isNew = true; file.newMode = v }
                else { break headerLoop }
            case 0x64:  // 'd'
                if let v = t.string(after: "deleted file mode ") { file.isDeleted = true; file.oldMode = v }
                else if t.hasPrefix("dissimilarity index ") {}
                else { break headerLoop }
            case 0x73:  // 's'
                guard let v = t.value(after: "similarity index ") else { break headerLoop }
                file.similarity = Int(v.dropLast())
            case 0x72:  // 'r'
                if let v = t.value(after: "rename from ") { file.isRename = true; file.oldPath = Self.unquote(v) }
                else if let v = t.value(after: "rename to ") { file.isRename = true; file.newPath = Self.unquote(v) }
                else { break headerLoop }
            case 0x63:  // 'c'
                if let v = t.value(after: "copy from ") { file.isCopy = true; file.oldPath = Self.unquote(v) }
                else if let v = t.value(after: "copy to ") { file.isCopy = true; file.newPath = Self.unquote(v) }
                else { break headerLoop }
            case 0x69:  // 'i'
                guard t.hasPrefix("index ") else { break headerLoop }
                t.withBytes { Self.readIndexLine(UnsafeBufferPointer(rebasing: $0[6...]), into: &file) }
            case 0x42, 0x47:  // 'B', 'G'
                if t.hasPrefix("Binary files ") {
                    file.isBinary = true
                } else if t.equals("GIT binary patch") {
                    file.isBinary = true
                    let (patch, next) = readBinaryPatch(lines, i + 1)
                    file.binaryPatch = patch
                    if patch == nil {
                        diagnostics.append(Diagnostic("mail/corrupt-binary-patch", .warning,
                                                      "\(file.newPath ?? file.oldPath ?? "?"): the GIT binary patch cannot be read (base85 or its `literal`/`delta` line)",
                                                      at: SourceLocation(file: source, line: t.mailLine ?? 1), patch: patchNumber))
                    }
                    i = next
                    continue headerLoop
                } else {
                    break headerLoop
                }
            case 0x2D:  // '-'
                guard t.hasPrefix("--- ") && i + 1 < lines.count && lines[i + 1].hasPrefix("+++ ") else { break headerLoop }
                let oldName = Self.diffName(t, strip: 1)
                let newName = Self.diffName(lines[i + 1], strip: 1)
                if oldName == nil { file.isNew = true } else if !file.isRename && !file.isCopy { file.oldPath = oldName }
                if newName == nil { file.isDeleted = true } else if !file.isRename && !file.isCopy { file.newPath = newName }
                i += 2
                break headerLoop
            default:
                break headerLoop
            }
            i += 1
        }
        if file.isNew { file.oldPath = nil }
        if file.isDeleted { file.newPath = nil }
        let next = parseHunks(lines, i, into: &file)
        checkPathSafety(file)
        return (file, next)
    }

    /// `index <old>..<new>[ <mode>]`, by bytes: the first two words (split at runs of spaces).
    static func readIndexLine(_ v: Substring, into file: inout FileDiff) {
        v.withBytes { readIndexLine($0, into: &file) }
    }

    static func readIndexLine(_ b: UnsafeBufferPointer<UInt8>, into file: inout FileDiff) {
        func word(from position: Int) -> Range<Int>? {
            var start = position
            while start < b.count && b[start] == 0x20 { start += 1 }
            guard start < b.count else { return nil }
            return start..<(ByteText.first(0x20, in: b, start..<b.count) ?? b.count)
        }
        guard let ids = word(from: 0) else { return }
        if let dot = ByteText.first(0x2E, in: b, ids), dot + 1 < ids.upperBound, b[dot + 1] == 0x2E {
            file.oldBlob = ByteText.string(b, ids.lowerBound..<dot)
            file.newBlob = ByteText.string(b, (dot + 2)..<ids.upperBound)
        }
        guard let modeWord = word(from: ids.upperBound) else { return }
        let mode = ByteText.string(b, modeWord)
        file.oldMode = file.oldMode ?? mode
        file.newMode = file.newMode ?? mode
    }

    private mutating func parsePlainSection(_ lines: [TextLine], _ start: Int) -> (FileDiff?, Int) {
        var i = start
        // `diff -u a b`, `Index: x`, `====`, CVS's `RCS file:` … before the ---/+++ pair;
        // `LineShape.startsFileSection` has already checked that the pair follows closely.
        while i < lines.count && i < start + 8 && !(lines[i].hasPrefix("--- ") && i + 1 < lines.count && lines[i + 1].hasPrefix("+++ ")) {
            i += 1
        }
        guard i + 1 < lines.count else { return (nil, i) }
        var file = FileDiff()
        file.mailLine = lines[start].mailLine
        let oldName = Self.diffName(lines[i], strip: stripLevel)
        let newName = Self.diffName(lines[i + 1], strip: stripLevel)
        file.oldPath = oldName
        file.newPath = newName
        if oldName == nil { file.isNew = true }
        if newName == nil { file.isDeleted = true }
        let next = parseHunks(lines, i + 2, into: &file)
        checkPathSafety(file)
        return (file, next)
    }

    /// The forward block of a `GIT binary patch` (the reverse one, if any, is skipped), and the
    /// line after the patch. nil when the block does not decode.
    private func readBinaryPatch(_ lines: [TextLine], _ start: Int) -> (BinaryPatch?, Int) {
        var patch: BinaryPatch?
        var failed = false
        if start < lines.count {
            let header = lines[start]
            let kind: BinaryPatch.Kind? = header.hasPrefix("literal ") ? .literal : header.hasPrefix("delta ") ? .delta : nil
            let size = header.string(after: kind == .literal ? "literal " : "delta ").flatMap { Int($0) }
            if let kind, let size {
                var data: [UInt8] = []
                var i = start + 1
                while i < lines.count, !lines[i].isEmpty {
                    guard let chunk = lines[i].withBytes(Base85.decodeLine) else { failed = true; break }
                    data += chunk
                    i += 1
                }
                if !failed { patch = BinaryPatch(kind: kind, size: size, deflated: data) }
            }
        }
        return (patch, skipBinaryPatch(lines, start))
    }

    private func skipBinaryPatch(_ lines: [TextLine], _ start: Int) -> Int {
        var i = start
        var blanks = 0
        while i < lines.count {
            let t = lines[i]
            if t.isEmpty {
                blanks += 1
                i += 1
                if blanks >= 2 { break }
                continue
            }
            if t.hasPrefix("literal ") || t.hasPrefix("delta ") || blanks == 0 || (blanks == 1 && (t.hasPrefix("literal ") || t.hasPrefix("delta "))) {
                blanks = 0
                i += 1
                continue
            }
            break
        }
        return i
    }

    // MARK: - Hunks

    private mutating func parseHunks(_ lines: [TextLine], _ start: Int, into file: inout FileDiff) -> Int {
        var i = start
        while i < lines.count, let header = lines[i].withBytes({ HunkHeader($0) }) {
            var hunk = Hunk(
                oldStart: header.oldStart, oldCount: header.oldCount, newStart: header.newStart,
                newCount: header.newCount, header: header.section, lines: [], mailLine: lines[i].mailLine, damage: [])
            i = parseHunkBody(lines, i + 1, into: &hunk, path: file.path)
            file.hunks.append(hunk)
            report(hunk, index: file.hunks.count, path: file.path)
        }
        return i
    }

    private func parseHunkBody(_ lines: [TextLine], _ start: Int, into hunk: inout Hunk, path: String) -> Int {
        var oldLeft = hunk.oldCount
        var newLeft = hunk.newCount
        // Room for what the header announces (bounded: the counts are the sender's word).
        hunk.lines.reserveCapacity(min(max(oldLeft, newLeft) + min(oldLeft, newLeft) / 2 + 1, lines.count - start + 1))
        var i = start
        var prefixed = 0
        var unprefixed = 0
        var sawTabIndent = false
        var spaceIndented: Int?  // mail line of the first line indented with spaces only
        scan: while i < lines.count {
            let line = lines[i]
            let firstByte = line.firstByte
            if oldLeft <= 0 && newLeft <= 0 {
                // Complete. A run of +/- lines right after means the header undercounts.
                if firstByte == 0x2B || firstByte == 0x2D, !line.hasPrefix("-- "), !line.hasPrefix("--- "),
                   !line.hasPrefix("+++ "), !line.equals("--") {
                    hunk.damage.append(Damage(kind: .countMismatch, mailLine: line.mailLine,
                                              detail: "more lines than the header's counts"))
                    while i < lines.count, case let f = lines[i].firstByte, f == 0x2B || f == 0x2D,
                          !lines[i].hasPrefix("-- "), !lines[i].hasPrefix("--- ") {
                        hunk.lines.append(HunkLine(kind: f == 0x2B ? .added : .removed, line: lines[i], dropping: 1))
                        i += 1
                    }
                }
                if i < lines.count && lines[i].hasPrefix("\\ ") {
                    hunk.lines.append(HunkLine(kind: .noNewlineMarker, text: "", mailLine: lines[i].mailLine))
                    i += 1
                }
                break scan
            }
            // Decided on the first byte where it can be: this runs for every line of every hunk.
            switch firstByte {
            case 0x40:  // '@'
                if line.hasPrefix("@@ ") { break scan }
            case 0x64, 0x49:  // 'd', 'I'
                if LineShape.startsFileSection(lines, i) { break scan }
            case 0x2D:  // '-'
                if LineShape.startsFileSection(lines, i) { break scan }
                if line.equals("-- ") || line.equals("--") {
                    // Mail signature (`-- ` then git's version): the diff is over.
                    if i + 1 >= lines.count || lines[i + 1].text.first?.isNumber == true || lines[i + 1].isEmpty { break scan }
                }
            case 0x5C:  // '\\'
                if line.hasPrefix("\\ ") {
                    hunk.lines.append(HunkLine(kind: .noNewlineMarker, text: "", mailLine: line.mailLine))
                    i += 1
                    continue
                }
            default:
                break
            }
            if line.hadCarriageReturn {
                hunk.damage.append(Damage(kind: .carriageReturn, mailLine: line.mailLine, detail: "line ends with CR"))
            }
            // The usual line: a +/-/space prefix and no non-breaking space. Its text is made
            // straight from the bytes after the prefix.
            let nbsp = mayContainNonBreakingSpace && line.withBytes(Self.containsNonBreakingSpace)
            if !nbsp, firstByte == 0x20 || firstByte == 0x2B || firstByte == 0x2D {
                let kind: HunkLine.Kind = firstByte == 0x20 ? .context : firstByte == 0x2B ? .added : .removed
                prefixed += 1
                let bodyFirst = line.byteCount > 1 ? line.withBytes { $0[1] } : nil
                if bodyFirst == 0x09 { sawTabIndent = true }
                if bodyFirst == 0x20 && spaceIndented == nil { spaceIndented = line.mailLine ?? -1 }
                switch kind {
                case .context: oldLeft -= 1; newLeft -= 1
                case .added: newLeft -= 1
                default: oldLeft -= 1
                }
                hunk.lines.append(HunkLine(kind: kind, line: line, dropping: 1))
                i += 1
                continue
            }
            var text = line.text
            if nbsp {
                hunk.damage.append(Damage(kind: .nonBreakingSpace, mailLine: line.mailLine,
                                          detail: "non-breaking space instead of a space"))
                text = Substring(text.replacingOccurrences(of: "\u{00A0}", with: " "))
            }
            let kind: HunkLine.Kind
            var body: Substring
            // The first byte, not the first Character: grapheme breaking costs more than the rest.
            let prefixByte = text.utf8.first
            switch prefixByte {
            case 0x20:
                kind = .context
                body = Substring(text.utf8.dropFirst())
                prefixed += 1
            case 0x2B:
                kind = .added
                body = Substring(text.utf8.dropFirst())
                prefixed += 1
            case 0x2D:
                kind = .removed
                body = Substring(text.utf8.dropFirst())
                prefixed += 1
            case nil:
                // An empty line: a blank context line whose space was trimmed (git apply accepts it).
                kind = .context
                body = ""
            default:
                if LineShape.isAttribution(text) || LineShape.isQuote(text) || LineShape.looksLikeProse(text) { break scan }
                // Wrapped: a mostly well-prefixed hunk, and the line before is long.
                // (A line that opens like code or a comment line of its own is not a continuation.)
                let startsOwnLine = text.hasASCIIPrefix("*") || text.hasASCIIPrefix("/*") || text.hasASCIIPrefix("#")
                    || text.hasASCIIPrefix("}") || text.hasASCIIPrefix("{")
                if prefixed > unprefixed * 2, prefixed >= 2, !startsOwnLine, let previous = hunk.lines.last,
                   previous.kind != .noNewlineMarker, previous.text.count >= 60 {
                    hunk.lines[hunk.lines.count - 1].text += " " + text
                    hunk.damage.append(Damage(kind: .lineWrapped, mailLine: line.mailLine,
                                              detail: "long line wrapped onto the next line"))
                    i += 1
                    continue
                }
                kind = .context
                body = text
                unprefixed += 1
                hunk.damage.append(Damage(kind: .missingContextPrefix, mailLine: line.mailLine,
                                          detail: "context line without its leading space"))
            }
            let bodyFirst = body.utf8.first
            if bodyFirst == 0x09 { sawTabIndent = true }
            if bodyFirst == 0x20 && spaceIndented == nil && (kind != .context || prefixByte == 0x20) {
                spaceIndented = line.mailLine ?? -1
            }
            switch kind {
            case .context: oldLeft -= 1; newLeft -= 1
            case .added: newLeft -= 1
            case .removed: oldLeft -= 1
            case .noNewlineMarker: break
            }
            hunk.lines.append(HunkLine(kind: kind, text: String(body), mailLine: line.mailLine))
            i += 1
        }
        let looksLikeCode = path.hasASCIISuffix(".c") || path.hasASCIISuffix(".h")
        if looksLikeCode, !sawTabIndent, let spaceLine = spaceIndented {
            hunk.damage.append(Damage(kind: .indentationLost, mailLine: spaceLine == -1 ? nil : spaceLine,
                                      detail: Self.spacesNotTabs))
        } else if looksLikeCode, unprefixed > 0, !sawTabIndent {
            hunk.damage.append(Damage(kind: .indentationLost, mailLine: hunk.lines.first(where: { $0.kind != .noNewlineMarker })?.mailLine,
                                      detail: "leading whitespace stripped from code lines"))
        }
        if oldLeft != 0 || newLeft != 0 {
            if oldLeft == newLeft && oldLeft > 0 {
                hunk.damage.append(Damage(kind: .blankContextDropped, mailLine: hunk.mailLine,
                                          detail: "\(oldLeft) blank context line(s) missing"))
            } else {
                hunk.damage.append(Damage(kind: .countMismatch, mailLine: hunk.mailLine,
                                          detail: "header says -\(hunk.oldCount) +\(hunk.newCount), hunk has -\(hunk.oldCount - oldLeft) +\(hunk.newCount - newLeft)"))
            }
        }
        return i
    }

    /// U+00A0 in UTF-8: C2 A0.
    static func containsNonBreakingSpace(_ bytes: UnsafeBufferPointer<UInt8>) -> Bool {
        var at = 0
        while true {
            at = bytes.index(of: 0xC2, from: at)
            if at + 1 >= bytes.count { return false }
            if bytes[at + 1] == 0xA0 { return true }
            at += 1
        }
    }

    private mutating func report(_ hunk: Hunk, index: Int, path: String) {
        if hunk.damage.isEmpty { return }
        for kind in Self.damageKindsInReportOrder where hunk.damage.contains(where: { $0.kind == kind }) {
            let all = hunk.damage.filter { $0.kind == kind }
            let lines = all.compactMap(\.mailLine)
            let (code, what) = Self.describe(kind, count: all.count, detail: all[0].detail)
            var message = "\(path) hunk \(index) (@@ -\(hunk.oldStart),\(hunk.oldCount) +\(hunk.newStart),\(hunk.newCount) @@): \(what)"
            if lines.count > 1 { message += " (lines \(Self.ranges(lines)))" }
            diagnostics.append(Diagnostic(
                code, .warning, message, at: (lines.first ?? hunk.mailLine).map { SourceLocation(file: source, line: $0) },
                patch: patchNumber, diffPath: path, hunk: index))
        }
    }

    /// The guess made from the mail alone when a code hunk has spaces and no tab anywhere.
    static let spacesNotTabs = "indentation is spaces, no tabs: tabs were expanded or stripped"

    /// One diagnostic per kind of damage in a hunk, in the order of the kinds' names.
    static let damageKindsInReportOrder = Damage.Kind.allCases.sorted { $0.rawValue < $1.rawValue }

    static func describe(_ kind: Damage.Kind, count: Int, detail: String) -> (String, String) {
        switch kind {
        case .missingContextPrefix: return ("mail/whitespace-damage", "\(count) context line(s) without their leading space")
        case .indentationLost: return ("mail/whitespace-damage", detail)
        case .blankContextDropped: return ("mail/whitespace-damage", "blank context line(s) dropped: \(detail)")
        case .lineWrapped: return ("mail/line-wrapped", "\(count) long line(s) wrapped by the mailer")
        case .nonBreakingSpace: return ("mail/non-breaking-space", "\(count) line(s) with non-breaking spaces")
        case .carriageReturn: return ("mail/crlf-in-diff", "\(count) line(s) end with CR (CRLF inside the diff)")
        case .countMismatch: return ("mail/hunk-count-mismatch", "hunk counts do not add up: \(detail)")
        }
    }

    /// `3-5, 9` from sorted line numbers.
    static func ranges(_ numbers: [Int]) -> String {
        var parts: [String] = []
        var i = 0
        let sorted = Array(Set(numbers)).sorted()
        while i < sorted.count {
            var j = i
            while j + 1 < sorted.count && sorted[j + 1] == sorted[j] + 1 { j += 1 }
            parts.append(i == j ? "\(sorted[i])" : "\(sorted[i])-\(sorted[j])")
            i = j + 1
        }
        return parts.joined(separator: ", ")
    }

    // MARK: - Paths

    /// Paths that must never reach a tree: absolute, `..` components, `.git` components.
    public static func hostileReason(_ path: String) -> String? {
        // Fast path: no leading '/', no NUL, and no '.' followed by '.' or 'g'/'G'.
        let suspicious = path.withBytes { b -> Bool in
            guard b.count > 0, b[0] != 0x2F else { return b.count > 0 }
            var previousWasDot = false
            for c in b {
                if c == 0 || (previousWasDot && (c == 0x2E || c == 0x67 || c == 0x47)) { return true }
                previousWasDot = c == 0x2E
            }
            return false
        }
        if !suspicious { return nil }
        if path.hasASCIIPrefix("/") { return "absolute path" }
        let components = path.split(separator: "/", omittingEmptySubsequences: false)
        if components.contains("..") { return "path leaves the tree ('..')" }
        if components.contains(where: { $0.lowercased() == ".git" }) { return "path inside .git/" }
        if path.contains("\0") { return "NUL byte in path" }
        return nil
    }

    private mutating func checkPathSafety(_ file: FileDiff) {
        if let path = file.oldPath { checkPathSafety(path, of: file) }
        if let path = file.newPath { checkPathSafety(path, of: file) }
    }

    private mutating func checkPathSafety(_ path: String, of file: FileDiff) {
        if let reason = Self.hostileReason(path) {
            diagnostics.append(Diagnostic(
                "mail/hostile-path", .error, "refusing diff path '\(path)': \(reason)",
                at: file.mailLine.map { SourceLocation(file: source, line: $0) }, patch: patchNumber, diffPath: path))
        }
    }

    /// `a/x b/y` from a `diff --git` line (C-quoted names too). With spaces in unquoted names the
    /// split is ambiguous; the `---`/`+++` lines that follow settle it.
    static func gitHeaderPaths(_ rest: Substring) -> (String?, String?) {
        if let split = rest.withBytes(sameSidePaths) { return split }
        if rest.hasASCIIPrefix("\"") {
            let (first, after) = cQuoted(rest)
            let second = after.trimmingWhitespace()
            let b = second.hasASCIIPrefix("\"") ? cQuoted(Substring(second)).0 : second
            return (stripPrefix(first, 1), stripPrefix(b, 1))
        }
        let s = String(rest)
        let parts = s.split(separator: " ", maxSplits: 1)
        return (parts.first.map { stripPrefix(String($0), 1) }, parts.count > 1 ? stripPrefix(String(parts[1]), 1) : nil)
    }

    /// `gitHeaderPaths` of the text after the line's `diff --git `: by bytes for the usual line.
    static func gitHeaderPaths(_ line: TextLine) -> (String?, String?) {
        if let split = line.withBytes({ sameSidePaths(UnsafeBufferPointer(rebasing: $0[min(11, $0.count)...])) }) { return split }
        return gitHeaderPaths(line.droppingFirst(11))
    }

    /// `a/x b/x`, unquoted: split at the last " b/" (same name on both sides is the common case).
    private static func sameSidePaths(_ bytes: UnsafeBufferPointer<UInt8>) -> (String?, String?)? {
        guard bytes.count > 5 && bytes[0] == 0x61 && bytes[1] == 0x2F else { return nil }
        var k = bytes.count - 3
        while k >= 2 {
            if bytes[k] == 0x20 && bytes[k + 1] == 0x62 && bytes[k + 2] == 0x2F {
                return (ByteText.string(bytes, 2..<k), ByteText.string(bytes, (k + 3)..<bytes.count))
            }
            k -= 1
        }
        return nil
    }

    /// The name on a `---`/`+++` line: unquoted, timestamp dropped, `strip` components removed;
    /// nil for `/dev/null`.
    static func diffName(_ rest: Substring, strip: Int) -> String? {
        if strip == 1, let fast = rest.withBytes(plainDiffName) { return fast }
        var name: String
        if rest.hasASCIIPrefix("\"") {
            name = cQuoted(rest).0
        } else {
            var s = rest
            if let tab = s.utf8.firstIndex(of: 0x09) { s = s[..<tab] }
            name = s.trimmingWhitespace()
            // `diff -u` timestamps after spaces: `name  2011-05-26 12:00:00.000 -0700`
            if name.utf8.contains(0x20) { name = Self.droppingTimestamp(name) }
        }
        if name == "/dev/null" { return nil }
        return stripPrefix(name, strip)
    }

    /// `diffName` of the text after the line's `--- `/`+++ `: by bytes for the usual line.
    static func diffName(_ line: TextLine, strip: Int) -> String? {
        if strip == 1, let fast = line.withBytes({ plainDiffName(UnsafeBufferPointer(rebasing: $0[min(4, $0.count)...])) }) {
            return fast
        }
        return diffName(line.droppingFirst(4), strip: strip)
    }

    /// The usual `a/path` (no quotes, spaces or timestamp) with one component stripped; nil
    /// (no answer) for anything else, `.some(nil)` for `/dev/null`.
    private static func plainDiffName(_ b: UnsafeBufferPointer<UInt8>) -> String?? {
        guard b.first != 0x22 else { return nil }
        let end = ByteText.first(0x09, in: b, 0..<b.count) ?? b.count
        let r = ByteText.trimmed(b, 0..<end)
        guard !r.isEmpty, b[r.lowerBound] < 0x80, b[r.upperBound - 1] < 0x80,
              ByteText.first(0x20, in: b, r) == nil else { return nil }
        if r.count == 9 && memcmp(b.baseAddress! + r.lowerBound, "/dev/null", 9) == 0 { return .some(nil) }
        guard let slash = ByteText.first(0x2F, in: b, r) else { return ByteText.string(b, r) }
        return ByteText.string(b, (slash + 1)..<r.upperBound)
    }

    /// `name  2011-05-26 12:00:00` → `name` (a date after a run of spaces), by bytes.
    static func droppingTimestamp(_ name: String) -> String {
        let bytes = Array(name.utf8)
        var i = 0
        while i + 20 <= bytes.count {
            if bytes[i] == 0x20 {
                var j = i
                while j < bytes.count && bytes[j] == 0x20 { j += 1 }
                let d = { (k: Int) in j + k < bytes.count && ASCIIDigits.isDigit(bytes[j + k]) }
                if d(0) && d(1) && d(2) && d(3) && j + 4 < bytes.count && bytes[j + 4] == 0x2D && d(5) && d(6)
                    && j + 7 < bytes.count && bytes[j + 7] == 0x2D && d(8) && d(9) {
                    return String(decoding: bytes[..<i], as: UTF8.self)
                }
                i = j
                continue
            }
            i += 1
        }
        return name
    }

    static func stripPrefix(_ path: String, _ count: Int) -> String {
        guard count > 0 else { return path }
        if count == 1 {
            // The usual `a/…`/`b/…`: everything after the first slash.
            guard let slash = path.utf8.firstIndex(of: 0x2F) else { return path }
            return String(path[path.utf8.index(after: slash)...])
        }
        var components = path.split(separator: "/", maxSplits: count, omittingEmptySubsequences: false)
        guard components.count > count else { return path }
        components.removeFirst(count)
        return components.joined(separator: "/")
    }

    static func unquote(_ s: Substring) -> String {
        s.hasASCIIPrefix("\"") ? cQuoted(s).0 : String(s)
    }

    /// Git's C-style quoting: `"a/t\303\251st"`.
    static func cQuoted(_ s: Substring) -> (String, Substring) {
        var bytes: [UInt8] = []
        let utf8 = Array(s.utf8)
        var i = 1
        while i < utf8.count {
            let c = utf8[i]
            if c == 0x22 { break }
            if c == 0x5C, i + 1 < utf8.count {
                let n = utf8[i + 1]
                switch n {
                case 0x6E: bytes.append(0x0A); i += 2
                case 0x74: bytes.append(0x09); i += 2
                case 0x22, 0x5C: bytes.append(n); i += 2
                case 0x30...0x37 where i + 3 < utf8.count && (0x30...0x37).contains(utf8[i + 2]) && (0x30...0x37).contains(utf8[i + 3]):
                    // Three octal digits, as git writes them; anything else is kept as written.
                    let v = (Int(n - 0x30) << 6) | (Int(utf8[i + 2] - 0x30) << 3) | Int(utf8[i + 3] - 0x30)
                    bytes.append(UInt8(truncatingIfNeeded: v)); i += 4
                default: bytes.append(n); i += 2
                }
                continue
            }
            bytes.append(c)
            i += 1
        }
        let restStart = min(i + 1, utf8.count)
        let rest = String(decoding: utf8[restStart...], as: UTF8.self)
        return (String(decoding: bytes, as: UTF8.self), Substring(rest))
    }
}

/// `@@ -a,b +c,d @@ section`.
struct HunkHeader {
    var oldStart: Int, oldCount: Int, newStart: Int, newCount: Int
    var section: String

    /// Read by bytes: it runs for every hunk of every mail.
    init?(_ b: UnsafeBufferPointer<UInt8>) {
        guard b.count >= 4, b[0] == 0x40, b[1] == 0x40, b[2] == 0x20, b[3] == 0x2D else { return nil }
        var i = 4
        func number() -> Int? {
            var value = 0, digits = 0
            while i < b.count, b[i] >= 0x30 && b[i] <= 0x39 {
                value = value * 10 + Int(b[i] - 0x30)
                digits += 1
                if digits > 12 { return nil }
                i += 1
            }
            return digits > 0 ? value : nil
        }
        func range() -> (Int, Int)? {
            guard let start = number() else { return nil }
            if i < b.count && b[i] == 0x2C {
                i += 1
                guard let count = number() else { return nil }
                return (start, count)
            }
            return (start, 1)
        }
        guard let old = range(), i < b.count, b[i] == 0x20 else { return nil }
        i += 1
        guard i < b.count, b[i] == 0x2B else { return nil }
        i += 1
        guard let new = range() else { return nil }
        // " @@" closes the ranges; the rest is the section heading.
        guard i + 3 <= b.count, b[i] == 0x20, b[i + 1] == 0x40, b[i + 2] == 0x40 else { return nil }
        (oldStart, oldCount) = old
        (newStart, newCount) = new
        section = ByteText.trimmedString(b, (i + 3)..<b.count)
    }
}



enum ASCIIDigits {
    @inline(__always) static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
}

