import Foundation
import Testing
import Mail
import Series
@testable import Apply

/// libgit2's patch parser, as a second opinion, agrees with ours on every clean git-format diff
/// of the fixtures and of the shared third-party corpus.
struct DiffSecondOpinionTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .deletingLastPathComponent()

    static func inputs() -> [String] {
        let corpus = root.deletingLastPathComponent().appendingPathComponent("shared/corpus/peer-mail")
        let fm = FileManager.default
        var paths = [root.appendingPathComponent("fixtures/series/stable-page-writes-v3.2.mbox").path,
                     root.appendingPathComponent("fixtures/series/format-patch").path]
        if let walker = fm.enumerator(atPath: corpus.path) {
            for case let relative as String in walker where relative.hasSuffix(".mbox") {
                paths.append(corpus.appendingPathComponent(relative).path)
            }
        }
        return paths.sorted()
    }

    @Test(arguments: inputs())
    func agreesWithLibgit2(_ path: String) throws {
        var builder = SeriesBuilder()
        let input = try MailInput(path: path)
        input.forEach { builder.add($0) }
        let collection = builder.finish()
        var checked = 0
        for series in collection.series {
            checked += series.patches.count
            let warnings = DiffSecondOpinion.check(series).filter { $0.severity != .info }
            #expect(warnings.isEmpty, "\(path): \(warnings.map(\.message))")
        }
        _ = checked
    }
}
