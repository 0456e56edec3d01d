import ArgumentParser
import Mail
import Series
import Report

struct ReviewCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "review",
        abstract: "Review a patch series (the default command)."
    )

    @Argument(help: "Series to review: mbox, mail, format-patch or quilt directory, pasted text, or - for stdin.")
    var inputs: [String]

    @Option(help: "Output format: text or json (schema spw-review/1).")
    var format: OutputFormat = .text

    @Option(name: .customLong("series-version"), help: "Review this version (e.g. 2 or 3.2) instead of the newest complete one.")
    var seriesVersion: String?

    func validate() throws {
        if inputs.isEmpty { throw ValidationError("name at least one input (a path, or - for stdin)") }
    }

    func run() throws {
        let loaded = try LoadedInput.load(inputs)
        let collection = loaded.collection
        let series = collection.pick(version: seriesVersion.map { $0.hasPrefix("v") ? String($0.dropFirst()) : $0 })
        var diagnostics = collection.diagnostics
        if let series {
            diagnostics += series.patches.flatMap(\.diagnostics)
        }
        diagnostics = Self.ordered(diagnostics)
        if series == nil && !diagnostics.contains(where: { $0.code == "mail/no-patch" }) {
            let what = seriesVersion.map { "no series with version \($0) in the input" } ?? "no patch found in the input"
            diagnostics.append(Diagnostic("mail/no-patch", .error, what,
                                          at: SourceLocation(file: inputs[0] == "-" ? "<stdin>" : inputs[0], line: 1)))
        }
        switch format {
        case .json:
            print(ReviewJSON.document(series: series, inputs: loaded.inputs, diagnostics: diagnostics).serialized())
        case .text:
            let style = TextStyle(color: Terminal.colorOnStdout)
            if let series { print(TextReport.series(series, style: style)) }
            if !diagnostics.isEmpty {
                print(style.bold("Diagnostics:"))
                for d in diagnostics { print(TextReport.diagnostic(d, style: style)) }
            }
        }
        if series == nil { throw ExitCode(ExitStatus.unreadableInput) }
        if diagnostics.contains(where: { $0.severity == .error }) { throw ExitCode(ExitStatus.problems) }
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

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Name every series and version found in the input."
    )

    @Argument(help: "Inputs, as for review.")
    var inputs: [String]

    @Option(help: "Output format: text or json.")
    var format: OutputFormat = .text

    func run() throws {
        let loaded = try LoadedInput.load(inputs)
        switch format {
        case .json: print(ReviewJSON.list(loaded.collection).serialized())
        case .text: print(TextReport.list(loaded.collection, style: TextStyle(color: Terminal.colorOnStdout)))
        }
        if loaded.collection.series.isEmpty { throw ExitCode(ExitStatus.unreadableInput) }
    }
}
