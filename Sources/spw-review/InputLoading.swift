import ArgumentParser
import Mail
import Series
import Report

/// Reads every input into one collection of series. Unreadable input ends the run with
/// exit status 3 and a `file[:line]: error:` line, the way git reports a bad file.
struct LoadedInput {
    var collection: SeriesCollection
    var inputs: [(path: String, kind: String)]

    static func load(_ paths: [String]) throws -> LoadedInput {
        var builder = SeriesBuilder()
        var inputs: [(String, String)] = []
        for path in paths {
            let input: MailInput
            do {
                input = try MailInput(path: path)
            } catch {
                let style = TextStyle(color: Terminal.colorOnStderr)
                let location = error.line.map { "\(error.path):\($0): " } ?? "\(error.path): "
                Terminal.printError("\(location)\(style.severity(.error)): \(error.message)")
                throw ExitCode(ExitStatus.unreadableInput)
            }
            inputs.append((path, input.kind.rawValue))
            input.forEach { builder.add($0) }
        }
        return LoadedInput(collection: builder.finish(), inputs: inputs)
    }
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

    /// The series chosen, nil when there is none; several series in separate threads and no
    /// choice stop the run with exit status 2 and the list (a command never picks one silently).
    func select(from loaded: LoadedInput) throws -> PatchSeries? {
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
