import CSyntax
import Foundation
import Dispatch
import Support
import Series
#if canImport(Glibc)
import Glibc
#endif

/// Runs the rules on one tree, or on T0..Tn with the per-patch delta.
public struct StablePageEngine: Sendable {
    public var model: StablePageModel
    public var rules: [RegisteredRule]
    /// Told how far the work has got (`phase`, done, total), for a progress bar; called from
    /// worker threads, often.
    public var progress: (@Sendable (_ phase: String, _ done: Int, _ total: Int) -> Void)?

    public init(model: StablePageModel = .builtIn, rules: [RegisteredRule] = RuleRegistry.all) {
        self.model = model
        self.rules = rules
    }

    /// How many rounds of callee lookup follow the entry points' calls into other files.
    static let calleeRounds = 2

    /// What a file must mention to be read for its entry points (the first round): the model's.
    public var relevantTokens: [String] { model.prefilterTokens }

    public struct TreeResult: Sendable, Codable {
        public var findings: [Finding]
        public var filesConsidered: Int
        public var filesParsed: Int
        public var entryPoints: Int
        /// What the analysis read: a later tree that changes none of these (and whose changed
        /// files would not be read either) has the same findings.
        public var parsedPaths: Set<String> = []
        public var calleeNames: [String] = []
        /// Every name the callee rounds looked for: a file that comes to define one would be
        /// read.
        public var searchedNames: [String] = []
        /// The headers reached by `#include` from the files read: where a callee's body could
        /// have come from.
        public var includedHeaders: Set<String> = []
        /// Entry points out of the rule's scope, each with the model's reason.
        public var notApplicable: [NotApplicableEntry] = []
    }

    /// Parses what can matter in `tree` (a token prefilter, then one more round for callees the
    /// first round could not resolve) and runs every rule.
    public func analyze(_ tree: SourceTree, cache: ParseCache = ParseCache(), onlyPaths prefixes: [String] = [],
                        summaries store: SummaryStore? = nil) -> TreeResult {
        analyze(tree, cache: cache, onlyPaths: prefixes, summaries: store, after: nil).result
    }

    /// `analyze`, reading `tree` from `previous` (the read of an earlier tree of the same
    /// series) when the files that differ cannot change what is read (`TreeRead.following`);
    /// also returns this tree's read, for the next.
    func analyze(_ tree: SourceTree, cache: ParseCache, onlyPaths prefixes: [String], summaries store: SummaryStore?,
                 after previous: TreeRead?, records: ReadRecords? = nil, attempt: Int = 0) -> (result: TreeResult, read: TreeRead) {
        let recordKey = Self.recordKey(tree, prefixes: prefixes)
        let read = PerformanceTrace.measure("\(tree.name): reading and parsing") {
            previous.flatMap { following($0, in: tree, cache: cache, onlyPaths: prefixes) }
                ?? recordKey.flatMap { records?.get($0) }.flatMap { recorded($0, in: tree, cache: cache, onlyPaths: prefixes) }
                ?? self.read(tree, cache: cache, onlyPaths: prefixes)
        }
        if let recordKey, tree.readFailures.isEmpty { records?.put(recordKey, record(of: read)) }
        var program = read.program
        program.useCallees(read.calleeMemo, keys: read.fileKeys)
        // Without a review's store, a fresh one still lets the workers share what they derive.
        let analyzer = PathAnalyzer(program: program, model: model, store: store ?? SummaryStore())
        PerformanceTrace.measure("\(tree.name): entry-point summaries (\(store?.reused ?? 0) reused so far: other workers, earlier trees)") { analyzer.precompute(entryPointDefinitions(program)) }
        let context = RuleContext(program: program, analyzer: analyzer, model: model)
        PerformanceTrace.measure("\(tree.name): exclusions of the entry points") { context.precomputeExclusions() }
        var findings: [Finding] = []
        for (k, registered) in rules.enumerated() {
            progress?("checking", k, rules.count)
            guard case .tree(let rule) = registered else { continue }
            findings += PerformanceTrace.measure("\(tree.name): rule \(rule.description.id)") { rule.check(context) }
        }
        if PerformanceTrace.isEnabled {
            PerformanceTrace.record("\(tree.name): \(program.files.count { $0.isParsed }) of \(program.files.count) files parsed after the rules", since: PerformanceTrace.now())
        }
        let entryPoints = program.bindings.filter { model.entryPoint(structType: $0.structType, slot: $0.slot) != nil }.count
        let calleeNames = PerformanceTrace.measure("\(tree.name): callees left without a body") { unresolvedCallees(program, memo: read.calleeMemo, fileKeys: read.fileKeys) }
        // A kept outline that was not its file's (a damaged cache that passed its check): the
        // file's bodies were empty. Its outline is dropped and the tree read again without it.
        let broken = program.files.indices.filter { program.files[$0].outlineBroken }
        if !broken.isEmpty && attempt < 3 {
            for i in broken { cache.forget(read.fileKeys[i]) }
            return analyze(tree, cache: cache, onlyPaths: prefixes, summaries: store, after: nil, records: records, attempt: attempt + 1)
        }
        if records != nil, tree.readFailures.isEmpty {
            PerformanceTrace.measure("\(tree.name): outlines to keep") { keepOutlines(of: read, cache: cache) }
        }
        let result = TreeResult(findings: findings.sorted { ($0.file, $0.line, $0.rule) < ($1.file, $1.line, $1.rule) },
                                filesConsidered: read.considered, filesParsed: program.files.count, entryPoints: entryPoints,
                                parsedPaths: Set(program.files.map(\.path)), calleeNames: calleeNames,
                                searchedNames: Array(Set(read.rounds.flatMap(\.missing))).sorted(),
                                includedHeaders: read.includedHeaders, notApplicable: context.explanations.entries)
        return (result, read)
    }

