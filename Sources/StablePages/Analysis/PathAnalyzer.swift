import Foundation
import Synchronization
import CSyntax

/// Everything derived about one function: its exits, and what the derivation relied on.
public struct FunctionSummary: Sendable, Codable {
    public var function: String
    public var file: String
    public var line: Int
    public var outcomes: [Outcome]
    /// Callee summaries used, as `name (tree: file)` or `name (model: reason)`.
    public var usedSummaries: [String]
    /// Assumptions made: unknown callees, recursion, budget.
    public var assumptions: [String]
    /// The walk of this function, or of a callee it used, stopped at the state budget.
    public var incomplete: Bool = false
}

/// Derives function summaries by walking each function's control-flow graph with a small
/// abstract state (page locked? waited? handed back? values of `ret`-like variables). Paths that
/// reach the same block in the same state are merged, so loops terminate and the work stays
/// bounded by blocks × states.
public final class PathAnalyzer: @unchecked Sendable {
    let program: Program
    let model: StablePageModel
    let table: [String: [ModelEntry]]
    private var summaries: [String: Derived] = [:]

    /// A summary, what it depended on, and the functions its walk summarised (its own and its
    /// callees', as `file << 32 | function`).
    struct Derived {
        var summary: FunctionSummary
        var dependencies: SummaryDependencies
        var reach: Set<Int>
        /// Tells this summary from every other the analyzer made or took, so that one called
        /// many times is taken into its caller once.
        var serial: Int
    }
    private var serials = 0
    private func derived(_ summary: FunctionSummary, _ dependencies: SummaryDependencies, _ reach: Set<Int>) -> Derived {
        serials += 1
        return Derived(summary: summary, dependencies: dependencies, reach: reach, serial: serials)
    }
    /// Whether a function's definition returns `struct page *`/`struct folio *`, by definition.
    var returnsPageCache: [Int: Bool] = [:]
    private var pageOutParameters: [Int: Int?] = [:]

    /// The index of the `struct page **`/`struct folio **` parameter a function fills, if any:
    /// asked at every call of a summarised function, on every path.
    func pageOutParameter(of d: (file: Int, function: Int)) -> Int? {
        if let known = pageOutParameters[d.file << 32 | d.function] { return known }
        let k = program.files[d.file].functions[d.function].parameters.firstIndex {
            let type = FunctionWalker.bareType($0.typeText)
            return type == "structpage**" || type == "structfolio**"
        }
        // updateValue: "none" (nil) is an answer to remember too.
        pageOutParameters.updateValue(k, forKey: d.file << 32 | d.function)
        return k
    }
    /// Summaries from earlier trees of the same review, and what each depended on.
    let store: SummaryStore?
    /// Dependencies of the summaries being derived, innermost last.
    private var collecting: [SummaryDependencies] = []
    /// The functions summarised for each summary being derived, innermost last.
    private var reaching: [Set<Int>] = []
    /// The summaries (by serial) already taken into each summary being derived, innermost last.
    private var taken: [Set<Int>] = []
    private var identities: [Int: FunctionIdentity] = [:]
    private lazy var fileIndexByPath: [String: Int] = Dictionary(
        program.files.enumerated().map { ($0.element.path, $0.offset) }, uniquingKeysWith: { a, _ in a })
    private var pageStateNames: [String: Bool] = [:]

    /// The model's name test, memoised: it runs for every call.
    func mightTouchPageState(_ name: String) -> Bool {
        if let known = pageStateNames[name] { return known }
        let result = model.mightTouchPageState(name)
        pageStateNames[name] = result
        return result
    }
    /// The functions whose walk is under way (`file << 32 | function`): a call to one of them is
    /// recursion, cut short.
    private var inProgress: Set<Int> = []
    /// Most states explored per function before giving up on it (and saying so).
    static let stateBudget = 20_000
    /// Most functions a call through a member is taken to reach (`->check_write_begin` has one
    /// or two in a tree; `->set_page_dirty` has dozens, and stays unknown).
    static let memberTargetLimit = 4
    private var memberTargetCache: [String: [(file: Int, function: Int)]] = [:]

    /// Definitions of the functions the tree binds to `member` (initializers and assignments).
    func memberTargets(_ member: String) -> [(file: Int, function: Int)] {
        if let known = memberTargetCache[member] { return known }
        var seen = Set<Int>()
        var out: [(file: Int, function: Int)] = []
        for (f, file) in program.files.enumerated() {
            for b in file.opsBindings where b.slot == member || b.slot.hasSuffix("." + member) {
                guard let d = program.definition(b.function, from: f), seen.insert(d.file << 32 | d.function).inserted else { continue }
                out.append(d)
            }
        }
        memberTargetCache[member] = out
        return out
    }

    public init(program: Program, model: StablePageModel, store: SummaryStore? = nil) {
        self.program = program
        self.model = model
        self.table = model.effects(for: program.version)
        self.store = store
    }

