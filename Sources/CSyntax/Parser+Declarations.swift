// Top level: external declarations, function heads and bodies, parameters, declarators.
extension Parser {
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
}
