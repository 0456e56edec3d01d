import CSyntax
import Dispatch
import Foundation
import Testing

/// Checks against a real kernel tree: Debian's linux-source-6.1, unpacked by `scripts/kernel-tree.sh`
/// to /var/cache/spw-review/linux-source-6.1 (or wherever SPW_KERNEL_TREE points). Skipped when the
/// tree or Universal Ctags is absent.
enum KernelTree {
    static let path: String? = {
        let candidates = [ProcessInfo.processInfo.environment["SPW_KERNEL_TREE"],
                          "/var/cache/spw-review/linux-source-6.1"].compactMap { $0 }
        return candidates.first { FileManager.default.fileExists(atPath: $0 + "/mm/filemap.c") }
    }()

    static let ctags: String? = ["/usr/bin/ctags", "/usr/local/bin/ctags"].first {
        FileManager.default.isExecutableFile(atPath: $0)
    }

    static var available: Bool { path != nil && ctags != nil }

    static func cFiles(_ directory: String) -> [String] {
        guard let root = path, let e = FileManager.default.enumerator(atPath: root + "/" + directory) else { return [] }
        var files: [String] = []
        while let relative = e.nextObject() as? String {
            if relative.hasSuffix(".c") { files.append(directory + "/" + relative) }
        }
        return files.sorted()
    }

    /// Work shared by the parsing threads; `body` runs under the lock.
    final class SharedWork: @unchecked Sendable {
        let lock = NSLock()
        var next = 0
        let files: [String]
        let body: (ParsedFile) -> Void
        init(_ files: [String], _ body: @escaping (ParsedFile) -> Void) { self.files = files; self.body = body }
    }

    /// Parses `files` (relative to the tree) on all cores and hands each result to `body`, serialised.
    static func parseAll(_ files: [String], _ body: @escaping (ParsedFile) -> Void) {
        let work = SharedWork(files, body)
        let root = path!
        DispatchQueue.concurrentPerform(iterations: ProcessInfo.processInfo.activeProcessorCount) { _ in
            while true {
                work.lock.lock()
                let i = work.next
                work.next += 1
                work.lock.unlock()
                if i >= work.files.count { return }
                guard let data = FileManager.default.contents(atPath: root + "/" + work.files[i]) else { continue }
                let parsed = CParser.parse([UInt8](data), path: work.files[i])
                work.lock.lock()
                work.body(parsed)
                work.lock.unlock()
            }
        }
    }

    /// (file, line) of every function ctags reports, run with the tree as working directory.
    static func ctagsFunctions(_ files: [String]) throws -> Set<String> {
        // Unique per call: the parameterized cases run in parallel and must not share a list file.
        let list = NSTemporaryDirectory() + "spw-ctags-list-\(getpid())-\(UUID().uuidString)"
        try files.joined(separator: "\n").write(toFile: list, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(atPath: list) }
        let process = Process()
        process.executableURL = URL(fileURLWithPath: ctags!)
        process.arguments = ["--c-kinds=f", "-x", "--language-force=C", "-L", list]
        process.currentDirectoryURL = URL(fileURLWithPath: path!)
        let pipe = Pipe()
        process.standardOutput = pipe
        try process.run()
        let data = pipe.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        var keys = Set<String>()
        for line in String(decoding: data, as: UTF8.self).split(separator: "\n") {
            // name kind line file text...
            let fields = line.split(separator: " ", maxSplits: 4, omittingEmptySubsequences: true)
            if fields.count >= 4 { keys.insert("\(fields[3])\t\(fields[2])") }
        }
        return keys
    }
}

@Suite(.enabled(if: KernelTree.available,
                "kernel tree or ctags absent: run scripts/kernel-tree.sh (or set SPW_KERNEL_TREE) to enable"))
struct KernelTreeTests {
    static let directories = ["fs", "mm", "block", "drivers/block"]

