/// One header field, unfolded, value still raw (encoded words not yet decoded).
public struct HeaderField: Sendable, Hashable {
    public var name: String
    public var rawValue: String
    /// 1-based line in the input where the field starts.
    public var line: Int
    /// `name` in ASCII lower case, for lookups.
    var key: String { HeaderField.asciiLowercased(name) }

    public init(name: String, rawValue: String, line: Int) {
        self.name = name
        self.rawValue = rawValue
        self.line = line
    }

    static func asciiLowercased<S: StringProtocol>(_ s: S) -> String {
        if !s.utf8.contains(where: { $0 >= 0x41 && $0 <= 0x5A }) { return String(s) }
        return String(decoding: s.utf8.map { ASCII.lower($0) }, as: UTF8.self)
    }

    /// The value with RFC 2047 encoded words decoded and surrounding whitespace trimmed.
    public var value: String { HeaderField.decodedValue(rawValue) }

    static func decodedValue(_ rawValue: String) -> String {
        if rawValue.withBytes(isPlain) { return rawValue }
        return EncodedWords.decode(rawValue).trimmingWhitespace()
    }

    /// A raw value that is its own decoded value: ASCII at both ends, nothing to trim, no `?`
    /// (so no encoded word). Most values are; checked by bytes, as the UTF-8 view's `last`
    /// cost more than the rest together.
    static func isPlain(_ b: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let first = b.first, let last = b.last, first > 0x20, first < 0x80, last > 0x20, last < 0x80
        else { return false }
        return b.index(of: 0x3F, from: 0) == b.count
    }
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
    /// Index in `spans` of the first field of each name every mail is asked for, found while
    /// parsing: `first(_:)` then needs no scan of the dozens of `Received:` lines.
    /// (A SIMD vector rather than an array: no allocation per header block.)
    private var known = SIMD16<Int32>(repeating: -1)

    /// The fields every mail is asked for, found while parsing.
    public enum Known: Int, CaseIterable, Sendable {
        case subject, from, date, messageID, inReplyTo, references, contentType, contentTransferEncoding,
             contentDisposition

        /// The lower-case name (also spelled in `knownName`; a test keeps the two the same).
        public var lowered: StaticString {
            switch self {
            case .subject: "subject"
            case .from: "from"
            case .date: "date"
            case .messageID: "message-id"
            case .inReplyTo: "in-reply-to"
            case .references: "references"
            case .contentType: "content-type"
            case .contentTransferEncoding: "content-transfer-encoding"
            case .contentDisposition: "content-disposition"
            }
        }
    }

    private static func knownIndex(_ name: String) -> Int? {
        var name = name
        return name.withUTF8 { b in
            guard let base = b.baseAddress else { return nil }
            return knownName(base, length: b.count)?.rawValue
        }
    }

    /// Records `spans[index]` in `known` when its name is one of `Known` (any case).
    private mutating func noteKnown(_ index: Int) {
        let span = spans[index]
        let found = text.withUnsafeBufferPointer { t in
            HeaderBlock.knownName(t.baseAddress! + span.nameStart, length: span.nameEnd - span.nameStart)
        }
        if let found, known[found.rawValue] < 0 { known[found.rawValue] = Int32(index) }
    }

    /// Which `Known` field the name at `name` is (any case). The length picks the one or two
    /// candidates: most fields (`Received`, `DKIM-Signature`, `X-…`) are rejected without
    /// comparing a byte.
    private static func knownName(_ name: UnsafePointer<UInt8>, length: Int) -> Known? {
        @inline(__always) func matches(_ lowered: StaticString) -> Bool {
            let p = lowered.utf8Start
            for j in 0..<length where p[j] != ASCII.lower(name[j]) { return false }
            return true
        }
        // Known.lowered spelled out: the literals let the comparisons fold.
        switch length {
        case 4: return matches("from") ? .from : matches("date") ? .date : nil
        case 7: return matches("subject") ? .subject : nil
        case 10: return matches("message-id") ? .messageID : matches("references") ? .references : nil
        case 11: return matches("in-reply-to") ? .inReplyTo : nil
        case 12: return matches("content-type") ? .contentType : nil
        case 19: return matches("content-disposition") ? .contentDisposition : nil
        case 25: return matches("content-transfer-encoding") ? .contentTransferEncoding : nil
        default: return nil
        }
    }

