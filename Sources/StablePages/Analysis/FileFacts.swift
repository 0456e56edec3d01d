import Support
#if canImport(Glibc)
import Glibc
#endif

/// What the engine asks of a file before parsing it, answered from one read of its bytes and kept
/// per content id: whether it mentions the entry-point tokens, which functions it defines (by the
/// column-0 shape, see `DefinitionShapes`) and which headers it includes. T1..Tn then read only the
/// blobs the series changed, and a later run only the blobs it has not met.
struct FileFacts: Sendable, Equatable {
    var mentionsEntryTokens: Bool?
    /// The defined names, as `DefinitionShapes.nameHash`es (sorted): a name that only shares a
    /// hash costs one parse more, and the facts of a whole tree stay small enough to keep.
    var definedNames: [UInt32]?
    var includes: [IncludeDirective]?
}

/// One `#include` line: the name between the quotes or angle brackets, and which of the two.
struct IncludeDirective: Hashable, Sendable {
    var name: String
    var quoted: Bool
}

/// Facts per file, keyed by content id (shared by T0..Tn), or by path for trees without ids
/// (then only within one `program(for:)` call, which makes its own instance).
final class FileFactsCache: @unchecked Sendable {
    private var facts: [String: FileFacts] = [:]
    /// Keys learnt, or asked for once there are many (what an export keeps when it grows too big).
    private var used = Set<String>()
    private let lock = NSLockLike()

    /// Kept answers not yet read (`load(later:)`): a review that needs no prefilter (every
    /// tree read from a record or from the tree before it) never pays for them.
    private var pending: (@Sendable () -> Substring?)?

    /// Reads what `load` was given, if not done yet. Called with `lock` held.
    private func decodePending() {
        guard let read = pending else { return }
        pending = nil
        guard let text = read() else { return }
        for (key, f) in Self.decode(text) where facts[key] == nil { facts[key] = f }
    }

    func get(_ key: String) -> FileFacts {
        lock.lock(); defer { lock.unlock() }
        decodePending()
        return facts[key] ?? FileFacts()
    }

    /// `get` for many keys under one lock (an empty key knows nothing). Past `trackUseAbove`
    /// known facts, the keys asked for are remembered, so that an export over its limit keeps
    /// the tree just read and not only what this run had to read.
    func get(_ keys: [String]) -> [FileFacts] {
        lock.lock(); defer { lock.unlock() }
        decodePending()
        if facts.count > Self.trackUseAbove { for key in keys where !key.isEmpty && facts[key] != nil { used.insert(key) } }
        return keys.map { $0.isEmpty ? FileFacts() : facts[$0] ?? FileFacts() }
    }

    /// About two releases' whole trees: below this an export keeps everything anyway.
    static let trackUseAbove = 100_000

    func set(_ key: String, _ value: FileFacts) {
        lock.lock(); defer { lock.unlock() }
        decodePending()
        facts[key] = value
        used.insert(key)
        learnt = true
    }

    /// Whether this run learnt anything (a file read), i.e. whether an export says more than
    /// what was loaded.
    private(set) var learnt = false

    /// One line per blob: `id TAB mentions(1/0/-) TAB name hashes (hex, or -) TAB includes (or -)`,
    /// includes written `"local.h` or `<linux/fs.h`, comma-separated.
    func export(limit: Int) -> String {
        lock.lock(); defer { lock.unlock() }
        decodePending()
        let keys = facts.count <= limit ? Array(facts.keys) : Array(used.filter { facts[$0] != nil })
        var out = ""
        for key in keys.sorted() {
            let f = facts[key]!
            let mentions = f.mentionsEntryTokens.map { $0 ? "1" : "0" } ?? "-"
            let names = f.definedNames.map { $0.map { String($0, radix: 16) }.joined(separator: ",") } ?? "-"
            let includes = f.includes.map { list in
                list.map { ($0.quoted ? "\"" : "<") + Self.escaped($0.name) }.joined(separator: ",")
            } ?? "-"
            out += "\(key)\t\(mentions)\t\(names)\t\(includes)\n"
        }
        return out
    }

    /// Include names with the bytes the line format uses (`dt-bindings/regulator/dlg,da9211-regulator.h`)
    /// written `%XX`, as in a URL.
    static func escaped(_ name: String) -> String {
        PercentEscape.escaped(name) { $0 == 0x25 || $0 == 0x2C || $0 == 0x09 || $0 == 0x0A }
    }

    /// Lenient, as this file always read them: a `%` without two hex digits stays.
    static func unescaped(_ text: String) -> String { PercentEscape.unescaped(text, lenient: true) ?? text }

