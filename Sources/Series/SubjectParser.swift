import Mail

/// Reads subjects the way patchwork and b4 do: `Re:`/`Aw:`/`Fwd:` markers, then bracketed
/// prefixes such as `[PATCH net-next v2 03/12]`, `[RFC PATCH]`, `[PATCH RESEND]`, `[PATCHv3]`.
public enum SubjectParser {
    static let replyMarkers = ["re", "aw", "fwd", "fw", "sv", "antw", "vs", "odp", "wg"]

    public static func parse(_ subject: String) -> SubjectInfo {
        var subject = subject
        // By bytes: the prefix syntax is ASCII; words become Strings only where they are kept.
        // Surrounding whitespace is ASCII but for a rare Unicode space, read from the trimmed String.
        if let info = subject.withUTF8({ b -> SubjectInfo? in
            let r = ByteText.trimmed(b, 0..<b.count)
            if !r.isEmpty && (b[r.lowerBound] >= 0x80 || b[r.upperBound - 1] >= 0x80) { return nil }
            return parse(b, r)
        }) { return info }
        var trimmed = subject.trimmingWhitespace()
        return trimmed.withUTF8 { parse($0, 0..<$0.count) }
    }

    /// `parse` of the bytes in `range`, which have no whitespace at either end.
    private static func parse(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> SubjectInfo {
        var info = SubjectInfo(
            title: "", isReply: false, isPatch: false, isRFC: false,
            isResend: false, version: "1", versionGiven: false, number: nil, total: nil, tags: [])
        // No bracket and no colon in the first few bytes: no prefix and no reply marker to read.
        if ByteText.first(0x5B, in: b, range) == nil,
           ByteText.first(0x3A, in: b, range.lowerBound..<min(range.lowerBound + 7, range.upperBound)) == nil {
            info.title = ByteText.string(b, range)
            return info
        }
        let n = range.upperBound
        var p = range.lowerBound
        while true {
            // git mailinfo drops colons between prefixes too: `[Patch]: Fix …`.
            while p < n && (b[p] == 0x20 || b[p] == 0x09 || b[p] == 0x3A) { p += 1 }
            if let marker = replyMarker(b, at: p) {
                info.isReply = true
                p += marker
                continue
            }
            if p < n && b[p] == 0x5B, let close = ByteText.first(0x5D, in: b, p..<n) {
                // Each word as it is found: no list of them to allocate.
                var w = p + 1
                while w < close {
                    while w < close && (b[w] == 0x20 || b[w] == 0x09 || b[w] == 0x2C) { w += 1 }
                    let start = w
                    while w < close && !(b[w] == 0x20 || b[w] == 0x09 || b[w] == 0x2C) { w += 1 }
                    if w > start { read(b, start..<w, into: &info) }
                }
                p = close + 1
                continue
            }
            break
        }
        info.title = ByteText.trimmedString(b, p..<n)
        return info
    }

    /// One word of a bracketed prefix.
    private static func read(_ b: UnsafeBufferPointer<UInt8>, _ word: Range<Int>, into info: inout SubjectInfo) {
        if equalsIgnoringCase(b, word, "PATCH") || equalsIgnoringCase(b, word, "PATCHES") {
            info.isPatch = true
        } else if word.count > 5 && equalsIgnoringCase(b, word.lowerBound..<word.lowerBound + 5, "PATCH"),
                  let version = versionNumber(b, (word.lowerBound + 5)..<word.upperBound) {
            info.isPatch = true
            info.version = version
            info.versionGiven = true
        } else if equalsIgnoringCase(b, word, "RFC") {
            info.isRFC = true
        } else if equalsIgnoringCase(b, word, "RESEND") {
            info.isResend = true
        } else if let version = versionNumber(b, word) {
            info.version = version
            info.versionGiven = true
        } else if let slash = ByteText.first(0x2F, in: b, word),
                  let n = ByteText.integer(b, word.lowerBound..<slash),
                  let m = ByteText.integer(b, (slash + 1)..<word.upperBound) {
            info.number = n
            info.total = m
        } else {
            info.tags.append(ByteText.string(b, word))
        }
    }

    static func equalsIgnoringCase(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>, _ upper: StaticString) -> Bool {
        guard range.count == upper.utf8CodeUnitCount else { return false }
        let u = upper.utf8Start
        for k in 0..<range.count {
            let c = b[range.lowerBound + k]
            if ((c >= 0x61 && c <= 0x7A) ? c - 0x20 : c) != u[k] { return false }
        }
        return true
    }

    /// `v3`, `V3`, `v3.2` → "3", "3.2".
    static func versionNumber(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String? {
        guard range.count >= 2, b[range.lowerBound] == 0x76 || b[range.lowerBound] == 0x56 else { return nil }
        let digits = (range.lowerBound + 1)..<range.upperBound
        guard ASCII.isDigit(b[digits.lowerBound]), b[digits.upperBound - 1] != 0x2E,
              digits.allSatisfy({ ASCII.isDigit(b[$0]) || b[$0] == 0x2E }) else { return nil }
        return ByteText.string(b, digits)
    }

    /// Length of a reply marker such as `Re:` or `AW:` at `start`, or nil.
    static func replyMarker(_ b: UnsafeBufferPointer<UInt8>, at start: Int) -> Int? {
        guard let colon = ByteText.first(0x3A, in: b, start..<min(start + 6, b.count)), colon > start,
              colon - start <= 4 else { return nil }
        // The word, lower-cased, packed into an integer with its length (every marker is 2 to 4 letters).
        var word: UInt64 = 0
        for k in start..<colon { word = word << 8 | UInt64(ASCII.lower(b[k])) }
        word |= UInt64(colon - start) << 32
        guard replyMarkerWords.contains(word) else { return nil }
        return colon - start + 1
    }

    /// `replyMarkers` packed as `replyMarker` packs the word it reads.
    static let replyMarkerWords: [UInt64] = replyMarkers.map {
        $0.utf8.reduce(UInt64(0)) { $0 << 8 | UInt64($1) } | UInt64($0.utf8.count) << 32
    }
}
