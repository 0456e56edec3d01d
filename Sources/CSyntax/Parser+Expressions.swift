// Expressions by precedence climbing; casts and type names told apart by kernel conventions.
extension Parser {
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
            pushRestOfElement()
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
                guard let m = closingMatch(orRecover: "unmatched '('") else { return leaf(.unknown, start, start) }
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
}
