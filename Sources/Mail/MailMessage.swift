#if canImport(Glibc)
import Glibc
#endif

/// A `Content-Type` value: lower-cased `type/subtype` and its parameters (names lower-cased).
public struct ContentType: Sendable, Hashable {
    public var mediaType: String
    /// `name=value` parameters in the order given, names in ASCII lower case. A header has two
    /// or three: a list, not a dictionary (hashing cost more than the rest of the parse).
    public var parameters: [Parameter]

    public struct Parameter: Sendable, Hashable {
        public var name: String
        public var value: String
        public init(name: String, value: String) {
            self.name = name
            self.value = value
        }
    }

    public init(mediaType: String, parameters: [Parameter] = []) {
        self.mediaType = mediaType
        self.parameters = parameters
    }

    /// The value of parameter `name` (lower case); the last one when it is repeated.
    public func parameter(_ name: String) -> String? {
        parameters.last { $0.name == name }?.value
    }

    public static let textPlain = ContentType(mediaType: "text/plain")

    public static func parse(_ value: String) -> ContentType {
        var value = value
        return value.withUTF8(parse)
    }

    /// `parse` of a value's bytes. By bytes: `;`, `=`, `/` and quotes are ASCII, and nearly every value is.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> ContentType {
        var result = ContentType(mediaType: "text/plain")
        var first = true
        forEachPiece(b) { piece in
            if first {
                first = false
                guard ByteText.first(0x2F, in: b, piece) != nil else { return }
                result.mediaType = lowercased(b, piece, foldingUnicode: true)
                return
            }
            guard let eq = ByteText.first(ASCII.equals, in: b, piece) else { return }
            let name = lowercased(b, piece.lowerBound..<eq, foldingUnicode: false)
            var value = ByteText.trimmed(b, (eq + 1)..<piece.upperBound)
            if value.count >= 2 && b[value.lowerBound] == 0x22 && b[value.upperBound - 1] == 0x22 {
                value = (value.lowerBound + 1)..<(value.upperBound - 1)
                result.parameters.append(Parameter(name: name, value: ByteText.string(b, value)))
            } else {
                result.parameters.append(Parameter(name: name, value: ByteText.trimmedString(b, value)))
            }
        }
        return result
    }

    /// The trimmed bytes of `range` as a String in lower case. Non-ASCII letters (never in a
    /// valid token) are folded only when `foldingUnicode`, as the media type always was.
    static func lowercased(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, foldingUnicode: Bool) -> String {
        let r = ByteText.trimmed(b, range)
        if r.contains(where: { b[$0] >= 0x80 }) {
            let text = ByteText.trimmedString(b, r)
            return foldingUnicode ? text.lowercased() : HeaderField.asciiLowercased(text)
        }
        return String(unsafeUninitializedCapacity: r.count) { out in
            for k in 0..<r.count { out[k] = ASCII.lower(b[r.lowerBound + k]) }
            return r.count
        }
    }

    /// Calls `body` with each piece between `;` outside quotes, without surrounding whitespace.
    /// An empty last piece (a trailing `;`) is skipped.
    static func forEachPiece(_ b: UnsafeBufferPointer<UInt8>, _ body: (Range<Int>) -> Void) {
        var start = 0
        var inQuotes = false
        for i in 0..<b.count {
            let c = b[i]
            if c == 0x22 { inQuotes.toggle() }
            if c == 0x3B && !inQuotes {
                body(ByteText.trimmed(b, start..<i))
                start = i + 1
            }
        }
        let last = ByteText.trimmed(b, start..<b.count)
        if !last.isEmpty { body(last) }
    }
}

