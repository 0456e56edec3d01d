import CStressIO
import Dispatch
import Foundation
import Histogram
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// What a stress run is asked to do.
public struct StressConfiguration: Sendable {
    public var profiles: [StressProfile]
    public var threads: Int
    /// A whole number of blocks (the page size).
    public var fileSize: Int
    /// Per profile.
    public var duration: Double
    public var directory: String
    public var keep: Bool

    public init(profiles: [StressProfile] = StressProfile.allCases, threads: Int = 64, fileSize: Int = 64 << 10,
                duration: Double = 10, directory: String = ".", keep: Bool = false) {
        self.profiles = profiles
        self.threads = threads
        self.fileSize = fileSize
        self.duration = duration
        self.directory = directory
        self.keep = keep
    }
}

/// Raised from a signal handler's queue or a test; the writers look at it between writes.
public final class StopFlag: Sendable {
    private let raised = Atomic<Bool>(false)
    public init() {}
    public func raise() { raised.store(true, ordering: .relaxed) }
    public var isRaised: Bool { raised.load(ordering: .relaxed) }
}

/// Why the directory cannot be used at all (exit 3).
public struct StressSetupError: Error, CustomStringConvertible {
    public var description: String
}

/// How far the running profile has got, for a progress line.
public struct StressProgress: Sendable {
    public var profile: StressProfile
    public var elapsed: Double
    public var duration: Double
    public var operations: Int
    public var errors: Int
}

/// Runs the profiles one after the other on one file: fill it, let the writers rewrite its blocks
/// while flushing them, stop, flush, drop the page cache, and read every block back.
public struct StressRunner: Sendable {
    public var configuration: StressConfiguration
    public var stop: StopFlag
    public var progress: (@Sendable (StressProgress) -> Void)?
    /// Says whether the file (by path) takes direct I/O; the real probe unless a test stands in
    /// for a file system that refuses it.
    public var directIOProbe: @Sendable (_ path: String, _ blockSize: Int) -> StressReport.DirectIOSupport

    public init(configuration: StressConfiguration, stop: StopFlag = StopFlag(),
                progress: (@Sendable (StressProgress) -> Void)? = nil,
                directIOProbe: @escaping @Sendable (String, Int) -> StressReport.DirectIOSupport = StressRunner.probeDirectIO) {
        self.configuration = configuration
        self.stop = stop
        self.progress = progress
        self.directIOProbe = directIOProbe
    }

    public static var blockSize: Int { Int(sysconf(Int32(_SC_PAGESIZE))) }

    /// The file every run uses: one per process, never an existing one.
    public static func filePath(in directory: String) -> String {
        (directory.hasSuffix("/") ? directory : directory + "/") + "spw-review-stress-\(getpid()).dat"
    }

    public func run() throws -> StressReport {
        let c = configuration
        let blockSize = Self.blockSize
        var st = stat()
        guard stat(c.directory, &st) == 0 else {
            throw StressSetupError(description: "cannot use directory '\(c.directory)': \(Self.errorText(errno))")
        }
        guard st.st_mode & S_IFMT == S_IFDIR else { throw StressSetupError(description: "cannot use '\(c.directory)': not a directory") }
        guard access(c.directory, W_OK) == 0 else {
            throw StressSetupError(description: "cannot use directory '\(c.directory)': \(Self.errorText(errno))")
        }
        let path = Self.filePath(in: c.directory)
        let fd = open(path, O_RDWR | O_CREAT | O_EXCL, 0o600)
        guard fd >= 0 else {
            let e = errno
            throw StressSetupError(description: e == EEXIST ? "refusing to run on an existing file '\(path)'"
                                   : "cannot create '\(path)': \(Self.errorText(e))")
        }
        defer {
            close(fd)
            if !c.keep { unlink(path) }
        }
        let direct = directIOProbe(path, blockSize)
        var report = StressReport(file: path, kept: c.keep, fileSize: c.fileSize, blockSize: blockSize,
                                  blocks: c.fileSize / blockSize, threads: c.threads, durationSeconds: c.duration,
                                  directIO: direct, interrupted: false, profiles: [])
        for profile in c.profiles {
            let layout = profile.layout(threads: c.threads)
            var result = ProfileResult(profile: profile.rawValue, description: profile.summary(threads: c.threads), status: .passed,
                                       writeThreads: layout.writeThreads, mmapThreads: layout.mmapThreads, direct: layout.direct)
            if stop.isRaised {
                result.status = .notRun
                result.skipReason = "the run was interrupted before this profile"
            } else if layout.direct && !direct.supported {
                result.status = .skipped
                result.skipReason = "direct I/O is not supported in '\(c.directory)': \(direct.reason ?? "unknown reason")"
            } else {
                let file = StressFile(path: path, fd: fd, blockSize: blockSize, blocks: c.fileSize / blockSize, directRead: direct.supported)
                ProfileRun(profile: profile, layout: layout, configuration: c, file: file, stop: stop, progress: progress)
                    .run(into: &result)
            }
            report.profiles.append(result)
        }
        report.interrupted = stop.isRaised
        return report
    }

    /// Whether the file system takes an aligned `O_DIRECT` write and read of one block; if not,
    /// the system's reason (tmpfs before 6.6 refuses the open, some FUSE file systems the write).
    public static func probeDirectIO(path: String, blockSize: Int) -> StressReport.DirectIOSupport {
        let fd = spw_open_direct(path, O_RDWR, 0)
        guard fd >= 0 else { return .init(supported: false, reason: "open with O_DIRECT: " + errorText(errno)) }
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocateAligned(blockSize)
        defer { buffer.deallocate() }
        StressBlock.fill(buffer, header: .init(profile: 0, writer: StressBlock.initialWriter, sequence: 0, block: 0))
        if pwrite(fd, buffer.baseAddress, blockSize, 0) != blockSize {
            return .init(supported: false, reason: "pwrite with O_DIRECT: " + errorText(errno))
        }
        if pread(fd, buffer.baseAddress, blockSize, 0) != blockSize {
            return .init(supported: false, reason: "pread with O_DIRECT: " + errorText(errno))
        }
        return .init(supported: true, reason: nil)
    }

    static func errorText(_ e: Int32) -> String { String(cString: strerror(e)) }
}

extension UnsafeMutableRawBufferPointer {
    /// Page-aligned, as `O_DIRECT` wants its buffers.
    static func allocateAligned(_ count: Int) -> UnsafeMutableRawBufferPointer {
        .allocate(byteCount: count, alignment: Swift.max(4096, StressRunner.blockSize))
    }
}

/// Nanoseconds on the monotonic clock.
func monotonicNanoseconds() -> UInt64 {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return UInt64(ts.tv_sec) * 1_000_000_000 + UInt64(ts.tv_nsec)
}
