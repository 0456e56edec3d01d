import Foundation
import Testing
import TestSupport
@testable import Stress

/// Issue 15: the write-after-checksum experiment. The runs here are short, on whatever file system
/// the machine's temporary directory is: they show that a healthy system verifies clean and that
/// the verification catches each kind of damage when it is there.
struct StressTests {
    static func directory(_ name: String) throws -> String {
        let url = TestScratch.root.appendingPathComponent("stress-\(name)-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
        return url.path
    }

    @Test func aBlockReadsBackAsWrittenAndDamageIsNamed() {
        let size = StressRunner.blockSize
        let buffer = UnsafeMutableRawBufferPointer.allocateAligned(size)
        defer { buffer.deallocate() }
        let header = StressBlock.Header(profile: UInt8(ascii: "B"), writer: 7, sequence: 42, block: 3)
        StressBlock.fill(buffer, header: header)
        #expect(StressBlock.read(UnsafeRawBufferPointer(buffer)) == .intact(header))
        buffer[size - 1] ^= 0x01
        #expect(StressBlock.read(UnsafeRawBufferPointer(buffer)) == .torn(header))
        buffer[size - 1] ^= 0x01
        buffer[20] ^= 0x80  // the sequence number: the header fails its own checksum
        #expect(StressBlock.read(UnsafeRawBufferPointer(buffer)) == .noHeader)
        for i in 0..<size { buffer[i] = 0 }
        #expect(StressBlock.read(UnsafeRawBufferPointer(buffer)) == .noHeader)
        // Two writes of the same block differ in their payload, not only in the header.
        let other = UnsafeMutableRawBufferPointer.allocateAligned(size)
        defer { other.deallocate() }
        StressBlock.fill(buffer, header: header)
        StressBlock.fill(other, header: .init(profile: header.profile, writer: 7, sequence: 43, block: 3))
        #expect(!buffer[StressBlock.headerSize...].elementsEqual(other[StressBlock.headerSize...]))
    }

    @Test func profilesAreTheThreadsMix() throws {
        #expect(StressProfile.A.layout(threads: 64) == .init(writeThreads: 64, mmapThreads: 0, direct: false))
        #expect(StressProfile.C.layout(threads: 64) == .init(writeThreads: 32, mmapThreads: 32, direct: false))
        #expect(StressProfile.D.layout(threads: 5) == .init(writeThreads: 3, mmapThreads: 2, direct: true))
        #expect(StressProfile.F.layout(threads: 64) == .init(writeThreads: 0, mmapThreads: 64, direct: true))
        #expect(try StressProfile.parseList("c, a,A").get() == [.A, .C])
        #expect(throws: StressProfile.ParseError.self) { try StressProfile.parseList("A,G").get() }
    }

    @Test func unitsAsDdSpellsThem() {
        #expect(StressUnits.bytes("64K") == 65_536)
        #expect(StressUnits.bytes("64MiB") == 64 << 20)
        #expect(StressUnits.bytes("4096") == 4096)
        #expect(StressUnits.bytes("1.5M") == nil)
        #expect(StressUnits.bytes("-4K") == nil)
        #expect(StressUnits.seconds("30s") == 30)
        #expect(StressUnits.seconds("500ms") == 0.5)
        #expect(StressUnits.seconds("2m") == 120)
        #expect(StressUnits.seconds("0") == nil)
        #expect(StressUnits.seconds("soon") == nil)
    }

    /// Every profile this file system can run, briefly: writers rewrite the blocks while flushing
    /// them, and afterwards every block is the last write made to it, whole.
    @Test func everyProfileVerifiesCleanOnAHealthyFileSystem() throws {
        let dir = try Self.directory("clean")
        let report = try StressRunner(configuration: StressConfiguration(threads: 6, fileSize: 16 * StressRunner.blockSize,
                                                                         duration: 0.3, directory: dir)).run()
        #expect(report.profiles.map(\.profile) == ["A", "B", "C", "D", "E", "F"])
        for p in report.profiles {
            if p.status == .skipped {
                #expect(!report.directIO.supported && p.direct, "\(p.profile) skipped although it needs no direct I/O")
                continue
            }
            #expect(p.status == .passed, "\(p.profile): \(p.errors) \(String(describing: p.verification))")
            #expect(p.operations > 0)
            #expect(p.verification?.intact == 16)
            #expect(p.flushLatency.reduce(0) { $0 + $1.count } == p.operations)
        }
        #expect(report.clean)
        #expect(try FileManager.default.contentsOfDirectory(atPath: dir).isEmpty, "the file is removed without --keep")
    }

    /// A file system that refuses O_DIRECT: the direct profiles are skipped with the reason, never
    /// run buffered in their place.
    @Test func directProfilesAreSkippedWhenDirectIOIsRefused() throws {
        let dir = try Self.directory("nodirect")
        let refuse: @Sendable (String, Int) -> StressReport.DirectIOSupport = { _, _ in
            .init(supported: false, reason: "open with O_DIRECT: Invalid argument")
        }
        let report = try StressRunner(configuration: StressConfiguration(profiles: [.A, .D, .E, .F], threads: 2,
                                                                         fileSize: 4 * StressRunner.blockSize, duration: 0.1,
                                                                         directory: dir),
                                      directIOProbe: refuse).run()
        #expect(report.profiles.map(\.status) == [.passed, .skipped, .skipped, .skipped])
        #expect(report.profiles[1].operations == 0 && report.profiles[1].verification == nil)
        #expect(report.profiles[1].skipReason?.contains("Invalid argument") == true)
        #expect(report.skippedAny && report.clean)
        #expect(report.text().contains("D: skipped: direct I/O is not supported"))
    }

    @Test func anExistingFileIsNeverOverwritten() throws {
        let dir = try Self.directory("existing")
        let path = StressRunner.filePath(in: dir)
        try Data("keep me".utf8).write(to: URL(fileURLWithPath: path))
        #expect(throws: StressSetupError.self) { try StressRunner(configuration: StressConfiguration(directory: dir)).run() }
        #expect(try String(contentsOfFile: path, encoding: .utf8) == "keep me")
        #expect(throws: StressSetupError.self) {
            try StressRunner(configuration: StressConfiguration(directory: dir + "/missing")).run()
        }
    }

