import Foundation
import Testing
import TestSupport
@testable import Mail

func raw(_ text: String) -> RawMessage { RawMessage(bytes: Array(text.utf8), source: "test.eml") }

func messages(inMbox text: String) -> [RawMessage] {
    var reader = MboxReader(path: "test.mbox", source: .memory(Array(text.utf8)))
    var result: [RawMessage] = []
    while let m = reader.next() { result.append(m) }
    return result
}

/// `body` with `text` in a temporary file, open for reading (closed and removed after).
func withOpenFile<T>(_ text: String, _ body: (URL, Int32) throws -> T) throws -> T {
    let url = FileManager.default.temporaryDirectory.appendingPathComponent("mbox-\(UUID()).mbox")
    try text.write(to: url, atomically: true, encoding: .utf8)
    defer { try? FileManager.default.removeItem(at: url) }
    let fd = open(url.path, O_RDONLY)
    defer { close(fd) }
    return try body(url, fd)
}

struct MboxTests {
    @Test func splitsOnGitStyleSeparatorsOnly() {
        let mbox = """
            From 1234567890123456789012345678901234567890 Mon Sep 17 00:00:00 2001
            Subject: one

            From here on the body has a line starting with From but no date.
            From nobody Mon Sep 17 00:00:00 2001
            Subject: two

            body
            """
        let split = messages(inMbox: mbox)
        #expect(split.count == 2)
        #expect(split[0].startLine == 2)
        #expect(split[1].startLine == 6)
        #expect(String(decoding: split[0].bytes, as: UTF8.self).contains("From here on"))
    }

    /// A separator, blank lines, then another separator: the blank lines were an empty message's,
    /// and the next message's headers start right after its separator (found by fuzzing).
    @Test func blankLinesOfAnEmptyMessageStayOutOfTheNext() {
        let split = messages(inMbox: "From a@b Mon Sep 17 00:00:00 2001\n\n\nFrom c@d Mon Sep 17 00:00:00 2001\nSubject: x\n\nbody\n")
        #expect(split.count == 1)
        #expect(split.first?.startLine == 5)
        #expect(split.first.map { String(decoding: $0.bytes, as: UTF8.self) } == "Subject: x\n\nbody\n")
    }

    @Test func unescapesMboxrdFromLines() {
        let mbox = "From a@b Mon Sep 17 00:00:00 2001\nSubject: x\n\n>From the top\n>>From deeper\n"
        let body = String(decoding: messages(inMbox: mbox)[0].bytes, as: UTF8.self)
        #expect(body.contains("\nFrom the top\n"))
        #expect(body.contains("\n>From deeper\n"))
    }

    @Test func streamsFromAFileDescriptorInSmallChunks() throws {
        let text = (1...50).map { "From x@y Mon Sep 17 00:00:00 2001\nSubject: m\($0)\n\nbody \($0)\n" }.joined()
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("chunks-\(UUID()).mbox")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        var reader = MboxReader(path: url.path, source: .fileDescriptor(fd), chunkSize: 7)
        var subjects: [String] = []
        while let raw = reader.next() { subjects.append(MailMessage.parse(raw).subject) }
        #expect(subjects == (1...50).map { "m\($0)" })
    }

    /// Runs of lines are copied into the message in one piece, and a chunk boundary can fall
    /// anywhere in a run, an escaped `>From ` line or a separator: every chunk size must give the
    /// bytes that reading the whole file from memory gives.
    @Test(arguments: [1, 2, 7, 64, 1 << 20])
    func chunkedReadingKeepsEveryByte(chunkSize: Int) throws {
        let long = String(repeating: "x", count: 300)
        let text = (1...12).map { k in
            "From x@y Mon Sep 17 00:00:00 2001\nSubject: m\(k)\r\n\nbody \(k) \(long)\n>From escaped \(k)\n>>From twice\n\n>not from\nlast \(k)\n"
        }.joined() + "From x@y Mon Sep 17 00:00:00 2001\nSubject: tail\n\nno newline at the end"
        try withOpenFile(text) { url, fd in
            var chunked = MboxReader(path: url.path, source: .fileDescriptor(fd), chunkSize: chunkSize)
            var whole = MboxReader(path: url.path, source: .memory(Array(text.utf8)))
            var count = 0
            while let a = chunked.next() {
                let next = whole.next()
                let b = try #require(next)
                #expect(a.bytes == b.bytes)
                #expect(a.startLine == b.startLine)
                count += 1
            }
            let after = whole.next()
            #expect(after == nil)
            #expect(count == 13)
        }
        let first = String(decoding: messages(inMbox: text)[0].bytes, as: UTF8.self)
        #expect(first == "Subject: m1\r\n\nbody 1 \(long)\nFrom escaped 1\n>From twice\n\n>not from\nlast 1\n")
    }

