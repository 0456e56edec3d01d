/// A control-flow graph of one function: basic blocks of statements and conditions, and typed edges.
/// Every `return` statement gets a block of its own (kind `returnExit`) carrying its expression;
/// falling off the end of the body leads to one `fallOffExit` block. Conditions with `&&`, `||` and
/// `!` are split so that each edge carries one atomic condition.
public struct ControlFlowGraph: Sendable {
    public enum BlockKind: String, Sendable {
        case entry, normal, returnExit, fallOffExit
        /// Holds an `unknown` node (or an undefined goto target): may do anything, assumed to fall through.
        case unknown
    }

    public enum EdgeKind: String, Sendable {
        case `fallthrough`
        /// Taken when `condition` is true / false.
        case trueBranch, falseBranch
        case goto
        /// From the end of a loop body (or its step) back to the loop head.
        case loopBack
        case breakJump, continueJump
        /// From a switch block to a `case` label (`caseValue` set) or to `default` / past the switch.
        case switchCase, switchDefault
        /// Into an iterator macro's body (`list_for_each_entry`) / past it.
        case iterate, iterationDone
        /// From a `return` statement's block to its exit.
        case returnJump
        /// Into one branch of a preprocessor conditional (or past a `#if` without `#else`).
        case preprocessorBranch
        /// Out of an `unknown` block.
        case unknown
    }

    public struct Block: Sendable {
        public var id: Int
        public var kind: BlockKind
        /// Statements and conditions evaluated in this block, in order.
        public var items: [NodeID] = []
        /// The atomic condition evaluated last, for blocks ending in a two-way branch or a switch.
        public var condition: NodeID?
        /// For `returnExit`: the return statement and its expression (nil for `return;`).
        public var returnStatement: NodeID?
        public var returnExpression: NodeID?
        /// Goto label this block starts with, if any.
        public var label: String?
        /// First and last source line of the items (0 when the block is empty).
        public var firstLine = 0
        public var lastLine = 0
        /// Indices into `edges`.
        public var outgoing: [Int] = []
        public var incoming: [Int] = []
    }

    public struct Edge: Sendable {
        public var from: Int
        public var to: Int
        public var kind: EdgeKind
        /// For true/false branches: the condition expression.
        public var condition: NodeID?
        /// For switch cases: the case value (and `caseRangeEnd` for `case 1 ... 3`).
        public var caseValue: NodeID?
        public var caseRangeEnd: NodeID?
        /// For gotos: the label.
        public var label: String?
    }

    public var function: String
    public var blocks: [Block] = []
    public var edges: [Edge] = []
    public var entry = 0

    public func successors(of block: Int) -> [Int] { blocks[block].outgoing.map { edges[$0].to } }
    public func predecessors(of block: Int) -> [Int] { blocks[block].incoming.map { edges[$0].from } }
    public var returnExits: [Block] { blocks.filter { $0.kind == .returnExit } }

    /// Builds the graph of `function` (one of `file.functions`).
    public static func build(_ function: FunctionDefinition, in file: ParsedFile) -> ControlFlowGraph {
        var builder = CFGBuilder(file: file, graph: ControlFlowGraph(function: function.name))
        builder.build(function.body)
        return builder.graph
    }
}

extension ParsedFile {
    /// The control-flow graph of each function, in order.
    public func controlFlowGraphs() -> [ControlFlowGraph] {
        functions.map { ControlFlowGraph.build($0, in: self) }
    }
}

struct CFGBuilder {
    let file: ParsedFile
    var graph: ControlFlowGraph
    var current: Int?
    var breakTargets: [Int] = []
    var continueTargets: [Int] = []
    struct SwitchContext { var block: Int; var hasDefault: Bool }
    var switches: [SwitchContext] = []
    var labels: [String: Int] = [:]
    var definedLabels: Set<String> = []
    var computedGotoBlocks: [Int] = []

    let tree: SyntaxTree
    let tokens: [Token]

    init(file: ParsedFile, graph: ControlFlowGraph) {
        self.file = file
        self.tree = file.tree
        self.tokens = file.tokens
        self.graph = graph
    }

    mutating func newBlock(_ kind: ControlFlowGraph.BlockKind = .normal) -> Int {
        let id = graph.blocks.count
        graph.blocks.append(ControlFlowGraph.Block(id: id, kind: kind))
        return id
    }

