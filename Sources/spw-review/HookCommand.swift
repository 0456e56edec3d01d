import ArgumentParser
import Apply
import Foundation
import Git
#if canImport(Glibc)
import Glibc
#endif

/// `spw-review hook …`: git hooks that run the review where mail leaves the developer's machine.
struct HookCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "hook",
        abstract: "Git hooks: sendemail-validate and pre-push (and installing them).",
        subcommands: [Install.self, Uninstall.self, SendemailValidate.self, PrePush.self]
    )

    static let hookNames = ["sendemail-validate", "pre-push"]
    /// The first line after the shebang of every hook this command writes: how `uninstall` knows
    /// a hook is ours.
    static let marker = "# Installed by `spw-review hook install`: stable-page review before mail leaves."
    /// Where an existing hook goes when `install --force` chains it.
    static func chainedPath(_ hook: String) -> String { hook + ".spw-review-chained" }

    /// The hook script: the chained hook first (same arguments; for pre-push the same standard
    /// input, the refs being pushed), its failure stopping git as it did before; then spw-review.
    static func script(name: String, binary: String) -> String {
        let quoted = "'" + binary.replacingOccurrences(of: "'", with: "'\\''") + "'"
        let chain = name == "pre-push" ? """
            if [ -x "$chained" ]; then
            \tinput=$(mktemp) || exit 1
            \ttrap 'rm -f "$input"' EXIT
            \tcat > "$input"
            \t"$chained" "$@" < "$input" || exit $?
            \t\(quoted) hook \(name) "$@" < "$input"
            \texit $?
            fi
            """ : """
            if [ -x "$chained" ]; then
            \t"$chained" "$@" || exit $?
            fi
            """
        return """
            #!/bin/sh
            \(marker)
            chained="$0.spw-review-chained"
            \(chain)
            exec \(quoted) hook \(name) "$@"

            """
    }

    /// `spw-review hook install`: writes the hook scripts into the repository's hooks directory.
    /// Only this command writes into a repository, and only because it was asked to.
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install the hooks into this repository.")

        @Option(help: ArgumentHelp("The git repository (default: the one enclosing the current directory).", valueName: "dir"))
        var tree: String?

        @Option(help: "Which hooks: sendemail-validate, pre-push (default: both).")
        var only: [String] = []

        @Flag(help: "Install over hooks that exist already: each is kept, and run first (uninstall puts it back).")
        var force = false

        func validate() throws {
            for name in only where !HookCommand.hookNames.contains(name) {
                throw ValidationError("unknown hook '\(name)' (known: \(HookCommand.hookNames.joined(separator: ", ")))")
            }
        }

        func run() throws {
            guard let path = tree ?? SeriesApplier.enclosingRepository(of: ".") else {
                throw ValidationError("not in a git repository (use --tree)")
            }
            let repository = try Repository(path: path)
            let hooks = HookCommand.hooksDirectory(repository)
            try FileManager.default.createDirectory(atPath: hooks, withIntermediateDirectories: true)
            let binary = HookCommand.executablePath()
            for name in only.isEmpty ? HookCommand.hookNames : only {
                let target = hooks + "/" + name
                let existing = FileManager.default.contents(atPath: target).map { String(decoding: $0, as: UTF8.self) }
                if let existing, !existing.contains(HookCommand.marker) {
                    guard force else {
                        Terminal.printError("\(target): error: exists; not replaced (--force keeps it and runs it first)")
                        throw ExitCode(ExitStatus.problems)
                    }
                    let chained = HookCommand.chainedPath(target)
                    guard !FileManager.default.fileExists(atPath: chained) else {
                        Terminal.printError("\(chained): error: exists already; not overwritten")
                        throw ExitCode(ExitStatus.problems)
                    }
                    try FileManager.default.moveItem(atPath: target, toPath: chained)
                    print("kept \(target) as \(chained), run first")
                }
                try HookCommand.script(name: name, binary: binary).write(toFile: target, atomically: true, encoding: .utf8)
                chmod(target, 0o755)
                print("installed \(target)")
            }
        }
    }

    /// `spw-review hook uninstall`: removes the hooks `install` wrote and puts back the ones it
    /// chained; a hook that is not ours is left alone.
    struct Uninstall: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Remove the hooks from this repository (restoring chained ones).")

        @Option(help: ArgumentHelp("The git repository (default: the one enclosing the current directory).", valueName: "dir"))
        var tree: String?

        func run() throws {
            guard let path = tree ?? SeriesApplier.enclosingRepository(of: ".") else {
                throw ValidationError("not in a git repository (use --tree)")
            }
            let hooks = HookCommand.hooksDirectory(try Repository(path: path))
            for name in HookCommand.hookNames {
                let target = hooks + "/" + name
                guard let text = FileManager.default.contents(atPath: target).map({ String(decoding: $0, as: UTF8.self) }) else { continue }
                guard text.contains(HookCommand.marker) else {
                    Terminal.printError("\(target): not installed by spw-review; left alone")
                    continue
                }
                try FileManager.default.removeItem(atPath: target)
                let chained = HookCommand.chainedPath(target)
                if FileManager.default.fileExists(atPath: chained) {
                    try FileManager.default.moveItem(atPath: chained, toPath: target)
                    print("restored \(target)")
                } else {
                    print("removed \(target)")
                }
            }
        }
    }

    /// Where git runs this repository's hooks: `core.hooksPath` when set (`~/` expanded, a relative
    /// path from the top of the work tree, as git resolves it), else `.git/hooks`.
    static func hooksDirectory(_ repository: Repository) -> String {
        guard var configured = repository.configString("core.hooksPath"), !configured.isEmpty else {
            return repository.gitDirectory + "hooks"
        }
        if configured.hasPrefix("~/"), let home = ProcessInfo.processInfo.environment["HOME"] {
            configured = home + configured.dropFirst(1)
        }
        if configured.hasPrefix("/") { return configured }
        let top = repository.workingDirectory ?? repository.gitDirectory
        return (top.hasSuffix("/") ? top : top + "/") + configured
    }

    /// git send-email calls this with each mail it is about to send; non-zero stops the send.
    struct SendemailValidate: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "sendemail-validate",
                                                        abstract: "Review one outgoing mail (git's sendemail-validate hook).")
        @Argument(help: "The mail file git passes.") var mail: String
        // git 2.39 and later pass a second file: the SMTP envelope headers. Accepted; the review
        // is of the mail.
        @Argument(help: "The SMTP headers file newer git passes (read by git, not by this hook).") var smtpHeaders: String?

        func run() throws {
            // A patch alone: its mail checks, its diff rules, and the tree rules when the
            // repository around us has its files.
            do {
                try Self.validate([mail], what: mail)
            } catch {
                // git stops the send here: what was gathered of the series is not needed again.
                try? FileManager.default.removeItem(atPath: OutgoingSeries.listFile(environment: ProcessInfo.processInfo.environment))
                throw error
            }
            // The last mail of a series: the series as one review (T0..Tn across its patches).
            if let series = OutgoingSeries.complete(endingWith: mail, environment: ProcessInfo.processInfo.environment),
               series.count > 1 {
                Terminal.printError("spw-review: the whole series (\(series.count) mails), as one review:")
                try Self.validate(series, what: "the series")
            }
        }

        /// Stricter than a review: a warning the mails introduce (a removed wait) stops the send.
        static func validate(_ mails: [String], what: String) throws {
            let review = try ReviewCommand.parse(mails + ["--no-path", "--fail-on", "warning"])
            ExitStatus.commandsReturn = true
            do {
                try review.run()
            } catch let exit as ExitCode where exit.rawValue == ExitStatus.problems {
                Terminal.printError("spw-review: \(what) has problems (see above); send with --no-validate to override")
                throw exit
            } catch let exit as ExitCode where exit.rawValue == ExitStatus.unreadableInput {
                // A cover letter, or any mail without a patch: nothing of ours to validate.
                return
            }
        }
    }

    /// git push calls this with `<remote> <url>` and one line per ref on stdin:
    /// `<local ref> <local sha> <remote ref> <remote sha>`.
    struct PrePush: ParsableCommand {
        static let configuration = CommandConfiguration(commandName: "pre-push",
                                                        abstract: "Check the commits being pushed (git's pre-push hook).")
        @Argument(help: "Remote name and URL, as git passes them.") var remote: [String] = []

        func run() throws {
            let zero = String(repeating: "0", count: 40)
            var worst = ExitStatus.clean
            while let line = readLine() {
                let fields = line.split(separator: " ").map(String.init)
                guard fields.count == 4, fields[1] != zero else { continue }  // deleting a ref: nothing to check
                let status: Int32
                if fields[3] == zero {
                    // A new branch: every commit that no remote-tracking branch has yet, down to the
                    // root commit when the remote is empty (checked against the empty tree).
                    guard let path = SeriesApplier.enclosingRepository(of: ".") else {
                        throw ValidationError("not in a git repository")
                    }
                    let repository = try Repository(path: path)
                    let tip = try repository.resolveCommit(fields[1])
                    let commits = try repository.commits(reachableFrom: tip)
                    guard !commits.isEmpty else { continue }
                    status = try CheckCommand.check(commits, in: repository, named: "\(fields[0]) (\(commits.count) new commit(s))",
                                                    format: .text, noPath: true)
                } else {
                    status = try CheckCommand.check(range: "\(fields[3])..\(fields[1])", repositoryPath: nil, format: .text, noPath: true)
                }
                worst = max(worst, status)
            }
            if worst != ExitStatus.clean {
                Terminal.printError("spw-review: push stopped (git push --no-verify to override)")
                throw ExitCode(worst)
            }
        }
    }

    static func executablePath() -> String {
        var buffer = [CChar](repeating: 0, count: 4096)
        let n = readlink("/proc/self/exe", &buffer, buffer.count - 1)
        if n > 0 { return String(decoding: buffer[0..<n].map { UInt8(bitPattern: $0) }, as: UTF8.self) }
        return CommandLine.arguments[0]
    }
}