    func identity(file: Int, function: Int) -> FunctionIdentity {
        if let known = identities[file << 32 | function] { return known }
        let f = program.files[file], d = f.outlines[function]
        let id = FunctionIdentity(path: f.path, name: d.name, line: d.line, fingerprint: f.fingerprint(ofFunction: function))
        identities[file << 32 | function] = id
        return id
    }

    /// `program.definition(name, from:)`, remembered as a dependency of the summaries being derived.
    func resolve(_ name: String, from fileIndex: Int) -> (file: Int, function: Int)? {
        let found = program.definition(name, from: fileIndex)
        if !collecting.isEmpty {
            let key = SummaryDependencies.ResolutionKey(fromPath: program.files[fileIndex].path, name: name)
            // updateValue, not subscript assignment: "found nothing" (nil) must be remembered too.
            collecting[collecting.count - 1].resolutions.updateValue(found.map { identity(file: $0.file, function: $0.function) }, forKey: key)
        }
        return found
    }

    private func record(_ dependencies: SummaryDependencies) {
        if !collecting.isEmpty { collecting[collecting.count - 1].merge(dependencies) }
    }

    /// Whether everything `dependencies` names is the same in this program: the functions it
    /// names, as this program's `file << 32 | function`, when it does.
    private func holds(_ dependencies: SummaryDependencies) -> Set<Int>? {
        var reach = Set<Int>()
        for f in dependencies.functions {
            guard let index = fileIndexByPath[f.path],
                  let k = program.files[index].outlines.indices.first(where: {
                      program.files[index].outlines[$0].name == f.name && program.files[index].outlines[$0].line == f.line
                  }),
                  identity(file: index, function: k) == f else { return nil }
            reach.insert(index << 32 | k)
        }
        for (key, expected) in dependencies.resolutions {
            guard let from = fileIndexByPath[key.fromPath] else { return nil }
            let found = program.definition(key.name, from: from).map { identity(file: $0.file, function: $0.function) }
            if found != expected { return nil }
        }
        for (member, expected) in dependencies.members
            where memberTargets(member).map({ identity(file: $0.file, function: $0.function) }) != expected {
            return nil
        }
        return reach
    }

    /// Whether a summary derived earlier is the one a walk now would derive. A walk cuts a call
    /// to a function in progress short, so a summary depends on which functions are in progress:
    /// it is the same when every cut it made is still in progress and nothing it summarised is.
    /// So a root's summary never depends on what the analyzer derived before it, and workers can
    /// take roots in any order.
    private func stillExact(_ done: Derived) -> Bool {
        done.dependencies.cuts.isSubset(of: inProgress) && done.reach.isDisjoint(with: inProgress)
    }

    /// Takes `done` into the summary being derived.
    private func use(_ done: Derived) {
        if !taken.isEmpty {
            guard taken[taken.count - 1].insert(done.serial).inserted else { return }
        }
        record(done.dependencies)
        if !reaching.isEmpty { reaching[reaching.count - 1].formUnion(done.reach) }
        // Derived while one of its callers was in progress: right for that caller only.
        if !done.dependencies.cuts.isEmpty && !collecting.isEmpty { collecting[collecting.count - 1].reusable = false }
    }

    /// Effects that are vocabulary (locks, waits, writeback, conversions): always from the model.
    func primitive(_ name: String) -> PageEffect? {
        table[name]?.first { $0.effect.isPrimitive }?.effect
    }

    /// Helper facts used only when the tree has no body for the function.
    func helperFact(_ name: String) -> ModelEntry? {
        table[name]?.first { !$0.effect.isPrimitive }
    }

    public func summary(named name: String) -> FunctionSummary? {
        guard let def = program.definitions[name]?.first else { return nil }
        return summary(file: def.file, function: def.function)
    }

