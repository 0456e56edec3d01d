import Mail
#if canImport(Glibc)
import Glibc
#endif

/// The text a set of lines was cut from, kept once for all of them: the String (for the
/// Substrings a caller asks for) and a copy of its UTF-8 at a stable address (for the parsers,
/// which read lines as bytes).
final class LineSource: @unchecked Sendable {
    // Immutable after init; the buffer is owned here and freed with it.
    let string: String
    let bytes: UnsafeMutableBufferPointer<UInt8>

    init(_ string: String) {
        var string = string
        string.makeContiguousUTF8()
        self.string = string
        bytes = string.withUTF8 { utf8 in
            let copy = UnsafeMutableBufferPointer<UInt8>.allocate(capacity: max(utf8.count, 1))
            _ = copy.initialize(from: utf8)
            return UnsafeMutableBufferPointer(rebasing: copy[0..<utf8.count])
        }
    }

    deinit { UnsafeMutableRawPointer(bytes.baseAddress)?.deallocate() }

    func substring(_ start: Int, _ end: Int) -> Substring {
        let utf8 = string.utf8
        return string[utf8.index(utf8.startIndex, offsetBy: start)..<utf8.index(utf8.startIndex, offsetBy: end)]
    }
}

/// A line of mail text with its place in the input file, when known. It is a byte range of the
/// text it was split from: splitting a mail costs no String per line, and the parsers classify
/// lines by their bytes; `text` makes the Substring when one is wanted.
public struct TextLine: Sendable {
    /// Gives the lines named in `sent` (by index) their bytes as sent.
    static func attach(_ sent: [Int: [UInt8]], to lines: inout [TextLine]) {
        for (k, bytes) in sent where k < lines.count { lines[k].sent = bytes }
    }

    let source: LineSource
    let start: Int
    /// End of the text, before any `\r`.
    let end: Int
    public let mailLine: Int?
    /// The line ended in `\r` (stripped from `text`).
    public let hadCarriageReturn: Bool
    /// The text's first byte, 0 when it is empty: most lines are classified on it alone.
    public let firstByte: UInt8
    /// The line's bytes as sent, when its text is not them read as UTF-8 (a Latin-1 line of a
    /// diff): what a patch applies.
    public internal(set) var sent: [UInt8]? = nil

    public var text: Substring { source.substring(start, end) }

    public init(text: Substring, mailLine: Int?, hadCarriageReturn: Bool = false) {
        let source = LineSource(String(text))
        self.init(source: source, start: 0, end: source.bytes.count, mailLine: mailLine, hadCarriageReturn: hadCarriageReturn)
    }

    init(source: LineSource, start: Int, end: Int, mailLine: Int?, hadCarriageReturn: Bool) {
        self.source = source
        self.start = start
        self.end = end
        self.mailLine = mailLine
        self.hadCarriageReturn = hadCarriageReturn
        self.firstByte = end > start ? withExtendedLifetime(source) { source.bytes[start] } : 0
    }

    /// Calls `body` with the text's bytes; they are valid only inside it (the source is kept
    /// alive for that long).
    @inline(__always) func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) throws -> R) rethrows -> R {
        try withExtendedLifetime(source) { try body(UnsafeBufferPointer(rebasing: source.bytes[start..<end])) }
    }

    @inline(__always) var byteCount: Int { end - start }
    @inline(__always) var isEmpty: Bool { end == start }

    /// Whether the text starts with `prefix` (bytes compared).
    @inline(__always) func hasPrefix(_ prefix: StaticString) -> Bool {
        let n = prefix.utf8CodeUnitCount
        guard byteCount >= n else { return false }
        return n == 0 || withExtendedLifetime(source) { memcmp(source.bytes.baseAddress! + start, prefix.utf8Start, n) == 0 }
    }

    /// Whether the text is exactly `other`.
    @inline(__always) func equals(_ other: StaticString) -> Bool {
        byteCount == other.utf8CodeUnitCount && hasPrefix(other)
    }

    /// The text after `prefix`, or nil (a Substring is made only on a match).
    @inline(__always) func value(after prefix: StaticString) -> Substring? {
        guard hasPrefix(prefix) else { return nil }
        return source.substring(start + prefix.utf8CodeUnitCount, end)
    }

    /// The text after `prefix` as a String, or nil: for values kept as they are, no Substring.
    @inline(__always) func string(after prefix: StaticString) -> String? {
        guard hasPrefix(prefix) else { return nil }
        return withBytes { ByteText.string($0, prefix.utf8CodeUnitCount..<$0.count) }
    }

    /// The text after its first `count` bytes (which the caller knows to be ASCII).
    @inline(__always) func droppingFirst(_ count: Int) -> Substring {
        source.substring(min(start + count, end), end)
    }

    /// Empty or whitespace only.
    var isBlank: Bool {
        let firstOther = withBytes { $0.first(where: { !ByteText.isTrimmable($0) }) }
        guard let b = firstOther else { return true }
        return b >= 0x80 ? text.isBlank : false
    }
}

