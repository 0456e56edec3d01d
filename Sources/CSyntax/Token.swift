/// The kind of a lexical token. Comments, whitespace and preprocessor lines other than conditionals
/// are trivia: they produce no token and remain recoverable as the bytes between tokens.
public enum TokenKind: UInt8, Sendable {
    case identifier
    case keyword
    case number
    case string
    case character
    case punctuator
    /// `#if`, `#ifdef`, `#ifndef`, `#elif`, `#else`, `#endif`: kept so conditionals can be analysed;
    /// they never reach the parser's token stream.
    case directive
    case endOfFile
}

/// C keywords and the GNU/kernel spellings the parser treats specially.
public enum Keyword: UInt8, Sendable {
    case none = 0
    // statements
    case `if`, `else`, `switch`, `case`, `default`, `while`, `do`, `for`, `goto`, `break`, `continue`, `return`
    // declarations
    case `static`, `extern`, `inline`, `typedef`, `register`, `auto`, threadLocal
    case `const`, `volatile`, `restrict`
    case `struct`, `union`, `enum`
    case void, char, short, int, long, float, double, signed, unsigned, bool
    case sizeof, alignof, typeof, attribute, asm, gnuExtension, generic, staticAssert
}

/// Punctuators, numbered so that precedence tables can index them.
public enum Punctuator: UInt8, Sendable {
    case none = 0
    case leftParen, rightParen, leftBracket, rightBracket, leftBrace, rightBrace
    case semicolon, comma, colon, question, dot, arrow, ellipsis
    case plus, minus, star, slash, percent, ampersand, pipe, caret, tilde, bang
    case less, greater, lessEqual, greaterEqual, equalEqual, bangEqual
    case ampAmp, pipePipe, shiftLeft, shiftRight, plusPlus, minusMinus
    case assign, plusAssign, minusAssign, starAssign, slashAssign, percentAssign
    case ampAssign, pipeAssign, caretAssign, shiftLeftAssign, shiftRightAssign
    case hash, hashHash, other
}

/// Preprocessor conditional directive kinds.
public enum Directive: UInt8, Sendable {
    case none = 0
    case `if`, ifdef, ifndef, elif, `else`, endif
    /// `#if 0` (and `#if (0)`): its branch is dead code and skipped like ctags does.
    case ifZero
    /// `#elif 0`.
    case elifZero
}

/// One token: a byte range of the source plus its 1-based line and column (columns count bytes).
public struct Token: Sendable, Equatable {
    public var offset: UInt32
    public var length: UInt32
    public var line: UInt32
    public var column: UInt32
    public var kind: TokenKind
    /// Keyword, Punctuator or Directive raw value, depending on `kind`.
    public var subkind: UInt8
    /// True for the first token on its line (used for column-0 resynchronisation).
    public var startsLine: Bool
    /// Internal marks: a conditional group or an `#else` branch starts at this token.
    var marks: UInt8 = 0

    static let groupStartMark: UInt8 = 1
    static let elseBranchMark: UInt8 = 2

    @inlinable public var keyword: Keyword {
        kind == .keyword ? Keyword(rawValue: subkind) ?? .none : .none
    }
    @inlinable public var punctuator: Punctuator {
        kind == .punctuator ? Punctuator(rawValue: subkind) ?? .none : .none
    }
    @inlinable public func isPunctuator(_ p: Punctuator) -> Bool {
        kind == .punctuator && subkind == p.rawValue
    }
    @inlinable public func isKeyword(_ k: Keyword) -> Bool {
        kind == .keyword && subkind == k.rawValue
    }
}

enum KeywordTable {
    /// Looks up `bytes[start..<start+count]` without allocating.
    @inline(__always)
    static func lookup(_ p: UnsafeBufferPointer<UInt8>, _ start: Int, _ count: Int) -> Keyword {
        // Fast reject: keywords are 2...16 bytes and start with a lowercase letter or '_'.
        if count < 2 || count > 16 { return .none }
        let first = p[start]
        if !(first >= UInt8(ascii: "a") && first <= UInt8(ascii: "z")) && first != UInt8(ascii: "_") {
            return .none
        }
        @inline(__always) func eq(_ s: StaticString) -> Bool {
            if s.utf8CodeUnitCount != count { return false }
            let q = s.utf8Start
            var i = 0
            while i < count {
                if p[start + i] != q[i] { return false }
                i += 1
            }
            return true
        }
        switch first {
        case UInt8(ascii: "_"):
            if count < 5 || p[start + 1] != UInt8(ascii: "_") && p[start + 1] < UInt8(ascii: "A") {
                return .none
            }
            if eq("__asm") || eq("__asm__") { return .asm }
            if eq("__inline") || eq("__inline__") { return .inline }
            if eq("__typeof") || eq("__typeof__") { return .typeof }
            if eq("__attribute__") || eq("__attribute") { return .attribute }
            if eq("__volatile__") || eq("__volatile") || eq("_Atomic") { return .volatile }
            if eq("__const") || eq("__const__") { return .const }
            if eq("__restrict") || eq("__restrict__") { return .restrict }
            if eq("__signed__") { return .signed }
            if eq("__alignof__") || eq("_Alignof") { return .alignof }
            if eq("__extension__") { return .gnuExtension }
            if eq("_Bool") { return .bool }
            if eq("_Generic") { return .generic }
            if eq("_Static_assert") { return .staticAssert }
            if eq("_Thread_local") || eq("__thread") { return .threadLocal }
            return .none
        case UInt8(ascii: "a"):
            if eq("auto") { return .auto }
            if eq("asm") { return .asm }
        case UInt8(ascii: "b"):
            if eq("break") { return .break }
            if eq("bool") { return .bool }
        case UInt8(ascii: "c"):
            if eq("case") { return .case }
            if eq("char") { return .char }
            if eq("const") { return .const }
            if eq("continue") { return .continue }
        case UInt8(ascii: "d"):
            if eq("do") { return .do }
            if eq("default") { return .default }
            if eq("double") { return .double }
        case UInt8(ascii: "e"):
            if eq("else") { return .else }
            if eq("enum") { return .enum }
            if eq("extern") { return .extern }
        case UInt8(ascii: "f"):
            if eq("for") { return .for }
            if eq("float") { return .float }
        case UInt8(ascii: "g"):
            if eq("goto") { return .goto }
        case UInt8(ascii: "i"):
            if eq("if") { return .if }
            if eq("int") { return .int }
            if eq("inline") { return .inline }
        case UInt8(ascii: "l"):
            if eq("long") { return .long }
        case UInt8(ascii: "r"):
            if eq("return") { return .return }
            if eq("register") { return .register }
            if eq("restrict") { return .restrict }
        case UInt8(ascii: "s"):
            if eq("static") { return .static }
            if eq("struct") { return .struct }
            if eq("switch") { return .switch }
            if eq("sizeof") { return .sizeof }
            if eq("short") { return .short }
            if eq("signed") { return .signed }
        case UInt8(ascii: "t"):
            if eq("typedef") { return .typedef }
            if eq("typeof") { return .typeof }
        case UInt8(ascii: "u"):
            if eq("union") { return .union }
            if eq("unsigned") { return .unsigned }
        case UInt8(ascii: "v"):
            if eq("void") { return .void }
            if eq("volatile") { return .volatile }
        case UInt8(ascii: "w"):
            if eq("while") { return .while }
        default:
            return .none
        }
        return .none
    }
}
