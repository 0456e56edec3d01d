import Dispatch
import Mail

/// Everything found in the input: the series (several versions, resends, unthreaded patches
/// each become one entry), and diagnostics that belong to no patch.
public struct SeriesCollection: Sendable {
    public var series: [PatchSeries]
    public var diagnostics: [Diagnostic]
    /// Messages read, of each kind, for summaries.
    public var messageCount: Int
    /// The thread each series was sent in (an index per distinct thread, parallel to `series`):
    /// several versions in one thread are one conversation, and picking the newest is what the
    /// reader means; separate threads are separate questions.
    public var threads: [Int] = []

    public init(series: [PatchSeries], diagnostics: [Diagnostic], messageCount: Int, threads: [Int]? = nil) {
        self.series = series
        self.diagnostics = diagnostics
        self.messageCount = messageCount
        // Numbered 1, 2, … in order of first appearance.
        var number: [Int: Int] = [:]
        self.threads = (threads ?? Array(series.indices)).map { t in
            if let n = number[t] { return n }
            number[t] = number.count + 1
            return number.count
        }
    }

    /// What a command that works on one series should take.
    public enum Selection: Sendable {
        case series(PatchSeries)
        /// Nothing matched (no series, or none of that number or version).
        case none
        /// Several series in separate threads, and nothing said which.
        case ambiguous([PatchSeries])
    }

    /// `number` (1-based, as `list` prints them) or `version` when given; else the only series, or
    /// the newest complete one when every series is in one thread. Several threads and no choice
    /// is `.ambiguous`: a command never picks one silently.
    public func select(number: Int? = nil, version: String? = nil) -> Selection {
        if let number {
            return series.indices.contains(number - 1) ? .series(series[number - 1]) : .none
        }
        if version == nil && Set(threads).count > 1 { return .ambiguous(series) }
        return pick(version: version).map { .series($0) } ?? .none
    }

    /// The series to review: `version` if given, else the newest complete one (the newest of
    /// all when none is complete). Ties go to the one read last.
    public func pick(version: String? = nil) -> PatchSeries? {
        if let version {
            return series.last { $0.version == version }
        }
        let ordered = series.enumerated().sorted { a, b in
            if a.element.isComplete != b.element.isComplete { return !a.element.isComplete }
            let c = SeriesBuilder.compareVersions(a.element.version, b.element.version)
            if c != 0 { return c < 0 }
            return a.offset < b.offset
        }
        return ordered.last?.element
    }
}

/// Turns mails and pasted text into series: classifies each mail (patch, cover letter, reply),
/// threads them by Message-ID / In-Reply-To / References, groups patches by thread and version,
/// and attaches replies and their trailers.
public struct SeriesBuilder {
    enum Role {
        case patch, cover, reply, other
        /// A patch or a cover letter: what series are made of (replies are attached to them).
        var makesSeries: Bool { self == .patch || self == .cover }
    }

    struct Entry {
        var role: Role
        /// What the mail is to its series, boxed: an archive's entries are mostly replies, and an
        /// entry stays a few words whatever it holds.
        private var payload: Payload = .none
        indirect enum Payload { case none, patch(Patch), cover(CoverLetter), reply(Reply) }
        var patch: Patch? {
            get { if case .patch(let p) = payload { return p } else { return nil } }
            set {
                payload = newValue.map(Payload.patch) ?? .none
                patchNumber = newValue?.number
                mailSource = newValue?.source
            }
        }
        var cover: CoverLetter? {
            get { if case .cover(let c) = payload { return c } else { return nil } }
            set {
                payload = newValue.map(Payload.cover) ?? .none
                patchNumber = nil
                mailSource = newValue?.source
            }
        }
        /// The patch's number and the patch's or cover letter's mail, kept beside the payload:
        /// grouping asks for them often, and reading them through `patch` copies the whole patch.
        private(set) var patchNumber: Int?
        private(set) var mailSource: SourceLocation?

