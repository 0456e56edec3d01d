import Foundation

/// What a stress run measured and found: the JSON document (`spw-review-stress/1`, see
/// docs/stress.md) and the source of the text table.
public struct StressReport: Codable, Sendable {
    public var schema = "spw-review-stress/1"
    public var file: String
    /// Whether the file was left in place (`--keep`).
    public var kept: Bool
    public var fileSize: Int
    public var blockSize: Int
    public var blocks: Int
    public var threads: Int
    public var durationSeconds: Double
    public var directIO: DirectIOSupport
    /// Ctrl-C (or SIGTERM) stopped the run: the profile running then is verified and reported,
    /// the later ones are `not-run`.
    public var interrupted: Bool
    public var profiles: [ProfileResult]

    public struct DirectIOSupport: Codable, Sendable, Equatable {
        public var supported: Bool
        /// Why not, in the system's words (`pwrite with O_DIRECT: Invalid argument`).
        public var reason: String?
    }

    /// No verification failure and no I/O error in any profile that ran.
    public var clean: Bool { profiles.allSatisfy { $0.status != .failed } }
    public var skippedAny: Bool { profiles.contains { $0.status == .skipped } }
}

public struct ProfileResult: Codable, Sendable {
    public enum Status: String, Codable, Sendable {
        /// Ran, every block verified, no I/O error.
        case passed
        /// Ran, and a block failed verification or a call failed.
        case failed
        /// Not run: the directory cannot do what the profile needs (direct I/O); `skipReason` says why.
        case skipped
        /// Not run: the run was interrupted before this profile.
        case notRun = "not-run"
    }

    public var profile: String
    public var description: String
    public var status: Status
    public var skipReason: String?
    public var writeThreads: Int
    public var mmapThreads: Int
    public var direct: Bool
    /// Stopped early by an interrupt (still verified).
    public var interrupted = false
    public var seconds: Double = 0
    /// Whole-block writes (a `pwrite` or a store into the mapping).
    public var operations: Int = 0
    public var operationsPerSecond: Double = 0
    public var mibPerSecond: Double = 0
    /// Latency of the flush calls, per call.
    public var flushLatency: [FlushLatency] = []
    /// Failed calls by call and errno, with where the first ones were.
    public var errors: [CallErrors] = []
    public var verification: Verification?

    public struct FlushLatency: Codable, Sendable {
        public var call: String
        public var count: Int
        public var p50Microseconds: Double
        public var p99Microseconds: Double
        public var maxMicroseconds: Double
    }

    public struct CallErrors: Codable, Sendable {
        public var call: String
        public var errno: Int32
        /// `EIO`, `EILSEQ`, …: EIO and EILSEQ are how DIF/DIX and data-checksum failures reach
        /// user space.
        public var name: String
        public var message: String
        public var count: Int
        /// The first few failures: byte offset and writer thread (-1: the run itself).
        public var first: [Occurrence]

        public struct Occurrence: Codable, Sendable, Equatable {
            public var offset: Int
            public var thread: Int
        }
    }

    public struct Verification: Codable, Sendable {
        public var blocks: Int
        public var intact: Int
        /// Read back through `O_DIRECT` (else buffered, after dropping the page cache).
        public var directRead: Bool
        /// Header whole, payload not the one it describes: a torn or unstable write.
        public var torn: [BlockProblem] = []
        /// Whole, but not the last write made to the block: a lost write.
        public var stale: [BlockProblem] = []
        /// Not a block of ours, or one of another block or profile: misdirected or garbage.
        public var noHeader: [BlockProblem] = []
        /// Could not be read back at all.
        public var readErrors: [BlockProblem] = []
        /// How many of each there were (the lists keep the first few).
        public var counts: Counts = Counts()

        public struct Counts: Codable, Sendable, Equatable {
            public var torn = 0
            public var stale = 0
            public var noHeader = 0
            public var readErrors = 0
        }

        public var failed: Bool { counts != Counts() }
    }

    public struct BlockProblem: Codable, Sendable, Equatable {
        public var offset: Int
        public var block: Int
        public var writer: Int?
        public var sequence: UInt64?
        public var expectedWriter: Int?
        public var expectedSequence: UInt64?
        public var errno: Int32?
    }
}

