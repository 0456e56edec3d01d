import ArgumentParser
import Foundation
import Report
import StablePages

/// `spw-review summary FUNCTION [DIR…]`: the derived summary of one function, every exit with its
/// path — for maintainers checking why a handler is or is not flagged.
struct SummaryCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "summary", abstract: "Show what the analysis derives for one function (its exits and paths).")

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "The function.") var function: String
    @Argument(help: "Directories or .c files to read, relative to the tree root.") var paths: [String] = []
    @Option(help: "The kernel tree's root (default: the current directory).") var tree: String?

    func run() throws {
        let root = tree ?? FileManager.default.currentDirectoryPath
        let config = try UserConfiguration.load(treeRoot: root)
        let engine = StablePageEngine(model: config.apply(to: .builtIn))
        let source = DirectoryTree(root: root, name: root, subdirectories: paths)
        let program = engine.program(for: source)
        let analyzer = PathAnalyzer(program: program, model: engine.model)
        guard let summary = analyzer.summary(named: function) else {
            Terminal.printError("error: no definition of \(function) in the files read")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        print("\(summary.file):\(summary.line): \(function): \(summary.outcomes.count) exit(s)")
        for o in summary.outcomes {
            print("  return \(o.returnClass.rawValue), page \(o.lock.rawValue)\(o.waitedUnderLock ? ", waited under lock" : "")\(o.waitedInherited ? ", waited (caller's lock)" : "")\(o.waitedUnlocked ? ", waited unlocked" : "")\(o.handedBack ? ", handed back" : "")\(o.writeback == .unchanged ? "" : ", writeback \(o.writeback.rawValue)")\(o.returnsPage ? ", returns the page" : "")")
            for step in o.path { print("      \(step.file):\(step.line): \(step.note)") }
        }
        for u in summary.usedSummaries { print("  used: \(u)") }
        for a in summary.assumptions { print("  assumed: \(a)") }
    }
}
