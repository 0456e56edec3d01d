import Foundation

/// `.spw-review.toml` at a tree's root: the user's additions to the model. A small TOML subset
/// (arrays of tables, basic and literal strings, integers, booleans, comments) — all this file
/// needs. Read by hand on purpose: TOMLKit 0.6.0 (toml++) aborts on an assertion for malformed
/// input that the fuzz target found within a minute, and leaks every document it parses; a
/// user's file must never crash the tool. Unknown tables and keys, missing keys, duplicate keys
/// and values of the wrong type are errors naming the file and line:
///
///     [[wait]]                        # a filesystem's private writeback wait
///     function = "fuse_wait_on_page_writeback"
///     argument = -1                   # which argument is the page; -1: the page in question
///     reason = "waits on fuse's own writeback list, not PG_writeback"
///
///     [[not-applicable]]
///     function-prefix = "foo_"        # and/or path-prefix = "drivers/foo/"
///     reason = "device memory"
///
///     [[suppress]]
///     rule = "stable-pages/mkwrite-without-wait"
///     function = "ext4_page_mkwrite"
///     reason = "tracked upstream, see <link>"
public struct UserConfiguration: Sendable {
    public var waits: [ModelEntry] = []
    public var notApplicable: [NotApplicable] = []
    public var suppressions: [StablePageModel.Suppression] = []
    public var path: String?

    public static let fileName = ".spw-review.toml"

    public struct ConfigError: Error, CustomStringConvertible {
        public var file: String
        public var line: Int
        public var message: String
        public var description: String { "\(file):\(line): error: \(message)" }
    }

    public init() {}

    /// Reads `<root>/.spw-review.toml` when it exists.
    public static func load(treeRoot: String) throws -> UserConfiguration {
        let path = (treeRoot as NSString).appendingPathComponent(fileName)
        guard let data = FileManager.default.contents(atPath: path) else { return UserConfiguration() }
        return try parse(String(decoding: data, as: UTF8.self), file: path)
    }

    public static func parse(_ text: String, file: String) throws -> UserConfiguration {
        var config = UserConfiguration()
        config.path = file
        var tables: [(name: String, line: Int, values: [String: (Any, Int)])] = []
        // "\r\n" is one Character to Swift: a file saved with CRLF endings would be one line.
        let lines = text.replacingOccurrences(of: "\r\n", with: "\n").split(separator: "\n", omittingEmptySubsequences: false)
        for (index, raw) in lines.enumerated() {
            let line = index + 1
            let content = stripComment(String(raw)).trimmingCharacters(in: .whitespaces)
            if content.isEmpty { continue }
            if content.hasPrefix("[[") {
                guard content.hasSuffix("]]") else { throw ConfigError(file: file, line: line, message: "expected ]] to close the table name") }
                let name = String(content.dropFirst(2).dropLast(2)).trimmingCharacters(in: .whitespaces)
                guard ["wait", "not-applicable", "suppress"].contains(name) else {
                    throw ConfigError(file: file, line: line, message: "unknown table [[\(name)]] (known: wait, not-applicable, suppress)")
                }
                tables.append((name, line, [:]))
                continue
            }
            guard let eq = content.firstIndex(of: "=") else {
                throw ConfigError(file: file, line: line, message: "expected key = value")
            }
            guard !tables.isEmpty else { throw ConfigError(file: file, line: line, message: "key outside a [[table]]") }
            let key = content[..<eq].trimmingCharacters(in: .whitespaces)
            let valueText = content[content.index(after: eq)...].trimmingCharacters(in: .whitespaces)
            let value: Any
            if valueText.hasPrefix("'") {
                // A literal string: no escapes.
                guard valueText.count >= 2, valueText.hasSuffix("'") else {
                    throw ConfigError(file: file, line: line, message: "unterminated string")
                }
                value = String(valueText.dropFirst().dropLast())
            } else if valueText.hasPrefix("\"") {
                value = try basicString(valueText, file: file, line: line)
            } else if let i = Int(valueText) {
                value = i
            } else if valueText == "true" || valueText == "false" {
                value = valueText == "true"
            } else {
                throw ConfigError(file: file, line: line, message: "cannot read value '\(valueText)' (strings need quotes)")
            }
            if tables[tables.count - 1].values[key] != nil {
                throw ConfigError(file: file, line: line, message: "duplicate key '\(key)' in [[\(tables[tables.count - 1].name)]]")
            }
            tables[tables.count - 1].values[key] = (value, line)
        }
        for table in tables {
            let known = Self.keys[table.name] ?? []
            for (key, (_, line)) in table.values.sorted(by: { $0.value.1 < $1.value.1 }) where !known.contains(key) {
                throw ConfigError(file: file, line: line,
                                  message: "unknown key '\(key)' in [[\(table.name)]] (known: \(known.joined(separator: ", ")))")
            }
            func string(_ key: String, required: Bool = true) throws -> String? {
                guard let (v, line) = table.values[key] else {
                    if required { throw ConfigError(file: file, line: table.line, message: "[[\(table.name)]] needs \(key) = \"…\"") }
                    return nil
                }
                guard let s = v as? String, !s.isEmpty else {
                    throw ConfigError(file: file, line: line, message: "\(key) must be a non-empty string, not \(Self.kind(of: v))")
                }
                return s
            }
            let reason = try string("reason")!
            switch table.name {
            case "wait":
                var argument = 0
                if let (v, line) = table.values["argument"] {
                    guard let n = v as? Int else {
                        throw ConfigError(file: file, line: line, message: "argument must be an integer, not \(Self.kind(of: v))")
                    }
                    argument = n
                }
                config.waits.append(ModelEntry(try string("function")!, .waitsForWriteback(argument: argument),
                                               reason: "\(reason) (\(file))"))
            case "not-applicable":
                let fp = try string("function-prefix", required: false), pp = try string("path-prefix", required: false)
                guard fp != nil || pp != nil else {
                    throw ConfigError(file: file, line: table.line, message: "[[not-applicable]] needs function-prefix or path-prefix")
                }
                config.notApplicable.append(NotApplicable(functionPrefix: fp, pathPrefix: pp, reason: "\(reason) (\(file))"))
            default:
                config.suppressions.append(StablePageModel.Suppression(rule: try string("rule")!, function: try string("function")!,
                                                                      reason: reason))
            }
        }
        return config
    }

