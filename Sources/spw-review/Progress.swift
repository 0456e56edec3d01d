import ArgumentParser
import Foundation
import Report
import StablePages

/// A one-line progress bar on a terminal's standard error, erased when done.
struct Progress: Sendable {
    let enabled: Bool
    func show(_ text: String) { if enabled { FileHandleOutput.standardError.write("\r\u{1B}[K" + text) } }
    func clear() { if enabled { FileHandleOutput.standardError.write("\r\u{1B}[K") } }

    /// `reading  [#########...........]  612/1477`
    func bar(_ phase: String, _ done: Int, _ total: Int) {
        guard enabled, total > 0 else { return }
        let width = 30
        let filled = min(width, done * width / total)
        let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
        show("\(phase.padding(toLength: 9, withPad: " ", startingAt: 0)) [\(bar)] \(done)/\(total)")
    }
}
