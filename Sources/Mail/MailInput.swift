#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif
import Foundation

/// Text that came without mail headers: a thread pasted from a web archive, a quilt patch,
/// a bare `diff -u`. The Series stage decides what is in it.
public struct PlainText: Sendable {
    public enum Origin: Sendable, Equatable {
        /// A whole file with no mail headers (maybe a pasted thread).
        case headerless
        /// A patch named by a quilt `series` file, with its `-pN` strip level.
        case quiltPatch(strip: Int)
    }
    public var source: String
    public var text: String
    public var origin: Origin
    public var diagnostics: [Diagnostic]
    /// The bytes of each line of `text` whose text is not those bytes read as UTF-8.
    public var sentLines: [Int: [UInt8]] = [:]

    public init(source: String, text: String, origin: Origin, diagnostics: [Diagnostic] = []) {
        self.source = source
        self.text = text
        self.origin = origin
        self.diagnostics = diagnostics
    }
}

/// One thing read from the input: a mail, or headerless text.
public enum InputItem: Sendable {
    case message(MailMessage)
    case text(PlainText)
}

/// What kind of input a path is, decided from its bytes and shape, never from its name alone.
public enum InputKind: String, Sendable, Codable {
    case mbox, message, formatPatchDirectory = "format-patch-directory", quilt, maildir, headerless
}

/// Reads every input the user names (`-` is stdin) as a stream of `InputItem`s.
public struct MailInput: Sendable {
    public let path: String
    public let kind: InputKind
    private let plan: Plan

    fileprivate enum Plan {
        case mbox(ByteSource)
        case singleFile(String, [UInt8])
        case files([(path: String, strip: Int?)])
        case quiltSeries(root: String, entries: [(path: String, strip: Int)], diagnostics: [Diagnostic])
    }

    /// Opens `path` and classifies it. Throws (exit status 3 in the CLI) when the input is
    /// unreadable: missing, empty, a directory with no patches, or binary data.
    public init(path: String) throws(MailReadError) {
        self.path = path
        if path == "-" {
            var bytes = MailInput.readAll(fd: 0)
            if GzipStream.isGzip(bytes) { bytes = try MailInput.gunzip(GzipStream(bytes: bytes), path: "<stdin>") }
            let kind = try MailInput.classify(bytes, path: "<stdin>")
            self.kind = kind
            plan = kind == .mbox ? .mbox(.memory(bytes)) : .singleFile("<stdin>", bytes)
            return
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) else {
            throw MailReadError(path: path, message: "no such file or directory")
        }
        if isDirectory.boolValue {
            let seriesFile = (path as NSString).appendingPathComponent("series")
            // A quilt stack's `series` is a file: a directory of that name (a tree of fixtures,
            // a mail folder) is no stack.
            var seriesIsDirectory: ObjCBool = false
            if FileManager.default.fileExists(atPath: seriesFile, isDirectory: &seriesIsDirectory), !seriesIsDirectory.boolValue {
                let (entries, diagnostics) = try MailInput.readQuiltSeries(seriesFile, root: path)
                kind = .quilt
                plan = .quiltSeries(root: path, entries: entries, diagnostics: diagnostics)
                return
            }
            let mails = MailInput.maildirMails(path)
            if !mails.isEmpty {
                kind = .maildir
                plan = .files(mails.map { ($0, nil) })
                return
            }
            // Patch files, and Maildirs beside them: b4 am writes `.mbx` (the patches) or, with
            // `-M`, a `.maildir`, and a `.cover` (the cover letter).
            let names = (try? FileManager.default.contentsOfDirectory(atPath: path)) ?? []
            let suffixes = [".patch", ".diff", ".eml", ".mbox", ".mbx", ".cover"]
            let entries = names.sorted(by: MailInput.formatPatchOrder).flatMap { name -> [String] in
                let full = (path as NSString).appendingPathComponent(name)
                var isFolder: ObjCBool = false
                guard FileManager.default.fileExists(atPath: full, isDirectory: &isFolder) else { return [] }
                if isFolder.boolValue { return MailInput.maildirMails(full) }
                return suffixes.contains { name.hasSuffix($0) } ? [full] : []
            }
            guard !entries.isEmpty else {
                throw MailReadError(path: path, message: "directory holds no *.patch, *.diff, *.eml, *.mbox, *.mbx files, no quilt 'series' file and no Maildir")
            }
            kind = .formatPatchDirectory
            plan = .files(entries.map { ($0, nil) })
            return
        }
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else {
            throw MailReadError(path: path, message: "cannot open: \(String(cString: strerror(errno)))")
        }
        var head = [UInt8](repeating: 0, count: 65536)
        let n = head.withUnsafeMutableBytes { pread(fd, $0.baseAddress, 65536, 0) }
        guard n >= 0 else {
            let reason = String(cString: strerror(errno))
            close(fd)
            throw MailReadError(path: path, message: "cannot read: \(reason)")
        }
        head.removeLast(65536 - n)
        // Compressed (lore's t.mbox.gz): what it holds decides. An mbox is read from the stream
        // as it inflates; anything else is small, and inflated whole.
        let gzipped = GzipStream.isGzip(head)
        let kind: InputKind
        do throws(MailReadError) {
            var start = head
            if gzipped {
                let probe = GzipStream(bytes: head)
                start = probe.readAll(limit: 65536)
                if start.isEmpty, let error = probe.error { throw MailReadError(path: path, message: error) }
            }
            kind = try MailInput.classify(start, path: path)
        } catch {
            close(fd)
            throw error
        }
        self.kind = kind
        switch (kind, gzipped) {
        case (.mbox, false):
            plan = .mbox(.fileDescriptor(fd))  // closed by the process at exit; one per input
        case (.mbox, true):
            plan = .mbox(.gzip(GzipStream(fd: fd)))  // from the start (`pread` moved nothing)
        case (_, true):
            defer { close(fd) }
            plan = .singleFile(path, try MailInput.gunzip(GzipStream(fd: fd), path: path))
        case (_, false):
            close(fd)
            guard let data = FileManager.default.contents(atPath: path) else {
                throw MailReadError(path: path, message: "cannot read")
            }
            plan = .singleFile(path, [UInt8](data))
        }
    }