    /// Keeps the outline of every file of `read` parsed in this run (with every function's calls
    /// and fingerprint), so that a later run reads this tree, or one that shares its files,
    /// without parsing them (see `KeptOutlines`).
    func keepOutlines(of read: TreeRead, cache: ParseCache) {
        guard read.tree.contentID(of: read.program.files.first?.path ?? "") != nil else { return }
        let fresh = read.program.files.indices.filter { i in
            read.program.files[i].isParsed && !read.program.files[i].outlineBroken && !cache.outlines.contains(read.fileKeys[i])
        }
        DispatchQueue.concurrentPerform(iterations: fresh.count) { k in
            let i = fresh[k], file = read.program.files[i], key = read.fileKeys[i]
            cache.outlines.keep(file, key: key, callees: read.calleeMemo.all(of: file, key: key))
        }
    }

    /// The bodies the rules will summarise: entry points bound in the program, in scope.
    func entryPointDefinitions(_ program: Program) -> [(file: Int, function: Int)] {
        var seen = Set<Int>()
        var roots: [(file: Int, function: Int)] = []
        for b in program.bindings where model.entryPoint(structType: b.structType, slot: b.slot) != nil
            || model.isSupportingSlot(structType: b.structType, slot: b.slot, summarisedOnly: true) {
            guard let all = program.definitions[b.function],
                  let d = all.first(where: { program.files[$0.file].path == b.file }) ?? all.first,
                  model.notApplicableReason(function: b.function, path: program.files[d.file].path, version: program.version) == nil,
                  seen.insert(d.file << 32 | d.function).inserted else { continue }
            roots.append(d)
        }
        return roots
    }

    /// What `analyze` reads of a tree: the files that can matter, parsed.
    public func program(for tree: SourceTree, cache: ParseCache = ParseCache(), onlyPaths prefixes: [String] = []) -> Program {
        read(tree, cache: cache, onlyPaths: prefixes).program
    }

    /// What `read` made of one tree: enough to read a later tree of the same series from it.
    struct TreeRead {
        var tree: SourceTree
        var prefixes: [String]
        var program: Program
        /// The `.c` files in scope.
        var considered: Int
        var includedHeaders: Set<String>
        var calleeMemo: CalleeMemo
        /// Per file of `program`: its content id and path (the callee memo's key).
        var fileKeys: [String]
        /// Each time the callees were looked for: how many files the program had, and the names.
        var rounds: [Round] = []

        struct Round: Equatable {
            var programSize: Int
            var missing: [String]
        }
    }

    /// The files that can matter in `tree`, parsed: those that mention an entry-point token, then
    /// a few rounds for the bodies of callees the analysis reaches but has not found — followed
    /// transitively (a body found in one round calls helpers of its own). A body is looked for
    /// where the compiler would find it: in any `.c` file of the scope (an exported function:
    /// a filesystem's write_begin gets its page from mm/, a driver's fault handler from lib/),
    /// and in the headers the files read so far include (a `static inline` helper), never in a
    /// header nothing includes.
    func read(_ tree: SourceTree, cache: ParseCache, onlyPaths prefixes: [String]) -> TreeRead {
        let all = PerformanceTrace.measure("\(tree.name): listing") {
            tree.cFiles().filter { path in prefixes.isEmpty || prefixes.contains { path.hasPrefix($0) } }
        }
        let tokens = relevantTokens
        let localFacts = FileFactsCache()
        var parsed = PerformanceTrace.measure("\(tree.name): token prefilter and parse, \(all.count) files") {
            parse(all, in: tree, cache: cache, facts: localFacts, filter: .mentions(tokens))
        }
        var program = PerformanceTrace.measure("\(tree.name): program index") { Program(files: parsed, version: tree.kernelVersion) }
        var searched = Set<String>()
        // Per content where the tree has ids; a tree without them gets a memo of its own.
        let calleeMemo = tree.contentID(of: all.first ?? "") == nil ? CalleeMemo() : cache.callees
        func keys(_ files: [ParsedFile]) -> [String] {
            files.map { file in (tree.contentID(of: file.path).map { $0 + ":" } ?? "") + file.path }
        }
        var fileKeys = keys(parsed)
        var included = PerformanceTrace.measure("\(tree.name): include resolver") {
            IncludeClosure(resolver: cache.includeResolver(headers: tree.headerFiles(), sources: all))
        }
        var closureRoots = parsed.map(\.path)
        var rounds: [TreeRead.Round] = []
        for _ in 0..<Self.calleeRounds {
            let missing = PerformanceTrace.measure("\(tree.name): callees to look for") {
                unresolvedCallees(program, memo: calleeMemo, fileKeys: fileKeys).filter { !searched.contains($0) }
            }
            rounds.append(TreeRead.Round(programSize: parsed.count, missing: missing))
            if missing.isEmpty { break }
            searched.formUnion(missing)
            PerformanceTrace.measure("\(tree.name): headers included") {
                included.extend(from: closureRoots) { paths in
                    facts(of: paths, in: tree, cache: cache, local: localFacts).map { $0?.includes ?? [] }
                }
            }
            // Each once: a `.c` file a `.c` file includes is in both lists.
            var listed = Set(parsed.map(\.path))
            let candidates = (all + included.headers.sorted()).filter { listed.insert($0).inserted }
            let more = PerformanceTrace.measure("\(tree.name): callee round, \(missing.count) names in \(candidates.count) files") {
                parse(candidates, in: tree, cache: cache, facts: localFacts, filter: .defines(IdentifierSet(missing)))
            }
            if more.isEmpty { break }
            parsed += more
            fileKeys += keys(more)
            closureRoots = more.map(\.path)
            program = PerformanceTrace.measure("\(tree.name): program index") { Program(files: parsed, version: tree.kernelVersion) }
        }
        return TreeRead(tree: tree, prefixes: prefixes, program: program, considered: all.count,
                        includedHeaders: included.headers, calleeMemo: calleeMemo, fileKeys: fileKeys, rounds: rounds)
    }

