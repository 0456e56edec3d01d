#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Byte-level helpers for the hot paths: mail is bytes until we know its charset.
public enum ASCII {
    public static let lf: UInt8 = 0x0A
    public static let cr: UInt8 = 0x0D
    public static let space: UInt8 = 0x20
    public static let tab: UInt8 = 0x09
    public static let colon: UInt8 = 0x3A
    public static let equals: UInt8 = 0x3D
    public static let greater: UInt8 = 0x3E

    @inlinable @inline(__always) public static func isDigit(_ b: UInt8) -> Bool { b >= 0x30 && b <= 0x39 }
    @inlinable @inline(__always) public static func isWhitespace(_ b: UInt8) -> Bool { b == space || b == tab }
    @inlinable @inline(__always) public static func lower(_ b: UInt8) -> UInt8 { (b >= 0x41 && b <= 0x5A) ? b | 0x20 : b }
    @inlinable @inline(__always) public static func hexValue(_ b: UInt8) -> UInt8? {
        switch b {
        case 0x30...0x39: return b - 0x30
        case 0x41...0x46: return b - 0x41 + 10
        case 0x61...0x66: return b - 0x61 + 10
        default: return nil
        }
    }
}

extension UnsafeBufferPointer where Element == UInt8 {
    /// Every byte is below 0x80, read eight at a time.
    @inlinable public var isASCII: Bool {
        guard let base = baseAddress else { return true }
        let raw = UnsafeRawBufferPointer(start: base, count: count)
        var high: UInt64 = 0
        var k = 0
        while k + 8 <= count {
            high |= raw.loadUnaligned(fromByteOffset: k, as: UInt64.self)
            k += 8
        }
        while k < count {
            high |= UInt64(base[k])
            k += 1
        }
        return high & 0x8080_8080_8080_8080 == 0
    }

    /// Index of the next `byte` at or after `from`, or `count`.
    @inlinable @inline(__always) public func index(of byte: UInt8, from: Int) -> Int {
        guard from < count, let base = baseAddress else { return count }
        guard let hit = memchr(base + from, Int32(byte), count - from) else { return count }
        return base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
    }
}
