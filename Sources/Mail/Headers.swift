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

/// A header block: fields in order, looked up case-insensitively.
public struct HeaderBlock: Sendable {
    public var fields: [HeaderField] = []

    public init(fields: [HeaderField] = []) { self.fields = fields }

    public func first(_ name: String) -> HeaderField? {
        let lowered = HeaderField.asciiLowercased(name)
        return fields.first { $0.key == lowered }
    }

    public func all(_ name: String) -> [HeaderField] {
        let lowered = HeaderField.asciiLowercased(name)
        return fields.filter { $0.key == lowered }
    }

    public subscript(_ name: String) -> String? { first(name)?.value }

    /// Parses the header block at the start of `bytes`. Returns the fields and the offset where
    /// the body starts (after the blank line), plus how many lines the header block used.
    /// A line that is neither a field nor a continuation ends the block (git mailinfo does the same).
    public static func parse(_ bytes: ArraySlice<UInt8>, firstLine: Int) -> (HeaderBlock, bodyStart: Int, lines: Int) {
        var block = HeaderBlock()
        var index = bytes.startIndex
        var lineNumber = firstLine
        var linesUsed = 0
        var current: (name: String, value: [UInt8], line: Int)?

        func flush() {
            if let c = current {
                block.fields.append(HeaderField(name: c.name, rawValue: decodeHeaderBytes(c.value), line: c.line))
            }
            current = nil
        }

        while index < bytes.endIndex {
            var end = index
            while end < bytes.endIndex && bytes[end] != ASCII.lf { end += 1 }
            let next = end < bytes.endIndex ? end + 1 : end
            var lineEnd = end
            if lineEnd > index && bytes[lineEnd - 1] == ASCII.cr { lineEnd -= 1 }
            if lineEnd == index {
                // Blank line: end of headers.
                flush()
                linesUsed += 1
                return (block, next, linesUsed)
            }
            let first = bytes[index]
            if ASCII.isWhitespace(first), current != nil {
                current!.value.append(ASCII.space)
                var s = index
                while s < lineEnd && ASCII.isWhitespace(bytes[s]) { s += 1 }
                current!.value.append(contentsOf: bytes[s..<lineEnd])
            } else if let colon = fieldNameEnd(bytes, from: index, to: lineEnd) {
                flush()
                let name = String(decoding: bytes[index..<colon], as: UTF8.self).trimmingWhitespace()
                var s = colon + 1
                while s < lineEnd && ASCII.isWhitespace(bytes[s]) { s += 1 }
                current = (name, Array(bytes[s..<lineEnd]), lineNumber)
            } else {
                // Not a header line: the body starts here, without a blank separator.
                flush()
                return (block, index, linesUsed)
            }
            linesUsed += 1
            lineNumber += 1
            index = next
        }
        flush()
        return (block, index, linesUsed)
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