    /// A name hash as `export` writes it (at most eight hex digits), read from its bytes: a
    /// tree's facts hold over a million of them, and a String each costs more than the rest
    /// of the load.
    static func hex(_ digits: UnsafeBufferPointer<UInt8>) -> UInt32? {
        guard !digits.isEmpty, digits.count <= 8 else { return nil }
        var value: UInt32 = 0
        for b in digits {
            guard let digit = ASCII.hexValue(b) else { return nil }
            value = value << 4 | UInt32(digit)
        }
        return value
    }

    /// Reads `export`'s lines (and the three-column lines of earlier releases, without includes);
    /// malformed lines are skipped (a cache, not a contract). By bytes: a kernel's worth is a
    /// megabyte, and Character-wise splitting would cost more than it saves.
    func load(_ text: Substring) { load(later: { text }) }

    /// `load`, reading the text only when an answer is first asked for.
    func load(later read: @escaping @Sendable () -> Substring?) {
        lock.lock(); defer { lock.unlock() }
        decodePending()
        pending = read
    }

    static func decode(_ text: Substring) -> [(String, FileFacts)] {
        var loaded: [(String, FileFacts)] = []
        var copy = String(text)
        copy.withUTF8 { p in
            func string(_ r: Range<Int>) -> String {
                String(decoding: UnsafeBufferPointer(rebasing: p[r]), as: UTF8.self)
            }
            func list(_ start: Int, _ end: Int) -> [Range<Int>]? {
                if end - start == 1 && p[start] == 0x2D { return nil }
                var items: [Range<Int>] = []
                var from = start
                for k in start...end where k == end || p[k] == 0x2C {
                    if k > from { items.append(from..<k) }
                    from = k + 1
                }
                return items
            }
            var lineStart = 0
            while lineStart < p.count {
                var lineEnd = lineStart
                while lineEnd < p.count && p[lineEnd] != 0x0A { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                var tabs: [Int] = []
                for k in lineStart..<lineEnd where p[k] == 0x09 { tabs.append(k) }
                guard tabs.count == 2 || tabs.count == 3, tabs[0] > lineStart, tabs[1] == tabs[0] + 2 else { continue }
                var f = FileFacts()
                switch p[tabs[0] + 1] { case 0x31: f.mentionsEntryTokens = true; case 0x30: f.mentionsEntryTokens = false; default: break }
                let namesEnd = tabs.count == 3 ? tabs[2] : lineEnd
                f.definedNames = list(tabs[1] + 1, namesEnd).map { $0.compactMap { Self.hex(UnsafeBufferPointer(rebasing: p[$0])) }.sorted() }
                if tabs.count == 3 {
                    f.includes = list(tabs[2] + 1, lineEnd).map { items in
                        items.compactMap { r in
                            guard r.count > 1, p[r.lowerBound] == 0x22 || p[r.lowerBound] == 0x3C else { return nil }
                            return IncludeDirective(name: Self.unescaped(string(r.lowerBound + 1..<r.upperBound)),
                                                    quoted: p[r.lowerBound] == 0x22)
                        }
                    }
                }
                loaded.append((string(lineStart..<tabs[0]), f))
            }
        }
        return loaded
    }
}

/// The two line shapes the engine reads without parsing: a function definition in kernel style
/// (the name, then `(`, on a line that starts in column 0 — `static int foo(`, or `foo(` under
/// its return type — and does not end in `;`), and an `#include` directive. One pass over the
/// lines; lines of any other shape are skipped whole.
enum DefinitionShapes {
    @inline(__always) static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x61 && b <= 0x7A) || (b >= 0x41 && b <= 0x5A) || (b >= 0x30 && b <= 0x39) || b == 0x5F
    }

    /// FNV-1a of a name's bytes: stable across runs, unlike `Hasher`.
    static func nameHash(_ name: String) -> UInt32 {
        var h: UInt32 = 0x811C_9DC5
        for b in name.utf8 { h = (h ^ UInt32(b)) &* 0x0100_0193 }
        return h
    }

    static func scan(_ bytes: [UInt8]) -> (definedNames: [UInt32], includes: [IncludeDirective]) {
        var names = Set<UInt32>()
        var includes: [IncludeDirective] = []
        bytes.withUnsafeBufferPointer { p in
            guard let base = p.baseAddress else { return }
            let n = p.count
            var lineStart = 0
            while lineStart < n {
                let lineEnd = memchr(base + lineStart, 0x0A, n - lineStart)
                    .map { base.distance(to: $0.assumingMemoryBound(to: UInt8.self)) } ?? n
                defer { lineStart = lineEnd + 1 }
                let first = p[lineStart]
                if first == 0x23 || first == 0x20 || first == 0x09 {
                    if let d = include(p, lineStart, lineEnd) { includes.append(d) }
                    continue
                }
                var i = lineStart
                while isIdentifierByte(first) && i < lineEnd {
                    let b = p[i]
                    guard isIdentifierByte(b), !(b >= 0x30 && b <= 0x39) else {
                        i += 1
                        // skip the rest of a number
                        while b >= 0x30 && b <= 0x39 && i < lineEnd && isIdentifierByte(p[i]) { i += 1 }
                        continue
                    }
                    let start = i
                    while i < lineEnd && isIdentifierByte(p[i]) { i += 1 }
                    var k = i
                    while k < lineEnd && (p[k] == 0x20 || p[k] == 0x09) { k += 1 }
                    if k < lineEnd, p[k] == 0x28, endsWithoutSemicolon(p, from: k, lineEnd: lineEnd) {
                        var h: UInt32 = 0x811C_9DC5
                        for b in UnsafeBufferPointer(rebasing: p[start..<i]) { h = (h ^ UInt32(b)) &* 0x0100_0193 }
                        names.insert(h)
                    }
                }
            }
        }
        return (names.sorted(), includes)
    }

    @inline(__always)
    private static func endsWithoutSemicolon(_ p: UnsafeBufferPointer<UInt8>, from k: Int, lineEnd: Int) -> Bool {
        var end = lineEnd
        while end > k && (p[end - 1] == 0x20 || p[end - 1] == 0x09 || p[end - 1] == 0x0D) { end -= 1 }
        return p[end - 1] != 0x3B
    }

    /// `#include "x.h"`, `# include <linux/x.h>`, with blanks anywhere the preprocessor allows.
    /// A computed include (`#include MACRO`) names nothing here.
    private static func include(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ end: Int) -> IncludeDirective? {
        var i = start
        while i < end && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        guard i < end, p[i] == 0x23 else { return nil }
        i += 1
        while i < end && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        let keyword: [UInt8] = [0x69, 0x6E, 0x63, 0x6C, 0x75, 0x64, 0x65]  // include
        guard end - i > keyword.count else { return nil }
        for (k, b) in keyword.enumerated() where p[i + k] != b { return nil }
        i += keyword.count
        while i < end && (p[i] == 0x20 || p[i] == 0x09) { i += 1 }
        guard i < end, p[i] == 0x22 || p[i] == 0x3C else { return nil }
        let close: UInt8 = p[i] == 0x22 ? 0x22 : 0x3E
        let nameStart = i + 1
        var j = nameStart
        while j < end && p[j] != close { j += 1 }
        guard j < end, j > nameStart else { return nil }
        return IncludeDirective(name: String(decoding: UnsafeBufferPointer(rebasing: p[nameStart..<j]), as: UTF8.self),
                                quoted: close == 0x22)
    }
}

