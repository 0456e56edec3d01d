import Synchronization

/// A place where the parser or lexer gave up on something and re-synchronised. Every recovery is
/// counted so that parse quality can be measured on real trees.
public struct Recovery: Sendable, Hashable {
    public enum Kind: String, Sendable {
        case unterminatedComment, unterminatedLiteral, preprocessor
        case unexpectedToken, unbalanced, tooDeep, functionBodyCutShort
    }
    public var line: Int
    public var column: Int
    public var kind: Kind
    public var message: String
    public init(line: Int, column: Int, kind: Kind, message: String) {
        self.line = line; self.column = column; self.kind = kind; self.message = message
    }
}

/// Code the parser did not see: `#if 0` branches and the `#else` branches of conditionals whose
/// branches do not balance braces (the first branch is parsed, as ctags does).
public struct SkippedRegion: Sendable, Hashable {
    public var startLine: Int
    public var endLine: Int
}

public struct Parameter: Sendable, Hashable {
    /// Empty for unnamed parameters (`void f(int)`) and for `...`.
    public var name: String
    /// The parameter's tokens without its name, joined by single spaces: `struct vm_fault *`.
    public var typeText: String
}

public struct FunctionDefinition: Sendable {
    /// The defined name; for macro heads such as `SYSCALL_DEFINE3(open, ...)` the macro's name.
    public var name: String
    /// Line of the name token (what ctags reports) and line of the closing brace.
    public var line: Int
    public var column: Int
    public var endLine: Int
    public var parameters: [Parameter]
    public var isStatic: Bool
    public var isInline: Bool
    /// Tokens before the name minus storage class, `inline` and attributes: `vm_fault_t`, `int *`.
    public var returnTypeText: String
    /// True when the head is a macro call with no return type (`SYSCALL_DEFINE3(...)`).
    public var isMacroHead: Bool
    /// The function's compound statement.
    public var body: NodeID
    /// Token index of the name.
    public var nameToken: Int32
}

/// A function (or other identifier) bound to a slot of an ops structure.
public struct OpsBinding: Sendable, Hashable {
    public enum Kind: String, Sendable {
        /// `static const struct vm_operations_struct v = { .page_mkwrite = f }`
        case designatedInitializer
        /// `ops->page_mkwrite = f;` or `ops.page_mkwrite = f;` inside a function
        case assignment
    }
    public var file: String
    public var line: Int
    /// `vm_operations_struct`; for assignments, known only when the base is a parameter or local
    /// declared `struct X ...`, else nil.
    public var structType: String?
    /// The initialized variable (`xfs_file_vm_ops`) or the assignment's base expression (`ops`).
    public var variable: String
    /// Slot name; nested designators are joined with dots (`ops.fault`).
    public var slot: String
    /// The bound identifier (`xfs_vm_page_mkwrite`).
    public var function: String
    public var kind: Kind
    /// The function whose body contains an assignment binding.
    public var inFunction: String?

    public init(file: String, line: Int, structType: String?, variable: String, slot: String, function: String,
                kind: Kind, inFunction: String?) {
        self.file = file; self.line = line; self.structType = structType; self.variable = variable
        self.slot = slot; self.function = function; self.kind = kind; self.inFunction = inFunction
    }
}

/// `vma->vm_ops = &foo_vm_ops;`: a function installing the address of a variable into a member.
public struct OpsInstall: Sendable, Hashable {
    public var file: String
    public var line: Int
    /// The function doing the installing.
    public var function: String
    /// The member assigned to (`vm_ops`).
    public var slot: String
    /// The target expression as written (`vma->vm_ops`).
    public var target: String
    /// The installed variable (`foo_vm_ops`).
    public var variable: String

    public init(file: String, line: Int, function: String, slot: String, target: String, variable: String) {
        self.file = file; self.line = line; self.function = function; self.slot = slot; self.target = target
        self.variable = variable
    }
}

/// What the index of a program needs of a function, without its body: its name, where it is,
/// whether it is file-local, and what it returns. A file kept from an earlier run has these
/// before (and often instead of) being parsed again.
public struct FunctionOutline: Sendable, Hashable {
    public var name: String
    public var line: Int
    public var endLine: Int
    public var isStatic: Bool
    public var returnTypeText: String

    public init(name: String, line: Int, endLine: Int, isStatic: Bool, returnTypeText: String) {
        self.name = name; self.line = line; self.endLine = endLine; self.isStatic = isStatic
        self.returnTypeText = returnTypeText
    }

