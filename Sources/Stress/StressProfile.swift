/// The six workloads of the 2011 thread's "write-after-checksum" (wac) reproducer, as its cover
/// letter lists them: writers that rewrite the same pages madly while those pages are written
/// back. Only the letters and their mix are the thread's; how each writer flushes is ours and is
/// documented in docs/stress.md.
public enum StressProfile: String, CaseIterable, Sendable, Codable, Comparable {
    case A, B, C, D, E, F

    /// How a profile's threads write and flush.
    public enum WriterKind: String, Sendable, Codable {
        /// `pwrite()` of a whole block, then `sync_file_range(WRITE | WAIT_AFTER)` of it.
        case write
        /// A store of a whole block into a shared mapping, then `msync(MS_SYNC)` of it (in
        /// direct mode: a direct `pread()` of the block, which writes the dirty page back first).
        case mmap
    }

    /// How many threads of each kind the profile runs out of `threads`, and whether they use
    /// direct I/O.
    public struct Layout: Sendable, Equatable {
        public var writeThreads: Int
        public var mmapThreads: Int
        public var direct: Bool
    }

    public func layout(threads: Int) -> Layout {
        switch self {
        case .A: return Layout(writeThreads: threads, mmapThreads: 0, direct: false)
        case .B: return Layout(writeThreads: 0, mmapThreads: threads, direct: false)
        case .C: return Layout(writeThreads: threads - threads / 2, mmapThreads: threads / 2, direct: false)
        case .D: return Layout(writeThreads: threads - threads / 2, mmapThreads: threads / 2, direct: true)
        case .E: return Layout(writeThreads: threads, mmapThreads: 0, direct: true)
        case .F: return Layout(writeThreads: 0, mmapThreads: threads, direct: true)
        }
    }

    /// The thread's own words for the profile (with the number of threads asked for).
    public func summary(threads: Int) -> String {
        let l = layout(threads: threads)
        switch self {
        case .A: return "\(l.writeThreads) write() threads + sync_file_range"
        case .B: return "\(l.mmapThreads) mmap write threads + msync"
        case .C: return "\(l.writeThreads) write() threads + sync_file_range + \(l.mmapThreads) mmap write threads + msync"
        case .D: return "C with every thread in direct-I/O mode"
        case .E: return "A with every thread in direct-I/O mode"
        case .F: return "B in direct-I/O mode (mapping of an O_DIRECT descriptor, flushed by a direct read)"
        }
    }

    public var needsDirectIO: Bool { layout(threads: 2).direct }

    public static func < (a: StressProfile, b: StressProfile) -> Bool { a.rawValue < b.rawValue }

    /// `A,B,C` (any case, commas or spaces); nil names the first word that is not a profile.
    public static func parseList(_ text: String) -> Result<[StressProfile], ParseError> {
        var out: [StressProfile] = []
        for word in text.split(whereSeparator: { $0 == "," || $0 == " " }) {
            guard let p = StressProfile(rawValue: word.uppercased()) else { return .failure(ParseError(word: String(word))) }
            if !out.contains(p) { out.append(p) }
        }
        return out.isEmpty ? .failure(ParseError(word: text)) : .success(out.sorted())
    }

    public struct ParseError: Error, Equatable {
        public var word: String
    }
}