/// Function names, and the one question the engine asks of a file about them: is any of them
/// defined there (by `DefinitionShapes`)? Cheap and conservative: a multi-line prototype still
/// counts, and costs a parse.
struct IdentifierSet: Sendable {
    private let hashes: Set<UInt32>

    init(_ names: some Sequence<String>) { hashes = Set(names.map(DefinitionShapes.nameHash)) }

    func definedIn(_ bytes: [UInt8]) -> Bool { isDefined(in: DefinitionShapes.scan(bytes).definedNames) }

    /// Whether any of `definedNames` (hashes, as the facts keep them) is one of these names.
    func isDefined(in definedNames: [UInt32]) -> Bool { definedNames.contains { hashes.contains($0) } }
}

/// Where an `#include` lands in a kernel tree, the way the kernel's build finds it: a quoted name
/// next to the including file first; then the include directories (`include/`, `include/uapi/`,
/// `arch/*/include/`, and 2.6.2x's `include/asm-*/` for `asm/`), every architecture's at once
/// since the analysis is not for one; and, for a name none of those has (a Makefile's own `-I`),
/// every header whose path ends with the name. A helper is visible to a caller only through what
/// the caller's file includes, so these are the only headers a callee's body can come from.
struct IncludeResolver: Sendable {
    private var byBaseName: [String: [String]] = [:]
    /// The `.c` files, for the odd quoted `#include "x.c"`; made when one is first asked for.
    private let sources: SourceSet
    /// The headers each include name lands on, worked out when first asked: a tree has 24,000
    /// headers and a read asks for a few hundred names.
    private let byIncludeName = IncludeNames()

    final class IncludeNames: @unchecked Sendable {
        private var known: [String: [String]] = [:]
        private let lock = NSLockLike()

        func get(_ name: String, _ make: () -> [String]) -> [String] {
            lock.lock()
            if let found = known[name] { lock.unlock(); return found }
            lock.unlock()
            let found = make()
            lock.lock(); defer { lock.unlock() }
            known[name] = found
            return found
        }
    }

    final class SourceSet: @unchecked Sendable {
        private let paths: [String]
        private var set: Set<String>?
        private let lock = NSLockLike()

        init(_ paths: [String]) { self.paths = paths }

