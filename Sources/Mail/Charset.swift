import Foundation
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// Turns bytes in a named charset into a String. UTF-8, US-ASCII, ISO-8859-1/15 and Windows-1252
/// are decoded here (they cover nearly all patch mail); a few others through Foundation.
public enum Charset {
    public enum Outcome: Sendable, Equatable {
        case decoded
        /// The charset was not one we know; the bytes were read as UTF-8 or Windows-1252.
        case unknownCharset(String)
        /// The bytes were not valid in the named charset; read as Windows-1252 instead.
        case invalidBytes(String)
    }

    public static func normalizedName(_ name: String) -> String {
        // By bytes for ASCII names (all real ones): `utf-8` or `us-ascii` as written costs a
        // scan; anything else is trimmed, lower-cased and cut at an RFC 2231 `*` here.
        let ascii = name.withBytes { b -> String?? in
            var lowerCaseToken = true
            for c in b {
                if c >= 0x80 { return nil }
                if !((c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2D || c == 0x5F) { lowerCaseToken = false }
            }
            if lowerCaseToken { return .some(nil) }
            // Trimmed of spaces and tabs (`.whitespaces`), lower case, up to any `*`, unquoted.
            var r = 0..<b.count
            while !r.isEmpty && ASCII.isWhitespace(b[r.lowerBound]) { r = (r.lowerBound + 1)..<r.upperBound }
            while !r.isEmpty && ASCII.isWhitespace(b[r.upperBound - 1]) { r = r.lowerBound..<(r.upperBound - 1) }
            if let star = ByteText.first(0x2A, in: b, r) { r = r.lowerBound..<star }
            if r.count >= 2 && b[r.lowerBound] == 0x22 && b[r.upperBound - 1] == 0x22 { r = (r.lowerBound + 1)..<(r.upperBound - 1) }
            return .some(String(unsafeUninitializedCapacity: r.count) { out in
                for k in 0..<r.count { out[k] = ASCII.lower(b[r.lowerBound + k]) }
                return r.count
            })
        }
        switch ascii {
        case .some(.none): return name
        case .some(.some(let normalized)): return normalized
        case .none:
            var n = name.trimmingCharacters(in: .whitespaces).lowercased()
            if let star = n.firstIndex(of: "*") { n = String(n[..<star]) }  // RFC 2231 language suffix
            if n.hasPrefix("\"") && n.hasSuffix("\"") && n.count >= 2 { n = String(n.dropFirst().dropLast()) }
            return n
        }
    }

    public static func decode<C: Collection>(_ bytes: C, charset: String?) -> (String, Outcome)
    where C.Element == UInt8 {
        let name = charset.map(normalizedName) ?? "utf-8"
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "", "unicode-1-1-utf-7", "x-unknown", "unknown-8bit", "default":
            if let s = validUTF8(bytes) { return (s, .decoded) }
            let outcome: Outcome = (name == "utf-8" || name == "utf8") ? .invalidBytes(name) : .decoded
            return (windows1252(bytes), outcome)
        case _ where latin1Names.contains(name):
            return (latin1(bytes), .decoded)
        case _ where latin9Names.contains(name):
            return (latin9(bytes), .decoded)
        case _ where windows1252Names.contains(name):
            return (windows1252(bytes), .decoded)
        default:
            if let table = singleByteTable(name), let s = withBuffer(bytes, { decode($0, table: table) }) {
                return (s, .decoded)
            }
            if let encoding = foundationEncoding(name) {
                if let s = String(data: Data(bytes), encoding: encoding) { return (s, .decoded) }
                return (windows1252(bytes), .invalidBytes(name))
            }
            if let s = iconvDecode(Array(bytes), from: name) { return (s, .decoded) }
            if let s = validUTF8(bytes) { return (s, .unknownCharset(name)) }
            return (windows1252(bytes), .unknownCharset(name))
        }
    }