    @Test func aStopBeforeAProfileLeavesItNotRun() throws {
        let stop = StopFlag()
        stop.raise()
        let report = try StressRunner(configuration: StressConfiguration(profiles: [.A, .B], threads: 2, fileSize: 4096,
                                                                         directory: try Self.directory("stop")),
                                      stop: stop).run()
        #expect(report.interrupted)
        #expect(report.profiles.map(\.status) == [.notRun, .notRun])
    }

    /// The verification pass against a file damaged by hand: one block torn, one an older write,
    /// one zeroed, one another block's; the others as their last writer left them.
    @Test func verificationNamesTornStaleAndForeignBlocks() throws {
        let dir = try Self.directory("damage")
        let size = StressRunner.blockSize
        let blocks = 8
        let path = dir + "/damaged"
        let fd = open(path, O_RDWR | O_CREAT, 0o600)
        #expect(fd >= 0)
        defer { close(fd) }
        let buffer = UnsafeMutableRawBufferPointer.allocateAligned(size)
        defer { buffer.deallocate() }
        let lastWriter = UnsafeMutablePointer<UInt32>.allocate(capacity: blocks)
        let lastSequence = UnsafeMutablePointer<UInt64>.allocate(capacity: blocks)
        defer { lastWriter.deallocate(); lastSequence.deallocate() }
        for b in 0..<blocks {
            lastWriter[b] = UInt32(b)
            lastSequence[b] = 10
            let written = b == 2 ? UInt64(9) : 10  // block 2 holds the writer's previous write
            let claimed = b == 4 ? UInt64(5) : UInt64(b)  // block 4 holds block 5's data
            StressBlock.fill(buffer, header: .init(profile: UInt8(ascii: "A"), writer: UInt32(b), sequence: written, block: claimed))
            if b == 1 { buffer[size / 2] ^= 0xFF }
            if b == 3 { for i in 0..<size { buffer[i] = 0 } }
            #expect(pwrite(fd, buffer.baseAddress, size, off_t(b * size)) == size)
        }
        let v = StressVerification(file: StressFile(path: path, fd: fd, blockSize: size, blocks: blocks, directRead: false), profile: .A)
            .verify(lastWriter: lastWriter, lastSequence: lastSequence)
        #expect(v.intact == 4)
        #expect(v.counts == .init(torn: 1, stale: 1, noHeader: 2, readErrors: 0))
        #expect(v.torn.map(\.offset) == [size])
        #expect(v.stale.first?.sequence == 9 && v.stale.first?.expectedSequence == 10)
        #expect(v.noHeader.map(\.block) == [3, 4])
        #expect(v.failed)
    }
}
