import CZlib
import Series

/// Applies a `GIT binary patch` block: inflate it, then take it as the new content (`literal`)
/// or as a git delta against the old content (`delta`, the format of pack deltas).
enum BinaryPatchApplier {
    enum Failure: Error, CustomStringConvertible {
        case inflate, size(expected: Int, got: Int), delta(String)
        var description: String {
            switch self {
            case .inflate: "the binary patch data does not inflate (zlib)"
            case .size(let expected, let got): "the binary patch inflates to \(got) bytes, not the \(expected) its header names"
            case .delta(let why): "the binary delta does not apply: \(why)"
            }
        }
    }

    static func apply(_ patch: BinaryPatch, to old: [UInt8]) throws -> [UInt8] {
        let data = try inflate(patch.deflated, size: patch.size)
        switch patch.kind {
        case .literal: return data
        case .delta: return try applyDelta(data, to: old)
        }
    }

    static func inflate(_ deflated: [UInt8], size: Int) throws -> [UInt8] {
        if size == 0 && deflated.isEmpty { return [] }
        var out = [UInt8](repeating: 0, count: size)
        var stream = z_stream()
        guard spw_inflate_init(&stream) == Z_OK else { throw Failure.inflate }
        defer { inflateEnd(&stream) }
        var input = deflated
        let status: Int32 = input.withUnsafeMutableBufferPointer { inBuffer in
            out.withUnsafeMutableBufferPointer { outBuffer in
                stream.next_in = inBuffer.baseAddress
                stream.avail_in = uInt(inBuffer.count)
                // One byte of room past the promised size: a longer stream is an error, not a cut.
                var spare: UInt8 = 0
                stream.next_out = outBuffer.baseAddress
                stream.avail_out = uInt(outBuffer.count)
                var result = CZlib.inflate(&stream, Z_FINISH)
                if result == Z_BUF_ERROR && stream.avail_out == 0 {
                    withUnsafeMutablePointer(to: &spare) { p in
                        stream.next_out = p
                        stream.avail_out = 1
                        result = CZlib.inflate(&stream, Z_FINISH)
                    }
                    if stream.avail_out == 0 { return Z_DATA_ERROR }
                }
                return result
            }
        }
        guard status == Z_STREAM_END else { throw Failure.inflate }
        guard Int(stream.total_out) == size else { throw Failure.size(expected: size, got: Int(stream.total_out)) }
        return out
    }

    /// git's delta: source size and target size as little-endian base-128 numbers, then
    /// instructions: copy (high bit set; offset and size bytes flagged by the low bits) or insert
    /// (1–127 literal bytes).
    static func applyDelta(_ delta: [UInt8], to source: [UInt8]) throws -> [UInt8] {
        var p = 0
        func varint() throws -> Int {
            var value = 0, shift = 0
            while true {
                guard p < delta.count, shift < 56 else { throw Failure.delta("truncated header") }
                let b = delta[p]; p += 1
                value |= Int(b & 0x7F) << shift
                shift += 7
                if b & 0x80 == 0 { return value }
            }
        }
        let sourceSize = try varint()
        guard sourceSize == source.count else { throw Failure.delta("it is for a \(sourceSize)-byte file, the tree's has \(source.count)") }
        let targetSize = try varint()
        var out: [UInt8] = []
        out.reserveCapacity(targetSize)
        while p < delta.count {
            let op = delta[p]; p += 1
            if op & 0x80 != 0 {
                var offset = 0, size = 0
                for k in 0..<4 where op & (1 << k) != 0 {
                    guard p < delta.count else { throw Failure.delta("truncated copy") }
                    offset |= Int(delta[p]) << (8 * k); p += 1
                }
                for k in 0..<3 where op & (0x10 << k) != 0 {
                    guard p < delta.count else { throw Failure.delta("truncated copy") }
                    size |= Int(delta[p]) << (8 * k); p += 1
                }
                if size == 0 { size = 0x10000 }
                guard offset + size <= source.count, out.count + size <= targetSize else { throw Failure.delta("a copy runs past the end") }
                out += source[offset..<offset + size]
            } else if op != 0 {
                let size = Int(op)
                guard p + size <= delta.count, out.count + size <= targetSize else { throw Failure.delta("an insert runs past the end") }
                out += delta[p..<p + size]
                p += size
            } else {
                throw Failure.delta("opcode 0")
            }
        }
        guard out.count == targetSize else { throw Failure.delta("it makes \(out.count) bytes, not \(targetSize)") }
        return out
    }
}
