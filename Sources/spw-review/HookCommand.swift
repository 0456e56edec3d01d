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
        subcommands: [Install.self, SendemailValidate.self, PrePush.self]
    )

    static let hookNames = ["sendemail-validate", "pre-push"]

    /// `spw-review hook install`: writes the hook scripts into the repository's hooks directory.
    /// Only this command writes into a repository, and only because it was asked to.
    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Install the hooks into this repository.")

        @Option(help: ArgumentHelp("The git repository (default: the one enclosing the current directory).", valueName: "dir"))
        var tree: String?

        @Option(help: "Which hooks: sendemail-validate, pre-push (default: both).")
        var only: [String] = []

        @Flag(help: "Replace hooks that exist already.")
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
                if FileManager.default.fileExists(atPath: target) && !force {
                    Terminal.printError("\(target): error: exists; not replaced (use --force)")
                    throw ExitCode(ExitStatus.problems)
                }
                let script = """
                    #!/bin/sh
                    # Installed by `spw-review hook install`: stable-page review before mail leaves.
                    exec '\(binary.replacingOccurrences(of: "'", with: "'\\''"))' hook \(name) "$@"

                    """
                try script.write(toFile: target, atomically: true, encoding: .utf8)
                chmod(target, 0o755)
                print("installed \(target)")
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

        func run() throws {
            // A patch alone: its mail checks, its diff rules, and the tree rules when the
            // repository around us has its files.
            // Stricter than a review: a warning the patch introduces (a removed wait) stops the send.
            let review = try ReviewCommand.parse([mail, "--no-path", "--fail-on", "warning"])
            do {
                try review.run()
            } catch let exit as ExitCode where exit.rawValue == ExitStatus.problems {
                Terminal.printError("spw-review: \(mail) has problems (see above); send with --no-validate to override")
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
