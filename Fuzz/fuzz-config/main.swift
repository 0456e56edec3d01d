import FuzzSupport
import StablePages

// One input through the `.spw-review.toml` reader (the only parser of user files besides mail
// and C): tables, keys, strings, integers, comments, and every error path.
func parseEverything(_ bytes: [UInt8]) {
    let text = String(decoding: bytes, as: UTF8.self)
    if let config = try? UserConfiguration.parse(text, file: "fuzz.toml") {
        _ = config.apply(to: .builtIn)
    }
}

runFuzzTarget(parseEverything)
