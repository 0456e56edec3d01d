import Support
import Foundation
import CSyntax

extension FunctionWalker {
    /// The state on the branch where `condition` is `outcome`, or nil when that branch cannot be
    /// taken in this state (the correlation of `if (ret == VM_FAULT_LOCKED)` with the value).
    func refine(_ state: PageState, _ condition: NodeID, _ outcome: Bool) -> PageState? {
        var s = state
        if tree.kind(condition) == .unary, tree[condition].op == .star, isPage(condition, state) {
            // `if (!*pagep)`: the page handed back through the out-argument is tested for NULL.
            switch (state.null, outcome) {
            case (.null, true), (.nonNull, false): return nil
            default:
                s.null = outcome ? .nonNull : .null
                if !outcome { s.handedBack = false }
                return s
            }
        }
        switch tree.kind(condition) {
        case .unary where tree[condition].op == .bang:
            guard let operand = tree.child(condition, 0) else { return s }
            return refine(state, operand, !outcome)
        case .call:
            let name = file.calleeName(of: condition) ?? ""
            let arguments = file.arguments(of: condition)
            if name == "likely" || name == "unlikely", let a = arguments.first { return refine(state, a, outcome) }
            if let known = state.conditionCall, known.node == condition {
                s.conditionCall = nil
                let returnedTrue: Bool? = known.value == .zero ? false
                    : (known.value == .nonzero || known.value == .faultLocked || known.value == .noWrite) ? true : nil
                if let t = returnedTrue, t != outcome { return nil }
                return s
            }
            if case .outOfScopeWhenTrue? = analyzer.primitive(name) { return outcome ? nil : s }
            if case .testsWriteback(let a)? = analyzer.primitive(name), a < arguments.count, isPage(arguments[a], state) {
                // Not under writeback right now; under the lock that stays true until it is dropped.
                if !outcome {
                    switch s.lock {
                    case .locked: s.waitedUnderLock = true; s.relockedAfterWait = false
                    case .inherited: s.waitedInherited = true
                    case .unlocked: break
                    }
                }
                return s
            }
            if case .locks(let a, let success)? = analyzer.primitive(name), a < arguments.count, isPage(arguments[a], state) {
                switch success {
                case .returnsTrue: return outcome ? takeLock(s) : s
                case .returnsZero: return outcome ? s : takeLock(s)
                case .always: return s
                }
            }
            // A predicate about the inode or the mount (no tracked variable in it): same answer
            // every time on one path.
            let key = text(condition)
            let mentionsTracked = state.values.keys.contains { key.containsBytes($0) } || arguments.contains { isPage($0, state) }
            if !mentionsTracked && arguments.count <= 3 {
                if let known = state.decided[key] { return known == outcome ? s : nil }
                s.decided[key] = outcome
            }
            return s
        case .identifier:
            guard let name = file.name(of: condition) else { return s }
            if let success = state.pendingLock[name] {
                // `if (ret)`: true means the lock call returned non-zero.
                s.pendingLock.removeValue(forKey: name)
                let locked = success == .returnsZero ? !outcome : outcome
                return locked ? takeLock(s) : s
            }
            if state.aliases.contains(name) {
                switch (state.null, outcome) {
                case (.null, true), (.nonNull, false): return nil
                default:
                    s.null = outcome ? .nonNull : .null
                    return s
                }
            }
            if pageVariables.contains(name) { return s }
            return require(&s, name, outcome ? .nonzero : .zero) ? s : nil
        case .binary:
            guard let lhs = tree.child(condition, 0), let rhs = tree.child(condition, 1) else { return s }
            let op = tree[condition].op
            // `if (folio_lock_killable(folio) < 0)`, `if (trylock_page(page) == 0)`: a lock call compared with 0.
            if tree.kind(lhs) == .call, classifyConstant(rhs) == .zero, let name = file.calleeName(of: lhs),
               case .locks(let a, let success)? = analyzer.primitive(name), success != .always {
                let arguments = file.arguments(of: lhs)
                guard a < arguments.count, isPage(arguments[a], state) else { return s }
                // Does this branch mean "the call returned 0"?
                let returnedZero: Bool?
                switch op {
                case .equalEqual: returnedZero = outcome
                case .bangEqual: returnedZero = !outcome
                case .less: returnedZero = outcome ? false : nil
                default: returnedZero = nil
                }
                guard let zero = returnedZero else {
                    // `x < 0` false: 0 (or positive, which these calls never return).
                    return success == .returnsZero ? takeLock(s) : s
                }
                let locked = success == .returnsZero ? zero : !zero
                return locked ? takeLock(s) : s
            }
            if tree.kind(lhs) == .identifier, let n = file.name(of: lhs), let success = state.pendingLock[n],
               classifyConstant(rhs) == .zero {
                s.pendingLock.removeValue(forKey: n)
                let returnedZero: Bool
                switch op {
                case .equalEqual: returnedZero = outcome
                case .bangEqual: returnedZero = !outcome
                case .less: returnedZero = !outcome
                default: return s
                }
                let locked = success == .returnsZero ? returnedZero : !returnedZero
                return locked ? takeLock(s) : s
            }
            var variable: String?
            var constant: NodeID?
            if tree.kind(lhs) == .identifier, let n = file.name(of: lhs), !isConstantName(n) { variable = n; constant = rhs }
            else if tree.kind(rhs) == .identifier, let n = file.name(of: rhs), !isConstantName(n) { variable = n; constant = lhs }
            guard let v = variable, let c = constant else { return s }
            let constantClass = classifyConstant(c)
            switch op {
            case .equalEqual, .bangEqual:
                let equal = (op == .equalEqual) == outcome
                switch constantClass {
                case .faultLocked: return require(&s, v, equal ? .faultLocked : .notFaultLocked) ? s : nil
                case .zero: return require(&s, v, equal ? .zero : .nonzero) ? s : nil
                case .noWrite: return equal ? (require(&s, v, .noWrite) ? s : nil) : s
                case .nonzero: return equal ? (require(&s, v, .nonzero) ? s : nil) : s
                default: return s
                }
            case .ampersand:
                if constantClass == .faultLocked { return require(&s, v, outcome ? .faultLocked : .notFaultLocked) ? s : nil }
                return s
            case .less:
                if constantClass == .zero { return require(&s, v, outcome ? .nonzero : .zero) ? s : nil }
                return s
            default:
                return s
            }
        default:
            return s
        }
    }

