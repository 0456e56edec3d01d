/// A `#if` group whose branches each keep braces and parentheses balanced. Its branches are real
/// alternatives: at statement level the parser keeps them as a `preprocessorConditional` node; anywhere
/// else the tokens of all branches simply follow each other.
struct ConditionalGroup: Sendable {
    /// Live-token index where each branch starts; `end` is one past the last branch's last token.
    var branchStarts: [Int32]
    var end: Int32
    /// Line of each branch's directive (`#if`, `#else`, ...).
    var directiveLines: [UInt32]
}

/// The lexer's product: live tokens (inactive `#else` branches of unbalanced groups and `#if 0` code
/// removed), a bracket-match table, conditional groups and lexical recoveries.
struct TokenStream: Sendable {
    var tokens: [Token]
    /// For each bracket token, the index of its partner, else -1.
    var match: [Int32]
    var groups: [ConditionalGroup]
    /// Group index by the live-token index at which a group begins (outermost group wins).
    var groupAt: [Int32: Int32]
    /// For the start of every second or later branch of a balanced group: the group's end.
    var elseBranchEnd: [Int32: Int32]
    var skippedRegions: [SkippedRegion]
    var recoveries: [Recovery]
}

enum CharClass {
    static let identStart: UInt8 = 1
    static let identBody: UInt8 = 2
    static let digit: UInt8 = 4
    static let space: UInt8 = 8

    static let table: [UInt8] = {
        var t = [UInt8](repeating: 0, count: 256)
        for c in UInt8(ascii: "a")...UInt8(ascii: "z") { t[Int(c)] = identStart | identBody }
        for c in UInt8(ascii: "A")...UInt8(ascii: "Z") { t[Int(c)] = identStart | identBody }
        t[Int(UInt8(ascii: "_"))] = identStart | identBody
        t[Int(UInt8(ascii: "$"))] = identStart | identBody
        for c in UInt8(ascii: "0")...UInt8(ascii: "9") { t[Int(c)] = identBody | digit }
        for c in [UInt8(ascii: " "), UInt8(ascii: "\t"), 0x0b, 0x0c, UInt8(ascii: "\r")] {
            t[Int(c)] = space
        }
        // Bytes >= 0x80 (UTF-8 in identifiers is rare but legal in GNU C) count as identifier bytes.
        for c in 0x80...0xff { t[c] = identStart | identBody }
        return t
    }()
}

struct Lexer {
    static func tokenize(_ source: UnsafeBufferPointer<UInt8>) -> TokenStream {
        var raw: [Token] = []
        raw.reserveCapacity(source.count / 5 + 16)
        var recoveries: [Recovery] = []
        CharClass.table.withUnsafeBufferPointer { table in
            lexRaw(source, table, &raw, &recoveries)
        }
        return analyse(&raw, &recoveries)
    }

    // MARK: - Raw lexing

