import Foundation
import CSyntax

extension FunctionWalker {
    func eval(_ node: NodeID, _ state: PageState, _ trace: Trace?) -> [Result] {
        switch tree.kind(node) {
        case .identifier where file.name(of: node) == "NULL":
            var r = Result(state: state, value: .zero, isPage: false, trace: trace)
            r.isNullPointer = true
            return [r]
        case .identifier:
            let name = file.name(of: node) ?? ""
            if analyzer.model.lockedFaultCodes.contains(name) { return [Result(state: state, value: .faultLocked, isPage: false, trace: trace)] }
            if analyzer.model.noWriteFaultCodes.contains(name) { return [Result(state: state, value: .noWrite, isPage: false, trace: trace)] }
            return [Result(state: state, value: state.values[name] ?? .unknown, isPage: state.aliases.contains(name), trace: trace)]
        case .numberLiteral:
            let text = text(node)
            let zero = text == "0" || text == "0x0" || text == "0U" || text == "0L"
            return [Result(state: state, value: zero ? .zero : .nonzero, isPage: false, trace: trace)]
        case .unary:
            let op = tree[node].op
            guard let operand = tree.child(node, 0) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            let inner = eval(operand, state, trace)
            if op == .minus { return inner.map { Result(state: $0.state, value: .nonzero, isPage: false, trace: $0.trace) } }
            // `&folio->page` is the page itself.
            let addressOfPage = op == .ampersand && isPage(node, state)
            return inner.map { Result(state: $0.state, value: .unknown, isPage: addressOfPage, trace: $0.trace) }
        case .cast:
            guard let operand = tree.child(node, 1) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            return eval(operand, state, trace)
        case .postfix, .unary where tree[node].op == .plusPlus || tree[node].op == .minusMinus:
            // `nr_underway++`: whatever the counter was known to be, it no longer is.
            guard let operand = tree.child(node, 0) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            return eval(operand, state, trace).map { r in
                var s = r.state
                if tree.kind(operand) == .identifier, let name = file.name(of: operand) {
                    s.values.removeValue(forKey: name)
                    s.pendingLock.removeValue(forKey: name)
                }
                return Result(state: s, value: .unknown, isPage: false, trace: r.trace)
            }
        case .binary:
            guard let lhs = tree.child(node, 0), let rhs = tree.child(node, 1) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            let op = tree[node].op
            var out: [Result] = []
            for l in eval(lhs, state, trace) {
                for r in eval(rhs, l.state, l.trace) {
                    let value: ValueClass
                    if op == .comma { value = r.value }
                    else if op == .pipe {
                        // `VM_FAULT_LOCKED | VM_FAULT_NOPAGE`: the fault core stops on the error
                        // bits and NOPAGE whatever else is set; `VM_FAULT_LOCKED | VM_FAULT_RETRY`
                        // it does not stop on (2.6.3x __do_fault and 6.x do_page_mkwrite alike).
                        let stops = [lhs, rhs].contains { n in
                            tree.kind(n) == .identifier && file.name(of: n).map(analyzer.model.stoppingFaultCodes.contains) == true
                        }
                        if stops { value = .noWrite }
                        else if l.value == .faultLocked || r.value == .faultLocked { value = .faultLocked }
                        else if l.value == .zero && r.value == .zero { value = .zero }
                        else { value = .unknown }
                    } else { value = .unknown }
                    out.append(Result(state: r.state, value: value, isPage: op == .comma ? r.isPage : false, trace: r.trace))
                }
            }
            return out
        case .assignment:
            guard let target = tree.child(node, 0), let value = tree.child(node, 1) else { return [Result(state: state, value: .unknown, isPage: false, trace: trace)] }
            let op = tree[node].op
            return eval(value, state, trace).map { r0 in
                var r = r0
                // `n += 1`, `mask &= ~X`: the old value takes part; only `|=` of fault codes keeps a class.
                if op != .assign && op != .pipeAssign { r.value = .unknown; r.isPage = false; r.freshPage = nil; r.lockResult = nil }
                var s = r.state
                var t = r.trace
                if tree.kind(target) == .identifier, let name = file.name(of: target) {
                    s = assign(name, r, to: s)
                } else if tree.kind(target) == .unary, tree[target].op == .star, let inner = tree.child(target, 0),
                          let name = file.name(of: inner), name == pageOut {
                    if let fresh = r.freshPage {
                        let keep = s
                        s = fresh
                        s.values = keep.values
                        s.decided = keep.decided
                        // `*pagep` now names the page: `if (!*pagep)` tests it.
                        s.aliases.insert(compact(target))
                        s.handedBack = fresh.null != .null
                        if s.handedBack { t = step(file.line(of: node), "\(display(node)): page handed to the caller", t) }
                    } else if r.isPage && r.state.null != .null {
                        s.handedBack = true
                        t = step(file.line(of: node), "\(display(node)): page handed to the caller", t)
                    }
                }
                return Result(state: s, value: r.value, isPage: r.isPage, trace: t)
            }
        case .conditional:
            var out: [Result] = []
            for c in tree.children(node) {
                out = out.isEmpty ? eval(c, state, trace) : out.flatMap { eval(c, $0.state, $0.trace) }
            }
            return out.map { Result(state: $0.state, value: .unknown, isPage: false, trace: $0.trace) }
        case .call:
            return call(node, state, trace).map { var r = $0; r.fromCall = true; return r }
        case .statementExpression:
            return [Result(state: state, value: .unknown, isPage: false, trace: trace)]
        default:
            // Calls nested anywhere else (member of a call result, array index, …): effects only.
            var results = [Result(state: state, value: .unknown, isPage: isPage(node, state), trace: trace)]
            // Only the outermost calls: a call evaluates the calls in its own arguments.
            let all = file.calls(in: node)
            let nested = all.filter { inner in
                !all.contains { outer in
                    outer != inner && tree[outer].firstToken <= tree[inner].firstToken && tree[inner].lastToken <= tree[outer].lastToken
                }
            }
            for c in nested {
                results = results.flatMap { r in call(c, r.state, r.trace).map { Result(state: $0.state, value: .unknown, isPage: r.isPage, trace: $0.trace) } }
            }
            return results
        }
    }