    /// The keys each table takes.
    static let keys: [String: [String]] = [
        "wait": ["function", "argument", "reason"],
        "not-applicable": ["function-prefix", "path-prefix", "reason"],
        "suppress": ["rule", "function", "reason"],
    ]

    static func kind(of value: Any) -> String {
        switch value {
        case let s as String: return s.isEmpty ? "an empty string" : "a string"
        case is Int: return "an integer"
        case is Bool: return "a boolean"
        default: return "a value"
        }
    }

    /// A TOML basic string `"..."`: its escapes read in one pass, so `"a\\"` is `a\` and
    /// `"a" "b"` is an error, not `a" "b`.
    static func basicString(_ text: String, file: String, line: Int) throws -> String {
        var result = ""
        var characters = text.dropFirst().makeIterator()
        while let c = characters.next() {
            switch c {
            case "\"":
                guard characters.next() == nil else {
                    throw ConfigError(file: file, line: line, message: "text after the closing quote of \(text)")
                }
                return result
            case "\\":
                switch characters.next() {
                case "\\": result.append("\\")
                case "\"": result.append("\"")
                case "t": result.append("\t")
                case "n": result.append("\n")
                case let other:
                    throw ConfigError(file: file, line: line,
                                      message: "unknown escape \\\(other.map(String.init) ?? "") in \(text) (use a 'literal string')")
                }
            default:
                result.append(c)
            }
        }
        throw ConfigError(file: file, line: line, message: "unterminated string")
    }

    static func stripComment(_ line: String) -> String {
        var quote: Character?  // the delimiter of the string we are in
        var escaped = false  // the previous character of a basic string was an unescaped `\`
        for (i, c) in line.enumerated() {
            if let q = quote {
                // A basic string ends at an unescaped `"` (`"a\\"` ends after its second `\`);
                // a literal one at the next `'`.
                if q == "\"" && escaped {
                    escaped = false
                } else if q == "\"" && c == "\\" {
                    escaped = true
                } else if c == q {
                    quote = nil
                }
            } else if c == "\"" || c == "'" {
                quote = c
            } else if c == "#" {
                return String(line.prefix(i))
            }
        }
        return line
    }

    /// The built-in model with these additions.
    public func apply(to model: StablePageModel) -> StablePageModel {
        var m = model
        m.entries += waits
        m.notApplicable += notApplicable
        m.suppressions += suppressions
        return m
    }
}