    private static func lexRaw(
        _ p: UnsafeBufferPointer<UInt8>, _ table: UnsafeBufferPointer<UInt8>,
        _ out: inout [Token], _ recoveries: inout [Recovery]
    ) {
        let n = p.count
        var i = 0
        var line: UInt32 = 1
        var lineStart = 0
        var atLineStart = true   // only whitespace/comments so far on this line

        @inline(__always) func newline(_ at: Int) {
            line &+= 1
            lineStart = at + 1
            atLineStart = true
        }

        while i < n {
            let c = p[i]
            let cls = table[Int(c)]
            if cls & CharClass.space != 0 { i += 1; continue }
            if c == UInt8(ascii: "\n") { newline(i); i += 1; continue }
            if c == UInt8(ascii: "\\") && i + 1 < n
                && (p[i + 1] == UInt8(ascii: "\n")
                    || (p[i + 1] == UInt8(ascii: "\r") && i + 2 < n && p[i + 2] == UInt8(ascii: "\n")))
            {
                // Line continuation between tokens.
                i += p[i + 1] == UInt8(ascii: "\n") ? 1 : 2
                let save = atLineStart
                newline(i)
                atLineStart = save
                i += 1
                continue
            }
            if c == UInt8(ascii: "/") && i + 1 < n {
                let d = p[i + 1]
                if d == UInt8(ascii: "*") {
                    let startLine = line, startColumn = UInt32(i - lineStart + 1)
                    i += 2
                    var closed = false
                    while i < n {
                        let e = p[i]
                        if e == UInt8(ascii: "*") && i + 1 < n && p[i + 1] == UInt8(ascii: "/") {
                            i += 2; closed = true; break
                        }
                        if e == UInt8(ascii: "\n") {
                            let save = atLineStart
                            newline(i)
                            atLineStart = save
                        }
                        i += 1
                    }
                    if !closed {
                        recoveries.append(Recovery(line: Int(startLine), column: Int(startColumn),
                                                   kind: .unterminatedComment,
                                                   message: "unterminated comment runs to end of file"))
                    }
                    continue
                }
                if d == UInt8(ascii: "/") {
                    i = skipLineComment(p, i)
                    continue
                }
            }
            let column = UInt32(i - lineStart + 1)
            let startsLine = atLineStart
            atLineStart = false
            if c == UInt8(ascii: "#") && startsLine {
                // Preprocessor line: conditionals become directive tokens, everything else is trivia.
                var j = i + 1
                while j < n, table[Int(p[j])] & CharClass.space != 0 { j += 1 }
                let nameStart = j
                while j < n, table[Int(p[j])] & CharClass.identBody != 0 { j += 1 }
                let directive = directiveKind(p, nameStart, j - nameStart)
                var kind = directive
                if directive == .if || directive == .elif {
                    var k = j
                    while k < n, table[Int(p[k])] & CharClass.space != 0 || p[k] == UInt8(ascii: "(") { k += 1 }
                    if k < n, p[k] == UInt8(ascii: "0") {
                        var m = k + 1
                        while m < n, table[Int(p[m])] & CharClass.space != 0 || p[m] == UInt8(ascii: ")") { m += 1 }
                        if m >= n || p[m] == UInt8(ascii: "\n") || p[m] == UInt8(ascii: "/") {
                            kind = directive == .if ? .ifZero : .elifZero
                        }
                    }
                }
                if kind != .none {
                    out.append(Token(offset: UInt32(i), length: UInt32(j - i), line: line, column: column,
                                     kind: .directive, subkind: kind.rawValue, startsLine: true))
                }
                // Skip to the end of the logical line, through continuations and comments.
                while j < n {
                    let e = p[j]
                    if e == UInt8(ascii: "\n") { break }
                    if e == UInt8(ascii: "\\") && j + 1 < n {
                        if p[j + 1] == UInt8(ascii: "\n") { newline(j + 1); j += 2; continue }
                        if p[j + 1] == UInt8(ascii: "\r") && j + 2 < n && p[j + 2] == UInt8(ascii: "\n") {
                            newline(j + 2); j += 3; continue
                        }
                        j += 2
                        continue
                    }
                    if e == UInt8(ascii: "/") && j + 1 < n && p[j + 1] == UInt8(ascii: "*") {
                        j += 2
                        while j < n && !(p[j] == UInt8(ascii: "*") && j + 1 < n && p[j + 1] == UInt8(ascii: "/")) {
                            if p[j] == UInt8(ascii: "\n") { newline(j) }
                            j += 1
                        }
                        j = min(n, j + 2)
                        continue
                    }
                    if e == UInt8(ascii: "/") && j + 1 < n && p[j + 1] == UInt8(ascii: "/") {
                        j = skipLineComment(p, j)
                        break
                    }
                    if e == UInt8(ascii: "\"") {
                        let r = skipQuoted(p, j, UInt8(ascii: "\""))
                        if r.newlines > 0 { line &+= r.newlines; lineStart = r.lastNewline + 1 }
                        j = r.end
                        continue
                    }
                    j += 1
                }
                atLineStart = true
                i = j
                continue
            }
            if cls & CharClass.identStart != 0 {
                var j = i + 1
                while j < n, table[Int(p[j])] & CharClass.identBody != 0 { j += 1 }
                let length = j - i
                // Encoding prefixes: L"x", u8"x", u'x', U"x".
                if j < n, (p[j] == UInt8(ascii: "\"") || p[j] == UInt8(ascii: "'")), length <= 2,
                    c == UInt8(ascii: "L") || c == UInt8(ascii: "u") || c == UInt8(ascii: "U")
                {
                    let quote = p[j]
                    let r = skipQuoted(p, j, quote)
                    if !r.closed { unterminated(quote, line, column, &recoveries) }
                    out.append(Token(offset: UInt32(i), length: UInt32(r.end - i), line: line, column: column,
                                     kind: quote == UInt8(ascii: "\"") ? .string : .character, subkind: 0,
                                     startsLine: startsLine))
                    if r.newlines > 0 { line &+= r.newlines; lineStart = r.lastNewline + 1 }
                    i = r.end
                    continue
                }
                let kw = KeywordTable.lookup(p, i, length)
                out.append(Token(offset: UInt32(i), length: UInt32(length), line: line, column: column,
                                 kind: kw == .none ? .identifier : .keyword, subkind: kw.rawValue,
                                 startsLine: startsLine))
                i = j
                continue
            }
            if cls & CharClass.digit != 0
                || (c == UInt8(ascii: ".") && i + 1 < n && table[Int(p[i + 1])] & CharClass.digit != 0)
            {
                var j = i + 1
                while j < n {
                    let e = p[j]
                    if table[Int(e)] & CharClass.identBody != 0 || e == UInt8(ascii: ".") {
                        j += 1
                    } else if (e == UInt8(ascii: "+") || e == UInt8(ascii: "-")),
                        p[j - 1] | 0x20 == UInt8(ascii: "e") || p[j - 1] | 0x20 == UInt8(ascii: "p")
                    {
                        j += 1
                    } else {
                        break
                    }
                }
                out.append(Token(offset: UInt32(i), length: UInt32(j - i), line: line, column: column,
                                 kind: .number, subkind: 0, startsLine: startsLine))
                i = j
                continue
            }
            if c == UInt8(ascii: "\"") || c == UInt8(ascii: "'") {
                let r = skipQuoted(p, i, c)
                if !r.closed { unterminated(c, line, column, &recoveries) }
                out.append(Token(offset: UInt32(i), length: UInt32(r.end - i), line: line, column: column,
                                 kind: c == UInt8(ascii: "\"") ? .string : .character, subkind: 0,
                                 startsLine: startsLine))
                if r.newlines > 0 { line &+= r.newlines; lineStart = r.lastNewline + 1 }
                i = r.end
                continue
            }
            let (punct, length) = punctuator(p, i)
            out.append(Token(offset: UInt32(i), length: UInt32(length), line: line, column: column,
                             kind: .punctuator, subkind: punct.rawValue, startsLine: startsLine))
            i += length
        }
    }

