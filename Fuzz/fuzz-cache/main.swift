import FuzzSupport
import StablePages

// One input read back as each cache `review` keeps under ~/.cache/spw-review: prefilter
// answers, summaries, tree reads, tree results. A damaged or edited cache file is skipped
// line by line, never a crash.
func readBackEverything(_ bytes: [UInt8]) {
    CacheTexts.readBack(Substring(String(decoding: bytes, as: UTF8.self)))
}

runFuzzTarget(readBackEverything)
