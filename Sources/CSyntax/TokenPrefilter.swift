import Foundation

/// Cheap questions about which identifiers a file mentions, so a rule engine can skip files before
/// parsing them. Both functions are conservative: a name in a comment or string still counts.
public enum TokenPrefilter {
    /// Whether any of `names` occurs in `bytes` as a whole identifier (a name that starts or ends
    /// with punctuation, `.mmap`, is bounded only where it has identifier bytes). A byte search,
    /// no lexing: 32 positions at a time are tested against each name's first, second and last
    /// byte, and only the rare positions where all three match are compared in full.
    public static func mentionsAny(_ bytes: [UInt8], of names: [String]) -> Bool {
        let needles = names.map { Array($0.utf8) }.filter { !$0.isEmpty }
        return bytes.withUnsafeBufferPointer { p in
            CharClass.table.withUnsafeBufferPointer { table in
                mentionsAny(p, needles, table)
            }
        }
    }

    private static func mentionsAny(_ p: UnsafeBufferPointer<UInt8>, _ needles: [[UInt8]],
                                    _ table: UnsafeBufferPointer<UInt8>) -> Bool {
        guard let base = p.baseAddress, !needles.isEmpty else { return false }
        let n = p.count
        let longest = needles.map(\.count).max()!
        let wide = needles.allSatisfy { $0.count >= 2 }
        var i = 0
        if wide {
            let raw = UnsafeRawPointer(base)
            let firsts = needles.map { SIMD32<UInt8>(repeating: $0[0]) }
            let seconds = needles.map { SIMD32<UInt8>(repeating: $0[1]) }
            let lasts = needles.map { SIMD32<UInt8>(repeating: $0[$0.count - 1]) }
            while i + 32 + longest <= n {
                let a = raw.loadUnaligned(fromByteOffset: i, as: SIMD32<UInt8>.self)
                let b = raw.loadUnaligned(fromByteOffset: i + 1, as: SIMD32<UInt8>.self)
                for (k, needle) in needles.enumerated() {
                    let c = raw.loadUnaligned(fromByteOffset: i + needle.count - 1, as: SIMD32<UInt8>.self)
                    let mask = (a .== firsts[k]) .& (b .== seconds[k]) .& (c .== lasts[k])
                    // Lanes are all-ones or zero: read as four words, since the mask reduction
                    // (`any`) is not inlined and costs a call per block.
                    let w = unsafeBitCast(mask, to: SIMD4<UInt64>.self)
                    guard w[0] | w[1] | w[2] | w[3] != 0 else { continue }
                    for lane in 0..<32 where mask[lane] && matches(p, at: i + lane, needle, table) { return true }
                }
                i += 32
            }
        }
        while i < n {
            for needle in needles where matches(p, at: i, needle, table) { return true }
            i += 1
        }
        return false
    }

    @inline(__always)
    private static func matches(_ p: UnsafeBufferPointer<UInt8>, at at: Int, _ needle: [UInt8],
                                _ table: UnsafeBufferPointer<UInt8>) -> Bool {
        let m = needle.count
        guard at + m <= p.count else { return false }
        for k in 0..<m where p[at + k] != needle[k] { return false }
        if table[Int(needle[0])] & CharClass.identBody != 0, at > 0, table[Int(p[at - 1])] & CharClass.identBody != 0 {
            return false
        }
        if table[Int(needle[m - 1])] & CharClass.identBody != 0, at + m < p.count,
           table[Int(p[at + m])] & CharClass.identBody != 0 {
            return false
        }
        return true
    }

    /// The distinct identifiers (not keywords) appearing as tokens in the file.
    public static func identifiers(in bytes: [UInt8]) -> Set<String> {
        bytes.withUnsafeBufferPointer { p in
            let stream = Lexer.tokenize(p)
            var seen = Set<String>()
            for t in stream.tokens where t.kind == .identifier {
                seen.insert(String(decoding: UnsafeBufferPointer(rebasing: p[Int(t.offset)..<Int(t.offset + t.length)]),
                                   as: UTF8.self))
            }
            return seen
        }
    }

}