/// A leaf MIME part that carries text we read: the message text or an attached patch.
public struct MailPart: Sendable {
    public enum Role: String, Sendable { case text, patchAttachment }
    public var role: Role
    public var contentType: ContentType
    public var filename: String?
    public var text: String
    /// Line in the input file where this part's body starts.
    public var fileLine: Int
    /// Whether body line k is file line `fileLine + k` (false after base64/quoted-printable/unflowing).
    public var linesAreExact: Bool
    /// The bytes of each line (by line of `text`, without `\r\n`) whose text is not those bytes
    /// read as UTF-8: a patch applies the bytes the sender's git wrote, never their decoding.
    public var sentLines: [Int: [UInt8]] = [:]
}

/// The headers that place a mail in its thread and series, decoded.
public struct MailEnvelope: Sendable {
    public var subject: String
    public var from: Person?
    public var messageID: String?
    /// The last id of `In-Reply-To` (the one a reply answers).
    public var inReplyTo: String?
    public var references: [String]

    init(_ headers: HeaderBlock) {
        subject = MailMessage.cleanFolded(headers[.subject] ?? "")
        from = headers.withValue(.from, Person.parse) ?? nil
        messageID = headers.withRawValue(.messageID) { b in
            var first: String?
            MailMessage.forEachMessageID(in: b) { first = $0; return false }
            return first
        } ?? nil
        inReplyTo = headers.withRawValue(.inReplyTo) { b in
            var last: String?
            MailMessage.forEachMessageID(in: b) { last = $0; return true }
            return last
        } ?? nil
        references = headers.withRawValue(.references) { b in
            var ids: [String] = []
            MailMessage.forEachMessageID(in: b) { ids.append($0); return true }
            return ids
        } ?? []
    }
}

/// A mail's header block, read once: its envelope, and where its body starts.
public struct MailHead: Sendable {
    public var envelope: MailEnvelope
    var headers: HeaderBlock
    var bodyStart: Int
    var headerLines: Int

    /// The file line of the body's first line, for a mail whose `raw.startLine` is `startLine`.
    public func bodyFileLine(startLine: Int) -> Int { startLine + headerLines }

    /// Where the body starts when the body's bytes are its text: one `text/plain` part (or none
    /// declared), no transfer encoding, UTF-8 or ASCII, not `format=flowed`. Grouping a large
    /// archive reads this much of each mail, not the whole of it.
    public var plainBodyStart: Int? {
        let contentType = headers.withValue(.contentType, ContentType.parse) ?? .textPlain
        guard contentType.mediaType == "text/plain" else { return nil }
        let encoding = headers[.contentTransferEncoding].map { HeaderField.asciiLowercased($0) } ?? "7bit"
        guard ["7bit", "8bit", "binary", ""].contains(encoding) else { return nil }
        // The bytes are the text only in UTF-8 (or ASCII) and unflowed; anything else is decoded,
        // so that a patch hashes the same whichever way it was sent.
        let charset = contentType.parameter("charset").map(Charset.normalizedName) ?? "utf-8"
        guard Charset.isUTF8Compatible(charset), contentType.parameter("format")?.lowercased() != "flowed" else {
            return nil
        }
        return bodyStart
    }
}

/// A decoded mail: the headers a patch reviewer needs, and the text parts in order.
public struct MailMessage: Sendable {
    public var source: String
    public var startLine: Int
    public var headers: HeaderBlock
    public var subject: String
    public var from: Person?
    public var date: String?
    public var messageID: String?
    public var inReplyTo: String?
    public var references: [String]
    public var parts: [MailPart]
    public var isFormatFlowed: Bool
    /// Set when the mail is a patch of a quilt stack (a `series` file named it, with `-pN`):
    /// it belongs to that stack, in that order, whatever its headers say.
    public var quiltStrip: Int? = nil
    public var diagnostics: [Diagnostic]

    /// All text parts joined, attachments last-in-order as they appear.
    public var body: String {
        if parts.count == 1 { return parts[0].text }
        var result = ""
        for part in parts {
            if !result.isEmpty && !result.hasSuffix("\n") { result += "\n" }
            result += part.text
        }
        return result
    }