    /// Entry points without a body in the files read, and callees reachable from an entry point
    /// that are given something page-like (`page`, `folio`, `vmf`, `pagep`) but have no
    /// definition and no model entry: the bodies worth a second look. Only what an entry point
    /// can reach: a file's other functions do not matter.
    ///
    /// `limit`: as if the program had only its first `limit` files (the program an earlier
    /// callee round had), without indexing those again.
    func unresolvedCallees(_ program: Program, memo: CalleeMemo = CalleeMemo(), fileKeys: [String]? = nil, limit: Int? = nil) -> [String] {
        var names = Set<String>()
        let table = model.effects(for: program.version)
        let limit = min(limit ?? program.files.count, program.files.count)
        var queue: [(file: Int, function: Int)] = []
        var seen = Set<Int>()  // file << 32 | function
        func enqueue(_ d: (file: Int, function: Int)) {
            if seen.insert(d.file << 32 | d.function).inserted { queue.append(d) }
        }
        for (f, file) in program.files.prefix(limit).enumerated() {
            for b in file.opsBindings where model.entryPoint(structType: b.structType, slot: b.slot) != nil
                || model.isSupportingSlot(structType: b.structType, slot: b.slot) {
                // An entry point bound here but defined elsewhere (afs binds in file.c, defines in write.c).
                if let d = program.definition(b.function, from: f, among: limit) { enqueue(d) } else { names.insert(b.function) }
            }
        }
        // Each file's lists, asked of the memo once.
        var lists = [[[CalleeMemo.Callee]?]?](repeating: nil, count: limit)
        while let (f, k) = queue.popLast() {
            let key = fileKeys.map { $0[f] } ?? program.files[f].path
            if lists[f] == nil { lists[f] = memo.lists(key) ?? [] }
            let callees: [CalleeMemo.Callee]
            if let slots = lists[f], k < slots.count, let known = slots[k] {
                callees = known
            } else {
                callees = memo.callees(of: program.files[f], key: key, function: k)
            }
            for callee in callees {
                if let d = program.definition(callee.name, from: f, among: limit) {
                    enqueue(d)
                    continue
                }
                // Vocabulary (locks, waits, bit operations) is the model's; a helper the model
                // also describes is still looked up, since its body in this tree wins.
                let isPrimitive = table[callee.name]?.contains { $0.effect.isPrimitive } ?? false
                guard callee.worthALook, !isPrimitive, !names.contains(callee.name) else { continue }
                names.insert(callee.name)
            }
        }
        return Array(names).sorted()
    }

    /// The calls of each function as `unresolvedCallees` reads them. Kept per file content (blob
    /// id and path) in the parse cache, so T0..Tn and the commits of a history share them; for
    /// a tree without ids, per path within one `read`.
    final class CalleeMemo: @unchecked Sendable {
        struct Callee: Equatable {
            var name: String
            /// Given something page-like (`page`, `folio`, `vmf`, `pagep`), or its result is
            /// stored in a page variable; and named like a function, not a macro.
            var worthALook: Bool
        }
        /// By file key, one slot per function.
        private var byFile: [String: [[Callee]?]] = [:]
        private let lock = NSLockLike()

        func callees(of file: ParsedFile, key fileKey: String, function k: Int) -> [Callee] {
            lock.lock()
            if let known = byFile[fileKey]?[k] { lock.unlock(); return known }
            lock.unlock()
            let out = Self.derive(file, function: k)
            lock.lock()
            if byFile[fileKey] == nil { byFile[fileKey] = Array(repeating: nil, count: file.outlines.count) }
            byFile[fileKey]![k] = out
            lock.unlock()
            return out
        }

        /// What is known of `fileKey`'s functions (nil slots: not derived yet).
        func lists(_ fileKey: String) -> [[Callee]?]? {
            lock.lock(); defer { lock.unlock() }
            return byFile[fileKey]
        }

        /// Every function's calls, as kept with a file's outline.
        func all(of file: ParsedFile, key fileKey: String) -> [[Callee]] {
            file.outlines.indices.map { callees(of: file, key: fileKey, function: $0) }
        }

        func drop(_ fileKey: String) {
            lock.lock(); defer { lock.unlock() }
            byFile.removeValue(forKey: fileKey)
        }

        /// What an earlier run derived for the file `fileKey` (one list per function).
        func seed(_ fileKey: String, _ lists: [[Callee]]) {
            lock.lock(); defer { lock.unlock() }
            if byFile[fileKey] == nil { byFile[fileKey] = lists }
        }

        static func derive(_ file: ParsedFile, function k: Int) -> [Callee] {
            let getters = StablePageEngine.pageGetterCalls(in: file, function: k)
            var out: [Callee] = []
            for call in file.calls(in: file.functions[k].body) {
                guard let name = file.calleeName(of: call) else { continue }
                var worth = name.count > 3 && name.lowercased() == name
                if worth {
                    worth = getters.contains(call) || file.arguments(of: call).contains { a in
                        let t = file.normalizedText(of: a)
                        return t.containsBytes("page") || t.containsBytes("folio") || t.containsBytes("vmf")
                    }
                }
                out.append(Callee(name: name, worthALook: worth))
            }
            return out
        }
    }

