import CZlib
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A gzip file read as the bytes it holds, a chunk at a time: lore's `t.mbox.gz` (the thread a
/// list archive hands out), `git format-patch --stdout | gzip`. Memory stays bounded whatever the
/// archive's size. Members one after another (`cat a.gz b.gz`) read as one stream, as `gzip -d`
/// reads them; zero bytes after the last member are padding.
public final class GzipStream: @unchecked Sendable {
    private var stream = z_stream()
    private var memberOpen = false
    /// A member has been opened: what does not start like one is trailing garbage, not "not gzip".
    private var everOpened = false
    private var finished = false
    private var input: [UInt8]
    private var inputStart = 0, inputEnd = 0
    /// read(2) on the compressed bytes: how many were read, 0 at their end, -1 on an error.
    private let readCompressed: (UnsafeMutableRawBufferPointer) -> Int
    /// The descriptor read, when the stream reads one (closed with the input).
    public let fd: Int32?
    /// Why reading stopped before the end: corrupt or cut-short data, a read error, a bomb.
    public private(set) var error: String?
    /// Bytes read and produced so far, for the bomb check.
    private var compressedRead = 0, inflated = 0
    /// Mail text inflates five to twenty times; a gzip bomb (a small file of zeros or one
    /// repeated line that would fill memory as one message) a thousand times. Past `bombFloor`
    /// bytes, more than `bombRatio` times the bytes read stops the stream.
    static let bombRatio = 200
    static let bombFloor = 64 << 20

    /// Whether `bytes` start like gzip data (RFC 1952's two magic bytes and deflate).
    public static func isGzip(_ bytes: some Collection<UInt8>) -> Bool {
        var iterator = bytes.makeIterator()
        return iterator.next() == 0x1F && iterator.next() == 0x8B && iterator.next() == 8
    }

    public init(fd: Int32, chunkSize: Int = 1 << 16) {
        self.fd = fd
        input = [UInt8](repeating: 0, count: chunkSize)
        readCompressed = { ByteSource.read(fd, into: $0) }
    }

    /// Gzip data already in memory (standard input, tests), handed out `chunkSize` bytes at a time.
    public init(bytes: [UInt8], chunkSize: Int = 1 << 16) {
        fd = nil
        input = [UInt8](repeating: 0, count: Swift.max(2, chunkSize))
        var offset = 0
        readCompressed = { buffer in
            let n = Swift.min(buffer.count, bytes.count - offset)
            bytes.withUnsafeBytes { all in
                if n > 0 { buffer.baseAddress!.copyMemory(from: all.baseAddress! + offset, byteCount: n) }
            }
            offset += n
            return n
        }
    }

    deinit { if memberOpen { inflateEnd(&stream) } }

    /// Up to `buffer.count` bytes of the uncompressed data; 0 at its end, or where it could not
    /// be read further (`error` says why).
    public func read(into buffer: UnsafeMutableRawBufferPointer) -> Int {
        guard !finished, buffer.count > 0 else { return 0 }
        var produced = 0
        while produced == 0 && !finished {
            if !memberOpen {
                // A member starts here, or the data has ended: only padding may follow the last.
                guard ensureInput(2) else {
                    if inputStart < inputEnd && input[inputStart] != 0 { stop("trailing garbage after the gzip data") } else { finished = true }
                    break
                }
                if input[inputStart] == 0 && input[inputStart + 1] == 0 {
                    inputStart += 2
                    continue
                }
                guard input[inputStart] == 0x1F && input[inputStart + 1] == 0x8B else {
                    stop(everOpened ? "trailing garbage after the gzip data" : "not gzip data")
                    break
                }
                stream = z_stream()
                guard spw_inflate_init_gzip(&stream) == Z_OK else { stop("zlib cannot start"); break }
                memberOpen = true
                everOpened = true
            }
            if inputStart == inputEnd && !ensureInput(1) {
                stop(error ?? "the gzip data is cut short")
                break
            }
            let available = inputEnd - inputStart
            let producedBefore = produced
            let result = input.withUnsafeMutableBufferPointer { inBuffer -> Int32 in
                stream.next_in = inBuffer.baseAddress! + inputStart
                stream.avail_in = UInt32(available)
                stream.next_out = (buffer.baseAddress! + produced).assumingMemoryBound(to: UInt8.self)
                stream.avail_out = UInt32(Swift.min(buffer.count - produced, Int(UInt32.max)))
                let outBefore = stream.avail_out
                let result = inflate(&stream, Z_NO_FLUSH)
                produced += Int(outBefore - stream.avail_out)
                return result
            }
            inputStart += available - Int(stream.avail_in)
            inflated += produced - producedBefore
            if inflated > Self.bombFloor && inflated / Swift.max(1, compressedRead) > Self.bombRatio {
                stop("the gzip data inflates more than \(Self.bombRatio) times (\(compressedRead) bytes to over \(inflated)): not mail, a gzip bomb")
                break
            }
            switch result {
            case Z_OK, Z_BUF_ERROR:
                continue  // more input, or more room next call
            case Z_STREAM_END:
                inflateEnd(&stream)
                memberOpen = false
            default:
                let reason = stream.msg.map { String(cString: $0) } ?? "error \(result)"
                stop("corrupt gzip data (\(reason))")
            }
        }
        return produced
    }