    /// `decode`, one line at a time, keeping what a patch needs: the bytes of every line whose
    /// text is not those bytes read as UTF-8 (by line index, without the `\n`). A line that is
    /// valid UTF-8 in a part that declares no charset, or UTF-8, or an ASCII name, is read as
    /// UTF-8 even when its neighbours are not (git writes no Content-Type for an ASCII message,
    /// whatever the diff holds: one tree-wide commit mixes UTF-8 and Latin-1 lines). The
    /// outcome is `decode`'s for the part as a whole.
    public static func decodeKeepingBytes<C: Collection>(_ bytes: C, charset: String?)
        -> (text: String, sent: [Int: [UInt8]], outcome: Outcome) where C.Element == UInt8 {
        let name = charset.map(normalizedName) ?? "utf-8"
        let all = Array(bytes)
        if let s = validUTF8(all), isUTF8Compatible(name) { return (s, [:], .decoded) }
        // ASCII in a charset whose ASCII is ASCII (Latin-1 mail with a plain-ASCII patch): every
        // line is its bytes, as the line by line reading below would find, one line at a time.
        if all.withUnsafeBufferPointer({ $0.isASCII }) {
            if readsASCIIAsItself(name) { return (String(decoding: all, as: UTF8.self), [:], .decoded) }
            // A charset nothing here knows (`charset=none` is common): `decode` reads valid
            // UTF-8 as such and says the name is unknown.
            if isUnknown(name) { return (String(decoding: all, as: UTF8.self), [:], .unknownCharset(name)) }
        }
        return decodeLineByLine(all, charset: charset, name: name)
    }

    /// `decodeKeepingBytes` without its shortcuts.
    static func decodeLineByLine(_ all: [UInt8], charset: String?, name: String)
        -> (text: String, sent: [Int: [UInt8]], outcome: Outcome) {
        // What the part as a whole says about its charset (unknown, violated), for the diagnostics.
        let outcome = decodesEveryByte(name) ? .decoded : decode(all, charset: charset).1
        var lines: [ArraySlice<UInt8>] = []
        var start = 0
        for (i, b) in all.enumerated() where b == ASCII.lf {
            lines.append(all[start..<i])
            start = i + 1
        }
        lines.append(all[start...])
        // The text is built as bytes and made a String once: appending line by line to a String
        // was most of the cost.
        var text: [UInt8] = []
        text.reserveCapacity(all.count + all.count / 8)
        var sent: [Int: [UInt8]] = [:]
        for (k, line) in lines.enumerated() {
            if k > 0 { text.append(ASCII.lf) }
            if line.withUnsafeBufferPointer({ $0.isASCII }) {
                text += line
                continue
            }
            var decoded: String
            if isUTF8Compatible(name), let s = validUTF8(line) {
                decoded = s
            } else {
                decoded = decode(line, charset: charset).0
            }
            decoded.withUTF8 { text += $0 }
            if !decoded.utf8.elementsEqual(line) { sent[k] = Array(line) }
        }
        return (String(decoding: text, as: UTF8.self), sent, outcome)
    }

    static let latin1Names: Set<String> = ["iso-8859-1", "iso8859-1", "latin1", "iso_8859-1", "l1", "iso-ir-100", "cp819"]
    static let latin9Names: Set<String> = ["iso-8859-15", "iso8859-15", "latin-9", "latin9", "iso_8859-15"]
    static let windows1252Names: Set<String> = ["windows-1252", "cp1252", "x-cp1252"]

    /// Charsets in which `decode` reads every byte, reporting nothing.
    static func decodesEveryByte(_ name: String) -> Bool {
        latin1Names.contains(name) || latin9Names.contains(name) || windows1252Names.contains(name)
    }

    /// Charsets `decode` reads ASCII bytes of as ASCII, reporting nothing: the single-byte ones
    /// it knows (their tables change only bytes from 0x80).
    static func readsASCIIAsItself(_ name: String) -> Bool {
        decodesEveryByte(name) || singleByteTable(name) != nil
    }