    /// `MailPart.sentLines` of every part, by line of `body`.
    public var sentBodyLines: [Int: [UInt8]] {
        guard parts.contains(where: { !$0.sentLines.isEmpty }) else { return [:] }
        var out: [Int: [UInt8]] = [:]
        var running = 0
        for part in parts {
            for (k, bytes) in part.sentLines { out[running + k] = bytes }
            let newlines = part.text.utf8.reduce(0) { $0 + ($1 == ASCII.lf ? 1 : 0) }
            running += newlines + (part.text.hasSuffix("\n") ? 0 : 1)
        }
        return out
    }

    /// Maps a 0-based line of `body` to a line in the input file (best effort for encoded
    /// parts). Counts each part's lines once, so mapping every line stays linear.
    public func bodyLineMap() -> BodyLineMap {
        // One part (nearly every mail): no line counting needed.
        if parts.count == 1 {
            return BodyLineMap(first: parts[0].fileLine, exact: parts[0].linesAreExact, parts: nil)
        }
        var table: [(firstBodyLine: Int, part: MailPart)] = []
        var running = 0
        for part in parts {
            table.append((running, part))
            var text = part.text
            let newlines = text.withUTF8 { buffer -> Int in
                var count = 0, i = 0
                while true {
                    i = buffer.index(of: ASCII.lf, from: i)
                    if i >= buffer.count { break }
                    count += 1
                    i += 1
                }
                return count
            }
            running += newlines + (part.text.hasSuffix("\n") ? 0 : 1)
        }
        if table.count == 1 {
            return BodyLineMap(first: table[0].part.fileLine, exact: table[0].part.linesAreExact, parts: nil)
        }
        return BodyLineMap(first: startLine, exact: false, parts: BodyLineMap.Parts(
            starts: table.map(\.firstBodyLine), fileLines: table.map(\.part.fileLine), exact: table.map(\.part.linesAreExact)))
    }

    /// How deep multipart nesting may go before we stop descending (hostile input).
    public static let maximumNesting = 32

    public static func parse(_ raw: RawMessage) -> MailMessage { parse(raw, head: head(raw)) }

    /// `raw` read in full from its header block already read (`head`): a mail whose outline
    /// needs its decoded body reads its headers once.
    public static func parse(_ raw: RawMessage, head: MailHead) -> MailMessage {
        let all = raw.bytes[...]
        let headers = head.headers, envelope = head.envelope
        var message = MailMessage(
            source: raw.source, startLine: raw.startLine, headers: headers, subject: envelope.subject, from: envelope.from,
            date: headers[.date], messageID: envelope.messageID, inReplyTo: envelope.inReplyTo,
            references: envelope.references, parts: [], isFormatFlowed: false, diagnostics: []
        )
        var context = PartContext(source: raw.source)
        context.walk(
            all[head.bodyStart...], headers: headers, fileLine: raw.startLine + head.headerLines, depth: 0,
            into: &message
        )
        message.diagnostics.append(contentsOf: context.diagnostics)
        return message
    }

    /// The header block of `raw`, its envelope, and where its body starts.
    public static func head(_ raw: RawMessage) -> MailHead {
        let (headers, bodyStart, headerLines) = HeaderBlock.parse(raw.bytes[...], firstLine: raw.startLine)
        return MailHead(envelope: MailEnvelope(headers), headers: headers, bodyStart: bodyStart, headerLines: headerLines)
    }

    /// The envelope of `raw`, and where its body starts when the body's bytes are its text (see
    /// `MailHead.plainBodyStart`).
    public static func envelope(_ raw: RawMessage) -> (envelope: MailEnvelope, plainBodyStart: Int?) {
        let head = head(raw)
        return (head.envelope, head.plainBodyStart)
    }

    public static func cleanFolded(_ s: String) -> String {
        if !s.containsByte(ASCII.lf) && !s.containsByte(ASCII.cr) { return s.trimmingWhitespace() }
        return s.split(whereSeparator: { $0 == "\n" || $0 == "\r" }).joined(separator: " ").trimmingWhitespace()
    }