    /// Calls whose result is stored in a `struct page *`/`struct folio *` variable of the
    /// function (`page = grab_cache_page_write_begin(…)`): getters whose bodies say in what state
    /// the page comes back, although nothing page-like is passed to them.
    static func pageGetterCalls(in file: ParsedFile, function k: Int) -> Set<NodeID> {
        let tree = file.tree
        let body = file.functions[k].body
        var pageVariables = Set<String>()
        tree.walk(body) { node in
            guard tree.kind(node) == .declaration else { return }
            // `struct page *…` / `struct folio *…`: the first three tokens say it.
            let n = tree[node]
            guard n.lastToken >= n.firstToken + 2, file.text(ofToken: n.firstToken) == "struct",
                  ["page", "folio"].contains(file.text(ofToken: n.firstToken + 1)),
                  file.text(ofToken: n.firstToken + 2) == "*" else { return }
            for d in tree.children(node) where tree.kind(d) == .initDeclarator {
                if let n = file.name(of: d) { pageVariables.insert(n) }
            }
        }
        var calls = Set<NodeID>()
        guard !pageVariables.isEmpty else { return calls }
        tree.walk(body) { node in
            let target: String?, value: NodeID?
            switch tree.kind(node) {
            case .initDeclarator: target = file.name(of: node); value = tree.child(node, 0)
            case .assignment: target = tree.child(node, 0).flatMap { file.name(of: $0) }; value = tree.child(node, 1)
            default: return
            }
            guard let target, pageVariables.contains(target), var v = value else { return }
            while tree.kind(v) == .cast, let inner = tree.child(v, 1) { v = inner }
            if tree.kind(v) == .call { calls.insert(v) }
        }
        return calls
    }

    /// Which files `parse` keeps: those that mention any of the tokens, or define any of the names.
    enum FileFilter: Sendable {
        case mentions([String])
        case defines(IdentifierSet)
    }

    /// Reads and parses `paths` on all cores, keeping the files `filter` accepts. The filter's
    /// answers are kept per content id (per path without ids, in `facts`): a file unchanged since
    /// an earlier tree is neither read nor scanned again, and costs one lookup.
    func parse(_ paths: [String], in tree: SourceTree, cache: ParseCache, facts localFacts: FileFactsCache,
               filter: FileFilter) -> [ParsedFile] {
        let progress = self.progress
        let tokens: [String]
        if case .mentions(let t) = filter { tokens = t } else { tokens = [] }
        // What is known already, in one pass; only the rest is read.
        let ids = paths.map { tree.contentID(of: $0) }
        var known = cache.facts.get(zip(paths, ids).map { $0.1 ?? "" })
        if ids.contains(nil) {
            let local = localFacts.get(paths)
            for i in paths.indices where ids[i] == nil { known[i] = local[i] }
        }
        func complete(_ f: FileFacts) -> Bool {
            f.definedNames != nil && f.includes != nil && (tokens.isEmpty || f.mentionsEntryTokens != nil)
        }
        @Sendable func accepts(_ f: FileFacts) -> Bool {
            switch filter {
            case .mentions: return f.mentionsEntryTokens ?? false
            case .defines(let names): return names.isDefined(in: f.definedNames ?? [])
            }
        }
        let unknown = paths.indices.filter { !complete(known[$0]) }
        let read = ConcurrentSlots<(facts: FileFacts?, bytes: [UInt8]?)>(count: unknown.count)
        if unknown.count > 64 { tree.willRead(unknown.map { paths[$0] }) }
        DispatchQueue.concurrentPerform(iterations: unknown.count) { k in
            var bytes: [UInt8]?
            let facts = Self.facts(of: paths[unknown[k]], in: tree, cache: cache, local: localFacts, tokens: tokens, bytes: &bytes)
            // The bytes are kept for the parse only: a whole tree's would not fit.
            read.set(k, (facts, facts.map(accepts) == true ? bytes : nil))
            let done = read.tick()
            if done % 64 == 0 || done == unknown.count { progress?("reading", done, unknown.count) }
        }
        var bytes: [Int: [UInt8]] = [:]
        for (k, i) in unknown.enumerated() {
            known[i] = read.values[k]?.facts ?? FileFacts()
            if let b = read.values[k]?.bytes { bytes[i] = b }
        }
        let kept = paths.indices.filter { accepts(known[$0]) }
        let results = ConcurrentSlots<ParsedFile>(count: kept.count)
        let alreadyRead = bytes
        DispatchQueue.concurrentPerform(iterations: kept.count) { k in
            let i = kept[k]
            results.set(k, cache.parsed(path: paths[i], id: ids[i]) { alreadyRead[i] ?? tree.contents(of: paths[i]) })
        }
        return results.values.compactMap { $0 }
    }

    /// The facts of each of `paths` (nil: unreadable), on all cores.
    func facts(of paths: [String], in tree: SourceTree, cache: ParseCache, local: FileFactsCache) -> [FileFacts?] {
        let results = ConcurrentSlots<FileFacts>(count: paths.count)
        if paths.count > 16 { tree.willRead(paths) }
        DispatchQueue.concurrentPerform(iterations: paths.count) { i in
            var bytes: [UInt8]?
            results.set(i, Self.facts(of: paths[i], in: tree, cache: cache, local: local, tokens: [], bytes: &bytes))
        }
        return results.values
    }

    /// What is known of the file at `path`, completed from one read of it when something asked for
    /// is missing: the definition and include shapes always, the token answer when `tokens` are
    /// given. By blob id alone when the tree has ids: the answers depend on the bytes, not on
    /// where they sit. `bytes` keeps what was read, for the parse.
    static func facts(of path: String, in tree: SourceTree, cache: ParseCache, local: FileFactsCache,
                      tokens: [String], bytes: inout [UInt8]?) -> FileFacts? {
        let id = tree.contentID(of: path)
        let store = id == nil ? local : cache.facts
        let key = id ?? path
        var known = store.get(key)
        let needsMentions = !tokens.isEmpty && known.mentionsEntryTokens == nil
        guard needsMentions || known.definedNames == nil || known.includes == nil else { return known }
        guard let data = tree.contents(of: path) else { return nil }
        bytes = data
        if needsMentions { known.mentionsEntryTokens = TokenPrefilter.mentionsAny(data, of: tokens) }
        if known.definedNames == nil || known.includes == nil {
            let shapes = DefinitionShapes.scan(data)
            known.definedNames = shapes.definedNames
            known.includes = shapes.includes
        }
        store.set(key, known)
        return known
    }

