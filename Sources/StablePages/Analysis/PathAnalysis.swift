import Foundation
import CSyntax

/// What a returned value (or a tracked variable) is known to be.
public enum ValueClass: String, Hashable, Sendable, Codable {
    /// Includes `VM_FAULT_LOCKED`: the page goes back to the fault core locked and writable.
    case faultLocked
    /// 0: for `page_mkwrite` the core locks the page itself and maps it writable without a wait;
    /// for `write_begin` and errno-style helpers, success.
    case zero
    /// A fault code under which nothing is written (`VM_FAULT_NOPAGE`, `VM_FAULT_SIGBUS`, …).
    case noWrite
    /// Some other non-zero value (a negative errno).
    case nonzero
    case unknown
}

/// One step of a finding's path.
public struct PathStep: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var note: String
}

/// Steps shared between the paths that branch from a common prefix.
final class Trace: @unchecked Sendable {
    let step: PathStep
    let parent: Trace?
    init(_ step: PathStep, _ parent: Trace?) {
        self.step = step
        self.parent = parent
    }

    func steps() -> [PathStep] {
        var out: [PathStep] = []
        var t: Trace? = self
        while let node = t { out.append(node.step); t = node.parent }
        return out.reversed()
    }
}

/// Whether the page lock is held. Summaries start from `inherited` (whatever the caller holds),
/// so one summary serves every call site; an entry point's own callers pass the page unlocked.
public enum LockState: String, Hashable, Sendable, Codable {
    case unlocked, locked, inherited
}

public enum NullState: Hashable, Sendable { case unknown, null, nonNull }

/// What one path knows about the page it handles.
struct PageState: Hashable {
    var lock: LockState = .inherited
    var locked: Bool {
        get { lock == .locked }
        set { lock = newValue ? .locked : .unlocked }
    }
    /// Waited while the lock was in the caller's hands (`inherited`).
    var waitedInherited = false
    /// Waited for writeback while holding the lock (since the lock was last taken).
    var waitedUnderLock = false
    /// Waited while *not* holding the lock, and not again under the lock since.
    var waitedUnlocked = false
    /// Waited under the lock, then dropped and retook it without waiting again.
    var relockedAfterWait = false
    /// What this path did to PG_writeback (`set_page_writeback`, `end_page_writeback`):
    /// read by the writeback-window derivation, which asks whether a mapping's ->writepage
    /// leaves a page under writeback once it returns.
    var writeback: WritebackChange = .unchanged
    /// `*pagep = page` (write_begin): the page is handed to the caller.
    var handedBack = false
    /// Whether the page pointer is known to be NULL on this path (`if (!page) return NULL;`).
    var null: NullState = .unknown
    /// The page this path tracks is no longer the one the function was given (it got a page
    /// of its own from a getter): its lock state says nothing about the caller's page.
    var replaced = false
    /// Variables holding the result of a conditional lock on the page (`ret = folio_lock_killable(folio)`).
    var pendingLock: [String: LockSuccess] = [:]
    /// Predicates already decided on this path (`ext4_should_journal_data(inode)`): asked again
    /// (after a `goto retry`), they answer the same.
    var decided: [String: Bool] = [:]
    /// Expressions that denote the page (`vmf->page`, `page`, `folio`).
    var aliases: Set<String> = []
    /// Tracked variables' values (`ret`, `err`).
    var values: [String: ValueClass] = [:]
    /// The value the branch condition's call returned on this path (`if (!foo_trylock(page))`),
    /// so the branch taken agrees with the callee's exit: set when the condition is evaluated,
    /// read and cleared by `refine`.
    var conditionCall: ConditionCall? = nil

    /// The walk keeps a set of (block, state) visits, and hashing every dictionary and set of a
    /// state was a fifth of a whole scan. Equal states have equal flags and equal collection
    /// sizes, which is all the hash needs to be consistent with `==` (synthesized, every field);
    /// states that differ only in their collections' contents meet in a bucket and are told
    /// apart by `==`.
    func hash(into h: inout Hasher) {
        var bits = lock == .locked ? 1 : lock == .unlocked ? 2 : 3
        for flag in [waitedInherited, waitedUnderLock, waitedUnlocked, relockedAfterWait, handedBack, replaced] {
            bits = bits << 1 | (flag ? 1 : 0)
        }
        bits = bits << 2 | (writeback == .unchanged ? 0 : writeback == .started ? 1 : 2)
        bits = bits << 2 | (null == .unknown ? 0 : null == .null ? 1 : 2)
        h.combine(bits)
        h.combine(aliases.count << 24 | values.count << 16 | pendingLock.count << 8 | decided.count)
        // Which values are known, order-independently and without hashing the keys.
        var known = 0
        for (name, value) in values { known &+= (name.utf8.count &* 8 &+ ValueClassKey.of(value)) &* 0x9E37_79B9 }
        h.combine(known)
        h.combine(conditionCall?.node)
    }
}

/// What a path did to the page's PG_writeback bit, relative to how it found it.
public enum WritebackChange: String, Hashable, Sendable, Codable {
    case unchanged, started, ended
}

struct ConditionCall: Hashable {
    var node: NodeID
    var value: ValueClass
}

/// How one path through a function ends.
public struct Outcome: Sendable, Hashable, Codable {
    public var returnClass: ValueClass
    /// The function returned the page itself (a getter).
    public var returnsPage: Bool
    public var lock: LockState
    public var waitedInherited: Bool
    public var waitedUnderLock: Bool
    public var waitedUnlocked: Bool
    public var relockedAfterWait: Bool
    public var writeback: WritebackChange = .unchanged
    public var handedBack: Bool
    /// The state describes a page the function obtained itself, not the one it was given.
    public var replaced: Bool = false
    /// The path, from entry to this exit.
    public var path: [PathStep]

    public static func == (a: Outcome, b: Outcome) -> Bool { a.key == b.key }
    public func hash(into h: inout Hasher) { h.combine(key) }
    private var key: [Int] {
        [ValueClassKey.of(returnClass), returnsPage ? 1 : 0, lock == .locked ? 1 : lock == .unlocked ? 0 : 2, waitedInherited ? 1 : 0, waitedUnderLock ? 1 : 0,
         waitedUnlocked ? 1 : 0, relockedAfterWait ? 1 : 0, handedBack ? 1 : 0, replaced ? 1 : 0,
         writeback == .unchanged ? 0 : writeback == .started ? 1 : 2]
    }

    /// Seen from an entry point (whose caller passes the page unlocked): the page is stable on
    /// this exit — locked, and waited for since the lock was taken.
    public var pageIsStable: Bool { lock == .locked && waitedUnderLock && !relockedAfterWait }
    public var locked: Bool { lock == .locked }
    /// Seen from an entry point: the only waits happened while the page was not locked.
    public var waitedOnlyUnlocked: Bool { !pageIsStable && (waitedUnlocked || waitedInherited || relockedAfterWait) }
}

