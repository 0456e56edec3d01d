import CLibGit2

/// A full SHA-1 object id. Stored as three integers so that hashing and comparing are cheap in
/// hot loops (the base search compares thousands of ids).
public struct ObjectID: Hashable, Sendable, Comparable, CustomStringConvertible {
    var high: UInt64
    var middle: UInt64
    var low: UInt32

    init(_ oid: git_oid) {
        var copy = oid
        (high, middle, low) = withUnsafeBytes(of: &copy) { raw in
            (raw.loadUnaligned(fromByteOffset: 0, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 8, as: UInt64.self),
             raw.loadUnaligned(fromByteOffset: 16, as: UInt32.self))
        }
    }

    init(_ pointer: UnsafePointer<git_oid>) { self.init(pointer.pointee) }

    var oid: git_oid {
        var result = git_oid()
        withUnsafeMutableBytes(of: &result) { raw in
            raw.storeBytes(of: high, toByteOffset: 0, as: UInt64.self)
            raw.storeBytes(of: middle, toByteOffset: 8, as: UInt64.self)
            raw.storeBytes(of: low, toByteOffset: 16, as: UInt32.self)
        }
        return result
    }

    /// Parses 40 hexadecimal digits; nil for anything else (abbreviations included).
    public init?(hex: String) {
        let bytes = Array(hex.utf8)
        guard bytes.count == 40, bytes.allSatisfy({ ObjectID.hexValue($0) != nil }) else { return nil }
        var raw = [UInt8](repeating: 0, count: 20)
        for i in 0..<20 {
            raw[i] = ObjectID.hexValue(bytes[2 * i])! << 4 | ObjectID.hexValue(bytes[2 * i + 1])!
        }
        var result = git_oid()
        withUnsafeMutableBytes(of: &result) { $0.copyBytes(from: raw) }
        self.init(result)
    }

    static func hexValue(_ c: UInt8) -> UInt8? {
        switch c {
        case UInt8(ascii: "0")...UInt8(ascii: "9"): c - UInt8(ascii: "0")
        case UInt8(ascii: "a")...UInt8(ascii: "f"): c - UInt8(ascii: "a") + 10
        case UInt8(ascii: "A")...UInt8(ascii: "F"): c - UInt8(ascii: "A") + 10
        default: nil
        }
    }

    public var hex: String {
        var copy = oid
        let digits = Array("0123456789abcdef".utf8)
        var out = [UInt8]()
        out.reserveCapacity(40)
        withUnsafeBytes(of: &copy) { raw in
            for byte in raw.prefix(20) {
                out.append(digits[Int(byte >> 4)])
                out.append(digits[Int(byte & 15)])
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    /// The usual 7-digit abbreviation.
    public var short: String { String(hex.prefix(7)) }

    public var description: String { hex }

    /// Whether `abbreviation` (hex digits, any case, any length up to 40) is a prefix of this id.
    public func matches(abbreviation: String) -> Bool {
        let wanted = abbreviation.lowercased()
        return !wanted.isEmpty && hex.hasPrefix(wanted)
    }

    /// Whether a string is a plausible (possibly abbreviated) hexadecimal object id.
    public static func isHexAbbreviation(_ s: String) -> Bool {
        (4...40).contains(s.utf8.count) && s.utf8.allSatisfy { hexValue($0) != nil }
    }

    public static func < (a: ObjectID, b: ObjectID) -> Bool { a.hex < b.hex }
}

/// An abbreviated id (`c641edf`), parsed once so that comparing it with many full ids does not
/// format those ids as text.
public struct AbbreviatedObjectID: Hashable, Sendable, CustomStringConvertible {
    /// The digits as nibbles, 4 to 40 of them.
    let nibbles: [UInt8]
    public let text: String

    public init?(_ text: String) {
        guard ObjectID.isHexAbbreviation(text) else { return nil }
        nibbles = text.utf8.map { ObjectID.hexValue($0)! }
        self.text = text.lowercased()
    }

    public var description: String { text }
}

extension ObjectID {
    /// Whether the abbreviation is a prefix of this id.
    public func matches(_ abbreviation: AbbreviatedObjectID) -> Bool {
        var copy = oid
        return withUnsafeBytes(of: &copy) { raw in
            for (k, nibble) in abbreviation.nibbles.enumerated() {
                let byte = raw[k / 2]
                if (k % 2 == 0 ? byte >> 4 : byte & 15) != nibble { return false }
            }
            return true
        }
    }
}