    /// Whether `tree` has the findings `previous` (of `before`) had: every file that differs
    /// between them (by content id) was not read for `previous`, and would not be read now —
    /// it mentions no entry slot and none of the callees the analysis looked for.
    func canReuse(_ previous: TreeResult, from before: SourceTree, for tree: SourceTree, prefixes: [String]) -> Bool {
        // Paths of either tree, each once: the later tree's, then those only the earlier one has.
        let paths: [String]
        if let differing = tree.differingPaths(from: before) {
            paths = differing
        } else {
            let later = tree.cFiles() + tree.headerFiles()
            let laterSet = Set(later)
            paths = later + (before.cFiles() + before.headerFiles()).filter { !laterSet.contains($0) }
        }
        // The release decides the model's vocabulary; T1..Tn take T0's, but a recent tree of
        // `check` may be of another release.
        guard before.kernelVersion == tree.kernelVersion else { return false }
        let tokens = relevantTokens
        let callees = IdentifierSet(previous.calleeNames + previous.searchedNames)
        for path in paths where before.contentID(of: path) != tree.contentID(of: path) || before.contentID(of: path) == nil {
            if before.contentID(of: path) == nil && tree.contentID(of: path) == nil { return false }  // no ids: cannot tell
            // A header added or removed can change where an unchanged `#include` lands.
            if path.hasSuffix(".h") && (before.contentID(of: path) == nil) != (tree.contentID(of: path) == nil) { return false }
            if !prefixes.isEmpty && !prefixes.contains(where: { path.hasPrefix($0) }) && !path.hasSuffix(".h") { continue }
            if previous.parsedPaths.contains(path) { return false }
            guard let bytes = tree.contents(of: path) else { continue }
            if TokenPrefilter.mentionsAny(bytes, of: tokens) || callees.definedIn(bytes) { return false }
            // A header the files read include, now including something else: other bodies in view.
            if previous.includedHeaders.contains(path),
               DefinitionShapes.scan(bytes).includes != before.contents(of: path).map({ DefinitionShapes.scan($0).includes }) {
                return false
            }
        }
        return true
    }

    /// T0..Tn: each finding says which trees it is present in, and which patch introduced or
    /// resolved it. Diff-only rules run on the series itself.
    public func review(trees: [SourceTree], series: PatchSeries?, prefixes: [String] = [],
                       cache: ParseCache = ParseCache(), summaries store: SummaryStore = SummaryStore()) -> [Finding] {
        reviewTrees(trees, series: series, prefixes: prefixes, cache: cache, summaries: store).findings
    }

    /// `review`, also saying which trees were analysed (true) rather than found to have the
    /// previous tree's findings because nothing the analysis reads changed (false).
    public func reviewTrees(_ trees: [SourceTree], series: PatchSeries?, prefixes: [String] = [],
                            cache: ParseCache = ParseCache(), summaries store: SummaryStore = SummaryStore(),
                            results: TreeResultCache? = nil, records: ReadRecords? = nil)
        -> (findings: [Finding], analysed: [Bool]) {
        var analysed: [Bool] = []
        var perTree: [[String: Finding]] = []
        var byKey: [String: Finding] = [:]
        var order: [String] = []
        var last: (tree: SourceTree, result: TreeResult)?
        var lastRead: TreeRead?  // the last tree analysed, as read: the next may be read from it
        if let base = trees.first, let key = Self.recordKey(base, prefixes: prefixes) {
            // The base is what the next series starts from: kept before the trees of this one.
            results?.protect(key)
            records?.protect(key)
        }
        for (k, tree) in trees.enumerated() {
            let result: TreeResult
            let resultKey = Self.recordKey(tree, prefixes: prefixes)
            if let resultKey, let known = results?.get(resultKey, for: tree) {
                result = known.result
                last = (tree, result)
                analysed.append(false)
            } else if last == nil, let recent = results?.mostRecent(prefixes: prefixes),
                      PerformanceTrace.measure("\(tree.name): whether a recent tree's findings hold", {
                          canReuse(recent.result, from: recent.tree, for: tree, prefixes: prefixes)
                      }) {
                // Another commit's tree, from a side branch of the same history: the same findings
                // when nothing the analysis read differs between them.
                result = recent.result
                last = (tree, result)
                analysed.append(false)
            } else if let last, PerformanceTrace.measure("\(tree.name): whether \(last.tree.name)'s findings hold", {
                canReuse(last.result, from: last.tree, for: tree, prefixes: prefixes)
            }) {
                result = last.result
                analysed.append(false)
            } else {
                // The tree before, known from a result kept by an earlier run: read from its
                // record, so that this one can be read from it.
                if lastRead == nil, let prior = last?.tree, let key = Self.recordKey(prior, prefixes: prefixes),
                   let record = records?.get(key) {
                    lastRead = PerformanceTrace.measure("\(prior.name): read from its record, for \(tree.name)") {
                        recorded(record, in: prior, cache: cache, onlyPaths: prefixes)
                    }
                }
                let fresh = analyze(tree, cache: cache, onlyPaths: prefixes, summaries: store, after: lastRead, records: records)
                result = fresh.result
                lastRead = fresh.read
                last = (tree, result)
                analysed.append(true)
            }
            if let resultKey, tree.readFailures.isEmpty { results?.put(resultKey, tree: tree, result: result, prefixes: prefixes) }
            perTree.append(Dictionary(result.findings.map { ($0.key, $0) }, uniquingKeysWith: { a, _ in a }))
            for var f in result.findings {
                if var existing = byKey[f.key] {
                    existing.presentIn.append(k)
                    byKey[f.key] = existing
                } else {
                    f.presentIn = [k]
                    byKey[f.key] = f
                    order.append(f.key)
                }
            }
        }
        var findings: [Finding] = order.map { key in
            var f = byKey[key]!
            let present = Set(f.presentIn)
            f.introducedBy = (1..<max(trees.count, 1)).first { present.contains($0) && !present.contains($0 - 1) }
            f.resolvedBy = (1..<max(trees.count, 1)).first { !present.contains($0) && present.contains($0 - 1) }
            return f
        }
        findings += Self.openedPaths(perTree, trees: trees.count)
        if let series {
            for case .diff(let rule) in rules {
                for var f in rule.check(patches: series.patches, model: model, version: trees.first?.kernelVersion) {
                    if let k = f.introducedBy { f.presentIn = Array(k..<max(trees.count, k + 1)) }
                    if f.function == Finding.unknownFunction, let k = f.introducedBy, k < trees.count,
                       let name = Self.enclosingFunction(f.file, line: f.line, in: trees[k], cache: cache) {
                        f.function = name
                        f.message = f.message.replacingOccurrences(of: Finding.unknownFunction + "()", with: name + "()")
                    }
                    findings.append(f)
                }
            }
        }
        return (findings, analysed)
    }
}

