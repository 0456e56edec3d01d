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
        let trimmed = text.trimmingWhitespace()
        guard !trimmed.isEmpty else { return nil }
        if let open = trimmed.utf8.lastIndex(of: 0x3C), let close = trimmed.utf8[open...].firstIndex(of: 0x3E) {
            let email = trimmed[trimmed.index(after: open)..<close].trimmingWhitespace()
            let after = trimmed.index(after: close)
            // Nearly always nothing follows the address: no concatenation then.
            let name = cleanDisplayName(after == trimmed.endIndex ? String(trimmed[..<open])
                                        : String(trimmed[..<open]) + String(trimmed[after...]))
            return Person(name: name, email: email)
        }
        // `addr (Name)`: the comment is the name.
        if let open = trimmed.firstIndex(of: "("), let close = trimmed.lastIndex(of: ")"), open < close {
            let email = trimmed[..<open].trimmingWhitespace()
            let name = cleanDisplayName(String(trimmed[trimmed.index(after: open)..<close]))
            if email.contains("@") { return Person(name: name, email: email) }
        }
        if trimmed.contains("@") && !trimmed.contains(" ") { return Person(name: "", email: trimmed) }
        return Person(name: cleanDisplayName(trimmed), email: "")
    }

    /// Removes the quotes of quoted strings (unescaping `\"` inside them); comments in
    /// parentheses stay as written, quotes included, as git mailinfo keeps them. Whitespace runs
    /// collapse to one space.
    static func cleanDisplayName(_ raw: String) -> String {
        // Nothing quoted, escaped or in comments, and single spaces: the name as written, trimmed.
        let utf8 = raw.utf8
        var start = utf8.startIndex, end = utf8.endIndex
        while start < end && (utf8[start] == 0x20 || utf8[start] == 0x09) { start = utf8.index(after: start) }
        while end > start, case let b = utf8[utf8.index(before: end)], b == 0x20 || b == 0x09 { end = utf8.index(before: end) }
        var previousWasSpace = false
        var plain = true
        for b in utf8[start..<end] {
            if b == 0x22 || b == 0x5C || b == 0x28 || b == 0x29 || b == 0x09 || (b == 0x20 && previousWasSpace) {
                plain = false
                break
            }
            previousWasSpace = b == 0x20
        }
        if plain { return String(raw[start..<end]) }
        var out = ""
        var inQuotes = false
        var depth = 0
        var escaped = false
        for c in raw {
            if escaped {
                out.append(c)
                escaped = false
                continue
            }
            if c == "\\" && (inQuotes || depth > 0) {
                escaped = true
                continue
            }
            if inQuotes {
                if c == "\"" { inQuotes = false } else { out.append(c) }
                continue
            }
            switch c {
            case "\"" where depth == 0: inQuotes = true
            case "(": depth += 1; out.append(c)
            case ")": depth = max(0, depth - 1); out.append(c)
            default: out.append(c)
            }
        }
        return out.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
