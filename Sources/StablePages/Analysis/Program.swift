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
}

extension SourceTree {
    public func headerFiles() -> [String] { [] }
}

/// Parsed files keyed by content id, shared by T0..Tn so unchanged files are parsed once.
public final class ParseCache: @unchecked Sendable {
    private var byID: [String: ParsedFile] = [:]
    /// Prefilter answers by content id.
    let facts = FileFactsCache()
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
    private let lock = NSLockLike()

    func get(_ key: String) -> ParseCache.FileFacts {
        lock.lock(); defer { lock.unlock() }
        return facts[key] ?? ParseCache.FileFacts()
    }

    func update(_ key: String, _ change: (inout ParseCache.FileFacts) -> Void) {
        lock.lock(); defer { lock.unlock() }
        var f = facts[key] ?? ParseCache.FileFacts()
        change(&f)
        facts[key] = f
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

    /// The definition of `name` seen from `file`: a static one in the same file first.
    func definition(_ name: String, from file: Int) -> (file: Int, function: Int)? {
        guard let all = definitions[name] else { return nil }
        if let local = all.first(where: { $0.file == file }) { return local }
        return all.first { !files[$0.file].functions[$0.function].isStatic } ?? all.first
    }
}