        /// The payload, moved out (`patchNumber` and `mailSource` stay).
        mutating func takePayload() -> Payload {
            defer { payload = .none }
            return payload
        }
        var reply: Reply? {
            get { if case .reply(let r) = payload { return r } else { return nil } }
            set { payload = newValue.map(Payload.reply) ?? .none }
        }
        var subjectInfo: SubjectInfo
        var messageID: String?
        /// The thread nodes of the Message-IDs the mail names: In-Reply-To first, then References
        /// from the nearest.
        var parents: [Int] = []
        /// The envelope sender as the archive shows it (the `From:` header, lowercased address):
        /// `git send-email` sends every patch of a series from one sender, whoever wrote it.
        var sender = ""
        /// A patch's change, hashed (`patchID`): the same for the same patch sent again.
        var patchID: UInt64 = 0
        /// The mail carries a diff of at least one file.
        var hasFiles = false

        init(role: Role, subjectInfo: SubjectInfo, messageID: String?) {
            self.role = role
            self.subjectInfo = subjectInfo
            self.messageID = messageID
        }
    }

    var entries: [Entry] = []
    /// The threads (every mail joined to every Message-ID it names), and each Message-ID's
    /// entry (the last with it) by its node, kept as entries are added: grouping a large archive
    /// then starts from them, and each Message-ID is hashed once, while the mails are still
    /// being read.
    private var threads = ThreadForest()
    private var entryOfNode: [Int] = []  // -1: no mail has that Message-ID
    private var entryNodes: [Int] = []
    private var pasted: [PatchSeries] = []
    private var quilt: [Patch] = []
    var diagnostics: [Diagnostic] = []
    var messageCount = 0

    public init() {}

    public mutating func add(_ item: InputItem) {
        switch item {
        case .message(let message):
            messageCount += 1
            add(message)
        case .text(let text):
            diagnostics.append(contentsOf: text.diagnostics)
            guard !text.text.isEmpty else { return }
            switch text.origin {
            case .quiltPatch(let strip):
                addQuiltPatch(text, strip: strip)
            case .headerless:
                let (series, d) = PastedThread(source: text.source).split(text.text)
                diagnostics.append(contentsOf: d)
                if let series { pasted.append(series) }
            }
        }
    }

    /// A git-format patch (mail headers) that a quilt `series` names: its place is the stack's.
    private mutating func addQuiltMail(_ message: MailMessage) {
        let mail = PatchMail.read(message)
        var info = mail.subjectInfo
        info.number = quilt.count + 1
        info.total = nil
        var patch = Patch(
            number: quilt.count + 1, total: 0, subject: message.subject, subjectInfo: info,
            author: mail.author, date: mail.date, messageID: message.messageID, inReplyTo: nil,
            message: mail.message, trailers: mail.body.trailers, collectedTrailers: [],
            notes: mail.body.notes.map { String($0.text) }.joined(separator: "\n"), diffstat: mail.body.diffstat,
            files: mail.files, footer: mail.body.footer,
            source: SourceLocation(file: message.source, line: message.startLine), diagnostics: mail.diffDiagnostics)
        patch.diffLines = mail.diffLines
        diagnostics.append(contentsOf: message.diagnostics)
        quilt.append(patch)
    }