    /// Charsets no decoder here knows (`decode`'s last resort): not UTF-8's, no single-byte
    /// table, not Foundation's, not iconv's.
    static func isUnknown(_ name: String) -> Bool {
        !isUTF8Compatible(name) && !decodesEveryByte(name) && singleByteTable(name) == nil
            && foundationEncoding(name) == nil && !iconvOpens(name)
    }

    /// Whether iconv converts from `name`, asked once per name: a failed `iconv_open` searches
    /// glibc's module list, and a mail per part asks again.
    private static let iconvNames = Mutex<[String: Bool]>([:])

    static func iconvOpens(_ name: String) -> Bool {
        if let known = iconvNames.withLock({ $0[name] }) { return known }
        var opens = false
        #if canImport(Glibc)
        if name.utf8.allSatisfy({ $0 > 0x20 && $0 < 0x7F }) {
            let cd = iconv_open("UTF-8", name)
            if cd != iconv_t(bitPattern: -1) {
                opens = true
                iconv_close(cd)
            }
        }
        #endif
        iconvNames.withLock { $0[name] = opens }
        return opens
    }

    /// Charsets whose valid UTF-8 text is read as UTF-8 (see `decode`).
    static func isUTF8Compatible(_ name: String) -> Bool {
        switch name {
        case "utf-8", "utf8", "us-ascii", "ascii", "", "unicode-1-1-utf-7", "x-unknown", "unknown-8bit", "default": return true
        default: return false
        }
    }

    /// The bytes as a String when they are valid UTF-8 with no NUL and no CR (nothing for the
    /// general path to report or rewrite); nil otherwise.
    static func plainUTF8Text(_ bytes: ArraySlice<UInt8>) -> String? {
        bytes.withUnsafeBufferPointer { p -> String? in
            guard let base = p.baseAddress else { return "" }
            if memchr(base, 0, p.count) != nil || memchr(base, 0x0D, p.count) != nil { return nil }
            return String(validating: p, as: UTF8.self)
        }
    }

    static func validUTF8<C: Collection>(_ bytes: C) -> String? where C.Element == UInt8 {
        withBuffer(bytes) { String(validating: $0, as: UTF8.self) }
    }

