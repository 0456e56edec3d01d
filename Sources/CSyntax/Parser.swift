/// The tolerant parser: a hand-written recursive-descent parser over the live token stream that never
/// fails. Every nesting point is bounded by `maxDepth`; beyond it a bracketed group becomes one
/// `unknown` node. Parenthesised and braced parts are parsed with `limit` set to the matching closer,
/// so garbage inside a group can never swallow code after it.
struct Parser {
    static let maxDepth = 150

    let src: UnsafeBufferPointer<UInt8>
    let tokens: [Token]
    let match: [Int32]
    let groups: [ConditionalGroup]
    let groupAt: [Int32: Int32]
    let elseBranchEnd: [Int32: Int32]
    let path: String
    let eof: Int

    var pos = 0
    var limit: Int
    var depth = 0
    var tree = SyntaxTree()
    /// Children of nodes under construction; `top` is its logical size (never shrunk, for speed).
    var scratch: [Int32] = []
    var top = 0
    var functions: [FunctionDefinition] = []
    var bindings: [OpsBinding] = []
    var installs: [OpsInstall] = []
    var recoveries: [Recovery]

    // Function context.
    var currentFunction: String?
    var localNames: Set<UInt64> = []
    /// Struct tag token of parameters and locals declared `struct X ...`, by name hash.
    var localStructTags: [UInt64: Int32] = [:]
    /// Set when a column-0 token shows that a function body ran past its real end.
    var abortAt = -1
    /// Conditional groups being parsed (their first branch starts where the group does).
    var activeGroups: [Int32] = []

    init(source: UnsafeBufferPointer<UInt8>, stream: TokenStream, path: String) {
        self.src = source
        self.tokens = stream.tokens
        self.match = stream.match
        self.groups = stream.groups
        self.groupAt = stream.groupAt
        self.elseBranchEnd = stream.elseBranchEnd
        self.path = path
        self.eof = stream.tokens.count - 1
        self.limit = eof
        self.recoveries = stream.recoveries
        tree.nodes.reserveCapacity(tokens.count / 2 + 16)
        tree.childSlots.reserveCapacity(tokens.count / 2 + 16)
        scratch.reserveCapacity(256)
    }

    // MARK: - Token helpers

    @inline(__always) func tok(_ i: Int) -> Token { tokens[i < limit ? i : eof] }
    @inline(__always) var cur: Token { tokens[pos < limit ? pos : eof] }
    @inline(__always) func isP(_ p: Punctuator) -> Bool { cur.isPunctuator(p) }
    @inline(__always) func isP(_ i: Int, _ p: Punctuator) -> Bool { tok(i).isPunctuator(p) }
    @inline(__always) var atEnd: Bool { pos >= limit }

    func text(_ i: Int) -> String {
        let t = tokens[i]
        return String(decoding: UnsafeBufferPointer(rebasing: src[Int(t.offset)..<Int(t.offset + t.length)]),
                      as: UTF8.self)
    }

    func tokenEquals(_ i: Int, _ s: StaticString) -> Bool {
        let t = tokens[i]
        if Int(t.length) != s.utf8CodeUnitCount { return false }
        let q = s.utf8Start
        for k in 0..<Int(t.length) where src[Int(t.offset) + k] != q[k] { return false }
        return true
    }

    func tokenHasPrefix(_ i: Int, _ s: StaticString) -> Bool {
        let t = tokens[i]
        if Int(t.length) < s.utf8CodeUnitCount { return false }
        let q = s.utf8Start
        for k in 0..<s.utf8CodeUnitCount where src[Int(t.offset) + k] != q[k] { return false }
        return true
    }

    func tokenContains(_ i: Int, _ s: StaticString) -> Bool {
        let t = tokens[i]
        let n = s.utf8CodeUnitCount, len = Int(t.length), base = Int(t.offset)
        if len < n { return false }
        let q = s.utf8Start
        var a = 0
        outer: while a + n <= len {
            for k in 0..<n where src[base + a + k] != q[k] { a += 1; continue outer }
            return true
        }
        return false
    }

    func tokenHasSuffix(_ i: Int, _ s: StaticString) -> Bool {
        let t = tokens[i]
        let n = s.utf8CodeUnitCount, len = Int(t.length)
        if len < n { return false }
        let q = s.utf8Start
        let base = Int(t.offset) + len - n
        for k in 0..<n where src[base + k] != q[k] { return false }
        return true
    }

    /// No lowercase letter: `NULL`, `THIS_MODULE`, `VM_FAULT_LOCKED`.
    func tokenIsAllCaps(_ i: Int) -> Bool {
        let t = tokens[i]
        for k in 0..<Int(t.length) {
            let c = src[Int(t.offset) + k]
            if c >= UInt8(ascii: "a") && c <= UInt8(ascii: "z") { return false }
        }
        return true
    }

