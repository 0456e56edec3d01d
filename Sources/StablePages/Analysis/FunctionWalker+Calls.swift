import Support
import Foundation
import CSyntax

extension FunctionWalker {
    func call(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [Result] {
        let arguments = file.arguments(of: node)
        // Arguments first (nested calls such as block_page_mkwrite_return(block_page_mkwrite(…))).
        var pre: [(PageState, Trace?, [ValueClass], [Bool])] = [(state, trace, [], [])]
        for a in arguments {
            pre = pre.flatMap { (s, t, values, pages) in
                eval(a, s, t).map { r in (r.state, r.trace, values + [r.value], pages + [r.isPage || isPage(a, r.state)]) }
            }
        }
        guard let name = file.calleeName(of: node) else {
            // Through a function-pointer member (`ctx->ops->check_write_begin(…)`): the functions
            // the tree ever puts in that member, when they are few and are given the page.
            return pre.flatMap { (s0, t0, _, pages) in
                callThroughMember(node, arguments: arguments, pages: pages, s0, t0)
                    ?? [Result(state: s0, value: .unknown, isPage: false, trace: t0)]
            }
        }
        let line = file.line(of: node)
        var out: [Result] = []
        for (s0, t0, values, pages) in pre {
            var s = s0
            var t = t0
            if case .convertsPage(let a)? = analyzer.primitive(name) {
                out.append(Result(state: s, value: .unknown, isPage: a < pages.count && pages[a], trace: t))
                continue
            }
            if name == "likely" || name == "unlikely" {
                out.append(Result(state: s, value: values.first ?? .unknown, isPage: false, trace: t))
                continue
            }
            if let effect = analyzer.primitive(name) {
                out.append(contentsOf: applyPrimitive(effect, name: name, node: node, arguments: arguments, values: values, pages: pages, s, t))
                continue
            }
            // Only callees that can touch the page (they are given it, the fault, or the page
            // out-argument) or hand one back are worth a summary; the rest (allocators, tracing,
            // locking of other objects) cannot change what this rule is about.
            let argTexts = arguments.map { text($0) }
            let reachesPage = pages.contains(true) || faultParameter.map { argTexts.contains($0) } == true
                || pageOut.map { argTexts.contains($0) } == true
                || arguments.contains { a in
                    let t = compact(a)
                    return t.hasPrefix("&") && pageVariables.contains(String(t.dropFirst()))
                }
            // The tree's own body wins over the model.
            if let def = analyzer.resolve(name, from: fileIndex), reachesPage || calleeReturnsPage(name)
                || analyzer.mightTouchPageState(name) {
                if analyzer.isInProgress(file: def.file, function: def.function) {
                    assumptions.append("\(name): recursive call, assumed not to wait")
                    out.append(Result(state: s, value: .unknown, isPage: false, trace: t))
                    continue
                }
                let callee = analyzer.summary(file: def.file, function: def.function, constants: constantArguments(arguments),
                                              flagTexts: flagArguments(arguments))
                used.append("\(name) (derived from \(callee.file):\(callee.line))")
                assumptions.append(contentsOf: callee.assumptions)
                incomplete = incomplete || callee.incomplete
                out.append(contentsOf: applySummary(callee, name: name, node: node, arguments: arguments, pages: pages, s, t))
                continue
            }
            if let fact = analyzer.helperFact(name) {
                used.append("\(name) (model: \(fact.reason); \(fact.versions))")
                out.append(contentsOf: applyHelperFact(fact, name: name, node: node, arguments: arguments, pages: pages, s, t))
                continue
            }
            let passesPage = pages.contains(true) || arguments.contains { a in
                let text = text(a)
                return text == faultParameter || text == pageOut || (pageOut != nil && text.hasPrefix("&"))
            }
            if passesPage && analyzer.mightTouchPageState(name) {
                assumptions.append("\(name): no body in the analysed files and not in the model; assumed not to wait")
                t = step(line, "\(name)(): unknown, assumed not to wait", t)
            }
            _ = s
            s = s0
            out.append(Result(state: s, value: .unknown, isPage: false, trace: t))
        }
        return out
    }

    /// The exits of every function bound to the called member anywhere in the tree (an
    /// initializer `.check_write_begin = foo` or an assignment `ops->check_write_begin = foo`),
    /// when the call is given the page and there are at most `memberTargetLimit` of them;
    /// nil otherwise (the call stays unknown).
    func callThroughMember(_ node: NodeID, arguments: [NodeID], pages: [Bool], _ s0: PageState,
                                    _ t0: Trace?) -> [Result]? {
        guard pages.contains(true) || pageOut.map({ p in arguments.contains { text($0) == p } }) == true,
              let callee = tree.child(node, 0), tree.kind(callee) == .member, let member = file.name(of: callee) else { return nil }
        let targets = analyzer.memberTargets(member)
        analyzer.dependsOnMember(member, targets: targets)
        guard !targets.isEmpty, targets.count <= PathAnalyzer.memberTargetLimit else { return nil }
        var out: [Result] = []
        for d in targets {
            if analyzer.isInProgress(file: d.file, function: d.function) { return nil }
            let calleeSummary = analyzer.summary(file: d.file, function: d.function, constants: constantArguments(arguments))
            let name = analyzer.program.files[d.file].outlines[d.function].name
            used.append("\(name) (through ->\(member), derived from \(calleeSummary.file):\(calleeSummary.line))")
            assumptions.append(contentsOf: calleeSummary.assumptions)
            incomplete = incomplete || calleeSummary.incomplete
            out += applySummary(calleeSummary, name: name, node: node, arguments: arguments, pages: pages, s0, t0)
        }
        return out.isEmpty ? nil : out
    }

    func applyPrimitive(_ effect: PageEffect, name: String, node: NodeID, arguments: [NodeID], values: [ValueClass],
                                 pages: [Bool], _ s0: PageState, _ t0: Trace?) -> [Result] {
        var s = s0
        var t = t0
        let line = file.line(of: node)
        func onPage(_ index: Int) -> Bool { index < 0 ? true : (index < pages.count && pages[index]) }
        switch effect {
        case .waitsForWriteback(let a), .waitsForStableWrites(let a):
            if onPage(a) {
                if s.lock == .locked {
                    s.waitedUnderLock = true
                    s.relockedAfterWait = false
                    s.waitedUnlocked = false
                    t = step(line, "\(name)(): waits for writeback under the page lock", t)
                } else if s.lock == .inherited {
                    s.waitedInherited = true
                    t = step(line, "\(name)(): waits for writeback (under the caller's lock, if it holds it)", t)
                } else {
                    s.waitedUnlocked = true
                    t = step(line, "\(name)(): waits, but the page is not locked", t)
                }
            } else if a >= 0 && a < arguments.count {
                t = step(line, "\(name)(\(display(arguments[a]))): waits on a different page", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .locks(let a, let success):
            guard onPage(a), success == .always else {
                var r = Result(state: s, value: .unknown, isPage: false, trace: t)
                if onPage(a) { r.lockResult = success }
                return [r]
            }
            return [Result(state: takeLock(s), value: .unknown, isPage: false, trace: step(line, "\(name)(): page locked", t))]
        case .unlocks(let a):
            if onPage(a) {
                s.locked = false
                t = step(line, "\(name)(): page unlocked, writeback may start", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .endsWriteback(let a):
            if onPage(a) { s.writeback = .ended }
            // Writeback ended while we hold the lock: it cannot start again until we drop it.
            if onPage(a) && s.lock == .locked {
                s.waitedUnderLock = true
                s.relockedAfterWait = false
                t = step(line, "\(name)(): writeback ended under the page lock", t)
            } else if onPage(a) && s.lock == .inherited {
                s.waitedInherited = true
                t = step(line, "\(name)(): writeback ended", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .startsWriteback(let a):
            if onPage(a) {
                s.writeback = .started
                t = step(line, "\(name)(): page under writeback", t)
            }
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .convertsErrnoToFault(let a):
            let v = a < values.count ? values[a] : .unknown
            let converted: ValueClass
            switch v {
            case .zero: converted = .faultLocked
            case .nonzero, .noWrite: converted = .noWrite
            case .faultLocked: converted = .faultLocked
            case .unknown: converted = .unknown
            }
            return [Result(state: s, value: converted, isPage: false, trace: t)]
        case .returnsNoWriteFault:
            return [Result(state: s, value: .noWrite, isPage: false, trace: t)]
        case .returnsError:
            return [Result(state: s, value: .nonzero, isPage: false, trace: t)]
        case .testsWriteback, .outOfScopeWhenTrue, .leavesPageState, .convertsPage:
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        case .returnsNewPage:
            var r = Result(state: s, value: .unknown, isPage: false, trace: step(line, "\(name)(): a new page, not locked", t))
            var page = freshState(from: s)
            page.null = .unknown
            r.freshPage = page
            return [r]
        case .setsBit(let bit, let word), .clearsBit(let bit, let word):
            guard bit < arguments.count, word < arguments.count, isFlagsWordOfPage(arguments[word], s),
                  let meaning = analyzer.model.pageFlagBits[compact(arguments[bit])] else {
                return [Result(state: s, value: .unknown, isPage: false, trace: t)]
            }
            let sets: Bool
            if case .setsBit = effect { sets = true } else { sets = false }
            switch (meaning, sets) {
            case (.lock, true):
                return [Result(state: takeLock(s), value: .unknown, isPage: false,
                               trace: step(line, "\(name)(\(display(arguments[bit])), …): page locked", t))]
            case (.lock, false):
                return applyPrimitive(.unlocks(argument: word), name: name, node: node, arguments: arguments, values: values,
                                      pages: pages.enumerated().map { $0.offset == word ? true : $0.element }, s, t)
            case (.writeback, true):
                return applyPrimitive(.startsWriteback(argument: word), name: name, node: node, arguments: arguments, values: values,
                                      pages: pages.enumerated().map { $0.offset == word ? true : $0.element }, s, t)
            case (.writeback, false):
                return applyPrimitive(.endsWriteback(argument: word), name: name, node: node, arguments: arguments, values: values,
                                      pages: pages.enumerated().map { $0.offset == word ? true : $0.element }, s, t)
            }
        case .returnsPageWithFlags(let flagsArgument, let lockFlags, let waitFlags):
            var flags = flagsArgument < arguments.count ? text(arguments[flagsArgument]) : ""
            if let via = assignedText[flags] { flags = via }
            let locked = lockFlags.contains { flags.containsBytes($0) }
            let waited = locked && waitFlags.contains { flags.containsBytes($0) }
            var page = freshState(from: s)
            page.locked = locked
            page.waitedUnderLock = waited
            var r = Result(state: s, value: .unknown, isPage: false,
                           trace: step(line, "\(name)(…\(flags)…): page \(locked ? "locked" : "unlocked")\(waited ? " and waited for" : locked ? ", not waited for" : "")", t))
            r.freshPage = page
            return [r]
        case .returnsPage, .mkwriteHelper, .writeBeginHelper, .faultPageSource:
            return [Result(state: s, value: .unknown, isPage: false, trace: t)]
        }
    }

    /// A page this function just obtained: unlocked, no waits, nothing known of it yet; what the
    /// path knows about its variables and predicates carries over.
    func freshState(from s: PageState) -> PageState {
        var page = PageState(lock: .unlocked, aliases: s.aliases, values: s.values)
        page.handedBack = s.handedBack
        page.decided = s.decided
        page.pendingLock = s.pendingLock
        page.replaced = true
        return page
    }

    func takeLock(_ s0: PageState) -> PageState {
        var s = s0
        switch s.lock {
        case .inherited:
            // Taking the lock here means the caller did not hold it: a wait before was unlocked.
            if s.waitedInherited { s.waitedUnlocked = true; s.waitedInherited = false }
        case .unlocked:
            if s.waitedUnderLock { s.relockedAfterWait = true }
        case .locked:
            // Locking a page we think we hold: something we cannot see released it (read I/O
            // completion unlocks the page, as after f2fs_submit_page_read()). A page just read is
            // clean, so it cannot be under writeback; keep what we knew.
            return s
        }
        s.lock = .locked
        s.waitedUnderLock = false
        return s
    }

    /// The caller's page state after a callee path that ended with `o` (the callee started from
    /// `inherited`, so what it did not touch stays as the caller had it).
    func compose(_ s0: PageState, _ o: Outcome) -> PageState {
        var s = s0
        if o.writeback != .unchanged { s.writeback = o.writeback }
        switch o.lock {
        case .inherited:
            if o.waitedInherited {
                switch s.lock {
                case .locked: s.waitedUnderLock = true; s.relockedAfterWait = false
                case .inherited: s.waitedInherited = true
                case .unlocked: s.waitedUnlocked = true
                }
            }
        case .locked:
            if s.waitedUnderLock || s.waitedInherited, s.lock != .locked, !o.waitedUnderLock { s.relockedAfterWait = true }
            s.lock = .locked
            s.waitedUnderLock = o.waitedUnderLock
            s.waitedUnlocked = s.waitedUnlocked || o.waitedUnlocked
            if o.waitedUnderLock { s.relockedAfterWait = o.relockedAfterWait }
        case .unlocked:
            s.lock = .unlocked
            s.waitedUnlocked = s.waitedUnlocked || o.waitedUnlocked
        }
        return s
    }

    /// A call to a function whose body we analysed: each of its exits becomes a path here.
    func applySummary(_ callee: FunctionSummary, name: String, node: NodeID, arguments: [NodeID], pages: [Bool],
                               _ s0: PageState, _ t0: Trace?) -> [Result] {
        let line = file.line(of: node)
        let argTexts = arguments.map { text($0) }
        let passesFault = faultParameter.map { argTexts.contains($0) } ?? false
        let passesPage = pages.contains(true)
        let passesPageOut = pageOut.map { argTexts.contains($0) } ?? false
        // The `&page` the callee fills: the argument in its `struct page **` / `struct folio **` slot.
        var outVariable: String?
        if let def = analyzer.resolve(name, from: fileIndex), let k = analyzer.pageOutParameter(of: def),
           k < argTexts.count, argTexts[k].hasPrefix("&") {
            outVariable = argTexts[k].replacingOccurrences(of: "&", with: "").replacingOccurrences(of: " ", with: "")
        }
        var results: [Result] = []
        let calleeIsQuiet = callee.outcomes.allSatisfy {
            describeOutcome($0) == "returns" && !$0.handedBack && !$0.returnsPage && !$0.replaced
        }
        for o in callee.outcomes {
            var s = s0
            var isPage = false
            if (passesFault || passesPage) && !o.replaced {
                s = compose(s0, o)
            }
            if o.handedBack && passesPageOut {
                s = compose(s, o)
                s.handedBack = true
            } else if o.handedBack, let v = outVariable {
                var fresh = PageState(lock: .unlocked, aliases: s.aliases, values: s.values)
                fresh.decided = s.decided
                fresh.replaced = true
                fresh = compose(fresh, o)
                fresh.aliases.insert(v)
                fresh.handedBack = s.handedBack
                s = fresh
            }
            if (o.returnsPage || calleeReturnsPage(name)) && (passesFault || passesPage) && !o.replaced {
                // A conversion of the page it was given (`folio_file_page(folio, i)`): the same page.
                isPage = true
            }
            var fresh: PageState?
            if (o.returnsPage || calleeReturnsPage(name)) && !isPage {
                var page = freshState(from: s)
                page.null = o.returnsPage ? .unknown : .null
                fresh = compose(page, o)
            }
            // A callee none of whose exits says anything about the page (`folio_index()`) and that
            // left this path's state as it was is not a step worth reading in a finding.
            let quiet = calleeIsQuiet && s == s0 && fresh == nil && !isPage
            let note = "\(name)(): \(describeOutcome(o)) [\(callee.file):\(o.path.last?.line ?? callee.line)]"
            var r = Result(state: s, value: o.returnClass, isPage: isPage, trace: quiet ? t0 : step(line, note, t0))
            r.freshPage = fresh
            results.append(r)
        }
        if results.isEmpty { results.append(Result(state: s0, value: .unknown, isPage: false, trace: t0)) }
        return results
    }

    /// Arguments made only of upper-case names (`FGP_LOCK | FGP_STABLE`, or a local holding
    /// them) with a flag word the model knows, by index: flag words a callee may test or pass on.
    func flagArguments(_ arguments: [NodeID]) -> [Int: String] {
        var out: [Int: String] = [:]
        let prefixes = analyzer.model.flagWordPrefixes
        for (i, a) in arguments.enumerated() {
            var text = text(a)
            if let via = assignedText[text] { text = via }
            // Most arguments name no flag: ruled out by bytes before the word split (which,
            // by Characters, was a tenth of a scan).
            guard prefixes.contains(where: { text.containsBytes($0.prefix) }) else { continue }
            let words = text.split(whereSeparator: { " |&()~".contains($0) })
            if !words.isEmpty, words.contains(where: { w in prefixes.contains { w.hasPrefix($0.prefix) } }),
               words.allSatisfy({ $0.uppercased() == $0 }) {
                out[i] = text
            }
        }
        return out
    }

    /// Literal arguments (`true`, `false`, `0`, `1`, `NULL`) by index.
    func constantArguments(_ arguments: [NodeID]) -> [Int: ValueClass] {
        var out: [Int: ValueClass] = [:]
        for (i, a) in arguments.enumerated() {
            switch tree.kind(a) {
            case .identifier:
                switch file.name(of: a) {
                case "true": out[i] = .nonzero
                case "false", "NULL": out[i] = .zero
                default: break
                }
            case .numberLiteral:
                out[i] = text(a) == "0" ? .zero : .nonzero
            default: break
            }
        }
        return out
    }

    /// The tree's definition of `name` returns `struct page *` or `struct folio *`.
    func calleeReturnsPage(_ name: String) -> Bool {
        guard let def = analyzer.resolve(name, from: fileIndex) else { return false }
        if let known = analyzer.returnsPageCache[def.file << 32 | def.function] { return known }
        let type = Self.bareType(analyzer.program.files[def.file].outlines[def.function].returnTypeText)
        let result = type.hasSuffix("structpage*") || type.hasSuffix("structfolio*")
        analyzer.returnsPageCache[def.file << 32 | def.function] = result
        return result
    }

    /// `const struct page *` → `structpage*`: qualifiers and spaces dropped, for exact comparison.
    static func bareType(_ text: String) -> String {
        var out = ""
        for word in text.split(separator: " ") where !qualifiers.contains(word) { out += word }
        return out
    }
    private static let qualifiers: Set<Substring> = ["const", "volatile", "__user", "__rcu", "static", "inline", "__always_inline", "noinline"]

    func describeOutcome(_ o: Outcome) -> String {
        var parts: [String] = []
        switch o.returnClass {
        case .faultLocked: parts.append("returns VM_FAULT_LOCKED")
        case .zero: parts.append("returns 0")
        case .noWrite: parts.append("returns a no-write fault code")
        case .nonzero: parts.append("returns an error")
        case .unknown: break
        }
        switch o.lock {
        case .locked: parts.append(o.pageIsStable ? "page locked and waited for" : "page locked, not waited for")
        case .unlocked: if o.returnsPage || o.handedBack { parts.append("page not locked") }
        case .inherited: if o.waitedInherited { parts.append("waits for writeback") }
        }
        switch o.writeback {
        case .started: parts.append("page under writeback")
        case .ended: parts.append("writeback ended")
        case .unchanged: break
        }
        return parts.isEmpty ? "returns" : parts.joined(separator: ", ")
    }

    func applyHelperFact(_ fact: ModelEntry, name: String, node: NodeID, arguments: [NodeID], pages: [Bool],
                                  _ s0: PageState, _ t0: Trace?) -> [Result] {
        let line = file.line(of: node)
        let s = s0
        switch fact.effect {
        case .returnsPage(let locked, let waited):
            var page = freshState(from: s)
            page.locked = locked
            page.waitedUnderLock = waited
            var r = Result(state: s, value: .unknown, isPage: false,
                           trace: step(line, "\(name)(): page \(locked ? "locked" : "unlocked")\(waited ? " and waited for" : ", not waited for") (model)", t0))
            r.freshPage = page
            return [r]
        case .mkwriteHelper(let waits, let returnsErrno):
            var ok = s
            ok.locked = true
            ok.waitedUnderLock = waits
            ok.waitedUnlocked = false
            ok.relockedAfterWait = false
            var failed = s
            failed.locked = false
            return [
                Result(state: ok, value: returnsErrno ? .zero : .faultLocked, isPage: false,
                       trace: step(line, "\(name)(): page locked\(waits ? " and waited for" : ", not waited for") (model: \(fact.versions))", t0)),
                Result(state: failed, value: returnsErrno ? .nonzero : .noWrite, isPage: false,
                       trace: step(line, "\(name)(): fails (model)", t0)),
            ]
        case .writeBeginHelper(let waits):
            var ok = s
            ok.handedBack = ok.handedBack || (pageOut.map { p in arguments.contains { text($0) == p } } ?? false)
            ok.locked = true
            ok.waitedUnderLock = waits
            if let out = arguments.map({ text($0) }).first(where: { $0.hasPrefix("&") }) {
                ok.aliases.insert(out.replacingOccurrences(of: "&", with: "").replacingOccurrences(of: " ", with: ""))
            }
            var failed = s
            failed.locked = false
            return [
                Result(state: ok, value: .zero, isPage: false,
                       trace: step(line, "\(name)(): page locked\(waits ? " and waited for" : ", not waited for") (model: \(fact.versions))", t0)),
                Result(state: failed, value: .nonzero, isPage: false, trace: step(line, "\(name)(): fails (model)", t0)),
            ]
        default:
            return [Result(state: s, value: .unknown, isPage: false, trace: t0)]
        }
    }
}