    /// Latin-1 bytes are code points U+0000–U+00FF: encode them to UTF-8 directly.
    static func latin1<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        singleByte(bytes) { UInt32($0) }
    }

    static func latin9<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        singleByte(bytes) { b in
            switch b {
            case 0xA4: return 0x20AC
            case 0xA6: return 0x0160
            case 0xA8: return 0x0161
            case 0xB4: return 0x017D
            case 0xB8: return 0x017E
            case 0xBC: return 0x0152
            case 0xBD: return 0x0153
            case 0xBE: return 0x0178
            default: return UInt32(b)
            }
        }
    }

    /// Windows-1252's 0x80–0x9F; undefined positions map to the C1 control of the same value.
    private static let cp1252High: [UInt32] = [
        0x20AC, 0x81, 0x201A, 0x0192, 0x201E, 0x2026, 0x2020, 0x2021, 0x02C6, 0x2030, 0x0160, 0x2039, 0x0152, 0x8D,
        0x017D, 0x8F, 0x90, 0x2018, 0x2019, 0x201C, 0x201D, 0x2022, 0x2013, 0x2014, 0x02DC, 0x2122, 0x0161, 0x203A,
        0x0153, 0x9D, 0x017E, 0x0178,
    ]

    static func windows1252<C: Collection>(_ bytes: C) -> String where C.Element == UInt8 {
        singleByte(bytes) { b in b >= 0x80 && b <= 0x9F ? cp1252High[Int(b - 0x80)] : UInt32(b) }
    }

    /// A single-byte charset whose bytes from 0x80 map to BMP code points through `high`
    /// (ASCII is ASCII in all of them), encoded to UTF-8 in one pass.
    @inline(__always)
    static func singleByte<C: Collection>(_ bytes: C, high: (UInt8) -> UInt32) -> String where C.Element == UInt8 {
        withBuffer(bytes) { input in
            String(unsafeUninitializedCapacity: input.count * 3) { out in
                var n = 0
                var i = 0
                let count = input.count
                guard let from = input.baseAddress, let to = out.baseAddress else { return 0 }
                while i < count {
                    // Eight ASCII bytes at a time (nearly all of a patch mail is ASCII).
                    if i + 8 <= count {
                        let word = UnsafeRawPointer(from + i).loadUnaligned(as: UInt64.self)
                        if word & 0x8080_8080_8080_8080 == 0 {
                            UnsafeMutableRawPointer(to + n).storeBytes(of: word, as: UInt64.self)
                            i += 8
                            n += 8
                            continue
                        }
                    }
                    let b = from[i]
                    i += 1
                    if b < 0x80 {
                        out[n] = b
                        n += 1
                        continue
                    }
                    let value = high(b)
                    if value < 0x800 {
                        out[n] = UInt8(0xC0 | (value >> 6))
                        out[n + 1] = UInt8(0x80 | (value & 0x3F))
                        n += 2
                    } else {
                        out[n] = UInt8(0xE0 | (value >> 12))
                        out[n + 1] = UInt8(0x80 | ((value >> 6) & 0x3F))
                        out[n + 2] = UInt8(0x80 | (value & 0x3F))
                        n += 3
                    }
                }
                return n
            }
        }
    }

    /// Single-byte charsets whose upper half is read from glibc's iconv, once per process and
    /// charset, and then decoded here like Latin-1: converting through Foundation or iconv cost
    /// tens of thousands of instructions for every header word.
    static let singleByteCharsets: Set<String> = [
        "iso-8859-2", "iso8859-2", "latin2", "iso-8859-3", "iso8859-3", "iso-8859-4", "iso8859-4",
        "iso-8859-5", "iso8859-5", "iso-8859-6", "iso8859-6", "iso-8859-7", "iso8859-7", "iso-8859-8",
        "iso8859-8", "iso-8859-9", "iso8859-9", "latin5", "iso-8859-10", "iso8859-10", "iso-8859-13",
        "iso8859-13", "iso-8859-14", "iso8859-14", "iso-8859-16", "iso8859-16", "windows-1250", "cp1250",
        "windows-1251", "cp1251", "windows-1253", "cp1253", "windows-1254", "cp1254", "windows-1255",
        "cp1255", "windows-1256", "cp1256", "windows-1257", "cp1257", "koi8-r", "koi8-u", "cp866", "ibm866",
    ]

    /// Code points of bytes 0x80–0xFF per charset (`undefinedByte` where the charset has none);
    /// nil when iconv does not know the charset.
    private static let singleByteTables = Mutex<[String: [UInt32]?]>([:])
    static let undefinedByte: UInt32 = 0xFFFF_FFFF

    static func singleByteTable(_ name: String) -> [UInt32]? {
        guard singleByteCharsets.contains(name) else { return nil }
        if let known = singleByteTables.withLock({ $0[name] }) { return known }
        let table = readSingleByteTable(name)
        singleByteTables.withLock { $0[name] = table }
        return table
    }

    private static func readSingleByteTable(_ name: String) -> [UInt32]? {
        #if canImport(Glibc)
        let cd = iconv_open("UTF-8", name)
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        return (0x80...0xFF).map { (byte: Int) -> UInt32 in
            var input: [CChar] = [CChar(bitPattern: UInt8(byte))]
            var output = [CChar](repeating: 0, count: 8)
            var produced = -1
            input.withUnsafeMutableBufferPointer { inBuf in
                output.withUnsafeMutableBufferPointer { outBuf in
                    var inPtr = inBuf.baseAddress
                    var outPtr = outBuf.baseAddress
                    var inLeft = 1
                    var outLeft = outBuf.count
                    if iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1 && inLeft == 0 { produced = outBuf.count - outLeft }
                }
            }
            // Reset the converter's state after a failure, for the next byte.
            iconv(cd, nil, nil, nil, nil)
            guard produced > 0, let text = String(validating: output[0..<produced].map { UInt8(bitPattern: $0) }, as: UTF8.self),
                  text.unicodeScalars.count == 1, let scalar = text.unicodeScalars.first,
                  scalar.value >= 0x80, scalar.value <= 0xFFFF  // what `singleByte` encodes
            else { return undefinedByte }
            return scalar.value
        }
        #else
        return nil
        #endif
    }

    /// `bytes` through `table`, or nil when one of them is undefined in the charset.
    static func decode(_ bytes: UnsafeBufferPointer<UInt8>, table: [UInt32]) -> String? {
        var undefined = false
        let text = table.withUnsafeBufferPointer { high in
            singleByte(bytes) { b in
                let value = high[Int(b) - 0x80]
                if value == undefinedByte { undefined = true; return 0xFFFD }
                return value
            }
        }
        return undefined ? nil : text
    }

    /// The bytes as one contiguous buffer (copied only when the collection has none).
    @inline(__always)
    static func withBuffer<C: Collection, R>(_ bytes: C, _ body: (UnsafeBufferPointer<UInt8>) -> R) -> R where C.Element == UInt8 {
        if let result = bytes.withContiguousStorageIfAvailable(body) { return result }
        return Array(bytes).withUnsafeBufferPointer(body)
    }

    private static func foundationEncoding(_ name: String) -> String.Encoding? {
        switch name {
        case "iso-2022-jp", "csiso2022jp": return .iso2022JP
        case "shift_jis", "shift-jis", "sjis", "x-sjis", "cp932", "windows-31j": return .shiftJIS
        case "euc-jp", "eucjp", "x-euc-jp": return .japaneseEUC
        case "iso-8859-2", "iso8859-2", "latin2": return .isoLatin2
        case "windows-1250", "cp1250": return .windowsCP1250
        case "windows-1251", "cp1251": return .windowsCP1251
        case "windows-1253", "cp1253": return .windowsCP1253
        case "windows-1254", "cp1254": return .windowsCP1254
        case "utf-16": return .utf16
        case "utf-16be": return .utf16BigEndian
        case "utf-16le": return .utf16LittleEndian
        case "macintosh", "mac": return .macOSRoman
        default: return nil
        }
    }

    /// Any other charset glibc's iconv knows (ISO-8859-x, KOI8-R, GB2312, Big5, …).
    static func iconvDecode(_ bytes: [UInt8], from charset: String) -> String? {
        #if canImport(Glibc)
        guard iconvOpens(charset) else { return nil }
        let cd = iconv_open("UTF-8", charset)
        guard cd != iconv_t(bitPattern: -1) else { return nil }
        defer { iconv_close(cd) }
        var input = bytes
        var output = [UInt8](repeating: 0, count: bytes.count * 4 + 16)
        var produced = -1
        input.withUnsafeMutableBufferPointer { inBuf in
            output.withUnsafeMutableBufferPointer { outBuf in
                var inPtr = UnsafeMutableRawPointer(inBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var outPtr = UnsafeMutableRawPointer(outBuf.baseAddress)?.assumingMemoryBound(to: CChar.self)
                var inLeft = inBuf.count
                var outLeft = outBuf.count
                if inLeft == 0 { produced = 0; return }
                if iconv(cd, &inPtr, &inLeft, &outPtr, &outLeft) != -1 { produced = outBuf.count - outLeft }
            }
        }
        let ok = produced >= 0
        if ok { output.removeLast(output.count - produced) }
        guard ok else { return nil }
        return String(validating: output, as: UTF8.self)
        #else
        return nil
        #endif
    }
}

#if FUZZING
extension Charset {
    /// For `fuzz-mail`: the shortcuts of `decodeKeepingBytes` must give the line-by-line reading.
    public static func checkShortcuts(_ bytes: [UInt8], charset: String) {
        let fast = decodeKeepingBytes(bytes, charset: charset)
        let slow = decodeLineByLine(bytes, charset: charset, name: normalizedName(charset))
        precondition(fast.text == slow.text && fast.sent == slow.sent && fast.outcome == slow.outcome,
                     "decodeKeepingBytes' shortcut differs from the line-by-line reading for \(charset)")
    }
}
#endif