    /// `constants`: parameters the call site fixes (`__xfs_filemap_fault(vmf, PE_SIZE_PTE, true)`),
    /// by index, so branches on them are decided the way that caller decides them.
    public func summary(file fileIndex: Int, function functionIndex: Int, constants: [Int: ValueClass] = [:],
                        flagTexts: [Int: String] = [:]) -> FunctionSummary {
        let specialisation = constants.keys.sorted().map { ":\($0)=\(constants[$0]!.rawValue)" }.joined()
            + flagTexts.keys.sorted().map { ":\($0)~\(flagTexts[$0]!)" }.joined()
        let key = "\(fileIndex):\(functionIndex)" + specialisation
        let id = fileIndex << 32 | functionIndex
        if let done = summaries[key], stillExact(done) {
            use(done)
            return done.summary
        }
        let me = identity(file: fileIndex, function: functionIndex)
        let storeKey = "\(program.version.map { "\($0)" } ?? "-")|\(me.path)|\(me.name)|\(me.line)" + specialisation
        if let store {
            for (summary, dependencies) in store.candidates(storeKey) {
                guard let reach = holds(dependencies), reach.isDisjoint(with: inProgress) else { continue }
                store.noteReuse()
                let done = derived(summary, dependencies, reach)
                summaries[key] = done
                use(done)
                return summary
            }
        }
        // Only now the body: a summary kept from another tree needs none (nor its file parsed).
        let file = program.files[fileIndex]
        let function = file.functions[functionIndex]
        // An outline that was not its file's (a damaged cache): nothing derived from its empty
        // bodies is kept (`StablePageEngine.analyze` reads the tree again in full).
        let broken = file.outlineBroken
        collecting.append(SummaryDependencies(functions: [me]))
        reaching.append([id])
        taken.append([])
        inProgress.insert(id)
        let walker = FunctionWalker(analyzer: self, fileIndex: fileIndex, file: file, function: function)
        walker.constants = constants
        for (index, text) in flagTexts where index < function.parameters.count {
            walker.assignedText[function.parameters[index].name] = text
        }
        let result = walker.run()
        inProgress.remove(id)
        var dependencies = collecting.removeLast()
        let reach = reaching.removeLast()
        taken.removeLast()
        if broken { dependencies.reusable = false }
        // Cuts to itself, and to callees now finished, are its own; a cut to a caller still in
        // progress is not.
        dependencies.cuts = dependencies.cuts.filter { inProgress.contains($0) }
        if !dependencies.cuts.isEmpty { dependencies.reusable = false }
        let done = derived(result, dependencies, reach)
        summaries[key] = done
        if dependencies.reusable { store?.put(storeKey, result, dependencies) }
        use(done)
        return result
    }

    /// The summary being derived called through `member`, which `targets` are bound to: a later
    /// tree binding other bodies to it has another summary.
    func dependsOnMember(_ member: String, targets: [(file: Int, function: Int)]) {
        if !collecting.isEmpty {
            collecting[collecting.count - 1].members[member] = targets.map { identity(file: $0.file, function: $0.function) }
        }
    }

    func isInProgress(file: Int, function: Int) -> Bool {
        let cut = inProgress.contains(file << 32 | function)
        if cut && !collecting.isEmpty { collecting[collecting.count - 1].cuts.insert(file << 32 | function) }
        return cut
    }

    /// Summarises `roots` (entry points) on all cores before the rules ask for them one by one:
    /// a few handlers (ocfs2's, f2fs's write_begin) cost most of the analysis. Each worker has its
    /// own analyzer and takes the next root, the largest first, when it is done with one; a
    /// summary does not depend on what its analyzer derived before (`stillExact`), so the result
    /// does not depend on timing. Only the roots' summaries are kept.
    public func precompute(_ roots: [(file: Int, function: Int)]) {
        let workers = min(roots.count, ProcessInfo.processInfo.activeProcessorCount)
        guard workers > 1 else { return }
        // Largest first, so that no large root is left for the end: a root's size is that of
        // the functions its calls can lead to (through the calls the program keeps, so an
        // outlined file needs no parse), each weighed by its lines squared, since a walk's
        // states grow with a body's branches and its variables together.
        let weight = { (id: Int) -> Int in
            let outline = self.program.files[id >> 32].outlines[id & 0xFFFF_FFFF]
            let lines = min(max(outline.endLine - outline.line, 1), 1 << 16)
            return lines * lines
        }
        var calls: [Int: [Int]] = [:]
        func reachCost(_ root: (file: Int, function: Int)) -> Int {
            var seen: Set<Int> = [root.file << 32 | root.function]
            var queue = Array(seen)
            while let id = queue.popLast() {
                if calls[id] == nil {
                    calls[id] = self.program.calledNames(file: id >> 32, function: id & 0xFFFF_FFFF).compactMap { name in
                        guard self.primitive(name) == nil, let d = self.program.definition(name, from: id >> 32) else { return nil }
                        return d.file << 32 | d.function
                    }
                }
                for callee in calls[id]! where seen.insert(callee).inserted { queue.append(callee) }
            }
            return seen.reduce(0) { $0 + weight($1) }
        }
        let order = roots.map { (root: $0, cost: reachCost($0)) }
            .sorted { ($0.cost, $1.root.file, $1.root.function) > ($1.cost, $0.root.file, $0.root.function) }
            .map(\.root)
        let next = Atomic<Int>(0)
        let results = ConcurrentSlots<[String: Derived]>(count: workers)
        let program = self.program, model = self.model, store = self.store
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let local = PathAnalyzer(program: program, model: model, store: store)
            var done: [String: Derived] = [:]
            while case let k = next.add(1, ordering: .relaxed).oldValue, k < order.count {
                let root = order[k]
                let key = "\(root.file):\(root.function)"
                _ = local.summary(file: root.file, function: root.function)
                done[key] = local.summaries[key]
            }
            results.set(w, done)
        }
        for w in 0..<workers {
            // Serials anew: each worker counted its own.
            for (key, done) in results.values[w] ?? [:] where summaries[key] == nil {
                summaries[key] = derived(done.summary, done.dependencies, done.reach)
            }
        }
    }
}
