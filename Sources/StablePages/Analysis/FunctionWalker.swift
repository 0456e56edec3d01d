import Foundation
import CSyntax

/// Walks one function's CFG.
final class FunctionWalker {
    let analyzer: PathAnalyzer
    let fileIndex: Int
    let file: ParsedFile
    let function: FunctionDefinition
    let graph: ControlFlowGraph
    let tree: SyntaxTree
    /// Node texts, built once per node: the walk asks for the same arguments' text many times.
    let texts = NodeTextMemo()

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
        self.tree = file.tree
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

    func run() -> FunctionSummary {
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
        let ahead = ReadAhead(graph: graph, file: file, text: text)
        while var work = queue.popLast() {
            ahead.forget(in: &work.state, at: work.block)
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

    /// What the code from a block on can still read. Variables: live ones, in the classic sense
    /// (read before being assigned again on some path from here; a plain `x = …` statement or an
    /// initialised declaration assigns, anything else that mentions `x` reads it). Conditions:
    /// those tested in this block or any block reachable from it. A value no later code reads, or
    /// a predicate's answer never asked for again, cannot change how a path ends, so it is
    /// forgotten on entry: paths that differ only in it meet, and a handler that sets a dozen
    /// error and flag variables (ocfs2's and f2fs' write_begin) is walked in a fraction of the
    /// states.
    struct ReadAhead {
        /// Names and condition texts as numbers, and one bit set of each per block (the fixpoint
        /// over sets of strings was a fifth of a whole walk).
        private var nameIDs: [String: Int] = [:]
        private var conditionIDs: [String: Int] = [:]
        private let names: BlockBits
        private let conditions: BlockBits

        init(graph: ControlFlowGraph, file: ParsedFile, text: (NodeID) -> String) {
            let tree = file.tree
            let count = graph.blocks.count
            var uses = [[Int]](repeating: [], count: count)
            var defs = [[Int]](repeating: [], count: count)
            var asked = [[Int]](repeating: [], count: count)
            var nameIDs: [String: Int] = [:], conditionIDs: [String: Int] = [:]
            func id(_ key: String, in ids: inout [String: Int]) -> Int {
                if let known = ids[key] { return known }
                ids[key] = ids.count
                return ids.count - 1
            }
            func read(_ node: NodeID, in b: Int) {
                let n = tree[node]
                guard n.lastToken >= n.firstToken else { return }
                for k in n.firstToken...n.lastToken where file.tokens[Int(k)].kind == .identifier {
                    let name = id(file.text(ofToken: k), in: &nameIDs)
                    if !defs[b].contains(name) { uses[b].append(name) }
                }
            }
            /// The variable a statement assigns outright, after reading what the value reads.
            func statement(_ item: NodeID, in b: Int) {
                var assignment = item
                if tree.kind(item) == .expressionStatement, let e = tree.child(item, 0) { assignment = e }
                if tree.kind(assignment) == .assignment, tree[assignment].op == .assign,
                   let target = tree.child(assignment, 0), tree.kind(target) == .identifier,
                   let value = tree.child(assignment, 1), let name = file.name(of: target) {
                    read(value, in: b)
                    defs[b].append(id(name, in: &nameIDs))
                    return
                }
                if tree.kind(item) == .declaration {
                    for d in tree.children(item) {
                        guard tree.kind(d) == .initDeclarator else { read(d, in: b); continue }
                        if let value = tree.child(d, 0) { read(value, in: b) }
                        if tree.child(d, 0) != nil, let name = file.name(of: d) { defs[b].append(id(name, in: &nameIDs)) }
                    }
                    return
                }
                read(item, in: b)
            }
            for block in graph.blocks {
                for item in block.items { statement(item, in: block.id) }
                if let e = block.returnExpression { read(e, in: block.id) }
                if let c = block.condition { read(c, in: block.id); asked[block.id].append(id(text(c), in: &conditionIDs)) }
                for e in block.outgoing {
                    guard let c = graph.edges[e].condition else { continue }
                    read(c, in: block.id)
                    // Every sub-expression: a refinement may remember an operand of `&&`, `!`, `likely()`.
                    tree.walk(c) { asked[block.id].append(id(text($0), in: &conditionIDs)) }
                }
            }
            // Backwards to a fixpoint: live-in = uses ∪ (live-out − defs); conditions reachable.
            var names = BlockBits(blocks: count, members: nameIDs.count)
            var killed = BlockBits(blocks: count, members: nameIDs.count)
            var conditions = BlockBits(blocks: count, members: conditionIDs.count)
            for b in 0..<count {
                for n in uses[b] { names.insert(n, in: b) }
                for n in defs[b] { killed.insert(n, in: b) }
                for c in asked[b] { conditions.insert(c, in: b) }
            }
            var changed = true
            while changed {
                changed = false
                for block in graph.blocks.reversed() {
                    for e in block.outgoing {
                        let to = graph.edges[e].to
                        if names.formUnion(in: block.id, from: to, except: killed) { changed = true }
                        if to != block.id, conditions.formUnion(in: block.id, from: to, except: nil) { changed = true }
                    }
                }
            }
            self.nameIDs = nameIDs
            self.conditionIDs = conditionIDs
            self.names = names
            self.conditions = conditions
        }

        func forget(in state: inout PageState, at block: Int) {
            let live = { (name: String) in nameIDs[name].map { names.contains($0, in: block) } ?? false }
            if state.values.keys.contains(where: { !live($0) }) {
                state.values = state.values.filter { live($0.key) }
            }
            if state.pendingLock.keys.contains(where: { !live($0) }) {
                state.pendingLock = state.pendingLock.filter { live($0.key) }
            }
            let asked = { (text: String) in conditionIDs[text].map { conditions.contains($0, in: block) } ?? false }
            if state.decided.keys.contains(where: { !asked($0) }) {
                state.decided = state.decided.filter { asked($0.key) }
            }
        }
    }

    /// One bit set per block, in one array.
    struct BlockBits {
        private var words: [UInt64]
        private let stride: Int

        init(blocks: Int, members: Int) {
            stride = (members + 63) / 64
            words = [UInt64](repeating: 0, count: blocks * stride)
        }

        mutating func insert(_ member: Int, in block: Int) {
            words[block * stride + member / 64] |= 1 << UInt64(member % 64)
        }

        func contains(_ member: Int, in block: Int) -> Bool {
            words[block * stride + member / 64] & (1 << UInt64(member % 64)) != 0
        }

        /// Adds `from`'s members, less `except`'s of `block`, to `block`'s; whether that added any.
        mutating func formUnion(in block: Int, from: Int, except: BlockBits?) -> Bool {
            var added = false
            for w in 0..<stride {
                var incoming = words[from * stride + w]
                if let except { incoming &= ~except.words[block * stride + w] }
                let old = words[block * stride + w]
                if old | incoming != old {
                    words[block * stride + w] = old | incoming
                    added = true
                }
            }
            return added
        }
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

    func record(_ s: PageState, _ value: ValueClass, returnsPage: Bool, _ trace: Trace?) {
        outcomes.append(Outcome(returnClass: value, returnsPage: returnsPage, lock: s.lock,
                                waitedInherited: s.waitedInherited, waitedUnderLock: s.waitedUnderLock, waitedUnlocked: s.waitedUnlocked,
                                relockedAfterWait: s.relockedAfterWait, writeback: s.writeback, handedBack: s.handedBack,
                                replaced: s.replaced,
                                path: trace?.steps() ?? []))
    }

    // MARK: - Statements

    func exec(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [(PageState, Trace?)] {
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
    func evalCondition(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [(PageState, Trace?)] {
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
    func evalForEffects(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [(PageState, Trace?)] {
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
}
