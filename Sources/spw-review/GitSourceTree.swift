import Apply
import Foundation
import Git
import StablePages
#if canImport(Glibc)
import Glibc
#endif

/// A tree of the apply stage (T0..Tn) as StablePages reads it. StablePages never opens a
/// repository; the CLI hands it this adapter. libgit2 handles are not thread-safe, so reads are
/// serialised; parsing (the costly part) still runs in parallel.
final class GitSourceTree: SourceTree, @unchecked Sendable {
    let name: String
    let kernelVersion: KernelVersion?
    private let repository: Repository
    private let treeID: ObjectID
    /// The tree this one was built from, and the paths that may differ from it.
    private let baseTreeID: ObjectID
    private let changedFromBase: Set<String>
    private var mutex = pthread_mutex_t()
    private let base: BaseListing
    /// This tree's whole listing, once something asked for a list of files.
    private var builtListing: Listing?
    /// Blob ids looked up one path at a time before that (nil: no `.c`/`.h`/Makefile blob).
    private var looked: [String: ObjectID?] = [:]
    /// What could not be read (a missing object in a partial clone, a corrupt pack): the
    /// review fails, and nothing of this tree is kept.
    private var failures: [String] = []

    var readFailures: [String] {
        base.lock.lock(); defer { base.lock.unlock() }
        return failures
    }

    /// T0's listing, walked when a tree first needs a whole listing and shared by T0..Tn; a
    /// review whose trees are read from records and from each other needs only the ids of the
    /// files it reads, looked up one path at a time (the walk of a kernel's 5,000 trees costs
    /// more than the whole rest of such a review's reading).
    final class BaseListing: @unchecked Sendable {
        let repository: Repository
        let tree: ObjectID
        private var listing: Listing?
        let pathCache: TreePathCache
        /// Serialises the repository handle for listings and lookups, across the trees sharing it.
        let lock = NSLock()

        init(repository: Repository, tree: ObjectID, listing: Listing? = nil) {
            self.repository = repository
            self.tree = tree
            self.listing = listing
            pathCache = TreePathCache(repository: repository)
        }

        /// With `lock` held.
        func get() throws -> Listing {
            if let listing { return listing }
            let walked = try GitSourceTree.listing(of: tree, in: repository)
            listing = walked
            return walked
        }
    }

    /// The whole listing of this tree (T0's, with the paths this tree changed read again).
    var listing: Listing {
        base.lock.lock(); defer { base.lock.unlock() }
        if let builtListing { return builtListing }
        let built: Listing
        do {
            built = try base.get().updated(changedFromBase, in: treeID, repository: repository, pathCache: base.pathCache)
        } catch {
            failures.append("cannot list the files of tree \(treeID.hex): \(error)")
            built = Listing(blobs: [:])
        }
        builtListing = built
        return built
    }

    /// The blob at `path`, from the listing when there is one, else looked up alone.
    func blobID(_ path: String) -> ObjectID? {
        base.lock.lock(); defer { base.lock.unlock() }
        if let builtListing { return builtListing.blobs[path] }
        if let known = looked[path] { return known }
        var id: ObjectID?
        if Self.isListed(path) {
            do {
                if let entry = try base.pathCache.entry(path: path, inTree: treeID), !entry.isTree { id = entry.id }
            } catch {
                failures.append("cannot look up \(path) in tree \(treeID.hex): \(error)")
            }
        }
        looked[path] = id
        return id
    }

    /// What a listing holds: `.c`, `.h` and the top Makefile.
    static func isListed(_ path: String) -> Bool { path.hasSuffix(".c") || path.hasSuffix(".h") || path == "Makefile" }

    /// A tree's `.c`/`.h`/Makefile blobs by path, with the sorted path lists the engine asks for
    /// (a kernel has 60,000: sorted once, and shared by trees that add or remove no file).
    struct Listing: Sendable {
        var blobs: [String: ObjectID]
        var sortedCFiles: [String]
        var sortedHeaderFiles: [String]

        init(blobs: [String: ObjectID]) {
            self.blobs = blobs
            sortedCFiles = blobs.keys.filter { $0.hasSuffix(".c") }.sorted()
            sortedHeaderFiles = blobs.keys.filter { $0.hasSuffix(".h") }.sorted()
        }

        /// This listing with `paths` read again from `tree`.
        func updated(_ paths: Set<String>, in tree: ObjectID, repository: Repository, pathCache: TreePathCache? = nil) throws -> Listing {
            guard !paths.isEmpty else { return self }
            var copy = self
            let ordered = Array(paths)
            let entries = try (pathCache ?? TreePathCache(repository: repository)).entries(paths: ordered, inTree: tree)
            var addedOrRemoved = false
            for (path, entry) in zip(ordered, entries) {
                let relevant = GitSourceTree.isListed(path)
                if let entry, !entry.isTree, relevant {
                    if copy.blobs.updateValue(entry.id, forKey: path) == nil { addedOrRemoved = true }
                } else if copy.blobs.removeValue(forKey: path) != nil {
                    addedOrRemoved = true
                }
            }
            return addedOrRemoved ? Listing(blobs: copy.blobs) : copy
        }
    }