    /// Everything `stream` holds; unreadable gzip data is an unreadable input (exit 3).
    static func gunzip(_ stream: GzipStream, path: String) throws(MailReadError) -> [UInt8] {
        let bytes = stream.readAll()
        if let error = stream.error { throw MailReadError(path: path, message: error) }
        return bytes
    }

    /// The mails of the Maildir `path` (none when it is no Maildir), as `git am` reads one: the
    /// files of `cur` and `new` but those starting with a dot, in the order of their names
    /// (`cur/…` before `new/…`), as git mailsplit does.
    static func maildirMails(_ path: String) -> [String] {
        ["cur", "new"].flatMap { sub -> [String] in
            let names = (try? FileManager.default.contentsOfDirectory(atPath: (path as NSString).appendingPathComponent(sub))) ?? []
            return names.filter { !$0.hasPrefix(".") }.map { "\(sub)/\($0)" }
        }
        .sorted { $0.utf8.lexicographicallyPrecedes($1.utf8) }
        .map { (path as NSString).appendingPathComponent($0) }
    }

    /// `0000-cover-letter.patch`, `0001-…`, `v2-0001-…`: by number, then by name.
    static func formatPatchOrder(_ a: String, _ b: String) -> Bool {
        func number(_ s: String) -> Int {
            var name = Substring(s)
            if name.hasPrefix("v"), let dash = name.firstIndex(of: "-") { name = name[name.index(after: dash)...] }
            return Int(name.prefix(while: { $0.isNumber })) ?? Int.max
        }
        let (na, nb) = (number(a), number(b))
        return na != nb ? na < nb : a < b
    }

