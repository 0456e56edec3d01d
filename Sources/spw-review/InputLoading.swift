import ArgumentParser
import Dispatch
import Foundation
import Mail
import Series
import Support
import Report

/// Reads every input into one collection of series. Unreadable input ends the run with
/// exit status 3 and a `file[:line]: error:` line, the way git reports a bad file.
///
/// mbox files (archives can be large) are read in two passes: the first groups outlines of
/// the mails (envelopes, and the diffs' changes read from plain bodies), which is all `list`
/// needs; the series a command chooses is then read again in full, its mails only. Memory stays
/// bounded by the outlines, not by the archive.
struct LoadedInput {
    var collection: SeriesCollection
    var inputs: [(path: String, kind: String)]
    /// The collection holds outlines, read in full by `complete`.
    var outlined = false

    static func load(_ paths: [String], outline: Bool = true) throws -> LoadedInput {
        var builder = SeriesBuilder()
        var inputs: [(String, String)] = []
        var opened: [MailInput] = []
        for path in paths {
            do {
                opened.append(try MailInput(path: path))
            } catch {
                let style = TextStyle(color: Terminal.colorOnStderr)
                let location = error.line.map { "\(error.path):\($0): " } ?? "\(error.path): "
                Terminal.printError("\(location)\(style.severity(.error)): \(error.message)")
                throw ExitCode(ExitStatus.unreadableInput)
            }
        }
        let outlined = outline && opened.allSatisfy(\.isMboxFile)
        let reading = PerformanceTrace.now()
        for input in opened {
            inputs.append((input.path, input.kind.rawValue))
            if outlined, var blocks = input.mboxBlocks(blockSize: 1 << 19) {
                addOutlines(of: input, cutInto: &blocks, to: &builder)
            } else {
                input.forEach { builder.add($0) }
            }
        }
        PerformanceTrace.record(outlined ? "mail outlines" : "mail read in full", since: reading)
        let grouping = PerformanceTrace.now()
        let collection = (consume builder).finish()
        PerformanceTrace.record("grouping the mails", since: grouping)
        // Nothing found: what each mail says about itself (a NUL byte, a charset) is the
        // explanation, and only a full read has it.
        if outlined && collection.series.isEmpty { return try load(paths, outline: false) }
        return LoadedInput(collection: collection, inputs: inputs, outlined: outlined)
    }

    /// The archive is cut into blocks of whole messages, and each block into outlines on all
    /// cores; the outlines are added in the input's order. A few blocks wait at most: memory
    /// stays bounded whatever the archive's size.
    private static func addOutlines(of input: MailInput, cutInto blocks: inout MboxBlocks, to builder: inout SeriesBuilder) {
        let workers = DispatchQueue(label: "spw-review.outlines", attributes: .concurrent)
        var waiting: [OutlinedBlock] = []
        var linesBefore = 0  // in the blocks already added: each block numbers its own lines
        func addOldest() {
            let done = waiting.removeFirst()
            done.finished.wait()
            // In place, by index: copying each outline out of the block costs a retain per field.
            for k in done.outlines.indices {
                done.outlines[k].0.moveDown(linesBefore)
                builder.add(done.outlines[k].0)
                if !done.outlines[k].1.isEmpty {
                    var lines = done.outlines[k].1
                    for j in lines.indices { lines[j].moveDown(linesBefore) }
                    builder.add(.text(PlainText(source: done.outlines[k].0.source, text: "", origin: .headerless, diagnostics: lines)))
                }
            }
            linesBefore += done.lineCount
        }
        while let block = blocks.next() {
            let slot = OutlinedBlock()
            waiting.append(slot)
            workers.async {
                slot.lineCount = input.forEachRawMessage(in: block) { raw, lines in
                    slot.outlines.append((SeriesBuilder.outline(raw), lines))
                }
                slot.finished.signal()
            }
            if waiting.count > 3 { addOldest() }
        }
        while !waiting.isEmpty { addOldest() }
        let trailing = blocks.readError.map { [input.readErrorDiagnostic($0, stoppedIn: linesBefore)] } ?? []
        builder.add(.text(PlainText(source: input.path, text: "", origin: .headerless, diagnostics: trailing)))
    }

