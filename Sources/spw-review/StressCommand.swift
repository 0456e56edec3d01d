import ArgumentParser
import Dispatch
import Foundation
import Stress
#if canImport(Glibc)
import Glibc
#endif

struct StressCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "stress",
        abstract: "Rewrite pages while they are under writeback, then verify every block (the 2011 thread's wac experiment).",
        discussion: """
            Profiles (the thread's): A write() threads + sync_file_range; B mmap writers + msync; C half \
            of each; D C in direct-I/O mode; E A in direct-I/O mode; F B in direct-I/O mode. Every block \
            carries a header and a crc32 of its payload; after each profile the file is flushed, its page \
            cache dropped and every block read back. Exit status: 0 clean, 1 a verification failure or \
            an I/O error, 2 usage, 3 the directory cannot be used (or a profile had to be skipped), 130 \
            interrupted. See docs/stress.md.
            """
    )

    @OptionGroup var colorChoice: ColorOption

    @Option(help: "Profiles to run, e.g. A,B,C (default: all six).")
    var profiles: String = "A,B,C,D,E,F"

    @Option(help: "Writer threads per profile.")
    var threads: Int = 64

    @Option(name: .customLong("file-size"), help: "Size of the file the threads rewrite: 64K, 64M, 1G, … (a whole number of pages).")
    var fileSize: String = "64K"

    @Option(help: "How long each profile runs: 30s, 500ms, 2m, …")
    var duration: String = "10s"

    @Option(help: "Directory for the temporary file (on the file system under test).")
    var dir: String = "."

    @Option(help: "Output format: text or json (schema spw-review-stress/1).")
    var format: StressFormat = .text

    @Flag(help: "Keep the file after the run (its path is in the report).")
    var keep = false

    /// One line on the terminal, rewritten in place (stderr, a terminal only).
    @Sendable static func showProgress(_ p: StressProgress) {
        let line = "\r\u{1B}[Kprofile \(p.profile.rawValue): " + String(format: "%.1f/%.0f s", p.elapsed, p.duration)
            + ", \(p.operations) writes, \(p.errors) failed calls"
        FileHandle.standardError.write(Data(line.utf8))
    }

    enum StressFormat: String, ExpressibleByArgument, CaseIterable { case text, json }

    func validate() throws {
        guard case .success = StressProfile.parseList(profiles) else {
            throw ValidationError("--profiles: expected letters A to F separated by commas, got '\(profiles)'")
        }
        guard (1...4096).contains(threads) else { throw ValidationError("--threads: expected 1 to 4096, got \(threads)") }
        let page = StressRunner.blockSize
        guard let size = StressUnits.bytes(fileSize), size % page == 0 else {
            throw ValidationError("--file-size: expected a whole number of \(page)-byte pages (64K, 64M, …), got '\(fileSize)'")
        }
        guard size <= 64 << 30 else { throw ValidationError("--file-size: at most 64G, got '\(fileSize)'") }
        guard let seconds = StressUnits.seconds(duration), seconds <= 86_400 else {
            throw ValidationError("--duration: expected a time such as 30s, 500ms or 2m (at most a day), got '\(duration)'")
        }
        _ = seconds
    }

    func run() throws {
        guard case .success(let list) = StressProfile.parseList(profiles),
              let size = StressUnits.bytes(fileSize), let seconds = StressUnits.seconds(duration) else { throw ExitCode(2) }
        let stop = StopFlag()
        // Ctrl-C and SIGTERM stop the writers; what ran is still flushed, verified and reported.
        var sources: [DispatchSourceSignal] = []
        for sig in [SIGINT, SIGTERM] {
            signal(sig, SIG_IGN)
            let source = DispatchSource.makeSignalSource(signal: sig, queue: .global())
            source.setEventHandler { stop.raise() }
            source.resume()
            sources.append(source)
        }
        defer { sources.forEach { $0.cancel() } }
        let showProgress = isatty(STDERR_FILENO) == 1
        let configuration = StressConfiguration(profiles: list, threads: threads, fileSize: size, duration: seconds,
                                                directory: dir, keep: keep)
        let runner = StressRunner(configuration: configuration, stop: stop, progress: showProgress ? Self.showProgress : nil)
        let report: StressReport
        do {
            report = try runner.run()
        } catch let error as StressSetupError {
            FileHandle.standardError.write(Data("spw-review stress: error: \(error.description)\n".utf8))
            throw ExitCode(3)
        }
        if showProgress { FileHandle.standardError.write(Data("\r\u{1B}[K".utf8)) }
        switch format {
        case .json: print(report.json())
        case .text: print(report.text(), terminator: "")
        }
        if !report.clean { throw ExitCode(1) }
        if report.interrupted { throw ExitCode(130) }
        if report.skippedAny { throw ExitCode(3) }
    }
}