    /// DEP-3 fields (Debian's patch headers) at the top of a plain quilt patch, up to the first
    /// blank line: `Description`/`Subject` give the title (its continuation lines the message),
    /// `Author`/`From` the author.
    static func dep3(_ lines: [TextLine]) -> (title: String?, message: [String], author: Person?)? {
        var fields: [(key: String, value: String)] = []
        for line in lines {
            let text = String(line.text)
            if text.allSatisfy(\.isWhitespace) { break }
            if let first = text.first, first == " " || first == "\t", !fields.isEmpty {
                fields[fields.count - 1].value += "\n" + text.trimmingWhitespace()
                continue
            }
            guard let colon = text.firstIndex(of: ":"), !text[..<colon].contains(" ") else {
                if fields.isEmpty { return nil }
                break
            }
            fields.append((String(text[..<colon]).lowercased(), String(text[text.index(after: colon)...]).trimmingWhitespace()))
        }
        let known: Set<String> = ["description", "subject", "author", "from", "origin", "forwarded", "last-update", "bug",
                                  "bug-debian", "applied-upstream", "reviewed-by", "acked-by", "index"]
        guard let firstKey = fields.first?.key, known.contains(firstKey) || firstKey.hasPrefix("bug-") else { return nil }
        let description = fields.first { $0.key == "description" || $0.key == "subject" }?.value
        var parts = description?.split(separator: "\n", omittingEmptySubsequences: false).map(String.init) ?? []
        let title = parts.first
        if !parts.isEmpty { parts.removeFirst() }
        let author = fields.first { $0.key == "author" || $0.key == "from" }.flatMap { Person.parse($0.value) }
        return (title, parts.map { $0 == "." ? "" : $0 }, author)
    }

    private mutating func addQuiltPatch(_ text: PlainText, strip: Int) {
        var lines = TextLines.split(text.text) { $0 + 1 }
        if !text.sentLines.isEmpty { TextLine.attach(text.sentLines, to: &lines) }
        var parser = DiffParser(source: text.source, patchNumber: quilt.count + 1, stripLevel: strip)
        let body = PatchBody.parse(lines, range: 0..<lines.count, parser: &parser)
        let header = Self.dep3(lines)
        var message = body.message.map { String($0.text) }
        while message.first?.isBlank == true { message.removeFirst() }
        var title = message.first.map { $0.trimmingWhitespace() } ?? ""
        if !message.isEmpty { message.removeFirst() }
        if let header, let described = header.title {
            title = described
            message = header.message
        }
        let info = SubjectInfo(title: title, isReply: false, isPatch: true, isRFC: false, isResend: false, version: "1",
                               versionGiven: false, number: quilt.count + 1, total: nil, tags: [])
        quilt.append(Patch(
            number: quilt.count + 1, total: 0, subject: title, subjectInfo: info,
            author: header?.author ?? body.inBodyFrom ?? body.trailers.first(where: { $0.key == "Signed-off-by" })?.person,
            date: body.inBodyDate, messageID: nil, inReplyTo: nil,
            message: message.joined(separator: "\n").trimmingWhitespace(), trailers: body.trailers, collectedTrailers: [],
            notes: "", diffstat: body.diffstat, files: body.files, footer: body.footer,
            source: SourceLocation(file: text.source, line: 1), diagnostics: parser.diagnostics))
    }