    @Test(arguments: directories)
    func functionDefinitionsMatchCtags(directory: String) throws {
        let files = KernelTree.cFiles(directory)
        #expect(!files.isEmpty)
        let oracle = try KernelTree.ctagsFunctions(files)
        var ours = Set<String>()
        var recoveries = 0
        KernelTree.parseAll(files) { parsed in
            for f in parsed.functions { ours.insert("\(parsed.path)\t\(f.line)") }
            recoveries += parsed.recoveries.count
        }
        let misses = oracle.subtracting(ours).sorted()
        let extras = ours.subtracting(oracle).sorted()
        let recall = Double(oracle.count - misses.count) / Double(max(1, oracle.count))
        let precision = Double(ours.count - extras.count) / Double(max(1, ours.count))
        let report = NSTemporaryDirectory() + "spw-ctags-misses-" + directory.replacingOccurrences(of: "/", with: "-")
        try ("# ctags functions we did not find (file, line)\n" + misses.joined(separator: "\n")
            + "\n# functions we found that ctags did not\n" + extras.joined(separator: "\n") + "\n")
            .write(toFile: report, atomically: true, encoding: .utf8)
        print(String(format: "%@: %d files, ctags %d, ours %d, recall %.3f%%, precision %.3f%%, %d recoveries; misses in %@",
                     directory, files.count, oracle.count, ours.count, recall * 100, precision * 100, recoveries, report))
        #expect(recall >= 0.995, "recall \(recall) below 99.5%; misses listed in \(report)")
    }

    /// Every `struct vm_operations_struct`/`address_space_operations` initializer in fs/ and mm/, with
    /// its `.slot = function` pairs, as a line-based grep would find them.
    static func groundTruth(_ text: String) -> [(variable: String, pairs: Set<String>)] {
        var result: [(String, Set<String>)] = []
        let lines = text.split(separator: "\n", omittingEmptySubsequences: false)
        var i = 0
        let head = try! Regex(#"struct\s+(vm_operations_struct|address_space_operations)\s+(\w+)\s*(\[\s*\])?\s*=\s*\{"#)
        let slot = try! Regex(#"^\s*\.(\w+)\s*=\s*(\w+)\s*,?\s*(/\*.*)?$"#)
        while i < lines.count {
            if let m = lines[i].firstMatch(of: head), !lines[i].hasPrefix("#define"), !lines[i].hasSuffix("\\") {
                let variable = String(m.output[2].substring ?? "")
                var pairs = Set<String>()
                var j = i + 1
                while j < lines.count && !lines[j].hasPrefix("}") {
                    if let s = lines[j].firstMatch(of: slot) {
                        let name = String(s.output[1].substring ?? ""), value = String(s.output[2].substring ?? "")
                        if value.contains(where: { $0.isLowercase }) { pairs.insert(name + "=" + value) }
                    }
                    j += 1
                }
                result.append((variable, pairs))
                i = j
            }
            i += 1
        }
        return result
    }

    @Test func opsInitializersMatchGrep() throws {
        let files = KernelTree.cFiles("fs") + KernelTree.cFiles("mm")
        var expected: [String: Set<String>] = [:]   // "file variable" -> pairs
        var found: [String: Set<String>] = [:]
        var skipped = 0
        KernelTree.parseAll(files) { parsed in
            let text = String(decoding: parsed.source, as: UTF8.self)
            guard text.contains("vm_operations_struct") || text.contains("address_space_operations") else { return }
            for (variable, pairs) in Self.groundTruth(text) {
                let key = parsed.path + " " + variable
                expected[key, default: []].formUnion(pairs)
            }
            for b in parsed.opsBindings where b.kind == .designatedInitializer
                && (b.structType == "vm_operations_struct" || b.structType == "address_space_operations")
            {
                found[parsed.path + " " + b.variable, default: []].insert(b.slot + "=" + b.function)
            }
            skipped += parsed.skippedRegions.count
        }
        var missing: [String] = []
        var total = 0
        for (key, pairs) in expected.sorted(by: { $0.key < $1.key }) {
            total += pairs.count
            let ours = found[key] ?? []
            if ours.isEmpty && !pairs.isEmpty { missing.append("\(key): initializer not found") ; continue }
            for p in pairs.subtracting(ours).sorted() { missing.append("\(key): \(p)") }
        }
        print("ops initializers in fs/ and mm/: \(expected.count) by grep, \(found.count) parsed, \(total) slot bindings by grep, \(missing.count) missing")
        for m in missing { print("  missing \(m)") }
        #expect(expected.count > 100)
        #expect(missing.isEmpty)
    }
}
