/// One header field, unfolded, value still raw (encoded words not yet decoded).
public struct HeaderField: Sendable, Hashable {
    public var name: String
    public var rawValue: String
    /// 1-based line in the input where the field starts.
    public var line: Int
    /// `name` in ASCII lower case, for lookups.
    let key: String

    public init(name: String, rawValue: String, line: Int) {
        self.name = name
        self.rawValue = rawValue
        self.line = line
        self.key = HeaderField.asciiLowercased(name)
    }

    static func asciiLowercased(_ s: String) -> String {
        if !s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return s }
        return String(decoding: s.utf8.map { ASCII.lower($0) }, as: UTF8.self)
    }

    /// The value with RFC 2047 encoded words decoded and surrounding whitespace trimmed.
    public var value: String { EncodedWords.decode(rawValue).trimmingWhitespace() }
}

/// A header block: fields in order, looked up case-insensitively. Fields are kept as byte spans
/// of the header text and turned into strings only when asked for: a mail carries dozens of
/// `Received:`/`DKIM-Signature:` fields a patch review never reads.
public struct HeaderBlock: Sendable {
    struct Span: Sendable {
        var nameStart: Int, nameEnd: Int, valueStart: Int, valueEnd: Int
        var line: Int
    }

    private var text: [UInt8] = []
    private var spans: [Span] = []
    private var extra: [HeaderField] = []

    public init(fields: [HeaderField] = []) { extra = fields }

    /// Every field, materialised.
    public var fields: [HeaderField] { spans.map(field) + extra }

    public func first(_ name: String) -> HeaderField? {
        if let span = spans.first(where: { matches($0, name) }) { return field(span) }
        let lowered = HeaderField.asciiLowercased(name)
        return extra.first { $0.key == lowered }
    }

    public func all(_ name: String) -> [HeaderField] {
        let lowered = HeaderField.asciiLowercased(name)
        return spans.filter { matches($0, name) }.map(field) + extra.filter { $0.key == lowered }
    }

    public subscript(_ name: String) -> String? { first(name)?.value }

    private func matches(_ span: Span, _ wanted: String) -> Bool {
        guard span.nameEnd - span.nameStart == wanted.utf8.count else { return false }
        var k = span.nameStart
        for b in wanted.utf8 {
            if ASCII.lower(text[k]) != ASCII.lower(b) { return false }
            k += 1
        }
        return true
    }

    /// Unfolds the value (line breaks and the whitespace after them become one space).
    private func field(_ span: Span) -> HeaderField {
        var value: [UInt8] = []
        value.reserveCapacity(span.valueEnd - span.valueStart)
        var i = span.valueStart
        while i < span.valueEnd {
            let b = text[i]
            if b == ASCII.cr || b == ASCII.lf {
                while i < span.valueEnd && (text[i] == ASCII.cr || text[i] == ASCII.lf) { i += 1 }
                var sawSpace = false
                while i < span.valueEnd && ASCII.isWhitespace(text[i]) { i += 1; sawSpace = true }
                if sawSpace && i < span.valueEnd { value.append(ASCII.space) }
                continue
            }
            value.append(b)
            i += 1
        }
        while let last = value.last, ASCII.isWhitespace(last) || last == ASCII.cr { value.removeLast() }
        let name = String(decoding: text[span.nameStart..<span.nameEnd], as: UTF8.self).trimmingWhitespace()
        return HeaderField(name: name, rawValue: HeaderBlock.decodeHeaderBytes(value), line: span.line)
    }

