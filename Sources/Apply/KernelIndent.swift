/// Re-indents lines whose indentation a mailer destroyed, the way kernel code is written
/// (Documentation/process/coding-style.rst): one tab per nesting level, unbraced `if`/`else`/
/// `for`/`while` bodies one level in, closing braces and `case` labels one level out, `goto`
/// labels and preprocessor lines at column 0, continuation lines aligned under the innermost
/// open parenthesis with tabs then spaces, block-comment lines under their `/*`.
///
/// It reads only the lines before the one it indents (the new file as rebuilt so far) and, for
/// alignment, the lines around it: it never needs the whole file.
enum KernelIndent {
    /// Where a continuation line goes.
    enum Continuation: Sendable, Hashable, CaseIterable {
        /// Under the innermost open parenthesis (kernel style, the default).
        case underParenthesis
        /// One or two tabs more than the statement (also seen in the kernel).
        case oneMoreTab, twoMoreTabs
    }

    /// What to do with a single space inside an added line where the neighbouring lines align
    /// a column with tabs (`.fault\t\t= filemap_fault,`).
    enum InnerAlignment: Sendable, Hashable {
        case alignWithNeighbours, asSent
    }

    struct Style: Sendable, Hashable {
        var continuation: Continuation = .underParenthesis
        var inner: InnerAlignment = .alignWithNeighbours
        /// Re-indent lines that still start with a tab, too (the mailer kept some tabs).
        var trustSentTabs = true

        static let preferred = Style()
        /// Alternatives tried, in order, when the postimage id rejects the preferred one.
        static let alternatives: [Style] = [
            Style(continuation: .underParenthesis, inner: .asSent),
            Style(continuation: .oneMoreTab, inner: .alignWithNeighbours),
            Style(continuation: .twoMoreTabs, inner: .alignWithNeighbours),
            Style(continuation: .oneMoreTab, inner: .asSent),
            Style(continuation: .twoMoreTabs, inner: .asSent),
        ]
        static let all: [Style] = [preferred] + alternatives
    }

    /// The line as it belongs in the file: `sent` is what followed the `+` in the mail.
    static func reindent(_ sent: [UInt8], history: ArraySlice<[UInt8]>, following: ArraySlice<[UInt8]>,
                         style: Style) -> [UInt8] {
        let body = sent.withoutLeadingWhitespace.withoutTrailingWhitespace
        if body.isEmpty { return [] }
        if style.trustSentTabs, sent.first == 0x09 { return sent }
        if body.first == UInt8(ascii: "#") { return body }
        if isGotoLabel(body) { return body }

        let scan = Scan(history)
        guard let anchor = scan.lastCodeLine else {
            return align(body, column: 0, history: history, following: following, style: style)
        }
        // Inside a block comment: under the opener's `/*`, one space in.
        if scan.inCommentAtEnd, body.first == UInt8(ascii: "*"), let opener = scan.commentOpener {
            return Array(history[opener].leadingWhitespace) + [0x20] + body
        }
        let info = scan.lines[anchor - scan.start]
        // A continuation line of an unfinished statement.
        if let column = info.openParenthesisColumns.last {
            let level = scan.level(ofStatementStartingAt: info.statementStart)
            switch style.continuation {
            case .underParenthesis: return indentation(toColumn: column + 1) + body
            case .oneMoreTab: return indentation(toColumn: (level + 1) * 8) + body
            case .twoMoreTabs: return indentation(toColumn: (level + 2) * 8) + body
            }
        }
        var level: Int
        if !info.isComplete {
            // `x = a +` at parenthesis depth 0: the rest of the expression follows.
            level = scan.level(ofStatementStartingAt: info.statementStart) + (style.continuation == .twoMoreTabs ? 2 : 1)
            return indentation(toColumn: level * 8) + body
        }
        level = scan.levelAfter(anchor)
        if body.first == UInt8(ascii: "}") { level -= 1 }
        if startsWithCaseLabel(body) { level -= 1 }
        return align(body, column: max(0, level) * 8, history: history, following: following, style: style)
    }

    // MARK: - Alignment inside the line

