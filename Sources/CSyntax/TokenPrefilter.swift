import Foundation

/// Cheap questions about which identifiers a file mentions, so a rule engine can skip files before
/// parsing them. Both functions are conservative: a name in a comment or string still counts.
public enum TokenPrefilter {
    /// Whether any of `names` occurs in `bytes` as a whole identifier. A byte search, no lexing.
    public static func mentionsAny(_ bytes: [UInt8], of names: [String]) -> Bool {
        let needles = names.map { Array($0.utf8) }.filter { !$0.isEmpty }
        return bytes.withUnsafeBufferPointer { p in
            CharClass.table.withUnsafeBufferPointer { table in
                for needle in needles where contains(p, needle, table) { return true }
                return false
            }
        }
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

    private static func contains(_ p: UnsafeBufferPointer<UInt8>, _ needle: [UInt8],
                                 _ table: UnsafeBufferPointer<UInt8>) -> Bool {
        let n = p.count, m = needle.count
        if m > n { return false }
        let first = needle[0]
        guard let base = p.baseAddress else { return false }
        var i = 0
        while i + m <= n {
            guard let hit = memchr(base + i, Int32(first), n - m - i + 1) else { return false }
            let at = base.distance(to: hit.assumingMemoryBound(to: UInt8.self))
            var k = 1
            while k < m && p[at + k] == needle[k] { k += 1 }
            if k == m {
                let before = at == 0 ? 0 : table[Int(p[at - 1])] & CharClass.identBody
                let after = at + m >= n ? 0 : table[Int(p[at + m])] & CharClass.identBody
                if before == 0 && after == 0 { return true }
            }
            i = at + 1
        }
        return false
    }
}
