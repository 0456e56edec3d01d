import CMboxScan
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// One message as cut out of its container, still undecoded bytes.
public struct RawMessage: Sendable {
    public var bytes: [UInt8]
    /// The input file the message came from, as the user named it.
    public var source: String
    /// 1-based line in `source` of the message's first byte (after any `From ` separator).
    public var startLine: Int
    /// The mbox `From ` separator line, when the message came from an mbox.
    public var separator: String?

    public init(bytes: [UInt8], source: String, startLine: Int = 1, separator: String? = nil) {
        self.bytes = bytes
        self.source = source
        self.startLine = startLine
        self.separator = separator
    }
}

/// Where bytes come from: a file descriptor read in chunks (so memory is bounded by the
/// largest message, not the file) or an array already in memory.
public enum ByteSource: Sendable {
    case fileDescriptor(Int32)
    case memory([UInt8])
    /// Gzip data, read as what it holds, a chunk at a time.
    case gzip(GzipStream)

    /// The descriptor to close once the source is read.
    var fileDescriptor: Int32? {
        switch self {
        case .fileDescriptor(let fd): fd
        case .gzip(let stream): stream.fd
        case .memory: nil
        }
    }

    /// The next bytes into `buffer`: how many, 0 at the end (always for `.memory`, which is
    /// read whole), -1 on a read error (`errno`). A gzip stream that stops early returns 0 and
    /// says why in `stoppedBecause`.
    func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        switch self {
        case .fileDescriptor(let fd): Self.read(fd, into: buffer)
        case .gzip(let stream): stream.read(into: buffer)
        case .memory: 0
        }
    }

    /// read(2), again when a signal interrupts it.
    static func read(_ fd: Int32, into buffer: UnsafeMutableRawBufferPointer) -> Int {
        while true {
            let n = Glibc.read(fd, buffer.baseAddress, buffer.count)
            if n < 0 && errno == EINTR { continue }
            return n
        }
    }

    /// Why a gzip source ended before its data did.
    var stoppedBecause: String? {
        if case .gzip(let stream) = self { return stream.error }
        return nil
    }
}

public struct MailReadError: Error, CustomStringConvertible, Sendable {
    public var path: String
    public var line: Int?
    public var message: String
    public init(path: String, line: Int? = nil, message: String) {
        self.path = path
        self.line = line
        self.message = message
    }
    public var description: String {
        if let line { return "\(path):\(line): \(message)" }
        return "\(path): \(message)"
    }
}

/// Splits an mbox (mboxo or mboxrd) into messages as it reads, like `git mailsplit`:
/// a separator is a line `From <anything> <date with hh:mm:ss and a year>`, and `>From `
/// lines (any number of `>`) lose one `>` (the mboxrd rule, also right for mboxo writers).
public struct MboxReader: Sequence, IteratorProtocol {
    public let path: String
    private var source: ByteSource
    private var buffer: [UInt8] = []
    private var position = 0
    private var exhausted = false
    private var lineNumber = 0
    private var pendingSeparator: (text: String, line: Int)?
    private let chunkSize: Int
    /// False for a block of a larger mbox (`MboxBlocks`): a separator with nothing after it at
    /// the block's end is followed by the next block's first separator, which starts the message.
    private var endsInput = true
    /// The first line read is the file's first (where `From ` alone is a separator).
    private var startsInput = true
    /// Lines read so far: for a block, what the next block's line numbers start after.
    public var linesRead: Int { lineNumber }
    /// Lines longer than this are reported (RFC 5322 allows 998 bytes; mailers break far less).
    public static let hugeLineThreshold = 1 << 20
    public private(set) var hugeLines: [(line: Int, length: Int)] = []
    public private(set) var readError: String?

    public init(path: String, source: ByteSource, chunkSize: Int = 1 << 20) {
        self.path = path
        self.source = source
        self.chunkSize = chunkSize
        if case .memory(let bytes) = source {
            buffer = bytes
            exhausted = true
        }
    }