    /// `.member = value`, `member = value` and `#define NAME value` lines take the column their
    /// neighbours align `=` (or the value) at, reached with tabs.
    static func align(_ body: [UInt8], column: Int, history: ArraySlice<[UInt8]>, following: ArraySlice<[UInt8]>,
                      style: Style) -> [UInt8] {
        let indent = indentation(toColumn: column)
        guard style.inner == .alignWithNeighbours, let split = firstEqualsSplit(body) else { return indent + body }
        var neighbours: [[UInt8]] = []
        for line in history.reversed() where !LineKey.isBlank(line) {
            neighbours.append(line)
            if neighbours.count == 2 { break }
        }
        var after = 0
        for line in following where !LineKey.isBlank(line) {
            neighbours.append(line)
            after += 1
            if after == 2 { break }
        }
        for neighbour in neighbours {
            guard let (name, gap, _) = equalsParts(neighbour), gap.contains(0x09) else { continue }
            // Same kind of line: a designated initializer next to a designated initializer.
            guard (name.withoutLeadingWhitespace.first == UInt8(ascii: ".")) == (split.name.first == UInt8(ascii: ".")) else { continue }
            let target = (name + gap).visualWidth
            let nameEnd = (indent + split.name).visualWidth
            guard nameEnd < target else { continue }
            var line = indent + split.name
            while line.visualWidth < target { line.append(0x09) }
            return line + split.rest
        }
        return indent + body
    }

    /// `name = rest` split at the whitespace before the first ` = ` (not `==`, `!=`, `<=`...).
    static func firstEqualsSplit(_ body: [UInt8]) -> (name: [UInt8], rest: [UInt8])? {
        guard let (name, _, rest) = equalsParts(body) else { return nil }
        return (name, rest)
    }

    static func equalsParts(_ line: [UInt8]) -> (name: [UInt8], gap: [UInt8], rest: [UInt8])? {
        var i = 0
        var inString = false
        while i < line.count {
            let c = line[i]
            if c == UInt8(ascii: "\"") { inString.toggle() }
            if !inString, c == UInt8(ascii: "="), i > 0, i + 1 < line.count, line[i + 1] != UInt8(ascii: "=") {
                let before = line[i - 1]
                if before == 0x20 || before == 0x09 {
                    var start = i
                    while start > 0, line[start - 1] == 0x20 || line[start - 1] == 0x09 { start -= 1 }
                    let name = Array(line[0..<start])
                    if name.withoutLeadingWhitespace.isEmpty { return nil }
                    // Only simple left-hand sides: an identifier, a member, an array element.
                    let allowed = name.withoutLeadingWhitespace.allSatisfy {
                        isIdentifierByte($0) || $0 == UInt8(ascii: ".") || $0 == UInt8(ascii: "[") || $0 == UInt8(ascii: "]")
                    }
                    if !allowed { return nil }
                    return (name, Array(line[start..<i]), Array(line[i...]))
                }
                return nil
            }
            i += 1
        }
        return nil
    }

    // MARK: - Classifying lines

    static func isIdentifierByte(_ c: UInt8) -> Bool {
        (c >= 0x61 && c <= 0x7A) || (c >= 0x41 && c <= 0x5A) || (c >= 0x30 && c <= 0x39) || c == 0x5F
    }

    /// `out:` or `found:` (a goto label), not `default:` and not `a ? b : c`.
    static func isGotoLabel(_ body: [UInt8]) -> Bool {
        var i = 0
        guard let first = body.first, isIdentifierByte(first), !(first >= 0x30 && first <= 0x39) else { return false }
        while i < body.count, isIdentifierByte(body[i]) { i += 1 }
        guard i < body.count, body[i] == UInt8(ascii: ":"), i + 1 == body.count || body[i + 1] != UInt8(ascii: ":") else { return false }
        let word = body[0..<i]
        if word.elementsEqual("default".utf8) { return false }
        let rest = Array(body[(i + 1)...]).withoutLeadingWhitespace
        return rest.isEmpty || rest.starts(with: "/*".utf8) || rest.starts(with: "//".utf8)
    }

