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
    }
}

/// What `review` keeps between runs: the prefilter's answers per git blob id (does the file
/// mention an entry-point token, which functions does it define), so a review against a base it
/// has seen before reads only the blobs that can matter. Content-addressed, hence shared by every
/// repository; written under the scan cache's directory, replaced atomically; a different binary
/// or token list starts afresh.
struct PrefilterFactsFile {
    let path: String
    let header: String

    init?() {
        guard let cache = ScanCache() else { return nil }
        path = cache.directory + "/prefilter-facts"
        header = "spw-review prefilter facts 1 " + ScanCache.key([ScanCache.executableFingerprint]
            + StablePageEngine.entryTokens)
    }

    func load(into parseCache: ParseCache) {
        guard let data = FileManager.default.contents(atPath: path) else { return }
        let text = String(decoding: data, as: UTF8.self)
        guard let newline = text.firstIndex(of: "\n"), text[..<newline] == header else { return }
        parseCache.importFacts(text[text.index(after: newline)...])
    }

    func save(from parseCache: ParseCache) {
        guard parseCache.learntFacts else { return }
        let directory = (path as NSString).deletingLastPathComponent
        try? FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        let tmp = "\(path).\(getpid())"
        guard FileManager.default.createFile(atPath: tmp, contents: Data((header + "\n" + parseCache.exportFacts()).utf8)) else { return }
        if rename(tmp, path) != 0 { unlink(tmp) }
    }
}
