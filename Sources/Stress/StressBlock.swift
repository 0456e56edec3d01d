import CZlib

/// One block of the stress file as written and checked: a header that says who wrote it, then a
/// payload whose crc32 (zlib's) the header carries. A block read back whole and unchanged passes;
/// a payload that no longer matches its checksum is a torn or unstable write.
///
/// Layout (little-endian):
///
///     0  magic "SPWSTRS1"            8 bytes
///     8  profile letter (ASCII)      1 byte, then 3 zero bytes
///    12  writer thread               u32 (0xffffffff: the initial fill)
///    16  sequence number             u64 (the writer's count of its own writes)
///    24  block index                 u64
///    32  crc32 of the payload        u32
///    36  crc32 of bytes 0..<36       u32
///    40  zero up to 64
///    64  payload                     pseudo-random bytes, seeded by writer, sequence and block
public enum StressBlock {
    public static let headerSize = 64
    static let magic: [UInt8] = Array("SPWSTRS1".utf8)
    /// The writer number of the blocks written before the threads start.
    public static let initialWriter: UInt32 = .max

    public struct Header: Equatable, Sendable {
        public var profile: UInt8
        public var writer: UInt32
        public var sequence: UInt64
        public var block: UInt64

        public init(profile: UInt8, writer: UInt32, sequence: UInt64, block: UInt64) {
            self.profile = profile
            self.writer = writer
            self.sequence = sequence
            self.block = block
        }
    }

    /// Fills `buffer` (one whole block) for `header`.
    public static func fill(_ buffer: UnsafeMutableRawBufferPointer, header: Header) {
        let base = buffer.baseAddress!
        var seed = header.sequence &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(header.writer) << 40 ^ header.block
        var offset = headerSize
        while offset + 8 <= buffer.count {
            // splitmix64: cheap, and different for every write of every block.
            seed &+= 0x9E37_79B9_7F4A_7C15
            var z = seed
            z = (z ^ (z >> 30)) &* 0xBF58_476D_1CE4_E5B9
            z = (z ^ (z >> 27)) &* 0x94D0_49BB_1331_11EB
            base.storeBytes(of: (z ^ (z >> 31)).littleEndian, toByteOffset: offset, as: UInt64.self)
            offset += 8
        }
        while offset < buffer.count { base.storeBytes(of: UInt8(truncatingIfNeeded: seed), toByteOffset: offset, as: UInt8.self); offset += 1 }
        for i in 0..<headerSize { base.storeBytes(of: 0, toByteOffset: i, as: UInt8.self) }
        for (i, b) in magic.enumerated() { base.storeBytes(of: b, toByteOffset: i, as: UInt8.self) }
        base.storeBytes(of: header.profile, toByteOffset: 8, as: UInt8.self)
        base.storeBytes(of: header.writer.littleEndian, toByteOffset: 12, as: UInt32.self)
        base.storeBytes(of: header.sequence.littleEndian, toByteOffset: 16, as: UInt64.self)
        base.storeBytes(of: header.block.littleEndian, toByteOffset: 24, as: UInt64.self)
        let payload = checksum(UnsafeRawBufferPointer(rebasing: buffer[headerSize...]))
        base.storeBytes(of: payload.littleEndian, toByteOffset: 32, as: UInt32.self)
        let head = checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<36]))
        base.storeBytes(of: head.littleEndian, toByteOffset: 36, as: UInt32.self)
    }

    /// What a block read back says.
    public enum Reading: Equatable, Sendable {
        /// Header and payload both match their checksums.
        case intact(Header)
        /// The header is whole but the payload is not the one it describes.
        case torn(Header)
        /// No header of ours (wrong magic, or a header that fails its own checksum).
        case noHeader
    }

    public static func read(_ buffer: UnsafeRawBufferPointer) -> Reading {
        guard buffer.count > headerSize, let base = buffer.baseAddress else { return .noHeader }
        for (i, b) in magic.enumerated() where base.load(fromByteOffset: i, as: UInt8.self) != b { return .noHeader }
        let storedHead = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 36, as: UInt32.self))
        guard storedHead == checksum(UnsafeRawBufferPointer(rebasing: buffer[0..<36])) else { return .noHeader }
        let header = Header(profile: base.load(fromByteOffset: 8, as: UInt8.self),
                            writer: UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 12, as: UInt32.self)),
                            sequence: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 16, as: UInt64.self)),
                            block: UInt64(littleEndian: base.loadUnaligned(fromByteOffset: 24, as: UInt64.self)))
        let storedPayload = UInt32(littleEndian: base.loadUnaligned(fromByteOffset: 32, as: UInt32.self))
        return storedPayload == checksum(UnsafeRawBufferPointer(rebasing: buffer[headerSize...])) ? .intact(header) : .torn(header)
    }

    static func checksum(_ bytes: UnsafeRawBufferPointer) -> UInt32 {
        guard let p = bytes.baseAddress else { return 0 }
        return UInt32(truncatingIfNeeded: crc32(0, p.assumingMemoryBound(to: UInt8.self), UInt32(bytes.count)))
    }
}