    /// Reads one block of an mbox (`MboxBlocks`): the messages are those a reader of the whole
    /// file finds there, with line numbers counted from the block's first line (add the lines
    /// of the blocks before it: counting them here would make the blocks' readers wait on each other).
    public init(path: String, block: MboxBlock) {
        self.init(path: path, source: .memory(block.bytes))
        endsInput = block.endsInput
        startsInput = block.startsInput
    }

    /// True when `line` (without its newline) is an mbox separator, by git's rule.
    public static func isSeparator(_ line: UnsafeBufferPointer<UInt8>) -> Bool {
        let length = line.count
        guard length >= 19, line[0] == 0x46, line[1] == 0x72, line[2] == 0x6F, line[3] == 0x6D, line[4] == 0x20
        else { return false }
        var colon = length - 1
        while colon > 5 && line[colon] != ASCII.colon { colon -= 1 }
        guard colon > 8, colon + 2 < length else { return false }
        guard ASCII.isDigit(line[colon - 4]), ASCII.isDigit(line[colon - 2]), ASCII.isDigit(line[colon - 1]),
              ASCII.isDigit(line[colon + 1]), ASCII.isDigit(line[colon + 2])
        else { return false }
        var index = colon + 3
        while index < length && line[index] == ASCII.space { index += 1 }
        var year = 0
        var digits = 0
        while index < length && ASCII.isDigit(line[index]) && digits < 6 {
            year = year * 10 + Int(line[index] - 0x30)
            index += 1
            digits += 1
        }
        return year > 90
    }

    public static func isSeparator(_ line: [UInt8]) -> Bool {
        line.withUnsafeBufferPointer { isSeparator($0) }
    }

    /// `spw_mbox_skip_ordinary_lines` on `bytes` from the line start `start`: where the first
    /// line the reader must look at starts, and how many lines come before it.
    static func skipOrdinaryLines(_ bytes: [UInt8], from start: Int, huge: Int) -> (stop: Int, lines: Int) {
        var lines = 0
        let stop = bytes.withUnsafeBufferPointer { b -> Int in
            guard let base = b.baseAddress else { return start }
            return spw_mbox_skip_ordinary_lines(base, start, b.count, huge, &lines)
        }
        return (stop, lines)
    }

    /// What `skipOrdinaryLines` must give, a line at a time, as plainly as the rule reads (the
    /// unit tests and `fuzz-mail` hold the bulk skip to it): a line needs a look when it starts
    /// `From ` or `>…>From ` (or is too short to tell yet), is longer than `huge`, or has no newline.
    static func skipOrdinaryLinesOneByOne(_ b: [UInt8], from start: Int, huge: Int) -> (stop: Int, lines: Int) {
        func needsLook(_ at: Int) -> Bool {
            guard b[at] == 0x46 || b[at] == ASCII.greater else { return false }
            var i = at
            while i < b.count && b[i] == ASCII.greater { i += 1 }
            if b.count - i < 5 { return true }
            return b[i..<(i + 5)].elementsEqual("From ".utf8)
        }
        var line = start, lines = 0
        while line < b.count && !needsLook(line) {
            guard let newline = b[line...].firstIndex(of: ASCII.lf), newline - line <= huge else { break }
            lines += 1
            line = newline + 1
        }
        return (line, lines)
    }

