import ArgumentParser
import Foundation
import Report
import Support

struct ListCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "list",
        abstract: "Name every series and version found in the input."
    )

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "Inputs, as for review.")
    var inputs: [String]

    @Option(help: "Output format: text or json.")
    var format: TextOrJSONFormat = .text


    func run() throws {
        let loaded = try LoadedInput.load(inputs)
        let collection = loaded.collection
        if collection.series.isEmpty {
            // Nothing to list is an error with a reason, git-style, on stderr; JSON readers still
            // get their (empty) document.
            if format == .json { print(ReviewJSON.list(collection).serialized()) }
            let style = TextStyle(color: Terminal.colorOnStderr)
            for d in collection.diagnostics { Terminal.printError(TextReport.diagnostic(d, style: style)) }
            let names = loaded.inputs.map { $0.path == "-" ? "<stdin>" : $0.path }.joined(separator: ", ")
            Terminal.printError("\(names): error: no patch found")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        PerformanceTrace.measure("listing") {
            switch format {
            case .json: print(ReviewJSON.list(collection).serialized())
            default: print(TextReport.list(collection, style: TextStyle(color: Terminal.colorOnStdout)))
            }
        }
        try ExitStatus.end(ExitStatus.clean)
    }
}
