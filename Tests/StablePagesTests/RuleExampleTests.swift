import Testing
import CSyntax
import Series
import Mail
@testable import StablePages

/// Every rule's own examples, as its description lists them: triggering examples must report
/// exactly at their `//~ finding` lines, non-triggering ones must stay silent.
struct RuleExampleTests {
    struct Case: CustomTestStringConvertible, Sendable {
        var rule: String
        var example: RuleExample
        var triggers: Bool
        var testDescription: String { "\(rule): \(example.name)" }
    }

    static let cases: [Case] = RuleRegistry.all.flatMap { rule in
        rule.description.triggering.map { Case(rule: rule.description.id, example: $0, triggers: true) }
            + rule.description.nonTriggering.map { Case(rule: rule.description.id, example: $0, triggers: false) }
    }

    static func findings(for c: Case) -> [Finding] {
        let rule = RuleRegistry.rule(id: c.rule)!
        if case .diff(let diffRule) = rule {
            let lines = TextLinesForTests.split(c.example.code)
            var parser = DiffParser(source: "example.diff", patchNumber: 1)
            let (files, _) = parser.parse(lines, from: 0)
            let patch = Patch(number: 1, total: 1, subject: "", subjectInfo: SubjectParser.parse("[PATCH] x"), author: nil,
                              date: nil, messageID: nil, inReplyTo: nil, message: "", trailers: [], collectedTrailers: [],
                              notes: "", diffstat: [], files: files, footer: SeriesFooter(), source: nil, diagnostics: [])
            return diffRule.check(patches: [patch], model: .builtIn, version: nil)
        }
        let tree = MemoryTree(name: "example", files: ["example.c": Array(c.example.code.utf8)])
        let engine = StablePageEngine(model: .builtIn, rules: [rule])
        return engine.analyze(tree).findings
    }

    @Test(arguments: cases)
    func example(_ c: Case) {
        let found = Self.findings(for: c).filter { $0.rule == c.rule }
        if c.triggers {
            #expect(!c.example.expectedLines.isEmpty, "a triggering example needs a //~ finding marker")
            #expect(found.map { $0.inputLine ?? $0.line }.sorted() == c.example.expectedLines,
                    "\(found.map { "\($0.line): \($0.message)\n" + $0.path.map { "  \($0.line) \($0.note)" }.joined(separator: "\n") })")
        } else {
            #expect(found.isEmpty, "\(found.map { "\($0.line): \($0.message)\n" + $0.path.map { "  \($0.line) \($0.note)" }.joined(separator: "\n") })")
        }
    }

    @Test func everyRuleDescribesItself() {
        for rule in RuleRegistry.all {
            let d = rule.description
            #expect(d.id.hasPrefix("stable-pages/"))
            #expect(!d.title.isEmpty && d.rationale.count > 80 && !d.errs.isEmpty)
            #expect(!d.triggering.isEmpty && !d.nonTriggering.isEmpty, "\(d.id) needs examples both ways")
        }
    }
}

enum TextLinesForTests {
    static func split(_ text: String) -> [TextLine] {
        text.split(separator: "\n", omittingEmptySubsequences: false).enumerated().map {
            TextLine(text: $0.element, mailLine: $0.offset + 1)
        }
    }
}