    public mutating func add(_ message: MailMessage) {
        if message.quiltStrip != nil {
            addQuiltMail(message)
            return
        }
        let mail = PatchMail.read(message)
        let info = mail.subjectInfo
        let body = mail.body
        let lines = mail.lines
        let location = SourceLocation(file: message.source, line: message.startLine)
        var parents: [String] = []
        if let r = message.inReplyTo { parents.append(r) }
        parents.append(contentsOf: message.references.reversed().filter { $0 != message.inReplyTo })
        let role = Self.role(info, hasFiles: !body.files.isEmpty, threaded: message.inReplyTo != nil || !message.references.isEmpty)
        var entry = Entry(role: role, subjectInfo: info, messageID: message.messageID)
        entry.sender = message.from?.email.lowercased() ?? ""
        diagnostics.append(contentsOf: message.diagnostics.map { d in
            var d = d
            if role == .patch { d.patch = info.number ?? 1 }
            return d
        })
        switch role {
        case .patch:
            var patch = Patch(
                number: info.number ?? 1, total: info.total ?? 1, subject: message.subject, subjectInfo: info,
                author: mail.author, date: mail.date,
                messageID: message.messageID, inReplyTo: message.inReplyTo,
                message: mail.message, trailers: body.trailers, collectedTrailers: [],
                notes: body.notes.map { String($0.text) }.joined(separator: "\n"), diffstat: body.diffstat,
                files: body.files, footer: body.footer, source: location, diagnostics: mail.diffDiagnostics)
            patch.diffLines = mail.diffLines
            patch.recipients = Self.recipients(message)
            PatchChecks.run(&patch)
            entry.patch = patch
            // Hashed from the body's bytes as an outlined mail's is, so a resend read in full
            // and one read as an outline are the same change.
            let skim = DiffSkim.scan(Array(message.body.utf8), from: 0)
            entry.patchID = skim.patchID
            // A change is compared only when the scan saw it too (a patch-id of nothing is not one).
            entry.hasFiles = !patch.files.isEmpty && skim.hasFiles
        case .cover:
            entry.cover = CoverLetter(subject: message.subject, author: message.from, date: message.date,
                                      messageID: message.messageID, body: message.body, source: location,
                                      recipients: Self.recipients(message))
            var footer = SeriesFooter()
            for line in lines { PatchBody.readFooter(line, into: &footer) }
            coverFooters[entries.count] = footer
        case .reply:
            let own = lines.filter { !LineShape.isQuote($0.text) && !LineShape.isAttribution($0.text) }
                .map { String($0.text) }.joined(separator: "\n").trimmingWhitespace()
            entry.reply = Reply(author: message.from, date: message.date, messageID: message.messageID,
                                subject: message.subject, inReplyTo: .unknown, trailers: ReplyTrailers.find(in: own),
                                text: message.body, ownText: own, source: location, authorEvidence: "From: header")
        case .other:
            if let note = Self.pullRequestNote(lines, source: message.source) { diagnostics.append(note) }
        }
        append(entry, naming: parents)
    }

    /// Adds `entry`, the mail that names the Message-IDs `parents`.
    mutating func append(_ entry: consuming Entry, naming parents: [String]) {
        let i = entries.count
        let node = threads.node(entry.messageID ?? "\u{0}entry \(i)")
        entryNodes.append(node)
        entry.parents = parents.map { threads.node($0) }
        for parent in entry.parents { threads.join(parent, node) }
        if entryOfNode.count < threads.count { entryOfNode.append(contentsOf: repeatElement(-1, count: threads.count - entryOfNode.count)) }
        if entry.messageID != nil { entryOfNode[node] = i }
        entries.append(entry)
    }

    /// The entry of the mail whose Message-ID is thread node `node` (the last such mail).
    private func entry(ofNode node: Int) -> Int? {
        let i = entryOfNode[node]
        return i < 0 ? nil : i
    }

    private var coverFooters: [Int: SeriesFooter] = [:]

    /// What a mail is to its series, by its subject, whether it carries a diff, and whether it
    /// answers another mail.
    static func role(_ info: SubjectInfo, hasFiles: Bool, threaded: Bool) -> Role {
        if info.number == 0 && !info.isReply { return .cover }
        if !info.isReply && (hasFiles || info.isPatch) { return .patch }
        if info.isReply || threaded { return .reply }
        return hasFiles ? .patch : .other
    }

    static func recipients(_ message: MailMessage) -> Recipients {
        Recipients(toHeader: message.headers["to"].map(MailMessage.cleanFolded) ?? "",
                   ccHeader: message.headers["cc"].map(MailMessage.cleanFolded) ?? "", references: message.references)
    }

    /// A `git request-pull` mail carries a branch, not a diff: say so, instead of leaving the
    /// reader with a bare "no patch found".
    static func pullRequestNote(_ lines: [TextLine], source: String) -> Diagnostic? {
        pullRequest(in: lines).map { pullRequestNote($0, source: source) }
    }

    /// The `git request-pull` lines of a mail: where it names the base commit, and the URL after
    /// "are available in the git repository at" (empty when none follows).
    static func pullRequest(in lines: [TextLine]) -> (since: TextLine, url: String)? {
        guard let since = lines.first(where: { $0.hasPrefix("The following changes since commit") }),
              let at = lines.first(where: { line in
                  // By bytes first: lowercasing every line of a long mail is the slow way.
                  (line.text.containsBytes("epository") || line.text.containsBytes("EPOSITORY"))
                      && line.text.lowercased().contains("are available in the git repository at")
              })
        else { return nil }
        let url = lines.drop { $0.mailLine != at.mailLine }.dropFirst()
            .first { !$0.text.allSatisfy(\.isWhitespace) }?.text.trimmingWhitespace() ?? ""
        return (since, url)
    }

