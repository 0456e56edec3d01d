import Foundation
import CSyntax
import Support

/// A function as a summary depends on it: where it is, and a fingerprint of its text. Line
/// numbers are part of it because a summary's paths name lines.
struct FunctionIdentity: Hashable, Sendable, Codable {
    var path: String
    var name: String
    var line: Int
    var fingerprint: UInt64
}

/// What a summary was derived from: the bodies it walked (its own and its callees') and every
/// name it looked up, from which file, with what it found (nil: no body in the files read).
/// A later tree in which all of these are the same gives the same summary.
struct SummaryDependencies: Sendable, Codable {
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

    struct ResolutionKey: Hashable, Sendable, Codable {
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
/// that touches one filesystem does not re-walk ocfs2's write_begin at every patch. Kept between
/// runs as text (`export`, `load`): the dependencies name bodies by path, line and fingerprint,
/// so a summary from any earlier review holds wherever they are the same.
public final class SummaryStore: @unchecked Sendable {
    typealias Entry = (summary: FunctionSummary, dependencies: SummaryDependencies)
    private var entries: [String: [Entry]] = [:]
    /// Entries loaded from an earlier run and not asked for yet, as their JSON lines: most are
    /// never asked for (a root whose summary holds needs none of its callees'), so they are
    /// decoded only when asked for.
    private var pending: [String: [Substring]] = [:]
    /// Keys put or asked for in this run (what an export keeps first).
    private var touched = Set<String>()
    /// Keys whose kept lines a worker is decoding: another worker asking waits for them rather
    /// than deriving the summary again.
    private var decoding = Set<String>()
    private let lock = NSCondition()
    public private(set) var reused = 0

    public init() {}

    func candidates(_ key: String) -> [Entry] {
        lock.lock(); defer { lock.unlock() }
        touched.insert(key)
        while decoding.contains(key) { lock.wait() }
        if let lines = pending.removeValue(forKey: key) {
            // Decoded outside the lock: JSON is most of what a kept summary costs, and the
            // workers ask for different keys at the same time.
            decoding.insert(key)
            lock.unlock()
            let decoded: [Entry] = lines.compactMap(SummaryLine.decode)
            lock.lock()
            entries[key, default: []] += decoded
            decoding.remove(key)
            lock.broadcast()
        }
        return entries[key] ?? []
    }

    func noteReuse() { lock.lock(); reused += 1; lock.unlock() }

    func put(_ key: String, _ summary: FunctionSummary, _ dependencies: SummaryDependencies) {
        lock.lock(); defer { lock.unlock() }
        touched.insert(key)
        derived += 1
        entries[key, default: []].append((summary, dependencies))
    }

    /// One line per summary: `key TAB json`. This run's keys first, then what was loaded and
    /// not used, up to `limit` lines; a key with a tab or a line break is not kept.
    /// At most `limit` lines and about `byteLimit` bytes: a summary line is some 12 KB, and
    /// a file that grows with every tree reviewed would cost more to load than it saves.
    public func export(limit: Int = 50_000, byteLimit: Int = 32 << 20) -> String {
        lock.lock(); defer { lock.unlock() }
        var lines: [String] = []
        var bytes = 0
        func keep(_ line: String) -> Bool {
            guard lines.count < limit, bytes + line.utf8.count < byteLimit else { return false }
            bytes += line.utf8.count + 1
            lines.append(line)
            return true
        }
        func keepable(_ key: String) -> Bool { !key.utf8.contains { $0 == 0x09 || $0 == 0x0A } }
        let order = entries.keys.filter { touched.contains($0) }.sorted() + entries.keys.filter { !touched.contains($0) }.sorted()
        export: do {
            for key in order where keepable(key) {
                for entry in entries[key]! {
                    if !keep(key + "\t" + SummaryLine.encode(entry.summary, entry.dependencies)) { break export }
                }
            }
            for key in pending.keys.sorted() where keepable(key) {
                for line in pending[key]! where !keep(key + "\t" + line) { break export }
            }
        }
        return lines.joined(separator: "\n") + (lines.isEmpty ? "" : "\n")
    }

    /// Reads `export`'s lines (decoding each only when its key is asked for); malformed lines
    /// are skipped when decoded (a cache, not a contract).
    public func load(_ text: Substring) {
        var loaded: [String: [Substring]] = [:]
        for (key, rest) in text.keyedLines() { loaded[String(key), default: []].append(rest) }
        lock.lock(); defer { lock.unlock() }
        for (key, lines) in loaded where entries[key] == nil { pending[key, default: []] += lines }
    }