extension StablePageEngine {
    /// The function whose body holds `line` of `path` in `tree`, by parsing the file.
    static func enclosingFunction(_ path: String, line: Int, in tree: SourceTree, cache: ParseCache) -> String? {
        guard let file = cache.parsed(path: path, id: tree.contentID(of: path), bytes: { tree.contents(of: path) }) else { return nil }
        return file.outlines.first { $0.line <= line && line <= $0.endLine }?.name
    }

    /// The per-path delta: for each patch k, the error paths of T(k) that T(k-1) did not have, in
    /// entry points that already had a finding (a wholly new finding is introduced by itself).
    /// Grouped by the callee whose outcome changed on the new path — the helper the patch
    /// edited — so one finding lists every entry point one change opened.
    static func openedPaths(_ perTree: [[String: Finding]], trees: Int) -> [Finding] {
        guard perTree.count > 1 else { return [] }
        var out: [Finding] = []
        for k in 1..<perTree.count {
            var groups: [String: Finding] = [:]
            var order: [String] = []
            for key in perTree[k].keys.sorted() {
                guard let now = perTree[k][key], now.severity == .error, let before = perTree[k - 1][key] else { continue }
                let old = Set(before.openPaths.map(Finding.signature))
                guard let opened = now.openPaths.first(where: { !old.contains(Finding.signature(of: $0)) }) else { continue }
                let oldNotes = Set(before.openPaths.flatMap { $0.map { Finding.signature(of: [$0]) } })
                let changed = opened.first { step in
                    !oldNotes.contains(Finding.signature(of: [step])) && step.note.range(of: "(): ") != nil
                }
                let cause = changed.map { String($0.note[..<$0.note.range(of: "(): ")!.lowerBound]) } ?? now.function
                let groupKey = "\(now.rule)|\(cause)"
                if var g = groups[groupKey] {
                    g.affected.append(now.function)
                    g.bindings += now.bindings
                    groups[groupKey] = g
                    continue
                }
                order.append(groupKey)
                var f = now
                f.function = cause
                f.cause = cause
                f.affected = [now.function]
                f.path = opened
                f.openPaths = [opened]
                f.presentIn = Array(k..<max(trees, k + 1))
                f.introducedBy = k
                f.resolvedBy = nil
                f.message = "patch \(k) opens a path without a stable page through \(cause)()"
                groups[groupKey] = f
            }
            for key in order {
                var f = groups[key]!
                let n = f.affected.count
                f.message += " in \(n) entry point\(n == 1 ? "" : "s") that already had findings: "
                    + f.affected.map { "\($0)()" }.joined(separator: ", ")
                out.append(f)
            }
        }
        return out
    }
}

/// Findings of whole trees by their identity (a git tree id) and scope, for reviews that meet
/// the same tree again: the parent of one commit is the previous commit of a history.
public final class TreeResultCache: @unchecked Sendable {
    struct Entry {
        var tree: SourceTree
        var result: StablePageEngine.TreeResult
        var prefixes: [String]
    }
    private var results: [String: Entry] = [:]
    private var order: [String] = []
    private let limit: Int
    private let lock = NSLockLike()
    /// Results kept by an earlier run (`load`), by key, decoded when first asked for: only an
    /// exact tree (its identity and scope) is answered from them.
    private var stored: [String: Substring] = [:]
    private var storedOrder: [String] = []
    public private(set) var learnt = false

    /// Keeps the `limit` most recently stored trees.
    public init(limit: Int = 8) { self.limit = limit }

    func get(_ key: String, for tree: SourceTree) -> Entry? {
        lock.lock(); defer { lock.unlock() }
        if let known = results[key] { return known }
        guard let line = stored.removeValue(forKey: key),
              let tab = line.utf8.firstIndex(of: 0x09),
              let result = try? JSONDecoder().decode(StablePageEngine.TreeResult.self, from: Data(line[line.utf8.index(after: tab)...].utf8))
        else { return nil }
        let prefixes = line[..<tab].split(separator: ",").map(String.init)
        let entry = Entry(tree: tree, result: result, prefixes: prefixes)
        insert(key, entry)
        kept[key] = line
        protected.add(key)
        return entry
    }

    /// The kept text of results decoded this run: written back as it was read.
    private var kept: [String: Substring] = [:]
    /// Bases (a review's T0, a result met again from an earlier run): kept on disk before newer
    /// trees, so that a long series does not push out the next one's base.
    private var protected = BaseKeys()

    /// Keeps `key` (a review's base) ahead of newer trees.
    func protect(_ key: String) {
        lock.lock(); defer { lock.unlock() }
        protected.add(key)
    }

    /// The tree stored last with the same scope.
    func mostRecent(prefixes: [String]) -> Entry? {
        lock.lock(); defer { lock.unlock() }
        for key in order.reversed() { if let e = results[key], e.prefixes == prefixes { return e } }
        return nil
    }