    private static func unterminated(_ quote: UInt8, _ line: UInt32, _ column: UInt32,
                                     _ recoveries: inout [Recovery]) {
        let what = quote == UInt8(ascii: "\"") ? "string literal" : "character literal"
        recoveries.append(Recovery(line: Int(line), column: Int(column), kind: .unterminatedLiteral,
                                   message: "unterminated \(what) ends at end of line"))
    }

    @inline(__always)
    private static func skipLineComment(_ p: UnsafeBufferPointer<UInt8>, _ start: Int) -> Int {
        var j = start + 2
        let n = p.count
        while j < n {
            if p[j] == UInt8(ascii: "\n") {
                // A backslash before the newline continues the comment (rare, but C says so).
                if p[j - 1] == UInt8(ascii: "\\") { j += 1; continue }
                break
            }
            j += 1
        }
        return j
    }

    /// Skips a string or character literal starting at the quote; stops at an unescaped newline.
    /// `newlines` counts escaped newlines inside the literal; `lastNewline` is the last one's offset.
    @inline(__always)
    private static func skipQuoted(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ quote: UInt8)
        -> (end: Int, closed: Bool, newlines: UInt32, lastNewline: Int)
    {
        var j = start + 1
        let n = p.count
        var newlines: UInt32 = 0
        var lastNewline = -1
        while j < n {
            let e = p[j]
            if e == quote { return (j + 1, true, newlines, lastNewline) }
            if e == UInt8(ascii: "\\") {
                if j + 1 < n && p[j + 1] == UInt8(ascii: "\n") {
                    newlines += 1
                    lastNewline = j + 1
                } else if j + 2 < n && p[j + 1] == UInt8(ascii: "\r") && p[j + 2] == UInt8(ascii: "\n") {
                    newlines += 1
                    lastNewline = j + 2
                    j += 1
                }
                j += 2
                continue
            }
            if e == UInt8(ascii: "\n") { return (j, false, newlines, lastNewline) }
            j += 1
        }
        return (n, false, newlines, lastNewline)
    }

    private static func directiveKind(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Directive {
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            if s.utf8CodeUnitCount != count { return false }
            for k in 0..<count where p[start + k] != s.utf8Start[k] { return false }
            return true
        }
        if eq("if") { return .if }
        if eq("ifdef") { return .ifdef }
        if eq("ifndef") { return .ifndef }
        if eq("elif") || eq("elifdef") || eq("elifndef") { return .elif }
        if eq("else") { return .else }
        if eq("endif") { return .endif }
        return .none
    }

