import ArgumentParser
import Foundation
import Mail
import Series
import Report
import StablePages
import Apply
import Git

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review a patch series (the default command)."
    )

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "Series to review: mbox (or .mbox.gz), mail, format-patch or b4 am directory, Maildir, quilt directory, pasted text, or - for stdin.")
    var inputs: [String]

    @Option(help: "Output format: text, json (schema spw-review/1), markdown, email (kernel-style replies), sarif, b4 (for b4 prep --check) or patchwork-check (patchwork's checks API).")
    var format: OutputFormat = .text

    @Option(name: .customLong("target-url"), help: "With --format patchwork-check: the URL each check links to (a CI job, a full report).")
    var targetURL: String?

    @OptionGroup var choice: SeriesChoice

    @OptionGroup var apply: ApplyOptions

    @Flag(name: .customLong("no-cache"), help: "Do not use or write what reviews keep in ~/.cache/spw-review (prefilter answers, summaries, tree reads and results, parse outlines).")
    var noCache = false

    @Flag(name: .customLong("no-path"), help: "Print findings without their paths.")
    var noPath = false

    @Flag(help: "Also list the findings already in the base tree that the series leaves unchanged (text, markdown, email; JSON and SARIF always carry them).")
    var all = false

    @Option(name: .customLong("fail-on"), help: "Exit 1 for findings the series introduces at this severity or worse: error (default) or warning.")
    var failOn: FailOn = .error

    enum FailOn: String, ExpressibleByArgument { case error, warning }

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one input (a path, or - for stdin)") }
    }

    /// Apply the series to the kernel tree (when there is one) and run the stable-page rules on
    /// T0..Tn; without a tree, only the rules that read the diff itself.
    func reviewCode(_ series: PatchSeries, diagnostics: inout [Diagnostic]) throws -> ReviewedCode {
        guard let (result, repository) = try PerformanceTrace.measure("apply stage (base, patches, trees)", {
            try runApplyStageKeepingTrees(series: series, options: apply)
        }) else {
            let findings = StablePageEngine().review(trees: [], series: series)
            return ReviewedCode(apply: .null, applyText: nil, applyResult: nil, findings: findings, trees: 0)
        }
        diagnostics += result.diagnostics
        let (findings, trees) = try Self.findings(series, treeIDs: result.trees, repository: repository, root: result.tree,
                                                  useCache: !noCache)
        let style = TextStyle(color: Terminal.colorOnStdout)
        return ReviewedCode(apply: ApplyJSON.apply(result), applyText: ApplyText.render(result, style: style),
                            applyResult: result, findings: findings, trees: trees)
    }

    /// The stable-page rules on T0..Tn (given by tree id), with the tree's `.spw-review.toml`.
    /// What reviews in one process share: parsed files by blob id and summaries by what they
    /// depend on (`check --each-commit` reviews thousands of neighbouring trees).
    struct SharedCaches {
        var parse = ParseCache()
        var summaries = SummaryStore()
        var results = TreeResultCache()
        var listings = TreeListingCache()
        var records = ReadRecords()
    }

    static func findings(_ series: PatchSeries, treeIDs: [String], repository: Repository, root: String,
                         useCache: Bool = true, shared: SharedCaches? = nil) throws -> ([Finding], Int) {
        let (findings, trees, _) = try analysedFindings(series, treeIDs: treeIDs, repository: repository, root: root,
                                                        useCache: useCache, shared: shared)
        return (findings, trees)
    }

    /// `findings`, with which trees were analysed (see `StablePageEngine.reviewTrees`).
    static func analysedFindings(_ series: PatchSeries, treeIDs: [String], repository: Repository, root: String,
                                 useCache: Bool = true, shared: SharedCaches? = nil) throws -> ([Finding], Int, [Bool]) {
        let trees = try PerformanceTrace.measure("tree listings for \(treeIDs.count) trees") {
            try sourceTrees(treeIDs: treeIDs, repository: repository, listings: shared?.listings)
        }
        let config = try UserConfiguration.load(treeRoot: root)
        let engine = StablePageEngine(model: config.apply(to: .builtIn))
        // The whole tree, always: a change to a helper reaches entry points wherever they are
        // (block/, drivers/, arch/), and the prefilter keeps the reading to what can matter.
        let prefixes: [String] = []
        let parseCache = shared?.parse ?? ParseCache()
        let summaries = shared?.summaries ?? SummaryStore()
        let factsFile = useCache ? PrefilterFactsFile(tokens: engine.relevantTokens) : nil
        let configText = config.path.flatMap { FileManager.default.contents(atPath: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        let summaryFile = useCache ? SummaryFile(model: engine.model, configText: configText) : nil
        let records = shared?.records ?? ReadRecords()
        let recordFile = useCache ? KeptByTreeFile(name: "tree-reads", model: engine.model, configText: configText, tokens: engine.relevantTokens) : nil
        let outlineFile = useCache ? CacheTextFile(name: "parse-outlines", header: []) : nil
        PerformanceTrace.measure("loading the prefilter cache (read when first asked)") { factsFile?.load(into: parseCache) }
        if let outlineFile { parseCache.importOutlines(later: { outlineFile.load() }) }
        let results = shared?.results ?? TreeResultCache()
        let resultFile = useCache ? KeptByTreeFile(name: "tree-results", model: engine.model, configText: configText, tokens: engine.relevantTokens) : nil
        // Three files, each read and split into lines on its own: side by side.
        PerformanceTrace.measure("loading the summary cache, the tree reads and the tree results") {
            DispatchQueue.concurrentPerform(iterations: 3) { k in
                switch k {
                case 0: summaryFile?.load(into: summaries)
                case 1: recordFile?.load(into: records.load)
                default: resultFile?.load(into: results.load)
                }
            }
        }
        let reviewed = PerformanceTrace.measure("stable-page analysis of \(trees.count) trees") {
            engine.reviewTrees(trees, series: series, prefixes: prefixes, cache: parseCache,
                               summaries: summaries, results: results, records: records)
        }
        // A tree that could not be read whole has no verdict to give, nor anything to keep.
        if let failure = trees.lazy.flatMap(\.readFailures).first {
            Terminal.printError("\(root): error: \(failure)")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        PerformanceTrace.measure("saving the prefilter and summary caches") {
            // Five files, each written whole (or appended to) on its own: side by side.
            DispatchQueue.concurrentPerform(iterations: 5) { k in
                switch k {
                case 0: factsFile?.save(from: parseCache)
                case 1: summaryFile?.save(from: summaries)
                case 2: recordFile?.save(learnt: records.learnt) { records.export() }
                case 3:
                    // New outlines go at the end of the file; it is written whole only when that
                    // would pass its bounds (or it is not there, or from another binary).
                    if parseCache.learntOutlines, let outlineFile,
                       !outlineFile.append(parseCache.newOutlines(), keepingUnder: KeptOutlines.byteLimit) {
                        outlineFile.save(parseCache.exportOutlines())
                    }
                default: resultFile?.save(learnt: results.learnt) { results.export() }
                }
            }
        }
        return (reviewed.findings, trees.count, reviewed.analysed)
    }

    struct ReviewedCode {
        var apply: JSONValue = .null
        var applyText: String?
        var applyResult: ApplyResult?
        var findings: [Finding] = []
        var trees = 0
    }

    func run() throws {
        let loaded = try PerformanceTrace.measure("reading the mail") { try LoadedInput.load(inputs) }
        let chosen = try PerformanceTrace.measure("reading the chosen series in full") { try choice.select(from: loaded) }
        var series = chosen?.series
        var diagnostics = chosen?.diagnostics ?? loaded.collection.diagnostics
        var code = ReviewedCode()
        if let picked = series {
            code = try reviewCode(picked, diagnostics: &diagnostics)
            // What the mail alone suggested about its whitespace, checked against the tree.
            let confirmed = code.applyResult.map { picked.confirmingIndentation(appliedAsSent: $0.hunksAppliedAsSent, filesCarriageReturns: $0.hunksWithTheFilesCarriageReturns) } ?? picked
            diagnostics += confirmed.patches.flatMap(\.diagnostics)
            diagnostics += DiffSecondOpinion.check(confirmed)
            series = confirmed
        }
        diagnostics = Self.ordered(diagnostics)
        if series == nil && !diagnostics.contains(where: { $0.code == "mail/no-patch" }) {
            let what = choice.number.map { "no series \($0) in the input (`spw-review list` names them)" }
                ?? choice.version.map { "no series with version \($0) in the input" } ?? "no patch found in the input"
            diagnostics.append(Diagnostic("mail/no-patch", .error, what,
                                          at: SourceLocation(file: inputs[0] == "-" ? "<stdin>" : inputs[0], line: 1)))
        }
        Self.render(series: series, inputs: loaded.inputs, code: code, diagnostics: diagnostics, format: format, noPath: noPath,
                    all: all, targetURL: targetURL)
        if series == nil { throw ExitCode(ExitStatus.unreadableInput) }
        // What the series makes worse fails the run; holes that were there before are only reported.
        let status = Self.exitStatus(code, diagnostics: diagnostics, failOnWarnings: failOn == .warning)
        try ExitStatus.end(status)
    }


    /// Prints a review in `format`; shared by `review` and `check`.
    static func render(series: PatchSeries?, inputs: [(path: String, kind: String)], code: ReviewedCode,
                       diagnostics: [Diagnostic], format: OutputFormat, noPath: Bool, all: Bool = false,
                       targetURL: String? = nil) {
        switch format {
        case .json:
            print(ReviewJSON.document(series: series, inputs: inputs, diagnostics: diagnostics, apply: code.apply,
                                      findings: FindingsJSON.findings(code.findings)).serialized())
        case .sarif:
            print(SARIF.document(findings: code.findings, diagnostics: diagnostics,
                                 toolVersion: SpwReview.configuration.version,
                                 provenance: code.applyResult.map(Self.provenance)).serialized())
        case .b4, .patchworkCheck:
            guard let series else {
                for d in diagnostics { print(TextReport.diagnostic(d, style: TextStyle(color: false))) }
                return
            }
            let summary = ReviewSummary(series: series, apply: code.applyResult, findings: code.findings,
                                        trees: code.trees, diagnostics: diagnostics)
            if format == .b4 {
                FileHandleOutput.standardOutput.write(B4Report.render(summary))
            } else {
                print(PatchworkCheckReport.document(summary, targetURL: targetURL).serialized())
            }
        case .markdown, .email:
            if let series {
                let summary = ReviewSummary(series: series, apply: code.applyResult, findings: code.findings,
                                            trees: code.trees, diagnostics: diagnostics, listsUnchanged: all)
                print(format == .markdown ? MarkdownReport.render(summary)
                      : EmailReport.render(summary, reviewer: Self.reviewer(tree: code.applyResult?.tree)), terminator: "")
            } else {
                for d in diagnostics { print(TextReport.diagnostic(d, style: TextStyle(color: false))) }
            }
        case .text:
            let style = TextStyle(color: Terminal.colorOnStdout)
            if let series { print(TextReport.series(series, style: style)) }
            if let applyText = code.applyText { print(applyText) }
            if series != nil {
                if code.findings.isEmpty {
                    print(style.bold("Findings:") + (code.trees > 0 ? " none on any tree T0..T\(code.trees - 1)" : " none in the diff (no kernel tree: only diff rules ran; use --tree)"))
                } else if code.trees == 0 {
                    print(style.bold("Findings:") + " (diff only; use --tree for the tree rules)")
                    print(FindingsText.render(code.findings, style: style, showPath: !noPath, trees: code.trees))
                } else {
                    // What the series changes first; what it leaves as it was last, without paths.
                    let introduced = code.findings.filter { $0.introducedBy != nil }
                    let resolved = code.findings.filter { $0.resolvedBy != nil && $0.introducedBy == nil }
                    let untouched = code.findings.filter { $0.introducedBy == nil && $0.resolvedBy == nil }
                    let groups: [(String, [Finding], Bool)] = [
                        ("Findings introduced by the series:", introduced, !noPath),
                        ("Findings resolved by the series:", resolved, !noPath),
                        ("Findings present before and after the series:", all ? untouched : [], false),
                    ]
                    print(style.dim("(T0 = base, Tk = after patch k)"))
                    for (title, group, paths) in groups where !group.isEmpty {
                        print(style.bold(title))
                        print(FindingsText.render(group, style: style, showPath: paths, trees: code.trees))
                    }
                    if !all && !untouched.isEmpty { print(style.dim(FindingsCount.unchangedLine(untouched.count))) }
                    print(style.bold("Verdict:"))
                    for line in FindingsText.verdict(code.findings, patches: code.trees - 1) { print("  " + line) }
                }
            }
            if !diagnostics.isEmpty {
                print(style.bold("Diagnostics:"))
                for d in diagnostics { print(TextReport.diagnostic(d, style: style)) }
            }
        }
    }

    /// Who sends the replies: git's identity (the environment, then the tree's configuration).
    static func reviewer(tree: String?) -> Person? {
        let environment = ProcessInfo.processInfo.environment
        if let email = environment["GIT_AUTHOR_EMAIL"], !email.isEmpty {
            return Person(name: environment["GIT_AUTHOR_NAME"] ?? "", email: email)
        }
        guard let repository = (tree ?? SeriesApplier.enclosingRepository(of: ".")).flatMap({ try? Repository(path: $0) }),
              let email = repository.configString("user.email") else { return nil }
        return Person(name: repository.configString("user.name") ?? "", email: email)
    }

    /// Where the reviewed trees come from, for SARIF: the repository's `origin` (when it has one),
    /// the base commit T0 is the tree of, and the branch checked out there.
    static func provenance(_ result: ApplyResult) -> SARIF.Provenance {
        let repository = try? Repository(path: result.tree)
        return SARIF.Provenance(repositoryURI: repository?.remoteURL(), revisionID: result.base.commit,
                                branch: (try? repository?.headBranch()) ?? nil)
    }

    /// What `check` and `review` fail on: errors in the mail or the apply, or a finding the series
    /// introduces (without a tree: any finding the diff rules make).
    static func exitStatus(_ code: ReviewedCode, diagnostics: [Diagnostic], failOnWarnings: Bool = false) -> Int32 {
        let introduced = code.findings.filter {
            ($0.severity == .error || (failOnWarnings && $0.severity == .warning)) && (code.trees == 0 || $0.introducedBy != nil)
        }
        return diagnostics.contains(where: { $0.severity == .error }) || !introduced.isEmpty ? ExitStatus.problems : ExitStatus.clean
    }

    /// By file and line, so output reads top to bottom like the input.
    static func ordered(_ diagnostics: [Diagnostic]) -> [Diagnostic] {
        var seen = Set<Diagnostic>()
        let unique = diagnostics.filter { seen.insert($0).inserted }
        return unique.enumerated().sorted { a, b in
            let la = a.element.location, lb = b.element.location
            if la?.file != lb?.file { return a.offset < b.offset }
            if la?.line != lb?.line { return (la?.line ?? 0) < (lb?.line ?? 0) }
            return a.offset < b.offset
        }.map(\.element)
    }
}
