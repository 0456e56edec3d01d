/// Byte-level string helpers for hot paths. `String.hasPrefix` and `Character` access compare
/// with Unicode canonical equivalence and grapheme breaking; mail and diff syntax is ASCII, so
/// comparing UTF-8 bytes gives the same answers far faster.
extension StringProtocol {
    @inlinable @inline(__always)
    public func hasASCIIPrefix(_ prefix: StaticString) -> Bool {
        prefix.withUTF8Buffer { p in
            var it = utf8.makeIterator()
            for byte in p {
                guard let b = it.next(), b == byte else { return false }
            }
            return true
        }
    }

    @inlinable @inline(__always)
    public func hasASCIISuffix(_ suffix: StaticString) -> Bool {
        suffix.withUTF8Buffer { p in
            let u = Substring(self).utf8
            guard u.count >= p.count else { return false }
            return u.suffix(p.count).elementsEqual(p)
        }
    }

    /// The first byte (not Character) of the string.
    @inlinable @inline(__always) public var firstByte: UInt8? { utf8.first }

    /// The text after `prefix`, or nil when it does not start with it.
    @inlinable @inline(__always)
    public func value(after prefix: StaticString) -> SubSequence? {
        // First byte first: nearly every call is a miss.
        guard let first = utf8.first, first == prefix.utf8Start.pointee, hasASCIIPrefix(prefix) else { return nil }
        return self[utf8.index(startIndex, offsetBy: prefix.utf8CodeUnitCount)...]
    }

    /// Surrounding whitespace removed; ASCII lines (nearly all) never touch Unicode tables.
    @inlinable public func trimmingWhitespace() -> String {
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

    @usableFromInline static func trimmingUnicode(_ s: Substring) -> String {
        // Bounds by scalar, then one slice: rebuilding the String scalar by scalar is slow.
        let scalars = s.unicodeScalars
        var start = scalars.startIndex, end = scalars.endIndex
        while start < end && scalars[start].properties.isWhitespace { start = scalars.index(after: start) }
        while end > start {
            let before = scalars.index(before: end)
            guard scalars[before].properties.isWhitespace else { break }
            end = before
        }
        return String(s[start..<end])
    }
}

#if canImport(Glibc)
import Glibc
#endif

// Concrete overloads: the generic versions above go through iterators that do not specialise
// well for the types the parsers use; these compare contiguous bytes with memcmp.
@usableFromInline @inline(__always)
func asciiPrefix<View: Collection>(_ utf8: View, _ prefix: StaticString) -> Bool where View.Element == UInt8 {
    let n = prefix.utf8CodeUnitCount
    if let result = utf8.withContiguousStorageIfAvailable({ buffer -> Bool in
        buffer.count >= n && (n == 0 || memcmp(buffer.baseAddress!, prefix.utf8Start, n) == 0)
    }) { return result }
    return utf8.starts(with: UnsafeBufferPointer(start: prefix.utf8Start, count: n))
}

extension Substring {
    /// The text after `prefix`, or nil when it does not start with it (contiguous bytes, memcmp).
    @inlinable @inline(__always)
    public func value(after prefix: StaticString) -> Substring? {
        guard let first = utf8.first, first == prefix.utf8Start.pointee, hasASCIIPrefix(prefix) else { return nil }
        return Substring(utf8[utf8.index(utf8.startIndex, offsetBy: prefix.utf8CodeUnitCount)...])
    }

    @inlinable @inline(__always)
    public func hasASCIIPrefix(_ prefix: StaticString) -> Bool { asciiPrefix(utf8, prefix) }
}

extension String {
    @inlinable @inline(__always)
    public func hasASCIIPrefix(_ prefix: StaticString) -> Bool { asciiPrefix(utf8, prefix) }
}

extension String {
    /// Whether `needle`'s UTF-8 occurs in this string's (memmem; `contains` on Strings compares
    /// grapheme by grapheme). An empty needle is always there.
    public func containsBytes(_ needle: String) -> Bool {
        var haystack = self, needle = needle
        return haystack.withUTF8 { h in
            needle.withUTF8 { n in ByteText.contains(n, in: h) }
        }
    }

    /// Whether the UTF-8 holds `byte` (memchr; `utf8.contains` walks an iterator).
    @inlinable @inline(__always)
    public func containsByte(_ byte: UInt8) -> Bool {
        var copy = self
        return copy.withUTF8 { b in
            guard let base = b.baseAddress, b.count > 0 else { return false }
            return memchr(base, Int32(byte), b.count) != nil
        }
    }
}

/// Reading valid UTF-8 by bytes, where the syntax is ASCII.
public enum ByteText {
    /// A String from a run of bytes cut at ASCII boundaries of valid UTF-8.
    @inlinable @inline(__always)
    public static func string(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        String(decoding: UnsafeBufferPointer(rebasing: b[range]), as: UTF8.self)
    }

    /// Whether any of the eight bytes of `word` equals `byte` (the classic zero-byte test on
    /// `word ^ byte×8`; exact for words of ASCII bytes, which is how callers use it).
    @inlinable @inline(__always)
    public static func hasByte(_ word: UInt64, _ byte: UInt8) -> Bool {
        let x = word ^ (0x0101_0101_0101_0101 &* UInt64(byte))
        return (x &- 0x0101_0101_0101_0101) & ~x & 0x8080_8080_8080_8080 != 0
    }