enum TextLines {
    /// Splits `text` into lines; `lineNumber(k)` gives the input line of the k-th (0-based).
    /// (Inlined, so that a closure literal given here is inlined into the per-line loop.)
    @inline(__always)
    static func split(_ text: String, lineNumber: (Int) -> Int?) -> [TextLine] {
        // Split on bytes with memchr: as Characters, "\r\n" is one grapheme and would not split.
        let source = LineSource(text)
        let buffer = UnsafeBufferPointer(source.bytes)
        // Room for lines of 24 bytes on average (patch mail runs longer), bounded so that a huge
        // text does not reserve more than it could use; past that the array grows as usual.
        var lines: [TextLine] = []
        lines.reserveCapacity(min(buffer.count / 24 + 4, 1 << 14))
        var start = 0
        var k = 0
        while start < buffer.count {
            let newline = buffer.index(of: 0x0A, from: start)
            var end = newline
            var cr = false
            if end > start && buffer[end - 1] == 0x0D { end -= 1; cr = true }
            lines.append(TextLine(source: source, start: start, end: end, mailLine: lineNumber(k), hadCarriageReturn: cr))
            k += 1
            start = newline + 1
        }
        return lines
    }
}

extension TextLines {
    /// The lines' texts joined with `\n`. Lines that lie next to each other in one text (the
    /// usual case) are one slice of it: a single copy instead of a String per line.
    static func joined(_ lines: ArraySlice<TextLine>, withFinalNewline: Bool = false) -> String {
        guard let first = lines.first, let last = lines.last else { return withFinalNewline ? "\n" : "" }
        var adjacent = true
        var expected = first.start
        // By index, reading fields in place: iterating would copy (retain) every line.
        for k in lines.indices {
            guard !lines[k].hadCarriageReturn, lines[k].source === first.source, lines[k].start == expected
            else { adjacent = false; break }
            expected = lines[k].end + 1
        }
        if adjacent {
            // The source's own newline after the last line, when it has one: no second copy.
            if withFinalNewline && last.end < first.source.bytes.count && first.source.bytes[last.end] == 0x0A {
                return String(first.source.substring(first.start, last.end + 1))
            }
            let text = String(first.source.substring(first.start, last.end))
            return withFinalNewline ? text + "\n" : text
        }
        let text = lines.map { String($0.text) }.joined(separator: "\n")
        return withFinalNewline ? text + "\n" : text
    }
}

/// Small classifiers over one line of text, shared by the diff parser and the thread splitter.
enum LineShape {
    /// `On <date>, <name> wrote:` and its common variants (also `<name> wrote:`, `Quoting <name>:`).
    static func isAttribution(_ line: Substring) -> Bool {
        let t = line.trimmingWhitespace()
        guard t.count < 300 else { return false }
        if t.hasASCIISuffix("wrote:") || t.hasASCIISuffix("writes:") || t.hasASCIISuffix("a écrit :") || t.hasASCIISuffix("schrieb:") {
            return true
        }
        return t.hasASCIIPrefix("Quoting ") && t.hasASCIISuffix(":")
    }

    static func isQuote(_ line: Substring) -> Bool { line.hasASCIIPrefix(">") }

    /// A sign-off a person types under a mail: `--D`, `-- `, `--Andrew`, `Thanks,`.
    static func isSignature(_ line: Substring) -> Bool {
        let t = line.trimmingWhitespace()
        if t == "--" || line == "-- " { return true }
        if t.hasASCIIPrefix("--"), t.count <= 12, !t.hasASCIIPrefix("---"),
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
        if t.hasASCIIPrefix("/*") || t.hasASCIIPrefix("*") || t.hasASCIIPrefix("//") || t.hasASCIIPrefix("#") { return false }
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
    @inline(__always)
    static func startsFileSection(_ lines: [TextLine], _ i: Int) -> Bool {
        // Every section start begins with 'd', '-' or 'I': most lines (this runs for every line
        // of every message) are rejected on one byte, inline, without a call.
        let first = lines[i].firstByte
        guard first == 0x64 || first == 0x2D || first == 0x49 else { return false }
        return startsFileSectionAfterFirstByte(lines, i)
    }

    private static func startsFileSectionAfterFirstByte(_ lines: [TextLine], _ i: Int) -> Bool {
        let t = lines[i]
        if t.hasPrefix("diff --git ") { return true }
        if t.hasPrefix("--- ") { return i + 1 < lines.count && lines[i + 1].hasPrefix("+++ ") }
        if t.hasPrefix("diff -") || t.hasPrefix("Index: ") {
            // `diff -u a b`, svn's and CVS's `Index:` only count when a ---/+++ pair follows closely.
            var j = i + 1
            while j < min(i + 8, lines.count - 1) {
                if lines[j].hasPrefix("--- ") && lines[j + 1].hasPrefix("+++ ") { return true }
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
        needle.withBytes { n -> Bool in
            if let found = utf8.withContiguousStorageIfAvailable({ ByteSearch.contains($0, n) }) { return found }
            return Array(utf8).withUnsafeBufferPointer { ByteSearch.contains($0, n) }
        }
    }
}

enum ByteSearch {
    /// Whether `needle` occurs in `hay`: memchr for its first byte, memcmp for the rest (glibc's
    /// memmem is not exported here).
    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = needle.first else { return true }
        var i = 0
        while i + needle.count <= hay.count {
            let hit = hay.index(of: first, from: i)
            if hit + needle.count > hay.count { return false }
            if memcmp(hay.baseAddress! + hit, needle.baseAddress!, needle.count) == 0 { return true }
            i = hit + 1
        }
        return false
    }

    static func contains(_ hay: UnsafeBufferPointer<UInt8>, _ needle: StaticString) -> Bool {
        contains(hay, UnsafeBufferPointer(start: needle.utf8Start, count: needle.utf8CodeUnitCount))
    }
}