    /// Parses the header block at the start of `bytes`. Returns the fields and the offset where
    /// the body starts (after the blank line), plus how many lines the header block used.
    /// A line that is neither a field nor a continuation ends the block (git mailinfo does the same).
    public static func parse(_ bytes: ArraySlice<UInt8>, firstLine: Int) -> (HeaderBlock, bodyStart: Int, lines: Int) {
        var block = HeaderBlock()
        var index = bytes.startIndex
        var lineNumber = firstLine
        var linesUsed = 0
        var current: Span?
        var end = bytes.endIndex
        var bodyStart = bytes.endIndex
        // One pass to find the spans (offsets relative to the block's own copy of the text).
        let base = bytes.startIndex
        scan: while index < bytes.endIndex {
            var lineEnd = index
            while lineEnd < bytes.endIndex && bytes[lineEnd] != ASCII.lf { lineEnd += 1 }
            let next = lineEnd < bytes.endIndex ? lineEnd + 1 : lineEnd
            var contentEnd = lineEnd
            if contentEnd > index && bytes[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
            if contentEnd == index {
                // Blank line: end of headers.
                linesUsed += 1
                end = index
                bodyStart = next
                break scan
            }
            let first = bytes[index]
            if ASCII.isWhitespace(first), current != nil {
                current!.valueEnd = contentEnd - base
            } else if let colon = fieldNameEnd(bytes, from: index, to: contentEnd) {
                if let c = current { block.spans.append(c) }
                var valueStart = colon + 1
                while valueStart < contentEnd && ASCII.isWhitespace(bytes[valueStart]) { valueStart += 1 }
                current = Span(nameStart: index - base, nameEnd: colon - base, valueStart: valueStart - base,
                               valueEnd: contentEnd - base, line: lineNumber)
            } else {
                // Not a header line: the body starts here, without a blank separator.
                end = index
                bodyStart = index
                break scan
            }
            linesUsed += 1
            lineNumber += 1
            index = next
            end = index
            bodyStart = index
        }
        if let c = current { block.spans.append(c) }
        block.text = Array(bytes[base..<max(base, end)])
        return (block, bodyStart, linesUsed)
    }

    /// A field name is printable ASCII without spaces or colon, followed by a colon.
    private static func fieldNameEnd(_ bytes: ArraySlice<UInt8>, from: Int, to: Int) -> Int? {
        var i = from
        while i < to {
            let b = bytes[i]
            if b == ASCII.colon { return i > from ? i : nil }
            if b <= 0x20 || b >= 0x7F { return nil }
            i += 1
        }
        return nil
    }

    /// Raw 8-bit header bytes (against the RFC, but common): UTF-8 if valid, else Windows-1252.
    static func decodeHeaderBytes(_ bytes: [UInt8]) -> String {
        if let s = String(validating: bytes, as: UTF8.self) { return s }
        return Charset.windows1252(bytes)
    }
}

/// RFC 2047 encoded words (`=?charset?B?...?=` and `=?charset?Q?...?=`) in header values.
public enum EncodedWords {
    public static func decode(_ value: String) -> String {
        guard value.utf8.contains(0x3F), value.utf8.contains(0x3D) else { return value }
        var result = ""
        var rest = Substring(value)
        var pendingWhitespace = ""
        var lastWasEncoded = false
        while !rest.isEmpty {
            if rest.hasPrefix("=?"), let (decoded, after) = decodeWord(rest) {
                // Whitespace between two encoded words is not part of the text.
                if !lastWasEncoded { result += pendingWhitespace }
                pendingWhitespace = ""
                result += decoded
                rest = after
                lastWasEncoded = true
                continue
            }
            let c = rest.removeFirst()
            if c == " " || c == "\t" || c == "\r" || c == "\n" {
                pendingWhitespace.append(c)
            } else {
                result += pendingWhitespace
                pendingWhitespace = ""
                result.append(c)
                lastWasEncoded = false
            }
        }
        return result + pendingWhitespace
    }

    private static func decodeWord(_ s: Substring) -> (String, Substring)? {
        let body = s.dropFirst(2)
        guard let q1 = body.firstIndex(of: "?") else { return nil }
        let charset = body[..<q1]
        let afterCharset = body[body.index(after: q1)...]
        guard let q2 = afterCharset.firstIndex(of: "?") else { return nil }
        let encoding = afterCharset[..<q2].uppercased()
        let text = afterCharset[afterCharset.index(after: q2)...]
        guard let close = text.range(of: "?=") else { return nil }
        let payload = Array(text[..<close.lowerBound].utf8)
        guard !charset.isEmpty, !payload.contains(ASCII.space) else { return nil }
        let bytes: [UInt8]
        switch encoding {
        case "B": bytes = TransferEncoding.decodeBase64(payload).bytes
        case "Q": bytes = TransferEncoding.decodeQ(payload)
        default: return nil
        }
        let (decoded, _) = Charset.decode(bytes, charset: String(charset))
        return (decoded, text[close.upperBound...])
    }
}