    public func first(_ name: Known) -> HeaderField? {
        if known[name.rawValue] >= 0 { return field(spans[Int(known[name.rawValue])]) }
        guard !extra.isEmpty else { return nil }
        let lowered = name.lowered.description
        return extra.first { $0.key == lowered }
    }

    public subscript(_ name: Known) -> String? { value(name) }

    public init(fields: [HeaderField] = []) { extra = fields }

    /// Every field, materialised.
    public var fields: [HeaderField] { spans.map(field) + extra }

    public func first(_ name: String) -> HeaderField? {
        if let k = HeaderBlock.knownIndex(name) {
            if known[k] >= 0 { return field(spans[Int(known[k])]) }
        } else if let span = spans.first(where: { matches($0, name) }) {
            return field(span)
        }
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
        return text.withUnsafeBufferPointer { t in
            var k = span.nameStart
            for b in wanted.utf8 {
                if ASCII.lower(t[k]) != ASCII.lower(b) { return false }
                k += 1
            }
            return true
        }
    }

    /// Unfolds the value (line breaks and the whitespace after them become one space).
    private func field(_ span: Span) -> HeaderField {
        // Field names hold no whitespace (see fieldNameEnd): no trimming.
        let name = String(decoding: text[span.nameStart..<span.nameEnd], as: UTF8.self)
        return HeaderField(name: name, rawValue: rawValue(span), line: span.line)
    }

    /// The first `name` field's value, unfolded but not decoded (without making the field).
    public func rawValue(_ name: Known) -> String? {
        if known[name.rawValue] >= 0 { return rawValue(spans[Int(known[name.rawValue])]) }
        return extra.isEmpty ? nil : first(name)?.rawValue
    }

    /// Calls `body` with the bytes of `rawValue(name)`, or returns nil when there is no such
    /// field. A value that is one plain line is passed in place, without making a String.
    public func withRawValue<R>(_ name: Known, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        if known[name.rawValue] >= 0 {
            let span = spans[Int(known[name.rawValue])]
            let inPlace = text.withUnsafeBufferPointer { t -> R? in
                guard let end = HeaderBlock.plainValueEnd(t, span) else { return nil }
                return body(UnsafeBufferPointer(rebasing: t[span.valueStart..<end]))
            }
            if let inPlace { return inPlace }
        }
        guard var value = rawValue(name) else { return nil }
        return value.withUTF8(body)
    }

