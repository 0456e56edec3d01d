import CSyntax
import Dispatch
import Support

/// What `read` selected in a tree, by the tree's identity (a git tree id names its contents):
/// the files in the order read, the callee rounds, the include closure. Selection is a function
/// of the contents, the model and the scope, so a tree read before is read again by parsing
/// the recorded files, without the prefilter over 32,000 files and the two callee rounds over
/// 39,000. Kept between runs by the CLI (`export`/`load`) under the binary's and the model's key.
public final class ReadRecords: @unchecked Sendable {
    struct Record: Equatable {
        var considered: Int
        var rounds: [StablePageEngine.TreeRead.Round]
        var includedHeaders: [String]
        var files: [String]
    }

    private var records: [String: Record] = [:]
    /// Keys from the oldest to the newest use: what an export keeps when there are too many.
    private var order: [String] = []
    /// Bases: trees a review started from, or met again from an earlier run. Kept before newer
    /// trees, so that a long series does not push out the base the next series starts from.
    private var protected = BaseKeys()
    private let lock = NSLockLike()
    public private(set) var learnt = false

    public init() {}

    /// Trees kept: a maintainer's bases and the trees of the series on them (a 6.1 record is
    /// about 330 KB, most of it the include closure).
    static let kept = 16
    /// Trees held in memory (`check` over a long history puts one per commit).
    static let inMemory = 64

    /// Lines kept by an earlier run, by key, decoded when first asked for.
    private var stored: [String: Substring] = [:]

    func get(_ key: String) -> Record? {
        lock.lock(); defer { lock.unlock() }
        if records[key] == nil, let line = stored.removeValue(forKey: key) {
            records[key] = Self.decode(line)
            if records[key] != nil { protected.add(key) }
        }
        guard let record = records[key] else { return nil }
        touch(key)
        return record
    }

    func put(_ key: String, _ record: Record) {
        lock.lock(); defer { lock.unlock() }
        if records[key] == nil, let line = stored.removeValue(forKey: key) { records[key] = Self.decode(line) }
        if records[key] != record { learnt = true }
        records[key] = record
        touch(key)
    }

    /// Keeps `key` (a review's base) ahead of newer trees.
    func protect(_ key: String) {
        lock.lock(); defer { lock.unlock() }
        protected.add(key)
    }

    /// With `lock` held: `key` is the newest; the oldest unprotected go past `inMemory`.
    private func touch(_ key: String) {
        order.removeAll { $0 == key }
        order.append(key)
        while order.count > Self.inMemory, let oldest = order.first(where: { !protected.contains($0) }) {
            order.removeAll { $0 == oldest }
            records.removeValue(forKey: oldest)
            stored.removeValue(forKey: oldest)
        }
    }

    /// One line per tree: `key TAB considered TAB rounds TAB headers TAB files TAB check`;
    /// rounds `size:name name;size:…`, paths comma-separated with `%`, `,`, tab and newline
    /// escaped; `check` a hash of the fields before it, so a damaged line is not read.
    public func export() -> String {
        lock.lock(); defer { lock.unlock() }
        let bases = order.filter { protected.contains($0) }
        let chosen = Set(bases + order.filter { !protected.contains($0) }.suffix(max(0, Self.kept - bases.count)))
        var out = ""
        for key in order where chosen.contains(key) {
            if let line = stored[key] {
                out += "\(key)\t\(line)\n"
                continue
            }
            guard let r = records[key], !key.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }) else { continue }
            let rounds = r.rounds.map { "\($0.programSize):" + $0.missing.joined(separator: " ") }.joined(separator: ";")
            // Callee names are C identifiers; anything else could not be read back.
            guard r.rounds.allSatisfy({ $0.missing.allSatisfy { $0.utf8.allSatisfy(Self.isIdentifierByte) } }) else { continue }
            let paths = { (list: [String]) in list.map(FileFactsCache.escaped).joined(separator: ",") }
            let fields = "\(r.considered)\t\(rounds)\t\(paths(r.includedHeaders))\t\(paths(r.files))"
            out += "\(key)\t\(fields)\t\(Self.check(fields[...]))\n"
        }
        return out
    }

    /// FNV-1a of a line's fields, in hex.
    static func check(_ fields: Substring) -> String {
        var h: UInt64 = 0xcbf29ce484222325
        for b in fields.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return String(h, radix: 16)
    }

    /// Reads `export`'s lines; a malformed line is skipped (a cache, not a contract) when its
    /// key is first asked for.
    public func load(_ text: Substring) {
        let lines = text.keyedLines()
        lock.lock(); defer { lock.unlock() }
        for (key, rest) in lines.map({ (String($0.key), $0.rest) }) where records[key] == nil && stored[key] == nil {
            stored[key] = rest
            order.append(key)
        }
    }

    /// `considered TAB rounds TAB headers TAB files TAB check`, as `export` writes it after the key.
    static func decode(_ line: Substring) -> Record? {
        guard let lastTab = line.utf8.lastIndex(of: 0x09),
              check(line[..<lastTab]) == line[line.utf8.index(after: lastTab)...] else { return nil }
        let fields = line[..<lastTab].splitBytes(at: 0x09)
        guard fields.count == 4, let considered = Int(fields[0]) else { return nil }
        var rounds: [StablePageEngine.TreeRead.Round] = []
        for round in fields[1].splitBytes(at: 0x3B, keepingEmpty: false) {
            guard let colon = round.utf8.firstIndex(of: 0x3A), let size = Int(round[..<colon]), size >= 0 else { return nil }
            rounds.append(.init(programSize: size, missing: round[round.utf8.index(after: colon)...].splitBytes(at: 0x20, keepingEmpty: false).map(String.init)))
        }
        let paths = { (field: Substring) in field.splitBytes(at: 0x2C, keepingEmpty: false).map { FileFactsCache.unescaped(String($0)) } }
        return Record(considered: considered, rounds: rounds, includedHeaders: paths(fields[2]), files: paths(fields[3]))
    }

    static func isIdentifierByte(_ b: UInt8) -> Bool {
        (b >= 0x30 && b <= 0x39) || (b >= 0x41 && b <= 0x5A) || (b >= 0x61 && b <= 0x7A) || b == 0x5F
    }
}

