import Foundation
import Testing

/// `spw-review parse-c` against golden files (fixtures/csyntax/*.expected), run from the package
/// root so the paths in the output are as given.
struct ParseCGoldenTests {
    static let cases: [(arguments: [String], expected: String)] = [
        (["fixtures/csyntax/mkwrite.c", "--functions", "--format", "json"], "mkwrite.c.functions.json.expected"),
        (["fixtures/csyntax/mkwrite.c", "--ops", "--format", "json"], "mkwrite.c.ops.json.expected"),
        (["fixtures/csyntax/mkwrite.c", "--cfg", "demo_page_mkwrite", "--format", "text"], "mkwrite.c.cfg.txt.expected"),
        (["fixtures/csyntax/mkwrite.c", "--cfg", "demo_page_mkwrite", "--format", "json"], "mkwrite.c.cfg.json.expected"),
        (["fixtures/csyntax/mkwrite.c", "--cfg", "demo_page_mkwrite", "--format", "dot"], "mkwrite.c.cfg.dot.expected"),
        (["fixtures/csyntax/recovery.c", "--functions", "--format", "json"], "recovery.c.functions.json.expected"),
    ]

    @Test(arguments: cases.indices)
    func matchesGoldenOutput(_ index: Int) throws {
        let c = Self.cases[index]
        let expected = try String(contentsOf: Binary.packageRoot.appendingPathComponent("fixtures/csyntax/" + c.expected), encoding: .utf8)
        let result = try Binary.run(["parse-c"] + c.arguments, directory: Binary.packageRoot)
        #expect(result.stdout == expected, "\(c.arguments.joined(separator: " ")): \(result.stderr)")
    }
}
