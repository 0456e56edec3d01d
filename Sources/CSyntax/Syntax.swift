/// Index of a node in a file's syntax arena.
public struct NodeID: Hashable, Comparable, Sendable, CustomStringConvertible {
    public let index: Int32
    @inlinable public init(_ index: Int32) { self.index = index }
    public static func < (a: NodeID, b: NodeID) -> Bool { a.index < b.index }
    public var description: String { "#\(index)" }
}

/// Every node kind. Children are fixed slots (absent slots are `nil` in `children(of:)` via
/// `child(_:_:)`) for the kinds that list them; list kinds have any number of children.
public enum NodeKind: UInt8, Sendable, CaseIterable {
    // Statements
    /// children: statements
    case compound
    /// children: [expression]. `flags & NodeFlags.noSemicolon`: a macro call used as a statement.
    case expressionStatement
    /// children: initDeclarator...
    case declaration
    /// name = declared identifier; children: [initializer?]
    case initDeclarator
    /// children: [condition, then, else?]
    case ifStatement
    /// children: [condition, body]
    case switchStatement
    /// children: [value, rangeEnd?] (`case 1 ... 3:`)
    case caseLabel
    case defaultLabel
    /// name = label
    case label
    /// children: [condition, body]
    case whileLoop
    /// children: [body, condition]
    case doWhileLoop
    /// children: [initializer?, condition?, step?, body]; the initializer may be a declaration
    case forLoop
    /// `list_for_each_entry(pos, head, member) body`; children: [head call, body]
    case iteratorLoop
    /// name = label
    case gotoStatement
    /// `goto *ptr;` children: [expression]
    case computedGoto
    case breakStatement
    case continueStatement
    /// children: [expression?]
    case returnStatement
    case emptyStatement
    /// `asm`/`asm goto` statement; tokens only. `flags & NodeFlags.asmGoto` for asm goto.
    case asmStatement
    /// A `#if` group with balanced branches at statement level; children: preprocessorBranch...
    case preprocessorConditional
    /// extra = line of the directive; children: statements
    case preprocessorBranch
    /// Tokens the parser could not understand; children: whatever parsed before the failure.
    case unknown

    // Expressions
    /// name = the identifier
    case identifier
    case numberLiteral
    /// One or more adjacent string literals (and macro names between them, e.g. `KERN_ERR "x"`)
    case stringLiteral
    case characterLiteral
    /// children: [callee, arguments...]
    case call
    /// name = member; op = .arrow or .dot; children: [base]
    case member
    /// children: [base, index]
    case arraySubscript
    /// op = the operator (`&`, `*`, `!`, `-`, `~`, `++`, `--`, `&&` for label addresses);
    /// children: [operand]
    case unary
    /// op = `++` or `--`; children: [operand]
    case postfix
    /// op = the operator (incl. `,`, `&&`, `||`, `|`); children: [lhs, rhs]
    case binary
    /// op = `=` or a compound assignment; children: [target, value]
    case assignment
    /// children: [condition, then?, else] (`a ?: b` has no then)
    case conditional
    /// children: [typeName, operand]
    case cast
    /// A type written in an expression (cast, sizeof, macro argument); tokens only.
    case typeName
    /// children: [typeName, initializerList]
    case compoundLiteral
    /// children: elements (expressions or designatedInitializer)
    case initializerList
    /// children: [designator..., value]
    case designatedInitializer
    /// name = field (`.field` or `field:`)
    case fieldDesignator
    /// children: [index, rangeEnd?]
    case indexDesignator
    /// `({ ... })`; children: [compound]
    case statementExpression
    /// `sizeof`/`alignof`; op = none; children: [operand or typeName]
    case sizeofExpression
    /// Something well-formed the parser keeps as tokens only (`_Generic`, `asm` in an expression).
    case opaque
}

public enum NodeFlags {
    public static let noSemicolon: UInt8 = 1
    public static let asmGoto: UInt8 = 2
    public static let fromMacroHead: UInt8 = 4
}

/// One arena node. Token indices refer to `ParsedFile.tokens`.
public struct Node: Sendable {
    public var kind: NodeKind
    public var op: Punctuator
    public var flags: UInt8
    public var firstToken: Int32
    public var lastToken: Int32
    public var childStart: Int32
    public var childCount: Int32
    /// Name token (identifier, member, label, declarator) or directive line, else -1.
    public var extra: Int32
}

/// A position in the source: 1-based line and byte column.
public struct SourcePosition: Sendable, Hashable, Comparable, CustomStringConvertible {
    public var line: Int
    public var column: Int
    public init(line: Int, column: Int) { self.line = line; self.column = column }
    public static func < (a: SourcePosition, b: SourcePosition) -> Bool {
        (a.line, a.column) < (b.line, b.column)
    }
    public var description: String { "\(line):\(column)" }
}

/// From the first byte of the first token to the last byte of the last token (inclusive).
public struct SourceRange: Sendable, Hashable, CustomStringConvertible {
    public var start: SourcePosition
    public var end: SourcePosition
    public init(start: SourcePosition, end: SourcePosition) { self.start = start; self.end = end }
    public var description: String { "\(start)-\(end)" }
}

/// The node arena of one file.
public struct SyntaxTree: Sendable {
    public internal(set) var nodes: [Node] = []
    /// Child slots; -1 marks an absent optional child.
    public internal(set) var childSlots: [Int32] = []

    @inlinable public subscript(_ id: NodeID) -> Node { nodes[Int(id.index)] }

    @inlinable public func kind(_ id: NodeID) -> NodeKind { nodes[Int(id.index)].kind }

    /// Present children in order (absent optional slots skipped).
    public func children(_ id: NodeID) -> [NodeID] {
        let n = nodes[Int(id.index)]
        var out: [NodeID] = []
        out.reserveCapacity(Int(n.childCount))
        for k in 0..<Int(n.childCount) {
            let c = childSlots[Int(n.childStart) + k]
            if c >= 0 { out.append(NodeID(c)) }
        }
        return out
    }

    /// The child in fixed slot `slot`, or nil when absent or out of range.
    @inlinable public func child(_ id: NodeID, _ slot: Int) -> NodeID? {
        let n = nodes[Int(id.index)]
        if slot >= Int(n.childCount) { return nil }
        let c = childSlots[Int(n.childStart) + slot]
        return c >= 0 ? NodeID(c) : nil
    }

    @inlinable public func childCount(_ id: NodeID) -> Int { Int(nodes[Int(id.index)].childCount) }

    /// Calls `body` for `id` and every descendant (pre-order), iteratively.
    public func walk(_ id: NodeID, _ body: (NodeID) -> Void) {
        var stack: [Int32] = [id.index]
        while let top = stack.popLast() {
            body(NodeID(top))
            let n = nodes[Int(top)]
            var k = Int(n.childCount) - 1
            while k >= 0 {
                let c = childSlots[Int(n.childStart) + k]
                if c >= 0 { stack.append(c) }
                k -= 1
            }
        }
    }
}
