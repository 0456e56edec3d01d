import ArgumentParser
import Foundation
import Git
import Mail
import Report
import Series
import StablePages

/// `check --each-commit`: every non-merge commit of a range reviewed on its own against its first
/// parent, as a one-patch series. One process shares parsed files and summaries across the
/// commits, so a commit costs what it changed, not a whole tree.
enum EachCommitCheck {
    struct Reviewed {
        var id: ObjectID
        var subject: String
        var author: String
        var seconds: Double
        var analysed: Bool
        var introduced: [Finding]
        var resolved: [Finding]
    }

    static func run(range: String?, repositoryPath: String?, format: OutputFormat, noPath: Bool) throws -> Int32 {
        let (repository, path, chosen, commits) = try CheckCommand.commits(range: range, repositoryPath: repositoryPath)
        let root = repository.workingDirectory ?? repository.gitDirectory
        let shared = ReviewCommand.SharedCaches()
        let factsFile = PrefilterFactsFile(tokens: StablePageModel.builtIn.prefilterTokens)
        factsFile?.load(into: shared.parse)
        var reviewed: [Reviewed] = []
        var merges = 0
        let started = Date()
        let progress = Progress(enabled: format == .text && Terminal.stderrIsTerminal)
        for (k, id) in commits.enumerated() {
            let commit = try repository.commit(id)
            guard commit.parentCount == 1, let parent = commit.firstParentID else { merges += 1; continue }
            progress.bar("checking commits", k + 1, commits.count)
            let clock = Date()
            let parentTree = try repository.commit(parent).treeID
            let text = CheckCommand.formatPatch(commit, number: 1, total: 1,
                                                diff: try repository.patchText(from: parentTree, to: commit.treeID))
            var builder = SeriesBuilder()
            builder.add(MailMessage.parse(RawMessage(bytes: Array(text.utf8), source: "commit \(String(id.hex.prefix(12)))")))
            guard let series = builder.finish().pick() else { continue }
            let (findings, _, analysed) = try ReviewCommand.analysedFindings(
                series, treeIDs: [parentTree.hex, commit.treeID.hex], repository: repository, root: root,
                useCache: false, shared: shared)
            reviewed.append(Reviewed(
                id: id, subject: commit.summary, author: commit.author.name, seconds: Date().timeIntervalSince(clock),
                analysed: analysed.count > 1 && analysed[1],
                introduced: findings.filter { $0.introducedBy != nil },
                resolved: findings.filter { $0.resolvedBy != nil }))
        }
        progress.clear()
        factsFile?.save(from: shared.parse)
        let total = Date().timeIntervalSince(started)
        let summary = Summary(range: chosen, repository: path, commits: commits.count, merges: merges, reviewed: reviewed,
                              seconds: total)
        switch format {
        case .json: print(json(summary).serialized())
        default: print(text(summary, noPath: noPath), terminator: "")
        }
        let failed = reviewed.contains { $0.introduced.contains { $0.severity == .error } }
        return failed ? ExitStatus.problems : ExitStatus.clean
    }

    struct Summary {
        var range: String
        var repository: String
        var commits: Int
        var merges: Int
        var reviewed: [Reviewed]
        var seconds: Double

        var analysed: [Reviewed] { reviewed.filter(\.analysed) }
        /// The median time of the commits whose trees were analysed.
        var medianAnalysedSeconds: Double {
            let times = analysed.map(\.seconds).sorted()
            guard !times.isEmpty else { return 0 }
            return times.count % 2 == 1 ? times[times.count / 2] : (times[times.count / 2 - 1] + times[times.count / 2]) / 2
        }
        var line: String {
            let changed = reviewed.filter { !$0.introduced.isEmpty || !$0.resolved.isEmpty }
            return "\(commits) commits in \(range): \(merges) merges, \(reviewed.count) reviewed, \(analysed.count) analysed"
                + " (they change what the analysis reads), \(changed.count) with introduced or resolved findings;"
                + String(format: " %.1f s, median %.3f s per analysed commit\n", seconds, medianAnalysedSeconds)
        }
    }

    static func text(_ s: Summary, noPath: Bool) -> String {
        let style = TextStyle(color: Terminal.colorOnStdout)
        var out = ""
        for r in s.reviewed where !r.introduced.isEmpty || !r.resolved.isEmpty {
            out += style.bold("commit \(r.id.hex.prefix(12)) \(r.subject)") + " (\(r.author))\n"
            if !r.introduced.isEmpty {
                out += "  introduced:\n" + indent(FindingsText.render(r.introduced, style: style, showPath: !noPath, trees: 2))
            }
            if !r.resolved.isEmpty {
                out += "  resolved:\n" + indent(FindingsText.render(r.resolved, style: style, showPath: false, trees: 2))
            }
        }
        return out + s.line
    }

    static func indent(_ text: String) -> String {
        text.split(separator: "\n", omittingEmptySubsequences: false).map { $0.isEmpty ? "" : "    " + $0 }
            .joined(separator: "\n") + (text.hasSuffix("\n") ? "" : "\n")
    }

    static func json(_ s: Summary) -> JSONValue {
        .object([
            ("schema", .string("spw-review-commits/1")),
            ("range", .string(s.range)),
            ("repository", .string(s.repository)),
            ("commits", .int(s.commits)),
            ("merges", .int(s.merges)),
            ("analysed", .int(s.analysed.count)),
            ("milliseconds", .int(Int(s.seconds * 1000))),
            ("medianAnalysedMilliseconds", .int(Int(s.medianAnalysedSeconds * 1000))),
            ("reviewed", .array(s.reviewed.map { r in
                .object([
                    ("commit", .string(r.id.hex)),
                    ("subject", .string(r.subject)),
                    ("author", .string(r.author)),
                    ("milliseconds", .int(Int(r.seconds * 1000))),
                    ("analysed", .bool(r.analysed)),
                    ("introduced", FindingsJSON.findings(r.introduced)),
                    ("resolved", FindingsJSON.findings(r.resolved)),
                ])
            })),
        ])
    }
}
