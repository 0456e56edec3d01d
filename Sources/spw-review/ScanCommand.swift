import ArgumentParser
import Foundation
import Report
import StablePages
import Support

/// `spw-review scan [DIR…]`: audits a tree (or subtrees) without a series: every entry point.
struct ScanCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "scan",
        abstract: "Check every page_mkwrite, write_begin and file mmap in a kernel tree (or part of it)."
    )

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "Directories or .c files, relative to the tree root (default: the whole tree).")
    var paths: [String] = []

    @Option(help: "The kernel tree's root (default: the current directory).")
    var tree: String?

    @Option(help: "Output format: text, json, markdown or sarif.")
    var format: ScanFormat = .text

    @Flag(name: .customLong("no-path"), help: "Print findings without their paths.")
    var noPath = false


    @Flag(name: .customLong("no-cache"), help: "Do not use or write the scan cache (~/.cache/spw-review).")
    var noCache = false

    @Flag(name: .customLong("show-excluded"),
          help: "Under each entry point left out of scope, print the lines of code the exclusion rests on (JSON always has them).")
    var showExcluded = false

    func run() throws {
        let root = tree ?? FileManager.default.currentDirectoryPath
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root, isDirectory: &isDirectory), isDirectory.boolValue else {
            Terminal.printError("\(root): error: not a directory")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        for p in paths where !FileManager.default.fileExists(atPath: root + "/" + p) {
            Terminal.printError("\(p): error: no such file or directory under \(root)")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        let config = try UserConfiguration.load(treeRoot: root)
        var engine = StablePageEngine(model: config.apply(to: .builtIn))
        let source = DirectoryTree(root: root, name: root, subdirectories: paths)
        let start = Date()
        // Warm runs: the same files, unchanged, with the same model and options → the same output.
        let cache = noCache ? nil : ScanCache()
        let configText = config.path.flatMap { FileManager.default.contents(atPath: $0) }.map { String(decoding: $0, as: UTF8.self) } ?? ""
        var cacheKey: String?
        if let cache {
            let files = source.cFiles() + source.headerFiles()
            cacheKey = ScanCache.key([SpwReview.configuration.version, ScanCache.executableFingerprint,
                                      "\(engine.model.entries.count)", configText,
                                      format.rawValue, "\(noPath)", "\(showExcluded)", root] + ScanCache.fingerprint(root: root, files: files))
            if let key = cacheKey, let hit = cache.load(key) {
                FileHandleOutput.standardOutput.write(hit.output)
                if format == .text {
                    Terminal.printError(String(format: "(cached) %.2f s", Date().timeIntervalSince(start)))
                }
                if hit.status != 0 { throw ExitCode(hit.status) }
                return
            }
        }
        let progress = Progress(enabled: format == .text && Terminal.stderrIsTerminal)
        progress.show("scanning \(paths.isEmpty ? root : paths.joined(separator: " "))…")
        if progress.enabled {
            engine.progress = { phase, done, total in progress.bar(phase, done, total) }
        }
        // Summaries kept from earlier scans and reviews: after an edit, only the walks whose
        // bodies or lookups changed are done again.
        let summaries = SummaryStore()
        let summaryFile = noCache ? nil : SummaryFile(model: engine.model, configText: configText)
        PerformanceTrace.measure("loading the summary cache") { summaryFile?.load(into: summaries) }
        let result = engine.analyze(source, summaries: summaries)
        PerformanceTrace.measure("saving the summary cache") { summaryFile?.save(from: summaries) }
        progress.clear()
        let seconds = Date().timeIntervalSince(start)
        var output = ""
        switch format {
        case .json:
            output = JSONValue.object([
                ("schema", .string(ReviewJSON.schema)),
                ("tree", .string(root)),
                ("kernelVersion", .optional(source.kernelVersion?.description)),
                ("filesConsidered", .int(result.filesConsidered)),
                ("filesParsed", .int(result.filesParsed)),
                ("entryPoints", .int(result.entryPoints)),
                ("findings", FindingsJSON.findings(result.findings)),
                ("notApplicable", .array(result.notApplicable.map { n in
                    .object([("function", .string(n.function)), ("file", .string(n.file)), ("line", .int(n.line)),
                             ("slot", .string(n.slot)), ("reason", .string(n.reason))])
                })),
                // Every entry point left out, with the code it was left out for: what a reviewer audits.
                ("excluded", .array(result.notApplicable.map { n in
                    .object([("entryPoint", .string(n.function)), ("slot", .string(n.slot)), ("file", .string(n.file)),
                             ("line", .int(n.line)), ("code", .string(n.code)), ("reason", .string(n.reason)),
                             ("evidence", .array(n.evidence.map {
                                 .object([("file", .string($0.file)), ("line", .int($0.line)), ("note", .string($0.note))])
                             }))])
                })),
            ]).serialized() + "\n"
        case .sarif:
            output = SARIF.document(findings: result.findings, diagnostics: [], toolVersion: SpwReview.configuration.version)
                .serialized() + "\n"
        case .markdown:
            output = "## spw-review scan of \(paths.isEmpty ? root : paths.joined(separator: " "))\n\n"
            output += "\(result.findings.count) finding(s) in \(result.entryPoints) entry points.\n\n"
            for f in result.findings {
                output += "- **\(f.severity.rawValue)** `\(f.file):\(f.line)` \(f.message) (`\(f.rule)`)\n"
                if !noPath { for step in f.path { output += "  - `\(step.file):\(step.line)` \(step.note)\n" } }
            }
        default:
            let style = TextStyle(color: Terminal.colorOnStdout)
            if !result.findings.isEmpty { output = FindingsText.render(result.findings, style: style, showPath: !noPath) + "\n" }
            for n in result.notApplicable {
                output += "\(n.file):\(n.line): \(style.paint("note", "1;36")): \(n.function) (.\(n.slot)) not checked: \(n.reason) [\(n.code)]\n"
                if showExcluded { for e in n.evidence { output += "    \(e.file):\(e.line): \(e.note)\n" } }
            }
        }
        FileHandleOutput.standardOutput.write(output)
        if format == .text {
            let summary = String(format: "%d finding%@ in %d entry points (%d of %d files parsed, %.2f s)",
                                 result.findings.count, result.findings.count == 1 ? "" : "s", result.entryPoints,
                                 result.filesParsed, result.filesConsidered, seconds)
            Terminal.printError(summary)
        }
        let status = result.findings.contains(where: { $0.severity == .error }) ? ExitStatus.problems : ExitStatus.clean
        if let cache, let key = cacheKey, !Terminal.colorOnStdout { cache.store(key, output: output, status: status) }
        try ExitStatus.end(status)
    }
}
