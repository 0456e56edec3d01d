// The abstract state a path carries through a function, and how one path ends.
import Foundation
import CSyntax

/// What a returned value (or a tracked variable) is known to be.
public enum ValueClass: String, Hashable, Sendable, Codable {
    /// Includes `VM_FAULT_LOCKED`: the page goes back to the fault core locked and writable.
    case faultLocked
    /// 0: for `page_mkwrite` the core locks the page itself and maps it writable without a wait;
    /// for `write_begin` and errno-style helpers, success.
    case zero
    /// A fault code under which nothing is written (`VM_FAULT_NOPAGE`, `VM_FAULT_SIGBUS`, …).
    case noWrite
    /// Some other non-zero value (a negative errno).
    case nonzero
    case unknown
}

/// One step of a finding's path.
public struct PathStep: Sendable, Hashable, Codable {
    public var file: String
    public var line: Int
    public var note: String
}

/// Steps shared between the paths that branch from a common prefix.
final class Trace: @unchecked Sendable {
    let step: PathStep
    let parent: Trace?
    init(_ step: PathStep, _ parent: Trace?) {
        self.step = step
        self.parent = parent
    }

    func steps() -> [PathStep] {
        var out: [PathStep] = []
        var t: Trace? = self
        while let node = t { out.append(node.step); t = node.parent }
        return out.reversed()
    }
}

/// Whether the page lock is held. Summaries start from `inherited` (whatever the caller holds),
/// so one summary serves every call site; an entry point's own callers pass the page unlocked.
public enum LockState: String, Hashable, Sendable, Codable {
    case unlocked, locked, inherited
}

public enum NullState: Hashable, Sendable { case unknown, null, nonNull }

/// What one path knows about the page it handles.
struct PageState: Hashable {
    var lock: LockState = .inherited
    var locked: Bool {
        get { lock == .locked }
        set { lock = newValue ? .locked : .unlocked }
    }
    /// Waited while the lock was in the caller's hands (`inherited`).
    var waitedInherited = false
    /// Waited for writeback while holding the lock (since the lock was last taken).
    var waitedUnderLock = false
    /// Waited while *not* holding the lock, and not again under the lock since.
    var waitedUnlocked = false
    /// Waited under the lock, then dropped and retook it without waiting again.
    var relockedAfterWait = false
    /// What this path did to PG_writeback (`set_page_writeback`, `end_page_writeback`):
    /// read by the writeback-window derivation, which asks whether a mapping's ->writepage
    /// leaves a page under writeback once it returns.
    var writeback: WritebackChange = .unchanged
    /// `*pagep = page` (write_begin): the page is handed to the caller.
    var handedBack = false
    /// Whether the page pointer is known to be NULL on this path (`if (!page) return NULL;`).
    var null: NullState = .unknown
    /// The page this path tracks is no longer the one the function was given (it got a page
    /// of its own from a getter): its lock state says nothing about the caller's page.
    var replaced = false
    /// Variables holding the result of a conditional lock on the page (`ret = folio_lock_killable(folio)`).
    var pendingLock: [String: LockSuccess] = [:]
    /// Predicates already decided on this path (`ext4_should_journal_data(inode)`): asked again
    /// (after a `goto retry`), they answer the same.
    var decided: [String: Bool] = [:]
    /// Expressions that denote the page (`vmf->page`, `page`, `folio`).
    var aliases: Set<String> = []
    /// Tracked variables' values (`ret`, `err`).
    var values: [String: ValueClass] = [:]
    /// The value the branch condition's call returned on this path (`if (!foo_trylock(page))`),
    /// so the branch taken agrees with the callee's exit: set when the condition is evaluated,
    /// read and cleared by `refine`.
    var conditionCall: ConditionCall? = nil

    /// The walk keeps a set of (block, state) visits, and hashing every dictionary and set of a
    /// state was a fifth of a whole scan. Equal states have equal flags and equal collection
    /// sizes, which is all the hash needs to be consistent with `==` (synthesized, every field);
    /// states that differ only in their collections' contents meet in a bucket and are told
    /// apart by `==`.
    func hash(into h: inout Hasher) {
        var bits = lock == .locked ? 1 : lock == .unlocked ? 2 : 3
        for flag in [waitedInherited, waitedUnderLock, waitedUnlocked, relockedAfterWait, handedBack, replaced] {
            bits = bits << 1 | (flag ? 1 : 0)
        }
        bits = bits << 2 | (writeback == .unchanged ? 0 : writeback == .started ? 1 : 2)
        bits = bits << 2 | (null == .unknown ? 0 : null == .null ? 1 : 2)
        h.combine(bits)
        h.combine(aliases.count << 24 | values.count << 16 | pendingLock.count << 8 | decided.count)
        // Which values are known, order-independently and without hashing the keys.
        var known = 0
        for (name, value) in values { known &+= (name.utf8.count &* 8 &+ ValueClassKey.of(value)) &* 0x9E37_79B9 }
        h.combine(known)
        h.combine(conditionCall?.node)
    }
}

/// What a path did to the page's PG_writeback bit, relative to how it found it.
public enum WritebackChange: String, Hashable, Sendable, Codable {
    case unchanged, started, ended
}

struct ConditionCall: Hashable {
    var node: NodeID
    var value: ValueClass
}

/// How one path through a function ends.
public struct Outcome: Sendable, Hashable, Codable {
    public var returnClass: ValueClass
    /// The function returned the page itself (a getter).
    public var returnsPage: Bool
    public var lock: LockState
    public var waitedInherited: Bool
    public var waitedUnderLock: Bool
    public var waitedUnlocked: Bool
    public var relockedAfterWait: Bool
    public var writeback: WritebackChange = .unchanged
    public var handedBack: Bool
    /// The state describes a page the function obtained itself, not the one it was given.
    public var replaced: Bool = false
    /// The path, from entry to this exit. Not part of equality: two exits with the same facts
    /// are one exit, whichever way they were reached. Every other field is (synthesized).
    @IgnoredInEquality public var path: [PathStep]

    /// Seen from an entry point (whose caller passes the page unlocked): the page is stable on
    /// this exit — locked, and waited for since the lock was taken.
    public var pageIsStable: Bool { lock == .locked && waitedUnderLock && !relockedAfterWait }
    public var locked: Bool { lock == .locked }
    /// Seen from an entry point: the only waits happened while the page was not locked.
    public var waitedOnlyUnlocked: Bool { !pageIsStable && (waitedUnlocked || waitedInherited || relockedAfterWait) }
}

enum ValueClassKey {
    static func of(_ v: ValueClass) -> Int {
        switch v {
        case .faultLocked: 0
        case .zero: 1
        case .noWrite: 2
        case .nonzero: 3
        case .unknown: 4
        }
    }
}

/// A value that rides along without taking part in `==` and `hash` (an outcome's path), and is
/// encoded as the value itself.
@propertyWrapper
public struct IgnoredInEquality<Value: Sendable & Codable>: Sendable, Hashable, Codable {
    public var wrappedValue: Value
    public init(wrappedValue: Value) { self.wrappedValue = wrappedValue }
    public static func == (_: Self, _: Self) -> Bool { true }
    public func hash(into _: inout Hasher) {}
    public init(from decoder: Decoder) throws { wrappedValue = try decoder.singleValueContainer().decode(Value.self) }
    public func encode(to encoder: Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(wrappedValue)
    }
}