    public init(_ d: FunctionDefinition) {
        self.init(name: d.name, line: d.line, endLine: d.endLine, isStatic: d.isStatic, returnTypeText: d.returnTypeText)
    }
}

/// Everything the parser learned about one file. Holds the source bytes and tokens so that text and
/// positions of any node can be asked for later.
///
/// A file can be made from what an earlier parse of the same bytes recorded (`outlined`): its
/// outlines, bindings and installs are there at once, and the rest (bytes, tokens, tree,
/// function definitions) is parsed the first time anything asks for it. A review of a tree
/// read before then parses only the files whose bodies the analysis walks.
public struct ParsedFile: Sendable {
    public var path: String
    /// One per function of `functions`, in the same order.
    public let outlines: [FunctionOutline]
    public var opsBindings: [OpsBinding]
    public var opsInstalls: [OpsInstall]
    let body: ParsedBody
    /// `fingerprint(ofFunction:)` of each function, as an earlier parse of the same bytes gave them.
    let keptFingerprints: [UInt64]?

    public var source: [UInt8] { body.source }
    public var tokens: [Token] { body.tokens }
    public var tree: SyntaxTree { body.tree }
    public var functions: [FunctionDefinition] { body.functions }
    public var recoveries: [Recovery] { body.recoveries }
    public var skippedRegions: [SkippedRegion] { body.skippedRegions }
    /// False until something asked an outlined file for more than its outline.
    public var isParsed: Bool { body.isReady }
    /// An outlined file whose bytes could not be read or parsed into what its outline says:
    /// its functions have empty bodies (the caller learns it here, and says so).
    public var outlineBroken: Bool { body.isReady && body.broken }

    init(path: String, source: [UInt8], tokens: [Token], tree: SyntaxTree, functions: [FunctionDefinition],
         opsBindings: [OpsBinding], opsInstalls: [OpsInstall], recoveries: [Recovery], skippedRegions: [SkippedRegion]) {
        self.path = path
        self.outlines = functions.map(FunctionOutline.init)
        self.opsBindings = opsBindings
        self.opsInstalls = opsInstalls
        self.body = ParsedBody(ParsedBody.Parts(source: source, tokens: tokens, tree: tree, functions: functions,
                                                recoveries: recoveries, skippedRegions: skippedRegions))
        self.keptFingerprints = nil
    }

    /// A file known by what an earlier parse of the same bytes recorded; `bytes` are read and
    /// parsed when first needed. When they are missing, or parse into other functions than
    /// `outlines` (a damaged cache), the functions keep their outlines and get empty bodies.
    public static func outlined(path: String, outlines: [FunctionOutline], fingerprints: [UInt64], opsBindings: [OpsBinding],
                                opsInstalls: [OpsInstall], bytes: @escaping @Sendable () -> [UInt8]?) -> ParsedFile {
        ParsedFile(path: path, outlines: outlines, fingerprints: fingerprints.count == outlines.count ? fingerprints : nil,
                   opsBindings: opsBindings, opsInstalls: opsInstalls, body: ParsedBody(later: {
                       if let data = bytes() {
                           let parsed = CParser.parse(data, path: path)
                           if parsed.outlines == outlines { return (parsed.body.parts, false) }
                       }
                       return (ParsedBody.Parts.empty(outlines), true)
                   }))
    }

    private init(path: String, outlines: [FunctionOutline], fingerprints: [UInt64]?, opsBindings: [OpsBinding],
                 opsInstalls: [OpsInstall], body: ParsedBody) {
        self.path = path
        self.outlines = outlines
        self.keptFingerprints = fingerprints
        self.opsBindings = opsBindings
        self.opsInstalls = opsInstalls
        self.body = body
    }

    /// FNV-1a over function `k`'s return type, parameters and body text, with its first and last
    /// line: any edit to it, or a move, changes the fingerprint. What summaries of other runs are
    /// checked against; kept with an outline, so a file need not be parsed to be compared.
    public func fingerprint(ofFunction k: Int) -> UInt64 {
        if let keptFingerprints, !body.isReady || !body.broken { return keptFingerprints[k] }
        let function = functions[k]
        var h: UInt64 = 0xcbf29ce484222325
        func mix(_ bytes: some Sequence<UInt8>) { for b in bytes { h = (h ^ UInt64(b)) &* 0x100000001b3 } }
        mix(function.returnTypeText.utf8)
        for p in function.parameters { mix(p.typeText.utf8); mix([0x1F]); mix(p.name.utf8); mix([0x1E]) }
        let n = tree[function.body]
        if n.lastToken >= n.firstToken {
            let a = tokens[Int(n.firstToken)], b = tokens[Int(n.lastToken)]
            source.withUnsafeBufferPointer { mix(UnsafeBufferPointer(rebasing: $0[Int(a.offset)..<Int(b.offset + b.length)])) }
        }
        mix(String(function.line).utf8)
        mix([0x1D])
        mix(String(function.endLine).utf8)
        return h
    }