    /// Whether this run derived a summary (an export then says more than what was loaded).
    public var learnt: Bool {
        lock.lock(); defer { lock.unlock() }
        return derived > 0
    }
    private var derived = 0
}

/// A summary and its dependencies as one line of the summaries file: fields separated by 0x1F,
/// `%XX` for that byte, `%`, tab and newline inside them. Read back field by field: a review
/// on a known base reads a few hundred of these before anything else (JSON took five times as
/// long).
enum SummaryLine {
    static func encode(_ summary: FunctionSummary, _ dependencies: SummaryDependencies) -> String {
        var w = Writer()
        w.text(summary.function); w.text(summary.file); w.int(summary.line)
        w.int(summary.outcomes.count)
        for o in summary.outcomes {
            w.text(o.returnClass.rawValue); w.bool(o.returnsPage); w.text(o.lock.rawValue)
            w.bool(o.waitedInherited); w.bool(o.waitedUnderLock); w.bool(o.waitedUnlocked); w.bool(o.relockedAfterWait)
            w.text(o.writeback.rawValue); w.bool(o.handedBack); w.bool(o.replaced)
            w.int(o.path.count)
            for step in o.path { w.step(step) }
        }
        w.texts(summary.usedSummaries); w.texts(summary.assumptions); w.bool(summary.incomplete)
        let functions = dependencies.functions.sorted { ($0.path, $0.name, $0.line, $0.fingerprint) < ($1.path, $1.name, $1.line, $1.fingerprint) }
        w.int(functions.count)
        for f in functions { w.identity(f) }
        let resolutions = dependencies.resolutions.sorted { ($0.key.fromPath, $0.key.name) < ($1.key.fromPath, $1.key.name) }
        w.int(resolutions.count)
        for (key, found) in resolutions {
            w.text(key.fromPath); w.text(key.name); w.bool(found != nil)
            if let found { w.identity(found) }
        }
        let members = dependencies.members.sorted { $0.key < $1.key }
        w.int(members.count)
        for (member, targets) in members {
            w.text(member); w.int(targets.count)
            for t in targets { w.identity(t) }
        }
        w.int(dependencies.cuts.count)
        for c in dependencies.cuts.sorted() { w.int(c) }
        w.bool(dependencies.reusable)
        return String(decoding: w.bytes, as: UTF8.self)
    }

    /// Nil for a line that does not read back whole (a cache, not a contract).
    static func decode(_ line: Substring) -> (summary: FunctionSummary, dependencies: SummaryDependencies)? {
        var line = line
        return line.withUTF8 { bytes -> (FunctionSummary, SummaryDependencies)? in
            var r = Reader(bytes: bytes)
            guard let function = r.text(), let file = r.text(), let line = r.int(), let outcomeCount = r.count() else { return nil }
            var summary = FunctionSummary(function: function, file: file, line: line, outcomes: [], usedSummaries: [], assumptions: [])
            for _ in 0..<outcomeCount {
                guard let returnClass = r.text().flatMap(ValueClass.init(rawValue:)), let returnsPage = r.bool(),
                      let lock = r.text().flatMap(LockState.init(rawValue:)), let inherited = r.bool(), let underLock = r.bool(),
                      let unlocked = r.bool(), let relocked = r.bool(), let writeback = r.text().flatMap(WritebackChange.init(rawValue:)),
                      let handedBack = r.bool(), let replaced = r.bool(), let steps = r.count() else { return nil }
                var path: [PathStep] = []
                path.reserveCapacity(steps)
                for _ in 0..<steps {
                    guard let step = r.step() else { return nil }
                    path.append(step)
                }
                summary.outcomes.append(Outcome(returnClass: returnClass, returnsPage: returnsPage, lock: lock, waitedInherited: inherited,
                                                waitedUnderLock: underLock, waitedUnlocked: unlocked, relockedAfterWait: relocked,
                                                writeback: writeback, handedBack: handedBack, replaced: replaced, path: path))
            }
            guard let used = r.texts(), let assumptions = r.texts(), let incomplete = r.bool() else { return nil }
            summary.usedSummaries = used
            summary.assumptions = assumptions
            summary.incomplete = incomplete
            var dependencies = SummaryDependencies()
            guard let functionCount = r.count() else { return nil }
            for _ in 0..<functionCount {
                guard let f = r.identity() else { return nil }
                dependencies.functions.insert(f)
            }
            guard let resolutionCount = r.count() else { return nil }
            for _ in 0..<resolutionCount {
                guard let from = r.text(), let name = r.text(), let present = r.bool() else { return nil }
                var found: FunctionIdentity?
                if present {
                    guard let f = r.identity() else { return nil }
                    found = f
                }
                dependencies.resolutions.updateValue(found, forKey: .init(fromPath: from, name: name))
            }
            guard let memberCount = r.count() else { return nil }
            for _ in 0..<memberCount {
                guard let member = r.text(), let n = r.count() else { return nil }
                var targets: [FunctionIdentity] = []
                for _ in 0..<n {
                    guard let t = r.identity() else { return nil }
                    targets.append(t)
                }
                dependencies.members[member] = targets
            }
            guard let cutCount = r.count() else { return nil }
            for _ in 0..<cutCount {
                guard let c = r.int() else { return nil }
                dependencies.cuts.insert(c)
            }
            guard let reusable = r.bool(), r.atEnd else { return nil }
            dependencies.reusable = reusable
            return (summary, dependencies)
        }
    }

