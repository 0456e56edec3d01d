import CSyntax
import Support
/// What a kernel function does to the page (or folio) it is given, for the stable-page rules.
/// Rules never compare function names: they ask the model, which is this table plus what the
/// analysis derives from function bodies in the tree (the tree always wins).
public enum PageEffect: Sendable, Hashable {
    /// Waits until the page is not under writeback (argument index of the page).
    case waitsForWriteback(argument: Int)
    /// Waits only when the backing device needs stable writes — which is what the rule asks for.
    case waitsForStableWrites(argument: Int)
    /// Takes the page lock. `success` says which result means the lock was taken.
    case locks(argument: Int, success: LockSuccess)
    case unlocks(argument: Int)
    /// Returns a page; `locked` and `waited` describe it on success.
    case returnsPage(locked: Bool, waited: Bool)
    /// Starts or ends writeback (used to explain findings).
    case startsWriteback(argument: Int)
    case endsWriteback(argument: Int)
    /// Returns a page, locked when the flags argument holds one of `lockFlags`, and waited for
    /// when it also holds one of `waitFlags` (`__filemap_get_folio(…, FGP_WRITEBEGIN, …)`).
    case returnsPageWithFlags(flagsArgument: Int, lockFlags: [String], waitFlags: [String])
    /// Converts an errno into a fault code: 0 becomes `VM_FAULT_LOCKED`.
    case convertsErrnoToFault(argument: Int)
    /// Converts an errno into a fault code that never means "written" (`vmf_error`).
    case returnsNoWriteFault
    /// Always an error value, never 0 or NULL (`ERR_PTR`): lets branches on it be decided.
    case returnsError
    /// Tests PG_writeback: on its false branch, under the page lock, the page is as stable as
    /// after a wait (writeback cannot start without the lock).
    case testsWriteback(argument: Int)
    /// A predicate whose true branch leaves the analysis' scope (`IS_DAX`: no page cache).
    case outOfScopeWhenTrue
    /// A `page_mkwrite`-style helper taking (vma, vmf, …): on success the fault's page is locked,
    /// waited for or not; success is `VM_FAULT_LOCKED` or, for `returnsErrno`, 0.
    case mkwriteHelper(waits: Bool, returnsErrno: Bool)
    /// A `write_begin`-style helper: returns 0 with a locked page in its page out-argument
    /// (`pagep`, `foliop`, `&page`), waited for or not.
    case writeBeginHelper(waits: Bool)
    /// A bit operation on a flags word: `set_bit(PG_locked, &page->flags)`. What the bit means
    /// for a page comes from `StablePageModel.pageFlagBits`, so a function whose body sets or
    /// clears `PG_locked`/`PG_writeback` (`__set_page_locked`, `end_page_writeback`'s helpers)
    /// is read as locking, unlocking, starting or ending writeback from that body.
    case setsBit(bitArgument: Int, wordArgument: Int)
    case clearsBit(bitArgument: Int, wordArgument: Int)
    /// What a fault handler that calls this function hands out: page-cache pages
    /// (`filemap_fault`, the page-cache getters) or memory that is never page cache under
    /// writeback (`vmf_insert_pfn`, `remap_pfn_range`, `vmalloc_to_page`): the page source of a
    /// mapping, read from its `.fault` handler's calls.
    case faultPageSource(pageCache: Bool)
    /// Given the page, but never touches its lock or writeback bits (`kmap`, `get_page`): lets
    /// a derivation that must account for every use of the page (`->writepage` never starts
    /// writeback) stop here instead of following the body into the allocator or highmem code.
    case leavesPageState
    /// Returns the same page in another form (`page_folio`, `folio_page`, `compound_head`):
    /// what is true of its argument is true of its result.
    case convertsPage(argument: Int)
    /// Returns a page fresh from the allocator: unlocked, in no page cache, never under
    /// writeback (`alloc_pages`, `__page_cache_alloc`, `filemap_alloc_folio`). The allocator's
    /// body says nothing about the rule and is deep and recursive, so it is not walked.
    /// `forPageCache`: allocated to be inserted into a page cache (`__page_cache_alloc`), which
    /// for a fault handler means the mapping's pages are page cache.
    case returnsNewPage(forPageCache: Bool)
}

extension PageEffect {
    /// Vocabulary the analysis always takes from the model (locks, waits, bit operations,
    /// conversions), as opposed to helper facts used only when the tree has no body.
    public var isPrimitive: Bool {
        switch self {
        case .mkwriteHelper, .writeBeginHelper, .returnsPage, .faultPageSource: false
        default: true
        }
    }
}

extension PageEffect {
    /// Whether a verdict can turn on this entry: not the uses of a page that only say it leaves
    /// the lock and writeback bits alone, or that it is the same page in another type (an edit of
    /// `flush_dcache_page()` is no news for this rule).
    public var decidesVerdicts: Bool {
        switch self {
        case .leavesPageState, .convertsPage: false
        default: true
        }
    }
}

/// What a page flag bit means to the rule.
public enum PageFlagMeaning: String, Sendable, Hashable {
    /// `PG_locked`: the page lock.
    case lock
    /// `PG_writeback`: the page is under writeback.
    case writeback
}