    /// The source text of token `index`.
    public func text(ofToken index: Int32) -> String {
        let t = tokens[Int(index)]
        return String(decoding: source[Int(t.offset)..<Int(t.offset + t.length)], as: UTF8.self)
    }

    /// The source text a node covers, as written (comments and line breaks included).
    public func text(of id: NodeID) -> String {
        let n = tree[id]
        if n.lastToken < n.firstToken { return "" }
        let a = tokens[Int(n.firstToken)], b = tokens[Int(n.lastToken)]
        return String(decoding: source[Int(a.offset)..<Int(b.offset + b.length)], as: UTF8.self)
    }

    /// The node's tokens joined by single spaces (comments and line breaks dropped).
    public func normalizedText(of id: NodeID) -> String {
        let n = tree[id]
        if n.lastToken < n.firstToken { return "" }
        return (n.firstToken...n.lastToken).map { text(ofToken: $0) }.joined(separator: " ")
    }

    /// The node's tokens spaced the way kernel code is written (`folio_lock_killable(folio) < 0`,
    /// `vmf->page`, `!PageUptodate(page)`): for messages people read, never for comparisons
    /// (those use `normalizedText`, whose spacing is simpler and stable).
    public func displayText(of id: NodeID) -> String {
        let n = tree[id]
        if n.lastToken < n.firstToken { return "" }
        var out = ""
        var previous: (text: String, kind: TokenKind)?
        var previousWasUnary = false
        for index in n.firstToken...n.lastToken {
            let token = tokens[Int(index)]
            let t = text(ofToken: index)
            var unary = false
            if token.kind == .punctuator, ["!", "~", "&", "*", "-", "+", "++", "--"].contains(t) {
                // Prefix when nothing that ends an operand comes before it.
                if let p = previous {
                    let endsOperand = p.kind == .identifier || p.kind == .number || p.kind == .string
                        || p.kind == .character || p.text == ")" || p.text == "]"
                    unary = !endsOperand && !(p.kind == .keyword && p.text == "sizeof")
                } else {
                    unary = true
                }
            }
            if let p = previous {
                let tight = p.text == "(" || p.text == "[" || p.text == "->" || p.text == "." || previousWasUnary
                    || t == ")" || t == "]" || t == "," || t == ";" || t == "->" || t == "."
                    || (t == "(" && (p.kind == .identifier || (p.kind == .keyword && p.text == "sizeof")))
                    || (t == "[" && (p.kind == .identifier || p.text == ")" || p.text == "]"))
                    || ((t == "++" || t == "--") && !unary)
                if !tight { out += " " }
            }
            out += t
            previous = (t, token.kind)
            previousWasUnary = unary
        }
        return out
    }

    /// The name of an identifier, member, label, goto, field designator or declarator node.
    public func name(of id: NodeID) -> String? {
        let n = tree[id]
        switch n.kind {
        case .identifier, .member, .label, .gotoStatement, .fieldDesignator, .initDeclarator:
            return n.extra >= 0 ? text(ofToken: n.extra) : nil
        default:
            return nil
        }
    }

    public func range(of id: NodeID) -> SourceRange {
        let n = tree[id]
        let a = tokens[Int(max(0, n.firstToken))]
        let b = tokens[Int(max(n.firstToken, n.lastToken))]
        return SourceRange(start: SourcePosition(line: Int(a.line), column: Int(a.column)),
                           end: SourcePosition(line: Int(b.line), column: Int(b.column + max(b.length, 1) - 1)))
    }

    @inlinable public func line(of id: NodeID) -> Int { Int(tokens[Int(max(0, tree[id].firstToken))].line) }

    /// For a call node, the callee's name when the callee is a plain identifier.
    public func calleeName(of call: NodeID) -> String? {
        guard tree.kind(call) == .call, let callee = tree.child(call, 0), tree.kind(callee) == .identifier
        else { return nil }
        return name(of: callee)
    }

