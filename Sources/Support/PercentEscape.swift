/// `%XX` (as in a URL) for the bytes a cache's line format keeps for itself: field and item
/// separators, the escape byte `%`, and whatever else its `special` names. One writer and one
/// reader for every cache file, so that they read back what they wrote.
public enum PercentEscape {
    /// Appends `text` to `out`, each byte `special` names written `%XX` (upper-case hex).
    @inlinable public static func append(_ text: String, to out: inout [UInt8], escaping special: (UInt8) -> Bool) {
        for b in text.utf8 {
            if special(b) {
                out.append(0x25)
                out.append(hexDigit(b >> 4))
                out.append(hexDigit(b & 0xF))
            } else {
                out.append(b)
            }
        }
    }

    /// `text` with each byte `special` names written `%XX`; `text` itself when it has none.
    @inlinable public static func escaped(_ text: String, escaping special: (UInt8) -> Bool) -> String {
        guard text.utf8.contains(where: special) else { return text }
        var out: [UInt8] = []
        out.reserveCapacity(text.utf8.count + 6)
        append(text, to: &out, escaping: special)
        return String(decoding: out, as: UTF8.self)
    }

    /// The text of `bytes` with each `%XX` read back. A `%` without two hex digits after it
    /// (a damaged line) makes it nil, or, `lenient`, stays as it is.
    public static func unescaped(_ bytes: UnsafeBufferPointer<UInt8>, lenient: Bool = false) -> String? {
        guard bytes.contains(0x25) else { return String(decoding: bytes, as: UTF8.self) }
        var out: [UInt8] = []
        out.reserveCapacity(bytes.count)
        var k = 0
        while k < bytes.count {
            if bytes[k] == 0x25 {
                if k + 2 < bytes.count, let hi = ASCII.hexValue(bytes[k + 1]), let lo = ASCII.hexValue(bytes[k + 2]) {
                    out.append(hi << 4 | lo)
                    k += 3
                    continue
                }
                if !lenient { return nil }
            }
            out.append(bytes[k])
            k += 1
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// `unescaped` of a string's bytes.
    public static func unescaped(_ text: some StringProtocol, lenient: Bool = false) -> String? {
        var copy = String(text)
        return copy.withUTF8 { unescaped($0, lenient: lenient) }
    }

    @inlinable static func hexDigit(_ v: UInt8) -> UInt8 { v < 10 ? 0x30 + v : 0x41 + v - 10 }
}
