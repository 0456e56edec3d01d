import ArgumentParser
import Foundation
import Mail
import Series
import Apply
import Report

/// `spw-review apply`: apply a series to a kernel tree in memory and say what happened to
/// every hunk. Register it in `SpwReview.configuration.subcommands`.
struct ApplyCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "apply",
        abstract: "Apply a series to a kernel git tree in memory (nothing is written unless --apply-to-branch).",
        discussion: """
            Finds the base (--base, the series' base-commit, a guess from the index lines' preimage \
            blobs within --base-search-depth first-parent commits, or HEAD), applies each patch to \
            the tree in memory, repairing mailer damage, and reports each patch and hunk: applied, \
            applied-with-offset, repaired, already-applied, conflict or skipped. See docs/apply.md.
            """
    )

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "Series to apply: mbox (or .mbox.gz), mail, format-patch or b4 am directory, Maildir, quilt directory, pasted text, or - for stdin.")
    var inputs: [String]

    @OptionGroup var apply: ApplyOptions

    @Flag(name: .customLong("print-tree"), help: "Print only the resulting tree id (Tn).")
    var printTree = false

    @Option(help: "Output format: text or json (schema spw-review/1, with \"apply\").")
    var format: TextOrJSONFormat = .text

    @OptionGroup var choice: SeriesChoice

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one input (a path, or - for stdin)") }
    }

    func run() throws {
        let loaded = try LoadedInput.load(inputs)
        guard let (picked, inputDiagnostics) = try choice.select(from: loaded) else {
            let style = TextStyle(color: Terminal.colorOnStderr)
            Terminal.printError("\(inputs[0]): \(style.severity(.error)): no patch series found in the input")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        guard let result = try runApplyStage(series: picked, options: apply, enclosing: .always) else {
            throw ValidationError("no git repository contains \(FileManager.default.currentDirectoryPath): name the kernel tree with --tree DIR")
        }
        let series = picked.confirmingIndentation(appliedAsSent: result.hunksAppliedAsSent, filesCarriageReturns: result.hunksWithTheFilesCarriageReturns)
        let diagnostics = ReviewCommand.ordered(inputDiagnostics + series.patches.flatMap(\.diagnostics) + result.diagnostics)
        if printTree {
            print(result.resultTree)
        } else {
            switch format {
            case .json:
                print(ReviewJSON.document(series: series, inputs: loaded.inputs, diagnostics: diagnostics,
                                          apply: ApplyJSON.apply(result)).serialized())
            default:
                let style = TextStyle(color: Terminal.colorOnStdout)
                print(ApplyText.render(result, style: style))
                let shown = result.diagnostics
                if !shown.isEmpty {
                    print(style.bold("Diagnostics:"))
                    for d in ReviewCommand.ordered(shown) { print(TextReport.diagnostic(d, style: style)) }
                }
            }
        }
        if !result.applied || result.diagnostics.contains(where: { $0.severity == .error }) {
            throw ExitCode(ExitStatus.problems)
        }
    }
}