    static func pullRequestNote(_ found: (since: TextLine, url: String), source: String) -> Diagnostic {
        pullRequestNote(sinceLine: found.since.mailLine ?? 1, url: found.url, source: source)
    }

    static func pullRequestNote(sinceLine: Int, url: String, source: String) -> Diagnostic {
        let fetch = url.isEmpty ? "fetch the branch" : "fetch \(url)"
        return Diagnostic("mail/pull-request", .info,
                          "a pull request (git request-pull), not a patch: \(fetch) and run `spw-review check` on its commits",
                          at: SourceLocation(file: source, line: sinceLine))
    }

    // MARK: - Grouping

    /// The series the mails make. Consumes the builder: the patches, cover letters and replies
    /// move into the series instead of being copied (a large archive's would be held twice).
    public consuming func finish() -> SeriesCollection {
        var series: [PatchSeries] = pasted
        var diagnostics = self.diagnostics
        // Union patches and cover letters with the patch/cover they reply to, same version only.
        var parent = Array(entries.indices)
        func find(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }
        func union(_ a: Int, _ b: Int) { parent[find(a)] = find(b) }
        let seriesEntries = entries.indices.filter { entries[$0].role.makesSeries }
        // Threading beats labels: a patch that replies to a patch or cover letter of the thread
        // belongs with it. Its version label counts only when the sender wrote one that differs
        // (a v2 sent in reply to v1 is a series of its own); a missing "v2" in one subject of a
        // v2 thread is a slip, not a new series.
        var threaded = [Bool](repeating: false, count: entries.count)
        var version = entries.map(\.subjectInfo.version)
        for i in seriesEntries {
            let versionGiven = entries[i].subjectInfo.versionGiven
            for node in entries[i].parents {
                guard let j = entry(ofNode: node), entries[j].role.makesSeries else { continue }
                if !versionGiven || version[j] == version[i] {
                    version[i] = version[j]
                    union(i, j)
                    threaded[i] = true
                    threaded[j] = true
                }
                break
            }
        }
        // The same mail read twice (one file given twice, an archive and a copy of part of it):
        // its copies are one mail of one series, the last copy's place.
        for i in seriesEntries {
            guard entries[i].messageID != nil, let j = entry(ofNode: entryNodes[i]), j != i, entries[j].role.makesSeries else { continue }
            union(i, j)
            threaded[i] = true
        }
        // Unthreaded runs: `git format-patch --stdout`, or patches sent without threading. A run is
        // numbered patches of one version and count that follow each other in the input, or that
        // come from one sender; each patch's own author may differ (a maintainer's branch). A
        // number seen again starts a new run unless it is the same patch sent again.
        struct Run { var root: Int; var key: String; var numbers: [Int: Int]; var senders: Set<String> }
        var runs: [Run] = []
        var lastRun: Int?
        for i in seriesEntries where !threaded[i] {
            let total = entries[i].subjectInfo.total ?? 1
            let isCover = entries[i].role == .cover
            let number = isCover ? 0 : (entries[i].subjectInfo.number ?? 1)
            guard total > 1 || isCover else { lastRun = nil; continue }
            let sender = entries[i].sender
            let key = "\(version[i])|\(total)"
            func accepts(_ r: Int) -> Bool {
                guard runs[r].key == key else { return false }
                guard let earlier = runs[r].numbers[number] else { return true }
                return Self.isSamePatchAgain(entries[earlier], entries[i])
            }
            // The sender's own run first (two series sent at once interleave in an archive), then
            // the run just before (format-patch --stdout of several authors' commits).
            let open = runs.indices.reversed().first { runs[$0].senders.contains(sender) && accepts($0) }
                ?? lastRun.flatMap { accepts($0) ? $0 : nil }
            if let r = open {
                union(i, runs[r].root)
                runs[r].numbers[number] = i
                runs[r].senders.insert(sender)
                lastRun = r
            } else {
                runs.append(Run(root: i, key: key, numbers: [number: i], senders: [sender]))
                lastRun = runs.count - 1
            }
        }
        // A resend is the series again, wherever it was sent: same version and count, and either
        // labelled RESEND with the same subjects or carrying the same changes (patch-ids). One
        // series, the later copies used, each duplicate noted.
        let components = Components(seriesEntries, count: entries.count, root: find)
        struct Signature: Hashable { var version: String; var total: Int; var titles: [String]; var changes: [UInt64] }
        var bySignature: [Signature: Int] = [:]
        // Series are known by their titles only for a RESEND to find them: none, no titles kept.
        let anyResend = entries.contains { $0.role == .patch && $0.subjectInfo.isResend }
        for root in components.roots {
            let members = components[root].filter { entries[$0].role == .patch }
            guard !members.isEmpty else { continue }
            let sorted = members.map { (number: entries[$0].subjectInfo.number ?? 1, entry: $0) }
                .sorted { $0.number < $1.number }.map(\.entry)
            let total = members.map { entries[$0].subjectInfo.total ?? 1 }.max() ?? 1
            // Changes are compared only when every patch's change was read.
            let changes = sorted.allSatisfy { entries[$0].hasFiles } ? sorted.map { entries[$0].patchID } : []
            let resend = members.contains { entries[$0].subjectInfo.isResend }
            let byTitles = anyResend
                ? Signature(version: version[root], total: total, titles: sorted.map { entries[$0].subjectInfo.title }, changes: [])
                : nil
            let byChanges = changes.isEmpty ? nil : Signature(version: version[root], total: total, titles: [], changes: changes)
            if let earlier = byChanges.flatMap({ bySignature[$0] }) ?? (resend ? byTitles.flatMap { bySignature[$0] } : nil) {
                union(earlier, root)
            } else {
                if let byChanges { bySignature[byChanges] = root }
                if let byTitles { bySignature[byTitles] = root }
            }
        }
        let groups = Components(seriesEntries, count: entries.count, root: find)

        var threadOfSeries: [Int] = []
        var threadIndex: [Int: Int] = [:]
        for s in series.indices { threadOfSeries.append(-1 - s) }  // pasted: each its own
        var seriesIndexForEntry = [Int?](repeating: nil, count: entries.count)
        for root in groups.roots {
            let members = groups[root]
            var patchesByNumber: [Int: Int] = [:]  // the entry of each number
            var cover: CoverLetter?
            var footer = SeriesFooter()
            var total = 0
            var infoEntry = members[members.startIndex]  // whose subject names the series: the cover's, else the last patch's
            for m in members {
                total = max(total, entries[m].subjectInfo.total ?? 1)
                if entries[m].role == .cover, let c = entries[m].cover {
                    cover = c
                    infoEntry = m
                    if let f = coverFooters[m] { footer = f }
                }
                if let number = entries[m].patchNumber {
                    if patchesByNumber[number] != nil {
                        diagnostics.append(Diagnostic(
                            "mail/duplicate-patch", .info,
                            "patch \(number)/\(entries[m].subjectInfo.total ?? 1) appears more than once; the last copy is used",
                            at: entries[m].mailSource, patch: number))
                    }
                    patchesByNumber[number] = m
                    if cover == nil { infoEntry = m }
                }
            }
            var info = entries[infoEntry].subjectInfo
            info.version = version[root]
            if let cover, cover.subject.contains("*** SUBJECT HERE ***") {
                diagnostics.append(Diagnostic(
                    "mail/placeholder-cover", .warning,
                    "the cover letter is git format-patch's unedited template (*** SUBJECT HERE ***): write what the series does",
                    at: cover.source))
            }
            let patches = patchesByNumber.keys.sorted().map { number -> Patch in
                guard case .patch(let patch) = entries[patchesByNumber[number]!].takePayload() else { preconditionFailure("a patch entry without its patch") }
                return patch
            }
            if footer.baseCommit == nil, let k = patches.firstIndex(where: { $0.footer.baseCommit != nil }) { footer = patches[k].footer }
            let present = Set(patchesByNumber.keys)
            let missing = total >= 1 ? (1...max(total, 1)).filter { !present.contains($0) } : []
            let title: String
            if let cover { title = SubjectParser.parse(cover.subject).title }
            else if !patches.isEmpty { title = patches[patches.firstIndex { $0.number == 1 } ?? 0].subjectInfo.title }
            else { title = "" }
            var s = PatchSeries(title: title, version: info.version, total: max(total, patches.count),
                                coverLetter: cover, patches: patches, replies: [], missingPatches: missing,
                                footer: footer, tags: info.tags)
            s.mailSources = members.compactMap { entries[$0].mailSource }
            for m in members { seriesIndexForEntry[m] = series.count }
            series.append(s)
            let thread = threads.root(entryNodes[root])
            if threadIndex[thread] == nil { threadIndex[thread] = threadIndex.count }
            threadOfSeries.append(threadIndex[thread]!)
        }
        if !quilt.isEmpty {
            var patches = quilt
            for i in patches.indices {
                patches[i].total = patches.count
                patches[i].subjectInfo.total = patches.count
                PatchChecks.run(&patches[i])
            }
            series.append(PatchSeries(title: patches[0].subjectInfo.title, version: "1", total: patches.count,
                                      coverLetter: nil, patches: patches, replies: [], missingPatches: [],
                                      footer: patches.first?.footer ?? SeriesFooter(), tags: []))
            threadOfSeries.append(-1 - series.count)
        }

        // Replies: follow the thread up to the nearest patch or cover letter.
        var visitedBy = [Int](repeating: -1, count: entries.count)  // by the reply whose walk saw it
        for i in entries.indices where entries[i].role == .reply {
            guard case .reply(var reply) = entries[i].takePayload() else { continue }
            visitedBy[i] = i
            var current = i
            var target: (series: Int, target: ReplyTarget)?
            while target == nil {
                guard let next = entries[current].parents.lazy.compactMap({ entry(ofNode: $0) }).first(where: { visitedBy[$0] != i }) else { break }
                visitedBy[next] = i
                if let s = seriesIndexForEntry[next] {
                    let t: ReplyTarget = entries[next].role == .cover ? .cover : .patch(entries[next].patchNumber ?? 1)
                    target = (s, t)
                }
                current = next
            }
            if let target {
                reply.inReplyTo = target.target
                series[target.series].replies.append(reply)
            } else if series.count == 1 {
                series[0].replies.append(reply)
            }
        }
        for s in series.indices {
            let missing = series[s].missingPatches
            if !missing.isEmpty && !series[s].patches.isEmpty {
                diagnostics.append(Diagnostic(
                    "mail/incomplete-series", .warning,
                    "series '\(series[s].title)' v\(series[s].version): patch(es) \(missing.map(String.init).joined(separator: ", ")) of \(series[s].total) missing",
                    at: series[s].patches.first?.source))
            }
            ReplyTrailers.apply(to: &series[s])
            var reported = Set<String>()
            for k in series[s].patches.indices where !series[s].patches[k].mismatchedTrailers.isEmpty {
                for m in series[s].patches[k].mismatchedTrailers where reported.insert("\(m.trailer.key)|\(m.trailer.value)|\(m.source?.line ?? 0)").inserted {
                    let sender = m.sender?.formatted ?? "an unknown sender"
                    diagnostics.append(Diagnostic(
                        "mail/trailer-mismatch", .warning,
                        "'\(m.trailer.key): \(m.trailer.value)' comes from \(sender), not from the person it names: not applied (as b4 does)",
                        at: m.source))
                }
            }
        }
        // A large archive's entries take longer to free than to group: they are let go on another
        // core while the caller reports. The remains hold the only references (moved out of
        // `self`): whichever thread lets go last frees, and that must be the other one.
        if entries.count >= 4096 {
            var movedEntries: [Entry] = [], movedThreads = ThreadForest()
            swap(&movedEntries, &entries)
            swap(&movedThreads, &threads)
            let remains = Remains(entries: consume movedEntries, threads: consume movedThreads)
            DispatchQueue.global(qos: .utility).async { remains.release() }
        }
        return SeriesCollection(series: series, diagnostics: diagnostics, messageCount: messageCount,
                                threads: threadOfSeries)
    }