enum ValueClassKey {
    static func of(_ v: ValueClass) -> Int {
        switch v {
        case .faultLocked: 0
        case .zero: 1
        case .noWrite: 2
        case .nonzero: 3
        case .unknown: 4
        }
    }
}

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
    private var summaries: [String: (summary: FunctionSummary, dependencies: SummaryDependencies)] = [:]
    /// Whether a function's definition returns `struct page *`/`struct folio *`, by definition.
    var returnsPageCache: [Int: Bool] = [:]
    /// Summaries from earlier trees of the same review, and what each depended on.
    let store: SummaryStore?
    /// Dependencies of the summaries being derived, innermost last.
    private var collecting: [SummaryDependencies] = []
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
    private var inProgress: Set<String> = []
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
        let f = program.files[file], d = f.functions[function]
        let id = FunctionIdentity(path: f.path, name: d.name, line: d.line, fingerprint: f.fingerprint(of: d))
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

    /// Whether everything `dependencies` names is the same in this program.
    private func holds(_ dependencies: SummaryDependencies) -> Bool {
        for f in dependencies.functions {
            guard let index = fileIndexByPath[f.path],
                  let k = program.files[index].functions.indices.first(where: {
                      program.files[index].functions[$0].name == f.name && program.files[index].functions[$0].line == f.line
                  }),
                  identity(file: index, function: k) == f else { return false }
        }
        for (key, expected) in dependencies.resolutions {
            guard let from = fileIndexByPath[key.fromPath] else { return false }
            let found = program.definition(key.name, from: from).map { identity(file: $0.file, function: $0.function) }
            if found != expected { return false }
        }
        for (member, expected) in dependencies.members
            where memberTargets(member).map({ identity(file: $0.file, function: $0.function) }) != expected {
            return false
        }
        return true
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
        let file = program.files[fileIndex]
        let function = file.functions[functionIndex]
        let specialisation = constants.keys.sorted().map { ":\($0)=\(constants[$0]!.rawValue)" }.joined()
            + flagTexts.keys.sorted().map { ":\($0)~\(flagTexts[$0]!)" }.joined()
        let key = "\(fileIndex):\(functionIndex)" + specialisation
        if let done = summaries[key] {
            record(done.dependencies)
            // Derived while one of its callers was in progress: right for that caller only.
            if !done.dependencies.cuts.isEmpty && !collecting.isEmpty { collecting[collecting.count - 1].reusable = false }
            return done.summary
        }
        let me = identity(file: fileIndex, function: functionIndex)
        let storeKey = "\(program.version.map { "\($0)" } ?? "-")|\(me.path)|\(me.name)|\(me.line)" + specialisation
        if let store {
            for (summary, dependencies) in store.candidates(storeKey) where holds(dependencies) {
                store.noteReuse()
                summaries[key] = (summary, dependencies)
                record(dependencies)
                return summary
            }
        }
        collecting.append(SummaryDependencies(functions: [me]))
        inProgress.insert("\(fileIndex):\(functionIndex)")
        var walker = FunctionWalker(analyzer: self, fileIndex: fileIndex, file: file, function: function)
        walker.constants = constants
        for (index, text) in flagTexts where index < function.parameters.count {
            walker.assignedText[function.parameters[index].name] = text
        }
        let result = walker.run()
        inProgress.remove("\(fileIndex):\(functionIndex)")
        var dependencies = collecting.removeLast()
        // Cuts to itself, and to callees now finished, are its own; a cut to a caller still in
        // progress is not.
        dependencies.cuts = dependencies.cuts.filter { inProgress.contains("\($0 >> 32):\($0 & 0xFFFF_FFFF)") }
        if !dependencies.cuts.isEmpty { dependencies.reusable = false }
        summaries[key] = (result, dependencies)
        if dependencies.reusable { store?.put(storeKey, result, dependencies) }
        record(dependencies)
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
        let cut = inProgress.contains("\(file):\(function)")
        if cut && !collecting.isEmpty { collecting[collecting.count - 1].cuts.insert(file << 32 | function) }
        return cut
    }

    /// Summarises `roots` (entry points) on all cores before the rules ask for them one by one:
    /// a few handlers (ocfs2's, f2fs's write_begin) cost most of the analysis. Each worker has its
    /// own analyzer over a fixed share (largest bodies first, to the least-loaded worker), so the
    /// result does not depend on timing; only the roots' summaries are kept.
    public func precompute(_ roots: [(file: Int, function: Int)]) {
        let workers = min(roots.count, ProcessInfo.processInfo.activeProcessorCount)
        guard workers > 1 else { return }
        let size = { (r: (file: Int, function: Int)) -> Int in
            let f = self.program.files[r.file].functions[r.function]
            let n = self.program.files[r.file].tree[f.body]
            return Int(n.lastToken) - Int(n.firstToken)
        }
        var shares = [[(file: Int, function: Int)]](repeating: [], count: workers)
        var loads = [Int](repeating: 0, count: workers)
        for root in roots.sorted(by: { (size($0), $1.file, $1.function) > (size($1), $0.file, $0.function) }) {
            let w = loads.indices.min { loads[$0] < loads[$1] }!
            shares[w].append(root)
            loads[w] += size(root)
        }
        let results = ResultBox<[String: (summary: FunctionSummary, dependencies: SummaryDependencies)]>(count: workers)
        let program = self.program, model = self.model, store = self.store, fixedShares = shares
        DispatchQueue.concurrentPerform(iterations: workers) { w in
            let local = PathAnalyzer(program: program, model: model, store: store)
            var done: [String: (summary: FunctionSummary, dependencies: SummaryDependencies)] = [:]
            for root in fixedShares[w] {
                let key = "\(root.file):\(root.function)"
                _ = local.summary(file: root.file, function: root.function)
                done[key] = local.summaries[key]
            }
            results.set(w, done)
        }
        for w in 0..<workers {
            for (key, summary) in results.values[w] ?? [:] where summaries[key] == nil { summaries[key] = summary }
        }
    }
}

/// Walks one function's CFG.
struct FunctionWalker {
    let analyzer: PathAnalyzer
    let fileIndex: Int
    let file: ParsedFile
    let function: FunctionDefinition
    let graph: ControlFlowGraph
    var tree: SyntaxTree { file.tree }
    /// Node texts, built once per node: the walk asks for the same arguments' text many times.
    let texts = TextMemo()

    func text(_ id: NodeID) -> String {
        if let t = texts.values[id] { return t }
        let t = file.normalizedText(of: id)
        texts.values[id] = t
        return t
    }

    /// The node as kernel code spells it, for path steps people read; memoised.
    func display(_ id: NodeID) -> String {
        if let t = texts.display[id] { return t }
        let t = file.displayText(of: id)
        texts.display[id] = t
        return t
    }

    /// The node's tokens with no spaces between them (`vmf->page`), memoised.
    func compact(_ id: NodeID) -> String {
        if let t = texts.compact[id] { return t }
        let n = tree[id]
        var t = ""
        if n.lastToken >= n.firstToken {
            for k in n.firstToken...n.lastToken { t += file.text(ofToken: k) }
        }
        texts.compact[id] = t
        return t
    }
    /// The `struct page **`/`struct folio **` parameter a write_begin fills.
    var pageOut: String?
    /// The `struct vm_fault *` parameter.
    var faultParameter: String?
    /// Locals declared `struct page *` / `struct folio *`.
    var pageVariables: Set<String> = []
    /// Parameter values fixed by the call site being summarised for.
    var constants: [Int: ValueClass] = [:]
    /// What each local was last set to, as text (`fgp_flags = FGP_LOCK | FGP_STABLE`), so flag
    /// arguments passed through a variable can still be read.
    var assignedText: [String: String] = [:]
    var outcomes: [Outcome] = []
    var incomplete = false
    var used: [String] = []
    var assumptions: [String] = []

    init(analyzer: PathAnalyzer, fileIndex: Int, file: ParsedFile, function: FunctionDefinition) {
        self.analyzer = analyzer
        self.fileIndex = fileIndex
        self.file = file
        self.function = function
        self.graph = ControlFlowGraph.build(function, in: file)
    }

    struct Work {
        var block: Int
        var state: PageState
        var trace: Trace?
    }

    struct Visit: Hashable {
        var block: Int
        var state: PageState
    }

    func step(_ line: Int, _ note: String, _ trace: Trace?) -> Trace {
        Trace(PathStep(file: file.path, line: line, note: note), trace)
    }

