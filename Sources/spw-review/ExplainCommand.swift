import ArgumentParser
import Foundation
import Report
import StablePages

/// `spw-review explain RULE`: a rule's description, rationale and examples.
struct ExplainCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "explain", abstract: "Explain a rule (or a diagnostic code).")

    @OptionGroup var colorChoice: ColorOption

    @Argument(help: "A rule id such as stable-pages/mkwrite-without-wait (the part after / is enough).")
    var id: String

    func run() throws {
        if let rule = RuleRegistry.rule(id: id) {
            print(RuleDocs.markdown(rule.description, level: 1))
        } else if let text = DiagnosticCatalog.explain(id) {
            print(text)
        } else {
            Terminal.printError("error: no rule or diagnostic code '\(id)'; `spw-review rules` lists the rules, docs/diagnostics.md the codes")
            throw ExitCode(64)
        }
    }
}