    /// Calls `body` with each `<id>` of a header value, without the angle brackets, in order,
    /// until it returns false. A bare id with no brackets (seen in the wild) counts too.
    /// By bytes: ids are ASCII, and Character-by-Character search is the slow path.
    static func forEachMessageID(in b: UnsafeBufferPointer<UInt8>, _ body: (String) -> Bool) {
        var position = 0
        var any = false
        while let open = ByteText.first(0x3C, in: b, position..<b.count) {
            guard let close = ByteText.first(0x3E, in: b, open..<b.count) else { break }
            let id = ByteText.trimmedString(b, (open + 1)..<close)
            if !id.isEmpty {
                any = true
                if !body(id) { return }
            }
            position = close + 1
        }
        if !any {
            let bare = ByteText.trimmedString(b, 0..<b.count)
            if !bare.isEmpty && !bare.containsByte(0x20) { _ = body(bare) }
        }
    }
}

/// Maps a 0-based line of a mail's `body` to its line in the input file.
public struct BodyLineMap: Sendable {
    @usableFromInline struct Parts: Sendable {
        var starts: [Int]
        var fileLines: [Int]
        var exact: [Bool]
    }
    /// With one part: the file line of body line 0. With several: the line for body lines
    /// before the first part.
    @usableFromInline let first: Int
    /// One part whose lines are the file's lines (not decoded from base64 and the like).
    @usableFromInline let exact: Bool
    @usableFromInline let parts: Parts?

    @inlinable @inline(__always)
    public func fileLine(_ bodyLine: Int) -> Int {
        if parts == nil { return exact ? first + bodyLine : first }
        return fileLineInParts(bodyLine)
    }

    @usableFromInline func fileLineInParts(_ bodyLine: Int) -> Int {
        guard let parts else { return first }
        // The last part starting at or before the line (binary search: parts are in order).
        var low = 0, high = parts.starts.count - 1, found = -1
        while low <= high {
            let mid = (low + high) / 2
            if parts.starts[mid] <= bodyLine { found = mid; low = mid + 1 } else { high = mid - 1 }
        }
        guard found >= 0 else { return first }
        return parts.exact[found] ? parts.fileLines[found] + (bodyLine - parts.starts[found]) : parts.fileLines[found]
    }
}

/// Walks a MIME tree, decoding leaf parts into `MailPart`s.
private struct PartContext {
    let source: String
    var diagnostics: [Diagnostic] = []

    init(source: String) { self.source = source }

    mutating func walk(
        _ body: ArraySlice<UInt8>, headers: HeaderBlock, fileLine: Int, depth: Int, into message: inout MailMessage
    ) {
        let contentType = headers.withValue(.contentType, ContentType.parse) ?? .textPlain
        if contentType.mediaType.hasPrefix("multipart/") {
            guard depth < MailMessage.maximumNesting else {
                diagnostics.append(Diagnostic(
                    "mail/mime-too-deep", .warning,
                    "MIME parts nested deeper than \(MailMessage.maximumNesting) levels; inner parts ignored",
                    at: SourceLocation(file: source, line: fileLine)))
                return
            }
            guard let boundary = contentType.parameter("boundary"), !boundary.isEmpty else {
                diagnostics.append(Diagnostic(
                    "mail/mime-no-boundary", .warning, "multipart message without a boundary; read as plain text",
                    at: SourceLocation(file: source, line: fileLine)))
                leaf(body, contentType: .textPlain, headers: headers, fileLine: fileLine, into: &message)
                return
            }
            for (partBytes, partLine) in splitMultipart(body, boundary: boundary, fileLine: fileLine) {
                let (partHeaders, partBodyStart, headerLines) = HeaderBlock.parse(partBytes, firstLine: partLine)
                walk(partBytes[partBodyStart...], headers: partHeaders, fileLine: partLine + headerLines,
                     depth: depth + 1, into: &message)
            }
            return
        }
        if contentType.mediaType == "message/rfc822" && depth < MailMessage.maximumNesting {
            let (innerHeaders, innerStart, headerLines) = HeaderBlock.parse(body, firstLine: fileLine)
            walk(body[innerStart...], headers: innerHeaders, fileLine: fileLine + headerLines, depth: depth + 1,
                 into: &message)
            return
        }
        leaf(body, contentType: contentType, headers: headers, fileLine: fileLine, into: &message)
    }