public enum LockSuccess: Sendable, Hashable {
    /// Always succeeds (`lock_page`).
    case always
    /// Succeeded when the call returned true (`trylock_page`).
    case returnsTrue
    /// Succeeded when the call returned 0 (`lock_page_killable`).
    case returnsZero
}

/// One reviewed fact: a function, what it does, in which releases, and why we believe it.
public struct ModelEntry: Sendable, Hashable {
    public var function: String
    public var effect: PageEffect
    public var versions: VersionRange
    public var reason: String

    public init(_ function: String, _ effect: PageEffect, _ versions: VersionRange = .always, reason: String) {
        self.function = function
        self.effect = effect
        self.versions = versions
        self.reason = reason
    }
}

/// Which ops slot makes a function an entry point, and what "writable exit" means there.
public struct EntryPointSlot: Sendable, Hashable {
    public enum Kind: String, Sendable { case pageMkwrite, pfnMkwrite, writeBegin, mmap }
    public var structType: String
    public var slot: String
    public var kind: Kind
    public var reason: String
}

/// A member of one ops struct type, as the kernel spells it.
public struct OpsSlotName: Sendable, Hashable {
    public var structType: String
    public var slot: String

    /// A binding whose struct type the parser could not tell counts by its slot.
    public func matches(_ binding: OpsBinding) -> Bool {
        binding.slot == slot && (binding.structType == nil || binding.structType == structType)
    }
}

/// The ops members that tie an entry point to its mapping, by what they are. Kernel facts that
/// hold from 2.6.3x through 6.x (the names did not change); kept here rather than spelled in
/// the rules, so a tree that renames one changes one line.
public struct OpsVocabulary: Sendable {
    /// `vma->vm_ops = &…`: where an mmap method installs a mapping's vm_operations_struct.
    public var vmOpsMember = "vm_ops"
    /// `inode->i_fop = &…`: an inode's file_operations (whose .mmap maps it).
    public var fileOpsMember = "i_fop"
    /// `mapping->a_ops = &…` / `inode->i_mapping->a_ops`: an inode's address_space_operations.
    public var addressSpaceOpsMember = "a_ops"
    /// `->fault`: where a mapping's pages come from.
    public var fault = OpsSlotName(structType: "vm_operations_struct", slot: "fault")
    /// `->writepage` and `->writepages`: how a mapping's pages are written back.
    public var writepage = OpsSlotName(structType: "address_space_operations", slot: "writepage")
    public var writepages = OpsSlotName(structType: "address_space_operations", slot: "writepages")

    public init() {}
}

/// Mappings whose pages never see page-cache writeback, so an unstable page is not a bug there.
public struct NotApplicable: Sendable, Hashable {
    /// The exact function or ops table the entry is about (built-in entries use only this).
    public var name: String?
    /// Function-name or path prefixes (user configuration only: a tree's own conventions).
    public var functionPrefix: String?
    public var pathPrefix: String?
    public var versions: VersionRange = .always
    public var reason: String

    public init(name: String, versions: VersionRange, reason: String) {
        self.name = name
        self.versions = versions
        self.reason = reason
    }

    public init(functionPrefix: String?, pathPrefix: String?, reason: String) {
        self.functionPrefix = functionPrefix
        self.pathPrefix = pathPrefix
        self.reason = reason
    }
}

/// The embedded model: reviewed data, with a reason per entry (docs/model.md lists it, generated
/// by `spw-review rules --model`).
public struct StablePageModel: Sendable {
    public var entries: [ModelEntry]
    public var entryPoints: [EntryPointSlot]
    public var notApplicable: [NotApplicable]
    /// Return values of a `page_mkwrite` handler that hand the page back writable.
    public var lockedFaultCodes: Set<String>
    /// Fault codes that mean no write happens.
    public var noWriteFaultCodes: Set<String>
    /// The bits the fault core stops on after `->page_mkwrite` whatever else is set
    /// (`VM_FAULT_ERROR | VM_FAULT_NOPAGE` in 2.6.3x's `__do_fault` and 6.x's
    /// `do_page_mkwrite`); `VM_FAULT_RETRY` is not one of them.
    public var stoppingFaultCodes: Set<String> = ["VM_FAULT_NOPAGE", "VM_FAULT_SIGBUS", "VM_FAULT_OOM", "VM_FAULT_ERROR",
                                                 "VM_FAULT_HWPOISON", "VM_FAULT_HWPOISON_LARGE", "VM_FAULT_SIGSEGV",
                                                 "VM_FAULT_FALLBACK"]
    /// Suppressions from the user's configuration: (rule, function) → reason.
    public var suppressions: [Suppression]
    /// Page flag bits the rule cares about, by the name of the bit (`PG_locked`), with the
    /// releases each name holds for: what `set_bit`/`clear_bit` on `&page->flags` mean.
    public var pageFlagBits: [String: PageFlagMeaning] = ["PG_locked": .lock, "PG_writeback": .writeback]
    /// Ops slots that are not entry points but whose code decides whether one is in scope: a
    /// mapping's `->writepage` (does writeback outlive it?) and `->fault` (page cache or not?).
    /// Their callees are looked up like an entry point's.
    /// `summarised`: every such function's summary is needed (and worth deriving on all cores
    /// with the entry points'); a fault handler's only in the rare case its calls say nothing.
    public var supportingSlots: [(structType: String, slot: String, summarised: Bool, reason: String)] = [
        (OpsVocabulary().writepage.structType, OpsVocabulary().writepage.slot, true, "whether a mapping's writeback runs under the page lock"),
        (OpsVocabulary().fault.structType, OpsVocabulary().fault.slot, false, "where a mapping's pages come from"),
    ]