    static func readAll(fd: Int32) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while true {
            let n = chunk.withUnsafeMutableBytes { ByteSource.read(fd, into: $0) }
            if n <= 0 { break }
            result.append(contentsOf: chunk[0..<n])
        }
        return result
    }

    /// Decides what `head` (the first bytes of an input) is.
    public static func classify(_ head: [UInt8], path: String) throws(MailReadError) -> InputKind {
        guard !head.isEmpty else { throw MailReadError(path: path, message: "empty input: no mail to read") }
        let kind = shape(head)
        // Mail with a stray NUL is still mail (the parser drops NULs and says so); text without
        // mail structure full of control bytes is not.
        if kind == .headerless, let offset = binaryEvidence(head) {
            throw MailReadError(
                path: path, line: lineNumber(ofOffset: offset, in: head),
                message: "binary data, not mail (byte 0x\(String(head[offset], radix: 16)) at offset \(offset))")
        }
        return kind
    }

    /// Mail or not, by the first non-blank line.
    static func shape(_ head: [UInt8]) -> InputKind {
        var start = 0
        while start < head.count && (head[start] == ASCII.lf || head[start] == ASCII.cr) { start += 1 }
        var end = start
        while end < head.count && head[end] != ASCII.lf { end += 1 }
        var first = Array(head[start..<end])
        if first.last == ASCII.cr { first.removeLast() }
        if MboxReader.isSeparator(first) { return .mbox }
        if looksLikeHeader(first) { return .message }
        // `From someone` without a proper date, followed by header fields: one mail whose
        // separator is mangled.
        if first.starts(with: Array("From ".utf8)) {
            var lineStart = end + 1
            for _ in 0..<5 where lineStart < head.count {
                var lineEnd = lineStart
                while lineEnd < head.count && head[lineEnd] != ASCII.lf { lineEnd += 1 }
                if looksLikeHeader(Array(head[lineStart..<lineEnd])) { return .mbox }
                lineStart = lineEnd + 1
            }
        }
        return .headerless
    }

    /// Offset of the first byte that makes `head` binary: a NUL, or a high share of control bytes.
    static func binaryEvidence(_ head: [UInt8]) -> Int? {
        let sample = head.prefix(8192)
        var controls = 0
        var firstControl: Int?
        for (i, b) in sample.enumerated() {
            if b == 0 { return i }
            if b < 0x20 && b != ASCII.lf && b != ASCII.cr && b != ASCII.tab && b != 0x0C && b != 0x1B {
                controls += 1
                if firstControl == nil { firstControl = i }
            }
        }
        if controls * 20 > sample.count, let firstControl { return firstControl }
        if String(validating: sample.prefix(4096), as: UTF8.self) == nil {
            // Not UTF-8: fine if it is mostly printable (Latin-1 mail), binary otherwise.
            let high = sample.reduce(0) { $0 + ($1 >= 0x80 ? 1 : 0) }
            if high * 3 > sample.count { return sample.firstIndex { $0 >= 0x80 } }
        }
        return nil
    }

    static func lineNumber(ofOffset offset: Int, in bytes: [UInt8]) -> Int {
        1 + bytes.prefix(offset).reduce(0) { $0 + ($1 == ASCII.lf ? 1 : 0) }
    }

    private static let knownHeaderNames: Set<String> = [
        "from", "to", "cc", "subject", "date", "message-id", "in-reply-to", "references", "return-path",
        "received", "mime-version", "content-type", "delivered-to", "reply-to", "sender", "list-id",
        "content-transfer-encoding", "user-agent", "x-mailer", "envelope-to", "authentication-results",
        "dkim-signature", "arc-seal", "x-mailing-list", "thread-topic", "precedence",
    ]

    /// `Name: value` with a name mail uses (or an `X-` name).
    static func looksLikeHeader(_ line: [UInt8]) -> Bool {
        guard let colon = line.firstIndex(of: ASCII.colon), colon > 0 else { return false }
        let nameBytes = line[..<colon]
        guard nameBytes.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) else { return false }
        let name = String(decoding: nameBytes, as: UTF8.self).lowercased()
        return knownHeaderNames.contains(name) || name.hasPrefix("x-")
    }

    static func readQuiltSeries(_ seriesFile: String, root: String) throws(MailReadError) -> ([(path: String, strip: Int)], [Diagnostic]) {
        guard let data = FileManager.default.contents(atPath: seriesFile) else {
            throw MailReadError(path: seriesFile, message: "cannot read quilt series file")
        }
        var entries: [(String, Int)] = []
        var diagnostics: [Diagnostic] = []
        for (i, rawLine) in String(decoding: data, as: UTF8.self).split(separator: "\n", omittingEmptySubsequences: false).enumerated() {
            var line = Substring(rawLine)
            if let hash = line.firstIndex(of: "#") { line = line[..<hash] }
            let words = line.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "\r" })
            guard let name = words.first else { continue }
            var strip = 1
            for option in words.dropFirst() {
                if option.hasPrefix("-p"), let n = Int(option.dropFirst(2)) {
                    strip = n
                } else {
                    diagnostics.append(Diagnostic(
                        "mail/quilt-option", .info, "quilt option '\(option)' ignored",
                        at: SourceLocation(file: seriesFile, line: i + 1)))
                }
            }
            let path = (root as NSString).appendingPathComponent(String(name))
            if name.split(separator: "/").contains("..") || name.hasPrefix("/") {
                throw MailReadError(path: seriesFile, line: i + 1, message: "quilt series names a patch outside its directory: '\(name)'")
            }
            // A stack with a hole is not the stack: refuse it before anything is read or applied.
            guard FileManager.default.isReadableFile(atPath: path) else {
                throw MailReadError(path: seriesFile, line: i + 1, message: "quilt series names a patch that is not there: '\(name)'")
            }
            entries.append((path, strip))
        }
        if entries.isEmpty { throw MailReadError(path: seriesFile, message: "quilt series file names no patches") }
        return (entries, diagnostics)
    }

    /// Calls `body` with each item of the input in order; mbox inputs are streamed, so memory
    /// stays bounded by the largest message.
    public func forEach(_ body: (InputItem) throws -> Void) rethrows {
        switch plan {
        case .mbox:
            let trailing = try forEachRawMessage({ raw, lines in
                var message = MailMessage.parse(raw)
                message.diagnostics += lines
                try body(.message(message))
            })
            if !trailing.isEmpty {
                try body(.text(PlainText(source: path == "-" ? "<stdin>" : path, text: "", origin: .headerless, diagnostics: trailing)))
            }
        case .singleFile(let path, let bytes):
            try body(MailInput.item(bytes: bytes, path: path, strip: nil))
        case .files(let files):
            for file in files { try MailInput.forEachItem(inFile: file.path, body) }
        case .quiltSeries(_, let entries, let diagnostics):
            for (index, entry) in entries.enumerated() {
                var item = MailInput.item(path: entry.path, strip: entry.strip)
                if index == 0, !diagnostics.isEmpty {
                    switch item {
                    case .text(var text):
                        text.diagnostics.insert(contentsOf: diagnostics, at: 0)
                        item = .text(text)
                    case .message(var message):
                        message.diagnostics.insert(contentsOf: diagnostics, at: 0)
                        item = .message(message)
                    }
                }
                try body(item)
            }
        }
    }

    /// An mbox read from a file: its messages can be read again, by where they start.
    public var isMboxFile: Bool {
        if case .mbox(let source) = plan { return source.fileDescriptor != nil }
        return false
    }

    /// Each message of an mbox input as cut out, undecoded (nothing for other inputs), with the
    /// huge lines the reader met on the way to it; what went wrong after the last (a read
    /// error) is returned.
    @discardableResult
    public func forEachRawMessage(_ body: (RawMessage, [Diagnostic]) throws -> Void) rethrows -> [Diagnostic] {
        guard case .mbox(let source) = plan else { return [] }
        var reader = MboxReader(path: displayPath, source: source)
        defer { if let fd = source.fileDescriptor { close(fd) } }
        try Self.forEachRawMessage(&reader, body)
        return reader.readError.map { [readErrorDiagnostic($0, stoppedIn: reader.linesRead)] } ?? []
    }

    /// The name messages and diagnostics give the input.
    public var displayPath: String { path == "-" ? "<stdin>" : path }

    /// An mbox file input cut into blocks of whole messages (`MboxBlocks`), for reading on
    /// several cores; nil for other inputs. Each block's messages are `forEachRawMessage(in:)`'s.
    public func mboxBlocks(blockSize: Int = 1 << 20) -> MboxBlocks? {
        switch plan {
        case .mbox(let source) where source.fileDescriptor != nil: return MboxBlocks(source: source, blockSize: blockSize)
        default: return nil
        }
    }

    /// The messages of one block of this input's mbox, as `forEachRawMessage` gives them but
    /// with line numbers counted from the block's first line (`MboxReader(path:block:)`); returns
    /// the block's line count.
    @discardableResult
    public func forEachRawMessage(in block: MboxBlock, _ body: (RawMessage, [Diagnostic]) throws -> Void) rethrows -> Int {
        var reader = MboxReader(path: displayPath, block: block)
        try Self.forEachRawMessage(&reader, body)
        return reader.linesRead
    }

    /// `mail/read-error` for what `MboxReader`/`MboxBlocks` report, at the line reading stopped in
    /// (the mails before it are read).
    public func readErrorDiagnostic(_ error: String, stoppedIn line: Int) -> Diagnostic {
        Diagnostic("mail/read-error", .error, "read error: \(error)", at: SourceLocation(file: displayPath, line: Swift.max(1, line)))
    }

    private static func forEachRawMessage(_ reader: inout MboxReader, _ body: (RawMessage, [Diagnostic]) throws -> Void) rethrows {
        var reportedHugeLines = 0
        while let raw = reader.next() {
            var lines: [Diagnostic] = []
            while reportedHugeLines < reader.hugeLines.count {
                let huge = reader.hugeLines[reportedHugeLines]
                lines.append(Diagnostic(
                    "mail/huge-line", .warning, "line is \(huge.length) bytes long; no mailer sends that",
                    at: SourceLocation(file: reader.path, line: huge.line)))
                reportedHugeLines += 1
            }
            try body(raw, lines)
        }
    }

    /// The mails of one file of a directory: every message of an mbox (`git am` splits each
    /// file it is given with `git mailsplit`; `format-patch --stdout` output and b4's `.mbx`
    /// hold a whole series), else the file's one item.
    static func forEachItem(inFile path: String, _ body: (InputItem) throws -> Void) rethrows {
        guard let data = FileManager.default.contents(atPath: path) else { return try body(item(path: path, strip: nil)) }
        let bytes = [UInt8](data)
        let kind = (try? classify(Array(bytes.prefix(65536)), path: path)) ?? .headerless
        guard kind == .mbox else { return try body(item(bytes: bytes, path: path, strip: nil, kind: kind)) }
        var reader = MboxReader(path: path, source: .memory(bytes))
        var none = true
        try forEachRawMessage(&reader) { raw, lines in
            var message = MailMessage.parse(raw)
            message.diagnostics += lines
            none = false
            try body(.message(message))
        }
        if none { try body(.text(PlainText(source: path, text: "", origin: .headerless, diagnostics: []))) }
    }

    static func item(path: String, strip: Int?) -> InputItem {
        guard let data = FileManager.default.contents(atPath: path) else {
            let d = Diagnostic("mail/unreadable", .error, "cannot read file", at: SourceLocation(file: path, line: 1))
            return .text(PlainText(source: path, text: "", origin: .headerless, diagnostics: [d]))
        }
        return item(bytes: [UInt8](data), path: path, strip: strip)
    }

    /// `kind`: the bytes' classification, when the caller has it already.
    static func item(bytes: [UInt8], path: String, strip: Int?, kind known: InputKind? = nil) -> InputItem {
        let kind = known ?? (try? classify(Array(bytes.prefix(65536)), path: path)) ?? .headerless
        if let strip {
            // Quilt patches may still carry mail headers (quilt import keeps them).
            if kind == .message || kind == .mbox {
                var reader = MboxReader(path: path, source: .memory(bytes))
                if let raw = reader.next() {
                    var message = MailMessage.parse(raw)
                    message.quiltStrip = strip
                    return .message(message)
                }
            }
            let (text, sent) = decodeText(bytes)
            var patch = PlainText(source: path, text: text, origin: .quiltPatch(strip: strip), diagnostics: [])
            patch.sentLines = sent
            return .text(patch)
        }
        switch kind {
        case .mbox, .message:
            var reader = MboxReader(path: path, source: .memory(bytes))
            if let raw = reader.next() { return .message(MailMessage.parse(raw)) }
            return .text(PlainText(source: path, text: "", origin: .headerless, diagnostics: []))
        default:
            var diagnostics: [Diagnostic] = []
            if bytes.isEmpty {
                diagnostics.append(Diagnostic("mail/empty", .warning, "empty file", at: SourceLocation(file: path, line: 1)))
            }
            return .text(PlainText(source: path, text: decodeText(bytes).text, origin: .headerless, diagnostics: diagnostics))
        }
    }

    /// UTF-8, line by line where the whole is not (Windows-1252 for the other lines), and the
    /// bytes of the lines whose text is not them.
    static func decodeText(_ bytes: [UInt8]) -> (text: String, sent: [Int: [UInt8]]) {
        if let text = String(validating: bytes, as: UTF8.self) {
            return (text.utf8.contains(ASCII.cr) ? text.replacingCRLF() : text, [:])
        }
        var (text, sent, _) = Charset.decodeKeepingBytes(bytes, charset: nil)
        for (k, line) in sent where line.last == ASCII.cr { sent[k] = Array(line.dropLast()) }
        return (text.utf8.contains(ASCII.cr) ? text.replacingCRLF() : text, sent)
    }
}