    mutating func edge(_ from: Int, _ to: Int, _ kind: ControlFlowGraph.EdgeKind, condition: NodeID? = nil,
                       caseValue: NodeID? = nil, caseRangeEnd: NodeID? = nil, label: String? = nil) {
        let e = graph.edges.count
        graph.edges.append(ControlFlowGraph.Edge(from: from, to: to, kind: kind, condition: condition,
                                                 caseValue: caseValue, caseRangeEnd: caseRangeEnd, label: label))
        graph.blocks[from].outgoing.append(e)
        graph.blocks[to].incoming.append(e)
    }

    /// The block being filled; code after a jump starts an unreachable block of its own.
    mutating func ensureCurrent() -> Int {
        if let c = current { return c }
        let b = newBlock()
        current = b
        return b
    }

    mutating func append(_ node: NodeID) {
        let b = ensureCurrent()
        graph.blocks[b].items.append(node)
        noteLines(b, node)
    }

    mutating func noteLines(_ b: Int, _ node: NodeID) {
        let n = tree[node]
        let first = Int(tokens[Int(max(0, n.firstToken))].line)
        let last = Int(tokens[Int(max(n.firstToken, n.lastToken))].line)
        if graph.blocks[b].firstLine == 0 || first < graph.blocks[b].firstLine {
            graph.blocks[b].firstLine = first
        }
        if last > graph.blocks[b].lastLine { graph.blocks[b].lastLine = last }
    }

    /// Ends the current block with a fallthrough into `target`.
    mutating func flow(into target: Int, _ kind: ControlFlowGraph.EdgeKind = .fallthrough) {
        if let c = current { edge(c, target, kind) }
        current = nil
    }

    mutating func labelBlock(_ name: String) -> Int {
        if let b = labels[name] { return b }
        let b = newBlock()
        graph.blocks[b].label = name
        labels[name] = b
        return b
    }

    mutating func build(_ body: NodeID) {
        let entry = newBlock(.entry)
        graph.entry = entry
        current = entry
        visit(body)
        if let c = current {
            let exit = newBlock(.fallOffExit)
            edge(c, exit, .fallthrough)
            current = nil
        }
        for (name, b) in labels where !definedLabels.contains(name) {
            graph.blocks[b].kind = .unknown
        }
        for from in computedGotoBlocks {
            for (name, b) in labels.sorted(by: { $0.value < $1.value }) { edge(from, b, .goto, label: name) }
        }
    }

    /// The single token of a literal or identifier equals `text`.
    func isToken(_ n: NodeID, _ text: StaticString) -> Bool {
        let node = tree[n]
        if node.firstToken != node.lastToken { return false }
        let t = tokens[Int(node.firstToken)]
        if Int(t.length) != text.utf8CodeUnitCount { return false }
        var k = 0
        while k < Int(t.length) {
            if file.source[Int(t.offset) + k] != text.utf8Start[k] { return false }
            k += 1
        }
        return true
    }

    func isConstantTrue(_ n: NodeID) -> Bool {
        let k = tree.kind(n)
        if k == .numberLiteral { return !isToken(n, "0") }
        if k == .identifier { return isToken(n, "true") }
        return false
    }

    func isConstantFalse(_ n: NodeID) -> Bool {
        let k = tree.kind(n)
        if k == .numberLiteral { return isToken(n, "0") }
        if k == .identifier { return isToken(n, "false") }
        return false
    }

    /// Emits the evaluation of `condition` from the current block, splitting `&&`, `||` and `!`.
    mutating func branch(on condition: NodeID, ifTrue: Int, ifFalse: Int, depth: Int = 0) {
        let n = tree[condition]
        if depth < 64 {
            if n.kind == .binary && (n.op == .ampAmp || n.op == .pipePipe),
                let lhs = tree.child(condition, 0), let rhs = tree.child(condition, 1)
            {
                let middle = newBlock()
                if n.op == .ampAmp {
                    branch(on: lhs, ifTrue: middle, ifFalse: ifFalse, depth: depth + 1)
                } else {
                    branch(on: lhs, ifTrue: ifTrue, ifFalse: middle, depth: depth + 1)
                }
                current = middle
                branch(on: rhs, ifTrue: ifTrue, ifFalse: ifFalse, depth: depth + 1)
                return
            }
            if n.kind == .unary && n.op == .bang, let operand = tree.child(condition, 0) {
                branch(on: operand, ifTrue: ifFalse, ifFalse: ifTrue, depth: depth + 1)
                return
            }
        }
        let b = ensureCurrent()
        append(condition)
        graph.blocks[b].condition = condition
        if !isConstantFalse(condition) { edge(b, ifTrue, .trueBranch, condition: condition) }
        if !isConstantTrue(condition) { edge(b, ifFalse, .falseBranch, condition: condition) }
        current = nil
    }

