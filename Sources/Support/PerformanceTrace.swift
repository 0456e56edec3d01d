#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Phase timings on stderr when `SPW_REVIEW_TRACE_PERFORMANCE` is set (to `1`, `true` or a
/// file path), in the spirit of git's `GIT_TRACE_PERFORMANCE`: for finding where a slow review
/// spends its time without a profiler.
public enum PerformanceTrace {
    private static let destination: Int32? = {
        guard let value = getenv("SPW_REVIEW_TRACE_PERFORMANCE").map({ String(cString: $0) }),
              !value.isEmpty, value != "0", value != "false" else { return nil }
        if value == "1" || value == "true" || value == "2" { return 2 }
        let fd = open(value, O_WRONLY | O_CREAT | O_APPEND, 0o644)
        return fd >= 0 ? fd : 2
    }()

    public static var isEnabled: Bool { destination != nil }

    public static func now() -> Double {
        var ts = timespec()
        clock_gettime(CLOCK_MONOTONIC, &ts)
        return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
    }

    /// Runs `body` and, when tracing, writes `performance: 0.123456 s: <what>`.
    @discardableResult
    public static func measure<T>(_ what: @autoclosure () -> String, _ body: () throws -> T) rethrows -> T {
        guard destination != nil else { return try body() }
        let start = now(), cpuStart = cpu()
        let result = try body()
        record(what(), since: start, cpuSince: cpuStart)
        return result
    }

    /// User and system time of the whole process so far: set beside the wall time of a phase,
    /// it shows whether the phase kept both cores busy.
    public static func cpu() -> Double {
        var usage = rusage()
        #if canImport(Glibc)
        getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
        #else
        getrusage(RUSAGE_SELF, &usage)
        #endif
        return Double(usage.ru_utime.tv_sec + usage.ru_stime.tv_sec)
            + Double(usage.ru_utime.tv_usec + usage.ru_stime.tv_usec) / 1e6
    }

    /// When tracing, writes `performance: <seconds since start> s: <what>` (for work that cannot
    /// be a closure, such as a call that consumes a value).
    public static func record(_ what: @autoclosure () -> String, since start: Double, cpuSince cpuStart: Double? = nil) {
        guard let fd = destination else { return }
        let cpuTime = cpuStart.map { "cpu \(format6(cpu() - $0)) s, " } ?? ""
        let line = "performance: \(String(format6(now() - start))) s: \(what())\(memory(prefix: cpuTime))\n"
        _ = line.withCString { write(fd, $0, strlen($0)) }
    }

    /// ` (cpu 0.2 s, resident 12 MiB, peak 20 MiB)`: memory from /proc, where there is one.
    private static func memory(prefix: String) -> String {
        guard let file = fopen("/proc/self/status", "r") else { return "" }
        defer { fclose(file) }
        var resident = "", peak = ""
        var buffer = [CChar](repeating: 0, count: 256)
        while fgets(&buffer, 256, file) != nil {
            let line = String(cString: buffer)
            let kib = line.split(separator: " ", omittingEmptySubsequences: true).dropFirst().first.flatMap { Int($0) }
            if line.hasPrefix("VmRSS:"), let kib { resident = "\(kib / 1024)" }
            if line.hasPrefix("VmHWM:"), let kib { peak = "\(kib / 1024)" }
        }
        if resident.isEmpty { return prefix.isEmpty ? "" : " (\(prefix.dropLast(2)))" }
        return " (\(prefix)resident \(resident) MiB, peak \(peak) MiB)"
    }

    private static func format6(_ seconds: Double) -> String {
        let micros = Int((seconds * 1_000_000).rounded())
        let fraction = String(micros % 1_000_000)
        return "\(micros / 1_000_000)." + String(repeating: "0", count: 6 - fraction.count) + fraction
    }
}