    /// Reads more input; false at end of input.
    private mutating func fill() -> Bool {
        guard !exhausted else { return false }
        if case .memory = source { return false }
        if position > 0 {
            // Lines already consumed but not yet copied go to the message before compaction.
            if let start = runStart {
                if position > start { pending.append(contentsOf: buffer[start..<position]) }
                runStart = 0
            }
            buffer.removeSubrange(0..<position)
            searchedTo = Swift.max(0, searchedTo - position)
            position = 0
        }
        let oldCount = buffer.count
        // Doubling, not exactly one more chunk: a line longer than the buffer (hostile input) would
        // otherwise reallocate and copy the whole buffer on every chunk.
        if buffer.capacity < oldCount + chunkSize { buffer.reserveCapacity(Swift.max(oldCount + chunkSize, 2 * buffer.capacity)) }
        var readCount = 0
        buffer.append(contentsOf: repeatElement(0, count: chunkSize))
        let source = self.source
        buffer.withUnsafeMutableBytes { all in
            readCount = source.read(into: UnsafeMutableRawBufferPointer(rebasing: all[oldCount...]))
        }
        if readCount < 0 {
            readError = String(cString: strerror(errno))
            readCount = 0
        }
        if readCount == 0, let reason = source.stoppedBecause { readError = reason }
        buffer.removeLast(chunkSize - readCount)
        if readCount == 0 { exhausted = true }
        return readCount > 0
    }

    /// The message being assembled, and the start in `buffer` of lines consumed but not yet
    /// copied into it: runs of ordinary lines are copied in one piece, not line by line.
    private var pending: [UInt8] = []
    private var runStart: Int?

    private mutating func flushRun(upTo end: Int) {
        if let start = runStart, end > start { pending.append(contentsOf: buffer[start..<end]) }
        runStart = nil
    }

    /// Where a scan of the buffered lines stopped.
    private enum ScanStop {
        /// A separator line at `start..<end` (not yet consumed); the next line starts at `next`.
        case separator(start: Int, end: Int, next: Int)
        /// Every complete line was consumed.
        case endOfBuffer
    }

    /// How far the unfinished line at `position` has been searched for its newline: a long line
    /// that spans many refills is searched once, not again from its start after each.
    private var searchedTo = 0

    /// Consumes the complete lines from `position` (and, at the end of input, the last line
    /// without its newline) until a separator line. One pass under one buffer pointer: this is
    /// the per-line loop of the whole mail stage.
    private mutating func scanLines(atEnd: Bool, sawContent: inout Bool) -> ScanStop {
        let bytes = buffer  // a second reference, so `self` stays free to change inside
        // The per-line state in locals (written back on the way out): as fields of `self` they
        // were loaded and stored for every line.
        var line = lineNumber
        var content = sawContent
        defer {
            lineNumber = line
            sawContent = content
        }
        return bytes.withUnsafeBufferPointer { b -> ScanStop in
            var p = position
            while p < b.count {
                // Ordinary lines in bulk: counted, and part of the run being copied. Not into a
                // line already searched to the end of the buffer (it would be searched again).
                if searchedTo <= p {
                    var skipped = 0
                    let stop = spw_mbox_skip_ordinary_lines(b.baseAddress!, p, b.count, MboxReader.hugeLineThreshold, &skipped)
                    if stop > p {
                        if runStart == nil { runStart = p }
                        // Some line has a byte besides its newline.
                        if stop - p > skipped { content = true }
                        line += skipped
                        p = stop
                        if p >= b.count { break }
                    }
                }
                var newline = b.index(of: ASCII.lf, from: Swift.max(p, searchedTo))
                if newline >= b.count {
                    searchedTo = b.count
                    guard atEnd else { break }
                    newline = b.count
                }
                let next = newline < b.count ? newline + 1 : newline
                line += 1
                let length = newline - p
                if length > 0 {
                    let first = b[p]
                    // Only lines starting with 'F' (separators), '>' (escaped separators) or
                    // huge ones need more than counting.
                    if first == 0x46 || first == ASCII.greater || length > MboxReader.hugeLineThreshold {
                        if length > MboxReader.hugeLineThreshold { hugeLines.append((line, length)) }
                        // The very first line of a file is a separator if it starts like one, even when its
                        // date is mangled (archives and fuzzers produce `From someone` alone).
                        if first == 0x46, MboxReader.isSeparator(UnsafeBufferPointer(rebasing: b[p..<newline]))
                            || (line == 1 && startsInput && length >= 5 && b[p + 1] == 0x72 && b[p + 2] == 0x6F && b[p + 3] == 0x6D && b[p + 4] == 0x20) {
                            position = p
                            return .separator(start: p, end: newline, next: next)
                        }
                        // mboxrd: ">From ", ">>From " ... lose one '>'.
                        if first == ASCII.greater {
                            var probe = p
                            while probe < newline && b[probe] == ASCII.greater { probe += 1 }
                            if newline - probe >= 5 && b[probe] == 0x46 && b[probe + 1] == 0x72
                                && b[probe + 2] == 0x6F && b[probe + 3] == 0x6D && b[probe + 4] == 0x20 {
                                flushRun(upTo: p)
                                runStart = p + 1
                                content = true
                                p = next
                                continue
                            }
                        }
                    }
                    content = true
                }
                if runStart == nil { runStart = p }
                p = next
            }
            position = p
            return .endOfBuffer
        }
    }

