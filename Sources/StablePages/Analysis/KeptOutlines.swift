import CSyntax
import Support

/// What a parse of a file told the program index, kept between runs by content (git blob id
/// and path): its functions' outlines and fingerprints, its ops bindings and installs, and the
/// calls of each function as the callee rounds read them. A tree read before is then indexed,
/// searched and checked against kept summaries without parsing its 1,000-odd files again: a
/// file is parsed when the analysis walks one of its bodies (`ParsedFile.outlined`).
public final class KeptOutlines: @unchecked Sendable {
    struct Entry {
        var outlines: [FunctionOutline]
        var fingerprints: [UInt64]
        var bindings: [OpsBinding]
        var installs: [OpsInstall]
        var callees: [[StablePageEngine.CalleeMemo.Callee]]
    }

    /// Lines of an earlier run, by key, decoded when first asked for.
    private var stored: [String: Substring] = [:]
    private var storedOrder: [String] = []
    /// Lines made or asked for in this run, by key: written first.
    private var used: [String: Substring] = [:]
    private var usedOrder: [String] = []
    private let lock = NSLockLike()
    public private(set) var learnt = false
    /// Reads the earlier run's text, when first needed (a review whose trees are all known
    /// needs none of it).
    private var later: (@Sendable () -> Substring?)?

    public init() {}

    /// `load`, when first asked.
    public func load(later read: @escaping @Sendable () -> Substring?) {
        lock.lock(); defer { lock.unlock() }
        later = read
    }

    /// With `lock` held.
    private func loadIfAsked() {
        guard let read = later else { return }
        later = nil
        if let text = read() { add(text.keyedLines()) }
    }

    var count: Int {
        lock.lock(); defer { lock.unlock() }
        loadIfAsked()
        return stored.count + used.count
    }

    func contains(_ key: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        loadIfAsked()
        return used[key] != nil || stored[key] != nil
    }

    /// The kept entry of `key`, when there is one that reads back whole.
    func entry(_ key: String, path: String) -> Entry? {
        lock.lock()
        loadIfAsked()
        let line = used[key] ?? stored.removeValue(forKey: key)
        if let line, used[key] == nil {
            used[key] = line
            usedOrder.append(key)
        }
        lock.unlock()
        return line.flatMap { Self.decode($0, path: path) }
    }