extension StressReport {
    /// The JSON document, keys sorted, one per run.
    public func json() -> String {
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.sortedKeys, .prettyPrinted, .withoutEscapingSlashes]
        return String(decoding: (try? encoder.encode(self)) ?? Data(), as: UTF8.self)
    }

    /// A table a person reads: one line per profile, then what went wrong, block by block.
    public func text() -> String {
        var lines: [String] = []
        let sizeText = fileSize % (1 << 20) == 0 ? "\(fileSize >> 20) MiB" : fileSize % 1024 == 0 ? "\(fileSize >> 10) KiB" : "\(fileSize) bytes"
        lines.append("spw-review stress: \(file) (\(sizeText), \(blocks) blocks of \(blockSize) bytes), \(threads) threads, \(Self.seconds(durationSeconds)) per profile")
        if !directIO.supported { lines.append("direct I/O: not supported here (\(directIO.reason ?? "unknown reason"))") }
        let header = ["profile", "writers", "ops/s", "MiB/s", "flush", "p50 µs", "p99 µs", "max µs", "errors", "verification"]
        var rows: [[String]] = [header]
        for p in profiles {
            let writers = [p.writeThreads > 0 ? "\(p.writeThreads) write" : nil, p.mmapThreads > 0 ? "\(p.mmapThreads) mmap" : nil]
                .compactMap { $0 }.joined(separator: "+") + (p.direct ? " direct" : "")
            switch p.status {
            case .skipped, .notRun:
                rows.append([p.profile, writers, "-", "-", "-", "-", "-", "-", "-", p.status == .skipped ? "skipped" : "not run"])
                continue
            case .passed, .failed: break
            }
            let errors = p.errors.reduce(0) { $0 + $1.count }
            let verdict: String
            if let v = p.verification {
                verdict = v.failed ? "FAILED: " + [("torn", v.counts.torn), ("stale", v.counts.stale), ("no header", v.counts.noHeader),
                                                   ("unreadable", v.counts.readErrors)].filter { $0.1 > 0 }.map { "\($0.1) \($0.0)" }.joined(separator: ", ")
                    : "\(v.intact) blocks intact"
            } else {
                verdict = "not verified"
            }
            let latencies = p.flushLatency.isEmpty ? [ProfileResult.FlushLatency(call: "-", count: 0, p50Microseconds: 0, p99Microseconds: 0, maxMicroseconds: 0)] : p.flushLatency
            for (i, l) in latencies.enumerated() {
                let first = i == 0
                rows.append([first ? p.profile : "", first ? writers : "", first ? String(format: "%.0f", p.operationsPerSecond) : "",
                             first ? String(format: "%.1f", p.mibPerSecond) : "", l.call,
                             Self.micro(l.p50Microseconds), Self.micro(l.p99Microseconds), Self.micro(l.maxMicroseconds), first ? String(errors) : "",
                             first ? verdict + (p.interrupted ? " (interrupted)" : "") : ""])
            }
        }
        var widths = header.map { _ in 0 }
        for row in rows { for (i, cell) in row.enumerated() { widths[i] = max(widths[i], cell.count) } }
        for row in rows {
            lines.append(row.enumerated().map { i, cell in
                i == row.count - 1 ? cell : cell.padding(toLength: widths[i], withPad: " ", startingAt: 0)
            }.joined(separator: "  ").trimmingTrailingSpaces())
        }
        for p in profiles {
            if let reason = p.skipReason { lines.append("\(p.profile): skipped: \(reason)") }
            for e in p.errors {
                let at = e.first.map { "offset \($0.offset)" + ($0.thread >= 0 ? " (thread \($0.thread))" : "") }.joined(separator: ", ")
                lines.append("\(p.profile): \(e.call): \(e.message) (\(e.name)), \(e.count) time\(e.count == 1 ? "" : "s"): \(at)")
            }
            guard let v = p.verification else { continue }
            for (what, list) in [("torn block", v.torn), ("stale block", v.stale), ("block without our header", v.noHeader),
                                 ("unreadable block", v.readErrors)] {
                for b in list { lines.append("\(p.profile): \(what) at offset \(b.offset): \(Self.describe(b))") }
            }
        }
        lines.append(clean ? (interrupted ? "interrupted: what ran is verified and clean" : "every profile that ran verified clean")
                     : "FAILED: see the lines above; docs/stress.md says what each failure means")
        return lines.joined(separator: "\n") + "\n"
    }

    static func describe(_ b: ProfileResult.BlockProblem) -> String {
        var parts: [String] = []
        if let w = b.writer { parts.append("written by " + (w == Int(StressBlock.initialWriter) ? "the initial fill" : "thread \(w)")) }
        if let s = b.sequence { parts.append("sequence \(s)") }
        if let w = b.expectedWriter, let s = b.expectedSequence {
            parts.append("last write was " + (w == Int(StressBlock.initialWriter) ? "the initial fill" : "thread \(w) sequence \(s)"))
        }
        if let e = b.errno { parts.append(String(cString: strerror(e))) }
        return parts.isEmpty ? "block \(b.block)" : parts.joined(separator: ", ")
    }

    /// Whole microseconds, with a decimal below ten (a direct sync_file_range takes about one).
    static func micro(_ us: Double) -> String { String(format: us < 10 ? "%.1f" : "%.0f", us) }

    static func seconds(_ s: Double) -> String {
        s < 1 ? String(format: "%.0f ms", s * 1000) : s == s.rounded() ? String(format: "%.0f s", s) : String(format: "%.1f s", s)
    }
}

extension String {
    func trimmingTrailingSpaces() -> String {
        var s = self
        while s.hasSuffix(" ") { s.removeLast() }
        return s
    }
}