    func put(_ key: String, tree: SourceTree, result: StablePageEngine.TreeResult, prefixes: [String]) {
        lock.lock(); defer { lock.unlock() }
        if results[key] == nil && stored[key] == nil { learnt = true }
        let text = kept[key]
        insert(key, Entry(tree: tree, result: result, prefixes: prefixes))
        // The same tree's result is the one that was kept (an identity names its contents).
        if results[key] != nil, let text { kept[key] = text }
    }

    /// With `lock` held.
    private func insert(_ key: String, _ entry: Entry) {
        stored.removeValue(forKey: key)
        kept.removeValue(forKey: key)
        if results.updateValue(entry, forKey: key) == nil {
            order.append(key)
        } else if let i = order.firstIndex(of: key) {
            order.remove(at: i)
            order.append(key)
        }
        while order.count > limit {
            let oldest = order.removeFirst()
            // A base leaves memory, not the file: its text stays to be written back.
            if protected.contains(oldest), let e = results[oldest],
               let text = kept[oldest] ?? Self.encoded(e) {
                stored[oldest] = text
                storedOrder.removeAll { $0 == oldest }
                storedOrder.append(oldest)
            }
            results.removeValue(forKey: oldest)
            kept.removeValue(forKey: oldest)
        }
    }

    /// The results of trees with an identity, newest last, as lines `key TAB scope TAB json`
    /// (at most `limit`): what a later run answers exact trees from.
    public func export(limit: Int = 16) -> String {
        lock.lock(); defer { lock.unlock() }
        var lines: [(key: String, text: String)] = storedOrder.filter { stored[$0] != nil }.map { ($0, "\($0)\t\(stored[$0]!)") }
        for key in order {
            guard !key.utf8.contains(where: { $0 == 0x09 || $0 == 0x0A }),
                  let text = kept[key] ?? results[key].flatMap(Self.encoded) else { continue }
            lines.append((key, "\(key)\t\(text)"))
        }
        // Bases last, so that the newest `limit` keep them.
        let ordered = lines.filter { !protected.contains($0.key) } + lines.filter { protected.contains($0.key) }
        return ordered.suffix(limit).map { $0.text + "\n" }.joined()
    }

    /// `scope TAB json` of an entry (nil: a scope the line format cannot hold).
    private static func encoded(_ e: Entry) -> Substring? {
        guard !e.prefixes.contains(where: { $0.contains(",") || $0.contains("\t") || $0.contains("\n") }) else { return nil }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
        guard let json = try? encoder.encode(e.result) else { return nil }
        return Substring(e.prefixes.joined(separator: ",") + "\t" + String(decoding: json, as: UTF8.self))
    }

    /// Reads `export`'s lines; a line that does not decode is skipped when asked for.
    public func load(_ text: Substring) {
        let lines = text.keyedLines()
        lock.lock(); defer { lock.unlock() }
        for (key, rest) in lines.map({ (String($0.key), $0.rest) }) where results[key] == nil {
            if stored.updateValue(rest, forKey: key) == nil { storedOrder.append(key) }
        }
    }
}

/// One slot per iteration of a `concurrentPerform`, filled from any thread, with a count of the
/// iterations done (for progress).
final class ConcurrentSlots<Value>: @unchecked Sendable {
    private(set) var values: [Value?]
    private var finished = 0
    private let lock = NSLockLike()

    /// Counts one more item done; returns the count.
    func tick() -> Int {
        lock.lock()
        finished += 1
        let n = finished
        lock.unlock()
        return n
    }
    init(count: Int) { values = Array(repeating: nil, count: count) }
    func set(_ i: Int, _ v: Value?) {
        lock.lock()
        values[i] = v
        lock.unlock()
    }
}

/// A directory on disk as a `SourceTree` (for `scan` and tests).
public struct DirectoryTree: SourceTree {
    public let root: String
    public let name: String
    public let kernelVersion: KernelVersion?
    /// Subdirectories to list (all of `root` when empty); files elsewhere can still be read.
    public let subdirectories: [String]

    public init(root: String, name: String? = nil, subdirectories: [String] = []) {
        self.root = root
        self.name = name ?? root
        // `scan .` or `scan ./fs`: paths are relative to the root, as in a kernel's own messages.
        self.subdirectories = subdirectories.map { d -> String in
            var d = d
            while d.hasPrefix("./") { d.removeFirst(2) }
            while d.hasSuffix("/") && d.count > 1 { d.removeLast() }
            return d
        }.filter { $0 != "." && !$0.isEmpty }
        var version: KernelVersion?
        if let makefile = DirectoryTree.read(root + "/Makefile") {
            version = KernelVersion.fromMakefile(String(decoding: makefile.prefix(2048), as: UTF8.self))
        }
        self.kernelVersion = version
    }

    /// The `.c` files under the subdirectories (all of the root when none are given).
    public func cFiles() -> [String] { listing.get(self).cFiles }

    /// Every header under the root, wherever the `.c` files are: where an `#include` lands is
    /// for the include resolver to say, and only the headers something includes are read.
    public func headerFiles() -> [String] { listing.get(self).headers }

    /// One walk of the directory for both lists, when first asked.
    private let listing = Listing()

    final class Listing: @unchecked Sendable {
        private var lists: (cFiles: [String], headers: [String])?
        private let lock = NSLockLike()