    @inline(__always)
    private static func punctuator(_ p: UnsafeBufferPointer<UInt8>, _ i: Int) -> (Punctuator, Int) {
        let n = p.count
        let c = p[i]
        let d: UInt8 = i + 1 < n ? p[i + 1] : 0
        let e: UInt8 = i + 2 < n ? p[i + 2] : 0
        switch c {
        case UInt8(ascii: "("): return (.leftParen, 1)
        case UInt8(ascii: ")"): return (.rightParen, 1)
        case UInt8(ascii: "["): return (.leftBracket, 1)
        case UInt8(ascii: "]"): return (.rightBracket, 1)
        case UInt8(ascii: "{"): return (.leftBrace, 1)
        case UInt8(ascii: "}"): return (.rightBrace, 1)
        case UInt8(ascii: ";"): return (.semicolon, 1)
        case UInt8(ascii: ","): return (.comma, 1)
        case UInt8(ascii: ":"): return (.colon, 1)
        case UInt8(ascii: "?"): return (.question, 1)
        case UInt8(ascii: "~"): return (.tilde, 1)
        case UInt8(ascii: "."):
            if d == UInt8(ascii: ".") && e == UInt8(ascii: ".") { return (.ellipsis, 3) }
            return (.dot, 1)
        case UInt8(ascii: "-"):
            if d == UInt8(ascii: ">") { return (.arrow, 2) }
            if d == UInt8(ascii: "-") { return (.minusMinus, 2) }
            if d == UInt8(ascii: "=") { return (.minusAssign, 2) }
            return (.minus, 1)
        case UInt8(ascii: "+"):
            if d == UInt8(ascii: "+") { return (.plusPlus, 2) }
            if d == UInt8(ascii: "=") { return (.plusAssign, 2) }
            return (.plus, 1)
        case UInt8(ascii: "*"): return d == UInt8(ascii: "=") ? (.starAssign, 2) : (.star, 1)
        case UInt8(ascii: "/"): return d == UInt8(ascii: "=") ? (.slashAssign, 2) : (.slash, 1)
        case UInt8(ascii: "%"): return d == UInt8(ascii: "=") ? (.percentAssign, 2) : (.percent, 1)
        case UInt8(ascii: "^"): return d == UInt8(ascii: "=") ? (.caretAssign, 2) : (.caret, 1)
        case UInt8(ascii: "!"): return d == UInt8(ascii: "=") ? (.bangEqual, 2) : (.bang, 1)
        case UInt8(ascii: "="): return d == UInt8(ascii: "=") ? (.equalEqual, 2) : (.assign, 1)
        case UInt8(ascii: "&"):
            if d == UInt8(ascii: "&") { return (.ampAmp, 2) }
            if d == UInt8(ascii: "=") { return (.ampAssign, 2) }
            return (.ampersand, 1)
        case UInt8(ascii: "|"):
            if d == UInt8(ascii: "|") { return (.pipePipe, 2) }
            if d == UInt8(ascii: "=") { return (.pipeAssign, 2) }
            return (.pipe, 1)
        case UInt8(ascii: "<"):
            if d == UInt8(ascii: "<") { return e == UInt8(ascii: "=") ? (.shiftLeftAssign, 3) : (.shiftLeft, 2) }
            if d == UInt8(ascii: "=") { return (.lessEqual, 2) }
            return (.less, 1)
        case UInt8(ascii: ">"):
            if d == UInt8(ascii: ">") { return e == UInt8(ascii: "=") ? (.shiftRightAssign, 3) : (.shiftRight, 2) }
            if d == UInt8(ascii: "=") { return (.greaterEqual, 2) }
            return (.greater, 1)
        case UInt8(ascii: "#"): return d == UInt8(ascii: "#") ? (.hashHash, 2) : (.hash, 1)
        default:
            // Any other byte (stray backslash, '@', '`', control characters) is one token.
            return (.other, 1)
        }
    }

    // MARK: - Conditionals and bracket matching

    private struct Branch {
        var firstRaw: Int          // raw index of the branch's directive
        var dead: Bool             // `#if 0` / `#elif 0`
        var braces = 0, minBraces = 0
        var parens = 0, minParens = 0
    }
    private struct Frame {
        var branches: [Branch]
    }

