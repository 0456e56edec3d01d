import Foundation
import Testing
import Mail
import Report
import Series
import StablePages
import Support

/// Every renderer on one review: the bundled series (fixtures/series/stable-page-writes-v3.2.mbox,
/// with its parse diagnostics) and the findings of the fixture kernel before it (T0, every
/// finding untouched by the series). Each output is compared with its file under Snapshots/;
/// `SPW_REVIEW_UPDATE_SNAPSHOTS=1 swift test --filter RendererSnapshotTests` rewrites them, and the
/// diff is then read like any other change.
struct RendererSnapshotTests {
    static let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let snapshots = URL(fileURLWithPath: #filePath).deletingLastPathComponent().appendingPathComponent("Snapshots")

    static let review: (series: PatchSeries, findings: [Finding], diagnostics: [Diagnostic]) = {
        var builder = SeriesBuilder()
        let input = try! MailInput(path: root.appendingPathComponent("fixtures/series/stable-page-writes-v3.2.mbox").path)
        input.forEach { builder.add($0) }
        let collection = builder.finish()
        let series = collection.pick(version: nil)!
        let kernel = DirectoryTree(root: root.appendingPathComponent("fixtures/kernel").path, name: "T0")
        let findings = StablePageEngine().review(trees: [kernel], series: series)
        return (series, findings, collection.diagnostics + series.patches.flatMap(\.diagnostics))
    }()

    static func check(_ output: String, _ name: String) throws {
        // Locations name the mbox by the path it was read from: the checkout's, which differs.
        let output = output.replacingOccurrences(of: root.path + "/", with: "")
        let file = snapshots.appendingPathComponent(name)
        if ProcessInfo.processInfo.environment["SPW_REVIEW_UPDATE_SNAPSHOTS"] == "1" {
            try output.write(to: file, atomically: true, encoding: .utf8)
            return
        }
        let expected = try String(contentsOf: file, encoding: .utf8)
        #expect(output == expected, "\(name) changed; if on purpose: SPW_REVIEW_UPDATE_SNAPSHOTS=1 swift test --filter RendererSnapshotTests")
    }

    @Test func theReviewHasSomethingToShow() {
        #expect(Self.review.series.patches.count == 3)
        #expect(!Self.review.findings.isEmpty)
    }

    @Test func text() throws {
        try Self.check(FindingsText.render(Self.review.findings, style: TextStyle(color: false), trees: 1), "findings.txt")
    }

    @Test func textSeries() throws {
        try Self.check(TextReport.series(Self.review.series, style: TextStyle(color: false)), "series.txt")
    }

    @Test func markdown() throws {
        let summary = ReviewSummary(series: Self.review.series, apply: nil, findings: Self.review.findings, trees: 1,
                                    diagnostics: Self.review.diagnostics)
        try Self.check(MarkdownReport.render(summary), "review.md")
    }

    @Test func email() throws {
        let summary = ReviewSummary(series: Self.review.series, apply: nil, findings: Self.review.findings, trees: 1,
                                    diagnostics: Self.review.diagnostics)
        try Self.check(EmailReport.render(summary), "reply.eml")
    }

    /// `--all`: the findings the series leaves alone are listed, not only counted.
    @Test func markdownAndEmailWithAll() throws {
        let summary = ReviewSummary(series: Self.review.series, apply: nil, findings: Self.review.findings, trees: 1,
                                    diagnostics: Self.review.diagnostics, listsUnchanged: true)
        try Self.check(MarkdownReport.render(summary), "review-all.md")
        try Self.check(EmailReport.render(summary), "reply-all.eml")
    }

    @Test func json() throws {
        let document = ReviewJSON.document(series: Self.review.series, inputs: [("fixtures/series/stable-page-writes-v3.2.mbox", "mbox")],
                                           diagnostics: Self.review.diagnostics, findings: FindingsJSON.findings(Self.review.findings))
        try Self.check(document.serialized() + "\n", "review.json")
    }

    @Test func sarif() throws {
        let document = SARIF.document(findings: Self.review.findings, diagnostics: Self.review.diagnostics, toolVersion: "0.0.0-snapshot")
        try Self.check(document.serialized() + "\n", "review.sarif")
    }

    /// Issue 14: each finding's state against the series' base, in JSON and as SARIF's
    /// baselineState; a finding of one tree (scan) has none.
    @Test func statesAgainstTheBase() {
        var introduced = Self.review.findings[0]
        introduced.presentIn = [1]
        introduced.introducedBy = 1
        var resolved = Self.review.findings[0]
        resolved.presentIn = [0]
        resolved.resolvedBy = 1
        var scanned = Self.review.findings[0]
        scanned.presentIn = []
        let states = [introduced, Self.review.findings[0], resolved, scanned].map(\.state)
        #expect(states == [.new, .unchanged, .resolved, nil])
        let sarif = SARIF.document(findings: [introduced, resolved, scanned], diagnostics: [], toolVersion: "x").serialized()
        #expect(sarif.contains("\"baselineState\": \"new\""))
        #expect(sarif.contains("\"baselineState\": \"absent\""))
        #expect(sarif.components(separatedBy: "baselineState").count == 3)
    }

    /// A finding keeps its SARIF fingerprint when only its line moves, and two findings differ.
    @Test func fingerprintsIgnoreLinesOnly() {
        var moved = Self.review.findings[0]
        moved.line += 40
        func fingerprints(_ findings: [Finding]) -> [String] {
            let text = SARIF.document(findings: findings, diagnostics: [], toolVersion: "x").serialized()
            return text.components(separatedBy: "\"spwReviewFinding/v1\": \"").dropFirst().map { String($0.prefix(16)) }
        }
        #expect(fingerprints([Self.review.findings[0]]) == fingerprints([moved]))
        let two = fingerprints(Array(Self.review.findings.prefix(2)))
        #expect(two.count == 2 && two[0] != two[1])
    }

    /// Colour only when asked for, and then as SGR sequences around the severity.
    @Test func colourIsOptIn() {
        let plain = FindingsText.render(Self.review.findings, style: TextStyle(color: false), trees: 1)
        let coloured = FindingsText.render(Self.review.findings, style: TextStyle(color: true), trees: 1)
        #expect(!plain.contains("\u{1B}["))
        #expect(coloured.contains("\u{1B}[1;31merror\u{1B}[0m"))
    }
}