    /// Names that tie a file to the entry points without naming a slot, each with why. A file
    /// that mentions none of these and no entry slot holds no entry point and nothing that
    /// decides one's scope.
    public var linkTokens: [(token: String, reason: String)] = [
        ("vm_operations_struct", "the tables that hold a mapping's page_mkwrite and fault handlers"),
        ("vm_ops", "the member an mmap installs its table in (`vma->vm_ops = &…`)"),
        ("generic_file_mmap", "the helper that installs generic_file_vm_ops for a file_operations.mmap"),
        ("i_fop", "where an inode gets its file operations it usually gets its a_ops too: how a mapping's page_mkwrite is tied to the writeback of its address space"),
    ]

    /// What a file must mention to be read in the first round: every entry slot, and the link
    /// tokens. The file_operations slot as its binding spells it (`.mmap`): `mmap` alone is in
    /// half of mm/, and a binding whose installing helper lives in another file (cxl's
    /// `afu_mmap` → `cxl_context_iomap`) mentions nothing else.
    public var prefilterTokens: [String] {
        entryPoints.map { $0.kind == .mmap ? "." + $0.slot : $0.slot } + linkTokens.map(\.token)
    }

    public func isSupportingSlot(structType: String?, slot: String, summarisedOnly: Bool = false) -> Bool {
        supportingSlots.contains { $0.slot == slot && (structType == nil || $0.structType == structType) && (!summarisedOnly || $0.summarised) }
    }

    public struct Suppression: Sendable, Hashable {
        public var rule: String
        public var function: String
        public var reason: String
    }

    /// Words in a function's name that suggest it may lock, unlock or wait on a page; unknown
    /// callees without them (PageDirty, set_page_dirty, i_size_read, …) are not worth an assumption.
    public var pageStateWords: [String] = ["lock_page", "page_lock", "folio_lock", "lock_folio", "wait_on_page", "folio_wait",
                                           "wait_for_stable", "stable_page", "page_writeback", "folio_writeback", "mkwrite",
                                           "write_begin", "grab_cache", "get_folio", "find_lock", "wait_on_folio"]
    /// Name prefixes of page-flag tests and tracing: they read state, never change it.
    public var pageStateReaders: [String] = ["Page", "folio_test_", "trace_", "Set", "Clear", "TestSet", "TestClear"]

    public func mightTouchPageState(_ function: String) -> Bool {
        if pageStateReaders.contains(where: { function.hasPrefix($0) }) { return false }
        let lowered = function.lowercased()
        return pageStateWords.contains { lowered.containsBytes($0) }
    }

    /// The entries that hold for `version` (nil: unknown, newest behaviour), by function name.
    public func effects(for version: KernelVersion?) -> [String: [ModelEntry]] {
        var table: [String: [ModelEntry]] = [:]
        for entry in entries where entry.versions.contains(version) {
            table[entry.function, default: []].append(entry)
        }
        return table
    }

    /// Prefixes of the flag words a page getter's flags argument is made of: such an argument is
    /// handed to the callee's summary, which decides its branches on it.
    public var flagWordPrefixes: [(prefix: String, reason: String)] = [
        ("FGP_", "pagecache_get_page()/__filemap_get_folio() flags (FGP_LOCK, FGP_STABLE, FGP_WRITEBEGIN), 3.x–6.x"),
        ("AOP_", "write_begin flags passed on to grab_cache_page_write_begin() (AOP_FLAG_NOFS), 2.6.3x–5.x"),
    ]

    /// The ops members the rules and the applicability derivations read, by what they are.
    public var ops = OpsVocabulary()

    /// Whether `binding` fills an entry slot of `kind` (a binding whose struct type the parser
    /// could not tell counts by its slot).
    public func binds(_ binding: OpsBinding, _ kind: EntryPointSlot.Kind) -> Bool {
        entryPoints.contains { $0.kind == kind && $0.slot == binding.slot && (binding.structType == nil || binding.structType == $0.structType) }
    }

    public func entryPoint(structType: String?, slot: String) -> EntryPointSlot? {
        entryPoints.first { $0.slot == slot && (structType == nil || $0.structType == structType) }
    }

    public func notApplicableReason(function: String, path: String, version: KernelVersion? = nil) -> String? {
        for n in notApplicable where n.versions.contains(version) {
            if let exact = n.name, function == exact { return n.reason }
            if let p = n.functionPrefix, function.hasPrefix(p) { return n.reason }
            if let p = n.pathPrefix, path.hasPrefix(p) { return n.reason }
        }
        return nil
    }
}