    static func startsWithCaseLabel(_ body: [UInt8]) -> Bool {
        body.starts(with: "case ".utf8) || body.starts(with: "case\t".utf8) || body.starts(with: "default:".utf8)
            || body.starts(with: "default :".utf8)
    }

    static func startsWord(_ code: [UInt8], _ word: String) -> Bool {
        let w = Array(word.utf8)
        guard code.starts(with: w) else { return false }
        return code.count == w.count || !isIdentifierByte(code[w.count])
    }

    /// `if (...)`, `else`, `for (...)`, `while (...)`, `do`, `list_for_each(...)`: a line that
    /// opens a body.
    static func isControlHeader(_ code: [UInt8]) -> Bool {
        var c = code
        if c.first == UInt8(ascii: "}") { c = Array(c.dropFirst()).withoutLeadingWhitespace }
        if startsWord(c, "if") || startsWord(c, "else") || startsWord(c, "for") || startsWord(c, "while")
            || startsWord(c, "do") || startsWord(c, "switch") { return true }
        // for_each-style iterator macros.
        var i = 0
        while i < c.count, isIdentifierByte(c[i]) { i += 1 }
        let name = c[0..<i]
        return i > 0 && i < c.count && name.count >= 8 && String(decoding: name, as: UTF8.self).contains("for_each")
            && c[i...].first { $0 != 0x20 && $0 != 0x09 } == UInt8(ascii: "(")
    }
}

/// A forward scan of the lines before the one being indented: statement starts, open
/// parentheses, block comments. Starts a bounded distance back, at a line that ends a
/// statement, so it never reads the whole file.
struct Scan {
    struct LineInfo {
        /// Index (into the history) of the first line of the statement this line belongs to.
        var statementStart: Int
        /// Visual columns of the parentheses still open at the end of this line.
        var openParenthesisColumns: [Int]
        /// Code with comments and string contents removed, trimmed.
        var code: [UInt8]
        var isCommentOrBlank: Bool
        /// The statement is complete at the end of this line (`;`, `{`, `}`, `)`, `,`, `:`).
        var isComplete: Bool
    }

    let history: ArraySlice<[UInt8]>
    let start: Int
    var lines: [LineInfo] = []
    var inCommentAtEnd = false
    var commentOpener: Int?
    var lastCodeLine: Int?

    init(_ history: ArraySlice<[UInt8]>) {
        self.history = history
        // Start after a line that ends a statement, 40 to 80 lines back.
        var begin = max(history.startIndex, history.endIndex - 80)
        var k = history.endIndex - 40
        while k > begin {
            let trimmed = history[k - 1].withoutTrailingWhitespace
            if trimmed.isEmpty || trimmed.last == UInt8(ascii: ";") || trimmed.last == UInt8(ascii: "}") {
                begin = k
                break
            }
            k -= 1
        }
        start = begin
        var inComment = false
        var open: [Int] = []
        var statementStart = start
        var previousComplete = true
        for index in start..<history.endIndex {
            let line = history[index]
            let wasInComment = inComment
            let (code, columns, closes, stillInComment) = Scan.mask(line, inComment: inComment, open: open)
            inComment = stillInComment
            if !wasInComment && stillInComment { commentOpener = index }
            let trimmed = code.withoutLeadingWhitespace.withoutTrailingWhitespace
            let commentOrBlank = trimmed.isEmpty
            if commentOrBlank || trimmed.first == UInt8(ascii: "#") || KernelIndent.isGotoLabel(trimmed) {
                lines.append(LineInfo(statementStart: index, openParenthesisColumns: open, code: trimmed,
                                      isCommentOrBlank: true, isComplete: previousComplete))
                continue
            }
            _ = closes
            if previousComplete && open.isEmpty { statementStart = index }
            open = columns
            let last = trimmed.last!
            let complete = open.isEmpty && (last == UInt8(ascii: ";") || last == UInt8(ascii: "{") || last == UInt8(ascii: "}")
                || last == UInt8(ascii: ")") || last == UInt8(ascii: ",") || last == UInt8(ascii: ":")
                || KernelIndent.startsWord(trimmed, "else") && trimmed.count == 4
                || KernelIndent.startsWord(trimmed, "do") && trimmed.count == 2
                || trimmed.elementsEqual("} else".utf8))
            lines.append(LineInfo(statementStart: statementStart, openParenthesisColumns: open, code: trimmed,
                                  isCommentOrBlank: false, isComplete: complete))
            previousComplete = complete
            lastCodeLine = index
        }
        inCommentAtEnd = inComment
        if !inCommentAtEnd { commentOpener = nil }
        // A comment line is a fine anchor when nothing else is near (`/* foo */` then code).
        if let last = lastCodeLine, let commentLine = (start..<history.endIndex).last(where: { !LineKey.isBlank(history[$0]) }),
           commentLine > last, !inCommentAtEnd {
            _ = commentLine
        }
    }

