/// Byte-level string helpers for hot paths. `String.hasPrefix` and `Character` access compare
/// with Unicode canonical equivalence and grapheme breaking; mail and diff syntax is ASCII, so
/// comparing UTF-8 bytes gives the same answers far faster.
extension StringProtocol {
    @inline(__always)
    public func hasASCIIPrefix(_ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { p in
            var it = utf8.makeIterator()
            for byte in p {
                guard let b = it.next(), b == byte else { return false }
            }
            return true
        }
    }

    @inline(__always)
    public func hasASCIISuffix(_ suffix: StaticString) -> Bool {
        suffix.withUTF8Buffer { p in
            let u = Substring(self).utf8
            guard u.count >= p.count else { return false }
            return u.suffix(p.count).elementsEqual(p)
        }
    }

    /// The first byte (not Character) of the string.
    @inline(__always) public var firstByte: UInt8? { utf8.first }

    /// The text after `prefix`, or nil when it does not start with it.
    @inline(__always)
    public func value(after prefix: StaticString) -> SubSequence? {
        // First byte first: nearly every call is a miss.
        guard let first = utf8.first, first == prefix.utf8Start.pointee, hasASCIIPrefix(prefix) else { return nil }
        return self[utf8.index(startIndex, offsetBy: prefix.utf8CodeUnitCount)...]
    }

    /// Surrounding whitespace removed; ASCII lines (nearly all) never touch Unicode tables.
    public func trimmingWhitespace() -> String {
        let whole = Substring(self)
        let u = whole.utf8
        guard let first = u.first, let last = u.last else { return "" }
        if first > 0x20 && first < 0x80 && last > 0x20 && last < 0x80 { return String(whole) }
        if first < 0x80 && last < 0x80 {
            var start = u.startIndex, end = u.endIndex
            while start < end, u[start] == 0x20 || u[start] == 0x09 || u[start] == 0x0A || u[start] == 0x0D || u[start] == 0x0B || u[start] == 0x0C {
                start = u.index(after: start)
            }
            while end > start {
                let before = u.index(before: end)
                let b = u[before]
                guard b == 0x20 || b == 0x09 || b == 0x0A || b == 0x0D || b == 0x0B || b == 0x0C else { break }
                end = before
            }
            let trimmed = whole[start..<end]
            if let f = trimmed.utf8.first, let l = trimmed.utf8.last, f < 0x80, l < 0x80 { return String(trimmed) }
            return Self.trimmingUnicode(trimmed)
        }
        return Self.trimmingUnicode(whole)
    }

    private static func trimmingUnicode(_ s: Substring) -> String {
        var scalars = s.unicodeScalars[...]
        while let f = scalars.first, f.properties.isWhitespace { scalars.removeFirst() }
        while let l = scalars.last, l.properties.isWhitespace { scalars.removeLast() }
        return String(String.UnicodeScalarView(scalars))
    }
}

#if canImport(Glibc)
import Glibc
#endif

// Concrete overloads: the generic versions above go through iterators that do not specialise
// well for the types the parsers use; these compare contiguous bytes with memcmp.
@inline(__always)
private func asciiPrefix<View: Collection>(_ utf8: View, _ prefix: StaticString) -> Bool where View.Element == UInt8 {
    let n = prefix.utf8CodeUnitCount
    if let result = utf8.withContiguousStorageIfAvailable({ buffer -> Bool in
        buffer.count >= n && (n == 0 || memcmp(buffer.baseAddress!, prefix.utf8Start, n) == 0)
    }) { return result }
    return utf8.starts(with: UnsafeBufferPointer(start: prefix.utf8Start, count: n))
}

extension Substring {
    /// The text after `prefix`, or nil when it does not start with it (contiguous bytes, memcmp).
    @inline(__always)
    public func value(after prefix: StaticString) -> Substring? {
        guard let first = utf8.first, first == prefix.utf8Start.pointee, hasASCIIPrefix(prefix) else { return nil }
        return Substring(utf8[utf8.index(utf8.startIndex, offsetBy: prefix.utf8CodeUnitCount)...])
    }

    @inline(__always)
    public func hasASCIIPrefix(_ prefix: StaticString) -> Bool { asciiPrefix(utf8, prefix) }
}

extension String {
    @inline(__always)
    public func hasASCIIPrefix(_ prefix: StaticString) -> Bool { asciiPrefix(utf8, prefix) }
}