    /// Keeps what `file` (parsed from the content `key` names) gives the index.
    func keep(_ file: ParsedFile, key: String, callees: [[StablePageEngine.CalleeMemo.Callee]]) {
        guard !key.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }), !contains(key) else { return }
        let line = Substring(Self.encode(file, callees: callees))
        lock.lock(); defer { lock.unlock() }
        if used[key] == nil && stored[key] == nil {
            used[key] = line
            usedOrder.append(key)
            learnt = true
        }
    }

    /// One line per file, `key TAB outlines TAB fingerprints TAB bindings TAB installs TAB calls
    /// TAB check`: this run's first, then the earlier run's, up to `limit` lines and about
    /// `byteLimit` bytes (a 6.1 review's 1,074 files are some 10 MB).
    public func export(limit: Int = 12_000, byteLimit: Int = 96 << 20) -> String {
        lock.lock(); defer { lock.unlock() }
        loadIfAsked()
        var out = ""
        var lines = 0
        for (key, line) in usedOrder.map({ ($0, used[$0]!) }) + storedOrder.compactMap({ k in stored[k].map { (k, $0) } }) {
            guard lines < limit, out.utf8.count + line.utf8.count < byteLimit else { break }
            out += key
            out += "\t"
            out += line
            out += "\n"
            lines += 1
        }
        return out
    }

    /// Reads `export`'s lines; a damaged line is not used (its file is parsed).
    public func load(_ text: Substring) {
        let lines = text.keyedLines()
        lock.lock(); defer { lock.unlock() }
        add(lines)
    }

    /// With `lock` held.
    private func add(_ lines: [(key: Substring, rest: Substring)]) {
        for (key, rest) in lines.map({ (String($0.key), $0.rest) }) where used[key] == nil && stored[key] == nil {
            stored[key] = rest
            storedOrder.append(key)
        }
    }

    // MARK: - The line format

    /// Bytes that separate fields and items, escaped as `%XX` inside them.
    private static func isSpecial(_ b: UInt8) -> Bool {
        b < 0x21 || b == 0x25 || b == 0x2C || b == 0x3B || b == 0x7E || b == 0x2A || b == 0x7C
    }

    static func escaped(_ text: String) -> String {
        guard text.utf8.contains(where: isSpecial) else { return text }
        var out: [UInt8] = []
        for b in text.utf8 {
            if isSpecial(b) {
                out += Array(("%" + (b < 0x10 ? "0" : "") + String(b, radix: 16, uppercase: true)).utf8)
            } else {
                out.append(b)
            }
        }
        return String(decoding: out, as: UTF8.self)
    }

    static func unescaped(_ text: Substring) -> String? {
        guard text.utf8.contains(0x25) else { return String(text) }
        var bytes: [UInt8] = []
        var utf8 = Array(text.utf8)[...]
        while let b = utf8.popFirst() {
            guard b == 0x25 else { bytes.append(b); continue }
            guard utf8.count >= 2, let v = UInt8(String(decoding: utf8.prefix(2), as: UTF8.self), radix: 16) else { return nil }
            bytes.append(v)
            utf8 = utf8.dropFirst(2)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// `~` for nil.
    private static func optional(_ text: String?) -> String { text.map(escaped) ?? "~" }

    static func encode(_ file: ParsedFile, callees: [[StablePageEngine.CalleeMemo.Callee]]) -> String {
        let outlines = file.outlines.map { o in
            "\(escaped(o.name)),\(o.line),\(o.endLine),\(o.isStatic ? "s" : "-"),\(escaped(o.returnTypeText))"
        }.joined(separator: ";")
        let fingerprints = file.outlines.indices.map { String(file.fingerprint(ofFunction: $0), radix: 16) }.joined(separator: ",")
        let bindings = file.opsBindings.map { b in
            "\(b.line),\(optional(b.structType)),\(escaped(b.variable)),\(escaped(b.slot)),\(escaped(b.function)),"
                + "\(b.kind == .assignment ? "a" : "d"),\(optional(b.inFunction)),\(b.file == file.path ? "~" : escaped(b.file))"
        }.joined(separator: ";")
        let installs = file.opsInstalls.map { i in
            "\(i.line),\(escaped(i.function)),\(escaped(i.slot)),\(escaped(i.target)),\(escaped(i.variable)),"
                + (i.file == file.path ? "~" : escaped(i.file))
        }.joined(separator: ";")
        let calls = callees.map { list in
            list.map { escaped($0.name) + ($0.worthALook ? "*" : "") }.joined(separator: " ")
        }.joined(separator: ";")
        let fields = "\(outlines)\t\(fingerprints)\t\(bindings)\t\(installs)\t\(calls)"
        return fields + "\t" + ReadRecords.check(fields[...])
    }

    /// Nil for a line that does not read back whole (a cache, not a contract).
    static func decode(_ line: Substring, path: String) -> Entry? {
        guard let lastTab = line.utf8.lastIndex(of: 0x09),
              ReadRecords.check(line[..<lastTab]) == line[line.utf8.index(after: lastTab)...] else { return nil }
        let fields = line[..<lastTab].splitBytes(at: 0x09)
        guard fields.count == 5 else { return nil }
        func items(_ field: Substring) -> [Substring] { field.isEmpty ? [] : field.splitBytes(at: 0x3B) }
        func parts(_ item: Substring, _ n: Int) -> [Substring]? {
            let p = item.splitBytes(at: 0x2C)
            return p.count == n ? p : nil
        }
        func optional(_ text: Substring) -> String?? { text == "~" ? .some(nil) : unescaped(text).map { .some($0) } }
        var entry = Entry(outlines: [], fingerprints: [], bindings: [], installs: [], callees: [])
        for item in items(fields[0]) {
            guard let p = parts(item, 5), let name = unescaped(p[0]), let line = Int(p[1]), let end = Int(p[2]),
                  p[3] == "s" || p[3] == "-", let type = unescaped(p[4]) else { return nil }
            entry.outlines.append(FunctionOutline(name: name, line: line, endLine: end, isStatic: p[3] == "s", returnTypeText: type))
        }
        for item in fields[1].isEmpty ? [] : fields[1].splitBytes(at: 0x2C) {
            guard let v = UInt64(item, radix: 16) else { return nil }
            entry.fingerprints.append(v)
        }
        for item in items(fields[2]) {
            guard let p = parts(item, 8), let line = Int(p[0]), let type = optional(p[1]), let variable = unescaped(p[2]),
                  let slot = unescaped(p[3]), let function = unescaped(p[4]), p[5] == "a" || p[5] == "d",
                  let inFunction = optional(p[6]), let file = optional(p[7]) else { return nil }
            entry.bindings.append(OpsBinding(file: file ?? path, line: line, structType: type, variable: variable, slot: slot,
                                             function: function, kind: p[5] == "a" ? .assignment : .designatedInitializer,
                                             inFunction: inFunction))
        }
        for item in items(fields[3]) {
            guard let p = parts(item, 6), let line = Int(p[0]), let function = unescaped(p[1]), let slot = unescaped(p[2]),
                  let target = unescaped(p[3]), let variable = unescaped(p[4]), let file = optional(p[5]) else { return nil }
            entry.installs.append(OpsInstall(file: file ?? path, line: line, function: function, slot: slot, target: target,
                                             variable: variable))
        }
        if !entry.outlines.isEmpty {
            let lists = fields[4].splitBytes(at: 0x3B)
            guard lists.count == entry.outlines.count else { return nil }
            for list in lists {
                var callees: [StablePageEngine.CalleeMemo.Callee] = []
                for word in list.isEmpty ? [] : list.splitBytes(at: 0x20) {
                    let worth = word.utf8.last == 0x2A
                    guard let name = unescaped(worth ? word.dropLast() : word) else { return nil }
                    callees.append(.init(name: name, worthALook: worth))
                }
                entry.callees.append(callees)
            }
        } else if !fields[4].isEmpty {
            return nil
        }
        guard entry.fingerprints.count == entry.outlines.count else { return nil }
        return entry
    }
}
