import Foundation
import StablePages
#if canImport(Glibc)
import Glibc
#endif

/// The scan's warm cache: the output of a scan, keyed by what it read. The key hashes the
/// path, size and modification time of every file the scan could read, the model (built-in
/// and `.spw-review.toml`), the tool's version and the output options; any change means a full
/// scan. Stored under `$XDG_CACHE_HOME/spw-review` (or `~/.cache/spw-review`).
struct ScanCache {
    let directory: String

    init?() {
        let env = ProcessInfo.processInfo.environment
        let base = env["XDG_CACHE_HOME"].flatMap { $0.isEmpty ? nil : $0 }
            ?? env["HOME"].map { $0 + "/.cache" }
        guard let base else { return nil }
        directory = base + "/spw-review"
    }

    /// FNV-1a over the parts, as hex.
    static func key(_ parts: [String]) -> String {
        var hash: UInt64 = 0xcbf29ce484222325
        for part in parts {
            for byte in part.utf8 {
                hash ^= UInt64(byte)
                hash = hash &* 0x100000001b3
            }
            hash ^= 0xff
            hash = hash &* 0x100000001b3
        }
        return String(hash, radix: 16)
    }

    /// The running binary, by size and modification time: a rebuilt tool with the same version
    /// string (every development build) may analyse differently, so its scans do not share.
    static var executableFingerprint: String {
        var st = stat()
        guard stat("/proc/self/exe", &st) == 0 else { return CommandLine.arguments.first ?? "" }
        return "\(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec) \(st.st_ino)"
    }

    /// `path size mtime` for each file, by stat only.
    static func fingerprint(root: String, files: [String]) -> [String] {
        files.map { path in
            var st = stat()
            guard stat(root + "/" + path, &st) == 0 else { return path }
            return "\(path) \(st.st_size) \(st.st_mtim.tv_sec).\(st.st_mtim.tv_nsec)"
        }
    }

    func load(_ key: String) -> (output: String, status: Int32)? {
        guard let data = FileManager.default.contents(atPath: "\(directory)/scan-\(key)") else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let newline = text.firstIndex(of: "\n"), let status = Int32(text[..<newline]) else { return nil }
        return (String(text[text.index(after: newline)...]), status)
    }

    func store(_ key: String, output: String, status: Int32) {
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tmp = "\(directory)/.scan-\(key)-\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data("\(status)\n\(output)".utf8)) else { return }
        rename(tmp, "\(directory)/scan-\(key)")
        prune()
    }

    /// Most scan results kept: one per tree state scanned, so an edited tree leaves its earlier
    /// states behind; the oldest go first.
    static let keptScans = 32

    func prune() {
        let manager = FileManager.default
        guard let names = try? manager.contentsOfDirectory(atPath: directory) else { return }
        let scans = names.filter { $0.hasPrefix("scan-") && !$0.contains(".") }
        guard scans.count > Self.keptScans else { return }
        let dated = scans.map { name -> (String, Date) in
            let date = (try? manager.attributesOfItem(atPath: "\(directory)/\(name)")[.modificationDate] as? Date) ?? .distantPast
            return (name, date ?? .distantPast)
        }.sorted { $0.1 > $1.1 }
        for (name, _) in dated.dropFirst(Self.keptScans) { try? manager.removeItem(atPath: "\(directory)/\(name)") }
    }
}

/// A text file under the scan cache's directory whose first line says which binary (and what
/// else) wrote it: a different header starts afresh. Replaced atomically.
struct CacheTextFile {
    let path: String
    let header: String

    init?(name: String, header parts: [String]) {
        guard let cache = ScanCache() else { return nil }
        path = cache.directory + "/" + name
        // "prefilter-facts" → "spw-review prefilter facts 1 <key>", as since session 2.
        header = "spw-review \(name.replacingOccurrences(of: "-", with: " ")) 1 " + ScanCache.key([ScanCache.executableFingerprint] + parts)
    }

