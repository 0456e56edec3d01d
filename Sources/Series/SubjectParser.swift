import Mail

/// Reads subjects the way patchwork and b4 do: `Re:`/`Aw:`/`Fwd:` markers, then bracketed
/// prefixes such as `[PATCH net-next v2 03/12]`, `[RFC PATCH]`, `[PATCH RESEND]`, `[PATCHv3]`.
public enum SubjectParser {
    static let replyMarkers = ["re", "aw", "fwd", "fw", "sv", "antw", "vs", "odp", "wg"]

    public static func parse(_ subject: String) -> SubjectInfo {
        let trimmed = subject.trimmingWhitespace()
        // No bracket and no colon in the first few bytes: no prefix and no reply marker to read.
        if !trimmed.utf8.contains(0x5B), !trimmed.utf8.prefix(7).contains(0x3A), trimmed.utf8.first != 0x3A {
            return SubjectInfo(title: trimmed, isReply: false, isPatch: false, isRFC: false, isResend: false,
                               version: "1", versionGiven: false, number: nil, total: nil, tags: [])
        }
        var rest = Substring(trimmed)
        var isReply = false
        var words: [Substring] = []
        var sawBracket = false
        while true {
            // git mailinfo drops colons between prefixes too: `[Patch]: Fix …`.
            rest = rest.drop(while: { $0 == " " || $0 == "\t" || $0 == ":" })
            if let marker = replyMarker(rest) {
                isReply = true
                rest = rest.dropFirst(marker)
                continue
            }
            if rest.first == "[", let close = rest.firstIndex(of: "]") {
                let inside = rest[rest.index(after: rest.startIndex)..<close]
                words.append(contentsOf: inside.split(whereSeparator: { $0 == " " || $0 == "\t" || $0 == "," }))
                sawBracket = true
                rest = rest[rest.index(after: close)...]
                continue
            }
            break
        }
        var info = SubjectInfo(
            title: String(rest).trimmingWhitespace(), isReply: isReply, isPatch: false, isRFC: false,
            isResend: false, version: "1", versionGiven: false, number: nil, total: nil, tags: [])
        for word in words {
            let upper = word.utf8.allSatisfy { $0 < 0x80 }
                ? String(decoding: word.utf8.map { ($0 >= 0x61 && $0 <= 0x7A) ? $0 - 0x20 : $0 }, as: UTF8.self)
                : word.uppercased()
            if upper == "PATCH" || upper == "PATCHES" {
                info.isPatch = true
            } else if upper.hasASCIIPrefix("PATCH"), let version = versionNumber(word.dropFirst(5)) {
                info.isPatch = true
                info.version = version
                info.versionGiven = true
            } else if upper == "RFC" {
                info.isRFC = true
            } else if upper == "RESEND" {
                info.isResend = true
            } else if let version = versionNumber(word) {
                info.version = version
                info.versionGiven = true
            } else if let slash = word.firstIndex(of: "/"),
                      let n = Int(word[..<slash]), let m = Int(word[word.index(after: slash)...]) {
                info.number = n
                info.total = m
            } else {
                info.tags.append(String(word))
            }
        }
        if !sawBracket { info.tags = [] }
        return info
    }

    /// `v3`, `V3`, `v3.2` → "3", "3.2".
    static func versionNumber(_ word: Substring) -> String? {
        guard let first = word.first, first == "v" || first == "V" else { return nil }
        let digits = word.dropFirst()
        guard let head = digits.first, head.isNumber,
              digits.allSatisfy({ $0.isNumber || $0 == "." }), !digits.hasASCIISuffix(".")
        else { return nil }
        return String(digits)
    }

    /// Length of a reply marker such as `Re:` or `AW:` at the start, or nil.
    static func replyMarker(_ s: Substring) -> Int? {
        guard let colonByte = s.utf8.prefix(6).firstIndex(of: 0x3A) else { return nil }
        let colon = String.Index(colonByte, within: s) ?? s.startIndex
        guard colon > s.startIndex else { return nil }
        let word = s[..<colon].lowercased()
        guard replyMarkers.contains(word) else { return nil }
        return s.distance(from: s.startIndex, to: colon) + 1
    }
}