    func tokenHash(_ i: Int) -> UInt64 {
        let t = tokens[i]
        var h: UInt64 = 0xcbf29ce484222325
        for k in 0..<Int(t.length) {
            h = (h ^ UInt64(src[Int(t.offset) + k])) &* 0x100000001b3
        }
        return h
    }

    mutating func recover(_ kind: Recovery.Kind, at i: Int, _ message: String) {
        let t = tokens[min(i, eof)]
        recoveries.append(Recovery(line: Int(t.line), column: Int(t.column), kind: kind, message: message))
    }

    // MARK: - Node construction

    @inline(__always)
    mutating func push(_ child: Int32) {
        if top == scratch.count { scratch.append(child) } else { scratch[top] = child }
        top += 1
    }

    @inline(__always)
    mutating func make(_ kind: NodeKind, _ first: Int, _ last: Int, mark: Int,
                       op: Punctuator = .none, flags: UInt8 = 0, extra: Int32 = -1) -> Int32 {
        let start = tree.childSlots.count
        let count = top - mark
        if count > 0 {
            var k = mark
            while k < top { tree.childSlots.append(scratch[k]); k += 1 }
            top = mark
        }
        let id = Int32(tree.nodes.count)
        tree.nodes.append(Node(kind: kind, op: op, flags: flags, firstToken: Int32(first),
                               lastToken: Int32(max(first - 1, last)), childStart: Int32(start),
                               childCount: Int32(count), extra: extra))
        return id
    }

    @inline(__always)
    mutating func leaf(_ kind: NodeKind, _ first: Int, _ last: Int, op: Punctuator = .none,
                       extra: Int32 = -1) -> Int32 {
        make(kind, first, last, mark: top, op: op, extra: extra)
    }

    @inline(__always) func firstToken(_ n: Int32) -> Int { Int(tree.nodes[Int(n)].firstToken) }
    @inline(__always) func lastToken(_ n: Int32) -> Int { Int(tree.nodes[Int(n)].lastToken) }
    @inline(__always) func kindOf(_ n: Int32) -> NodeKind { tree.nodes[Int(n)].kind }

    @inline(__always) mutating func enter() -> Bool {
        if depth >= Parser.maxDepth { return false }
        depth += 1
        return true
    }
    @inline(__always) mutating func leave() { depth -= 1 }

    /// Past the nesting bound: swallow the bracketed group (or the rest of the statement) at `pos`.
    mutating func tooDeep() -> Int32 {
        let start = pos
        recover(.tooDeep, at: pos, "nesting deeper than \(Parser.maxDepth) levels skipped")
        skipGroupOrStatement()
        return leaf(.unknown, start, max(start, pos - 1))
    }

    /// Skips one bracketed group if at an opener, else up to and including the next `;` at depth 0
    /// (stopping before a closer).
    mutating func skipGroupOrStatement() {
        let t = cur
        if t.isPunctuator(.leftParen) || t.isPunctuator(.leftBrace) || t.isPunctuator(.leftBracket) {
            let m = Int(match[pos])
            pos = m >= 0 ? min(m + 1, limit) : limit
            return
        }
        skipToStatementEnd()
    }

    /// Skips to just after the next `;` at this nesting level, or to just before a `}` / the limit.
    mutating func skipToStatementEnd() {
        while pos < limit {
            let t = tokens[pos]
            if t.kind == .punctuator {
                if t.subkind == Punctuator.semicolon.rawValue { pos += 1; return }
                if t.subkind == Punctuator.rightBrace.rawValue { return }
                if skipBracketed(t) { continue }
            }
            pos += 1
        }
    }

    /// At an opening bracket: moves past its match (to the limit when it has none inside it).
    private mutating func skipBracketed(_ t: Token) -> Bool {
        guard t.subkind == Punctuator.leftParen.rawValue || t.subkind == Punctuator.leftBrace.rawValue
            || t.subkind == Punctuator.leftBracket.rawValue else { return false }
        let m = Int(match[pos])
        pos = m < 0 || m >= limit ? limit : m + 1
        return true
    }

    /// The index of the bracket that closes the one at `pos`, within the limit; without one,
    /// the recovery is recorded and `pos` steps over the bracket.
    mutating func closingMatch(orRecover message: String) -> Int? {
        let m = Int(match[pos])
        guard m < 0 || m >= limit else { return m }
        recover(.unbalanced, at: pos, message)
        pos += 1
        return nil
    }

    /// What is left of a list element that did not parse as one (macro arguments such as
    /// `FOO(a b)`), up to the next comma, kept as an opaque node.
    mutating func pushRestOfElement() {
        let start = pos
        skipToComma()
        push(leaf(.opaque, start, pos - 1))
    }

    /// Skips to the next `,` at this nesting level (not consumed) or the limit.
    mutating func skipToComma() {
        while pos < limit {
            let t = tokens[pos]
            if t.kind == .punctuator {
                if t.subkind == Punctuator.comma.rawValue { return }
                if skipBracketed(t) { continue }
            }
            pos += 1
        }
    }
}
