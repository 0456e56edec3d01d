// Initializers and designated initializer lists (where ops tables are bound).
extension Parser {
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
        guard let m = closingMatch(orRecover: "unmatched '{' in initializer") else { return leaf(.unknown, start, start) }
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
            pushRestOfElement()
        }
        limit = savedLimit
        pos = m + 1
        return make(.initializerList, start, m, mark: mark)
    }
}
