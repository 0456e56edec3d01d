import CStressIO
import Dispatch
import Foundation
import Histogram
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// One profile on the stress file: the writer threads, then the flush, the dropped cache and the
/// verification pass.
final class ProfileRun: @unchecked Sendable {
    let profile: StressProfile
    let layout: StressProfile.Layout
    let configuration: StressConfiguration
    let file: StressFile
    let stop: StopFlag
    let progress: (@Sendable (StressProgress) -> Void)?

    /// One mutex per block: a writer owns its block while it writes it, so the last write of a
    /// block is known (the verification checks it was not lost) and two stores never mix in
    /// the mapping. The flush runs after the unlock: others may rewrite the block while it is
    /// under writeback, which is the point.
    private let locks: UnsafeMutablePointer<pthread_mutex_t>
    /// Who wrote each block last, and their sequence number (under the block's mutex).
    private let lastWriter: UnsafeMutablePointer<UInt32>
    private let lastSequence: UnsafeMutablePointer<UInt64>
    private let operations = Atomic<Int>(0)
    private let failedCalls = Atomic<Int>(0)
    private let outcomes = Mutex<[WriterOutcome]>([])

    struct Failure {
        var call: String
        var errno: Int32
        var offset: Int
        var thread: Int
    }

    struct WriterOutcome {
        var flushCall: String
        var latency: Histogram<UInt64>
        var failures: [Failure]
    }

    init(profile: StressProfile, layout: StressProfile.Layout, configuration: StressConfiguration, file: StressFile,
         stop: StopFlag, progress: (@Sendable (StressProgress) -> Void)?) {
        self.profile = profile
        self.layout = layout
        self.configuration = configuration
        self.file = file
        self.stop = stop
        self.progress = progress
        locks = .allocate(capacity: file.blocks)
        for i in 0..<file.blocks { pthread_mutex_init(locks + i, nil) }
        lastWriter = .allocate(capacity: file.blocks)
        lastWriter.initialize(repeating: StressBlock.initialWriter, count: file.blocks)
        lastSequence = .allocate(capacity: file.blocks)
        lastSequence.initialize(repeating: 0, count: file.blocks)
    }

    deinit {
        for i in 0..<file.blocks { pthread_mutex_destroy(locks + i) }
        locks.deallocate()
        lastWriter.deallocate()
        lastSequence.deallocate()
    }

