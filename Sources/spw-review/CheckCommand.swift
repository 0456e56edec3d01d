import ArgumentParser
import Apply
import Foundation
import Git
import Mail
import Report
import Series
import StablePages

/// `spw-review check [RANGE]`: the review of local commits before they are sent — the same mail
/// checks (sign-offs, subjects) and stable-page rules, with T0..Tn taken from the commits
/// themselves (nothing to apply, nothing written).
struct CheckCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "check",
        abstract: "Check local commits before sending them (default: @{upstream}..HEAD)."
    )

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "A revision range (A..B) or a single commit; default @{upstream}..HEAD, else HEAD~1..HEAD.")
    var range: String?

    @Option(help: ArgumentHelp("The git repository (default: the one enclosing the current directory).", valueName: "dir"))
    var tree: String?

    @Option(help: "Output format: text, json, markdown, email or sarif.")
    var format: OutputFormat = .text

    @Flag(name: .customLong("no-path"), help: "Print findings without their paths.")
    var noPath = false

    @Flag(help: "Also list the findings already in the base that the commits leave unchanged.")
    var all = false

    @Option(name: .customLong("fail-on"), help: "Exit 1 for findings the commits introduce at this severity or worse: error (default) or warning.")
    var failOn: ReviewCommand.FailOn = .error

    @Flag(name: .customLong("each-commit"), help: ArgumentHelp(
        "Review every non-merge commit of the range on its own, against its first parent, as a one-patch series (what the hooks see of one commit); print the commits that introduce or resolve a finding.",
        discussion: "Formats: text and json (schema spw-review-commits/1). Exit status 1 when any commit introduces an error."))
    var eachCommit = false

    func validate() throws {
        if eachCommit && ![.text, .json].contains(format) {
            throw ValidationError("--each-commit prints text or json")
        }
    }

    func run() throws {
        if eachCommit {
            let status = try EachCommitCheck.run(range: range, repositoryPath: tree, format: format, noPath: noPath)
            if status != ExitStatus.clean { throw ExitCode(status) }
            return
        }
        let status = try CheckCommand.check(range: range, repositoryPath: tree, format: format, noPath: noPath,
                                            failOnWarnings: failOn == .warning, all: all)
        if status != ExitStatus.clean { throw ExitCode(status) }
    }

    /// The repository and the commits of the range (oldest first), or a usage error.
    static func commits(range: String?, repositoryPath: String?) throws -> (Repository, String, String, [ObjectID]) {
        if let named = repositoryPath, SeriesApplier.enclosingRepository(of: named) == nil {
            Terminal.printError("\(named): error: not a git repository (--tree names the repository whose commits to check)")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        guard let path = repositoryPath ?? SeriesApplier.enclosingRepository(of: ".") else {
            throw ValidationError("not in a git repository (use --tree)")
        }
        let repository: Repository
        do { repository = try Repository(path: path) } catch { throw ValidationError("\(path): \(error)") }
        if range == nil, (try? repository.resolveCommit("@{upstream}")) == nil, repository.hasReferences(matching: "refs/remotes/*"),
           let head = try? repository.resolveCommit("HEAD") {
            // No upstream: what no remote-tracking branch has yet, as `git log HEAD --not --remotes`.
            if let commits = try? repository.commits(reachableFrom: head) { return (repository, path, "HEAD --not --remotes", commits) }
        }
        let chosen = range ?? defaultRange(repository)
        do { return (repository, path, chosen, try repository.commits(range: chosen)) } catch {
            // git's wording, and the one cause people hit most: a shallow clone's missing history.
            let hint = repository.isShallow ? " (the repository is a shallow clone: `git fetch --unshallow` fetches the history)" : ""
            Terminal.printError("\(chosen): error: not a range of commits in \(path): \(error)\(hint)")
            throw ExitCode(64)  // EX_USAGE, as for any unusable argument (docs/exit-status.md)
        }
    }

    static func check(range: String?, repositoryPath: String?, format: OutputFormat, noPath: Bool,
                      failOnWarnings: Bool = false, all: Bool = false) throws -> Int32 {
        let (repository, _, chosen, commits) = try Self.commits(range: range, repositoryPath: repositoryPath)
        return try check(commits, in: repository, named: chosen, format: format, noPath: noPath,
                         failOnWarnings: failOnWarnings, all: all)
    }

    /// `commits` (oldest first, each on the one before) as one series against the first one's parent.
    static func check(_ commits: [ObjectID], in repository: Repository, named chosen: String, format: OutputFormat,
                      noPath: Bool, failOnWarnings: Bool = false, all: Bool = false) throws -> Int32 {
        guard !commits.isEmpty else {
            Terminal.printError("spw-review: no commits in \(chosen)")
            return ExitStatus.clean
        }
        // The commits as the mails `git format-patch` would write, read by the same code as mail.
        var builder = SeriesBuilder()
        var treeIDs: [String] = []
        for (k, id) in commits.enumerated() {
            let commit = try repository.commit(id)
            let parentTree = try commit.firstParentID.map { try repository.commit($0).treeID }
            if k == 0 { treeIDs.append(parentTree?.hex ?? "") }
            treeIDs.append(commit.treeID.hex)
            let text = formatPatch(commit, number: k + 1, total: commits.count,
                                   diff: try repository.patchText(from: parentTree, to: commit.treeID))
            builder.add(MailMessage.parse(RawMessage(bytes: Array(text.utf8), source: "commit \(String(id.hex.prefix(12)))")))
        }
        let collection = builder.finish()
        guard let series = collection.pick() else { return ExitStatus.clean }
        var diagnostics = collection.diagnostics + series.patches.flatMap(\.diagnostics) + DiffSecondOpinion.check(series)
        var code = ReviewCommand.ReviewedCode()
        if treeIDs.first?.isEmpty == false {
            let root = repository.workingDirectory ?? repository.gitDirectory
            (code.findings, code.trees) = try ReviewCommand.findings(series, treeIDs: treeIDs, repository: repository, root: root)
        } else {
            code.findings = StablePageEngine().review(trees: [], series: series)
        }
        diagnostics = ReviewCommand.ordered(diagnostics)
        if format == .text { Terminal.printError("spw-review: checking \(commits.count) commit(s) in \(chosen)") }
        ReviewCommand.render(series: series, inputs: [(chosen, "commits")], code: code, diagnostics: diagnostics,
                             format: format, noPath: noPath, all: all)
        return ReviewCommand.exitStatus(code, diagnostics: diagnostics, failOnWarnings: failOnWarnings)
    }

    /// `@{upstream}..HEAD`; without an upstream or any remote-tracking branch, the tip alone.
    static func defaultRange(_ repository: Repository) -> String {
        if (try? repository.resolveCommit("@{upstream}")) != nil { return "@{upstream}..HEAD" }
        if (try? repository.resolveCommit("HEAD~1")) != nil { return "HEAD~1..HEAD" }
        return "HEAD"
    }

    /// `git format-patch` output for one commit (without the mbox `From ` line: it is parsed as
    /// one message).
    static func formatPatch(_ commit: Commit, number: Int, total: Int, diff: String) -> String {
        let message = commit.message
        let title = message.split(separator: "\n", maxSplits: 1, omittingEmptySubsequences: false).first.map(String.init) ?? ""
        var body = String(message.dropFirst(title.count))
        while body.hasPrefix("\n") { body.removeFirst() }
        let author = commit.author
        let prefix = total == 1 ? "[PATCH]" : "[PATCH \(number)/\(total)]"
        return """
            From: \(author.name) <\(author.email)>
            Date: \(rfc2822(author.time, offsetMinutes: author.offsetMinutes))
            Subject: \(prefix) \(title)

            \(body.hasSuffix("\n") || body.isEmpty ? body : body + "\n")---
            \(diff)-- 
            spw-review check

            """
    }

    static func rfc2822(_ time: Int64, offsetMinutes: Int) -> String {
        let formatter = DateFormatter()
        formatter.locale = Locale(identifier: "en_US_POSIX")
        formatter.timeZone = TimeZone(secondsFromGMT: offsetMinutes * 60)
        formatter.dateFormat = "EEE, d MMM yyyy HH:mm:ss Z"
        return formatter.string(from: Date(timeIntervalSince1970: TimeInterval(time)))
    }
}