    /// Whether any of the eight bytes of `word` is below `limit` (at most 0x80; exact for words
    /// of ASCII bytes, which is how callers use it).
    @inlinable @inline(__always)
    public static func hasByteBelow(_ word: UInt64, _ limit: UInt8) -> Bool {
        (word &- 0x0101_0101_0101_0101 &* UInt64(limit)) & ~word & 0x8080_8080_8080_8080 != 0
    }

    @inlinable @inline(__always)
    public static func isTrimmable(_ c: UInt8) -> Bool { c == 0x20 || c == 0x09 || c == 0x0A || c == 0x0D || c == 0x0B || c == 0x0C }

    /// `range` without ASCII whitespace at either end.
    @inlinable @inline(__always)
    public static func trimmed(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Range<Int> {
        var lo = range.lowerBound, hi = range.upperBound
        while lo < hi && isTrimmable(b[lo]) { lo += 1 }
        while hi > lo && isTrimmable(b[hi - 1]) { hi -= 1 }
        return lo..<hi
    }

    /// `trimmingWhitespace()` of the bytes in `range`: ASCII whitespace by bytes, Unicode
    /// whitespace (rare: only possible at a non-ASCII end) through the String.
    public static func trimmedString(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        let r = trimmed(b, range)
        guard !r.isEmpty else { return "" }
        let s = string(b, r)
        return b[r.lowerBound] >= 0x80 || b[r.upperBound - 1] >= 0x80 ? s.trimmingWhitespace() : s
    }

    /// `Int(String)` of the bytes in `range`: an optional sign, then decimal digits, nil on
    /// overflow — without making the String.
    public static func integer(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var i = range.lowerBound
        let negative = i < range.upperBound && b[i] == 0x2D
        if i < range.upperBound && (b[i] == 0x2B || b[i] == 0x2D) { i += 1 }
        guard i < range.upperBound else { return nil }
        var value = 0
        while i < range.upperBound {
            guard ASCII.isDigit(b[i]) else { return nil }
            let digit = Int(b[i] - 0x30)
            let (shifted, overflow) = value.multipliedReportingOverflow(by: 10)
            let (next, overflow2) = negative ? shifted.subtractingReportingOverflow(digit) : shifted.addingReportingOverflow(digit)
            if overflow || overflow2 { return nil }
            value = next
            i += 1
        }
        return value
    }

    /// Whether `needle` occurs in `haystack` (an empty needle always does): memchr for the
    /// first byte, memcmp for the rest (Glibc's module hides memmem).
    public static func contains(_ needle: UnsafeBufferPointer<UInt8>, in haystack: UnsafeBufferPointer<UInt8>) -> Bool {
        guard needle.count > 0 else { return true }
        guard let hb = haystack.baseAddress, let nb = needle.baseAddress, haystack.count >= needle.count else { return false }
        var at = 0
        let last = haystack.count - needle.count
        while at <= last, let hit = memchr(hb + at, Int32(nb[0]), last - at + 1) {
            let i = hb.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            if memcmp(hb + i, nb, needle.count) == 0 { return true }
            at = i + 1
        }
        return false
    }

    /// Index of the first `byte` in `range`, or nil.
    @inlinable @inline(__always)
    public static func first(_ byte: UInt8, in b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        let hit = UnsafeBufferPointer(rebasing: b[range]).index(of: byte, from: 0)
        return hit < range.count ? range.lowerBound + hit : nil
    }

    /// Index of the last `byte` in `range`, or nil.
    @inlinable @inline(__always)
    public static func last(_ byte: UInt8, in b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> Int? {
        var k = range.upperBound
        while k > range.lowerBound {
            k -= 1
            if b[k] == byte { return k }
        }
        return nil
    }
}

extension StringProtocol {
    /// Empty, or nothing but whitespace: `trimmingWhitespace().isEmpty` without building the String.
    @inlinable public var isBlank: Bool {
        var sawNonASCII = false
        for b in utf8 {
            if b >= 0x80 { sawNonASCII = true; break }
            if !ByteText.isTrimmable(b) { return false }
        }
        return sawNonASCII ? trimmingWhitespace().isEmpty : true
    }
}

extension Substring {
    /// The UTF-8 bytes, contiguous (a native string's are; others are copied once).
    @inlinable @inline(__always)
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(utf8).withUnsafeBufferPointer(body)
    }
}

extension String {
    @inlinable @inline(__always)
    public func withBytes<R>(_ body: (UnsafeBufferPointer<UInt8>) -> R) -> R {
        if let result = utf8.withContiguousStorageIfAvailable(body) { return result }
        return Array(utf8).withUnsafeBufferPointer(body)
    }
}

extension Substring {
    /// The parts between occurrences of the ASCII `byte`, found by bytes (a Character-wise
    /// split of megabytes costs more than what is split; an ASCII separator always falls on a
    /// Character boundary). Empty parts are kept unless `keepingEmpty` is false.
    public func splitBytes(at byte: UInt8, keepingEmpty: Bool = true) -> [Substring] {
        var parts: [Substring] = []
        var start = utf8.startIndex
        while true {
            let end = utf8[start...].firstIndex(of: byte) ?? utf8.endIndex
            if keepingEmpty || end > start { parts.append(self[start..<end]) }
            if end == utf8.endIndex { return parts }
            start = utf8.index(after: end)
        }
    }

    /// Each non-empty line's text before its first tab and after it (a line without a tab is
    /// left out): the shape of every cache file `review` keeps.
    public func keyedLines() -> [(key: Substring, rest: Substring)] {
        splitBytes(at: 0x0A, keepingEmpty: false).compactMap { line in
            line.utf8.firstIndex(of: 0x09).map { (line[..<$0], line[line.utf8.index(after: $0)...]) }
        }
    }
}
