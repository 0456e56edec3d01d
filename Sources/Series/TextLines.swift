import Mail

/// A line of mail text with its place in the input file, when known.
public struct TextLine: Sendable {
    public var text: Substring
    public var mailLine: Int?
    /// The line ended in `\r` (stripped from `text`).
    public var hadCarriageReturn: Bool

    public init(text: Substring, mailLine: Int?, hadCarriageReturn: Bool = false) {
        self.text = text
        self.mailLine = mailLine
        self.hadCarriageReturn = hadCarriageReturn
    }
}

enum TextLines {
    /// Splits `text` into lines; `lineNumber(k)` gives the input line of the k-th (0-based).
    static func split(_ text: String, lineNumber: (Int) -> Int?) -> [TextLine] {
        // Split on bytes: as Characters, "\r\n" is one grapheme and would not split on "\n".
        var lines: [TextLine] = []
        let utf8 = text.utf8
        var start = utf8.startIndex
        var index = 0
        while start < utf8.endIndex {
            let newline = utf8[start...].firstIndex(of: 0x0A) ?? utf8.endIndex
            var end = newline
            var cr = false
            if end > start, utf8[utf8.index(before: end)] == 0x0D {
                end = utf8.index(before: end)
                cr = true
            }
            lines.append(TextLine(text: text[start..<end], mailLine: lineNumber(index), hadCarriageReturn: cr))
            index += 1
            start = newline < utf8.endIndex ? utf8.index(after: newline) : newline
        }
        return lines
    }
}

/// Small classifiers over one line of text, shared by the diff parser and the thread splitter.
enum LineShape {
    /// `On <date>, <name> wrote:` and its common variants (also `<name> wrote:`, `Quoting <name>:`).
    static func isAttribution(_ line: Substring) -> Bool {
        let t = line.trimmingWhitespace()
        guard t.count < 300 else { return false }
        if t.hasSuffix("wrote:") || t.hasSuffix("writes:") || t.hasSuffix("a écrit :") || t.hasSuffix("schrieb:") {
            return true
        }
        return t.hasPrefix("Quoting ") && t.hasSuffix(":")
    }

    static func isQuote(_ line: Substring) -> Bool { line.hasPrefix(">") }

    /// A sign-off a person types under a mail: `--D`, `-- `, `--Andrew`, `Thanks,`.
    static func isSignature(_ line: Substring) -> Bool {
        let t = line.trimmingWhitespace()
        if t == "--" || line == "-- " { return true }
        if t.hasPrefix("--"), t.count <= 12, !t.hasPrefix("---"),
           t.dropFirst(2).allSatisfy({ $0.isLetter || $0 == " " || $0 == "." }) {
            return true
        }
        return false
    }

    /// Prose rather than C: several plain words and none of C's punctuation. Used where mail
    /// damage removed the prefixes that would otherwise tell a diff line from the text after it.
    static let codePunctuation: Set<UInt8> = Set(";{}=<>[]|&\\\"".utf8)

    static func looksLikeProse(_ line: Substring) -> Bool {
        // Long lines are never the prose that follows a diff; and scanning them word by word is slow.
        if line.utf8.count > 4096 { return false }
        let t = line.trimmingWhitespace()
        if t.hasPrefix("/*") || t.hasPrefix("*") || t.hasPrefix("//") || t.hasPrefix("#") { return false }
        if t.utf8.contains(where: { b in Self.codePunctuation.contains(b) }) || t.containsBytes("/*") || t.containsBytes("*/") || t.containsBytes("->") {
            return false
        }
        let words = t.split(separator: " ")
        guard words.count >= 4 else { return false }
        let plain = words.filter { word in
            let core = word.trimmingCharacters(in: ",.?!:'()")
            return !core.isEmpty && core.allSatisfy { $0.isLetter || $0 == "'" || $0 == "-" }
        }
        return plain.count * 10 >= words.count * 6
    }

    /// The line that starts a file section: `diff --git`, or `--- ` followed by `+++ `.
    static func startsFileSection(_ lines: [TextLine], _ i: Int) -> Bool {
        let t = lines[i].text
        if t.hasPrefix("diff --git ") { return true }
        if t.hasPrefix("--- ") { return i + 1 < lines.count && lines[i + 1].text.hasPrefix("+++ ") }
        if t.hasPrefix("diff -") || t.hasPrefix("Index: ") {
            // `diff -u a b`, svn's and CVS's `Index:` only count when a ---/+++ pair follows closely.
            var j = i + 1
            while j < min(i + 8, lines.count - 1) {
                if lines[j].text.hasPrefix("--- ") && lines[j + 1].text.hasPrefix("+++ ") { return true }
                j += 1
            }
        }
        return false
    }
}

extension Substring {
    func trimmingCharacters(in set: String) -> Substring {
        var s = self
        while let f = s.first, set.contains(f) { s = s.dropFirst() }
        while let l = s.last, set.contains(l) { s = s.dropLast() }
        return s
    }
}

extension StringProtocol {
    /// Byte search: Foundation's `contains(_:)` folds grapheme clusters and is far slower.
    func containsBytes(_ needle: String) -> Bool {
        let n = Array(needle.utf8)
        guard let first = n.first else { return true }
        let hay = utf8
        var i = hay.startIndex
        while let hit = hay[i...].firstIndex(of: first) {
            var a = hit, k = 0
            while k < n.count && a < hay.endIndex && hay[a] == n[k] { a = hay.index(after: a); k += 1 }
            if k == n.count { return true }
            i = hay.index(after: hit)
        }
        return false
    }
}
