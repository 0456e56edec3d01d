/// git's base85 (`base85.c`), the form binary patches travel in: each line starts with its
/// decoded length (`A`–`Z` for 1–26 bytes, `a`–`z` for 27–52), then 5 characters for every
/// 4 bytes.
enum Base85 {
    static let alphabet = Array("0123456789ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz!#$%&()*+-;<=>?@^_`{|}~".utf8)
    static let values: [Int8] = {
        var table = [Int8](repeating: -1, count: 256)
        for (k, c) in alphabet.enumerated() { table[Int(c)] = Int8(k) }
        return table
    }()

    /// One line's bytes, or nil when the line is not base85 of the length it names.
    static func decodeLine(_ line: UnsafeBufferPointer<UInt8>) -> [UInt8]? {
        guard let first = line.first else { return nil }
        let length: Int
        switch first {
        case 0x41...0x5A: length = Int(first - 0x41) + 1
        case 0x61...0x7A: length = Int(first - 0x61) + 27
        default: return nil
        }
        let encoded = line.count - 1
        guard encoded % 5 == 0, encoded / 5 * 4 >= length, encoded / 5 * 4 - length < 4 else { return nil }
        var out: [UInt8] = []
        out.reserveCapacity(encoded / 5 * 4)
        var i = 1
        while i < line.count {
            var value: UInt64 = 0
            for k in 0..<5 {
                let v = values[Int(line[i + k])]
                guard v >= 0 else { return nil }
                value = value * 85 + UInt64(v)
            }
            guard value <= 0xFFFF_FFFF else { return nil }
            out += [UInt8(value >> 24 & 0xFF), UInt8(value >> 16 & 0xFF), UInt8(value >> 8 & 0xFF), UInt8(value & 0xFF)]
            i += 5
        }
        return Array(out.prefix(length))
    }
}