        func contains(_ path: String) -> Bool {
            lock.lock(); defer { lock.unlock() }
            if set == nil { set = Set(paths) }
            return set!.contains(path)
        }
    }

    init(headers: [String], sources: [String]) {
        self.sources = SourceSet(sources)
        byBaseName.reserveCapacity(headers.count)
        for path in headers { byBaseName[Self.lastComponent(path), default: []].append(path) }
    }

    /// What follows the last `/` (all of `path` when it has none).
    static func lastComponent(_ path: String) -> String {
        path.utf8.lastIndex(of: UInt8(ascii: "/")).map { String(path[path.index(after: $0)...]) } ?? path
    }

    /// Whether the file at `path` exists in the tree (a header, or a `.c` file).
    private func exists(_ path: String) -> Bool {
        byBaseName[Self.lastComponent(path)]?.contains(path) == true || (path.hasSuffix(".c") && sources.contains(path))
    }

    /// Whether an `#include <name>` reaches `path`: `path` ends in `include/<name>` or
    /// `include/uapi/<name>`, or, for `asm/<rest>`, in 2.6.2x's `include/asm-ARCH/<rest>` (or
    /// `include/uapi/asm-ARCH/<rest>`), each `include` a whole component.
    static func name(_ name: String, reaches path: String) -> Bool {
        // By bytes throughout: a path's non-ASCII characters are several bytes each.
        func endsInComponents(_ tail: some Collection<UInt8>, of text: Substring.UTF8View) -> Bool {
            guard text.count >= tail.count, text.suffix(tail.count).elementsEqual(tail) else { return false }
            return text.count == tail.count || text[text.index(text.endIndex, offsetBy: -tail.count - 1)] == UInt8(ascii: "/")
        }
        let whole = path.utf8[...]
        if endsInComponents(("include/" + name).utf8, of: whole) || endsInComponents(("include/uapi/" + name).utf8, of: whole) {
            return true
        }
        guard name.utf8.starts(with: "asm/".utf8) else { return false }
        let rest = name.utf8.dropFirst(3)  // `/…`
        guard whole.count > rest.count, whole.suffix(rest.count).elementsEqual(rest) else { return false }
        let head = whole.dropLast(rest.count)
        guard let slash = head.lastIndex(of: UInt8(ascii: "/")) else { return false }
        let component = head[head.index(after: slash)...]
        guard component.starts(with: "asm-".utf8), !component.elementsEqual("asm-generic".utf8) else { return false }
        let before = head[..<slash]
        return endsInComponents("include".utf8, of: before) || endsInComponents("include/uapi".utf8, of: before)
    }

    func resolve(_ directive: IncludeDirective, from includer: String) -> [String] {
        if directive.quoted {
            let dir = includer.split(separator: "/", omittingEmptySubsequences: false).dropLast().joined(separator: "/")
            if let local = Self.normalized(dir.isEmpty ? directive.name : dir + "/" + directive.name), exists(local) {
                return [local]
            }
        }
        // A header an include name reaches has the name's last component as its own.
        let found = byIncludeName.get(directive.name) {
            (byBaseName[Self.lastComponent(directive.name)] ?? []).filter { Self.name(directive.name, reaches: $0) }
        }
        if !found.isEmpty { return found }
        let base = String(directive.name.split(separator: "/").last ?? "")
        return (byBaseName[base] ?? []).filter { $0 == directive.name || $0.hasSuffix("/" + directive.name) }
    }

    /// `a/b/../c.h` → `a/c.h`; nil when it climbs out of the tree.
    static func normalized(_ path: String) -> String? {
        var out: [Substring] = []
        for part in path.split(separator: "/") {
            if part == "." { continue }
            if part == ".." {
                if out.isEmpty { return nil }
                out.removeLast()
                continue
            }
            out.append(part)
        }
        return out.joined(separator: "/")
    }
}

/// The files reachable by `#include` from the files read so far, grown as the reading does.
struct IncludeClosure {
    let resolver: IncludeResolver
    private var visited = Set<String>()
    /// Everything reached through an include (headers, and the odd `.c` file a `.c` includes).
    private(set) var headers = Set<String>()

    init(resolver: IncludeResolver) { self.resolver = resolver }

    /// Follows the includes of `roots` breadth first; `includes` answers for a batch of files at
    /// once (the engine reads them on all cores).
    mutating func extend(from roots: [String], includes: ([String]) -> [[IncludeDirective]]) {
        var frontier = roots.filter { visited.insert($0).inserted }
        while !frontier.isEmpty {
            var next: [String] = []
            for (path, directives) in zip(frontier, includes(frontier)) {
                for directive in directives {
                    for found in resolver.resolve(directive, from: path) where visited.insert(found).inserted {
                        headers.insert(found)
                        next.append(found)
                    }
                }
            }
            frontier = next
        }
    }
}
