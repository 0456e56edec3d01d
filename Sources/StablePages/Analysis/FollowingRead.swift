import CSyntax
import Support

/// Reading T(k) from T(k-1). A patch changes a few files; the read of a whole tree (the token
/// prefilter over every `.c` file, two callee rounds over every file and the headers they
/// include) costs a third of a second even when every answer is cached. What `read` selects
/// depends only on:
/// - the list of files (no file added or removed),
/// - each file's facts: whether it mentions an entry token, the names it defines, its includes,
/// - the callees each round looks for, which depend on what the files it parsed bind and call,
/// - the release (the model's vocabulary is per release).
/// When the files the patch changed have the same facts, and each round looks for the same
/// names (shown at once when the changed files bind and call what they did, else by running
/// the rounds' lookups again on the earlier selection), `read` of the later tree selects the
/// same files in the same order: its program is the earlier one's with the changed files
/// parsed again. Otherwise the tree is read in full.
extension StablePageEngine {
    func following(_ previous: TreeRead, in tree: SourceTree, cache: ParseCache, onlyPaths prefixes: [String]) -> TreeRead? {
        let before = previous.tree
        guard previous.prefixes == prefixes, tree.kernelVersion == before.kernelVersion,
              let differing = tree.differingPaths(from: before) else { return nil }
        var position: [String: Int] = [:]
        for (i, file) in previous.program.files.enumerated() { position[file.path] = i }
        var files = previous.program.files
        var sameShapes = true
        let tokens = relevantTokens
        for path in differing where before.contentID(of: path) != tree.contentID(of: path) {
            // A file added or removed changes the lists the rounds search, and where includes land.
            guard before.contentID(of: path) != nil, let newID = tree.contentID(of: path) else { return nil }
            let inScope = path.hasSuffix(".c") && (prefixes.isEmpty || prefixes.contains { path.hasPrefix($0) })
            // A header outside the include closure was never looked at, and is not now.
            guard inScope || previous.includedHeaders.contains(path) || position[path] != nil else { continue }
            // From the bytes of both: a few files, and the kept answers need not be loaded.
            guard let oldBytes = before.contents(of: path), let bytes = tree.contents(of: path),
                  Self.selectionFacts(oldBytes, tokens: inScope ? tokens : []) == Self.selectionFacts(bytes, tokens: inScope ? tokens : [])
            else { return nil }
            guard let i = position[path] else { continue }
            guard let parsed = cache.parsed(path: path, id: newID, bytes: { bytes }) else { return nil }
            if sameShapes {
                sameShapes = selectionShape(of: parsed, key: newID + ":" + path, previous: previous)
                    == selectionShape(of: files[i], key: previous.fileKeys[i], previous: previous)
            }
            files[i] = parsed
        }
        let fileKeys = files.map { file in (tree.contentID(of: file.path).map { $0 + ":" } ?? "") + file.path }
        let program = PerformanceTrace.measure("\(tree.name): program index") { Program(files: files, version: tree.kernelVersion) }
        if !sameShapes {
            // The rounds again, on the same selection: each must look for the names it did.
            var searched = Set<String>()
            for round in previous.rounds {
                let missing = PerformanceTrace.measure("\(tree.name): callees to look for, as \(before.name)'s round") {
                    unresolvedCallees(program, memo: previous.calleeMemo, fileKeys: fileKeys, limit: round.programSize)
                        .filter { !searched.contains($0) }
                }
                guard missing == round.missing else { return nil }
                searched.formUnion(missing)
            }
        }
        return TreeRead(tree: tree, prefixes: prefixes, program: program, considered: previous.considered,
                        includedHeaders: previous.includedHeaders, calleeMemo: previous.calleeMemo,
                        fileKeys: fileKeys, rounds: previous.rounds)
    }

    /// The facts `read` selects a file by (see `FileFacts`), from its bytes.
    static func selectionFacts(_ bytes: [UInt8], tokens: [String]) -> FileFacts {
        let shapes = DefinitionShapes.scan(bytes)
        return FileFacts(mentionsEntryTokens: tokens.isEmpty ? nil : TokenPrefilter.mentionsAny(bytes, of: tokens),
                         definedNames: shapes.definedNames, includes: shapes.includes)
    }

    /// What `unresolvedCallees` reads of one parsed file, in order: its ops bindings, then each
    /// function with its calls. A call of the model's vocabulary that nothing in the program
    /// defines is left out: the rounds skip it whatever the file says (a removed
    /// `wait_on_page_writeback()` changes the findings, not what is read).
    func selectionShape(of file: ParsedFile, key: String, previous: TreeRead) -> [String] {
        let table = model.effects(for: previous.program.version)
        var shape = file.opsBindings.map { "\($0.structType ?? "")|\($0.slot)|\($0.function)" }
        for (k, function) in file.outlines.enumerated() {
            var line = "\(function.name)(\(function.isStatic ? "static" : "")):"
            for callee in previous.calleeMemo.callees(of: file, key: key, function: k) {
                let isPrimitive = table[callee.name]?.contains { $0.effect.isPrimitive } ?? false
                if isPrimitive && previous.program.definitions[callee.name] == nil { continue }
                line += " \(callee.name)\(callee.worthALook ? "*" : "")"
            }
            shape.append(line)
        }
        return shape
    }
}