    public mutating func next() -> RawMessage? {
        pending = []
        runStart = nil
        var separator = pendingSeparator
        pendingSeparator = nil
        var firstLine = separator.map { $0.line + 1 } ?? lineNumber + 1
        var sawContent = false
        var atEnd = false
        while true {
            switch scanLines(atEnd: atEnd, sawContent: &sawContent) {
            case .separator(let start, let end, let next):
                flushRun(upTo: start)
                let text = String(decoding: buffer[start..<end], as: UTF8.self)
                position = next
                if sawContent {
                    pendingSeparator = (text, lineNumber)
                    let bytes = pending
                    pending = []
                    return RawMessage(bytes: bytes, source: path, startLine: firstLine, separator: separator?.text)
                }
                // Leading separator (or one right after another): start the message here. The
                // blank lines after the earlier separator were its (empty) message's, not this one's.
                pending = []
                separator = (text, lineNumber)
                firstLine = lineNumber + 1
            case .endOfBuffer:
                if atEnd {
                    flushRun(upTo: position)
                    if sawContent || (separator != nil && endsInput) {
                                let bytes = pending
                        pending = []
                        return RawMessage(bytes: bytes, source: path, startLine: firstLine, separator: separator?.text)
                    }
                    return nil
                }
                if !fill() { atEnd = true }
            }
        }
    }
}

/// A piece of an mbox that holds whole messages: it starts at the file's start or at a
/// separator line, and ends where the next piece's separator line starts (or at the end).
public struct MboxBlock: Sendable {
    public var bytes: [UInt8]
    /// The block is the file's first.
    public var startsInput: Bool
    /// The block is the file's last.
    public var endsInput: Bool
}

/// Cuts an mbox read from a descriptor into blocks of about `blockSize` bytes at separator
/// lines, so the blocks can be read into messages on several cores at once (`MboxReader(path:block:)`),
/// with the messages, their bytes and line numbers of one reader of the whole file. A message
/// larger than a block makes a larger block: memory stays bounded by the largest message.
public struct MboxBlocks: Sequence, IteratorProtocol {
    /// A descriptor or a gzip stream; or bytes in memory (tests and fuzzing cut them into small
    /// blocks), read from `memoryRead` on.
    private let source: ByteSource
    private var memoryRead = 0
    private let blockSize: Int
    private var carry: [UInt8] = []
    private var first = true
    private var exhausted = false
    public private(set) var readError: String?

    public init(source: ByteSource, blockSize: Int = 1 << 20) {
        self.source = source
        self.blockSize = Swift.max(1, blockSize)
    }

    public init(fd: Int32, blockSize: Int = 1 << 20) {
        self.init(source: .fileDescriptor(fd), blockSize: blockSize)
    }

    public init(bytes: [UInt8], blockSize: Int) {
        self.init(source: .memory(bytes), blockSize: blockSize)
    }

