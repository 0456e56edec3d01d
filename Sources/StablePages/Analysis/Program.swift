import CSyntax

/// The C files of one tree, as the analysis reads them. The CLI adapts git trees (T0..Tn) and
/// directories to this; StablePages never opens a repository itself.
public protocol SourceTree: Sendable {
    /// `T0`, `T1`, … or a directory name.
    var name: String { get }
    /// Paths of the `.c` files to consider, relative to the tree's root.
    func cFiles() -> [String]
    /// Headers that may hold `static inline` helpers the `.c` files call.
    func headerFiles() -> [String]
    func contents(of path: String) -> [UInt8]?
    /// A content id (git blob id) for caching; nil when unknown.
    func contentID(of path: String) -> String?
    /// The kernel release, when the tree says (top-level Makefile).
    var kernelVersion: KernelVersion? { get }
    /// What names these exact contents (a git tree id), when known: trees with the same
    /// identity have the same findings.
    var identity: String? { get }
    /// The paths whose contents may differ between this tree and `other`, when the tree can
    /// tell without comparing every path (nil: it cannot).
    func differingPaths(from other: SourceTree) -> [String]?
}

extension SourceTree {
    public func headerFiles() -> [String] { [] }
    public var identity: String? { nil }
    public func differingPaths(from other: SourceTree) -> [String]? { nil }
}

/// Parsed files keyed by content id, shared by T0..Tn so unchanged files are parsed once.
public final class ParseCache: @unchecked Sendable {
    private var byID: [String: ParsedFile] = [:]
    /// Prefilter answers by content id.
    let facts = FileFactsCache()

    /// The prefilter answers learnt so far, as text to keep between runs: they are keyed by git
    /// blob id, so they hold for any repository and any later review. `limit` bounds the lines
    /// (over it, only this run's are kept): loading is linear in the file, and a few kernel
    /// releases' fs/ and mm/ fit.
    public func exportFacts(limit: Int = 40_000) -> String { facts.export(limit: limit) }

    /// Answers kept by an earlier run (`exportFacts`).
    public func importFacts(_ text: Substring) { facts.load(text) }
    private let lock = NSLockLike()
    public private(set) var hits = 0
    public private(set) var misses = 0

    public init() {}

    func parsed(path: String, id: String?, bytes: () -> [UInt8]?) -> ParsedFile? {
        let key = id.map { "\($0):\(path)" }
        if let key {
            lock.lock()
            if let hit = byID[key] { hits += 1; lock.unlock(); return hit }
            lock.unlock()
        }
        guard let data = bytes() else { return nil }
        let file = CParser.parse(data, path: path)
        if let key {
            lock.lock()
            byID[key] = file
            misses += 1
            lock.unlock()
        }
        return file
    }
}

extension ParseCache {
    /// What the engine asks of a file before parsing it, answered once per content id: whether
    /// it mentions the entry-point tokens, and which functions it defines (by the column-0 shape,
    /// see `IdentifierSet.definedNames`). T1..Tn then read only the blobs the series changed.
    struct FileFacts: Sendable {
        var mentionsEntryTokens: Bool?
        var definedNames: Set<String>?
    }
}

/// Facts per file, keyed by content id (shared by T0..Tn), or by path for trees without ids
/// (then only within one `program(for:)` call, which makes its own instance).
final class FileFactsCache: @unchecked Sendable {
    private var facts: [String: ParseCache.FileFacts] = [:]
    /// Keys asked for or learnt in this run (what an export keeps when the file grows too big).
    private var used = Set<String>()
    private let lock = NSLockLike()

    func get(_ key: String) -> ParseCache.FileFacts {
        lock.lock(); defer { lock.unlock() }
        used.insert(key)
        return facts[key] ?? ParseCache.FileFacts()
    }

    func update(_ key: String, _ change: (inout ParseCache.FileFacts) -> Void) {
        lock.lock(); defer { lock.unlock() }
        var f = facts[key] ?? ParseCache.FileFacts()
        change(&f)
        facts[key] = f
        used.insert(key)
    }

