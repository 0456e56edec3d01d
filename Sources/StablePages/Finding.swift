/// How sure a rule is, stated per rule and lowered when a finding rests on assumptions.
public enum Confidence: String, Sendable, Codable, Comparable {
    case low, medium, high
    private var rank: Int { self == .low ? 0 : self == .medium ? 1 : 2 }
    public static func < (a: Confidence, b: Confidence) -> Bool { a.rank < b.rank }
}

public enum FindingSeverity: String, Sendable, Codable {
    case error, warning, note
}

/// A code path on which a page may become writable while under writeback, with its evidence.
public struct Finding: Sendable, Hashable, Codable {
    /// What a diff-only rule calls the function when the hunk header names none (git shows the
    /// nearest line that looks like a heading: a label such as `again:`); the review names it
    /// from the patched tree when it has one.
    public static let unknownFunction = "(unknown function)"

    /// Against the series' base: introduced by one of its patches, there before and after, or
    /// gone by the end. Nil for a finding of one tree (`scan`), which has no base to compare with.
    public enum State: String, Sendable { case new, unchanged, resolved }

    public var state: State? {
        if introducedBy != nil { return .new }
        if resolvedBy != nil { return .resolved }
        return presentIn.isEmpty ? nil : .unchanged
    }

    public var rule: String
    public var severity: FindingSeverity
    public var confidence: Confidence
    /// The handler (for `mmap-without-mkwrite`, the `vm_operations_struct` variable).
    public var function: String
    /// Where `function` is defined (or the variable, for the mmap rule).
    public var file: String
    public var line: Int
    /// The ops slot that makes it an entry point.
    public var slot: String
    public var message: String
    /// Entry to writable exit, `file:line` steps.
    public var path: [PathStep]
    /// The ops bindings that make `function` an entry point, as `struct variable.slot at file:line`.
    public var bindings: [String]
    public var summariesUsed: [String]
    /// For findings read off a diff: the line in the input mail.
    public var inputLine: Int? = nil
    public var assumptions: [String]
    /// Trees (0 = base, k = after patch k) the finding is present in; filled by the per-patch delta.
    public var presentIn: [Int] = []
    public var introducedBy: Int?
    public var resolvedBy: Int?
    /// What several findings share, when one change closes them all (the `vm_operations_struct`
    /// that mappings get, for `mmap-without-mkwrite`).
    public var cause: String? = nil
    /// Every path the rule found open (the first is `path`): the per-path delta compares them
    /// between trees, so a path a patch opens is reported even when the handler had another.
    public var openPaths: [[PathStep]] = []
    /// For a finding about a change that opens paths in several entry points at once: the
    /// entry points it affects (the finding's `function` is then the helper that changed).
    public var affected: [String] = []

    /// A path's identity across trees: what happens to the page on it, step by step — calls and
    /// their outcomes, locks, waits, hand-backs, the exit — without line numbers (a patch shifts
    /// them) and without the branch conditions and gotos that lead there (a refactor rewords
    /// them: `NILFS_SB(sb)->s_nilfs` becoming `sb->s_fs_info` opens no path).
    public static func signature(of path: [PathStep]) -> String {
        path.compactMap { step -> String? in
            var note = step.note
            if note.hasPrefix("(") || note.hasPrefix("!(") || note.hasPrefix("goto ") { return nil }
            if let bracket = note.range(of: " [", options: .backwards), note.hasSuffix("]") { note = String(note[..<bracket.lowerBound]) }
            if note.hasPrefix("return "), let value = note.range(of: " (", options: .backwards), note.hasSuffix(")") {
                note = "return" + note[value.lowerBound...]  // `return err (error)`: the value class, not the spelling
            }
            return "\(step.file)|\(note)"
        }.joined(separator: " > ")
    }

    /// Identity across trees: the same rule on the same handler and slot.
    public var key: String { "\(rule)|\(function)|\(slot)" }
}