    /// Consumes `raw` (left empty) so that a file without conditionals needs no second token array.
    private static func analyse(_ raw: inout [Token], _ recoveries: inout [Recovery]) -> TokenStream {
        // Pass 1: decide which raw tokens are inactive and which groups are balanced.
        var inactiveRanges: [(Int, Int)] = []         // raw index ranges [start, end)
        var balancedGroups: [[Int]] = []              // raw indices of each balanced group's directives
        var frames: [Frame] = []
        var sawDirective = false

        func close(_ frame: Frame, endRaw: Int, into parent: inout Frame?) {
            var active = -1
            for (k, b) in frame.branches.enumerated() where !b.dead { active = k; break }
            var balanced = true
            for b in frame.branches where !b.dead {
                if b.braces != 0 || b.minBraces < 0 || b.parens != 0 || b.minParens < 0 { balanced = false }
            }
            for (k, b) in frame.branches.enumerated() {
                let next = k + 1 < frame.branches.count ? frame.branches[k + 1].firstRaw : endRaw
                if b.dead || (!balanced && k != active) { inactiveRanges.append((b.firstRaw, next)) }
            }
            if balanced {
                var directives = frame.branches.filter { !$0.dead }.map(\.firstRaw)
                if !directives.isEmpty {
                    directives.append(endRaw)
                    balancedGroups.append(directives)
                }
            }
            if parent != nil, active >= 0, !balanced {
                let b = frame.branches[active]
                let top = parent!.branches.count - 1
                parent!.branches[top].minBraces = min(parent!.branches[top].minBraces,
                                                       parent!.branches[top].braces + b.minBraces)
                parent!.branches[top].braces += b.braces
                parent!.branches[top].minParens = min(parent!.branches[top].minParens,
                                                       parent!.branches[top].parens + b.minParens)
                parent!.branches[top].parens += b.parens
            }
        }

        for r in raw.indices {
            let t = raw[r]
            if t.kind == .directive {
                sawDirective = true
                let d = Directive(rawValue: t.subkind) ?? .none
                switch d {
                case .if, .ifdef, .ifndef, .ifZero:
                    frames.append(Frame(branches: [Branch(firstRaw: r, dead: d == .ifZero)]))
                case .elif, .elifZero, .else:
                    if frames.isEmpty {
                        recoveries.append(Recovery(line: Int(t.line), column: Int(t.column), kind: .preprocessor,
                                                   message: "#else or #elif without #if"))
                    } else {
                        frames[frames.count - 1].branches.append(Branch(firstRaw: r, dead: d == .elifZero))
                    }
                case .endif:
                    if let frame = frames.popLast() {
                        var parent: Frame? = frames.popLast()
                        close(frame, endRaw: r, into: &parent)
                        if let parent { frames.append(parent) }
                    } else {
                        recoveries.append(Recovery(line: Int(t.line), column: Int(t.column), kind: .preprocessor,
                                                   message: "#endif without #if"))
                    }
                case .none:
                    break
                }
                continue
            }
            if frames.isEmpty || t.kind != .punctuator { continue }
            let top = frames.count - 1
            let bi = frames[top].branches.count - 1
            switch t.subkind {
            case Punctuator.leftBrace.rawValue:
                frames[top].branches[bi].braces += 1
            case Punctuator.rightBrace.rawValue:
                frames[top].branches[bi].braces -= 1
                frames[top].branches[bi].minBraces = min(frames[top].branches[bi].minBraces,
                                                         frames[top].branches[bi].braces)
            case Punctuator.leftParen.rawValue:
                frames[top].branches[bi].parens += 1
            case Punctuator.rightParen.rawValue:
                frames[top].branches[bi].parens -= 1
                frames[top].branches[bi].minParens = min(frames[top].branches[bi].minParens,
                                                         frames[top].branches[bi].parens)
            default: break
            }
        }
        while let frame = frames.popLast() {
            let t = raw[frame.branches[0].firstRaw]
            recoveries.append(Recovery(line: Int(t.line), column: Int(t.column), kind: .preprocessor,
                                       message: "unterminated #if runs to end of file"))
            var parent: Frame? = frames.popLast()
            close(frame, endRaw: raw.count, into: &parent)
            if let parent { frames.append(parent) }
        }

        // Pass 2: build the live token array.
        var tokens: [Token]
        var skipped: [SkippedRegion] = []
        var liveIndexOfDirective: [Int: Int32] = [:]
        if !sawDirective {
            let last = raw.last
            raw.append(Token(offset: last.map { $0.offset + $0.length } ?? 0, length: 0, line: last?.line ?? 1,
                             column: 1, kind: .endOfFile, subkind: 0, startsLine: true))
            tokens = raw
            raw = []
        } else {
            var inactive = [Bool](repeating: false, count: raw.count)
            for (s, e) in inactiveRanges {
                if s + 1 < e {
                    var k = s + 1
                    while k < e { inactive[k] = true; k += 1 }
                    let startLine = Int(raw[s].line)
                    let endLine = e < raw.count ? Int(raw[e].line) : Int(raw[raw.count - 1].line)
                    skipped.append(SkippedRegion(startLine: startLine, endLine: endLine))
                }
            }
            tokens = []
            tokens.reserveCapacity(raw.count)
            for r in raw.indices {
                let t = raw[r]
                if t.kind == .directive {
                    liveIndexOfDirective[r] = Int32(tokens.count)
                    continue
                }
                if !inactive[r] { tokens.append(t) }
            }
            liveIndexOfDirective[raw.count] = Int32(tokens.count)
            skipped.sort { $0.startLine < $1.startLine }
            let lastLine = tokens.last?.line ?? 1
            tokens.append(Token(offset: tokens.last.map { $0.offset + $0.length } ?? 0, length: 0,
                                line: lastLine, column: 1, kind: .endOfFile, subkind: 0, startsLine: true))
        }

        var groups: [ConditionalGroup] = []
        var groupAt: [Int32: Int32] = [:]
        var elseBranchEnd: [Int32: Int32] = [:]
        // Outermost groups were closed last; visit them first so they win the start index.
        for directives in balancedGroups.reversed() {
            var starts: [Int32] = []
            var lines: [UInt32] = []
            for r in directives.dropLast() {
                starts.append(liveIndexOfDirective[r] ?? 0)
                lines.append(raw[r].line)
            }
            let end = liveIndexOfDirective[directives.last!] ?? Int32(tokens.count - 1)
            if starts.first! >= end { continue }  // no code at all
            for s in starts.dropFirst() where s < end && elseBranchEnd[s] == nil { elseBranchEnd[s] = end }
            if groupAt[starts[0]] != nil { continue }
            groupAt[starts[0]] = Int32(groups.count)
            groups.append(ConditionalGroup(branchStarts: starts, end: end, directiveLines: lines))
        }

        for (s, _) in elseBranchEnd { tokens[Int(s)].marks |= Token.elseBranchMark }
        for (s, _) in groupAt { tokens[Int(s)].marks |= Token.groupStartMark }
        raw = []
        let match = matchBrackets(tokens)
        return TokenStream(tokens: tokens, match: match, groups: groups, groupAt: groupAt,
                           elseBranchEnd: elseBranchEnd,
                           skippedRegions: skipped, recoveries: recoveries)
    }

