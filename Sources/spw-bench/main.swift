import Foundation
import Mail
import Series
#if canImport(Glibc)
import Glibc
#endif

// spw-bench: the measuring side of BENCHMARKS.md. Run through scripts/bench-*.sh, which build
// the inputs and run the anchor tools side by side.

func peakRSSKiB() -> Int {
    var usage = rusage()
    getrusage(__rusage_who_t(RUSAGE_SELF.rawValue), &usage)
    return usage.ru_maxrss
}

func now() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_MONOTONIC, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

/// Streams an mbox through the mail stage and per-mail patch parsing, as `review` does,
/// without keeping the messages: memory stays bounded by the largest message.
func benchMail(_ path: String, stage: String = "series") throws {
    let size = (try FileManager.default.attributesOfItem(atPath: path)[.size] as? NSNumber)?.intValue ?? 0
    let start = now()
    if stage == "split" || stage == "reader" {
        let fd = open(path, O_RDONLY)
        var reader = MboxReader(path: path, source: .fileDescriptor(fd))
        var count = 0
        while let raw = reader.next() {
            count += 1
            if stage == "split" { _ = MailMessage.parse(raw) }
        }
        let seconds = now() - start
        print(String(format: "%@: %d messages in %.2f s = %.1f MB/s", stage, count, seconds, Double(size) / 1e6 / seconds))
        return
    }
    let input = try MailInput(path: path)
    var messages = 0, patches = 0, hunks = 0, damaged = 0
    input.forEach { item in
        guard case .message(let message) = item else { return }
        messages += 1
        if stage == "split" { return }
        let mail = PatchMail.read(message)
        if !mail.files.isEmpty { patches += 1 }
        for file in mail.files {
            hunks += file.hunks.count
            for hunk in file.hunks where hunk.isDamaged { damaged += 1 }
        }
    }
    let seconds = now() - start
    let mb = Double(size) / 1_000_000
    print(String(format: "spw-review mail: %.1f MB, %d messages, %d with diffs, %d hunks (%d damaged) in %.2f s = %.1f MB/s, peak RSS %d MiB",
                 mb, messages, patches, hunks, damaged, seconds, mb / seconds, peakRSSKiB() / 1024))
    print(String(format: "RESULT mail_mbps=%.1f seconds=%.3f messages=%d rss_mib=%d", mb / seconds, seconds, messages, peakRSSKiB() / 1024))
}

let arguments = CommandLine.arguments.dropFirst()
switch arguments.first {
case "mail" where arguments.count == 2:
    try benchMail(arguments[arguments.startIndex + 1])
case "mail" where arguments.count == 3:
    try benchMail(arguments[arguments.startIndex + 2], stage: arguments[arguments.startIndex + 1])
default:
    FileHandle.standardError.write(Data("usage: spw-bench mail MBOX\n".utf8))
    exit(64)
}