    private static func special(_ b: UInt8) -> Bool { b == 0x1F || b == 0x25 || b == 0x09 || b == 0x0A || b == 0x0D }

    private struct Writer {
        var bytes: [UInt8] = []

        mutating func text(_ s: String) {
            PercentEscape.append(s, to: &bytes, escaping: special)
            bytes.append(0x1F)
        }
        mutating func int(_ i: Int) { bytes += Array(String(i).utf8); bytes.append(0x1F) }
        mutating func bool(_ b: Bool) { bytes.append(b ? 0x31 : 0x30); bytes.append(0x1F) }
        mutating func texts(_ list: [String]) { int(list.count); for s in list { text(s) } }
        mutating func step(_ s: PathStep) { text(s.file); int(s.line); text(s.note) }
        mutating func identity(_ f: FunctionIdentity) {
            text(f.path); text(f.name); int(f.line); text(String(f.fingerprint, radix: 16))
        }
    }

    private struct Reader {
        let bytes: UnsafeBufferPointer<UInt8>
        var i = 0

        var atEnd: Bool { i == bytes.count }

        /// The next field's bytes; the cursor moves past its separator.
        mutating func field() -> UnsafeBufferPointer<UInt8>? {
            let start = i
            while i < bytes.count, bytes[i] != 0x1F { i += 1 }
            guard i < bytes.count else { return nil }
            i += 1
            return UnsafeBufferPointer(rebasing: bytes[start..<(i - 1)])
        }

        mutating func text() -> String? {
            guard let f = field() else { return nil }
            return PercentEscape.unescaped(f)
        }

        mutating func int() -> Int? {
            guard let f = field(), !f.isEmpty, f.count < 19 else { return nil }
            var v = 0, k = 0
            let negative = f[0] == 0x2D
            if negative { k = 1; guard f.count > 1 else { return nil } }
            while k < f.count {
                let d = f[k] &- 0x30
                guard d < 10 else { return nil }
                v = v * 10 + Int(d)
                k += 1
            }
            return negative ? -v : v
        }

        /// A count no larger than what the rest of the line could hold.
        mutating func count() -> Int? {
            guard let n = int(), n >= 0, n <= bytes.count - i else { return nil }
            return n
        }

        mutating func bool() -> Bool? {
            guard let f = field(), f.count == 1, f[0] == 0x30 || f[0] == 0x31 else { return nil }
            return f[0] == 0x31
        }

        mutating func texts() -> [String]? {
            guard let n = count() else { return nil }
            var out: [String] = []
            for _ in 0..<n {
                guard let s = text() else { return nil }
                out.append(s)
            }
            return out
        }

        mutating func step() -> PathStep? {
            guard let file = text(), let line = int(), let note = text() else { return nil }
            return PathStep(file: file, line: line, note: note)
        }

        mutating func identity() -> FunctionIdentity? {
            guard let path = text(), let name = text(), let line = int(), let hex = text(), let fingerprint = UInt64(hex, radix: 16)
            else { return nil }
            return FunctionIdentity(path: path, name: name, line: line, fingerprint: fingerprint)
        }
    }
}
