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

        /// The file this entry outlines, at `path`; `bytes` are read and parsed when a body is
        /// asked for.
        func file(at path: String, bytes: @escaping @Sendable () -> [UInt8]?) -> ParsedFile {
            ParsedFile.outlined(path: path, outlines: outlines, fingerprints: fingerprints, opsBindings: bindings,
                                opsInstalls: installs, bytes: bytes)
        }
    }

    /// Lines of an earlier run, by key, decoded when first asked for.
    private var stored: [String: Substring] = [:]
    private var storedOrder: [String] = []
    /// Lines made or asked for in this run, by key: written first.
    private var used: [String: Substring] = [:]
    private var usedOrder: [String] = []
    private let lock = NSLockLike()
    public private(set) var learnt = false
    /// Keys made in this run (not loaded), in order.
    private var madeOrder: [String] = []
    /// Where the file is written whole again (about two 6.1 reviews' files; a line is some 7 KB).
    public static let byteLimit = 96 << 20
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

    func contains(_ key: String) -> Bool {
        lock.lock(); defer { lock.unlock() }
        loadIfAsked()
        return used[key] != nil || stored[key] != nil
    }

    /// The kept entry of `key`, when there is one that reads back whole.
    func entry(_ key: String, path: String) -> Entry? {
        lock.lock()
        loadIfAsked()
        let line = used[key] ?? stored[key]
        lock.unlock()
        guard let line else { return nil }
        let entry = Self.decode(line, path: path)
        lock.lock(); defer { lock.unlock() }
        // A line that reads back is kept first; one that does not is dropped, so that the
        // parse this run makes instead is kept in its place.
        if let stored = stored.removeValue(forKey: key), used[key] == nil, entry != nil {
            used[key] = stored
            usedOrder.append(key)
        }
        return entry
    }

    /// Forgets `key`'s line (an outline that turned out not to be its file's).
    func drop(_ key: String) {
        lock.lock(); defer { lock.unlock() }
        stored.removeValue(forKey: key)
        if used.removeValue(forKey: key) != nil {
            usedOrder.removeAll { $0 == key }
            madeOrder.removeAll { $0 == key }
        }
    }

    /// Keeps what `file` (parsed from the content `key` names) gives the index.
    func keep(_ file: ParsedFile, key: String, callees: [[StablePageEngine.CalleeMemo.Callee]]) {
        guard !key.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }), !contains(key) else { return }
        let line = Substring(Self.encode(file, callees: callees))
        lock.lock(); defer { lock.unlock() }
        if used[key] == nil && stored[key] == nil {
            used[key] = line
            usedOrder.append(key)
            madeOrder.append(key)
            learnt = true
        }
    }

    /// One line per file, `key TAB outlines TAB fingerprints TAB bindings TAB installs TAB calls
    /// TAB check`: this run's first, then the earlier run's, up to `limit` lines and about
    /// `byteLimit` bytes (a 6.1 review's 1,074 files are some 10 MB).
    /// The lines made in this run, as `export` writes them.
    public func learntLines() -> String {
        lock.lock(); defer { lock.unlock() }
        return madeOrder.map { "\($0)\t\(used[$0]!)\n" }.joined()
    }

    public func export(limit: Int = 12_000, byteLimit: Int = KeptOutlines.byteLimit) -> String {
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

    static func escaped(_ text: String) -> String { PercentEscape.escaped(text, escaping: isSpecial) }

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

    /// Nil for a line that does not read back whole (a cache, not a contract). Read byte by
    /// byte: a 6.1 review reads 1,074 of these lines (some 7 MB) before anything else.
    static func decode(_ line: Substring, path: String) -> Entry? {
        guard let lastTab = line.utf8.lastIndex(of: 0x09),
              ReadRecords.check(line[..<lastTab]) == line[line.utf8.index(after: lastTab)...] else { return nil }
        var fields = Substring(line[..<lastTab])
        return fields.withUTF8 { bytes in
            var reader = FieldReader(bytes: bytes)
            return reader.entry(path: path)
        }
    }

    /// A cursor over one line's fields: items end at `;`, parts at `,`, the five fields at tabs.
    private struct FieldReader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        /// The bytes up to (not including) the next of `a` or `b`, or the end; the cursor stops on it.
        mutating func span(until a: UInt8, _ b: UInt8, _ c: UInt8 = 0x09) -> Range<Int> {
            let start = i
            while i < bytes.count, bytes[i] != a, bytes[i] != b, bytes[i] != c { i += 1 }
            return start..<i
        }

        var atEnd: Bool { i >= bytes.count }
        var current: UInt8 { i < bytes.count ? bytes[i] : 0 }

        mutating func skip(_ b: UInt8) -> Bool {
            guard i < bytes.count, bytes[i] == b else { return false }
            i += 1
            return true
        }

        func text(_ r: Range<Int>) -> String? {
            PercentEscape.unescaped(UnsafeBufferPointer(rebasing: bytes[r]))
        }

        func optional(_ r: Range<Int>) -> String?? {
            r.count == 1 && bytes[r.lowerBound] == 0x7E ? .some(nil) : text(r).map { .some($0) }
        }

        func int(_ r: Range<Int>) -> Int? {
            guard !r.isEmpty, r.count < 19 else { return nil }
            var v = 0
            for k in r {
                let d = bytes[k] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
            }
            return v
        }

        func hex(_ r: Range<Int>) -> UInt64? {
            guard !r.isEmpty, r.count <= 16 else { return nil }
            var v: UInt64 = 0
            for k in r {
                let b = bytes[k]
                let d: UInt8
                switch b {
                case 0x30...0x39: d = b - 0x30
                case 0x61...0x66: d = b - 0x61 + 10
                default: return nil
                }
                v = v << 4 | UInt64(d)
            }
            return v
        }

        /// `n` comma-separated parts of one item (ending at `;`, a tab or the end).
        mutating func parts(_ n: Int) -> [Range<Int>]? {
            var out: [Range<Int>] = []
            out.reserveCapacity(n)
            while true {
                out.append(span(until: 0x2C, 0x3B))
                guard skip(0x2C) else { break }
            }
            return out.count == n ? out : nil
        }

        /// Runs `item` for each `;`-separated item of the field at the cursor, then steps over
        /// the tab that ends it (`last`: no tab follows).
        mutating func items(last: Bool = false, _ item: (inout FieldReader) -> Bool) -> Bool {
            if current != 0x09 && !atEnd {
                repeat {
                    guard item(&self) else { return false }
                } while skip(0x3B)
            }
            return last ? atEnd : skip(0x09)
        }

        mutating func entry(path: String) -> Entry? {
            var entry = Entry(outlines: [], fingerprints: [], bindings: [], installs: [], callees: [])
            let outlinesRead = items { r in
                // Lines as a file can have them: sizes are computed from them before any parse.
                guard let p = r.parts(5), let name = r.text(p[0]), let line = r.int(p[1]), let end = r.int(p[2]),
                      line <= Int(Int32.max), end <= Int(Int32.max), end >= line,
                      p[3].count == 1, r.bytes[p[3].lowerBound] == 0x73 || r.bytes[p[3].lowerBound] == 0x2D,
                      let type = r.text(p[4]) else { return false }
                entry.outlines.append(FunctionOutline(name: name, line: line, endLine: end, isStatic: r.bytes[p[3].lowerBound] == 0x73,
                                                      returnTypeText: type))
                return true
            }
            guard outlinesRead else { return nil }
            // Fingerprints: comma-separated, one field.
            if current != 0x09 {
                repeat {
                    guard let v = hex(span(until: 0x2C, 0x3B)) else { return nil }
                    entry.fingerprints.append(v)
                } while skip(0x2C)
            }
            guard skip(0x09) else { return nil }
            let bindingsRead = items { r in
                guard let p = r.parts(8), let line = r.int(p[0]), let type = r.optional(p[1]), let variable = r.text(p[2]),
                      let slot = r.text(p[3]), let function = r.text(p[4]), p[5].count == 1,
                      r.bytes[p[5].lowerBound] == 0x61 || r.bytes[p[5].lowerBound] == 0x64,
                      let inFunction = r.optional(p[6]), let file = r.optional(p[7]) else { return false }
                entry.bindings.append(OpsBinding(file: file ?? path, line: line, structType: type, variable: variable, slot: slot,
                                                 function: function, kind: r.bytes[p[5].lowerBound] == 0x61 ? .assignment : .designatedInitializer,
                                                 inFunction: inFunction))
                return true
            }
            guard bindingsRead else { return nil }
            let installsRead = items { r in
                guard let p = r.parts(6), let line = r.int(p[0]), let function = r.text(p[1]), let slot = r.text(p[2]),
                      let target = r.text(p[3]), let variable = r.text(p[4]), let file = r.optional(p[5]) else { return false }
                entry.installs.append(OpsInstall(file: file ?? path, line: line, function: function, slot: slot, target: target,
                                                 variable: variable))
                return true
            }
            guard installsRead else { return nil }
            // Calls: one `;`-separated list per function, names separated by spaces.
            if !entry.outlines.isEmpty {
                repeat {
                    var callees: [StablePageEngine.CalleeMemo.Callee] = []
                    while !atEnd, current != 0x3B {
                        let r = span(until: 0x20, 0x3B)
                        guard !r.isEmpty else { return nil }
                        let worth = bytes[r.upperBound - 1] == 0x2A
                        guard let name = text(r.lowerBound..<(worth ? r.upperBound - 1 : r.upperBound)) else { return nil }
                        callees.append(.init(name: name, worthALook: worth))
                        if !skip(0x20) { break }
                    }
                    entry.callees.append(callees)
                } while skip(0x3B)
                guard entry.callees.count == entry.outlines.count else { return nil }
            }
            guard atEnd, entry.fingerprints.count == entry.outlines.count else { return nil }
            return entry
        }
    }
}
