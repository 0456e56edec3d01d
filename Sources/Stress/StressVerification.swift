import CStressIO
#if canImport(Glibc)
import Glibc
#endif

/// The pass after a profile: every block read back (around the page cache when the file system
/// allows `O_DIRECT`) and checked against its own checksum and against the last write made to it.
/// The stress file as the profiles share it.
struct StressFile: Sendable {
    var path: String
    var fd: Int32
    var blockSize: Int
    var blocks: Int
    /// The file system takes `O_DIRECT` reads (the verification reads around the page cache).
    var directRead: Bool
}

struct StressVerification {
    var file: StressFile
    var profile: StressProfile
    var path: String { file.path }
    var fd: Int32 { file.fd }
    var blockSize: Int { file.blockSize }
    var blocks: Int { file.blocks }
    var directRead: Bool { file.directRead }
    /// How many problems of each kind are listed (all are counted).
    static let listed = 16

    func verify(lastWriter: UnsafePointer<UInt32>, lastSequence: UnsafePointer<UInt64>) -> ProfileResult.Verification {
        let readFD = directRead ? spw_open_direct(path, O_RDONLY, 0) : fd
        defer { if directRead && readFD >= 0 { close(readFD) } }
        var v = ProfileResult.Verification(blocks: blocks, intact: 0, directRead: directRead && readFD >= 0)
        let descriptor = readFD >= 0 ? readFD : fd
        let chunkBlocks = max(1, min(blocks, (1 << 20) / blockSize))
        let buffer = UnsafeMutableRawBufferPointer.allocateAligned(chunkBlocks * blockSize)
        defer { buffer.deallocate() }
        var b = 0
        while b < blocks {
            let n = min(chunkBlocks, blocks - b)
            if pread(descriptor, buffer.baseAddress, n * blockSize, off_t(b * blockSize)) == n * blockSize {
                for i in 0..<n {
                    check(block: b + i, UnsafeRawBufferPointer(rebasing: buffer[(i * blockSize)..<((i + 1) * blockSize)]),
                          lastWriter: lastWriter, lastSequence: lastSequence, into: &v)
                }
            } else {
                // Find which blocks of the chunk cannot be read: an EIO names the block it is about.
                for i in 0..<n {
                    let block = UnsafeMutableRawBufferPointer(rebasing: buffer[0..<blockSize])
                    if pread(descriptor, block.baseAddress, blockSize, off_t((b + i) * blockSize)) == blockSize {
                        check(block: b + i, UnsafeRawBufferPointer(block), lastWriter: lastWriter, lastSequence: lastSequence, into: &v)
                    } else {
                        v.counts.readErrors += 1
                        if v.readErrors.count < Self.listed {
                            v.readErrors.append(.init(offset: (b + i) * blockSize, block: b + i, errno: errno == 0 ? EIO : errno))
                        }
                    }
                }
            }
            b += n
        }
        return v
    }

    private func check(block b: Int, _ bytes: UnsafeRawBufferPointer, lastWriter: UnsafePointer<UInt32>,
                       lastSequence: UnsafePointer<UInt64>, into v: inout ProfileResult.Verification) {
        let offset = b * blockSize
        switch StressBlock.read(bytes) {
        case .noHeader:
            v.counts.noHeader += 1
            if v.noHeader.count < Self.listed { v.noHeader.append(.init(offset: offset, block: b)) }
        case .torn(let h):
            v.counts.torn += 1
            if v.torn.count < Self.listed {
                v.torn.append(.init(offset: offset, block: b, writer: Int(h.writer), sequence: h.sequence))
            }
        case .intact(let h) where h.block != UInt64(b) || h.profile != profile.letter:
            // Whole, but another block's (a misdirected write) or an earlier profile's.
            v.counts.noHeader += 1
            if v.noHeader.count < Self.listed {
                v.noHeader.append(.init(offset: offset, block: b, writer: Int(h.writer), sequence: h.sequence))
            }
        case .intact(let h) where h.writer != lastWriter[b] || h.sequence != lastSequence[b]:
            v.counts.stale += 1
            if v.stale.count < Self.listed {
                v.stale.append(.init(offset: offset, block: b, writer: Int(h.writer), sequence: h.sequence,
                                     expectedWriter: Int(lastWriter[b]), expectedSequence: lastSequence[b]))
            }
        case .intact:
            v.intact += 1
        }
    }
}