    mutating func visitChildren(_ id: NodeID) {
        let n = tree[id]
        var k = 0
        while k < Int(n.childCount) {
            let c = tree.childSlots[Int(n.childStart) + k]
            if c >= 0 { visit(NodeID(c)) }
            k += 1
        }
    }

    mutating func visit(_ id: NodeID) {
        let node = tree[id]
        switch node.kind {
        case .compound, .preprocessorBranch:
            visitChildren(id)
        case .expressionStatement, .declaration, .emptyStatement:
            append(id)
        case .asmStatement:
            append(id)
            if node.flags & NodeFlags.asmGoto != 0 {
                let b = ensureCurrent()
                for label in asmGotoLabels(id) { edge(b, labelBlock(label), .goto, label: label) }
            }
        case .unknown:
            let b = newBlock(.unknown)
            flow(into: b)
            graph.blocks[b].items.append(id)
            noteLines(b, id)
            let after = newBlock()
            edge(b, after, .unknown)
            current = after
        case .ifStatement:
            guard let condition = tree.child(id, 0) else { append(id); return }
            let thenBlock = newBlock()
            let after = newBlock()
            let elseStatement = tree.child(id, 2)
            let elseBlock = elseStatement != nil ? newBlock() : after
            branch(on: condition, ifTrue: thenBlock, ifFalse: elseBlock)
            current = thenBlock
            if let then = tree.child(id, 1) { visit(then) }
            flow(into: after)
            if let elseStatement {
                current = elseBlock
                visit(elseStatement)
                flow(into: after)
            }
            current = after
        case .whileLoop:
            let header = newBlock()
            flow(into: header)
            let bodyBlock = newBlock()
            let after = newBlock()
            current = header
            if let condition = tree.child(id, 0) {
                branch(on: condition, ifTrue: bodyBlock, ifFalse: after)
            } else {
                flow(into: bodyBlock)
            }
            loopBody(tree.child(id, 1), bodyBlock, continueTarget: header, breakTarget: after, back: header)
            current = after
        case .doWhileLoop:
            let bodyBlock = newBlock()
            flow(into: bodyBlock)
            let conditionBlock = newBlock()
            let after = newBlock()
            loopBody(tree.child(id, 0), bodyBlock, continueTarget: conditionBlock, breakTarget: after,
                     back: conditionBlock, backKind: .fallthrough)
            current = conditionBlock
            if let condition = tree.child(id, 1) {
                branch(on: condition, ifTrue: bodyBlock, ifFalse: after)
            }
            current = after
        case .forLoop:
            if let initializer = tree.child(id, 0) { append(initializer) }
            let header = newBlock()
            flow(into: header)
            let bodyBlock = newBlock()
            let stepBlock = newBlock()
            let after = newBlock()
            current = header
            if let condition = tree.child(id, 1) {
                branch(on: condition, ifTrue: bodyBlock, ifFalse: after)
            } else {
                flow(into: bodyBlock)
            }
            loopBody(tree.child(id, 3), bodyBlock, continueTarget: stepBlock, breakTarget: after,
                     back: stepBlock, backKind: .fallthrough)
            current = stepBlock
            if let step = tree.child(id, 2) { append(step) }
            flow(into: header, .loopBack)
            current = after
        case .iteratorLoop:
            let header = newBlock()
            flow(into: header)
            current = header
            if let head = tree.child(id, 0) { append(head); graph.blocks[header].condition = head }
            let bodyBlock = newBlock()
            let after = newBlock()
            edge(header, bodyBlock, .iterate)
            edge(header, after, .iterationDone)
            current = nil
            loopBody(tree.child(id, 1), bodyBlock, continueTarget: header, breakTarget: after, back: header)
            current = after
        case .switchStatement:
            let b = ensureCurrent()
            if let condition = tree.child(id, 0) {
                append(condition)
                graph.blocks[b].condition = condition
            }
            let after = newBlock()
            switches.append(SwitchContext(block: b, hasDefault: false))
            breakTargets.append(after)
            current = nil
            if let body = tree.child(id, 1) { visit(body) }
            flow(into: after)
            breakTargets.removeLast()
            let context = switches.removeLast()
            if !context.hasDefault { edge(context.block, after, .switchDefault) }
            current = after
        case .caseLabel:
            let b = newBlock()
            flow(into: b)
            if let context = switches.last {
                edge(context.block, b, .switchCase, caseValue: tree.child(id, 0), caseRangeEnd: tree.child(id, 1))
            }
            current = b
            noteLines(b, id)
        case .defaultLabel:
            let b = newBlock()
            flow(into: b)
            if let context = switches.last {
                edge(context.block, b, .switchDefault)
                switches[switches.count - 1].hasDefault = true
            }
            current = b
            noteLines(b, id)
        case .label:
            let name = file.name(of: id) ?? ""
            let b = labelBlock(name)
            definedLabels.insert(name)
            flow(into: b)
            current = b
            noteLines(b, id)
        case .gotoStatement:
            append(id)
            let name = file.name(of: id) ?? ""
            let from = ensureCurrent()
            edge(from, labelBlock(name), .goto, label: name)
            current = nil
        case .computedGoto:
            append(id)
            computedGotoBlocks.append(ensureCurrent())
            current = nil
        case .breakStatement:
            append(id)
            if let target = breakTargets.last { flow(into: target, .breakJump) } else { unknownJump(id) }
        case .continueStatement:
            append(id)
            if let target = continueTargets.last { flow(into: target, .continueJump) } else { unknownJump(id) }
        case .returnStatement:
            let exit = newBlock(.returnExit)
            graph.blocks[exit].items.append(id)
            graph.blocks[exit].returnStatement = id
            graph.blocks[exit].returnExpression = tree.child(id, 0)
            noteLines(exit, id)
            let from = ensureCurrent()
            edge(from, exit, .returnJump)
            current = nil
        case .preprocessorConditional:
            let before = ensureCurrent()
            let after = newBlock()
            let branches = tree.children(id)
            for b in branches {
                let start = newBlock()
                edge(before, start, .preprocessorBranch)
                current = start
                visit(b)
                flow(into: after)
            }
            if branches.count == 1 { edge(before, after, .preprocessorBranch) }
            current = after
        default:
            // An expression in statement position (should not happen) or anything else.
            append(id)
        }
    }

