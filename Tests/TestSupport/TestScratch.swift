import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// One scratch directory per test process, removed when the process exits: the repositories,
/// mails and caches tests make never pile up in the machine's temporary directory.
public enum TestScratch {
    public static let root: URL = {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("spw-tests-\(getpid())-\(UUID().uuidString)")
        try? FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        atexit { try? FileManager.default.removeItem(at: TestScratch.root) }
        return url
    }()
}