    func run(into result: inout ProfileResult) {
        var runFailures: [Failure] = []
        func failed(_ call: String, offset: Int = 0) { runFailures.append(Failure(call: call, errno: errno, offset: offset, thread: -1)) }
        if !fill() { failed("pwrite") }
        if fsync(file.fd) != 0 { failed("fsync") }
        // Direct writers and the direct flush of mmap writers need a descriptor of their own.
        var directFD: Int32 = -1
        if layout.direct {
            directFD = spw_open_direct(file.path, O_RDWR, 0)
            if directFD < 0 { failed("open") }
        }
        defer { if directFD >= 0 { close(directFD) } }
        var mapping: UnsafeMutableRawPointer?
        if layout.mmapThreads > 0 {
            // mmap has no direct mode: in direct profiles the mapping is of the O_DIRECT
            // descriptor, and the pages are still the page cache's.
            let m = mmap(nil, configuration.fileSize, PROT_READ | PROT_WRITE, MAP_SHARED, layout.direct ? directFD : file.fd, 0)
            if let m, m != UnsafeMutableRawPointer(bitPattern: -1) { mapping = m } else { failed("mmap") }
        }
        let start = monotonicNanoseconds()
        let deadline = start + UInt64(configuration.duration * 1e9)
        let group = DispatchGroup()
        if runFailures.isEmpty {
            let count = layout.writeThreads + layout.mmapThreads
            // Addresses and descriptors as plain values: the threads share them, read-only.
            let mappingAddress = mapping.map { Int(bitPattern: $0) } ?? 0
            let directDescriptor = directFD
            for t in 0..<count {
                let kind: StressProfile.WriterKind = t < layout.writeThreads ? .write : .mmap
                let writeFD = layout.direct ? directDescriptor : file.fd
                group.enter()
                let thread = Thread { [self] in
                    writer(thread: t, kind: kind, writeFD: writeFD, directFD: directDescriptor,
                           mapping: UnsafeMutableRawPointer(bitPattern: mappingAddress), deadline: deadline)
                    group.leave()
                }
                thread.stackSize = 1 << 20
                thread.start()
            }
            while group.wait(timeout: .now() + .milliseconds(250)) == .timedOut {
                progress?(StressProgress(profile: profile, elapsed: Double(monotonicNanoseconds() - start) / 1e9,
                                         duration: configuration.duration, operations: operations.load(ordering: .relaxed),
                                         errors: failedCalls.load(ordering: .relaxed)))
            }
        }
        let elapsed = Double(monotonicNanoseconds() - start) / 1e9
        if let mapping {
            if msync(mapping, configuration.fileSize, MS_SYNC) != 0 { failed("msync") }
            munmap(mapping, configuration.fileSize)
        }
        if fsync(file.fd) != 0 { failed("fsync") }
        // What is read back must come from the disk, not from the pages just written.
        _ = posix_fadvise(file.fd, 0, 0, Int32(POSIX_FADV_DONTNEED))

        let done = outcomes.withLock { $0 }
        let ops = operations.load(ordering: .relaxed)
        result.interrupted = stop.isRaised
        result.seconds = elapsed
        result.operations = ops
        result.operationsPerSecond = elapsed > 0 ? Double(ops) / elapsed : 0
        result.mibPerSecond = elapsed > 0 ? Double(ops * file.blockSize) / elapsed / Double(1 << 20) : 0
        var byCall: [String: Histogram<UInt64>] = [:]
        for o in done {
            if byCall[o.flushCall] == nil { byCall[o.flushCall] = o.latency } else { byCall[o.flushCall]!.add(o.latency) }
        }
        result.flushLatency = byCall.keys.sorted().map { call in
            let h = byCall[call]!
            return ProfileResult.FlushLatency(call: call, count: Int(h.totalCount),
                                              p50Microseconds: Double(h.valueAtPercentile(50)) / 1000,
                                              p99Microseconds: Double(h.valueAtPercentile(99)) / 1000,
                                              maxMicroseconds: Double(h.max) / 1000)
        }
        result.errors = Self.grouped(runFailures + done.flatMap(\.failures))
        result.verification = StressVerification(file: file, profile: profile)
            .verify(lastWriter: lastWriter, lastSequence: lastSequence)
        result.status = result.errors.isEmpty && result.verification?.failed == false ? .passed : .failed
    }

    /// Every block written once by "the initial fill", so each has a header before the writers
    /// start (a block no writer reaches is still checked).
    private func fill() -> Bool {
        guard ftruncate(file.fd, 0) == 0, ftruncate(file.fd, off_t(configuration.fileSize)) == 0 else { return false }
        let chunkBlocks = max(1, min(file.blocks, (1 << 20) / file.blockSize))
        let buffer = UnsafeMutableRawBufferPointer.allocateAligned(chunkBlocks * file.blockSize)
        defer { buffer.deallocate() }
        var b = 0
        while b < file.blocks {
            let n = min(chunkBlocks, file.blocks - b)
            for i in 0..<n {
                StressBlock.fill(UnsafeMutableRawBufferPointer(rebasing: buffer[(i * file.blockSize)..<((i + 1) * file.blockSize)]),
                                 header: .init(profile: profile.letter, writer: StressBlock.initialWriter, sequence: 0, block: UInt64(b + i)))
            }
            guard pwrite(file.fd, buffer.baseAddress, n * file.blockSize, off_t(b * file.blockSize)) == n * file.blockSize else { return false }
            b += n
        }
        return true
    }