    mutating func loopBody(_ body: NodeID?, _ bodyBlock: Int, continueTarget: Int, breakTarget: Int, back: Int,
                           backKind: ControlFlowGraph.EdgeKind = .loopBack) {
        breakTargets.append(breakTarget)
        continueTargets.append(continueTarget)
        current = bodyBlock
        if let body { visit(body) }
        flow(into: back, backKind)
        breakTargets.removeLast()
        continueTargets.removeLast()
    }

    /// `break`/`continue` outside a loop: control goes somewhere we do not know.
    mutating func unknownJump(_ id: NodeID) {
        let b = newBlock(.unknown)
        flow(into: b)
        let after = newBlock()
        edge(b, after, .unknown)
        current = after
    }

    /// Labels of `asm goto (... : labels)`: identifiers after the last top-level colon.
    func asmGotoLabels(_ id: NodeID) -> [String] {
        let n = tree[id]
        var lastColon = -1
        var depth = 0
        var k = Int(n.firstToken)
        while k <= Int(n.lastToken) {
            let t = file.tokens[k]
            if t.isPunctuator(.leftParen) { depth += 1 }
            if t.isPunctuator(.rightParen) { depth -= 1 }
            if t.isPunctuator(.colon) && depth == 1 { lastColon = k }
            k += 1
        }
        guard lastColon >= 0 else { return [] }
        var labels: [String] = []
        k = lastColon + 1
        while k <= Int(n.lastToken) {
            if file.tokens[k].kind == .identifier { labels.append(file.text(ofToken: Int32(k))) }
            k += 1
        }
        return labels
    }
}