    /// The parts between `--boundary` lines, each with the file line it starts on.
    func splitMultipart(_ body: ArraySlice<UInt8>, boundary: String, fileLine: Int) -> [(ArraySlice<UInt8>, Int)] {
        let delimiter = Array("--\(boundary)".utf8)
        let base = body.startIndex
        // Offsets into `body` (from 0) while reading; the parts are cut with `base` added back.
        let ranges = body.withUnsafeBufferPointer { b -> [(Range<Int>, Int)] in
            var parts: [(Range<Int>, Int)] = []
            var partStart: Int?
            var partLine = 0
            var index = 0
            var line = fileLine
            while index < b.count {
                // Line ends by memchr: a byte loop here costs several instructions per byte of every part.
                let end = b.index(of: ASCII.lf, from: index)
                let next = end < b.count ? end + 1 : end
                // Most lines do not start with `-`: one byte rejects them.
                if end - index >= delimiter.count && b[index] == 0x2D
                    && memcmp(b.baseAddress! + index, delimiter, delimiter.count) == 0 {
                    let rest = UnsafeBufferPointer(rebasing: b[(index + delimiter.count)..<end])
                    let closing = rest.count >= 2 && rest[0] == 0x2D && rest[1] == 0x2D
                    let onlySpace = rest.allSatisfy { ASCII.isWhitespace($0) || $0 == ASCII.cr }
                    if closing || onlySpace {
                        if let s = partStart {
                            // The line break before the delimiter belongs to the delimiter.
                            var stop = index
                            if stop > s && b[stop - 1] == ASCII.lf { stop -= 1 }
                            if stop > s && b[stop - 1] == ASCII.cr { stop -= 1 }
                            parts.append((s..<stop, partLine))
                        }
                        if closing { return parts }
                        partStart = next
                        partLine = line + 1
                    }
                }
                index = next
                line += 1
            }
            if let s = partStart, s < b.count { parts.append((s..<b.count, partLine)) }
            return parts
        }
        return ranges.map { (body[(base + $0.0.lowerBound)..<(base + $0.0.upperBound)], $0.1) }
    }