    func assign(_ name: String, _ r: Result, to state: PageState) -> PageState {
        var s = state
        if let success = r.lockResult { s.pendingLock[name] = success } else { s.pendingLock.removeValue(forKey: name) }
        if r.isNullPointer, s.aliases.contains(name) || pageVariables.contains(name) {
            s.aliases = s.aliases.union([name])
            s.null = .null
            return s
        }
        if r.freshPage != nil, !s.aliases.contains(name), !s.aliases.isEmpty {
            // A second page (`tmp = alloc_page(…)` in a ->writepage that was given `page`): not
            // the one this walk tracks, whose state stays as it is.
            s.pendingLock.removeValue(forKey: name)
        } else if let fresh = r.freshPage {
            let keep = s
            s = fresh
            s.aliases = keep.aliases.union([name])
            s.values = keep.values
            s.decided = keep.decided
            s.handedBack = keep.handedBack
        } else if r.isPage {
            s.aliases.insert(name)
        } else if r.fromCall, pageVariables.contains(name), s.aliases.subtracting([name]).isEmpty {
            // A page obtained from a call this function has no facts about: a fresh, unlocked page.
            s.aliases = [name]
            s.null = .unknown
            s.replaced = true
            s.lock = .unlocked
            s.waitedUnderLock = false
            s.waitedInherited = false
            s.waitedUnlocked = false
            s.relockedAfterWait = false
        } else {
            s.aliases.remove(name)
        }
        if r.value == .unknown { s.values.removeValue(forKey: name) } else { s.values[name] = r.value }
        return s
    }

    /// Whether `node` denotes the page: an alias, or `&folio->page` / `folio_page(folio, 0)` of one.
    func isPage(_ node: NodeID, _ state: PageState) -> Bool {
        if state.aliases.isEmpty { return false }
        var text = compact(node)
        if text.hasPrefix("&") && text.hasSuffix("->page") { text = String(text.dropFirst().dropLast(6)) }
        while text.hasPrefix("(") && text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        return state.aliases.contains(text)
    }

    /// Whether `node` is the flags word of the page (`&page->flags`, `&folio->flags`).
    func isFlagsWordOfPage(_ node: NodeID, _ state: PageState) -> Bool {
        var text = compact(node)
        guard text.hasPrefix("&"), text.hasSuffix("->flags") else { return false }
        text = String(text.dropFirst().dropLast(7))
        while text.hasPrefix("(") && text.hasSuffix(")") { text = String(text.dropFirst().dropLast()) }
        return state.aliases.contains(text)
    }
}
