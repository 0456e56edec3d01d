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
    /// A hint that `paths` are about to be read, in this order (a directory asks the kernel to
    /// start reading them ahead, so a cold tree is read at the disk's queue depth, not two
    /// files at a time).
    func willRead(_ paths: [String])
    /// What the tree could not read so far (a missing object): a tree with failures is
    /// analysed as far as it goes, and nothing of it is kept between runs.
    var readFailures: [String] { get }
}

extension SourceTree {
    public func headerFiles() -> [String] { [] }
    public var identity: String? { nil }
    public func differingPaths(from other: SourceTree) -> [String]? { nil }
    public func willRead(_ paths: [String]) {}
    public var readFailures: [String] { [] }
}

/// Parsed files keyed by content id, shared by T0..Tn so unchanged files are parsed once.
public final class ParseCache: @unchecked Sendable {
    private var byID: [String: ParsedFile] = [:]
    /// Prefilter answers by content id.
    let facts = FileFactsCache()
    /// The calls of each function, by content id (see `StablePageEngine.CalleeMemo`).
    let callees = StablePageEngine.CalleeMemo()
    /// What parses of earlier runs gave the index, by content id (see `KeptOutlines`).
    let outlines = KeptOutlines()

    /// Outlines kept by an earlier run (`exportOutlines`).
    public func importOutlines(_ text: Substring) { outlines.load(text) }
    public func importOutlines(later read: @escaping @Sendable () -> Substring?) { outlines.load(later: read) }
    public func exportOutlines() -> String { outlines.export() }
    /// The outlines this run made, as lines to append to what it loaded.
    public func newOutlines() -> String { outlines.learntLines() }
    public var learntOutlines: Bool { outlines.learnt }

    /// The file parsed before under `key` in this run, if any.
    func parsedBefore(_ key: String) -> ParsedFile? {
        lock.lock(); defer { lock.unlock() }
        return byID[key]
    }

    /// Forgets the file of `key` and its kept outline (one that was not its file's).
    func forget(_ key: String) {
        lock.lock()
        byID.removeValue(forKey: key)
        lock.unlock()
        outlines.drop(key)
        callees.drop(key)
    }

    /// Keeps `file` as the parse of `key` (an outlined file: later asks share its body).
    func remember(_ file: ParsedFile, as key: String) {
        lock.lock(); defer { lock.unlock() }
        if byID[key] == nil { byID[key] = file }
    }
    private var lastResolver: (headers: [String], sources: [String], resolver: IncludeResolver)?

    /// The include resolver of a listing, made once while trees share their listing (T0..Tn of
    /// a review mostly do).
    func includeResolver(headers: [String], sources: [String]) -> IncludeResolver {
        lock.lock(); defer { lock.unlock() }
        if let last = lastResolver, last.headers == headers, last.sources == sources { return last.resolver }
        let resolver = IncludeResolver(headers: headers, sources: sources)
        lastResolver = (headers, sources, resolver)
        return resolver
    }

    /// The prefilter answers learnt so far, as text to keep between runs: they are keyed by git
    /// blob id, so they hold for any repository and any later review. `limit` bounds the lines
    /// (over it, only this run's are kept): loading is linear in the file, and a few kernel
    /// releases' whole trees fit (6.1: 32,000 .c files and the 7,300 headers they include).
    public func exportFacts(limit: Int = 150_000) -> String { facts.export(limit: limit) }

    /// Whether this run read a file the loaded answers did not know.
    public var learntFacts: Bool { facts.learnt }

    /// Answers kept by an earlier run (`exportFacts`).
    public func importFacts(_ text: Substring) { facts.load(text) }

    /// `importFacts`, reading the text only when the prefilter first asks.
    public func importFacts(later read: @escaping @Sendable () -> Substring?) { facts.load(later: read) }
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
    public let bindings: [OpsBinding]
    public let installs: [OpsInstall]
    /// Initializer bindings by the ops variable they fill.
    private var initializerBindings: [String: [OpsBinding]] = [:]
    private var indexByPath: [String: Int] = [:]
    /// The calls of each function as the callee rounds read them, kept between runs (see
    /// `calledNames`), with each file's key in it.
    private var calleeMemo: StablePageEngine.CalleeMemo?
    private var fileKeys: [String] = []

    public init(files: [ParsedFile], version: KernelVersion?) {
        self.files = files
        self.version = version
        bindings = files.flatMap(\.opsBindings)
        installs = files.flatMap(\.opsInstalls)
        for (f, file) in files.enumerated() {
            for (k, function) in file.outlines.enumerated() {
                definitions[function.name, default: []].append((f, k))
            }
        }
        for b in bindings where b.kind != .assignment { initializerBindings[b.variable, default: []].append(b) }
        for (f, file) in files.enumerated() where indexByPath[file.path] == nil { indexByPath[file.path] = f }
    }

    /// The first file of the program at `path`.
    func fileIndex(of path: String) -> Int? { indexByPath[path] }

    /// Answers `calledNames` from `memo` (keyed by `keys`, one per file).
    mutating func useCallees(_ memo: StablePageEngine.CalleeMemo, keys: [String]) {
        guard keys.count == files.count else { return }
        calleeMemo = memo
        fileKeys = keys
    }

    /// The names function `k` of file `f` calls (through a plain identifier), in source order:
    /// from the callee memo when the program has one (a file kept as an outline need not be
    /// parsed), else from the body.
    func calledNames(file f: Int, function k: Int) -> [String] {
        if let calleeMemo { return calleeMemo.callees(of: files[f], key: fileKeys[f], function: k).map(\.name) }
        let file = files[f]
        return file.calls(in: file.functions[k].body).compactMap { file.calleeName(of: $0) }
    }

    /// The initializer bindings of the ops variable `variable` as seen from `file`: the same
    /// file's (a `static` table) when it has one, else every file's (an exported table). Many
    /// files have a `static … vm_ops`; name alone would mix them up.
    public func opsBindings(of variable: String, seenFrom file: String?) -> [OpsBinding] {
        let all = initializerBindings[variable] ?? []
        if let file, all.contains(where: { $0.file == file }) { return all.filter { $0.file == file } }
        return all
    }

    /// The definition of `name` seen from `file`: a static one in the same file first. `limit`:
    /// as the program of the first `limit` files would see it.
    func definition(_ name: String, from file: Int, among limit: Int = .max) -> (file: Int, function: Int)? {
        guard var all = definitions[name] else { return nil }
        if limit < files.count { all = all.filter { $0.file < limit } }
        if let local = all.first(where: { $0.file == file }) { return local }
        return all.first { !files[$0.file].outlines[$0.function].isStatic } ?? all.first
    }
}