    /// `baseListing` is T0's files; `changed` the paths the series touched up to this tree, read
    /// from this tree itself (so a 100-patch series does not walk the whole tree 101 times).
    init(name: String, repository: Repository, tree: ObjectID, base: BaseListing, changed: Set<String>,
         kernelVersion: KernelVersion?) {
        self.name = name
        self.repository = repository
        self.treeID = tree
        self.kernelVersion = kernelVersion
        self.base = base
        self.baseTreeID = base.tree
        self.changedFromBase = changed
        pthread_mutex_init(&mutex, nil)
    }

    /// Two trees built from the same base differ at most where either changed it.
    func differingPaths(from other: SourceTree) -> [String]? {
        guard let other = other as? GitSourceTree, other.baseTreeID == baseTreeID else { return nil }
        // Only what the analysis can read differs in a way it cares about.
        return changedFromBase.union(other.changedFromBase).filter { $0.hasSuffix(".c") || $0.hasSuffix(".h") }.sorted()
    }

    deinit { pthread_mutex_destroy(&mutex) }

    static func listing(of tree: ObjectID, in repository: Repository) throws -> Listing {
        var out: [String: ObjectID] = [:]
        for (path, entry) in try repository.tree(tree).walkBlobs() where path.hasSuffix(".c") || path.hasSuffix(".h") || path == "Makefile" {
            out[path] = entry.id
        }
        return Listing(blobs: out)
    }

    var identity: String? { treeID.hex }
    func cFiles() -> [String] { listing.sortedCFiles }
    func headerFiles() -> [String] { listing.sortedHeaderFiles }
    func contentID(of path: String) -> String? { blobID(path)?.hex }

    /// Extra handles on the same repository, one per core, so blobs are inflated in parallel
    /// (a libgit2 handle serves one thread at a time). They see the object database on disk;
    /// blobs the series created live in the main handle's in-memory backend and are read there.
    private var readersOpened = false
    private var freeReaders: [Repository] = []
    private var readerSlots: DispatchSemaphore?

    func contents(of path: String) -> [UInt8]? {
        guard let id = blobID(path) else { return nil }
        pthread_mutex_lock(&mutex)
        if !readersOpened {
            readersOpened = true
            freeReaders = (0..<ProcessInfo.processInfo.activeProcessorCount).compactMap { _ in
                try? Repository(path: repository.gitDirectory)
            }
            if !freeReaders.isEmpty { readerSlots = DispatchSemaphore(value: freeReaders.count) }
        }
        let slots = readerSlots
        pthread_mutex_unlock(&mutex)
        if let slots {
            slots.wait()  // as many threads pass as there are handles: removeLast always finds one
            pthread_mutex_lock(&mutex)
            let reader = freeReaders.removeLast()
            pthread_mutex_unlock(&mutex)
            let bytes = try? reader.blobContent(id)
            pthread_mutex_lock(&mutex)
            freeReaders.append(reader)
            pthread_mutex_unlock(&mutex)
            slots.signal()
            if let bytes { return bytes }
        }
        // The main handle is shared by T0..Tn and their lookups: one thread at a time.
        base.lock.lock()
        defer { base.lock.unlock() }
        do {
            return try repository.blobContent(id)
        } catch {
            failures.append("cannot read \(path) (blob \(id.hex)): \(error)")
            return nil
        }
    }
}

/// Trees given by id (T0 first) as source trees. Each later tree is T0's listing with the paths
/// that differ from T0 (a tree diff, so a tree is what its id names whatever history led to it:
/// its results are kept by that id).
func sourceTrees(treeIDs: [String], repository: Repository, listings: TreeListingCache? = nil) throws -> [GitSourceTree] {
    guard let first = treeIDs.first, let base = ObjectID(hex: first) else { return [] }
    let baseListing = GitSourceTree.BaseListing(repository: repository, tree: base, listing: listings?.get(first))
    // An id that names no tree fails here, as the walk of its listing used to.
    _ = try repository.tree(base)
    var version: KernelVersion?
    if let makefile = try TreePathCache(repository: repository).entry(path: "Makefile", inTree: base), !makefile.isTree,
       let bytes = try? repository.blobContent(makefile.id) {
        version = KernelVersion.fromMakefile(String(decoding: bytes.prefix(2048), as: UTF8.self))
    }
    var trees: [GitSourceTree] = []
    for (k, hex) in treeIDs.enumerated() {
        guard let id = ObjectID(hex: hex) else { continue }
        let changed = k == 0 ? [] : try repository.changedPaths(from: base, to: id)
        let tree = GitSourceTree(name: "T\(k)", repository: repository, tree: id, base: baseListing,
                                 changed: changed, kernelVersion: version)
        // A history's next commit starts from this tree's listing (`check` keeps them).
        listings?.put(hex, tree.listing)
        trees.append(tree)
    }
    return trees
}

/// The `.c`/`.h` listings of recently seen trees by tree id: the next commit of a history starts
/// from the tree the previous one ended with.
final class TreeListingCache: @unchecked Sendable {
    private var listings: [String: GitSourceTree.Listing] = [:]
    private var order: [String] = []

    func get(_ id: String) -> GitSourceTree.Listing? { listings[id] }

    func put(_ id: String, _ listing: GitSourceTree.Listing) {
        if listings.updateValue(listing, forKey: id) == nil { order.append(id) }
        while order.count > 16 { listings.removeValue(forKey: order.removeFirst()) }
    }
}