    /// The text after the header, when the header matches.
    func load() -> Substring? {
        guard let data = FileManager.default.contents(atPath: path) else { return nil }
        let text = String(decoding: data, as: UTF8.self)
        guard let newline = text.firstIndex(of: "\n"), text[..<newline] == header else { return nil }
        return text[text.index(after: newline)...]
    }

    /// Appends `lines` when the file is there with this header and stays under `byteLimit`;
    /// false when it must be written whole instead.
    func append(_ lines: String, keepingUnder byteLimit: Int) -> Bool {
        let fd = open(path, O_RDWR | O_APPEND)
        guard fd >= 0 else { return false }
        defer { close(fd) }
        var st = stat()
        guard fstat(fd, &st) == 0, st.st_size > 0, Int(st.st_size) + lines.utf8.count < byteLimit else { return false }
        // After a write cut short the file does not end a line: the first new one would be lost.
        var last: UInt8 = 0
        guard pread(fd, &last, 1, st.st_size - 1) == 1, last == 0x0A else { return false }
        let expected = Array((header + "\n").utf8)
        var head = [UInt8](repeating: 0, count: expected.count)
        guard pread(fd, &head, head.count, 0) == head.count, head == expected else { return false }
        return Array(lines.utf8).withUnsafeBytes { bytes in
            var done = 0
            while done < bytes.count {
                let n = write(fd, bytes.baseAddress! + done, bytes.count - done)
                if n <= 0 { return false }
                done += n
            }
            return true
        }
    }

    func save(_ body: String) {
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tmp = "\(path).\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data((header + "\n" + body).utf8)) else { return }
        if rename(tmp, path) != 0 { unlink(tmp) }
    }
}

/// What `review` keeps between runs: the prefilter's answers per git blob id (does the file
/// mention an entry-point token, which functions does it define, what does it include), so a
/// review against a base it has seen before reads only the blobs that can matter.
/// Content-addressed, hence shared by every repository; a different binary or token list
/// starts afresh.
struct PrefilterFactsFile {
    let file: CacheTextFile

    init?(tokens: [String]) {
        guard let file = CacheTextFile(name: "prefilter-facts", header: tokens) else { return nil }
        self.file = file
    }

    func load(into parseCache: ParseCache) {
        let file = self.file
        parseCache.importFacts(later: { file.load() })
    }

    func save(from parseCache: ParseCache) {
        guard parseCache.learntFacts else { return }
        file.save(parseCache.exportFacts())
    }
}

/// What `review` keeps of the analysis between runs: function summaries with what each was
/// derived from (bodies by path, line and fingerprint; every lookup), so a review of another
/// series on a base reviewed before walks only what differs. A different binary or model
/// (`.spw-review.toml`) starts afresh.
struct SummaryFile {
    let file: CacheTextFile

    init?(model: StablePageModel, configText: String) {
        guard let file = CacheTextFile(name: "summaries", header: ["\(model.entries.count)", configText]) else { return nil }
        self.file = file
    }

    func load(into store: SummaryStore) { file.load().map(store.load) }

    func save(from store: SummaryStore) {
        guard store.learnt else { return }
        file.save(store.export())
    }
}

/// What `review` keeps by git tree id (`tree-reads`: which files a tree's analysis read, see
/// `ReadRecords`; `tree-results`: what it found, see `TreeResultCache`), so a base reviewed
/// before is neither searched nor analysed again. A different binary, model
/// (`.spw-review.toml`) or token list starts afresh.
struct KeptByTreeFile {
    let file: CacheTextFile

    init?(name: String, model: StablePageModel, configText: String, tokens: [String]) {
        guard let file = CacheTextFile(name: name, header: ["\(model.entries.count)", configText] + tokens) else { return nil }
        self.file = file
    }

    func load(into read: (Substring) -> Void) { file.load().map(read) }

    /// Written only when the run learnt something.
    func save(learnt: Bool, _ text: () -> String) {
        guard learnt else { return }
        file.save(text())
    }
}