    /// Entries grouped by the root of their union-find tree, in one flat array: the roots in the
    /// order their first entry comes, and each root's entries in input order.
    struct Components {
        private var start: [Int], count: [Int]
        private var flat: [Int]
        private(set) var roots: [Int] = []

        /// Groups `entries` (indices below `count`) by `root`.
        init(_ entries: [Int], count: Int, root: (Int) -> Int) {
            let rootOf = entries.map(root)
            self.count = [Int](repeating: 0, count: count)
            for r in rootOf {
                if self.count[r] == 0 { roots.append(r) }
                self.count[r] += 1
            }
            start = [Int](repeating: 0, count: count)
            var next = 0
            for r in roots { start[r] = next; next += self.count[r] }
            var filled = start
            flat = [Int](repeating: 0, count: entries.count)
            for (entry, r) in zip(entries, rootOf) {
                flat[filled[r]] = entry
                filled[r] += 1
            }
        }

        subscript(root: Int) -> ArraySlice<Int> { flat[start[root]..<(start[root] + count[root])] }
    }

    /// What grouping leaves of a builder, freed by `release`.
    private final class Remains: @unchecked Sendable {
        private var entries: [Entry]
        private var threads: ThreadForest

        init(entries: consuming [Entry], threads: consuming ThreadForest) {
            self.entries = entries
            self.threads = threads
        }

