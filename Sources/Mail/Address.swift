/// A person as mail names them: display name and address.
public struct Person: Sendable, Hashable, Codable {
    public var name: String
    public var email: String

    public init(name: String, email: String) {
        self.name = name
        self.email = email
    }

    /// `Name <email>`, the form trailers and git use.
    public var formatted: String {
        if name.isEmpty { return email.isEmpty ? "" : "<\(email)>" }
        return email.isEmpty ? name : "\(name) <\(email)>"
    }

    /// Parses `Name <addr>`, `"Quoted, Name" <addr>`, `addr (Name)` and bare `addr`.
    /// Web archives obfuscate addresses (`[email protected]`); such an address is kept as written.
    public static func parse(_ text: String) -> Person? {
        var text = text
        return text.withUTF8(parse)
    }

    /// `parse` of a value's bytes. By bytes: every delimiter is ASCII, so cutting there keeps the
    /// UTF-8 valid. Surrounding whitespace is ASCII but for a rare Unicode space, which takes the
    /// String path.
    public static func parse(_ b: UnsafeBufferPointer<UInt8>) -> Person? {
        let r = ByteText.trimmed(b, 0..<b.count)
        if r.isEmpty { return nil }
        if b[r.lowerBound] < 0x80 && b[r.upperBound - 1] < 0x80 { return parse(b, r) }
        var trimmed = String(decoding: b, as: UTF8.self).trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        return trimmed.withUTF8 { parse($0, 0..<$0.count) }
    }

    /// `parse` of the bytes in `all`, which are trimmed and not empty.
    private static func parse(_ b: UnsafeBufferPointer<UInt8>, _ all: Range<Int>) -> Person {
        if let open = ByteText.last(0x3C, in: b, all), let close = ByteText.first(0x3E, in: b, open..<all.upperBound) {
            let email = ByteText.trimmedString(b, (open + 1)..<close)
            // Nearly always nothing follows the address: the name is read in place then.
            if close + 1 == all.upperBound { return Person(name: cleanDisplayName(b, all.lowerBound..<open), email: email) }
            let name = ByteText.string(b, all.lowerBound..<open) + ByteText.string(b, (close + 1)..<all.upperBound)
            return Person(name: cleanDisplayName(name), email: email)
        }
        // `addr (Name)`: the comment is the name.
        if let open = ByteText.first(0x28, in: b, all), let close = ByteText.last(0x29, in: b, all), open < close {
            let email = ByteText.trimmedString(b, all.lowerBound..<open)
            if email.containsByte(0x40) {
                return Person(name: cleanDisplayName(b, (open + 1)..<close), email: email)
            }
        }
        let string = ByteText.string(b, all)
        if ByteText.first(0x40, in: b, all) != nil && ByteText.first(0x20, in: b, all) == nil {
            return Person(name: "", email: string)
        }
        return Person(name: cleanDisplayName(b, all), email: "")
    }

    /// Removes the quotes of quoted strings (unescaping `\"` inside them); comments in
    /// parentheses stay as written, quotes included, as git mailinfo keeps them. Whitespace runs
    /// collapse to one space.
    static func cleanDisplayName(_ raw: String) -> String {
        var raw = raw
        return raw.withUTF8 { cleanDisplayName($0, 0..<$0.count) }
    }

    static func cleanDisplayName(_ b: UnsafeBufferPointer<UInt8>, _ range: Range<Int>) -> String {
        do {
            // Nothing quoted, escaped or in comments, and single spaces: the name as written, trimmed.
            var start = range.lowerBound, end = range.upperBound
            while start < end && (b[start] == 0x20 || b[start] == 0x09) { start += 1 }
            while end > start && (b[end - 1] == 0x20 || b[end - 1] == 0x09) { end -= 1 }
            var previousWasSpace = false
            var plain = true
            for k in start..<end {
                let c = b[k]
                if c == 0x22 || c == 0x5C || c == 0x28 || c == 0x29 || c == 0x09 || (c == 0x20 && previousWasSpace) {
                    plain = false
                    break
                }
                previousWasSpace = c == 0x20
            }
            if plain { return ByteText.string(b, start..<end) }
            // By bytes, like the Character-level reading it replaces: the specials are ASCII, and
            // the bytes of a multi-byte character pass through one by one.
            var out: [UInt8] = []
            out.reserveCapacity(range.count)
            var pendingSpace = false
            func emit(_ c: UInt8) {
                if c == 0x20 || c == 0x09 {
                    pendingSpace = !out.isEmpty
                } else {
                    if pendingSpace { out.append(0x20); pendingSpace = false }
                    out.append(c)
                }
            }
            var inQuotes = false
            var depth = 0
            var escaped = false
            for c in UnsafeBufferPointer(rebasing: b[range]) {
                if escaped {
                    emit(c)
                    escaped = false
                    continue
                }
                if c == 0x5C && (inQuotes || depth > 0) {
                    escaped = true
                    continue
                }
                if inQuotes {
                    if c == 0x22 { inQuotes = false } else { emit(c) }
                    continue
                }
                switch c {
                case 0x22 where depth == 0: inQuotes = true
                case 0x28: depth += 1; emit(c)
                case 0x29: depth = max(0, depth - 1); emit(c)
                default: emit(c)
                }
            }
            return String(decoding: out, as: UTF8.self)
        }
    }
}

/// An address header's entries (`To:`, `Cc:`): split at the commas that are not inside quotes,
/// angle brackets or comments, each trimmed, groups' names dropped.
public enum AddressList {
    public static func split(_ value: String) -> [String] {
        var out: [String] = []
        var current = ""
        var quoted = false, angle = 0, comment = 0
        var escaped = false
        for c in value {
            if escaped { current.append(c); escaped = false; continue }
            switch c {
            case "\\" where quoted: escaped = true
            case "\"": quoted.toggle()
            case "<" where !quoted: angle += 1
            case ">" where !quoted: angle = max(0, angle - 1)
            case "(" where !quoted: comment += 1
            case ")" where !quoted: comment = max(0, comment - 1)
            case ",", ";":
                if !quoted && angle == 0 && comment == 0 {
                    out.append(current)
                    current = ""
                    continue
                }
            case ":" where !quoted && angle == 0 && comment == 0:
                current = ""  // `group:` — the name is not an address
                continue
            default: break
            }
            current.append(c)
        }
        out.append(current)
        return out.map { $0.trimmingCharacters(in: .whitespacesAndNewlines) }.filter { !$0.isEmpty }
    }
}
