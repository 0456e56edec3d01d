// CSyntax benchmark (issue 4): parse every .c file under the given roots and build the control-flow
// graph of every function, streaming files across worker threads; then time Universal Ctags and
// `cat` over the same file list, for a ratio measured in one run.
//
//   csyntax-bench [--jobs N] [--no-compare] ROOT...
//
// Prints MB/s overall and per core, function/block/recovery counts and peak RSS (VmHWM).
import CSyntax
import Dispatch
import Foundation

struct Options {
    var jobs = ProcessInfo.processInfo.activeProcessorCount
    var compare = true
    var roots: [String] = []
}

func parseOptions() -> Options {
    var o = Options()
    var args = CommandLine.arguments.dropFirst()
    while let a = args.popFirst() {
        switch a {
        case "--jobs": o.jobs = Int(args.popFirst() ?? "") ?? o.jobs
        case "--no-compare": o.compare = false
        default: o.roots.append(a)
        }
    }
    if o.roots.isEmpty {
        FileHandle.standardError.write(Data("usage: csyntax-bench [--jobs N] [--no-compare] ROOT...\n".utf8))
        exit(2)
    }
    return o
}

func cFiles(under roots: [String]) -> [String] {
    var files: [String] = []
    for root in roots {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory) else { continue }
        if !isDirectory.boolValue { files.append(root); continue }
        let enumerator = FileManager.default.enumerator(atPath: root)
        while let relative = enumerator?.nextObject() as? String {
            if relative.hasSuffix(".c") { files.append(root + "/" + relative) }
        }
    }
    return files.sorted()
}

func readFile(_ path: String) -> [UInt8]? {
    let fd = open(path, O_RDONLY)
    if fd < 0 { return nil }
    defer { close(fd) }
    var st = stat()
    if fstat(fd, &st) != 0 { return nil }
    let size = Int(st.st_size)
    return [UInt8](unsafeUninitializedCapacity: size) { buffer, count in
        var done = 0
        while done < size {
            let n = read(fd, buffer.baseAddress! + done, size - done)
            if n <= 0 { break }
            done += n
        }
        count = done
    }
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

func peakRSSMegabytes() -> Double {
    guard let status = try? String(contentsOfFile: "/proc/self/status", encoding: .utf8) else { return 0 }
    for line in status.split(separator: "\n") where line.hasPrefix("VmHWM:") {
        let kb = line.split(separator: " ").compactMap { Double($0) }.first ?? 0
        return kb / 1024
    }
    return 0
}

final class Totals: @unchecked Sendable {
    let lock = NSLock()
    var next = 0
    var bytes = 0
    var functions = 0
    var blocks = 0
    var recoveries = 0
    var files = 0
    var busySeconds = 0.0
}

/// `CSYNTAX_BENCH_NO_CFG=1` measures parsing alone.
let buildGraphs = ProcessInfo.processInfo.environment["CSYNTAX_BENCH_NO_CFG"] == nil

func run(_ files: [String], jobs: Int) -> (seconds: Double, totals: Totals) {
    let totals = Totals()
    let start = now()
    DispatchQueue.concurrentPerform(iterations: jobs) { _ in
        var bytes = 0, functions = 0, blocks = 0, recoveries = 0, count = 0
        var busy = 0.0
        while true {
            totals.lock.lock()
            let i = totals.next
            totals.next += 1
            totals.lock.unlock()
            if i >= files.count { break }
            guard let source = readFile(files[i]) else { continue }
            let t0 = now()
            let parsed = CParser.parse(source, path: files[i])
            if buildGraphs {
                for function in parsed.functions {
                    blocks += ControlFlowGraph.build(function, in: parsed).blocks.count
                }
            }
            busy += now() - t0
            bytes += source.count
            functions += parsed.functions.count
            recoveries += parsed.recoveries.count
            count += 1
        }
        totals.lock.lock()
        totals.bytes += bytes
        totals.functions += functions
        totals.blocks += blocks
        totals.recoveries += recoveries
        totals.files += count
        totals.busySeconds += busy
        totals.lock.unlock()
    }
    return (now() - start, totals)
}

func shell(_ command: String) -> Double {
    let p = Process()
    p.executableURL = URL(fileURLWithPath: "/bin/sh")
    p.arguments = ["-c", command]
    let t0 = now()
    try? p.run()
    p.waitUntilExit()
    return now() - t0
}

let options = parseOptions()
let files = cFiles(under: options.roots)
let (seconds, totals) = run(files, jobs: options.jobs)
let megabytes = Double(totals.bytes) / 1e6
print(String(format: "csyntax: %d files, %.1f MB, %d functions, %d CFG blocks, %d recoveries",
             totals.files, megabytes, totals.functions, totals.blocks, totals.recoveries))
print(String(format: "csyntax: %.2f s wall with %d jobs = %.1f MB/s; %.1f MB/s per core (parse+CFG time only)",
             seconds, options.jobs, megabytes / seconds, megabytes / totals.busySeconds))
print(String(format: "csyntax: peak RSS %.0f MB", peakRSSMegabytes()))

if options.compare {
    let list = NSTemporaryDirectory() + "csyntax-bench-files.\(getpid())"
    try? files.joined(separator: "\n").appending("\n").write(toFile: list, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(atPath: list) }
    let cat = shell("xargs -d '\\n' -P \(options.jobs) -n 1000 cat < \(list) > /dev/null")
    let ctags = shell("xargs -d '\\n' -P \(options.jobs) -n 1000 ctags --c-kinds=f -x --language-force=C < \(list) > /dev/null")
    print(String(format: "cat:    %.2f s wall with %d jobs = %.1f MB/s (I/O floor)", cat, options.jobs, megabytes / cat))
    print(String(format: "ctags:  %.2f s wall with %d jobs = %.1f MB/s; csyntax/ctags time ratio %.2f",
                 ctags, options.jobs, megabytes / ctags, seconds / ctags))
}
