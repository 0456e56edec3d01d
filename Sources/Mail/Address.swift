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
        if let open = trimmed.lastIndex(of: "<"), let close = trimmed[open...].firstIndex(of: ">") {
            let email = trimmed[trimmed.index(after: open)..<close].trimmingWhitespace()
            var name = String(trimmed[..<open]) + String(trimmed[trimmed.index(after: close)...])
            name = cleanDisplayName(name)
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

    /// Removes surrounding quotes and quoted-pair backslashes; collapses whitespace.
    static func cleanDisplayName(_ raw: String) -> String {
        var out = ""
        var escaped = false
        for c in raw {
            if escaped {
                out.append(c)
                escaped = false
            } else if c == "\\" {
                escaped = true
            } else if c == "\"" {
                continue
            } else {
                out.append(c)
            }
        }
        return out.split(whereSeparator: { $0 == " " || $0 == "\t" }).joined(separator: " ")
    }
}
