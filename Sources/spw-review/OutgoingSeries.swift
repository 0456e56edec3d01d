import Foundation
import Mail
import Series
#if canImport(Glibc)
import Glibc
#endif

/// The mails `git send-email` is sending, as one series, once the hook sees the last of them.
/// Newer git numbers the files it validates (`GIT_SENDEMAIL_FILE_COUNTER` of
/// `GIT_SENDEMAIL_FILE_TOTAL`); the hook keeps their paths between its runs, outside the
/// repository. Older git (2.39) does not: there the series is the last mail's directory
/// neighbours with the same version and count (format-patch's output, or send-email's own
/// temporary directory when it is given a revision range).
enum OutgoingSeries {
    static func complete(endingWith mail: String, environment: [String: String]) -> [String]? {
        let path = absolute(mail)
        if let counter = environment["GIT_SENDEMAIL_FILE_COUNTER"].flatMap(Int.init),
           let total = environment["GIT_SENDEMAIL_FILE_TOTAL"].flatMap(Int.init), counter >= 1, total >= counter {
            return counted(path, counter: counter, total: total, environment: environment)
        }
        return neighbours(of: path)
    }

    /// The list kept while git validates one run's files: keyed by the repository and by the
    /// send-email process (the hook's grandparent: git runs it through `git hook run`).
    static func listFile(environment: [String: String]) -> String {
        let repository = environment["GIT_DIR"].map(absolute) ?? FileManager.default.currentDirectoryPath
        var hash: UInt64 = 0xcbf29ce484222325
        for byte in repository.utf8 { hash = (hash ^ UInt64(byte)) &* 0x100000001b3 }
        let sender = grandparentPID() ?? getppid()
        return NSTemporaryDirectory() + "spw-review-sendemail-\(getuid())-\(String(hash, radix: 16))-\(sender)"
    }

    static func counted(_ path: String, counter: Int, total: Int, environment: [String: String]) -> [String]? {
        let list = listFile(environment: environment)
        var files = counter == 1 ? [] : ((try? String(contentsOfFile: list, encoding: .utf8)) ?? "")
            .split(separator: "\n").map(String.init)
        files.append(path)
        guard counter == total else {
            try? (files.joined(separator: "\n") + "\n").write(toFile: list, atomically: true, encoding: .utf8)
            return nil
        }
        try? FileManager.default.removeItem(atPath: list)
        // A list that lost a file (another send in the same place) is not the series.
        return files.count == total ? files : nil
    }

    /// When `path` is patch M of M: every file beside it that is a mail of the same series
    /// (version and count), the cover letter first, if patches 1…M are all there.
    static func neighbours(of path: String) -> [String]? {
        guard let last = subject(of: path), last.isPatch, !last.isReply, let total = last.total, total > 1,
              last.number == total else { return nil }
        let directory = (path as NSString).deletingLastPathComponent
        guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory) else { return nil }
        // The mail being sent holds its own number; another candidate for a number (a second
        // topic formatted into the same directory) makes the series unknown.
        var byNumber: [Int: String] = [total: path]
        for name in names.sorted() {
            let candidate = directory + "/" + name
            guard candidate != path, isSmallRegularFile(candidate), let info = subject(of: candidate),
                  !info.isReply, info.total == total, info.version == last.version, let number = info.number else { continue }
            if byNumber[number] != nil { return nil }
            byNumber[number] = candidate
        }
        guard (1...total).allSatisfy({ byNumber[$0] != nil }) else { return nil }
        return byNumber.keys.sorted().map { byNumber[$0]! }
    }

    /// The first mail's subject, from its headers alone.
    static func subject(of path: String) -> SubjectInfo? {
        guard let input = try? MailInput(path: path) else { return nil }
        var subject: String?
        input.forEachRawMessage { raw, _ in
            if subject == nil { subject = MailMessage.envelope(raw).envelope.subject }
        }
        return subject.map(SubjectParser.parse)
    }

    static func isSmallRegularFile(_ path: String) -> Bool {
        var st = stat()
        return stat(path, &st) == 0 && st.st_mode & S_IFMT == S_IFREG && st.st_size < 64 << 20
    }

    static func absolute(_ path: String) -> String {
        path.hasPrefix("/") ? path : FileManager.default.currentDirectoryPath + "/" + path
    }

    static func grandparentPID() -> pid_t? {
        guard let stat = try? String(contentsOfFile: "/proc/\(getppid())/stat", encoding: .utf8),
              let close = stat.lastIndex(of: ")") else { return nil }
        let fields = stat[stat.index(after: close)...].split(separator: " ")
        return fields.count > 1 ? pid_t(fields[1]) : nil
    }
}
