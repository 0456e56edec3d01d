// Statements, with the recovery that keeps a broken one from swallowing the next.
extension Parser {
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
}