        func get(_ tree: DirectoryTree) -> (cFiles: [String], headers: [String]) {
            lock.lock(); defer { lock.unlock() }
            if let lists { return lists }
            var sources: [String] = [], headers: [String] = []
            // The top-level directories on all cores (a kernel has 78,000 files).
            var top: [String] = []
            DirectoryTree.walk(tree.root, relative: "", sources: &sources, headers: &headers, directories: &top)
            let walked = ConcurrentSlots<(sources: [String], headers: [String])>(count: top.count)
            let directories = top
            DispatchQueue.concurrentPerform(iterations: directories.count) { k in
                var s: [String] = [], h: [String] = []
                DirectoryTree.walk(tree.root + "/" + directories[k], relative: directories[k], sources: &s, headers: &h)
                walked.set(k, (s, h))
            }
            for part in walked.values {
                sources += part?.sources ?? []
                headers += part?.headers ?? []
            }
            var picked = sources
            if !tree.subdirectories.isEmpty {
                let files = Set(tree.subdirectories.filter { $0.hasSuffix(".c") })
                let dirs = tree.subdirectories.filter { !$0.hasSuffix(".c") }.map { $0 + "/" }
                picked = sources.filter { path in files.contains(path) || dirs.contains { path.hasPrefix($0) } }
            }
            lists = (picked.sorted(), headers.sorted())
            return lists!
        }
    }

    /// The `.c` and `.h` files below `dir`: regular files only (no symlinks, as git would list
    /// them), by the directory entry's type where the file system gives it.
    static func walk(_ dir: String, relative: String, sources: inout [String], headers: inout [String]) {
        var unused: [String]? = nil
        walk(dir, relative: relative, sources: &sources, headers: &headers, collecting: &unused)
    }

    /// The files directly in `dir`, and its subdirectories (relative) to walk later.
    static func walk(_ dir: String, relative: String, sources: inout [String], headers: inout [String], directories: inout [String]) {
        var collected: [String]? = []
        walk(dir, relative: relative, sources: &sources, headers: &headers, collecting: &collected)
        directories = collected ?? []
    }

    private static func walk(_ dir: String, relative: String, sources: inout [String], headers: inout [String],
                             collecting directories: inout [String]?) {
        guard let d = opendir(dir) else { return }
        defer { closedir(d) }
        while let entry = readdir(d) {
            var type = Int32(entry.pointee.d_type)
            // A file that is neither `.c` nor `.h` is passed by its bytes, without a String.
            let kind = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: UInt8.self, capacity: 256) { p -> UInt8 in
                    let n = strlen(UnsafeRawPointer(p).assumingMemoryBound(to: CChar.self))
                    guard n >= 2, p[n - 2] == 0x2E else { return 0 }
                    return p[n - 1]
                }
            }
            if type == Int32(DT_REG) && kind != 0x63 && kind != 0x68 { continue }
            let name = withUnsafePointer(to: entry.pointee.d_name) {
                $0.withMemoryRebound(to: CChar.self, capacity: 256) { String(cString: $0) }
            }
            if name == "." || name == ".." || name == ".git" { continue }
            let full = dir + "/" + name
            let rel = relative.isEmpty ? name : relative + "/" + name
            if type == Int32(DT_UNKNOWN) {
                var st = stat()
                guard lstat(full, &st) == 0 else { continue }
                switch st.st_mode & S_IFMT {
                case S_IFDIR: type = Int32(DT_DIR)
                case S_IFREG: type = Int32(DT_REG)
                default: continue
                }
            }
            if type == Int32(DT_DIR) {
                if directories != nil {
                    directories!.append(rel)
                } else {
                    walk(full, relative: rel, sources: &sources, headers: &headers, collecting: &directories)
                }
            } else if type == Int32(DT_REG) {
                if name.hasSuffix(".c") { sources.append(rel) } else if name.hasSuffix(".h") { headers.append(rel) }
            }
        }
    }

    public func contents(of path: String) -> [UInt8]? { DirectoryTree.read(root + "/" + path) }

    /// Asks for read-ahead of every file on a thread of its own (`POSIX_FADV_WILLNEED`); the
    /// readers then mostly find the pages already there. Costs a few microseconds a file when
    /// the tree is already cached.
    public func willRead(_ paths: [String]) {
        let root = self.root
        DispatchQueue.global(qos: .utility).async {
            for path in paths {
                let fd = open(root + "/" + path, O_RDONLY)
                guard fd >= 0 else { continue }
                _ = posix_fadvise(fd, 0, 0, POSIX_FADV_WILLNEED)
                close(fd)
            }
        }
    }
    public func contentID(of path: String) -> String? { nil }

    static func read(_ path: String) -> [UInt8]? {
        let fd = open(path, O_RDONLY)
        guard fd >= 0 else { return nil }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0 else { return nil }
        var bytes = [UInt8](repeating: 0, count: Int(st.st_size))
        var done = 0
        while done < bytes.count {
            let n = bytes.withUnsafeMutableBytes { Glibc.read(fd, $0.baseAddress! + done, $0.count - done) }
            if n <= 0 { break }
            done += n
        }
        if done < bytes.count { bytes.removeLast(bytes.count - done) }
        return bytes
    }
}

/// Files held in memory (tests, rule examples, git trees read by the CLI).
public struct MemoryTree: SourceTree {
    public let name: String
    public let files: [String: [UInt8]]
    public let ids: [String: String]
    public let kernelVersion: KernelVersion?

    public init(name: String, files: [String: [UInt8]], ids: [String: String] = [:], kernelVersion: KernelVersion? = nil) {
        self.name = name
        self.files = files
        self.ids = ids
        self.kernelVersion = kernelVersion
    }

    public func cFiles() -> [String] { files.keys.filter { $0.hasSuffix(".c") }.sorted() }
    public func headerFiles() -> [String] { files.keys.filter { $0.hasSuffix(".h") }.sorted() }
    public func contents(of path: String) -> [UInt8]? { files[path] }
    public func contentID(of path: String) -> String? { ids[path] }

    /// When both trees give every file an id: the paths whose ids differ.
    public func differingPaths(from other: SourceTree) -> [String]? {
        guard let other = other as? MemoryTree, files.keys.allSatisfy({ ids[$0] != nil }),
              other.files.keys.allSatisfy({ other.ids[$0] != nil }) else { return nil }
        return Set(files.keys).union(other.files.keys).filter { ids[$0] != other.ids[$0] }.sorted()
    }
}
