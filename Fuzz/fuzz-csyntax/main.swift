import FuzzSupport
import CSyntax

// One input through the C parser (issue 4): lexing, preprocessor conditionals, parsing, ops
// bindings, every function's control-flow graph and the token prefilter.
func parseEverything(_ bytes: [UInt8]) {
    let parsed = CParser.parse(bytes, path: "fuzz.c")
    _ = parsed.controlFlowGraphs()
    _ = TokenPrefilter.mentionsAny(bytes, of: ["page_mkwrite", "vm_ops"])
}

runFuzzTarget(parseEverything)