    mutating func run() -> FunctionSummary {
        var initial = PageState()
        for (index, p) in function.parameters.enumerated() where !p.name.isEmpty {
            if let value = constants[index] { initial.values[p.name] = value }
            let type = Self.bareType(p.typeText)
            if type == "structvm_fault*" {
                faultParameter = p.name
                initial.aliases.insert("\(p.name)->page")
            } else if type == "structpage*" || type == "structfolio*" {
                initial.aliases.insert(p.name)
            } else if type == "structpage**" || type == "structfolio**" {
                pageOut = p.name
            }
        }
        tree.walk(function.body) { node in
            if tree.kind(node) == .initDeclarator, let n = file.name(of: node), let v = tree.child(node, 0) {
                assignedText[n, default: ""] += (assignedText[n] == nil ? "" : " | ") + text(v)
            } else if tree.kind(node) == .assignment, let t = tree.child(node, 0), tree.kind(t) == .identifier,
                      let n = file.name(of: t), let v = tree.child(node, 1) {
                assignedText[n, default: ""] += (assignedText[n] == nil ? "" : " | ") + text(v)
            }
            guard tree.kind(node) == .declaration else { return }
            let text = compact(node)
            guard text.hasPrefix("structpage*") || text.hasPrefix("structfolio*") || text.hasPrefix("conststructpage*")
                    || text.hasPrefix("structpage*") else { return }
            for d in tree.children(node) where tree.kind(d) == .initDeclarator {
                if let n = file.name(of: d) { pageVariables.insert(n) }
            }
        }
        var queue: [Work] = [Work(block: graph.entry, state: initial, trace: step(function.line, "enter \(function.name)()", nil))]
        var visited: Set<Visit> = []
        var explored = 0
        while let work = queue.popLast() {
            guard visited.insert(Visit(block: work.block, state: work.state)).inserted else { continue }
            explored += 1
            if explored > PathAnalyzer.stateBudget {
                assumptions.append("\(function.name): analysis stopped after \(PathAnalyzer.stateBudget) states; remaining paths not checked")
                incomplete = true
                break
            }
            let block = graph.blocks[work.block]
            var states = [(work.state, work.trace)]
            for item in block.items where block.kind != .returnExit || item != block.returnStatement {
                if item == block.condition { states = states.flatMap { evalCondition(item, $0.0, $0.1) }; continue }
                states = states.flatMap { exec(item, $0.0, $0.1) }
            }
            if block.kind == .returnExit {
                for (state, trace) in states {
                    if let expr = block.returnExpression {
                        for var r in eval(expr, state, trace) {
                            if let fresh = r.freshPage {
                                r.state = fresh
                                r.isPage = fresh.null != .null
                            }
                            let returnsNull = r.isPage && r.state.null == .null
                            let t = step(block.lastLine > 0 ? block.lastLine : file.line(of: expr),
                                         "return \(display(expr))\(returnsNull ? " (NULL)" : describe(r.value))", r.trace)
                            record(r.state, returnsNull ? .zero : r.value, returnsPage: r.isPage && !returnsNull, t)
                        }
                    } else {
                        record(state, .unknown, returnsPage: false, step(block.lastLine, "return", trace))
                    }
                }
                continue
            }
            if block.kind == .fallOffExit {
                for (state, trace) in states { record(state, .unknown, returnsPage: false, trace) }
                continue
            }
            for edgeIndex in block.outgoing {
                let edge = graph.edges[edgeIndex]
                for (state, trace) in states {
                    var next = state
                    var t = trace
                    if let condition = edge.condition, edge.kind == .trueBranch || edge.kind == .falseBranch {
                        guard let refined = refine(state, condition, edge.kind == .trueBranch) else { continue }
                        next = refined
                        t = step(file.line(of: condition),
                                 "\(edge.kind == .trueBranch ? "" : "!")(\(display(condition)))", trace)
                    } else if edge.kind == .goto, let label = edge.label {
                        t = step(graph.blocks[edge.to].firstLine, "goto \(label)", trace)
                    }
                    next.conditionCall = nil
                    queue.append(Work(block: edge.to, state: next, trace: t))
                }
            }
        }
        var unique: [Outcome] = []
        var seen: Set<Outcome> = []
        for o in outcomes where seen.insert(o).inserted { unique.append(o) }
        var summary = FunctionSummary(function: function.name, file: file.path, line: function.line, outcomes: unique,
                               usedSummaries: Array(Set(used)).sorted(), assumptions: Array(Set(assumptions)).sorted())
        summary.incomplete = incomplete
        return summary
    }

    func describe(_ v: ValueClass) -> String {
        switch v {
        case .faultLocked: " (page handed back locked)"
        case .zero: " (0)"
        case .noWrite: " (no write)"
        case .nonzero: " (error)"
        case .unknown: ""
        }
    }

    mutating func record(_ s: PageState, _ value: ValueClass, returnsPage: Bool, _ trace: Trace?) {
        outcomes.append(Outcome(returnClass: value, returnsPage: returnsPage, lock: s.lock,
                                waitedInherited: s.waitedInherited, waitedUnderLock: s.waitedUnderLock, waitedUnlocked: s.waitedUnlocked,
                                relockedAfterWait: s.relockedAfterWait, writeback: s.writeback, handedBack: s.handedBack,
                                replaced: s.replaced,
                                path: trace?.steps() ?? []))
    }

    // MARK: - Statements

