import ArgumentParser
import Foundation
#if canImport(Glibc)
import Glibc
#endif

@main
struct SpwReview: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "spw-review",
        abstract: "Review Linux-kernel patch series for stable page writes.",
        discussion: """
            Reads a series as mail (mbox or .mbox.gz, single mail, format-patch, b4 am, Maildir or quilt \
            directory, or a thread \
            pasted without headers) and reviews it. See docs/ for the JSON schema, diagnostics and \
            exit statuses.
            """,
        version: "0.1.0",
        subcommands: [ReviewCommand.self, ListCommand.self, ApplyCommand.self, CheckCommand.self, HookCommand.self, ScanCommand.self, ExplainCommand.self, RulesCommand.self, SummaryCommand.self, ParseCCommand.self, StressCommand.self],
        defaultSubcommand: ReviewCommand.self
    )

    /// As swift-argument-parser's, except that `stress` reports a usage error with status 2, the
    /// status its issue names (the other commands keep `EX_USAGE`, 64).
    static func main() {
        do {
            var command = try parseAsRoot()
            try command.run()
        } catch {
            if exitCode(for: error).rawValue == 64, CommandLine.arguments.dropFirst().first == "stress" {
                let message = fullMessage(for: error)
                if !message.isEmpty { FileHandle.standardError.write(Data((message + "\n").utf8)) }
                Glibc.exit(2)
            }
            exit(withError: error)
        }
    }
}

/// Exit statuses (docs/exit-status.md). Scripts rely on them.
enum ExitStatus {
    /// Reviewed; nothing at error severity.
    static let clean: Int32 = 0
    /// Reviewed; problems at error severity (diagnostics or findings).
    static let problems: Int32 = 1
    /// The input could not be read as mail at all (missing, empty, binary, no patch in it).
    static let unreadableInput: Int32 = 3
    /// The input holds several series in separate threads and nothing chose one.
    static let severalSeries: Int32 = 2

    /// Ends a command once everything is written, as git does: what a run holds (an
    /// archive's series, a tree's parsed files and summaries) is left for the system to take
    /// back at once instead of being freed piece by piece (40 ms of a 0.5 s `scan fs`). `exit`
    /// flushes standard output. A command run in-process (`commandsReturn`) throws its status
    /// instead, as `ExitCode`, or returns for 0.
    static func end(_ status: Int32) throws {
        if commandsReturn {
            if status != clean { throw ExitCode(status) }
            return
        }
        Foundation.exit(status)
    }

    /// Set by a command that runs another in-process and reads its status (the
    /// sendemail-validate hook reviews each mail, then the whole series).
    nonisolated(unsafe) static var commandsReturn = false
}

/// Output formats shared by the subcommands.
enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
    /// A summary for a merge request, a patchwork check or CI (review, scan).
    case markdown
    /// A kernel-style reply to the series (review).
    case email
    /// SARIF 2.1.0 for code-scanning tools (review, scan).
    case sarif
    /// One terse line per problem a patch introduces, for `b4 prep --check` (review, check).
    case b4
    /// patchwork's checks API bodies, one per patch (review, check).
    case patchworkCheck = "patchwork-check"
}

/// `--color never|auto|always`, as git spells it; every command that prints takes it.
struct ColorOption: ParsableArguments {
    enum Choice: String, ExpressibleByArgument, CaseIterable { case never, auto, always }

    @Option(help: "Colour the output: never, auto (a terminal, and NO_COLOR unset) or always.")
    var color: Choice = .auto

    /// Parsing is where the choice is known; the printers read it from `Terminal`.
    mutating func validate() throws { Terminal.choice = color }
}

struct Terminal {
    /// Set once, while the command line is parsed, before anything prints.
    nonisolated(unsafe) static var choice: ColorOption.Choice = .auto

    static var colorOnStdout: Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto: break
        }
        if getenv("NO_COLOR") != nil { return false }
        if let term = getenv("TERM"), String(cString: term) == "dumb" { return false }
        return isatty(1) == 1
    }
    static var stderrIsTerminal: Bool { isatty(2) == 1 }
    static var colorOnStderr: Bool {
        switch choice {
        case .always: return true
        case .never: return false
        case .auto: return getenv("NO_COLOR") == nil && isatty(2) == 1
        }
    }

    static func printError(_ s: String) {
        FileHandleOutput.standardError.write(s + "\n")
    }
}

enum FileHandleOutput {
    case standardOutput, standardError
    func write(_ s: String) {
        let fd: Int32 = self == .standardOutput ? 1 : 2
        var bytes = Array(s.utf8)
        bytes.withUnsafeMutableBytes { buffer in
            var offset = 0
            while offset < buffer.count {
                let n = Glibc.write(fd, buffer.baseAddress! + offset, buffer.count - offset)
                if n <= 0 { break }
                offset += n
            }
        }
    }
}

/// `--format` of a command that writes text or JSON only (list, apply): its help offers only
/// those, and anything else is refused by the parser with the two it takes.
enum TextOrJSONFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json
}

/// `--format` of scan: no email reply (there is no mail to reply to).
enum ScanFormat: String, ExpressibleByArgument, CaseIterable {
    case text, json, markdown, sarif
}