        func release() {
            entries = []
            threads = ThreadForest()
        }
    }

    /// Threads as sets of mails joined by the Message-IDs they name (union-find over ids).
    struct ThreadForest {
        private var nodes: [String: Int] = [:]
        private var parent: [Int] = []
        /// How many nodes (Message-IDs) there are.
        var count: Int { parent.count }

        mutating func node(_ id: String) -> Int {
            if let n = nodes[id] { return n }
            parent.append(parent.count)
            nodes[id] = parent.count - 1
            return parent.count - 1
        }

        mutating func join(_ a: Int, _ b: Int) { parent[compressedRoot(a)] = compressedRoot(b) }

        /// The root of `x`'s tree, halving the path on the way (the trees stay shallow).
        private mutating func compressedRoot(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { parent[x] = parent[parent[x]]; x = parent[x] }
            return x
        }

        /// The root of `x`'s tree, without changing the forest (grouping reads it from a
        /// builder it does not own).
        func root(_ x: Int) -> Int {
            var x = x
            while parent[x] != x { x = parent[x] }
            return x
        }
    }

    /// A resend: the label says so, the Message-ID is the same, or the diff is (git's patch-id:
    /// the changed lines, whitespace aside).
    static func isSamePatchAgain(_ a: Entry, _ b: Entry) -> Bool {
        if b.subjectInfo.isResend || a.subjectInfo.isResend { return true }
        if let x = a.messageID, x == b.messageID { return true }
        guard a.role == .patch, b.role == .patch, a.hasFiles else { return a.role == .cover && b.role == .cover }
        return a.patchID == b.patchID
    }

    /// Compares `3.2` and `10` component by component.
    public static func compareVersions(_ a: String, _ b: String) -> Int {
        let x = a.split(separator: ".").map { Int($0) ?? 0 }
        let y = b.split(separator: ".").map { Int($0) ?? 0 }
        for k in 0..<max(x.count, y.count) {
            let l = k < x.count ? x[k] : 0, r = k < y.count ? y[k] : 0
            if l != r { return l < r ? -1 : 1 }
        }
        return 0
    }
}