    /// One writer thread: pick a block, own it, write it whole, let it go, flush it; until the
    /// deadline or a stop.
    private func writer(thread t: Int, kind: StressProfile.WriterKind, writeFD: Int32, directFD: Int32,
                        mapping: UnsafeMutableRawPointer?, deadline: UInt64) {
        let buffer = UnsafeMutableRawBufferPointer.allocateAligned(file.blockSize)
        let readBack = UnsafeMutableRawBufferPointer.allocateAligned(file.blockSize)
        defer { buffer.deallocate(); readBack.deallocate() }
        var latency = Histogram<UInt64>(highestTrackableValue: 3_600_000_000_000, numberOfSignificantValueDigits: .three)
        var failures: [Failure] = []
        var random = UInt64(t + 1) &* 0x9E37_79B9_7F4A_7C15 ^ UInt64(profile.letter)
        var sequence: UInt64 = 0
        let flushCall = kind == .write ? "sync_file_range" : layout.direct ? "pread" : "msync"
        func failed(_ call: String, _ offset: Int) {
            failures.append(Failure(call: call, errno: errno, offset: offset, thread: t))
            failedCalls.add(1, ordering: .relaxed)
        }
        while !stop.isRaised && monotonicNanoseconds() < deadline {
            random ^= random << 13; random ^= random >> 7; random ^= random << 17
            let b = Int(random % UInt64(file.blocks))
            let offset = b * file.blockSize
            sequence += 1
            StressBlock.fill(buffer, header: .init(profile: profile.letter, writer: UInt32(t), sequence: sequence, block: UInt64(b)))
            pthread_mutex_lock(locks + b)
            var written = true
            switch kind {
            case .write:
                if pwrite(writeFD, buffer.baseAddress, file.blockSize, off_t(offset)) != file.blockSize { written = false; failed("pwrite", offset) }
            case .mmap:
                mapping.map { ($0 + offset).copyMemory(from: buffer.baseAddress!, byteCount: file.blockSize) }
            }
            if written {
                lastWriter[b] = UInt32(t)
                lastSequence[b] = sequence
            }
            pthread_mutex_unlock(locks + b)
            operations.add(1, ordering: .relaxed)
            let before = monotonicNanoseconds()
            let ok: Bool
            switch (kind, layout.direct) {
            case (.write, _): ok = spw_sync_range_and_wait(writeFD, Int64(offset), Int64(file.blockSize)) == 0
            case (.mmap, false): ok = msync(mapping! + offset, file.blockSize, MS_SYNC) == 0
            // A direct read of a range with dirty cached pages writes them back first.
            case (.mmap, true): ok = pread(directFD, readBack.baseAddress, file.blockSize, off_t(offset)) == file.blockSize
            }
            _ = latency.record(monotonicNanoseconds() - before)
            if !ok { failed(flushCall, offset) }
        }
        let outcome = WriterOutcome(flushCall: flushCall, latency: latency, failures: failures)
        outcomes.withLock { $0.append(outcome) }
    }

    /// Failures by call and errno, the first eight of each kept with where they were.
    static func grouped(_ failures: [Failure]) -> [ProfileResult.CallErrors] {
        var order: [String] = []
        var groups: [String: ProfileResult.CallErrors] = [:]
        for f in failures {
            let key = "\(f.call)|\(f.errno)"
            if groups[key] == nil {
                order.append(key)
                groups[key] = ProfileResult.CallErrors(call: f.call, errno: f.errno, name: errnoName(f.errno),
                                                       message: String(cString: strerror(f.errno)), count: 0, first: [])
            }
            groups[key]!.count += 1
            if groups[key]!.first.count < 8 { groups[key]!.first.append(.init(offset: f.offset, thread: f.thread)) }
        }
        return order.map { groups[$0]! }
    }

    static func errnoName(_ e: Int32) -> String {
        switch e {
        case EIO: return "EIO"
        case EILSEQ: return "EILSEQ"
        case ENOSPC: return "ENOSPC"
        case EINVAL: return "EINVAL"
        case EBADMSG: return "EBADMSG"
        case EDQUOT: return "EDQUOT"
        case EROFS: return "EROFS"
        case ENOMEM: return "ENOMEM"
        case EAGAIN: return "EAGAIN"
        default: return "errno \(e)"
        }
    }
}

extension StressProfile {
    /// The letter as the byte the file.blocks carry.
    var letter: UInt8 { rawValue.utf8.first! }
}
