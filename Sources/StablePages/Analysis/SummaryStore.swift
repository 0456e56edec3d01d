import Foundation
import CSyntax

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
            let decoder = JSONDecoder()
            let decoded: [Entry] = lines.compactMap { line in
                (try? decoder.decode(StoredEntry.self, from: Data(line.utf8))).map { ($0.summary, $0.dependencies) }
            }
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

    private struct StoredEntry: Codable {
        var summary: FunctionSummary
        var dependencies: SummaryDependencies
    }

    /// One line per summary: `key TAB json`. This run's keys first, then what was loaded and
    /// not used, up to `limit` lines; a key with a tab or a line break is not kept.
    /// At most `limit` lines and about `byteLimit` bytes: a summary line is some 12 KB, and
    /// a file that grows with every tree reviewed would cost more to load than it saves.
    public func export(limit: Int = 50_000, byteLimit: Int = 32 << 20) -> String {
        lock.lock(); defer { lock.unlock() }
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys]
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
                    guard let json = try? encoder.encode(StoredEntry(summary: entry.summary, dependencies: entry.dependencies)) else { continue }
                    if !keep(key + "\t" + String(decoding: json, as: UTF8.self)) { break export }
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