    private func stop(_ reason: String) {
        error = error ?? reason
        finished = true
        if memberOpen {
            inflateEnd(&stream)
            memberOpen = false
        }
    }

    /// At least `count` unread compressed bytes in `input`, reading more when there are fewer;
    /// false when the data ends (or fails: `error`) first.
    private func ensureInput(_ count: Int) -> Bool {
        while inputEnd - inputStart < count {
            if inputStart > 0 {
                input.withUnsafeMutableBufferPointer { b in
                    _ = memmove(b.baseAddress!, b.baseAddress! + inputStart, inputEnd - inputStart)
                }
                inputEnd -= inputStart
                inputStart = 0
            }
            let n = input.withUnsafeMutableBytes { all in
                readCompressed(UnsafeMutableRawBufferPointer(rebasing: all[inputEnd...]))
            }
            if n < 0 {
                error = error ?? String(cString: strerror(errno))
                return false
            }
            if n == 0 { return false }
            inputEnd += n
            compressedRead += n
        }
        return true
    }

    /// Everything left, at most `limit` bytes (more are left unread).
    public func readAll(limit: Int = Int.max) -> [UInt8] {
        var result: [UInt8] = []
        var chunk = [UInt8](repeating: 0, count: 1 << 16)
        while result.count < limit {
            let n = chunk.withUnsafeMutableBytes { read(into: UnsafeMutableRawBufferPointer(rebasing: $0[0..<Swift.min($0.count, limit - result.count)])) }
            if n == 0 { break }
            result += chunk[0..<n]
        }
        return result
    }
}

#if FUZZING
extension GzipStream {
    /// For `fuzz-mail`: `bytes` compressed by zlib read back as themselves whatever the chunking,
    /// and `bytes` themselves read as gzip end cleanly or with a reason, never a crash.
    public static func checkRoundTrip(_ bytes: [UInt8]) {
        var stream = z_stream()
        precondition(spw_deflate_init_gzip(&stream) == Z_OK)
        var compressed = [UInt8](repeating: 0, count: Int(deflateBound(&stream, UInt(bytes.count))) + 32)
        var input = bytes
        let written = input.withUnsafeMutableBufferPointer { inBuffer in
            compressed.withUnsafeMutableBufferPointer { outBuffer -> Int in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = UInt32(inBuffer.count)
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = UInt32(outBuffer.count)
                precondition(deflate(&stream, Z_FINISH) == Z_STREAM_END)
                return outBuffer.count - Int(stream.avail_out)
            }
        }
        deflateEnd(&stream)
        let chunk = 1 + bytes.count % 13
        let back = GzipStream(bytes: Array(compressed[0..<written]), chunkSize: chunk)
        precondition(back.readAll() == bytes && back.error == nil, "gzip data does not read back as what was compressed")
        let raw = GzipStream(bytes: bytes, chunkSize: chunk)
        _ = raw.readAll()
        precondition(isGzip(bytes) || raw.error != nil || bytes.allSatisfy { $0 == 0 }, "non-gzip data read without a reason")
    }
}
#endif