    /// Pairs brackets tolerantly: a closer that does not match the innermost opener closes the nearest
    /// enclosing opener of its own kind (abandoning the ones in between) or is left unmatched.
    static func matchBrackets(_ tokens: [Token]) -> [Int32] {
        var match = [Int32](repeating: -1, count: tokens.count)
        var stack: [Int32] = []
        stack.reserveCapacity(64)
        tokens.withUnsafeBufferPointer { t in
            match.withUnsafeMutableBufferPointer { m in
                for i in 0..<t.count where t[i].kind == .punctuator {
                    let s = t[i].subkind
                    if s == Punctuator.leftParen.rawValue || s == Punctuator.leftBracket.rawValue
                        || s == Punctuator.leftBrace.rawValue
                    {
                        stack.append(Int32(i))
                        continue
                    }
                    let opener: UInt8
                    if s == Punctuator.rightParen.rawValue { opener = Punctuator.leftParen.rawValue }
                    else if s == Punctuator.rightBracket.rawValue { opener = Punctuator.leftBracket.rawValue }
                    else if s == Punctuator.rightBrace.rawValue { opener = Punctuator.leftBrace.rawValue }
                    else { continue }
                    // Search a few levels down for the opener of this kind.
                    var k = stack.count - 1
                    let floor = max(0, stack.count - 8)
                    var found = -1
                    while k >= floor {
                        let o = t[Int(stack[k])].subkind
                        if o == opener { found = k; break }
                        // A closing brace never skips past an opening brace.
                        if o == Punctuator.leftBrace.rawValue { break }
                        k -= 1
                    }
                    if found < 0 { continue }
                    let o = Int(stack[found])
                    m[o] = Int32(i)
                    m[i] = Int32(o)
                    stack.removeSubrange(found...)
                }
            }
        }
        return match
    }
}