extension StablePageEngine {
    /// The key of `tree`'s record and result: its identity, the release it is read as (T1..Tn
    /// take T0's: a tree met again under another base may be read as another release), and
    /// the scope.
    static func recordKey(_ tree: SourceTree, prefixes: [String]) -> String? {
        tree.identity.map { $0 + "|" + (tree.kernelVersion?.description ?? "-") + "|" + prefixes.sorted().joined(separator: ",") }
    }

    /// `read` of a tree read before: the recorded files, from their kept outlines where an
    /// earlier run kept them (parsed when the analysis walks a body), else parsed (on all cores).
    /// Nil when the tree lacks a recorded file (a record from a damaged cache).
    func recorded(_ record: ReadRecords.Record, in tree: SourceTree, cache: ParseCache, onlyPaths prefixes: [String]) -> TreeRead? {
        let ids = record.files.map { tree.contentID(of: $0) }
        guard !ids.contains(nil), record.rounds.allSatisfy({ (0...record.files.count).contains($0.programSize) }) else { return nil }
        let parsed = ConcurrentSlots<ParsedFile>(count: record.files.count)
        PerformanceTrace.measure("\(tree.name): outlines of the \(record.files.count) files recorded") {
            DispatchQueue.concurrentPerform(iterations: record.files.count) { i in
                let path = record.files[i], key = ids[i]! + ":" + path
                if let known = cache.parsedBefore(key) { parsed.set(i, known); return }
                guard let kept = cache.outlines.entry(key, path: path) else { return }
                cache.callees.seed(key, kept.callees)
                let file = kept.file(at: path) { tree.contents(of: path) }
                cache.remember(file, as: key)
                parsed.set(i, file)
            }
        }
        let missing = record.files.indices.filter { parsed.values[$0] == nil }
        PerformanceTrace.measure("\(tree.name): parse of \(missing.count) of the \(record.files.count) files recorded") {
            if missing.count > 64 { tree.willRead(missing.map { record.files[$0] }) }
            DispatchQueue.concurrentPerform(iterations: missing.count) { k in
                let i = missing[k]
                parsed.set(i, cache.parsed(path: record.files[i], id: ids[i]) { tree.contents(of: record.files[i]) })
            }
        }
        let files = parsed.values.compactMap { $0 }
        guard files.count == record.files.count else { return nil }
        let program = PerformanceTrace.measure("\(tree.name): program index") { Program(files: files, version: tree.kernelVersion) }
        return TreeRead(tree: tree, prefixes: prefixes, program: program, considered: record.considered,
                        includedHeaders: Set(record.includedHeaders), calleeMemo: cache.callees,
                        fileKeys: zip(ids, record.files).map { $0! + ":" + $1 }, rounds: record.rounds)
    }

    func record(of read: TreeRead) -> ReadRecords.Record {
        ReadRecords.Record(considered: read.considered, rounds: read.rounds, includedHeaders: read.includedHeaders.sorted(),
                           files: read.program.files.map(\.path))
    }
}

/// Every cache text `review` keeps, read back as a later run reads it: for the fuzz target
/// (`make fuzz-cache`), since a cache file is input like any other (a disk can damage it, a
/// user can edit it) and must never crash the tool.
public enum CacheTexts {
    public static func readBack(_ text: Substring) {
        let keys = text.split(separator: "\n").map { line in String(line.prefix { $0 != "\t" }) }
        let parse = ParseCache()
        parse.importFacts(text)
        _ = parse.exportFacts()
        for key in keys.prefix(64) { _ = parse.facts.get(key) }
        let summaries = SummaryStore()
        summaries.load(text)
        for key in keys.prefix(64) { _ = summaries.candidates(key) }
        _ = summaries.export()
        let tree = MemoryTree(name: "T0", files: ["fs/a.c": Array("int a(void) { return 0; }\n".utf8)], ids: ["fs/a.c": "1"])
        let records = ReadRecords()
        records.load(text)
        for key in keys.prefix(64) {
            if let record = records.get(key) { _ = StablePageEngine().recorded(record, in: tree, cache: parse, onlyPaths: []) }
        }
        _ = records.export()
        let outlines = KeptOutlines()
        outlines.load(text)
        for key in keys.prefix(64) {
            if let entry = outlines.entry(key, path: "fs/a.c") {
                let file = entry.file(at: "fs/a.c") { nil }
                _ = file.functions.count
                _ = entry.outlines.indices.map { file.fingerprint(ofFunction: $0) }
            }
        }
        _ = outlines.export()
        let results = TreeResultCache()
        results.load(text)
        for key in keys.prefix(64) { _ = results.get(key, for: tree) }
        _ = results.export()
    }
}

/// The few most recent bases of the kept trees (`ReadRecords`, `TreeResultCache`): what a cache
/// keeps before newer trees. Bounded, so that `check` over a history (a base per commit) does
/// not protect everything.
struct BaseKeys {
    private(set) var keys: [String] = []
    static let limit = 4

    mutating func add(_ key: String) {
        keys.removeAll { $0 == key }
        keys.append(key)
        if keys.count > Self.limit { keys.removeFirst() }
    }

    func contains(_ key: String) -> Bool { keys.contains(key) }
}