    /// `series` (one of `collection`'s) with its mails read in full, and the diagnostics that go
    /// with it: the input's own (huge lines, read errors) and its mails'.
    func complete(_ series: PatchSeries) throws -> (series: PatchSeries, diagnostics: [Diagnostic]) {
        guard outlined else { return (series, collection.diagnostics) }
        let members = SeriesCollection.members(of: series)
        var builder = SeriesBuilder()
        for (path, _) in inputs {
            let input: MailInput
            do { input = try MailInput(path: path) } catch {
                Terminal.printError("\(error.path): error: \(error.message) (read again for the chosen series)")
                throw ExitCode(ExitStatus.unreadableInput)
            }
            input.forEachRawMessage { raw, _ in
                guard members.contains(SourceLocation(file: raw.source, line: raw.startLine)) else { return }
                builder.add(.message(MailMessage.parse(raw)))
            }
        }
        let inputDiagnostics = collection.diagnostics.filter { $0.code == "mail/huge-line" || $0.code == "mail/read-error" }
        // The mails of one series group as one series again; should a mail read in full say
        // more than its outline did, the series with most of the chosen patches is the one.
        let chosen = Set(series.patches.compactMap(\.source))
        func overlap(_ s: PatchSeries) -> Int { chosen.intersection(s.patches.compactMap(\.source)).count }
        let full = builder.finish()
        if let best = full.series.max(by: { overlap($0) < overlap($1) }), overlap(best) > 0 {
            return (best, inputDiagnostics + full.diagnostics)
        }
        // Read in full, the chosen mails are no series (an outline saw a diff the parser does
        // not): the whole input, read in full, decides.
        let whole = try LoadedInput.load(inputs.map(\.path), outline: false)
        guard let best = whole.collection.series.max(by: { overlap($0) < overlap($1) }), overlap(best) > 0 else {
            Terminal.printError("\(inputs.map(\.path).joined(separator: ", ")): error: the chosen series has no patch when read in full")
            throw ExitCode(ExitStatus.unreadableInput)
        }
        return (best, whole.collection.diagnostics)
    }
}

/// The outlines of one block of an mbox, made on a worker; `finished` is signalled when done.
final class OutlinedBlock: @unchecked Sendable {
    var outlines: [(MailOutline, [Diagnostic])] = []
    var lineCount = 0
    let finished = DispatchSemaphore(value: 0)
}

/// `--series N` / `--series-version V`: which series of the input a command works on.
struct SeriesChoice: ParsableArguments {
    @Option(name: .customLong("series"), help: "Work on the Nth series that `list` prints (when the input holds several).")
    var number: Int?

    @Option(name: .customLong("series-version"), help: "Work on this version (e.g. 2 or 3.2) instead of the newest complete one.")
    var version: String?

    func validate() throws {
        if let number, number < 1 { throw ValidationError("--series counts from 1, as `list` prints them") }
    }

    /// The series chosen, read in full, with the diagnostics that go with it; nil when there is
    /// none. Several series in separate threads and no choice stop the run with exit status 2
    /// and the list (a command never picks one silently).
    func select(from loaded: LoadedInput) throws -> (series: PatchSeries, diagnostics: [Diagnostic])? {
        guard let outline = try selectOutline(from: loaded) else { return nil }
        return try loaded.complete(outline)
    }

    func selectOutline(from loaded: LoadedInput) throws -> PatchSeries? {
        let collection = loaded.collection
        switch collection.select(number: number, version: version.map { $0.hasPrefix("v") ? String($0.dropFirst()) : $0 }) {
        case .series(let series): return series
        case .none: return nil
        case .ambiguous(let all):
            let style = TextStyle(color: Terminal.colorOnStderr)
            let names = loaded.inputs.map { $0.path == "-" ? "<stdin>" : $0.path }.joined(separator: ", ")
            Terminal.printError("\(names): \(style.severity(.error)): \(all.count) series in separate threads; choose one with --series N or --series-version V [mail/several-series]")
            Terminal.printError(TextReport.list(collection, style: style))
            throw ExitCode(ExitStatus.severalSeries)
        }
    }
}