    /// Blocks are read on several cores; together they must be the file, message for message:
    /// bytes, first lines, separators and huge lines, whatever the block size and wherever a
    /// boundary falls (an empty message, a separator right after another, CRLF, no final newline).
    @Test(arguments: [1, 3, 40, 97, 1 << 20])
    func blocksReadAsTheWholeFile(blockSize: Int) throws {
        let long = String(repeating: "y", count: 200)
        var text = "Subject: before any separator\n\nleading text\n"
        for k in 1...9 {
            text += "From x@y Mon Sep 17 00:00:00 2001\n"
            if k == 4 { text += "From x@y Mon Sep 17 00:00:00 2001\r\n" }  // one right after another
            if k == 6 { continue }  // a separator with nothing after it
            text += "Subject: m\(k)\r\n\nbody \(k) \(long)\n>From escaped\nFrom no date here\n\n"
        }
        text += "From x@y Mon Sep 17 00:00:00 2001\nSubject: tail\n\nno newline at the end"
        for (name, content) in [("runs", text), ("empty-tail", text + "\nFrom x@y Mon Sep 17 00:00:00 2001\n"),
                                ("one", "From x@y Mon Sep 17 00:00:00 2001\nSubject: only\n\nx\n"), ("nothing", "")] {
            let url = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-\(name)-\(UUID()).mbox")
            try content.write(to: url, atomically: true, encoding: .utf8)
            defer { try? FileManager.default.removeItem(at: url) }
            let fd = open(url.path, O_RDONLY)
            defer { close(fd) }
            var blocks = MboxBlocks(fd: fd, blockSize: blockSize)
            var fromBlocks: [RawMessage] = []
            var blockCount = 0
            var linesBefore = 0
            while let block = blocks.next() {
                blockCount += 1
                var reader = MboxReader(path: url.path, block: block)
                while var m = reader.next() {
                    m.startLine += linesBefore
                    fromBlocks.append(m)
                }
                linesBefore += reader.linesRead
            }
            var whole = MboxReader(path: url.path, source: .memory(Array(content.utf8)))
            var expected: [RawMessage] = []
            while let m = whole.next() { expected.append(m) }
            #expect(fromBlocks.map(\.bytes) == expected.map(\.bytes), "\(name)")
            #expect(fromBlocks.map(\.startLine) == expected.map(\.startLine), "\(name)")
            #expect(fromBlocks.map(\.separator) == expected.map(\.separator), "\(name)")
            if blockSize == 1 && name == "runs" { #expect(blockCount > 5) }
        }
    }

    @Test func blocksKeepHugeLinesAndTheirLineNumbers() throws {
        let huge = String(repeating: "z", count: MboxReader.hugeLineThreshold + 10)
        let text = "From x@y Mon Sep 17 00:00:00 2001\nSubject: a\n\nshort\n"
            + "From x@y Mon Sep 17 00:00:00 2001\nSubject: b\n\n\(huge)\nafter\n"
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("blocks-huge-\(UUID()).mbox")
        try text.write(to: url, atomically: true, encoding: .utf8)
        defer { try? FileManager.default.removeItem(at: url) }
        let fd = open(url.path, O_RDONLY)
        defer { close(fd) }
        var blocks = MboxBlocks(fd: fd, blockSize: 4096)
        var huges: [Int] = []
        var subjects: [String] = []
        var linesBefore = 0
        while let block = blocks.next() {
            var reader = MboxReader(path: url.path, block: block)
            while let m = reader.next() { subjects.append(MailMessage.parse(m).subject) }
            huges += reader.hugeLines.map { $0.line + linesBefore }
            linesBefore += reader.linesRead
        }
        #expect(subjects == ["a", "b"])
        #expect(huges == [8])
    }

    @Test func bulkSkippingAgreesWithLineByLine() {
        // Lines that make the bulk path decide: separators, escaped ones, `From:` and quoted
        // text (followed by 'F' or '>' but ordinary), blanks, CRLF, and lengths around its
        // 16- and 64-byte steps; huge thresholds around them too.
        let pieces = ["From x@y Mon Sep 17 00:00:00 2001\n", "From: a <a@b>\n", ">From quoted\n", ">>>From x\n",
                      "> quoted text\n", ">>\n", ">\n", "Fixes: abc\n", "F\n", "Fr", "\n", "\r\n", "x\n",
                      String(repeating: "a", count: 15) + "\n", String(repeating: "b", count: 63) + "\n",
                      String(repeating: "c", count: 64) + "\n", String(repeating: "d", count: 130) + "\n",
                      String(repeating: "e", count: 300) + "\n", "+\tcode();\n", " context\n", "From\n"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<3000 {
            var text = ""
            for _ in 0..<Int.random(in: 0...40, using: &rng) { text += pieces.randomElement(using: &rng)! }
            if round % 3 == 0 { text += String(repeating: "t", count: Int.random(in: 0...90, using: &rng)) }  // no newline at the end
            let bytes = Array(text.utf8)
            let huge = [0, 1, 20, 63, 64, 65, 100, 200, 1 << 20][round % 9]
            for start in Set([0] + bytes.indices.filter { $0 == 0 || bytes[$0 - 1] == 0x0A }.prefix(4)) {
                let expected = MboxReader.skipOrdinaryLinesOneByOne(bytes, from: start, huge: huge)
                let (stop, lines) = MboxReader.skipOrdinaryLines(bytes, from: start, huge: huge)
                #expect(stop == expected.stop && lines == expected.lines, "round \(round), start \(start), huge \(huge): \(text.debugDescription)")
                if stop != expected.stop || lines != expected.lines { return }
            }
        }
    }

    @Test func readerAgreesWithALineByLineSplit() throws {
        // The whole reader against git's rule applied line by line: messages, their first lines,
        // separators, and `>From ` unescaping, read from memory and in small chunks.
        let pieces = ["From x@y Mon Sep 17 00:00:00 2001\n", "From: a <a@b>\n", "Subject: s\n", "\n", ">From quoted\n",
                      ">>From x\n", "> quoted\n", "From no date\n", "body line\r\n", String(repeating: "w", count: 70) + "\n"]
        var rng = SystemRandomNumberGenerator()
        for round in 0..<400 {
            var text = ""
            for _ in 0..<Int.random(in: 0...60, using: &rng) { text += pieces.randomElement(using: &rng)! }
            var expected: [(bytes: [UInt8], startLine: Int, separator: String?)] = []
            var current: [UInt8] = [], start = 1, separator: String?, content = false
            // Bytes, not a String's characters: "\r\n" is one Character.
            let lines = Array(text.utf8).split(separator: 0x0A, omittingEmptySubsequences: false)
            for (k, piece) in lines.enumerated() {
                let last = k == lines.count - 1
                if last && piece.isEmpty { break }
                let line = Array(piece)
                if MboxReader.isSeparator(line) || (k == 0 && line.starts(with: Array("From ".utf8))) {
                    if content { expected.append((current, start, separator)) }
                    current = []; content = false
                    separator = String(decoding: line, as: UTF8.self); start = k + 2
                    continue
                }
                var kept = line
                if let gt = line.firstIndex(where: { $0 != UInt8(ascii: ">") }), gt > 0, line[gt...].starts(with: Array("From ".utf8)) {
                    kept.removeFirst()
                }
                if !line.isEmpty { content = true }
                current += kept + (last ? [] : [0x0A])
            }
            if content || separator != nil { expected.append((current, start, separator)) }
            for chunk in [nil, 5, 64, 65] as [Int?] {
                var got: [RawMessage] = []
                if let chunk {
                    got = try withOpenFile(text) { url, fd in
                        var reader = MboxReader(path: url.path, source: .fileDescriptor(fd), chunkSize: chunk)
                        return Array(AnyIterator { reader.next() })
                    }
                } else {
                    var reader = MboxReader(path: "m", source: .memory(Array(text.utf8)))
                    while let m = reader.next() { got.append(m) }
                }
                let same = got.map(\.bytes) == expected.map(\.bytes) && got.map(\.startLine) == expected.map(\.startLine)
                    && got.map(\.separator) == expected.map(\.separator)
                #expect(same, "round \(round), chunk \(String(describing: chunk)): \(text.debugDescription)\ngot \(got.map { ($0.startLine, $0.separator ?? "-", String(decoding: $0.bytes, as: UTF8.self)) })\nexpected \(expected.map { ($0.startLine, $0.separator ?? "-", String(decoding: $0.bytes, as: UTF8.self)) })")
                if !same { return }
            }
        }
    }

    @Test func separatorRuleMatchesGit() {
        #expect(MboxReader.isSeparator(Array("From abc Mon Sep 17 00:00:00 2001".utf8)))
        #expect(MboxReader.isSeparator(Array("From djwong@us.ibm.com Thu May 26 16:04:37 2011".utf8)))
        #expect(!MboxReader.isSeparator(Array("From the top of the page".utf8)))
        #expect(!MboxReader.isSeparator(Array("From abc Mon Sep 17 00:00:00 0001".utf8)))
    }
}

struct HeaderTests {
    @Test func unfoldsAndDecodesEncodedWords() {
        let m = MailMessage.parse(raw("""
            From: =?ISO-8859-1?Q?David_K=E5gedal?= <davidk@example.se>
            Subject: [PATCH] =?UTF-8?B?0J/RgNC40LLQtdGC?=
             =?UTF-8?B?INC80LjRgA==?=
            Message-ID: <abc@example.org>
            In-Reply-To: <parent@example.org>
            References: <root@example.org>
            \t<parent@example.org>

            body
            """))
        #expect(m.from == Person(name: "David Kågedal", email: "davidk@example.se"))
        #expect(m.subject == "[PATCH] Привет мир")
        #expect(m.messageID == "abc@example.org")
        #expect(m.inReplyTo == "parent@example.org")
        #expect(m.references == ["root@example.org", "parent@example.org"])
    }

    @Test(arguments: [
        ("A U Thor <a@example.com>", "A U Thor", "a@example.com"),
        ("\"Wong, Darrick\" <d@example.com>", "Wong, Darrick", "d@example.com"),
        ("a@example.com (A U Thor)", "A U Thor", "a@example.com"),
        ("bare@example.com", "", "bare@example.com"),
        ("\"Author \\\"The Author\\\" Name\" <s@example.com>", "Author \"The Author\" Name", "s@example.com"),
    ])
    func parsesAddresses(_ text: String, _ name: String, _ email: String) {
        #expect(Person.parse(text) == Person(name: name, email: email))
    }
}

struct EncodingTests {
    /// An ASCII part in a single-byte charset skips the line-by-line reading: it must give what
    /// that reading gives (text, kept bytes, outcome), and the reading must still be used when a
    /// byte from 0x80 or an unknown charset is there.
    @Test(arguments: ["iso-8859-1", "ISO-8859-15", "windows-1252", "koi8-r", "iso-8859-2", "x-no-such", "none", "utf-8", "utf-16",
                      "iso-2022-jp", "gb2312", "shift_jis", "bad name"])
    func asciiShortcutReadsAsTheLineByLineReading(charset: String) {
        let samples: [[UInt8]] = [
            Array("diff --git a/x b/x\r\n+\tint a;\n\n".utf8), Array("no newline".utf8), [],
            Array("caf".utf8) + [0xE9] + Array("\nline\n".utf8), [0x41, 0x0A, 0x80, 0x0A, 0x42],
        ]
        for bytes in samples {
            let fast = Charset.decodeKeepingBytes(bytes, charset: charset)
            let slow = Charset.decodeLineByLine(bytes, charset: charset, name: Charset.normalizedName(charset))
            #expect(fast.text == slow.text, "\(charset): \(bytes)")
            #expect(fast.sent == slow.sent, "\(charset): \(bytes)")
            #expect(fast.outcome == slow.outcome, "\(charset): \(bytes)")
        }
    }

    @Test func quotedPrintable() {
        let decoded = TransferEncoding.decodeQuotedPrintable(Array("a=3Db=\nc =E2=82=AC=ZZ".utf8))
        #expect(String(decoding: decoded, as: UTF8.self) == "a=bc €=ZZ")
    }

    /// The decoders copy runs and whole groups at once; every way text can be cut (line ends
    /// anywhere, padding, junk, `=` at the very end) must still give what a byte-by-byte reading gives.
    @Test func decodersAgreeWithAByteByByteReading() {
        var rng = SystemRandomNumberGenerator()
        for _ in 0..<300 {
            let payload = (0..<Int.random(in: 0..<200, using: &rng)).map { _ in UInt8.random(in: 0...255, using: &rng) }
            var encoded = Array(Data(payload).base64EncodedString().utf8)
            // Line breaks, spaces and a junk byte at random places.
            for _ in 0..<Int.random(in: 0..<6, using: &rng) {
                let junk: [[UInt8]] = [[0x0A], [0x0D, 0x0A], [0x20], [0x2A]]
                encoded.insert(contentsOf: junk.randomElement(using: &rng)!, at: Int.random(in: 0...encoded.count, using: &rng))
            }
            let expectedInvalid = encoded.filter { $0 == 0x2A }.count
                + (encoded.firstIndex(of: 0x3D).map { pad in encoded[pad...].filter { Self.isBase64Letter($0) }.count } ?? 0)
            let (bytes, invalid) = TransferEncoding.decodeBase64(encoded)
            #expect(invalid == expectedInvalid)
            if expectedInvalid == 0 { #expect(bytes == payload) }

            // Quoted-printable of the same payload, with soft breaks, then a few stray '='.
            var qp: [UInt8] = []
            for (k, b) in payload.enumerated() {
                if b == 0x3D || b >= 0x7F || b < 0x20 { qp += Array(String(format: "=%02X", b).utf8) } else { qp.append(b) }
                if k % 17 == 16 { qp += [0x3D, 0x0A] }
            }
            #expect(TransferEncoding.decodeQuotedPrintable(qp) == payload)
            #expect(TransferEncoding.decodeQuotedPrintable(qp + [0x3D]) == payload)
            #expect(TransferEncoding.decodeQuotedPrintable(qp + [0x3D, 0x47, 0x41]) == payload + [0x3D, 0x47, 0x41])
        }
    }

    /// The iconv-read tables stand in for Foundation's converters: they must agree on every
    /// byte both define (a byte iconv leaves undefined goes to Foundation as before).
    @Test(arguments: [("iso-8859-2", String.Encoding.isoLatin2), ("windows-1250", .windowsCP1250),
                      ("windows-1251", .windowsCP1251), ("windows-1253", .windowsCP1253), ("windows-1254", .windowsCP1254)])
    func singleByteTablesAgreeWithFoundation(_ name: String, _ encoding: String.Encoding) throws {
        let table = try #require(Charset.singleByteTable(name))
        var defined = 0
        for byte in 0x80...0xFF {
            let value = table[byte - 0x80]
            guard value != Charset.undefinedByte else { continue }
            defined += 1
            #expect(String(data: Data([UInt8(byte)]), encoding: encoding) == String(Character(Unicode.Scalar(value)!)),
                    "\(name) byte \(byte)")
        }
        #expect(defined >= 100)  // windows-1253 leaves 17 bytes undefined
        #expect(Charset.decode([0x41, 0xA9], charset: name.uppercased()).0 == String(data: Data([0x41, 0xA9]), encoding: encoding))
    }

    /// Charset names as mailers write them: case, RFC 2231 language suffixes, quotes, blanks.
    @Test(arguments: [("utf-8", "utf-8"), ("UTF-8", "utf-8"), (" Utf-8\t", "utf-8"), ("\"ISO-8859-15\"", "iso-8859-15"),
                      ("us-ascii*en", "us-ascii"), ("\"\"", ""), ("Windows_1252", "windows_1252"), ("utf-8 ", "utf-8")])
    func charsetNamesAreNormalized(_ written: String, _ normalized: String) {
        #expect(Charset.normalizedName(written) == normalized)
    }

    static func isBase64Letter(_ c: UInt8) -> Bool {
        (c >= 0x41 && c <= 0x5A) || (c >= 0x61 && c <= 0x7A) || (c >= 0x30 && c <= 0x39) || c == 0x2B || c == 0x2F
    }

    @Test func base64CountsInvalidCharacters() {
        let (bytes, invalid) = TransferEncoding.decodeBase64(Array("aGVs\nbG8=".utf8))
        #expect(String(decoding: bytes, as: UTF8.self) == "hello")
        #expect(invalid == 0)
        #expect(TransferEncoding.decodeBase64(Array("aGVs*bG8!".utf8)).invalidCharacters == 2)
    }

    @Test(arguments: [
        ("iso-8859-1", [0xE5] as [UInt8], "å"),
        ("ISO-8859-15", [0xA4], "€"),
        ("iso-8859-15", [0x41, 0xBC, 0xBD, 0xE9, 0xBE], "AŒœéŸ"),
        ("windows-1252", [0x80, 0x93], "€“"),
        ("windows-1252", [0x81, 0x83, 0x99, 0xFF, 0x7A], "\u{81}ƒ™ÿz"),
        ("utf-8", [0xC3, 0xA5], "å"),
        ("iso-8859-8", [0xF9], "ש"),
        ("koi8-r", [0xC1], "а"),
    ])
    func charsets(_ name: String, _ bytes: [UInt8], _ expected: String) {
        let (text, outcome) = Charset.decode(bytes, charset: name)
        #expect(text == expected)
        #expect(outcome == .decoded)
    }

    @Test func wordByteSearchIsExact() {
        for position in 0..<8 {
            for byte: UInt8 in [0x00, 0x0A, 0x0D, 0x7F, 0x80, 0xFF] {
                var bytes = [UInt8](repeating: 0x41, count: 8)
                bytes[position] = byte
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                for wanted: UInt8 in [0x00, 0x0A, 0x0D, 0x41, 0x7F, 0x80, 0xFF] {
                    #expect(ByteText.hasByte(word, wanted) == bytes.contains(wanted), "\(bytes) \(wanted)")
                }
            }
        }
        // Below a limit, for ASCII words (how the header reader uses it), every byte value at every place.
        for position in 0..<8 {
            for byte: UInt8 in 0...0x7F {
                var bytes = [UInt8](repeating: 0x7E, count: 8)
                bytes[position] = byte
                let word = bytes.withUnsafeBytes { $0.loadUnaligned(as: UInt64.self) }
                for limit: UInt8 in [0x01, 0x20, 0x21, 0x41, 0x7F] {
                    #expect(ByteText.hasByteBelow(word, limit) == bytes.contains { $0 < limit }, "\(bytes) \(limit)")
                }
            }
        }
        // Folded values: CRLF, several continuation lines, a lone CR, non-ASCII past eight bytes.
        let folded2 = MailMessage.parse(raw("References: <aaaaaaaaaaaa@example.org>\r\n\t<bbbbbbbbbbbb@example.org>\r\n  <cc@example.org>  \r\n"
            + "X-Odd: first part of it\rsecond part\nX-Name: Jos\u{e9} Garc\u{ed}a de la Cruz y\n M\u{e1}s\n\nbody\n"))
        #expect(folded2.references == ["aaaaaaaaaaaa@example.org", "bbbbbbbbbbbb@example.org", "cc@example.org"])
        #expect(folded2.headers.first("References")?.rawValue == "<aaaaaaaaaaaa@example.org> <bbbbbbbbbbbb@example.org> <cc@example.org>")
        #expect(folded2.headers["X-Odd"] == "first part of itsecond part")
        #expect(folded2.headers["X-Name"] == "Jos\u{e9} Garc\u{ed}a de la Cruz y M\u{e1}s")
        let names = MailMessage.parse(raw("X-Some-Long-Field-Name: a\nSubject-With-Long-Name: b\nSubject: s\nLong-Name-Then-Space : c\n\nbody\n"))
        #expect(names.headers["X-Some-Long-Field-Name"] == "a")
        #expect(names.headers["Subject-With-Long-Name"] == "b")
        #expect(names.subject == "s")
        #expect(names.headers["Long-Name-Then-Space"] == nil, "a space before the colon ends the header block, as in git")
        let folded = MailMessage.parse(raw("Subject: a long subject line that is\n folded once\nX-Long: abcdefghijklmnop\u{e9}q\n\nbody\n"))
        #expect(folded.subject == "a long subject line that is folded once")
        #expect(folded.headers["X-Long"] == "abcdefghijklmnop\u{e9}q")
    }

    /// Each field every mail is asked for is found while parsing, in any case.
    @Test func knownFieldsAreFoundByName() {
        for known in HeaderBlock.Known.allCases {
            let name = known.lowered.description
            for spelling in [name, name.uppercased()] {
                let (block, _, _) = HeaderBlock.parse(Array("X-Other: a\n\(spelling): value\n\nbody\n".utf8)[...], firstLine: 1)
                #expect(block.rawValue(known) == "value", "\(spelling)")
            }
        }
    }

    /// Long inputs take the eight-bytes-at-a-time path; each result is checked against a
    /// scalar-by-scalar reference.
    @Test func singleByteCharsetsOverLongMixedText() {
        var seed: UInt64 = 0x5EED
        for length in [0, 7, 8, 9, 15, 16, 17, 63, 64, 65, 1000] {
            var bytes: [UInt8] = []
            for _ in 0..<length {
                seed = seed &* 6364136223846793005 &+ 1442695040888963407
                let r = UInt8(truncatingIfNeeded: seed >> 33)
                // Mostly ASCII runs, now and then a high byte.
                bytes.append(r % 11 == 0 ? 0x80 | r : 0x20 + r % 0x5F)
            }
            let latin1 = String(String.UnicodeScalarView(bytes.map { Unicode.Scalar($0) }))
            #expect(Charset.decode(bytes, charset: "iso-8859-1").0 == latin1)
            let latin9Changes: [UInt8: UInt32] = [0xA4: 0x20AC, 0xA6: 0x0160, 0xA8: 0x0161, 0xB4: 0x017D, 0xB8: 0x017E,
                                                 0xBC: 0x0152, 0xBD: 0x0153, 0xBE: 0x0178]
            let latin9 = bytes.map { Unicode.Scalar(latin9Changes[$0] ?? UInt32($0))! }
            #expect(Charset.decode(bytes, charset: "iso-8859-15").0 == String(String.UnicodeScalarView(latin9)))
            #expect(Charset.decode(bytes[...], charset: "windows-1252").0.unicodeScalars.count == length)
        }
    }

    @Test func unknownCharsetIsReportedNotFatal() {
        let m = MailMessage.parse(raw("Subject: x\nContent-Type: text/plain; charset=x-klingon\n\nqapla'\n"))
        #expect(m.body == "qapla'\n")
        #expect(m.diagnostics.map(\.code) == ["mail/unknown-charset"])
    }
}

struct MIMETests {
    @Test func multipartWithPatchAttachment() {
        let m = MailMessage.parse(raw("""
            Subject: [PATCH] x
            MIME-Version: 1.0
            Content-Type: multipart/mixed; boundary="XYZ"

            preamble
            --XYZ
            Content-Type: text/plain; charset=utf-8

            Please apply.
            --XYZ
            Content-Type: text/x-patch; name="0001-x.patch"
            Content-Transfer-Encoding: base64
            Content-Disposition: attachment; filename="0001-x.patch"

            ZGlmZiAtLWdpdCBhL2YgYi9mCg==
            --XYZ--
            epilogue
            """))
        #expect(m.parts.map(\.role) == [.text, .patchAttachment])
        #expect(m.parts[1].filename == "0001-x.patch")
        #expect(m.body == "Please apply.\ndiff --git a/f b/f\n")
        #expect(m.parts[0].fileLine == 9)
    }

    @Test func formatFlowedIsUndoneAndReported() {
        let m = MailMessage.parse(raw("Subject: x\nContent-Type: text/plain; format=flowed\n\nsoft \nbreak\n  stuffed context\n"))
        #expect(m.isFormatFlowed)
        #expect(m.body == "soft break\n stuffed context\n")
        #expect(m.diagnostics.contains { $0.code == "mail/format-flowed" })
    }

    @Test(arguments: [
        ("", false, ""),
        ("a\n", false, "a\n"),
        ("one \ntwo \nthree\n", false, "one two three\n"),
        ("one \ntwo\n", true, "onetwo\n"),
        ("sig\n-- \n name\n", false, "sig\n-- \nname\n"),
        ("ends soft \n", false, "ends soft "),
        ("ends soft ", true, "ends soft"),
        (" \nx\n", false, "\nx\n"),
        ("  \nx\n", false, " x\n"),
        ("tab\t\nspace \n\nafter\n", false, "tab\t\nspace after\n"),
        ("ünï \ncödé\n", false, "ünï cödé\n"),
    ])
    func formatFlowedRules(_ text: String, _ deleteSpace: Bool, _ expected: String) {
        #expect(FormatFlowed.unflow(text, deleteSpace: deleteSpace) == expected)
    }

    @Test func crlfTransportIsNormalised() {
        let m = MailMessage.parse(raw("Subject: x\r\nFrom: A <a@b>\r\n\r\nline one\r\nline two\r\n"))
        #expect(m.subject == "x")
        #expect(m.body == "line one\nline two\n")
    }

    @Test func deepNestingStopsWithADiagnostic() {
        var text = "Subject: deep\n"
        for level in 0..<100 {
            text += "Content-Type: multipart/mixed; boundary=\"b\(level)\"\n\n--b\(level)\n"
        }
        text += "Content-Type: text/plain\n\nleaf\n"
        let m = MailMessage.parse(raw(text))
        #expect(m.diagnostics.contains { $0.code == "mail/mime-too-deep" })
    }
}

struct InputClassificationTests {
    @Test func classifiesByContent() throws {
        #expect(try MailInput.classify(Array("From x Mon Sep 17 00:00:00 2001\n".utf8), path: "a") == .mbox)
        #expect(try MailInput.classify(Array("Subject: hi\n\nbody".utf8), path: "a") == .message)
        #expect(try MailInput.classify(Array("Hi all,\nThis is v3.2\n".utf8), path: "a") == .headerless)
    }

    @Test func refusesEmptyAndBinaryInputWithALocation() {
        #expect(throws: MailReadError.self) { try MailInput.classify([], path: "empty") }
        var garbage: [UInt8] = Array("line one\nline two\n".utf8)
        garbage += [0x00, 0x01, 0x02, 0xFF]
        do {
            _ = try MailInput.classify(garbage, path: "garbage.bin")
            Issue.record("binary input accepted")
        } catch {
            #expect(error.line == 3)
            #expect(error.description.hasPrefix("garbage.bin:3: binary data"))
        }
    }
}

/// Compressed input (lore's `t.mbox.gz`): read as what it holds, against what the real `gzip`
/// writes.
struct GzipInputTests {
    /// `gzip -c` of `bytes`.
    static func gzip(_ bytes: [UInt8]) throws -> [UInt8] {
        let gzip = try ProcessRunner.run(["gzip", "-c"], stdin: Data(bytes))
        try #require(gzip.status == 0, "\(gzip.stderr)")
        return [UInt8](gzip.stdout)
    }

    static let mbox = Array((1...40).map { k in
        "From x@y Mon Sep 17 00:00:00 2001\nSubject: [PATCH \(k)/40] m\(k)\n\nbody \(k) " + String(repeating: "text \(k) ", count: 200) + "\n>From escaped\n"
    }.joined().utf8)

    @Test(arguments: [1, 2, 7, 4096])
    func readsWhatGzipWrote(chunkSize: Int) throws {
        let compressed = try Self.gzip(Self.mbox)
        #expect(GzipStream.isGzip(compressed))
        let stream = GzipStream(bytes: compressed, chunkSize: chunkSize)
        #expect(stream.readAll() == Self.mbox)
        #expect(stream.error == nil)
        // Members one after another (`cat a.gz b.gz`), and zero padding after the last.
        let twice = GzipStream(bytes: compressed + (try Self.gzip(Array("tail\n".utf8))) + [0, 0, 0, 0], chunkSize: chunkSize)
        #expect(twice.readAll() == Self.mbox + Array("tail\n".utf8))
        #expect(twice.error == nil)
    }

    @Test func cutShortCorruptAndTrailingGarbageSaySo() throws {
        let compressed = try Self.gzip(Self.mbox)
        let cut = GzipStream(bytes: Array(compressed.prefix(compressed.count / 2)))
        let partial = cut.readAll()
        #expect(!partial.isEmpty && Self.mbox.starts(with: partial))
        #expect(cut.error == "the gzip data is cut short")
        var flipped = compressed
        flipped[40] ^= 0xFF
        let corrupt = GzipStream(bytes: flipped)
        _ = corrupt.readAll()
        #expect(corrupt.error?.hasPrefix("corrupt gzip data") == true, "\(String(describing: corrupt.error))")
        let garbage = GzipStream(bytes: compressed + Array("junk".utf8))
        #expect(garbage.readAll() == Self.mbox)
        #expect(garbage.error == "trailing garbage after the gzip data")
        #expect(!GzipStream.isGzip(Self.mbox))
    }

    /// A gzip bomb (one mail that inflates to more than memory holds) stops with a reason once
    /// it has inflated past any mail's ratio, not when memory runs out.
    @Test func aGzipBombStops() throws {
        let head = Array("From x@y Mon Sep 17 00:00:00 2001\nSubject: [PATCH] bomb\n\n".utf8)
        let bomb = try Self.gzip(head + [UInt8](repeating: 0x61, count: 200 << 20))
        #expect(bomb.count < 1 << 20)
        let stream = GzipStream(bytes: bomb)
        var total = 0
        var chunk = [UInt8](repeating: 0, count: 1 << 20)
        while true {
            let n = chunk.withUnsafeMutableBytes { stream.read(into: $0) }
            if n == 0 { break }
            total += n
        }
        #expect(total < 100 << 20, "read \(total) bytes")
        #expect(stream.error?.contains("gzip bomb") == true, "\(String(describing: stream.error))")
        // Ordinary mail text is far from the ratio.
        let text = GzipStream(bytes: try Self.gzip(Self.mbox))
        #expect(text.readAll() == Self.mbox && text.error == nil)
    }

    @Test func aCompressedMboxReadsAsThePlainOne() throws {
        let url = FileManager.default.temporaryDirectory.appendingPathComponent("t-\(UUID()).mbox.gz")
        try Data(try Self.gzip(Self.mbox)).write(to: url)
        defer { try? FileManager.default.removeItem(at: url) }
        let compressed = try MailInput(path: url.path)
        #expect(compressed.kind == .mbox)
        var fromGzip: [RawMessage] = []
        _ = compressed.forEachRawMessage { raw, _ in fromGzip.append(raw) }
        let plain = messages(inMbox: String(decoding: Self.mbox, as: UTF8.self))
        #expect(fromGzip.count == 40)
        #expect(fromGzip.map(\.bytes) == plain.map(\.bytes) && fromGzip.map(\.startLine) == plain.map(\.startLine))
        // In blocks, as `list` reads an archive on all cores.
        var blocks = try #require(try MailInput(path: url.path).mboxBlocks(blockSize: 1000))
        var fromBlocks: [[UInt8]] = []
        while let block = blocks.next() {
            var reader = MboxReader(path: url.path, block: block)
            while let raw = reader.next() { fromBlocks.append(raw.bytes) }
        }
        #expect(fromBlocks == plain.map(\.bytes))
        #expect(blocks.readError == nil)
    }
}
