import Foundation
import TestSupport
import Testing

/// Issue 19: `make example` / `make test` on a machine where another apt process holds the dpkg
/// lock say why they stopped. `scripts/install-deps.sh` is run with stand-ins for `dpkg` (the
/// package is missing), `id` (root) and `apt-get` (prints what apt prints when the lock is held).
struct InstallDepsTests {
    static func run(aptSays message: String, aptStatus: Int) throws -> ProcessRunner.Output {
        let stubs = TestScratch.root.appendingPathComponent("spw-stubs-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: stubs, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: stubs) }
        let scripts = [
            "dpkg-query": "#!/bin/sh\nexit 1\n",
            "id": "#!/bin/sh\necho 0\n",
            "apt-get": "#!/bin/sh\necho '\(message)' >&2\nexit \(aptStatus)\n",
        ]
        for (name, text) in scripts {
            let path = stubs.appendingPathComponent(name).path
            try text.write(toFile: path, atomically: true, encoding: .utf8)
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: path)
        }
        let script = Binary.packageRoot.appendingPathComponent("scripts/install-deps.sh").path
        return try ProcessRunner.run(["bash", script, "libgit2-dev"],
                                     environment: ["PATH": stubs.path + ":/usr/bin:/bin"])
    }

    @Test func aHeldDpkgLockIsNamed() throws {
        let out = try Self.run(aptSays: "E: Could not get lock /var/lib/dpkg/lock-frontend. It is held by process 4242 (apt-get)",
                               aptStatus: 100)
        #expect(out.status == 1)
        #expect(out.stderr.contains("another apt/dpkg process holds the dpkg lock (held by process 4242 (apt-get))"))
        #expect(out.stderr.contains("apt-get install libgit2-dev"))
    }

    @Test func anyOtherFailureShowsAptsOwnWords() throws {
        let out = try Self.run(aptSays: "E: Unable to locate package libgit2-dev", aptStatus: 100)
        #expect(out.status == 1)
        #expect(out.stderr.contains("E: Unable to locate package libgit2-dev"))
        #expect(!out.stderr.contains("dpkg lock"))
    }
}