    mutating func leaf(
        _ body: ArraySlice<UInt8>, contentType: ContentType, headers: HeaderBlock, fileLine: Int,
        into message: inout MailMessage
    ) {
        let disposition = headers.value(.contentDisposition).map { ContentType.parse("x/" + $0) }
        let filename = disposition?.parameter("filename") ?? contentType.parameter("name")
        let isAttachment = disposition.map { $0.mediaType.hasPrefix("x/attachment") } ?? false
        let looksLikePatchName = filename.map { $0.hasSuffix(".patch") || $0.hasSuffix(".diff") } ?? false
        let role: MailPart.Role
        switch contentType.mediaType {
        case "text/x-patch", "text/x-diff", "text/x-patch-file", "application/x-patch", "application/x-diff",
             "text/diff", "text/patch":
            role = .patchAttachment
        case "text/plain":
            role = (isAttachment && looksLikePatchName) ? .patchAttachment : .text
        case "application/octet-stream" where looksLikePatchName:
            role = .patchAttachment
        default:
            if contentType.mediaType.hasPrefix("text/") && contentType.mediaType != "text/html" {
                role = .text
            } else {
                if contentType.mediaType == "text/html" {
                    diagnostics.append(Diagnostic(
                        "mail/html-part", .info, "HTML part ignored (kernel lists want plain text)",
                        at: SourceLocation(file: source, line: fileLine)))
                }
                return
            }
        }

        // ASCII lower-casing for the usual ASCII value: `lowercased()` consults Unicode tables.
        let encoding = headers[.contentTransferEncoding].map {
            $0.utf8.allSatisfy { $0 < 0x80 } ? HeaderField.asciiLowercased($0) : $0.lowercased()
        } ?? "7bit"
        var decoded: [UInt8]
        var exact = true
        switch encoding {
        case "quoted-printable":
            decoded = TransferEncoding.decodeQuotedPrintable(body)
            exact = false
        case "base64":
            let result = TransferEncoding.decodeBase64(body)
            decoded = result.bytes
            exact = false
            if result.invalidCharacters > 0 {
                diagnostics.append(Diagnostic(
                    "mail/invalid-base64", .warning,
                    "base64 part has \(result.invalidCharacters) character(s) outside the alphabet; they were skipped",
                    at: SourceLocation(file: source, line: fileLine)))
            }
        case "7bit", "8bit", "binary", "":
            // The usual part: valid UTF-8 with no NUL and no CR goes straight into a String,
            // without the intermediate copy the general path below makes.
            let charset = contentType.parameter("charset").map(Charset.normalizedName) ?? "utf-8"
            if Charset.isUTF8Compatible(charset), let text = Charset.plainUTF8Text(body) {
                finishLeaf(text, exact: true, role: role, contentType: contentType, filename: filename,
                           fileLine: fileLine, into: &message)
                return
            }
            decoded = Array(body)
        default:
            diagnostics.append(Diagnostic(
                "mail/unknown-transfer-encoding", .warning,
                "unknown Content-Transfer-Encoding '\(encoding)'; part read as 8bit",
                at: SourceLocation(file: source, line: fileLine)))
            decoded = Array(body)
        }
        if decoded.withUnsafeBufferPointer({ $0.index(of: 0, from: 0) < $0.count }) {
            diagnostics.append(Diagnostic(
                "mail/nul-byte", .warning, "part contains NUL bytes; they were removed",
                at: SourceLocation(file: source, line: fileLine)))
            decoded.removeAll { $0 == 0 }
        }
        let (text0, sentLines0, outcome) = Charset.decodeKeepingBytes(decoded, charset: contentType.parameter("charset"))
        var sentLines = sentLines0
        switch outcome {
        case .decoded: break
        case .unknownCharset(let name):
            diagnostics.append(Diagnostic(
                "mail/unknown-charset", .warning, "unknown charset '\(name)'; text read as UTF-8/Windows-1252",
                at: SourceLocation(file: source, line: fileLine)))
        case .invalidBytes(let name):
            diagnostics.append(Diagnostic(
                "mail/invalid-charset-bytes", .warning, "text is not valid \(name); lines that are not were read as Windows-1252 for display (a patch applies them as sent)",
                at: SourceLocation(file: source, line: fileLine)))
        }
        var text = text0
        if decoded.withUnsafeBufferPointer({ $0.index(of: ASCII.cr, from: 0) < $0.count }) {
            // CRLF on the wire is transport; CRLF inside base64/quoted-printable is content the
            // sender's mailer or editor put there, and the diff parser reports it where it hurts.
            if encoding == "base64" || encoding == "quoted-printable" {
                diagnostics.append(Diagnostic(
                    "mail/crlf", .info, "encoded text uses CRLF line endings",
                    at: SourceLocation(file: source, line: fileLine)))
            } else if Self.everyLineEndsWithCRLF(decoded) {
                // CRLF on every line: how the mail was stored or carried, not what was written.
                // A few lines with `\r` are content (git mails a CRLF file's lines as they are).
                text = text.replacingCRLF()
                for (k, line) in sentLines where line.last == ASCII.cr { sentLines[k] = Array(line.dropLast()) }
            }
        }
        // A line's `\r` is the text's business (the diff parser reads it from there), not the bytes'.
        for (k, line) in sentLines where line.last == ASCII.cr { sentLines[k] = Array(line.dropLast()) }
        finishLeaf(text, exact: exact, role: role, contentType: contentType, filename: filename,
                   fileLine: fileLine, sentLines: sentLines, into: &message)
    }

