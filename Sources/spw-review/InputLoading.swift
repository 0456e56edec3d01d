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
