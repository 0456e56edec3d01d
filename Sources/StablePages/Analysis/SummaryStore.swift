import CSyntax

/// A function as a summary depends on it: where it is, and a fingerprint of its text. Line
/// numbers are part of it because a summary's paths name lines.
struct FunctionIdentity: Hashable, Sendable {
    var path: String
    var name: String
    var line: Int
    var fingerprint: UInt64
}

/// What a summary was derived from: the bodies it walked (its own and its callees') and every
/// name it looked up, from which file, with what it found (nil: no body in the files read).
/// A later tree in which all of these are the same gives the same summary.
struct SummaryDependencies: Sendable {
    var functions: Set<FunctionIdentity> = []
    var resolutions: [ResolutionKey: FunctionIdentity?] = [:]
    /// Calls through a function-pointer member (`ctx->ops->check_write_begin(…)`): every body
    /// bound to the member in the files read, in the order the walk took them.
    var members: [String: [FunctionIdentity]] = [:]
    /// Recursive calls the walk cut short, as `file << 32 | function` of the analyzer: a cut to
    /// the function itself, or to one it called, is part of its own result; a cut to a caller
    /// still in progress makes the result depend on that caller.
    var cuts: Set<Int> = []
    /// False when the result depends on more than the above (a caller's recursion, a summary
    /// that did), and is not kept for other trees.
    var reusable = true

    struct ResolutionKey: Hashable, Sendable {
        var fromPath: String
        var name: String
    }

    mutating func merge(_ other: SummaryDependencies) {
        functions.formUnion(other.functions)
        // updateValue: a lookup that found nothing (nil) is a dependency too.
        for (key, value) in other.resolutions where resolutions.index(forKey: key) == nil { resolutions.updateValue(value, forKey: key) }
        for (member, targets) in other.members where members[member] == nil { members[member] = targets }
        cuts.formUnion(other.cuts)
        reusable = reusable && other.reusable
    }
}

/// Summaries shared by the trees of one review (T0..Tn): a summary is taken from an earlier tree
/// when every body it was derived from, and every lookup it made, is unchanged — so a series
/// that touches one filesystem does not re-walk ocfs2's write_begin at every patch.
public final class SummaryStore: @unchecked Sendable {
    private var entries: [String: [(summary: FunctionSummary, dependencies: SummaryDependencies)]] = [:]
    private let lock = NSLockLike()
    public private(set) var reused = 0

    public init() {}

    func candidates(_ key: String) -> [(summary: FunctionSummary, dependencies: SummaryDependencies)] {
        lock.lock(); defer { lock.unlock() }
        return entries[key] ?? []
    }

    func noteReuse() { lock.lock(); reused += 1; lock.unlock() }

    func put(_ key: String, _ summary: FunctionSummary, _ dependencies: SummaryDependencies) {
        lock.lock(); defer { lock.unlock() }
        entries[key, default: []].append((summary, dependencies))
    }
}

extension ParsedFile {
    /// FNV-1a over the function's return type, parameters and body text, with its first and last
    /// line: any edit to it, or a move, changes the fingerprint.
    func fingerprint(of function: FunctionDefinition) -> UInt64 {
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
}
