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
                if t.subkind == Punctuator.leftParen.rawValue || t.subkind == Punctuator.leftBrace.rawValue
                    || t.subkind == Punctuator.leftBracket.rawValue
                {
                    let m = Int(match[pos])
                    if m < 0 || m >= limit { pos = limit; return }
                    pos = m + 1
                    continue
                }
            }
            pos += 1
        }
    }

    /// Skips to the next `,` at this nesting level (not consumed) or the limit.
    mutating func skipToComma() {
        while pos < limit {
            let t = tokens[pos]
            if t.kind == .punctuator {
                if t.subkind == Punctuator.comma.rawValue { return }
                if t.subkind == Punctuator.leftParen.rawValue || t.subkind == Punctuator.leftBrace.rawValue
                    || t.subkind == Punctuator.leftBracket.rawValue
                {
                    let m = Int(match[pos])
                    if m < 0 || m >= limit { pos = limit; return }
                    pos = m + 1
                    continue
                }
            }
            pos += 1
        }
    }

    // MARK: - Top level

    mutating func parseTranslationUnit() {
        while pos < eof {
            let before = pos
            parseExternalDeclaration()
            if pos <= before { pos = before + 1 }
        }
    }

    static func isDeclarationStartKeyword(_ k: Keyword) -> Bool {
        switch k {
        case .static, .extern, .typedef, .struct, .union, .enum, .void, .int, .char, .unsigned, .signed,
             .long, .short, .const, .bool, .inline, .float, .double, .volatile:
            return true
        default:
            return false
        }
    }

    /// A column-0 token after a `)` that starts a new declaration: the previous "declaration" was a
    /// macro invocation without a semicolon.
    func startsNewTopLevel(_ i: Int) -> Bool {
        let t = tokens[i]
        guard t.startsLine, t.column == 1, tokens[i - 1].isPunctuator(.rightParen) else { return false }
        if t.kind == .keyword { return Parser.isDeclarationStartKeyword(t.keyword) }
        if t.kind == .identifier {
            let n = tokens[i + 1]
            return n.kind == .identifier || n.kind == .keyword || n.isPunctuator(.star)
        }
        return false
    }

    mutating func parseExternalDeclaration() {
        let start = pos
        let first = tokens[start]
        if first.isPunctuator(.semicolon) { pos += 1; return }
        if first.isPunctuator(.rightBrace) || first.isPunctuator(.rightParen) || first.isPunctuator(.rightBracket) {
            recover(.unbalanced, at: start, "unmatched '\(text(start))' at top level")
            pos += 1
            return
        }
        var i = start
        var declaratorStart = start
        var forcedHead: FunctionHead?
        while true {
            let t = tokens[i]
            if t.kind == .endOfFile { pos = i; return }
            if t.marks & Token.elseBranchMark != 0, i > start, forcedHead == nil, let end = elseBranchEnd[Int32(i)],
                tokens[i - 1].isPunctuator(.rightParen),
                let head = functionHead(start, i), head.name > start
            {
                // `#ifdef A / int f(long x) / #else / int f(int x) / #endif / {`: alternative heads
                // of one function; the first one names it (as ctags does).
                forcedHead = head
                i = Int(end)
                continue
            }
            if i > start && t.startsLine && t.column == 1 && startsNewTopLevel(i) { pos = i; return }
            if t.kind == .punctuator {
                switch Punctuator(rawValue: t.subkind)! {
                case .semicolon:
                    pos = i + 1
                    return
                case .comma:
                    declaratorStart = i + 1
                case .leftParen, .leftBracket:
                    let m = Int(match[i])
                    if m < 0 {
                        recover(.unbalanced, at: i, "unmatched '\(text(i))'")
                        pos = i + 1
                        return
                    }
                    i = m + 1
                    continue
                case .leftBrace:
                    if let head = forcedHead ?? functionHead(start, i) {
                        parseFunction(head, headStart: start, brace: i)
                        return
                    }
                    let m = Int(match[i])
                    if m < 0 {
                        recover(.unbalanced, at: i, "unmatched '{'")
                        pos = i + 1
                        return
                    }
                    i = m + 1
                    continue
                case .assign:
                    parseTopLevelInitializer(declStart: start, declaratorStart: declaratorStart, assign: i)
                    i = max(pos, i + 1)
                    continue
                case .rightBrace, .rightParen, .rightBracket:
                    recover(.unbalanced, at: i, "unmatched '\(text(i))'")
                    pos = i + 1
                    return
                default:
                    break
                }
            } else if t.isKeyword(.typedef) {
                // Typedefs never define functions; skip to the end of the declaration.
                pos = i
                skipToStatementEnd()
                if pos < eof && tokens[pos].isPunctuator(.rightBrace) { pos += 1 }
                return
            }
            i += 1
        }
    }

    /// Attribute-like macros that take arguments and may appear in a function head.
    func isAttributeMacro(_ i: Int) -> Bool {
        let t = tokens[i]
        if t.kind == .keyword { return true }
        if t.kind != .identifier { return false }
        if !tokenHasPrefix(i, "__") {
            return tokenEquals(i, "BTF_TYPE_TAG") || tokenEquals(i, "SEC")
        }
        return tokenEquals(i, "__printf") || tokenEquals(i, "__scanf") || tokenEquals(i, "__acquires")
            || tokenEquals(i, "__releases") || tokenEquals(i, "__must_hold") || tokenEquals(i, "__cond_acquires")
            || tokenEquals(i, "__cond_releases") || tokenEquals(i, "__section") || tokenEquals(i, "__aligned")
            || tokenEquals(i, "__alloc_size") || tokenEquals(i, "__realloc_size") || tokenEquals(i, "__format")
            || tokenEquals(i, "__counted_by") || tokenEquals(i, "__assume_aligned") || tokenEquals(i, "__cleanup")
            || tokenEquals(i, "__free") || tokenEquals(i, "__diag_ignore") || tokenEquals(i, "__nonnull")
            || tokenEquals(i, "__malloc") || tokenEquals(i, "__designated_init") || tokenEquals(i, "__access")
            || tokenEquals(i, "__no_sanitize_or_inline") || tokenEquals(i, "__attribute_const__")
            || tokenEquals(i, "__weak_alias") || tokenEquals(i, "__visible_alias")
    }

    struct FunctionHead {
        var name: Int
        var open: Int
        var close: Int
    }

    /// Finds the declarator of a function definition in the head `[start, brace)`, or nil when the
    /// braces belong to something else (a struct body, an initializer).
    func functionHead(_ start: Int, _ brace: Int) -> FunctionHead? {
        var fallback: FunctionHead?
        var j = start
        while j < brace {
            let t = tokens[j]
            if t.isPunctuator(.leftParen) {
                let m = Int(match[j])
                if m < 0 || m >= brace { return nil }
                if j > start, tokens[j - 1].kind == .identifier, !isAttributeMacro(j - 1) {
                    let head = FunctionHead(name: j - 1, open: j, close: m)
                    if trailerIsAttributes(m + 1, brace) { return head }
                    if fallback == nil { fallback = head }
                } else if tokens[j + 1].isPunctuator(.star), j == start || !tokens[j - 1].isKeyword(.attribute) {
                    // `int (*getter(int x))(long)`: the name and parameters are inside the parentheses.
                    var k = j + 1
                    while k < m {
                        if tokens[k].kind == .identifier && tokens[k + 1].isPunctuator(.leftParen) {
                            let c = Int(match[k + 1])
                            if c > 0 && c < m { return FunctionHead(name: k, open: k + 1, close: c) }
                        }
                        k += 1
                    }
                }
                j = m + 1
                continue
            }
            if t.isPunctuator(.leftBracket) {
                let m = Int(match[j])
                if m < 0 || m >= brace { return nil }
                j = m + 1
                continue
            }
            if t.isPunctuator(.assign) || t.isKeyword(.typedef) { return nil }
            j += 1
        }
        return fallback
    }

    /// After a function's parameter list only attributes may follow before the body.
    func trailerIsAttributes(_ from: Int, _ to: Int) -> Bool {
        var j = from
        while j < to {
            let t = tokens[j]
            if t.kind == .keyword {
                switch t.keyword {
                case .const, .volatile, .attribute, .asm, .restrict: break
                default: return false
                }
            } else if t.kind == .identifier {
                if tokens[j + 1].isPunctuator(.leftParen) && !isAttributeMacro(j) && !tokenHasPrefix(j, "__")
                    && !tokenIsAllCaps(j)
                {
                    return false
                }
            } else if t.isPunctuator(.leftParen) {
                let m = Int(match[j])
                if m < 0 || m >= to { return false }
                j = m + 1
                continue
            } else {
                return false
            }
            j += 1
        }
        return true
    }

    mutating func parseFunction(_ head: FunctionHead, headStart: Int, brace: Int) {
        let name = text(head.name)
        var isStatic = false, isInline = false
        var returnTokens: [String] = []
        var j = headStart
        while j < head.name {
            let t = tokens[j]
            if t.kind == .keyword {
                switch t.keyword {
                case .static: isStatic = true; j += 1; continue
                case .inline: isInline = true; j += 1; continue
                case .extern, .register, .gnuExtension, .threadLocal: j += 1; continue
                case .attribute, .asm:
                    if tokens[j + 1].isPunctuator(.leftParen), match[j + 1] > 0 {
                        j = Int(match[j + 1]) + 1
                        continue
                    }
                default: break
                }
            } else if t.kind == .identifier {
                if tokenEquals(j, "__always_inline") { isInline = true }
                if isHeadAnnotation(j) { j += 1; continue }
                if tokens[j + 1].isPunctuator(.leftParen), isAttributeMacro(j), match[j + 1] > 0 {
                    j = Int(match[j + 1]) + 1
                    continue
                }
            }
            returnTokens.append(text(j))
            j += 1
        }
        let parameters = parseParameters(head.open, head.close)
        let savedFunction = currentFunction
        currentFunction = name
        localNames.removeAll(keepingCapacity: true)
        localStructTags.removeAll(keepingCapacity: true)
        for p in parameters where !p.name.isEmpty { localNames.insert(hashString(p.name)) }
        notePointerParameters(head.open, head.close)
        abortAt = -1
        pos = brace
        let body = parseCompound(functionBody: true)
        let endToken = max(brace, pos - 1)
        if abortAt >= 0 {
            pos = abortAt
            abortAt = -1
        }
        currentFunction = savedFunction
        let nameTok = tokens[head.name]
        functions.append(FunctionDefinition(
            name: name, line: Int(nameTok.line), column: Int(nameTok.column),
            endLine: Int(tokens[min(endToken, eof)].line), parameters: parameters,
            isStatic: isStatic, isInline: isInline,
            returnTypeText: returnTokens.joined(separator: " "),
            isMacroHead: returnTokens.isEmpty, body: NodeID(body), nameToken: Int32(head.name)))
    }

    /// Annotations in function heads that are not part of the return type.
    func isHeadAnnotation(_ i: Int) -> Bool {
        tokenEquals(i, "__always_inline") || tokenEquals(i, "noinline") || tokenEquals(i, "noinline_for_stack")
            || tokenEquals(i, "notrace") || tokenEquals(i, "asmlinkage") || tokenEquals(i, "__init")
            || tokenEquals(i, "__exit") || tokenEquals(i, "__cold") || tokenEquals(i, "__weak")
            || tokenEquals(i, "__sched") || tokenEquals(i, "__maybe_unused") || tokenEquals(i, "__visible")
            || tokenEquals(i, "__ref") || tokenEquals(i, "__meminit") || tokenEquals(i, "noinstr")
            || tokenEquals(i, "__always_unused") || tokenEquals(i, "__kprobes") || tokenEquals(i, "__noreturn")
    }

    func hashString(_ s: String) -> UInt64 {
        var h: UInt64 = 0xcbf29ce484222325
        for b in s.utf8 { h = (h ^ UInt64(b)) &* 0x100000001b3 }
        return h
    }

    func parseParameters(_ open: Int, _ close: Int) -> [Parameter] {
        var result: [Parameter] = []
        var j = open + 1
        var segmentStart = j
        while j <= close {
            let t = tokens[j]
            if j == close || t.isPunctuator(.comma) {
                if j > segmentStart { result.append(parameter(segmentStart, j)) }
                segmentStart = j + 1
                j += 1
                continue
            }
            if t.isPunctuator(.leftParen) || t.isPunctuator(.leftBracket) {
                let m = Int(match[j])
                if m > j && m < close { j = m + 1; continue }
            }
            j += 1
        }
        if result.count == 1 && result[0].name.isEmpty && result[0].typeText == "void" { return [] }
        return result
    }

    /// One parameter in `[from, to)`: its name is the last identifier at depth 0 (or inside a
    /// `(*name)` group) that does not look like an annotation.
    func parameter(_ from: Int, _ to: Int) -> Parameter {
        let nameIndex = declaratorName(from, to)
        var parts: [String] = []
        for k in from..<to where k != nameIndex { parts.append(text(k)) }
        return Parameter(name: nameIndex >= 0 ? text(nameIndex) : "", typeText: parts.joined(separator: " "))
    }

    /// Index of the declared name in a declarator token range, or -1.
    func declaratorName(_ from: Int, _ to: Int, typeKnown: Bool = false) -> Int {
        var best = -1, fallback = -1
        var sawTypeWord = typeKnown
        var j = from
        while j < to {
            let t = tokens[j]
            if t.kind == .keyword {
                switch t.keyword {
                case .struct, .union, .enum:
                    // The tag is not the name.
                    if j + 1 < to, tokens[j + 1].kind == .identifier { j += 2; sawTypeWord = true; continue }
                case .attribute, .typeof, .asm, .alignof:
                    if j + 1 < to, tokens[j + 1].isPunctuator(.leftParen), match[j + 1] > 0 {
                        j = Int(match[j + 1]) + 1
                        continue
                    }
                case .const, .volatile, .restrict, .static, .extern, .inline, .register: break
                default: sawTypeWord = true
                }
                j += 1
                continue
            }
            if t.kind == .identifier {
                if j + 1 < to, tokens[j + 1].isPunctuator(.leftParen) {
                    // Annotation macro with arguments (`__aligned(8)`), or a macro type.
                    let m = Int(match[j + 1])
                    j = m > j ? m + 1 : j + 1
                    continue
                }
                if !sawTypeWord {
                    // The first identifier in a declaration is the type (`size_t len`).
                    sawTypeWord = true
                    fallback = j
                } else if tokenHasPrefix(j, "__") {
                    if best < 0 { fallback = j }
                } else {
                    best = j
                }
                j += 1
                continue
            }
            if t.isPunctuator(.leftParen) {
                let m = Int(match[j])
                if m < 0 { break }
                if tokens[j + 1].isPunctuator(.star) || tokens[j + 1].isPunctuator(.caret) {
                    // Function pointer: `(*name)(args)`.
                    var k = j + 1
                    while k < m {
                        if tokens[k].kind == .identifier && !tokenHasPrefix(k, "__") { return k }
                        k += 1
                    }
                }
                j = m + 1
                continue
            }
            if t.isPunctuator(.leftBracket) || t.isPunctuator(.leftBrace) {
                let m = Int(match[j])
                if m < 0 { break }
                j = m + 1
                continue
            }
            if t.isPunctuator(.colon) { break }  // bit-field width
            j += 1
        }
        if best >= 0 { return best }
        // `int` alone has no name; `foo_t` alone is a type, not a name (unnamed parameter).
        if fallback >= 0 && typeKnown { return fallback }
        if fallback >= 0 && sawTypeWord {
            // Only a name if something type-like preceded it.
            var k = from
            var typeBefore = false
            while k < fallback {
                if tokens[k].kind == .keyword || tokens[k].kind == .identifier { typeBefore = true }
                k += 1
            }
            return typeBefore ? fallback : -1
        }
        return -1
    }

    /// Token index of the tag in `struct X` / `union X` within `[from, to)`.
    func structTag(_ from: Int, _ to: Int) -> Int? {
        var j = from
        while j + 1 < to {
            let t = tokens[j]
            if (t.isKeyword(.struct) || t.isKeyword(.union)) && tokens[j + 1].kind == .identifier { return j + 1 }
            j += 1
        }
        return nil
    }

    /// Records the struct tag of each `struct X *name` parameter in `(open, close)`.
    mutating func notePointerParameters(_ open: Int, _ close: Int) {
        var segmentStart = open + 1
        var j = open + 1
        while j <= close {
            if j == close || tokens[j].isPunctuator(.comma) {
                let name = declaratorName(segmentStart, j)
                if name >= 0, let tag = structTag(segmentStart, name) { localStructTags[tokenHash(name)] = Int32(tag) }
                segmentStart = j + 1
            } else if tokens[j].isPunctuator(.leftParen), match[j] > j, Int(match[j]) < close {
                j = Int(match[j])
            }
            j += 1
        }
    }

    /// The struct (or typedef) name among declaration specifiers `[from, to)`.
    func structTypeName(_ from: Int, _ to: Int, excluding name: Int) -> String? {
        var j = from
        while j < to {
            let t = tokens[j]
            if (t.isKeyword(.struct) || t.isKeyword(.union)) && j + 1 < to && tokens[j + 1].kind == .identifier {
                return text(j + 1)
            }
            j += 1
        }
        j = from
        while j < to {
            if tokens[j].kind == .identifier && j != name && !tokenHasPrefix(j, "__") { return text(j) }
            j += 1
        }
        return nil
    }

    mutating func parseTopLevelInitializer(declStart: Int, declaratorStart: Int, assign: Int) {
        let nameIndex = declaratorName(declaratorStart, assign, typeKnown: declaratorStart != declStart)
        let type = structTypeName(declStart, assign, excluding: nameIndex)
        pos = assign + 1
        let mark = top
        let initializer = parseInitializer()
        top = mark
        if nameIndex >= 0, let type, kindOf(initializer) == .initializerList {
            collectBindings(initializer, structType: type, variable: text(nameIndex), prefix: "")
        }
    }

    // MARK: - Ops bindings

    mutating func collectBindings(_ list: Int32, structType: String, variable: String, prefix: String) {
        let n = tree.nodes[Int(list)]
        for k in 0..<Int(n.childCount) {
            let element = tree.childSlots[Int(n.childStart) + k]
            if element < 0 { continue }
            let e = tree.nodes[Int(element)]
            if e.kind == .initializerList {
                // Array of structures: every element has the same type.
                collectBindings(element, structType: structType, variable: variable, prefix: prefix)
                continue
            }
            guard e.kind == .designatedInitializer, e.childCount >= 2 else { continue }
            var slot = prefix
            var indexed = false
            for d in 0..<Int(e.childCount) - 1 {
                let designator = tree.nodes[Int(tree.childSlots[Int(e.childStart) + d])]
                if designator.kind == .fieldDesignator {
                    if !slot.isEmpty { slot += "." }
                    slot += text(Int(designator.extra))
                } else {
                    indexed = true
                }
            }
            let value = tree.childSlots[Int(e.childStart) + Int(e.childCount) - 1]
            if kindOf(value) == .initializerList {
                collectBindings(value, structType: structType, variable: variable, prefix: slot)
                continue
            }
            if slot.isEmpty && indexed { continue }
            if let function = boundIdentifier(value) {
                bindings.append(OpsBinding(
                    file: path, line: Int(tokens[Int(e.firstToken)].line), structType: structType,
                    variable: variable, slot: slot, function: text(function), kind: .designatedInitializer,
                    inFunction: currentFunction))
            }
        }
    }

    /// The identifier a slot value binds: `f`, `(cast)f`; not constants (`NULL`, `THIS_MODULE`).
    func boundIdentifier(_ value: Int32) -> Int? {
        var v = value
        while kindOf(v) == .cast, let operand = tree.child(NodeID(v), 1) { v = operand.index }
        guard kindOf(v) == .identifier else { return nil }
        let t = Int(tree.nodes[Int(v)].extra)
        return tokenIsAllCaps(t) ? nil : t
    }

    /// `ops->page_mkwrite = fn;` and `vma->vm_ops = &foo;` inside a function body.
    mutating func noteAssignment(target: Int32, value: Int32) {
        guard let function = currentFunction, kindOf(target) == .member else { return }
        let member = tree.nodes[Int(target)]
        let slotToken = Int(member.extra)
        if slotToken < 0 { return }
        let v = tree.nodes[Int(value)]
        if v.kind == .unary && v.op == .ampersand, let operand = tree.child(NodeID(value), 0),
            kindOf(operand.index) == .identifier
        {
            let name = Int(tree.nodes[Int(operand.index)].extra)
            if localNames.contains(tokenHash(name)) { return }
            installs.append(OpsInstall(
                file: path, line: Int(tokens[Int(member.firstToken)].line), function: function,
                slot: text(slotToken), target: nodeText(target), variable: text(name)))
            return
        }
        guard let ident = boundIdentifier(value) else { return }
        if localNames.contains(tokenHash(ident)) { return }
        let baseNode = tree.child(NodeID(target), 0)
        let base = baseNode.map { nodeText($0.index) } ?? ""
        var structType: String?
        if let b = baseNode, kindOf(b.index) == .identifier,
            let tag = localStructTags[tokenHash(Int(tree.nodes[Int(b.index)].extra))]
        {
            structType = text(Int(tag))
        }
        bindings.append(OpsBinding(
            file: path, line: Int(tokens[Int(member.firstToken)].line), structType: structType, variable: base,
            slot: text(slotToken), function: text(ident), kind: .assignment, inFunction: function))
    }

    func nodeText(_ n: Int32) -> String {
        let node = tree.nodes[Int(n)]
        if node.lastToken < node.firstToken { return "" }
        return (Int(node.firstToken)...Int(node.lastToken)).map { text($0) }.joined()
    }

    // MARK: - Statements

    /// Parses `{ ... }` at `pos`. In a function body a column-0 `}` or `static`/`extern`/`typedef`
    /// seen while nested means the braces were unbalanced: the function ends there.
    mutating func parseCompound(functionBody: Bool = false) -> Int32 {
        let start = pos
        guard enter() else { return tooDeep() }
        defer { leave() }
        let m = Int(match[pos])
        let savedLimit = limit
        if m >= 0 && m < limit { limit = m }
        pos += 1
        let mark = top
        parseStatementList(functionBody: functionBody)
        let node = make(.compound, start, m >= 0 && abortAt < 0 ? m : pos - 1, mark: mark)
        limit = savedLimit
        if abortAt < 0 {
            if m >= 0 && m < savedLimit { pos = m + 1 } else {
                recover(.unbalanced, at: start, "'{' without matching '}'")
                pos = max(pos, limit)
            }
        }
        return node
    }

    /// Statements until the limit; pushes each onto `scratch`.
    mutating func parseStatementList(functionBody: Bool) {
        while pos < limit && abortAt < 0 {
            let t = tokens[pos]
            if t.startsLine && t.column == 1 && currentFunction != nil && columnZeroEndsFunction(pos, functionBody) {
                recover(.functionBodyCutShort, at: pos,
                        "'\(text(pos))' at column 1 inside a function body: braces unbalanced, body ends here")
                abortAt = pos
                return
            }
            if t.isPunctuator(.rightBrace) {
                recover(.unbalanced, at: pos, "unmatched '}' in statement list")
                let u = leaf(.unknown, pos, pos)
                push(u)
                pos += 1
                continue
            }
            let before = pos
            push(parseStatement())
            if pos == before {
                recover(.unexpectedToken, at: pos, "unexpected '\(text(pos))'")
                let u = leaf(.unknown, pos, pos)
                push(u)
                pos += 1
            }
        }
    }

    func columnZeroEndsFunction(_ i: Int, _ functionBody: Bool) -> Bool {
        let t = tokens[i]
        if t.isPunctuator(.rightBrace) { return !functionBody }
        if t.kind == .keyword {
            return t.isKeyword(.static) || t.isKeyword(.extern) || t.isKeyword(.typedef)
        }
        if t.kind == .identifier { return tokenHasPrefix(i, "EXPORT_SYMBOL") }
        return false
    }

    /// A `#if` group at statement level whose branches each consist of whole statements.
    mutating func parseConditionalGroup(_ g: Int) -> Int32? {
        let group = groups[g]
        let end = Int(group.end)
        if end > limit || end <= pos { return nil }
        for k in group.branchStarts.indices {
            let s = Int(group.branchStarts[k])
            let e = k + 1 < group.branchStarts.count ? Int(group.branchStarts[k + 1]) : end
            if e > s {
                let last = tokens[e - 1]
                if !(last.isPunctuator(.semicolon) || last.isPunctuator(.rightBrace)
                    || last.isPunctuator(.colon))
                {
                    return nil
                }
            }
        }
        guard enter() else { return nil }
        defer { leave() }
        let start = pos
        let mark = top
        let savedLimit = limit
        activeGroups.append(Int32(g))
        defer { activeGroups.removeLast() }
        for k in group.branchStarts.indices {
            let s = Int(group.branchStarts[k])
            let e = k + 1 < group.branchStarts.count ? Int(group.branchStarts[k + 1]) : end
            pos = s
            limit = e
            let branchMark = top
            parseStatementList(functionBody: false)
            limit = savedLimit
            let branch = make(.preprocessorBranch, s, e - 1, mark: branchMark, extra: Int32(group.directiveLines[k]))
            push(branch)
            if abortAt >= 0 { break }
        }
        if abortAt < 0 { pos = end }
        return make(.preprocessorConditional, start, end - 1, mark: mark)
    }

    mutating func expectSemicolon(statementStart: Int, _ node: Int32) -> Int32 {
        if isP(.semicolon) {
            tree.nodes[Int(node)].lastToken = Int32(pos)
            pos += 1
            return node
        }
        return unknownRest(statementStart, node, "expected ';' after statement")
    }

    /// Wraps what parsed so far in an `unknown` node covering the rest of the statement.
    mutating func unknownRest(_ start: Int, _ partial: Int32?, _ message: String) -> Int32 {
        recover(.unexpectedToken, at: pos, "\(message), found '\(atEnd ? "end of block" : text(pos))'")
        skipToStatementEnd()
        let mark = top
        if let partial { push(partial) }
        return make(.unknown, start, max(start, pos - 1), mark: mark)
    }

    mutating func parseStatement() -> Int32 {
        guard enter() else { return tooDeep() }
        defer { leave() }
        let start = pos
        let t = cur
        if t.marks & Token.groupStartMark != 0, pos < limit, let g = groupAt[Int32(pos)], !activeGroups.contains(g),
            let node = parseConditionalGroup(Int(g))
        {
            return node
        }
        switch t.kind {
        case .keyword:
            switch t.keyword {
            case .if: return parseIf()
            case .switch, .while: return parseConditionAndBody(t.isKeyword(.switch) ? .switchStatement : .whileLoop)
            case .do: return parseDoWhile()
            case .for: return parseFor()
            case .return:
                pos += 1
                let mark = top
                if !isP(.semicolon) && !atEnd { push(parseExpression()) }
                let node = make(.returnStatement, start, pos - 1, mark: mark)
                return expectSemicolon(statementStart: start, node)
            case .goto:
                pos += 1
                if cur.kind == .identifier {
                    pos += 1
                    let node = leaf(.gotoStatement, start, pos - 1, extra: Int32(pos - 1))
                    return expectSemicolon(statementStart: start, node)
                }
                if isP(.star) {
                    pos += 1
                    let mark = top
                    push(parseExpression())
                    let node = make(.computedGoto, start, pos - 1, mark: mark)
                    return expectSemicolon(statementStart: start, node)
                }
                return unknownRest(start, nil, "expected label after goto")
            case .break, .continue:
                pos += 1
                let node = leaf(t.isKeyword(.break) ? .breakStatement : .continueStatement, start, start)
                return expectSemicolon(statementStart: start, node)
            case .case:
                pos += 1
                let mark = top
                push(parseConditional())
                if isP(.ellipsis) {
                    pos += 1
                    push(parseConditional())
                }
                if isP(.colon) {
                    pos += 1
                    return make(.caseLabel, start, pos - 1, mark: mark)
                }
                let partial = make(.caseLabel, start, pos - 1, mark: mark)
                return unknownRest(start, partial, "expected ':' after case")
            case .default:
                pos += 1
                if isP(.colon) { pos += 1; return leaf(.defaultLabel, start, pos - 1) }
                return unknownRest(start, nil, "expected ':' after default")
            case .else:
                pos += 1
                return unknownRest(start, nil, "'else' without 'if'")
            case .asm:
                return parseAsmStatement()
            case .sizeof, .alignof, .generic:
                return parseExpressionStatement()
            case .gnuExtension:
                pos += 1
                return parseStatement()
            case .staticAssert:
                pos += 1
                skipToStatementEnd()
                return leaf(.emptyStatement, start, pos - 1)
            default:
                return parseDeclarationStatement()
            }
        case .identifier:
            if tok(pos + 1).isPunctuator(.colon) && !tok(pos + 2).isPunctuator(.colon) {
                pos += 2
                // Labels may carry attributes: `out: __maybe_unused;`
                if cur.isKeyword(.attribute), isP(pos + 1, .leftParen), match[pos + 1] > 0 {
                    pos = Int(match[pos + 1]) + 1
                }
                return leaf(.label, start, start + 1, extra: Int32(start))
            }
            if looksLikeDeclaration(pos) { return parseDeclarationStatement() }
            return parseExpressionStatement()
        case .punctuator:
            if t.isPunctuator(.leftBrace) { return parseCompound() }
            if t.isPunctuator(.semicolon) { pos += 1; return leaf(.emptyStatement, start, start) }
            return parseExpressionStatement()
        default:
            return parseExpressionStatement()
        }
    }

    /// `IDENT IDENT`, `IDENT * IDENT [;=,[)]`, `IDENT IDENT * ...`: a declaration with a typedef'd type.
    func looksLikeDeclaration(_ i: Int) -> Bool {
        let n = tok(i + 1)
        if n.kind == .identifier {
            // `foo bar`, but not a bare macro on a line of its own followed by a statement.
            return !(n.startsLine && tokenIsAllCaps(i))
        }
        if n.kind == .keyword {
            switch n.keyword {
            case .const, .volatile, .restrict, .attribute, .inline, .static: return true
            default: return false
            }
        }
        if n.isPunctuator(.star) {
            var k = i + 1
            while tok(k).isPunctuator(.star) || tok(k).isKeyword(.const) || tok(k).isKeyword(.restrict)
                || tok(k).isKeyword(.volatile) { k += 1 }
            guard tok(k).kind == .identifier else { return false }
            let after = tok(k + 1)
            return after.isPunctuator(.semicolon) || after.isPunctuator(.assign) || after.isPunctuator(.comma)
                || after.isPunctuator(.leftBracket) || after.kind == .identifier
                || after.isKeyword(.attribute)
        }
        return false
    }

    mutating func parseDeclarationStatement() -> Int32 {
        let start = pos
        // Find the end of the specifiers: the declarators are separated by depth-0 commas.
        var i = pos
        var declaratorStart = pos
        let mark = top
        var sawInitDeclarator = false
        while i < limit {
            let t = tokens[i]
            if t.kind == .punctuator {
                let p = Punctuator(rawValue: t.subkind)!
                if p == .semicolon || p == .comma || p == .assign {
                    let nameIndex = declaratorName(declaratorStart, i, typeKnown: declaratorStart != start)
                    if nameIndex >= 0 {
                        let h = tokenHash(nameIndex)
                        localNames.insert(h)
                        if let tag = structTag(start, nameIndex) { localStructTags[h] = Int32(tag) }
                    }
                    let declMark = top
                    var declEnd = i - 1
                    if p == .assign {
                        pos = i + 1
                        let initializer = parseInitializer()
                        push(initializer)
                        declEnd = pos - 1
                        if nameIndex >= 0, kindOf(initializer) == .initializerList,
                            let type = structTypeName(start, declaratorStart == start ? nameIndex : start,
                                                      excluding: nameIndex)
                        {
                            collectBindings(initializer, structType: type, variable: text(nameIndex), prefix: "")
                        }
                        i = pos
                    } else {
                        pos = i
                    }
                    let d = make(.initDeclarator, declaratorStart, declEnd, mark: declMark,
                                 extra: Int32(nameIndex))
                    push(d)
                    sawInitDeclarator = true
                    let after = cur
                    if after.isPunctuator(.comma) {
                        pos += 1
                        i = pos
                        declaratorStart = pos
                        continue
                    }
                    if after.isPunctuator(.semicolon) {
                        pos += 1
                        return make(.declaration, start, pos - 1, mark: mark)
                    }
                    let partial = make(.declaration, start, pos - 1, mark: mark)
                    return unknownRest(start, partial, "expected ';' after declaration")
                }
                if p == .leftParen || p == .leftBracket || p == .leftBrace {
                    let m = Int(match[i])
                    if m < 0 || m >= limit { break }
                    i = m + 1
                    continue
                }
                if p == .rightBrace { break }
            }
            i += 1
        }
        pos = i
        let partial: Int32? = sawInitDeclarator ? make(.declaration, start, pos - 1, mark: mark) : nil
        if !sawInitDeclarator { top = mark }
        return unknownRest(start, partial, "unterminated declaration")
    }

    mutating func parseExpressionStatement() -> Int32 {
        let start = pos
        let mark = top
        let expression = parseExpression()
        if isP(.semicolon) {
            pos += 1
            push(expression)
            return make(.expressionStatement, start, pos - 1, mark: mark)
        }
        if kindOf(expression) == .call && cur.kind == .identifier
            && (isP(pos + 1, .semicolon) || isP(pos + 1, .assign) || isP(pos + 1, .comma))
        {
            // A declaration whose type is a macro call: `typeof_member(struct proc_ops, proc_read) read;`
            top = mark
            pos = start
            return parseDeclarationStatement()
        }
        if kindOf(expression) == .identifier
            && (atEnd || (cur.startsLine && !Parser.isAssignment(cur) && Parser.precedence(cur) == 0 && !isP(.leftParen)))
        {
            // A bare macro used as a statement: `UFS_TEST_FREE_SPACE_CG` on a line of its own.
            push(expression)
            return make(.expressionStatement, start, pos - 1, mark: mark, flags: NodeFlags.noSemicolon)
        }
        if kindOf(expression) == .call, let callee = tree.child(NodeID(expression), 0), kindOf(callee.index) == .identifier {
            let calleeToken = Int(tree.nodes[Int(callee.index)].extra)
            let isIterator = tokenContains(calleeToken, "for_each") || tokenContains(calleeToken, "foreach")
                || tokenHasPrefix(calleeToken, "for_") || tokenHasSuffix(calleeToken, "_for_each")
            if isP(.leftBrace) || (isIterator && !atEnd) {
                // Iterator macro used as a loop head.
                push(expression)
                push(parseStatement())
                return make(.iteratorLoop, start, pos - 1, mark: mark)
            }
            if atEnd || cur.startsLine {
                // A statement-like macro call without a semicolon.
                push(expression)
                return make(.expressionStatement, start, pos - 1, mark: mark, flags: NodeFlags.noSemicolon)
            }
        }
        return unknownRest(start, expression, "expected ';' after expression")
    }

    mutating func parseParenthesizedCondition() -> Int32? {
        guard isP(.leftParen) else { return nil }
        let m = Int(match[pos])
        if m < 0 || m >= limit { return nil }
        let savedLimit = limit
        limit = m
        pos += 1
        let condition = atEnd ? leaf(.unknown, pos, pos - 1) : parseExpression()
        if pos != m {
            recover(.unexpectedToken, at: pos, "unexpected '\(text(pos))' in condition")
        }
        limit = savedLimit
        pos = m + 1
        return condition
    }

    func parenthesisProblem(_ keyword: String) -> String {
        isP(.leftParen) ? "unmatched '(' after \(keyword)" : "expected '(' after \(keyword)"
    }

    mutating func parseIf() -> Int32 {
        let start = pos
        pos += 1
        guard let condition = parseParenthesizedCondition() else {
            return unknownRest(start, nil, parenthesisProblem("if"))
        }
        let mark = top
        push(condition)
        push(parseStatement())
        if cur.isKeyword(.else) {
            pos += 1
            push(parseStatement())
        } else {
            push(-1)
        }
        return make(.ifStatement, start, pos - 1, mark: mark)
    }

    mutating func parseConditionAndBody(_ kind: NodeKind) -> Int32 {
        let start = pos
        pos += 1
        guard let condition = parseParenthesizedCondition() else {
            return unknownRest(start, nil, parenthesisProblem(kind == .switchStatement ? "switch" : "while"))
        }
        let mark = top
        push(condition)
        push(parseStatement())
        return make(kind, start, pos - 1, mark: mark)
    }

    mutating func parseDoWhile() -> Int32 {
        let start = pos
        pos += 1
        let mark = top
        push(parseStatement())
        if cur.kind == .identifier && tokenHasPrefix(pos, "while") && isP(pos + 1, .leftParen) {
            // `do { ... } while_each_thread(g, t);`: a macro that ends the loop.
            let operandStart = pos
            push(parsePostfixOperators(parsePrimary(), start: operandStart))
            let node = make(.doWhileLoop, start, pos - 1, mark: mark)
            return expectSemicolon(statementStart: start, node)
        }
        guard cur.isKeyword(.while) else {
            let partial = make(.unknown, start, pos - 1, mark: mark)
            recover(.unexpectedToken, at: pos, "expected 'while' after do body")
            return partial
        }
        pos += 1
        guard let condition = parseParenthesizedCondition() else {
            let partial = make(.unknown, start, pos - 1, mark: mark)
            return unknownRest(start, partial, parenthesisProblem("while"))
        }
        push(condition)
        let node = make(.doWhileLoop, start, pos - 1, mark: mark)
        return expectSemicolon(statementStart: start, node)
    }

    mutating func parseFor() -> Int32 {
        let start = pos
        pos += 1
        guard isP(.leftParen), match[pos] > 0, Int(match[pos]) < limit else {
            return unknownRest(start, nil, "expected '(' after for")
        }
        let m = Int(match[pos])
        let savedLimit = limit
        limit = m
        pos += 1
        let mark = top
        // initializer
        if isP(.semicolon) {
            push(-1)
            pos += 1
        } else if cur.kind == .keyword && cur.keyword != .sizeof || (cur.kind == .identifier && looksLikeDeclaration(pos)) {
            push(parseDeclarationStatement())
        } else {
            push(parseExpression())
            if isP(.semicolon) { pos += 1 } else { recover(.unexpectedToken, at: pos, "expected ';' in for") }
        }
        // condition
        if isP(.semicolon) || atEnd {
            push(-1)
        } else {
            push(parseExpression())
        }
        if isP(.semicolon) { pos += 1 }
        // step
        if atEnd { push(-1) } else { push(parseExpression()) }
        if pos != m { recover(.unexpectedToken, at: pos, "unexpected '\(text(pos))' in for header") }
        limit = savedLimit
        pos = m + 1
        push(parseStatement())
        return make(.forLoop, start, pos - 1, mark: mark)
    }

    mutating func parseAsmStatement() -> Int32 {
        let start = pos
        pos += 1
        var flags: UInt8 = 0
        while cur.kind == .keyword || cur.kind == .identifier {
            if cur.isKeyword(.goto) { flags |= NodeFlags.asmGoto }
            pos += 1
        }
        if isP(.leftParen), match[pos] > 0 { pos = Int(match[pos]) + 1 }
        let node = make(.asmStatement, start, pos - 1, mark: top, flags: flags)
        return expectSemicolon(statementStart: start, node)
    }

    // MARK: - Expressions

    // Expression nodes span from the first token consumed to the last one (`pos - 1`), not from
    // their operands' spans: a parenthesised operand is its inner node, so `(a | b)` would
    // otherwise lose its parentheses from the enclosing node's text.
    mutating func parseExpression() -> Int32 {
        let start = pos
        var lhs = parseAssignment()
        while isP(.comma) {
            let op = pos
            pos += 1
            let rhs = parseAssignment()
            let mark = top
            push(lhs)
            push(rhs)
            lhs = make(.binary, start, max(start, pos - 1), mark: mark, op: tokens[op].punctuator)
        }
        return lhs
    }

    @inline(__always) static func isAssignment(_ t: Token) -> Bool {
        guard t.kind == .punctuator else { return false }
        return t.subkind >= Punctuator.assign.rawValue && t.subkind <= Punctuator.shiftRightAssign.rawValue
    }

    mutating func parseAssignment() -> Int32 {
        var start = pos
        let lhs = parseConditional()
        if !Parser.isAssignment(cur) { return lhs }
        var targets: [(Int32, Punctuator, Int)] = []
        var value = lhs
        while Parser.isAssignment(cur) {
            targets.append((value, cur.punctuator, start))
            pos += 1
            start = pos
            value = parseConditional()
        }
        // Fold right to left: `a = b = c` is `a = (b = c)`.
        let end = pos - 1
        while let (target, op, targetStart) = targets.popLast() {
            let mark = top
            push(target)
            push(value)
            let node = make(.assignment, targetStart, max(targetStart, end), mark: mark, op: op)
            if op == .assign { noteAssignment(target: target, value: value) }
            value = node
        }
        return value
    }

    mutating func parseConditional() -> Int32 {
        let start = pos
        let condition = parseBinary(1)
        if !isP(.question) { return condition }
        guard enter() else { return tooDeep() }
        defer { leave() }
        pos += 1
        let mark = top
        push(condition)
        if isP(.colon) { push(-1) } else { push(parseExpression()) }
        if isP(.colon) {
            pos += 1
            push(parseConditional())
        } else {
            recover(.unexpectedToken, at: pos, "expected ':' in conditional expression")
            push(-1)
        }
        return make(.conditional, start, pos - 1, mark: mark)
    }

    @inline(__always) static func precedence(_ t: Token) -> Int {
        guard t.kind == .punctuator else { return 0 }
        switch Punctuator(rawValue: t.subkind)! {
        case .star, .slash, .percent: return 10
        case .plus, .minus: return 9
        case .shiftLeft, .shiftRight: return 8
        case .less, .greater, .lessEqual, .greaterEqual: return 7
        case .equalEqual, .bangEqual: return 6
        case .ampersand: return 5
        case .caret: return 4
        case .pipe: return 3
        case .ampAmp: return 2
        case .pipePipe: return 1
        default: return 0
        }
    }

    mutating func parseBinary(_ minPrecedence: Int) -> Int32 {
        let start = pos
        var lhs = parseUnary()
        while true {
            let p = Parser.precedence(cur)
            if p == 0 || p < minPrecedence { return lhs }
            let op = cur.punctuator
            pos += 1
            let rhs = parseBinary(p + 1)
            let mark = top
            push(lhs)
            push(rhs)
            lhs = make(.binary, start, max(start, pos - 1), mark: mark, op: op)
        }
    }

    mutating func parseUnary() -> Int32 {
        let start = pos
        let t = cur
        if t.kind == .punctuator {
            switch Punctuator(rawValue: t.subkind)! {
            case .ampersand, .star, .plus, .minus, .bang, .tilde, .plusPlus, .minusMinus, .ampAmp:
                guard enter() else { return tooDeep() }
                defer { leave() }
                pos += 1
                let mark = top
                push(parseUnary())
                return make(.unary, start, pos - 1, mark: mark, op: t.punctuator)
            case .leftParen:
                let m = Int(match[pos])
                if m > pos && m < limit && looksLikeTypeName(pos + 1, m) {
                    guard enter() else { return tooDeep() }
                    defer { leave() }
                    let typeName = leaf(.typeName, pos + 1, m - 1)
                    pos = m + 1
                    let mark = top
                    push(typeName)
                    if isP(.leftBrace) {
                        push(parseInitializerList())
                        let literal = make(.compoundLiteral, start, pos - 1, mark: mark)
                        return parsePostfixOperators(literal)
                    }
                    push(parseUnary())
                    return make(.cast, start, pos - 1, mark: mark)
                }
            default:
                break
            }
        } else if t.kind == .keyword {
            switch t.keyword {
            case .sizeof, .alignof:
                guard enter() else { return tooDeep() }
                defer { leave() }
                pos += 1
                let mark = top
                if isP(.leftParen), match[pos] > pos, Int(match[pos]) < limit, looksLikeTypeName(pos + 1, Int(match[pos])) {
                    let m = Int(match[pos])
                    push(leaf(.typeName, pos + 1, m - 1))
                    pos = m + 1
                } else {
                    push(parseUnary())
                }
                return make(.sizeofExpression, start, pos - 1, mark: mark)
            case .gnuExtension:
                pos += 1
                return parseUnary()
            default:
                break
            }
        }
        let operandStart = pos
        return parsePostfixOperators(parsePrimary(), start: operandStart)
    }

    /// Whether `[from, to)` (the inside of parentheses) is a type name: `(struct page *)`,
    /// `(unsigned long)`, `(size_t)`, `(u32)`, `(foo_t __user *)`.
    func looksLikeTypeName(_ from: Int, _ to: Int) -> Bool {
        if from >= to { return false }
        let t = tokens[from]
        if t.kind == .keyword {
            switch t.keyword {
            case .void, .char, .short, .int, .long, .float, .double, .signed, .unsigned, .bool,
                 .struct, .union, .enum, .const, .volatile, .typeof, .attribute, .restrict:
                return true
            default:
                return false
            }
        }
        guard t.kind == .identifier else { return false }
        if from + 1 == to {
            // `(name)`: a cast if it names a type by convention or an operand follows.
            if isConventionalTypeName(from) { return true }
            let after = tok(to + 1)
            switch after.kind {
            case .identifier, .number, .string, .character: return true
            case .keyword: return after.isKeyword(.sizeof) || after.isKeyword(.alignof)
            case .punctuator:
                return after.isPunctuator(.leftParen) && !tok(to + 2).isPunctuator(.rightParen) && false
                    || after.isPunctuator(.bang) || after.isPunctuator(.tilde)
            default: return false
            }
        }
        // `(ident ident ... *...)`, `(ident *...)`, `(__user void *)`
        var k = from + 1
        var identifiers = 1
        var typeWords = 0
        while k < to && (tokens[k].kind == .identifier || tokens[k].kind == .keyword) {
            let t = tokens[k]
            if t.kind == .identifier {
                identifiers += 1
            } else {
                switch t.keyword {
                case .const, .volatile, .restrict: break
                case .void, .char, .short, .int, .long, .float, .double, .signed, .unsigned, .bool, .struct,
                     .union, .enum:
                    typeWords += 1
                default: return false
                }
            }
            k += 1
        }
        if typeWords > 0 {
            while k < to && (tokens[k].isPunctuator(.star) || tokens[k].isKeyword(.const)) { k += 1 }
            return k == to
        }
        var stars = 0
        while k < to && (tokens[k].isPunctuator(.star) || tokens[k].isKeyword(.const)) {
            stars += 1
            k += 1
        }
        if k == to { return stars > 0 || identifiers > 1 }
        // `(void (*)(int))` style function pointer casts.
        if tokens[k].isPunctuator(.leftParen) && tok(k + 1).isPunctuator(.star) && tok(k + 2).isPunctuator(.rightParen) {
            return stars == 0
        }
        return false
    }

    /// `size_t`, `u32`, `__le16`, `s64`: names the kernel uses only as types.
    func isConventionalTypeName(_ i: Int) -> Bool {
        if tokenHasSuffix(i, "_t") { return true }
        let t = tokens[i]
        var o = Int(t.offset)
        var n = Int(t.length)
        if n >= 4 && src[o] == UInt8(ascii: "_") && src[o + 1] == UInt8(ascii: "_") { o += 2; n -= 2 }
        if n >= 2 && n <= 3 && (src[o] == UInt8(ascii: "u") || src[o] == UInt8(ascii: "s")) {
            let rest = src[o + 1]
            return rest == UInt8(ascii: "8") || rest == UInt8(ascii: "1") || rest == UInt8(ascii: "3")
                || rest == UInt8(ascii: "6")
        }
        if n >= 4 && n <= 4 && src[o + 2] >= UInt8(ascii: "1") && src[o + 2] <= UInt8(ascii: "6")
            && ((src[o] == UInt8(ascii: "l") && src[o + 1] == UInt8(ascii: "e"))
                || (src[o] == UInt8(ascii: "b") && src[o + 1] == UInt8(ascii: "e")))
        {
            return true
        }
        return false
    }

    /// `start` is where the operand's text begins when that is before its node (`(*pagep)->x`).
    mutating func parsePostfixOperators(_ base: Int32, start: Int? = nil) -> Int32 {
        var e = base
        let first = start ?? firstToken(base)
        while true {
            let t = cur
            guard t.kind == .punctuator else { return e }
            switch Punctuator(rawValue: t.subkind)! {
            case .leftParen:
                // `list_for_each_entry(...)\n\t(void) f();`: a '(' opening a line after ')' is not a call.
                if t.startsLine && pos > 0 && tokens[pos - 1].isPunctuator(.rightParen) { return e }
                e = parseCall(e, start: first)
            case .leftBracket:
                let m = Int(match[pos])
                if m < 0 || m >= limit { return e }
                let savedLimit = limit
                limit = m
                pos += 1
                let mark = top
                push(e)
                push(atEnd ? leaf(.unknown, pos, pos - 1) : parseExpression())
                if pos != m { recover(.unexpectedToken, at: pos, "unexpected '\(text(pos))' in subscript") }
                limit = savedLimit
                pos = m + 1
                e = make(.arraySubscript, first, m, mark: mark)
            case .dot, .arrow:
                guard tok(pos + 1).kind == .identifier else {
                    recover(.unexpectedToken, at: pos + 1, "expected member name")
                    pos += 1
                    return e
                }
                let mark = top
                push(e)
                e = make(.member, first, pos + 1, mark: mark, op: t.punctuator, extra: Int32(pos + 1))
                pos += 2
            case .plusPlus, .minusMinus:
                let mark = top
                push(e)
                e = make(.postfix, first, pos, mark: mark, op: t.punctuator)
                pos += 1
            default:
                return e
            }
        }
    }

    mutating func parseCall(_ callee: Int32, start: Int? = nil) -> Int32 {
        let m = Int(match[pos])
        if m < 0 || m >= limit {
            recover(.unbalanced, at: pos, "unmatched '('")
            pos = limit
            return callee
        }
        guard enter() else { return tooDeep() }
        defer { leave() }
        let savedLimit = limit
        limit = m
        pos += 1
        let mark = top
        push(callee)
        while pos < limit {
            let argStart = pos
            if looksLikeTypeArgument(pos) {
                skipToComma()
                push(leaf(.typeName, argStart, pos - 1))
            } else if isP(.dot) && tok(pos + 1).kind == .identifier {
                // Designated initializers as macro arguments: `REGISTER_PLL(.name = "plla", ...)`.
                push(parseInitializerElement())
            } else if !canStartExpression(cur) {
                // Macro arguments may be operators (`ASSERTCMP(r, ==, 0)`) or statements (`D1(if (x) y())`).
                skipToComma()
                push(leaf(.opaque, argStart, max(argStart, pos - 1)))
            } else {
                push(parseAssignment())
            }
            if isP(.comma) { pos += 1; continue }
            if atEnd { break }
            // Macro arguments can be anything (`FOO(a b)`); keep going at the next comma.
            let junkStart = pos
            skipToComma()
            push(leaf(.opaque, junkStart, pos - 1))
            if isP(.comma) { pos += 1 }
        }
        limit = savedLimit
        pos = m + 1
        return make(.call, start ?? firstToken(callee), m, mark: mark)
    }

    /// Whether a token can begin an expression (used to spot operator and statement macro arguments).
    func canStartExpression(_ t: Token) -> Bool {
        switch t.kind {
        case .identifier, .number, .string, .character: return true
        case .keyword:
            switch t.keyword {
            case .if, .else, .for, .while, .do, .switch, .return, .break, .continue, .goto, .case, .default:
                return false
            default: return true
            }
        case .punctuator:
            switch t.punctuator {
            case .leftParen, .leftBrace, .ampersand, .star, .plus, .minus, .bang, .tilde, .plusPlus, .minusMinus,
                 .ampAmp, .dot, .leftBracket:
                return true
            default: return false
            }
        default: return false
        }
    }

    /// A macro argument that is a type: `container_of(p, struct foo, member)`, `va_arg(ap, int)`.
    func looksLikeTypeArgument(_ i: Int) -> Bool {
        let t = tok(i)
        if t.kind == .keyword {
            switch t.keyword {
            case .void, .char, .short, .int, .long, .float, .double, .signed, .unsigned, .bool,
                 .struct, .union, .enum, .const, .volatile:
                return true
            default:
                return false
            }
        }
        if t.kind == .identifier && tok(i + 1).isPunctuator(.star) {
            var k = i + 1
            while tok(k).isPunctuator(.star) { k += 1 }
            return tok(k).isPunctuator(.comma) || tok(k).isPunctuator(.rightParen) || k >= limit
        }
        return false
    }

    mutating func parsePrimary() -> Int32 {
        let start = pos
        let t = cur
        switch t.kind {
        case .identifier:
            if tok(pos + 1).kind == .string {
                return parseStringLiteral()
            }
            pos += 1
            return leaf(.identifier, start, start, extra: Int32(start))
        case .number:
            pos += 1
            return leaf(.numberLiteral, start, start)
        case .string:
            return parseStringLiteral()
        case .character:
            pos += 1
            return leaf(.characterLiteral, start, start)
        case .punctuator:
            if t.isPunctuator(.leftParen) {
                let m = Int(match[pos])
                if m < 0 || m >= limit {
                    recover(.unbalanced, at: pos, "unmatched '('")
                    pos += 1
                    return leaf(.unknown, start, start)
                }
                guard enter() else { return tooDeep() }
                defer { leave() }
                if tokens[pos + 1].isPunctuator(.leftBrace) && Int(match[pos + 1]) == m - 1 {
                    // GNU statement expression.
                    pos += 1
                    let mark = top
                    let savedFunction = currentFunction
                    push(parseCompound())
                    currentFunction = savedFunction
                    pos = m + 1
                    return make(.statementExpression, start, m, mark: mark)
                }
                let savedLimit = limit
                limit = m
                pos += 1
                let inner: Int32
                if atEnd {
                    inner = leaf(.unknown, start, m)
                } else {
                    inner = parseExpression()
                    if pos != m { recover(.unexpectedToken, at: pos, "unexpected '\(text(pos))' in parentheses") }
                }
                limit = savedLimit
                pos = m + 1
                return inner
            }
            if t.isPunctuator(.leftBrace) {
                return parseInitializerList()
            }
        case .keyword:
            switch t.keyword {
            case .asm, .generic, .typeof, .attribute, .staticAssert:
                pos += 1
                while cur.kind == .keyword && !isP(.leftParen) { pos += 1 }
                if isP(.leftParen), match[pos] > 0, Int(match[pos]) < limit { pos = Int(match[pos]) + 1 }
                return leaf(.opaque, start, pos - 1)
            case .void, .char, .short, .int, .long, .float, .double, .signed, .unsigned, .bool,
                 .struct, .union, .enum, .const, .volatile:
                skipToComma()
                return leaf(.typeName, start, max(start, pos - 1))
            default:
                break
            }
        default:
            break
        }
        // Not an expression. Consume it unless it closes or separates something.
        if t.kind != .endOfFile && !atEnd && !(t.isPunctuator(.semicolon) || t.isPunctuator(.comma)
            || t.isPunctuator(.rightBrace) || t.isPunctuator(.rightParen) || t.isPunctuator(.rightBracket)
            || t.isPunctuator(.colon))
        {
            recover(.unexpectedToken, at: pos, "unexpected '\(text(pos))' in expression")
            pos += 1
            return leaf(.unknown, start, start)
        }
        return leaf(.unknown, start, start - 1)
    }

    /// Adjacent string literals, including macro names between them (`KERN_ERR "x" PRIu64 "y"`).
    mutating func parseStringLiteral() -> Int32 {
        let start = pos
        while true {
            let t = cur
            if t.kind == .string { pos += 1; continue }
            if t.kind == .identifier && (tok(pos + 1).kind == .string || (pos > start && tok(pos - 1).kind == .string
                && tokenIsAllCaps(pos)))
            {
                pos += 1
                continue
            }
            if t.kind == .identifier && pos > start && tok(pos - 1).kind == .string && tokenEquals(pos, "__stringify"),
                isP(pos + 1, .leftParen), match[pos + 1] > 0, Int(match[pos + 1]) < limit
            {
                pos = Int(match[pos + 1]) + 1
                continue
            }
            break
        }
        return leaf(.stringLiteral, start, pos - 1)
    }

    mutating func parseInitializer() -> Int32 {
        if isP(.leftBrace) { return parseInitializerList() }
        return parseAssignment()
    }

    /// One element of an initializer list: designators (`.a.b`, `[i]`, `[a ... b]`, GNU `a:`) and a value.
    mutating func parseInitializerElement() -> Int32 {
        let elementStart = pos
        let designatorMark = top
        // GNU old-style `field: value`.
        if cur.kind == .identifier && tok(pos + 1).isPunctuator(.colon) {
            push(leaf(.fieldDesignator, pos, pos, extra: Int32(pos)))
            pos += 2
        } else {
            while true {
                if isP(.dot) && tok(pos + 1).kind == .identifier {
                    push(leaf(.fieldDesignator, pos, pos + 1, extra: Int32(pos + 1)))
                    pos += 2
                } else if isP(.leftBracket), match[pos] > pos, Int(match[pos]) < limit {
                    let close = Int(match[pos])
                    let dStart = pos
                    let saved = limit
                    limit = close
                    pos += 1
                    let dMark = top
                    push(parseConditional())
                    if isP(.ellipsis) { pos += 1; push(parseConditional()) }
                    limit = saved
                    pos = close + 1
                    push(make(.indexDesignator, dStart, close, mark: dMark))
                } else {
                    break
                }
            }
            if top > designatorMark {
                if isP(.assign) { pos += 1 }
            }
        }
        let value = atEnd ? leaf(.unknown, pos, pos - 1) : parseInitializer()
        if top > designatorMark {
            push(value)
            return make(.designatedInitializer, elementStart, pos - 1, mark: designatorMark)
        }
        return value
    }

    mutating func parseInitializerList() -> Int32 {
        let start = pos
        let m = Int(match[pos])
        if m < 0 || m >= limit {
            recover(.unbalanced, at: pos, "unmatched '{' in initializer")
            pos += 1
            return leaf(.unknown, start, start)
        }
        guard enter() else { return tooDeep() }
        defer { leave() }
        let savedLimit = limit
        limit = m
        pos += 1
        let mark = top
        while pos < limit {
            if isP(.comma) { pos += 1; continue }
            push(parseInitializerElement())
            if isP(.comma) { pos += 1; continue }
            if atEnd { break }
            // Macro-generated elements without commas: keep the rest of the element as tokens.
            let junkStart = pos
            skipToComma()
            push(leaf(.opaque, junkStart, pos - 1))
        }
        limit = savedLimit
        pos = m + 1
        return make(.initializerList, start, m, mark: mark)
    }
}
