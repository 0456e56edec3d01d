import ArgumentParser
import Foundation
import Report
import StablePages

/// `spw-review rules`: every rule, one line each (or the whole docs/rules.md with --markdown).
struct RulesCommand: ParsableCommand {
    static let configuration = CommandConfiguration(commandName: "rules", abstract: "List the rules.")

    @OptionGroup var colorChoice: ColorOption

    @Flag(help: "Print docs/rules.md: every rule in full.")
    var markdown = false

    @Flag(help: "Print docs/model.md: the built-in stable-page model, every entry with its reason and releases.")
    var model = false

    func run() throws {
        if model {
            print(ModelDocs.document(), terminator: "")
        } else if markdown {
            print(RuleDocs.document())
        } else {
            for rule in RuleRegistry.all {
                let d = rule.description
                print("\(d.id)\t\(d.severity.rawValue)\t\(d.confidence.rawValue)\t\(d.title)")
            }
        }
    }
}