    enum Requirement { case faultLocked, notFaultLocked, zero, nonzero, noWrite }

    func isConstantName(_ n: String) -> Bool {
        analyzer.model.lockedFaultCodes.contains(n) || analyzer.model.noWriteFaultCodes.contains(n)
            || n.uppercased() == n && n.first?.isLetter == true
    }

    func classifyConstant(_ node: NodeID) -> ValueClass {
        switch tree.kind(node) {
        case .identifier:
            let n = file.name(of: node) ?? ""
            if analyzer.model.lockedFaultCodes.contains(n) { return .faultLocked }
            if analyzer.model.noWriteFaultCodes.contains(n) { return .noWrite }
            return .unknown
        case .numberLiteral:
            return text(node) == "0" ? .zero : .nonzero
        case .unary where tree[node].op == .minus:
            // `-EAGAIN`, `-ERESTARTSYS`, `-1`: a negative errno is never 0.
            guard let operand = tree.child(node, 0) else { return .unknown }
            if tree.kind(operand) == .numberLiteral { return text(operand) == "0" ? .zero : .nonzero }
            if tree.kind(operand) == .identifier, let n = file.name(of: operand), isConstantName(n) { return .nonzero }
            return .unknown
        default:
            return .unknown
        }
    }

    /// Narrows `name`'s value; false when the value it has makes the requirement impossible.
    func require(_ s: inout PageState, _ name: String, _ r: Requirement) -> Bool {
        let current = s.values[name] ?? .unknown
        switch (r, current) {
        case (.faultLocked, .faultLocked), (.faultLocked, .unknown), (.faultLocked, .nonzero):
            s.values[name] = .faultLocked
            return true
        case (.faultLocked, _): return false
        case (.notFaultLocked, .faultLocked): return false
        case (.notFaultLocked, _): return true
        case (.zero, .zero), (.zero, .unknown):
            s.values[name] = .zero
            return true
        case (.zero, _): return false
        case (.nonzero, .zero): return false
        case (.nonzero, .unknown):
            s.values[name] = .nonzero
            return true
        case (.nonzero, _): return true
        case (.noWrite, .noWrite), (.noWrite, .unknown), (.noWrite, .nonzero):
            s.values[name] = .noWrite
            return true
        case (.noWrite, _): return false
        }
    }
}

/// A per-walk memo (a class, so non-mutating helpers can fill it).
final class NodeTextMemo {
    var values: [NodeID: String] = [:]
    var compact: [NodeID: String] = [:]
    var display: [NodeID: String] = [:]
}