    /// One line per blob: `id TAB mentions(1/0/-) TAB defined,names (or -)`.
    func export(limit: Int) -> String {
        lock.lock(); defer { lock.unlock() }
        let keys = facts.count <= limit ? Array(facts.keys) : Array(used.filter { facts[$0] != nil })
        var out = ""
        for key in keys.sorted() {
            let f = facts[key]!
            let mentions = f.mentionsEntryTokens.map { $0 ? "1" : "0" } ?? "-"
            let names = f.definedNames.map { $0.sorted().joined(separator: ",") } ?? "-"
            out += "\(key)\t\(mentions)\t\(names)\n"
        }
        return out
    }

    /// Reads `export`'s lines; malformed lines are skipped (a cache, not a contract). By bytes:
    /// a kernel's worth is a megabyte, and Character-wise splitting would cost more than it saves.
    func load(_ text: Substring) {
        var loaded: [(String, ParseCache.FileFacts)] = []
        var copy = String(text)
        copy.withUTF8 { p in
            var lineStart = 0
            while lineStart < p.count {
                var lineEnd = lineStart
                while lineEnd < p.count && p[lineEnd] != 0x0A { lineEnd += 1 }
                defer { lineStart = lineEnd + 1 }
                var tabs: [Int] = []
                for k in lineStart..<lineEnd where p[k] == 0x09 { tabs.append(k) }
                guard tabs.count == 2, tabs[0] > lineStart, tabs[1] == tabs[0] + 2 else { continue }
                var f = ParseCache.FileFacts()
                switch p[tabs[0] + 1] { case 0x31: f.mentionsEntryTokens = true; case 0x30: f.mentionsEntryTokens = false; default: break }
                let namesStart = tabs[1] + 1
                if !(lineEnd - namesStart == 1 && p[namesStart] == 0x2D) {
                    var names = Set<String>()
                    var start = namesStart
                    for k in namesStart...lineEnd where k == lineEnd || p[k] == 0x2C {
                        if k > start { names.insert(String(decoding: UnsafeBufferPointer(rebasing: p[start..<k]), as: UTF8.self)) }
                        start = k + 1
                    }
                    f.definedNames = names
                }
                loaded.append((String(decoding: UnsafeBufferPointer(rebasing: p[lineStart..<tabs[0]]), as: UTF8.self), f))
            }
        }
        lock.lock(); defer { lock.unlock() }
        for (key, f) in loaded { facts[key] = f }
    }
}

/// A tiny mutex without Foundation.
final class NSLockLike: @unchecked Sendable {
    private var mutex = pthread_mutex_t()
    init() { pthread_mutex_init(&mutex, nil) }
    deinit { pthread_mutex_destroy(&mutex) }
    func lock() { pthread_mutex_lock(&mutex) }
    func unlock() { pthread_mutex_unlock(&mutex) }
}

#if canImport(Glibc)
import Glibc
#endif

/// Everything the rules need from one tree: parsed files, function definitions by name, ops
/// bindings and vm_ops installs.
public struct Program: @unchecked Sendable {
    public var files: [ParsedFile]
    public var version: KernelVersion?
    var definitions: [String: [(file: Int, function: Int)]] = [:]
    public var bindings: [OpsBinding] { files.flatMap(\.opsBindings) }
    public var installs: [OpsInstall] { files.flatMap(\.opsInstalls) }

    public init(files: [ParsedFile], version: KernelVersion?) {
        self.files = files
        self.version = version
        for (f, file) in files.enumerated() {
            for (k, function) in file.functions.enumerated() {
                definitions[function.name, default: []].append((f, k))
            }
        }
    }

    /// The initializer bindings of the ops variable `variable` as seen from `file`: the same
    /// file's (a `static` table) when it has one, else every file's (an exported table). Many
    /// files have a `static … vm_ops`; name alone would mix them up.
    public func opsBindings(of variable: String, seenFrom file: String?) -> [OpsBinding] {
        let all = bindings.filter { $0.variable == variable && $0.kind != .assignment }
        if let file, all.contains(where: { $0.file == file }) { return all.filter { $0.file == file } }
        return all
    }

    /// The definition of `name` seen from `file`: a static one in the same file first.
    func definition(_ name: String, from file: Int) -> (file: Int, function: Int)? {
        guard let all = definitions[name] else { return nil }
        if let local = all.first(where: { $0.file == file }) { return local }
        return all.first { !files[$0.file].functions[$0.function].isStatic } ?? all.first
    }
}