    mutating func exec(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [(PageState, Trace?)] {
        switch tree.kind(node) {
        case .expressionStatement:
            guard let e = tree.child(node, 0) else { return [(state, trace)] }
            return eval(e, state, trace).map { ($0.state, $0.trace) }
        case .declaration:
            var results = [(state, trace)]
            for declarator in tree.children(node) where tree.kind(declarator) == .initDeclarator {
                guard let name = file.name(of: declarator), let value = tree.child(declarator, 0) else { continue }
                results = results.flatMap { (s, t) in
                    eval(value, s, t).map { r in (assign(name, r, to: r.state), r.trace) }
                }
            }
            return results
        default:
            return evalForEffects(node, state, trace)
        }
    }

    /// Evaluates a branch condition. When it is (the negation of) a call to a function whose
    /// body was summarised, each of the callee's exits keeps the value it returned, so the
    /// branch that follows takes only the exits that agree with it (an inline helper that
    /// returns 1 for success is not read as failing).
    mutating func evalCondition(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [(PageState, Trace?)] {
        var core = node
        while true {
            if tree.kind(core) == .unary, tree[core].op == .bang, let inner = tree.child(core, 0) { core = inner; continue }
            if tree.kind(core) == .call, let name = file.calleeName(of: core), name == "likely" || name == "unlikely",
               let inner = file.arguments(of: core).first { core = inner; continue }
            break
        }
        guard tree.kind(core) == .call, let name = file.calleeName(of: core), analyzer.primitive(name) == nil else {
            return evalForEffects(node, state, trace)
        }
        return eval(core, state, trace).map { r in
            var s = r.state
            s.conditionCall = r.value == .unknown ? nil : ConditionCall(node: core, value: r.value)
            return (s, r.trace)
        }
    }

    /// Evaluates a node whose value is not used.
    mutating func evalForEffects(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [(PageState, Trace?)] {
        eval(node, state, trace).map { ($0.state, $0.trace) }
    }

    struct Result {
        var state: PageState
        var value: ValueClass
        var isPage: Bool
        var trace: Trace?
        /// The value came straight from a call (a candidate getter).
        var fromCall = false
        /// `NULL` (or a literal 0) written where a pointer goes.
        var isNullPointer = false
        /// The value is the result of a conditional lock on the page.
        var lockResult: LockSuccess? = nil
        /// The value is a page this call obtained (a getter): the state that page is in. It
        /// becomes the tracked page only when stored (`page = find_lock_page(…)`), returned, or
        /// handed back; a getter whose result is dropped or only tested changes nothing.
        var freshPage: PageState? = nil
    }

    // MARK: - Expressions

    mutating func eval(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [Result] {
        switch tree.kind(node) {
        case .identifier where file.name(of: node) == "NULL":
            var r = Result(state: state, value: .zero, isPage: false, trace: trace)
            r.isNullPointer = true
            return [r]
        case .identifier:
            let name = file.name(of: node) ?? ""
            if analyzer.model.lockedFaultCodes.contains(name) { return [Result(state: state, value: .faultLocked, isPage: false, trace: trace)] }
            if analyzer.model.noWriteFaultCodes.contains(name) { return [Result(state: state, value: .noWrite, isPage: false, trace: trace)] }
            return [Result(state: state, value: state.values[name] ?? .unknown, isPage: state.aliases.contains(name), trace: trace)]
        case .numberLiteral:
            let text = text(node)
            let zero = text == "0" || text == "0x0" || text == "0U" || text == "0L"
            return [Result(state: state, value: zero ? .zero : .nonzero, isPage: false, trace: trace)]
        case .unary:
            let op = tree[node].op
            guard let operand = tree.child(node, 0) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            let inner = eval(operand, state, trace)
            if op == .minus { return inner.map { Result(state: $0.state, value: .nonzero, isPage: false, trace: $0.trace) } }
            // `&folio->page` is the page itself.
            let addressOfPage = op == .ampersand && isPage(node, state)
            return inner.map { Result(state: $0.state, value: .unknown, isPage: addressOfPage, trace: $0.trace) }
        case .cast:
            guard let operand = tree.child(node, 1) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            return eval(operand, state, trace)
        case .postfix, .unary where tree[node].op == .plusPlus || tree[node].op == .minusMinus:
            // `nr_underway++`: whatever the counter was known to be, it no longer is.
            guard let operand = tree.child(node, 0) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            return eval(operand, state, trace).map { r in
                var s = r.state
                if tree.kind(operand) == .identifier, let name = file.name(of: operand) {
                    s.values.removeValue(forKey: name)
                    s.pendingLock.removeValue(forKey: name)
                }
                return Result(state: s, value: .unknown, isPage: false, trace: r.trace)
            }
        case .binary:
            guard let lhs = tree.child(node, 0), let rhs = tree.child(node, 1) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            let op = tree[node].op
            var out: [Result] = []
            for l in eval(lhs, state, trace) {
                for r in eval(rhs, l.state, l.trace) {
                    let value: ValueClass
                    if op == .comma { value = r.value }
                    else if op == .pipe {
                        // `VM_FAULT_LOCKED | VM_FAULT_NOPAGE`: the fault core stops on the error
                        // bits and NOPAGE whatever else is set; `VM_FAULT_LOCKED | VM_FAULT_RETRY`
                        // it does not stop on (2.6.3x __do_fault and 6.x do_page_mkwrite alike).
                        let stops = [lhs, rhs].contains { n in
                            tree.kind(n) == .identifier && file.name(of: n).map(analyzer.model.stoppingFaultCodes.contains) == true
                        }
                        if stops { value = .noWrite }
                        else if l.value == .faultLocked || r.value == .faultLocked { value = .faultLocked }
                        else if l.value == .zero && r.value == .zero { value = .zero }
                        else { value = .unknown }
                    } else { value = .unknown }
                    out.append(Result(state: r.state, value: value, isPage: op == .comma ? r.isPage : false, trace: r.trace))
                }
            }
            return out
        case .assignment:
            guard let target = tree.child(node, 0), let value = tree.child(node, 1) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            let op = tree[node].op
            return eval(value, state, trace).map { r0 in
                var r = r0
                // `n += 1`, `mask &= ~X`: the old value takes part; only `|=` of fault codes keeps a class.
                if op != .assign && op != .pipeAssign { r.value = .unknown; r.isPage = false; r.freshPage = nil; r.lockResult = nil }
                var s = r.state
                var t = r.trace
                if tree.kind(target) == .identifier, let name = file.name(of: target) {
                    s = assign(name, r, to: s)
                } else if tree.kind(target) == .unary, tree[target].op == .star, let inner = tree.child(target, 0),
                          let name = file.name(of: inner), name == pageOut {
                    if let fresh = r.freshPage {
                        let keep = s
                        s = fresh
                        s.values = keep.values
                        s.decided = keep.decided
                        // `*pagep` now names the page: `if (!*pagep)` tests it.
                        s.aliases.insert(compact(target))
                        s.handedBack = fresh.null != .null
                        if s.handedBack { t = step(file.line(of: node), "\(display(node)): page handed to the caller", t) }
                    } else if r.isPage && r.state.null != .null {
                        s.handedBack = true
                        t = step(file.line(of: node), "\(display(node)): page handed to the caller", t)
                    }
                }
                return Result(state: s, value: r.value, isPage: r.isPage, trace: t)
            }
        case .conditional:
            var out: [Result] = []
            for c in tree.children(node) {
                out = out.isEmpty ? eval(c, state, trace) : out.flatMap { eval(c, $0.state, $0.trace) }
            }
            return out.map { Result(state: $0.state, value: .unknown, isPage: false, trace: $0.trace) }
        case .call:
            return call(node, state, trace).map { var r = $0; r.fromCall = true; return r }
        case .statementExpression:
            return [Result(state: state, value: .unknown, isPage: false, trace: trace)]
        default:
            // Calls nested anywhere else (member of a call result, array index, …): effects only.
            var results = [Result(state: state, value: .unknown, isPage: isPage(node, state), trace: trace)]
            // Only the outermost calls: a call evaluates the calls in its own arguments.
            let all = file.calls(in: node)
            let nested = all.filter { inner in
                !all.contains { outer in
                    outer != inner && tree[outer].firstToken <= tree[inner].firstToken && tree[inner].lastToken <= tree[outer].lastToken
                }
            }
            for c in nested {
                results = results.flatMap { r in call(c, r.state, r.trace).map { Result(state: $0.state, value: .unknown, isPage: r.isPage, trace: $0.trace) } }
            }
            return results
        }
    }

    func assign(_ name: String, _ r: Result, to state: PageState) -> PageState {
        var s = state
        if let success = r.lockResult { s.pendingLock[name] = success } else { s.pendingLock.removeValue(forKey: name) }
        if r.isNullPointer, s.aliases.contains(name) || pageVariables.contains(name) {
            s.aliases = s.aliases.union([name])
            s.null = .null
            return s
        }
        if r.freshPage != nil, !s.aliases.contains(name), !s.aliases.isEmpty {
            // A second page (`tmp = alloc_page(…)` in a ->writepage that was given `page`): not
            // the one this walk tracks, whose state stays as it is.
            s.pendingLock.removeValue(forKey: name)
        } else if let fresh = r.freshPage {
            let keep = s
            s = fresh
            s.aliases = keep.aliases.union([name])
            s.values = keep.values
            s.decided = keep.decided
            s.handedBack = keep.handedBack
        } else if r.isPage {
            s.aliases.insert(name)
        } else if r.fromCall, pageVariables.contains(name), s.aliases.subtracting([name]).isEmpty {
            // A page obtained from a call this function has no facts about: a fresh, unlocked page.
            s.aliases = [name]
            s.null = .unknown
            s.replaced = true
            s.lock = .unlocked
            s.waitedUnderLock = false
            s.waitedInherited = false
            s.waitedUnlocked = false
            s.relockedAfterWait = false
        } else {
            s.aliases.remove(name)
        }
        if r.value == .unknown { s.values.removeValue(forKey: name) } else { s.values[name] = r.value }
        return s
    }

    /// Whether `node` denotes the page: an alias, or `&folio->page` / `folio_page(folio, 0)` of one.
    func isPage(_ node: NodeID, _ state: PageState) -> Bool {
        if state.aliases.isEmpty { return false }
        var text = compact(node)
        if text.hasPrefix("&") && text.hasSuffix("->page") { text = String(text.dropFirst().dropLast(6)) }
        while text.hasPrefix("(") && text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        return state.aliases.contains(text)
    }

    /// Whether `node` is the flags word of the page (`&page->flags`, `&folio->flags`).
    func isFlagsWordOfPage(_ node: NodeID, _ state: PageState) -> Bool {
        var text = compact(node)
        guard text.hasPrefix("&"), text.hasSuffix("->flags") else { return false }
        text = String(text.dropFirst().dropLast(7))
        while text.hasPrefix("(") && text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        return state.aliases.contains(text)
    }

    // MARK: - Calls

    mutating func call(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [Result] {
        let arguments = file.arguments(of: node)
        // Arguments first (nested calls such as block_page_mkwrite_return(block_page_mkwrite(…))).
        var pre: [(PageState, Trace?, [ValueClass], [Bool])] = [(state, trace, [], [])]
        for a in arguments {
            pre = pre.flatMap { (s, t, values, pages) in
                eval(a, s, t).map { r in (r.state, r.trace, values + [r.value], pages + [r.isPage || isPage(a, r.state)]) }
            }
        }
        guard let name = file.calleeName(of: node) else {
            // Through a function-pointer member (`ctx->ops->check_write_begin(…)`): the functions
            // the tree ever puts in that member, when they are few and are given the page.
            return pre.flatMap { (s0, t0, _, pages) in
                callThroughMember(node, arguments: arguments, pages: pages, s0, t0)
                    ?? [Result(state: s0, value: .unknown, isPage: false, trace: t0)]
            }
        }
        let line = file.line(of: node)
        var out: [Result] = []
        for (s0, t0, values, pages) in pre {
            var s = s0
            var t = t0
            if case .convertsPage(let a)? = analyzer.primitive(name) {
                out.append(Result(state: s, value: .unknown, isPage: a < pages.count && pages[a], trace: t))
                continue
            }
            if name == "likely" || name == "unlikely" {
                out.append(Result(state: s, value: values.first ?? .unknown, isPage: false, trace: t))
                continue
            }
            if let effect = analyzer.primitive(name) {
                out.append(contentsOf: applyPrimitive(effect, name: name, node: node, arguments: arguments, values: values, pages: pages, s, t))
                continue
            }
            // Only callees that can touch the page (they are given it, the fault, or the page
            // out-argument) or hand one back are worth a summary; the rest (allocators, tracing,
            // locking of other objects) cannot change what this rule is about.
            let argTexts = arguments.map { text($0) }
            let reachesPage = pages.contains(true) || faultParameter.map { argTexts.contains($0) } == true
                || pageOut.map { argTexts.contains($0) } == true
                || arguments.contains { a in
                    let t = compact(a)
                    return t.hasPrefix("&") && pageVariables.contains(String(t.dropFirst()))
                }
            // The tree's own body wins over the model.
            if let def = analyzer.resolve(name, from: fileIndex), reachesPage || calleeReturnsPage(name)
                || analyzer.mightTouchPageState(name) {
                if analyzer.isInProgress(file: def.file, function: def.function) {
                    assumptions.append("\(name): recursive call, assumed not to wait")
                    out.append(Result(state: s, value: .unknown, isPage: false, trace: t))
                    continue
                }
                let callee = analyzer.summary(file: def.file, function: def.function, constants: constantArguments(arguments),
                                              flagTexts: flagArguments(arguments))
                used.append("\(name) (derived from \(callee.file):\(callee.line))")
                assumptions.append(contentsOf: callee.assumptions)
                incomplete = incomplete || callee.incomplete
                out.append(contentsOf: applySummary(callee, name: name, node: node, arguments: arguments, pages: pages, s, t))
                continue
            }
            if let fact = analyzer.helperFact(name) {
                used.append("\(name) (model: \(fact.reason); \(fact.versions))")
                out.append(contentsOf: applyHelperFact(fact, name: name, node: node, arguments: arguments, pages: pages, s, t))
                continue
            }
            let passesPage = pages.contains(true) || arguments.contains { a in
                let text = text(a)
                return text == faultParameter || text == pageOut || (pageOut != nil && text.hasPrefix("&"))
            }
            if passesPage && analyzer.mightTouchPageState(name) {
                assumptions.append("\(name): no body in the analysed files and not in the model; assumed not to wait")
                t = step(line, "\(name)(): unknown, assumed not to wait", t)
            }
            _ = s
            s = s0
            out.append(Result(state: s, value: .unknown, isPage: false, trace: t))
        }
        return out
    }

    /// The exits of every function bound to the called member anywhere in the tree (an
    /// initializer `.check_write_begin = foo` or an assignment `ops->check_write_begin = foo`),
    /// when the call is given the page and there are at most `memberTargetLimit` of them;
    /// nil otherwise (the call stays unknown).
    mutating func callThroughMember(_ node: NodeID, arguments: [NodeID], pages: [Bool], _ s0: PageState,
                                    _ t0: Trace?) -> [Result]? {
        guard pages.contains(true) || pageOut.map({ p in arguments.contains { text($0) == p } }) == true,
              let callee = tree.child(node, 0), tree.kind(callee) == .member, let member = file.name(of: callee) else { return nil }
        let targets = analyzer.memberTargets(member)
        analyzer.dependsOnMember(member, targets: targets)
        guard !targets.isEmpty, targets.count <= PathAnalyzer.memberTargetLimit else { return nil }
        var out: [Result] = []
        for d in targets {
            if analyzer.isInProgress(file: d.file, function: d.function) { return nil }
            let calleeSummary = analyzer.summary(file: d.file, function: d.function, constants: constantArguments(arguments))
            let name = analyzer.program.files[d.file].functions[d.function].name
            used.append("\(name) (through ->\(member), derived from \(calleeSummary.file):\(calleeSummary.line))")
            assumptions.append(contentsOf: calleeSummary.assumptions)
            incomplete = incomplete || calleeSummary.incomplete
            out += applySummary(calleeSummary, name: name, node: node, arguments: arguments, pages: pages, s0, t0)
        }
        return out.isEmpty ? nil : out
    }

    mutating func applyPrimitive(_ effect: PageEffect, name: String, node: NodeID, arguments: [NodeID], values: [ValueClass],
                                 pages: [Bool], _ s0: PageState, _ t0: Trace?) -> [Result] {
        var s = s0
        var t = t0
        let line = file.line(of: node)
        func onPage(_ index: Int) -> Bool { index < 0 ? true : (index < pages.count && pages[index]) }
        switch effect {
        case .waitsForWriteback(let a), .waitsForStableWrites(let a):
            if onPage(a) {
                if s.lock == .locked {
                    s.waitedUnderLock = true
                    s.relockedAfterWait = false
                    s.waitedUnlocked = false
                    t = step(line, "\(name)(): waits for writeback under the page lock", t)
                } else if s.lock == .inherited {
                    s.waitedInherited = true
                    t = step(line, "\(name)(): waits for writeback (under the caller's lock, if it holds it)", t)
                } else {
                    s.waitedUnlocked = true
                    t = step(line, "\(name)(): waits, but the page is not locked", t)
                }
            } else if a >= 0 && a < arguments.count {
                t = step(line, "\(name)(\(display(arguments[a]))): waits on a different page", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .locks(let a, let success):
            guard onPage(a), success == .always else {
                var r = Result(state: s, value: .unknown, isPage: false, trace: t)
                if onPage(a) { r.lockResult = success }
                return [r]
            }
            return [Result(state: takeLock(s), value: .unknown, isPage: false, trace: step(line, "\(name)(): page locked", t))]
        case .unlocks(let a):
            if onPage(a) {
                s.locked = false
                t = step(line, "\(name)(): page unlocked, writeback may start", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .endsWriteback(let a):
            if onPage(a) { s.writeback = .ended }
            // Writeback ended while we hold the lock: it cannot start again until we drop it.
            if onPage(a) && s.lock == .locked {
                s.waitedUnderLock = true
                s.relockedAfterWait = false
                t = step(line, "\(name)(): writeback ended under the page lock", t)
            } else if onPage(a) && s.lock == .inherited {
                s.waitedInherited = true
                t = step(line, "\(name)(): writeback ended", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .startsWriteback(let a):
            if onPage(a) {
                s.writeback = .started
                t = step(line, "\(name)(): page under writeback", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .convertsErrnoToFault(let a):
            let v = a < values.count ? values[a] : .unknown
            let converted: ValueClass
            switch v {
            case .zero: converted = .faultLocked
            case .nonzero, .noWrite: converted = .noWrite
            case .faultLocked: converted = .faultLocked
            case .unknown: converted = .unknown
            }
            return [Result(state: s, value: converted, isPage: false, trace: t)]
        case .returnsNoWriteFault:
            return [Result(state: s, value: .noWrite, isPage: false, trace: t)]
        case .returnsError:
            return [Result(state: s, value: .nonzero, isPage: false, trace: t)]
        case .testsWriteback, .outOfScopeWhenTrue, .leavesPageState, .convertsPage:
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .returnsNewPage:
            var r = Result(state: s, value: .unknown, isPage: false, trace: step(line, "\(name)(): a new page, not locked", t))
            var page = freshState(from: s)
            page.null = .unknown
            r.freshPage = page
            return [r]
        case .setsBit(let bit, let word), .clearsBit(let bit, let word):
            guard bit < arguments.count, word < arguments.count, isFlagsWordOfPage(arguments[word], s),
                  let meaning = analyzer.model.pageFlagBits[compact(arguments[bit])] else {
                return [Result(state: s, value: .unknown, isPage: false, trace: t)]
            }
            let sets: Bool
            if case .setsBit = effect { sets = true } else { sets = false }
            switch (meaning, sets) {
            case (.lock, true):
                return [Result(state: takeLock(s), value: .unknown, isPage: false,
                               trace: step(line, "\(name)(\(display(arguments[bit])), …): page locked", t))]
            case (.lock, false):
                return applyPrimitive(.unlocks(argument: word), name: name, node: node, arguments: arguments, values: values,
                                      pages: pages.enumerated().map { $0.offset == word ? true : $0.element }, s, t)
            case (.writeback, true):
                return applyPrimitive(.startsWriteback(argument: word), name: name, node: node, arguments: arguments, values: values,
                                      pages: pages.enumerated().map { $0.offset == word ? true : $0.element }, s, t)
            case (.writeback, false):
                return applyPrimitive(.endsWriteback(argument: word), name: name, node: node, arguments: arguments, values: values,
                                      pages: pages.enumerated().map { $0.offset == word ? true : $0.element }, s, t)
            }
        case .returnsPageWithFlags(let flagsArgument, let lockFlags, let waitFlags):
            var flags = flagsArgument < arguments.count ? text(arguments[flagsArgument]) : ""
            if let via = assignedText[flags] { flags = via }
            let locked = lockFlags.contains { flags.hasBytes($0) }
            let waited = locked && waitFlags.contains { flags.hasBytes($0) }
            var page = freshState(from: s)
            page.locked = locked
            page.waitedUnderLock = waited
            var r = Result(state: s, value: .unknown, isPage: false,
                           trace: step(line, "\(name)(…\(flags)…): page \(locked ? "locked" : "unlocked")\(waited ? " and waited for" : locked ? ", not waited for" : "")", t))
            r.freshPage = page
            return [r]
        case .returnsPage, .mkwriteHelper, .writeBeginHelper, .faultPageSource:
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        }
    }

    /// A page this function just obtained: unlocked, no waits, nothing known of it yet; what the
    /// path knows about its variables and predicates carries over.
    func freshState(from s: PageState) -> PageState {
        var page = PageState(lock: .unlocked, aliases: s.aliases, values: s.values)
        page.handedBack = s.handedBack
        page.decided = s.decided
        page.pendingLock = s.pendingLock
        page.replaced = true
        return page
    }

    func takeLock(_ s0: PageState) -> PageState {
        var s = s0
        switch s.lock {
        case .inherited:
            // Taking the lock here means the caller did not hold it: a wait before was unlocked.
            if s.waitedInherited { s.waitedUnlocked = true; s.waitedInherited = false }
        case .unlocked:
            if s.waitedUnderLock { s.relockedAfterWait = true }
        case .locked:
            // Locking a page we think we hold: something we cannot see released it (read I/O
            // completion unlocks the page, as after f2fs_submit_page_read()). A page just read is
            // clean, so it cannot be under writeback; keep what we knew.
            return s
        }
        s.lock = .locked
        s.waitedUnderLock = false
        return s
    }

    /// The caller's page state after a callee path that ended with `o` (the callee started from
    /// `inherited`, so what it did not touch stays as the caller had it).
    func compose(_ s0: PageState, _ o: Outcome) -> PageState {
        var s = s0
        if o.writeback != .unchanged { s.writeback = o.writeback }
        switch o.lock {
        case .inherited:
            if o.waitedInherited {
                switch s.lock {
                case .locked: s.waitedUnderLock = true; s.relockedAfterWait = false
                case .inherited: s.waitedInherited = true
                case .unlocked: s.waitedUnlocked = true
                }
            }
        case .locked:
            if s.waitedUnderLock || s.waitedInherited, s.lock != .locked, !o.waitedUnderLock { s.relockedAfterWait = true }
            s.lock = .locked
            s.waitedUnderLock = o.waitedUnderLock
            s.waitedUnlocked = s.waitedUnlocked || o.waitedUnlocked
            if o.waitedUnderLock { s.relockedAfterWait = o.relockedAfterWait }
        case .unlocked:
            s.lock = .unlocked
            s.waitedUnlocked = s.waitedUnlocked || o.waitedUnlocked
        }
        return s
    }

    /// A call to a function whose body we analysed: each of its exits becomes a path here.
    mutating func applySummary(_ callee: FunctionSummary, name: String, node: NodeID, arguments: [NodeID], pages: [Bool],
                               _ s0: PageState, _ t0: Trace?) -> [Result] {
        let line = file.line(of: node)
        let argTexts = arguments.map { text($0) }
        let passesFault = faultParameter.map { argTexts.contains($0) } ?? false
        let passesPage = pages.contains(true)
        let passesPageOut = pageOut.map { argTexts.contains($0) } ?? false
        // The `&page` the callee fills: the argument in its `struct page **` / `struct folio **` slot.
        var outVariable: String?
        if let def = analyzer.resolve(name, from: fileIndex) {
            let params = analyzer.program.files[def.file].functions[def.function].parameters
            if let k = params.firstIndex(where: { ["structpage**", "structfolio**"].contains(Self.bareType($0.typeText)) }),
               k < argTexts.count, argTexts[k].hasPrefix("&") {
                outVariable = argTexts[k].replacingOccurrences(of: "&", with: "").replacingOccurrences(of: " ", with: "")
            }
        }
        var results: [Result] = []
        let calleeIsQuiet = callee.outcomes.allSatisfy {
            describeOutcome($0) == "returns" && !$0.handedBack && !$0.returnsPage && !$0.replaced
        }
        for o in callee.outcomes {
            var s = s0
            var isPage = false
            if (passesFault || passesPage) && !o.replaced {
                s = compose(s0, o)
            }
            if o.handedBack && passesPageOut {
                s = compose(s, o)
                s.handedBack = true
            } else if o.handedBack, let v = outVariable {
                var fresh = PageState(lock: .unlocked, aliases: s.aliases, values: s.values)
                fresh.decided = s.decided
                fresh.replaced = true
                fresh = compose(fresh, o)
                fresh.aliases.insert(v)
                fresh.handedBack = s.handedBack
                s = fresh
            }
            if (o.returnsPage || calleeReturnsPage(name)) && (passesFault || passesPage) && !o.replaced {
                // A conversion of the page it was given (`folio_file_page(folio, i)`): the same page.
                isPage = true
            }
            var fresh: PageState?
            if (o.returnsPage || calleeReturnsPage(name)) && !isPage {
                var page = freshState(from: s)
                page.null = o.returnsPage ? .unknown : .null
                fresh = compose(page, o)
            }
            // A callee none of whose exits says anything about the page (`folio_index()`) and that
            // left this path's state as it was is not a step worth reading in a finding.
            let quiet = calleeIsQuiet && s == s0 && fresh == nil && !isPage
            let note = "\(name)(): \(describeOutcome(o)) [\(callee.file):\(o.path.last?.line ?? callee.line)]"
            var r = Result(state: s, value: o.returnClass, isPage: isPage, trace: quiet ? t0 : step(line, note, t0))
            r.freshPage = fresh
            results.append(r)
        }
        if results.isEmpty { results.append(Result(state: s0, value: .unknown, isPage: false, trace: t0)) }
        return results
    }

    /// Arguments made only of upper-case names (`FGP_LOCK | FGP_STABLE`, or a local holding
    /// them), by index: flag words a callee may test or pass on.
    func flagArguments(_ arguments: [NodeID]) -> [Int: String] {
        var out: [Int: String] = [:]
        for (i, a) in arguments.enumerated() {
            var text = text(a)
            if let via = assignedText[text] { text = via }
            let words = text.split(whereSeparator: { " |&()~".contains($0) })
            if !words.isEmpty, words.contains(where: { $0.hasPrefix("FGP_") || $0.hasPrefix("AOP_") }),
               words.allSatisfy({ $0.uppercased() == $0 }) {
                out[i] = text
            }
        }
        return out
    }

    /// Literal arguments (`true`, `false`, `0`, `1`, `NULL`) by index.
    func constantArguments(_ arguments: [NodeID]) -> [Int: ValueClass] {
        var out: [Int: ValueClass] = [:]
        for (i, a) in arguments.enumerated() {
            switch tree.kind(a) {
            case .identifier:
                switch file.name(of: a) {
                case "true": out[i] = .nonzero
                case "false", "NULL": out[i] = .zero
                default: break
                }
            case .numberLiteral:
                out[i] = text(a) == "0" ? .zero : .nonzero
            default: break
            }
        }
        return out
    }

    /// The tree's definition of `name` returns `struct page *` or `struct folio *`.
    func calleeReturnsPage(_ name: String) -> Bool {
        guard let def = analyzer.resolve(name, from: fileIndex) else { return false }
        if let known = analyzer.returnsPageCache[def.file << 32 | def.function] { return known }
        let type = Self.bareType(analyzer.program.files[def.file].functions[def.function].returnTypeText)
        let result = type.hasSuffix("structpage*") || type.hasSuffix("structfolio*")
        analyzer.returnsPageCache[def.file << 32 | def.function] = result
        return result
    }

    /// `const struct page *` → `structpage*`: qualifiers and spaces dropped, for exact comparison.
    static func bareType(_ text: String) -> String {
        text.split(separator: " ").filter { !["const", "volatile", "__user", "__rcu", "static", "inline", "__always_inline", "noinline"].contains($0) }
            .joined()
    }

    func describeOutcome(_ o: Outcome) -> String {
        var parts: [String] = []
        switch o.returnClass {
        case .faultLocked: parts.append("returns VM_FAULT_LOCKED")
        case .zero: parts.append("returns 0")
        case .noWrite: parts.append("returns a no-write fault code")
        case .nonzero: parts.append("returns an error")
        case .unknown: break
        }
        switch o.lock {
        case .locked: parts.append(o.pageIsStable ? "page locked and waited for" : "page locked, not waited for")
        case .unlocked: if o.returnsPage || o.handedBack { parts.append("page not locked") }
        case .inherited: if o.waitedInherited { parts.append("waits for writeback") }
        }
        switch o.writeback {
        case .started: parts.append("page under writeback")
        case .ended: parts.append("writeback ended")
        case .unchanged: break
        }
        return parts.isEmpty ? "returns" : parts.joined(separator: ", ")
    }

    mutating func applyHelperFact(_ fact: ModelEntry, name: String, node: NodeID, arguments: [NodeID], pages: [Bool],
                                  _ s0: PageState, _ t0: Trace?) -> [Result] {
        let line = file.line(of: node)
        let s = s0
        switch fact.effect {
        case .returnsPage(let locked, let waited):
            var page = freshState(from: s)
            page.locked = locked
            page.waitedUnderLock = waited
            var r = Result(state: s, value: .unknown, isPage: false,
                           trace: step(line, "\(name)(): page \(locked ? "locked" : "unlocked")\(waited ? " and waited for" : ", not waited for") (model)", t0))
            r.freshPage = page
            return [r]
        case .mkwriteHelper(let waits, let returnsErrno):
            var ok = s
            ok.locked = true
            ok.waitedUnderLock = waits
            ok.waitedUnlocked = false
            ok.relockedAfterWait = false
            var failed = s
            failed.locked = false
            return [
                Result(state: ok, value: returnsErrno ? .zero : .faultLocked, isPage: false,
                       trace: step(line, "\(name)(): page locked\(waits ? " and waited for" : ", not waited for") (model: \(fact.versions))", t0)),
                Result(state: failed, value: returnsErrno ? .nonzero : .noWrite, isPage: false,
                       trace: step(line, "\(name)(): fails (model)", t0)),
            ]
        case .writeBeginHelper(let waits):
            var ok = s
            ok.handedBack = ok.handedBack || (pageOut.map { p in arguments.contains { text($0) == p } } ?? false)
            ok.locked = true
            ok.waitedUnderLock = waits
            if let out = arguments.map({ text($0) }).first(where: { $0.hasPrefix("&") }) {
                ok.aliases.insert(out.replacingOccurrences(of: "&", with: "").replacingOccurrences(of: " ", with: ""))
            }
            var failed = s
            failed.locked = false
            return [
                Result(state: ok, value: .zero, isPage: false,
                       trace: step(line, "\(name)(): page locked\(waits ? " and waited for" : ", not waited for") (model: \(fact.versions))", t0)),
                Result(state: failed, value: .nonzero, isPage: false, trace: step(line, "\(name)(): fails (model)", t0)),
            ]
        default:
            return [Result(state: s, value: .unknown, isPage: false, trace: t0)]
        }
    }

    // MARK: - Branch conditions

    /// The state on the branch where `condition` is `outcome`, or nil when that branch cannot be
    /// taken in this state (the correlation of `if (ret == VM_FAULT_LOCKED)` with the value).
    func refine(_ state: PageState, _ condition: NodeID, _ outcome: Bool) -> PageState? {
        var s = state
        if tree.kind(condition) == .unary, tree[condition].op == .star, isPage(condition, state) {
            // `if (!*pagep)`: the page handed back through the out-argument is tested for NULL.
            switch (state.null, outcome) {
            case (.null, true), (.nonNull, false): return nil
            default:
                s.null = outcome ? .nonNull : .null
                if !outcome { s.handedBack = false }
                return s
            }
        }
        switch tree.kind(condition) {
        case .unary where tree[condition].op == .bang:
            guard let operand = tree.child(condition, 0) else { return s }
            return refine(state, operand, !outcome)
        case .call:
            let name = file.calleeName(of: condition) ?? ""
            let arguments = file.arguments(of: condition)
            if name == "likely" || name == "unlikely", let a = arguments.first { return refine(state, a, outcome) }
            if let known = state.conditionCall, known.node == condition {
                s.conditionCall = nil
                let returnedTrue: Bool? = known.value == .zero ? false
                    : (known.value == .nonzero || known.value == .faultLocked || known.value == .noWrite) ? true : nil
                if let t = returnedTrue, t != outcome { return nil }
                return s
            }
            if case .outOfScopeWhenTrue? = analyzer.primitive(name) { return outcome ? nil : s }
            if case .testsWriteback(let a)? = analyzer.primitive(name), a < arguments.count, isPage(arguments[a], state) {
                // Not under writeback right now; under the lock that stays true until it is dropped.
                if !outcome {
                    switch s.lock {
                    case .locked: s.waitedUnderLock = true; s.relockedAfterWait = false
                    case .inherited: s.waitedInherited = true
                    case .unlocked: break
                    }
                }
                return s
            }
            if case .locks(let a, let success)? = analyzer.primitive(name), a < arguments.count, isPage(arguments[a], state) {
                switch success {
                case .returnsTrue: return outcome ? takeLock(s) : s
                case .returnsZero: return outcome ? s : takeLock(s)
                case .always: return s
                }
            }
            // A predicate about the inode or the mount (no tracked variable in it): same answer
            // every time on one path.
            let key = text(condition)
            let mentionsTracked = state.values.keys.contains { key.hasBytes($0) } || arguments.contains { isPage($0, state) }
            if !mentionsTracked && arguments.count <= 3 {
                if let known = state.decided[key] { return known == outcome ? s : nil }
                s.decided[key] = outcome
            }
            return s
        case .identifier:
            guard let name = file.name(of: condition) else { return s }
            if let success = state.pendingLock[name] {
                // `if (ret)`: true means the lock call returned non-zero.
                s.pendingLock.removeValue(forKey: name)
                let locked = success == .returnsZero ? !outcome : outcome
                return locked ? takeLock(s) : s
            }
            if state.aliases.contains(name) {
                switch (state.null, outcome) {
                case (.null, true), (.nonNull, false): return nil
                default:
                    s.null = outcome ? .nonNull : .null
                    return s
                }
            }
            if pageVariables.contains(name) { return s }
            return require(&s, name, outcome ? .nonzero : .zero) ? s : nil
        case .binary:
            guard let lhs = tree.child(condition, 0), let rhs = tree.child(condition, 1) else { return s }
            let op = tree[condition].op
            // `if (folio_lock_killable(folio) < 0)`, `if (trylock_page(page) == 0)`: a lock call compared with 0.
            if tree.kind(lhs) == .call, classifyConstant(rhs) == .zero, let name = file.calleeName(of: lhs),
               case .locks(let a, let success)? = analyzer.primitive(name), success != .always {
                let arguments = file.arguments(of: lhs)
                guard a < arguments.count, isPage(arguments[a], state) else { return s }
                // Does this branch mean "the call returned 0"?
                let returnedZero: Bool?
                switch op {
                case .equalEqual: returnedZero = outcome
                case .bangEqual: returnedZero = !outcome
                case .less: returnedZero = outcome ? false : nil
                default: returnedZero = nil
                }
                guard let zero = returnedZero else {
                    // `x < 0` false: 0 (or positive, which these calls never return).
                    return success == .returnsZero ? takeLock(s) : s
                }
                let locked = success == .returnsZero ? zero : !zero
                return locked ? takeLock(s) : s
            }
            if tree.kind(lhs) == .identifier, let n = file.name(of: lhs), let success = state.pendingLock[n],
               classifyConstant(rhs) == .zero {
                s.pendingLock.removeValue(forKey: n)
                let returnedZero: Bool
                switch op {
                case .equalEqual: returnedZero = outcome
                case .bangEqual: returnedZero = !outcome
                case .less: returnedZero = !outcome
                default: return s
                }
                let locked = success == .returnsZero ? returnedZero : !returnedZero
                return locked ? takeLock(s) : s
            }
            var variable: String?
            var constant: NodeID?
            if tree.kind(lhs) == .identifier, let n = file.name(of: lhs), !isConstantName(n) { variable = n; constant = rhs }
            else if tree.kind(rhs) == .identifier, let n = file.name(of: rhs), !isConstantName(n) { variable = n; constant = lhs }
            guard let v = variable, let c = constant else { return s }
            let constantClass = classifyConstant(c)
            switch op {
            case .equalEqual, .bangEqual:
                let equal = (op == .equalEqual) == outcome
                switch constantClass {
                case .faultLocked: return require(&s, v, equal ? .faultLocked : .notFaultLocked) ? s : nil
                case .zero: return require(&s, v, equal ? .zero : .nonzero) ? s : nil
                case .noWrite: return equal ? (require(&s, v, .noWrite) ? s : nil) : s
                case .nonzero: return equal ? (require(&s, v, .nonzero) ? s : nil) : s
                default: return s
                }
            case .ampersand:
                if constantClass == .faultLocked { return require(&s, v, outcome ? .faultLocked : .notFaultLocked) ? s : nil }
                return s
            case .less:
                if constantClass == .zero { return require(&s, v, outcome ? .nonzero : .zero) ? s : nil }
                return s
            default:
                return s
            }
        default:
            return s
        }
    }

    enum Requirement { case faultLocked, notFaultLocked, zero, nonzero, noWrite }

    func isConstantName(_ n: String) -> Bool {
        analyzer.model.lockedFaultCodes.contains(n) || analyzer.model.noWriteFaultCodes.contains(n)
            || n.uppercased() == n && n.first?.isLetter == true
    }

    func classifyConstant(_ node: NodeID) -> ValueClass {
        switch tree.kind(node) {
        case .identifier:
            let n = file.name(of: node) ?? ""
            if analyzer.model.lockedFaultCodes.contains(n) { return .faultLocked }
            if analyzer.model.noWriteFaultCodes.contains(n) { return .noWrite }
            return .unknown
        case .numberLiteral:
            return text(node) == "0" ? .zero : .nonzero
        case .unary where tree[node].op == .minus:
            // `-EAGAIN`, `-ERESTARTSYS`, `-1`: a negative errno is never 0.
            guard let operand = tree.child(node, 0) else { return .unknown }
            if tree.kind(operand) == .numberLiteral { return text(operand) == "0" ? .zero : .nonzero }
            if tree.kind(operand) == .identifier, let n = file.name(of: operand), isConstantName(n) { return .nonzero }
            return .unknown
        default:
            return .unknown
        }
    }

    /// Narrows `name`'s value; false when the value it has makes the requirement impossible.
    func require(_ s: inout PageState, _ name: String, _ r: Requirement) -> Bool {
        let current = s.values[name] ?? .unknown
        switch (r, current) {
        case (.faultLocked, .faultLocked), (.faultLocked, .unknown), (.faultLocked, .nonzero):
            s.values[name] = .faultLocked
            return true
        case (.faultLocked, _): return false
        case (.notFaultLocked, .faultLocked): return false
        case (.notFaultLocked, _): return true
        case (.zero, .zero), (.zero, .unknown):
            s.values[name] = .zero
            return true
        case (.zero, _): return false
        case (.nonzero, .zero): return false
        case (.nonzero, .unknown):
            s.values[name] = .nonzero
            return true
        case (.nonzero, _): return true
        case (.noWrite, .noWrite), (.noWrite, .unknown), (.noWrite, .nonzero):
            s.values[name] = .noWrite
            return true
        case (.noWrite, _): return false
        }
    }
}

/// A per-walk memo (a class, so non-mutating helpers can fill it).
final class TextMemo {
    var values: [NodeID: String] = [:]
    var compact: [NodeID: String] = [:]
    var display: [NodeID: String] = [:]
}

extension String {
    /// Byte substring test (Foundation's `contains` compares grapheme by grapheme).
    func hasBytes(_ needle: String) -> Bool {
        let h = Array(utf8), n = Array(needle.utf8)
        guard !n.isEmpty, h.count >= n.count else { return n.isEmpty }
        var i = 0
        while i + n.count <= h.count {
            if h[i] == n[0] {
                var k = 1
                while k < n.count && h[i + k] == n[k] { k += 1 }
                if k == n.count { return true }
            }
            i += 1
        }
        return false
    }
}