    /// For a call node, its arguments.
    public func arguments(of call: NodeID) -> [NodeID] {
        guard tree.kind(call) == .call else { return [] }
        return Array(tree.children(call).dropFirst())
    }

    /// All call nodes under `id` (including calls nested in arguments), in source order.
    public func calls(in id: NodeID) -> [NodeID] {
        var out: [NodeID] = []
        tree.walk(id) { if tree.kind($0) == .call { out.append($0) } }
        return out
    }

    /// The function definition named `name`, if any (the first when defined twice under `#if`).
    public func function(named name: String) -> FunctionDefinition? {
        functions.first { $0.name == name }
    }
}

/// The parsed part of a file: there from the start, or made once, on first use, from any thread.
final class ParsedBody: @unchecked Sendable {
    struct Parts: Sendable {
        var source: [UInt8]
        var tokens: [Token]
        var tree: SyntaxTree
        var functions: [FunctionDefinition]
        var recoveries: [Recovery]
        var skippedRegions: [SkippedRegion]

        /// Functions with the outlines' names and lines and one empty body between them.
        static func empty(_ outlines: [FunctionOutline]) -> Parts {
            let stub = CParser.parse(Array("void f(void) { }\n".utf8), path: "")
            var parts = stub.body.parts
            let template = parts.functions[0]
            parts.functions = outlines.map { o in
                var d = template
                d.name = o.name; d.line = o.line; d.endLine = o.endLine; d.isStatic = o.isStatic
                d.returnTypeText = o.returnTypeText; d.parameters = []
                return d
            }
            return parts
        }
    }

    private let ready: Atomic<Bool>
    /// Written once, under `lock`, before `ready`; read only after `ready`.
    private var stored: Parts
    private var make: (@Sendable () -> (Parts, Bool))?
    private(set) var broken = false
    private let lock = Mutex<Void>(())

    init(_ parts: Parts) {
        stored = parts
        ready = Atomic(true)
    }

    init(later make: @escaping @Sendable () -> (Parts, Bool)) {
        self.make = make
        stored = Parts(source: [], tokens: [], tree: SyntaxTree(), functions: [], recoveries: [], skippedRegions: [])
        ready = Atomic(false)
    }

    var isReady: Bool { ready.load(ordering: .acquiring) }

    @inline(__always) private func ensure() {
        if !ready.load(ordering: .acquiring) { fill() }
    }

    private func fill() {
        lock.withLock { _ in
            guard !ready.load(ordering: .relaxed), let make else { return }
            let (parts, broken) = make()
            self.broken = broken
            stored = parts
            self.make = nil
            ready.store(true, ordering: .releasing)
        }
    }

    // One part at a time: the walkers ask for the tree and tokens in their inner loops, and a
    // copy of every part (six arrays retained and released) would cost them a third.
    var source: [UInt8] { ensure(); return stored.source }
    var tokens: [Token] { ensure(); return stored.tokens }
    var tree: SyntaxTree { ensure(); return stored.tree }
    var functions: [FunctionDefinition] { ensure(); return stored.functions }
    var recoveries: [Recovery] { ensure(); return stored.recoveries }
    var skippedRegions: [SkippedRegion] { ensure(); return stored.skippedRegions }
    var parts: Parts { ensure(); return stored }
}

/// The entry point: parse one file's bytes. Never fails; problems become `recoveries`.
public enum CParser {
    public static func parse(_ bytes: [UInt8], path: String) -> ParsedFile {
        var result: ParsedFile?
        bytes.withUnsafeBufferPointer { buffer in
            let stream = Lexer.tokenize(buffer)
            var parser = Parser(source: buffer, stream: stream, path: path)
            parser.parseTranslationUnit()
            result = ParsedFile(path: path, source: bytes, tokens: stream.tokens, tree: parser.tree,
                                functions: parser.functions, opsBindings: parser.bindings,
                                opsInstalls: parser.installs, recoveries: parser.recoveries,
                                skippedRegions: stream.skippedRegions)
        }
        return result!
    }
}

/// A file to parse: a path and its bytes.
public struct SourceFile: Sendable {
    public var path: String
    public var bytes: [UInt8]
    public init(path: String, bytes: [UInt8]) { self.path = path; self.bytes = bytes }
    public func parse() -> ParsedFile { CParser.parse(bytes, path: path) }
}