    public mutating func next() -> MboxBlock? {
        guard !exhausted || !carry.isEmpty else { return nil }
        var block = carry
        carry = []
        // Lines starting before `floor` were complete when last searched, and are no separator.
        var floor = 1
        while true {
            if exhausted {
                guard !block.isEmpty else { return nil }
                defer { first = false }
                return MboxBlock(bytes: block, startsInput: first, endsInput: true)
            }
            if !read(into: &block) {
                exhausted = true
                continue
            }
            if let cut = Self.lastSeparatorStart(block, from: floor) {
                carry = Array(block[cut...])
                block.removeSubrange(cut...)
                defer { first = false }
                return MboxBlock(bytes: block, startsInput: first, endsInput: false)
            }
            floor = Swift.max(floor, Self.lineStart(block, before: block.count))
        }
    }

    /// Appends up to `blockSize` bytes (more when the block has outgrown it: a huge message is
    /// read in ever larger steps, not copied again for every block's worth); false at the end of
    /// input (or on a read error, kept in `readError`, after which the input counts as ended, as
    /// `MboxReader` does).
    private mutating func read(into block: inout [UInt8]) -> Bool {
        let step = Swift.max(blockSize, block.count)
        if case .memory(let memory) = source {
            let end = Swift.min(memory.count, memoryRead + step)
            block += memory[memoryRead..<end]
            defer { memoryRead = end }
            return end > memoryRead
        }
        var readCount = 0
        let source = self.source
        let old = block
        // Read straight into the new storage: zero-filling it first costs as much as the read.
        block = [UInt8](unsafeUninitializedCapacity: old.count + step) { storage, count in
            old.withUnsafeBufferPointer { old in
                if let base = old.baseAddress { storage.baseAddress!.initialize(from: base, count: old.count) }
            }
            readCount = source.read(into: UnsafeMutableRawBufferPointer(start: storage.baseAddress! + old.count, count: step))
            count = old.count + Swift.max(readCount, 0)
        }
        if readCount < 0 {
            readError = String(cString: strerror(errno))
            readCount = 0
        }
        if readCount == 0, let reason = source.stoppedBecause { readError = reason }
        return readCount > 0
    }

    /// The start of the last complete separator line at or after `floor` (never 0: a block
    /// holds at least one line).
    static func lastSeparatorStart(_ bytes: [UInt8], from floor: Int) -> Int? {
        bytes.withUnsafeBufferPointer { b -> Int? in
            // `end` is the newline ending the line under test: only complete lines are judged.
            guard var end = b.lastIndex(of: ASCII.lf) else { return nil }
            while end > 0 {
                var start = end
                while start > 0 && b[start - 1] != ASCII.lf { start -= 1 }
                if start < Swift.max(floor, 1) { return nil }
                if b[start] == 0x46, MboxReader.isSeparator(UnsafeBufferPointer(rebasing: b[start..<end])) { return start }
                end = start - 1
            }
            return nil
        }
    }

    /// The start of the line holding byte `index - 1` (the line `index` may continue).
    static func lineStart(_ bytes: [UInt8], before index: Int) -> Int {
        var start = Swift.min(index, bytes.count)
        while start > 0 && bytes[start - 1] != ASCII.lf { start -= 1 }
        return start
    }
}

#if FUZZING
extension MboxReader {
    /// For `fuzz-mail`: the bulk skip agrees with the line-at-a-time one from every line start
    /// of `bytes`, at huge-line thresholds below, at and above its 64-byte step.
    public static func checkBulkSkip(_ bytes: [UInt8]) {
        let starts = [0] + bytes.indices.filter { $0 > 0 && bytes[$0 - 1] == ASCII.lf }.prefix(64)
        for (k, start) in starts.enumerated() {
            let huge = [0, 5, 63, 64, 90, 1 << 20][k % 6]
            let bulk = skipOrdinaryLines(bytes, from: start, huge: huge)
            let oneByOne = skipOrdinaryLinesOneByOne(bytes, from: start, huge: huge)
            precondition(bulk == oneByOne, "the bulk line skip differs from the line-by-line one at \(start), huge \(huge)")
        }
    }
}
#endif