    /// Every `\n` of the part has a `\r` before it.
    static func everyLineEndsWithCRLF(_ bytes: [UInt8]) -> Bool {
        var sawNewline = false
        for i in bytes.indices where bytes[i] == ASCII.lf {
            if i == 0 || bytes[i - 1] != ASCII.cr { return false }
            sawNewline = true
        }
        return sawNewline
    }

    /// format=flowed, then the part itself.
    mutating func finishLeaf(_ text0: String, exact exact0: Bool, role: MailPart.Role, contentType: ContentType,
                             filename: String?, fileLine: Int, sentLines sentLines0: [Int: [UInt8]] = [:],
                             into message: inout MailMessage) {
        var text = text0
        var exact = exact0
        var sentLines = sentLines0
        if contentType.parameter("format")?.lowercased() == "flowed" {
            message.isFormatFlowed = true
            let deleteSpace = contentType.parameter("delsp")?.lowercased() == "yes"
            text = FormatFlowed.unflow(text, deleteSpace: deleteSpace)
            exact = false
            sentLines = [:]  // unflowing joins lines: the bytes no longer line up
            diagnostics.append(Diagnostic(
                "mail/format-flowed", .warning,
                "part is format=flowed: the mailer may have re-wrapped or space-stuffed the patch (undone here)",
                at: SourceLocation(file: source, line: fileLine)))
        }
        message.parts.append(MailPart(
            role: role, contentType: contentType, filename: filename, text: text, fileLine: fileLine,
            linesAreExact: exact, sentLines: sentLines))
    }
}

extension String {
    /// `\r\n` → `\n` (a lone `\r` stays: it may be content).
    func replacingCRLF() -> String {
        var out = [UInt8]()
        let bytes = Array(utf8)
        out.reserveCapacity(bytes.count)
        var i = 0
        while i < bytes.count {
            if bytes[i] == ASCII.cr && i + 1 < bytes.count && bytes[i + 1] == ASCII.lf {
                i += 1
                continue
            }
            out.append(bytes[i])
            i += 1
        }
        return String(decoding: out, as: UTF8.self)
    }
}

/// RFC 3676: undo space-stuffing and join soft-broken lines (a line ending in a space).
public enum FormatFlowed {
    public static func unflow(_ text: String, deleteSpace: Bool) -> String {
        // By bytes, in one output buffer: every byte that matters here (space, LF, `-`) is ASCII.
        var text = text
        return text.withUTF8 { input -> String in
            var out: [UInt8] = []
            out.reserveCapacity(input.count)
            var pending = false         // the line being built continues on the next input line
            var emittedAny = false      // a line was written: the next one needs its "\n"
            var lineStart = 0           // where the logical line being built starts in `out`
            var start = 0
            while true {
                let newline = input.index(of: ASCII.lf, from: start)
                var s = start
                if s < newline && input[s] == ASCII.space { s += 1 }  // space-stuffing
                let isSignature = newline - s == 3 && input[s] == 0x2D && input[s + 1] == 0x2D && input[s + 2] == ASCII.space
                if !pending {
                    if emittedAny { out.append(ASCII.lf) }
                    lineStart = out.count
                }
                out.append(contentsOf: UnsafeBufferPointer(rebasing: input[s..<newline]))
                if out.count > lineStart && out[out.count - 1] == ASCII.space && !isSignature {
                    pending = true
                    if deleteSpace { out.removeLast() }
                } else {
                    pending = false
                }
                emittedAny = true
                if newline >= input.count { break }
                start = newline + 1
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}