    /// Calls `body` with the bytes of `value(name)`, or returns nil when there is no such field.
    /// A plain one-line value (nearly all) is passed in place: a value only parsed further (an
    /// address, a content type) needs no String of its own.
    public func withValue<R>(_ name: Known, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R? {
        withRawValue(name) { raw -> R in
            if HeaderField.isPlain(raw) { return body(raw) }
            var decoded = HeaderField.decodedValue(String(decoding: raw, as: UTF8.self))
            return decoded.withUTF8(body)
        }
    }

    /// The first `name` field's value, decoded (`HeaderField.value`).
    public func value(_ name: Known) -> String? {
        rawValue(name).map(HeaderField.decodedValue)
    }

    /// The end of the span's value without trailing whitespace, when the value is one line of
    /// ASCII (the usual field: no unfolding, no charset guessing); nil otherwise.
    private static func plainValueEnd(_ t: UnsafeBufferPointer<UInt8>, _ span: Span) -> Int? {
        var i = span.valueStart
        var end = span.valueEnd
        while end > i && (ASCII.isWhitespace(t[end - 1]) || t[end - 1] == ASCII.cr) { end -= 1 }
        // Eight bytes at a time: no byte with the high bit set, and none equal to CR or LF.
        while i + 8 <= end {
            let word = UnsafeRawPointer(t.baseAddress! + i).loadUnaligned(as: UInt64.self)
            if !isPlainLineWord(word) { return nil }
            i += 8
        }
        while i < end {
            let b = t[i]
            if b == ASCII.cr || b == ASCII.lf || b >= 0x80 { return nil }
            i += 1
        }
        return end
    }

    private func rawValue(_ span: Span) -> String {
        let plain = text.withUnsafeBufferPointer { t -> String? in
            HeaderBlock.plainValueEnd(t, span).map { String(decoding: UnsafeBufferPointer(rebasing: t[span.valueStart..<$0]), as: UTF8.self) }
        }
        if let plain { return plain }
        var value: [UInt8] = []
        value.reserveCapacity(span.valueEnd - span.valueStart)
        text.withUnsafeBufferPointer { t in
            var i = span.valueStart
            while i < span.valueEnd {
                // The text up to the next line break in one piece (folded values run long:
                // `References:` with a dozen ids, `Content-Type:` with its boundary).
                let lineBreak = HeaderBlock.nextLineBreak(t, from: i, to: span.valueEnd)
                value.append(contentsOf: UnsafeBufferPointer(rebasing: t[i..<lineBreak]))
                i = lineBreak
                guard i < span.valueEnd else { break }
                while i < span.valueEnd && (t[i] == ASCII.cr || t[i] == ASCII.lf) { i += 1 }
                var sawSpace = false
                while i < span.valueEnd && ASCII.isWhitespace(t[i]) { i += 1; sawSpace = true }
                if sawSpace && i < span.valueEnd { value.append(ASCII.space) }
            }
        }
        while let last = value.last, ASCII.isWhitespace(last) || last == ASCII.cr { value.removeLast() }
        return HeaderBlock.decodeHeaderBytes(value)
    }

    /// Eight bytes of ASCII with no CR or LF among them (`hasByte` is exact for ASCII words).
    @inline(__always)
    private static func isPlainLineWord(_ word: UInt64) -> Bool {
        word & 0x8080_8080_8080_8080 == 0 && !ByteText.hasByte(word, ASCII.cr) && !ByteText.hasByte(word, ASCII.lf)
    }

    /// The first CR or LF in `from..<to`, or `to`; eight bytes at a time.
    private static func nextLineBreak(_ t: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int {
        var i = from
        while i + 8 <= to {
            let word = UnsafeRawPointer(t.baseAddress! + i).loadUnaligned(as: UInt64.self)
            if !isPlainLineWord(word) { break }  // the bytes below find which one
            i += 8
        }
        while i < to && t[i] != ASCII.cr && t[i] != ASCII.lf { i += 1 }
        return i
    }

    /// Parses the header block at the start of `bytes`. Returns the fields and the offset where
    /// the body starts (after the blank line), plus how many lines the header block used.
    /// A line that is neither a field nor a continuation ends the block (git mailinfo does the same).
    public static func parse(_ bytes: ArraySlice<UInt8>, firstLine: Int) -> (HeaderBlock, bodyStart: Int, lines: Int) {
        var block = HeaderBlock()
        block.spans.reserveCapacity(24)
        let base = bytes.startIndex
        // One pass over the bytes to find the spans (offsets relative to the block's own copy).
        let (end, bodyOffset, linesUsed) = bytes.withUnsafeBufferPointer { b -> (Int, Int, Int) in
            var index = 0
            var lineNumber = firstLine
            var linesUsed = 0
            var current: Span?
            var end = b.count
            var bodyStart = b.count
            scan: while index < b.count {
                let lineEnd = b.index(of: ASCII.lf, from: index)
                let next = lineEnd < b.count ? lineEnd + 1 : lineEnd
                var contentEnd = lineEnd
                if contentEnd > index && b[contentEnd - 1] == ASCII.cr { contentEnd -= 1 }
                if contentEnd == index {
                    // Blank line: end of headers.
                    linesUsed += 1
                    end = index
                    bodyStart = next
                    break scan
                }
                if ASCII.isWhitespace(b[index]), current != nil {
                    current!.valueEnd = contentEnd
                } else if let colon = fieldNameEnd(b, from: index, to: contentEnd) {
                    if let c = current { block.spans.append(c) }
                    var valueStart = colon + 1
                    while valueStart < contentEnd && ASCII.isWhitespace(b[valueStart]) { valueStart += 1 }
                    current = Span(nameStart: index, nameEnd: colon, valueStart: valueStart, valueEnd: contentEnd,
                                   line: lineNumber)
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
            return (end, bodyStart, linesUsed)
        }
        block.text = Array(bytes[base..<(base + end)])
        for index in block.spans.indices { block.noteKnown(index) }
        return (block, base + bodyOffset, linesUsed)
    }

    /// A field name is printable ASCII without spaces or colon, followed by a colon.
    private static func fieldNameEnd(_ b: UnsafeBufferPointer<UInt8>, from: Int, to: Int) -> Int? {
        var i = from
        // Eight bytes at a time while none is a colon, a control, a space or above 0x7E.
        while i + 8 <= to {
            let word = UnsafeRawPointer(b.baseAddress! + i).loadUnaligned(as: UInt64.self)
            if word & 0x8080_8080_8080_8080 != 0 || ByteText.hasByte(word, ASCII.colon) || ByteText.hasByte(word, 0x7F)
                || ByteText.hasByteBelow(word, 0x21) {
                break
            }
            i += 8
        }
        while i < to {
            let c = b[i]
            if c == ASCII.colon { return i > from ? i : nil }
            if c <= 0x20 || c >= 0x7F { return nil }
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
        guard value.containsByte(0x3F), value.containsByte(0x3D) else { return value }
        // By bytes: the syntax is ASCII, and text outside encoded words is copied as it is.
        return value.withBytes { bytes -> String in
            guard let first = ByteText.first(0x3D, in: bytes, 0..<bytes.count),
                  (first..<(bytes.count - 1)).contains(where: { bytes[$0] == 0x3D && bytes[$0 + 1] == 0x3F })
            else { return value }
            var out: [UInt8] = []
            out.reserveCapacity(bytes.count)
            var whitespaceStart = -1  // start of the pending run of whitespace, if any
            var lastWasEncoded = false
            var i = 0
            while i < bytes.count {
                if bytes[i] == 0x3D, i + 1 < bytes.count, bytes[i + 1] == 0x3F, let (decoded, after) = decodeWord(bytes, at: i) {
                    // Whitespace between two encoded words is not part of the text.
                    if !lastWasEncoded && whitespaceStart >= 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[whitespaceStart..<i])) }
                    whitespaceStart = -1
                    out.append(contentsOf: decoded.utf8)
                    i = after
                    lastWasEncoded = true
                    continue
                }
                let b = bytes[i]
                if b == ASCII.space || b == ASCII.tab || b == ASCII.cr || b == ASCII.lf {
                    if whitespaceStart < 0 { whitespaceStart = i }
                } else {
                    if whitespaceStart >= 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[whitespaceStart..<i])) }
                    whitespaceStart = -1
                    out.append(b)
                    lastWasEncoded = false
                }
                i += 1
            }
            if whitespaceStart >= 0 { out.append(contentsOf: UnsafeBufferPointer(rebasing: bytes[whitespaceStart..<bytes.count])) }
            return String(decoding: out, as: UTF8.self)
        }
    }

    /// `=?charset?X?payload?=` starting at `start`: the decoded text and the index after `?=`.
    private static func decodeWord(_ bytes: UnsafeBufferPointer<UInt8>, at start: Int) -> (String, Int)? {
        let n = bytes.count
        var q1 = start + 2
        while q1 < n && bytes[q1] != 0x3F { q1 += 1 }
        guard q1 < n, q1 > start + 2 else { return nil }
        var q2 = q1 + 1
        while q2 < n && bytes[q2] != 0x3F { q2 += 1 }
        guard q2 < n else { return nil }
        var close = q2 + 1
        while close + 1 < n && !(bytes[close] == 0x3F && bytes[close + 1] == 0x3D) { close += 1 }
        guard close + 1 < n else { return nil }
        let payload = UnsafeBufferPointer(rebasing: bytes[(q2 + 1)..<close])
        guard !payload.contains(ASCII.space) else { return nil }
        guard q2 - q1 == 2 else { return nil }
        let decodedBytes: [UInt8]
        switch ASCII.lower(bytes[q1 + 1]) {
        case 0x62: decodedBytes = TransferEncoding.decodeBase64(payload).bytes
        case 0x71: decodedBytes = TransferEncoding.decodeQ(payload)
        default: return nil
        }
        let charset = ByteText.string(bytes, (start + 2)..<q1)
        let (decoded, _) = Charset.decode(decodedBytes, charset: charset)
        return (decoded, close + 2)
    }
}