    /// Masks comments and literals; returns the code, the open-parenthesis columns after the
    /// line, how many it closed, and whether a block comment is still open.
    static func mask(_ line: [UInt8], inComment: Bool, open: [Int]) -> ([UInt8], [Int], Int, Bool) {
        var code: [UInt8] = []
        code.reserveCapacity(line.count)
        var open = open
        var closes = 0
        var inComment = inComment
        var quote: UInt8? = nil
        var i = 0
        while i < line.count {
            let c = line[i]
            if inComment {
                if c == UInt8(ascii: "*"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "/") {
                    inComment = false
                    i += 2
                    continue
                }
                i += 1
                continue
            }
            if let q = quote {
                if c == UInt8(ascii: "\\") { i += 2; continue }
                if c == q { quote = nil; code.append(c) }
                i += 1
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "*") {
                inComment = true
                i += 2
                continue
            }
            if c == UInt8(ascii: "/"), i + 1 < line.count, line[i + 1] == UInt8(ascii: "/") { break }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                quote = c
                code.append(c)
                i += 1
                continue
            }
            if c == UInt8(ascii: "(") {
                open.append(Array(line[0..<i]).visualWidth)
            } else if c == UInt8(ascii: ")") {
                if !open.isEmpty { open.removeLast() }
                closes += 1
            }
            code.append(c)
            i += 1
        }
        return (code, open, closes, inComment)
    }

    func info(_ index: Int) -> LineInfo? {
        index >= start && index < history.endIndex ? lines[index - start] : nil
    }

    /// Indentation level (tabs) of a statement's first line.
    func level(ofStatementStartingAt index: Int) -> Int {
        history[index].leadingWhitespace.map { $0 }.visualWidth / 8
    }

    /// The nesting level of the next statement after the complete statement ending at `anchor`.
    func levelAfter(_ anchor: Int) -> Int {
        guard let info = info(anchor) else { return 0 }
        let startIndex = info.statementStart
        let startCode = self.info(startIndex)?.code ?? []
        var level = level(ofStatementStartingAt: startIndex)
        let last = info.code.last
        if last == UInt8(ascii: "{") { return level + 1 }
        if KernelIndent.startsWithCaseLabel(startCode) && last == UInt8(ascii: ":") { return level + 1 }
        if KernelIndent.isControlHeader(startCode) && last != UInt8(ascii: ";") && last != UInt8(ascii: "}") {
            return level + 1 // an unbraced body follows
        }
        // The statement may itself be the body of unbraced headers: step out of each.
        var current = startIndex
        for _ in 0..<8 {
            guard let previous = previousStatement(before: current),
                  let previousInfo = self.info(previous.end) else { break }
            let headerCode = self.info(previous.start)?.code ?? []
            let end = previousInfo.code.last
            guard KernelIndent.isControlHeader(headerCode), end != UInt8(ascii: ";"), end != UInt8(ascii: "{"),
                  end != UInt8(ascii: "}") else { break }
            level = self.level(ofStatementStartingAt: previous.start)
            current = previous.start
        }
        return level
    }

    /// The statement ending just before line `index` (skipping comments and blank lines).
    func previousStatement(before index: Int) -> (start: Int, end: Int)? {
        var k = index - 1
        while k >= start, lines[k - start].isCommentOrBlank { k -= 1 }
        guard k >= start else { return nil }
        return (lines[k - start].statementStart, k)
    }
}
