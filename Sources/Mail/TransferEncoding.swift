/// Content-Transfer-Encoding decoders. Both keep going over bad input and say so.
public enum TransferEncoding {
    /// Quoted-printable (RFC 2045 §6.7): `=XX` bytes, `=` at line end is a soft break.
    /// A malformed `=` sequence is kept literally, as most mail readers do.
    public static func decodeQuotedPrintable<C: Collection>(_ input: C) -> [UInt8]
    where C.Element == UInt8, C.Index == Int {
        if let out = input.withContiguousStorageIfAvailable(decodeQuotedPrintable) { return out }
        return Array(input).withUnsafeBufferPointer(decodeQuotedPrintable)
    }

    static func decodeQuotedPrintable(_ input: UnsafeBufferPointer<UInt8>) -> [UInt8] {
        [UInt8](unsafeUninitializedCapacity: input.count) { out, written in
            var n = 0
            var i = 0
            let end = input.count
            guard let base = input.baseAddress, let to = out.baseAddress else {
                written = 0
                return
            }
            while i < end {
                // The run up to the next `=` in one copy: most of a part is literal text.
                let equals = input.index(of: ASCII.equals, from: i)
                if equals > i {
                    (to + n).initialize(from: base + i, count: equals - i)
                    n += equals - i
                    i = equals
                    if i >= end { break }
                }
                let b = input[i]
                // Soft line break: "=" then optional whitespace then (CR)LF.
                var j = i + 1
                while j < end && ASCII.isWhitespace(input[j]) { j += 1 }
                if j < end && input[j] == ASCII.cr { j += 1 }
                if j >= end {
                    i = j
                    continue
                }
                if input[j] == ASCII.lf {
                    i = j + 1
                    continue
                }
                if i + 2 <= end - 1, let hi = ASCII.hexValue(input[i + 1]), let lo = ASCII.hexValue(input[i + 2]) {
                    out[n] = hi << 4 | lo
                    n += 1
                    i += 3
                    continue
                }
                out[n] = b
                n += 1
                i += 1
            }
            written = n
        }
    }

    /// RFC 2047 "Q": like quoted-printable, but `_` is a space and there are no soft breaks.
    public static func decodeQ<C: Collection>(_ input: C) -> [UInt8] where C.Element == UInt8, C.Index == Int {
        var out: [UInt8] = []
        var i = input.startIndex
        while i < input.endIndex {
            let b = input[i]
            if b == 0x5F {
                out.append(ASCII.space)
            } else if b == ASCII.equals, i + 2 < input.endIndex,
                      let hi = ASCII.hexValue(input[i + 1]), let lo = ASCII.hexValue(input[i + 2]) {
                out.append(hi << 4 | lo)
                i += 3
                continue
            } else {
                out.append(b)
            }
            i += 1
        }
        return out
    }

    private static let base64Table: [UInt8] = {
        var table = [UInt8](repeating: 0xFF, count: 256)
        for (i, c) in "ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789+/".utf8.enumerated() {
            table[Int(c)] = UInt8(i)
        }
        return table
    }()

    /// Base64, ignoring line breaks and whitespace. Returns the bytes and the count of characters
    /// that are not base64 (skipped), so the caller can report invalid input.
    public static func decodeBase64<C: Collection>(_ input: C) -> (bytes: [UInt8], invalidCharacters: Int)
    where C.Element == UInt8 {
        if let result = input.withContiguousStorageIfAvailable(decodeBase64) { return result }
        return Array(input).withUnsafeBufferPointer(decodeBase64)
    }

    static func decodeBase64(_ input: UnsafeBufferPointer<UInt8>) -> (bytes: [UInt8], invalidCharacters: Int) {
        var invalid = 0
        let bytes = base64Table.withUnsafeBufferPointer { table in
            [UInt8](unsafeUninitializedCapacity: input.count * 3 / 4 + 3) { out, written in
                var n = 0
                var accumulator: UInt32 = 0
                var bits = 0
                var sawPadding = false
                var i = 0
                let count = input.count
                while i < count {
                    // Four alphabet characters at a bit boundary (nearly all of a part): three
                    // bytes at once. Anything else (line ends, padding, junk) goes one by one.
                    if bits == 0 && !sawPadding && i + 4 <= count {
                        let a = table[Int(input[i])], b = table[Int(input[i + 1])]
                        let c = table[Int(input[i + 2])], d = table[Int(input[i + 3])]
                        if (a | b | c | d) & 0x80 == 0 {
                            let v = UInt32(a) << 18 | UInt32(b) << 12 | UInt32(c) << 6 | UInt32(d)
                            out[n] = UInt8(truncatingIfNeeded: v >> 16)
                            out[n + 1] = UInt8(truncatingIfNeeded: v >> 8)
                            out[n + 2] = UInt8(truncatingIfNeeded: v)
                            n += 3
                            i += 4
                            continue
                        }
                    }
                    let c = input[i]
                    i += 1
                    if c == ASCII.equals { sawPadding = true; continue }
                    if c == ASCII.lf || c == ASCII.cr || c == ASCII.space || c == ASCII.tab { continue }
                    let v = table[Int(c)]
                    if v == 0xFF || sawPadding {
                        invalid += 1
                        continue
                    }
                    accumulator = (accumulator << 6) | UInt32(v)
                    bits += 6
                    if bits >= 8 {
                        bits -= 8
                        out[n] = UInt8((accumulator >> UInt32(bits)) & 0xFF)
                        n += 1
                    }
                }
                written = n
            }
        }
        return (bytes, invalid)
    }
}
