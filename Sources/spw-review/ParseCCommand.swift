import ArgumentParser
import CSyntax

// Placeholder until the CSyntax stage lands (issue 4); replaced by the real command.
struct ParseCCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "parse-c",
        abstract: "Parse kernel C files and show functions, control-flow graphs or ops bindings."
    )
    @Argument(help: "Files or directories to parse.") var paths: [String] = []
    func run() throws {
        throw ValidationError("parse-c is not available yet")
    }
}
