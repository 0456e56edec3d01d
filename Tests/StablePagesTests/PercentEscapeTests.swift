import Testing
import Support

/// The caches' `%XX` escaping: what is written reads back, whatever the text; a damaged escape
/// is refused, or kept as written where a file always read it so.
struct PercentEscapeTests {
    @Test func everyByteReadsBack() {
        let special = { (b: UInt8) in b < 0x21 || b == 0x25 || b == 0x2C || b == 0x7E }
        let texts = ["", "plain", "a,b", "%", "%%41", "tab\there", "new\nline", "ü, ~x~", String(decoding: (0...0x7F).map { UInt8($0) }, as: UTF8.self)]
        for text in texts {
            let escaped = PercentEscape.escaped(text, escaping: special)
            #expect(!escaped.utf8.contains { special($0) && $0 != 0x25 }, "\(text)")
            #expect(PercentEscape.unescaped(escaped) == text, "\(text)")
            var appended: [UInt8] = []
            PercentEscape.append(text, to: &appended, escaping: special)
            #expect(String(decoding: appended, as: UTF8.self) == escaped)
        }
        #expect(PercentEscape.escaped("a,b%", escaping: special) == "a%2Cb%25")
    }

    @Test func aDamagedEscapeIsRefusedOrKept() {
        for damaged in ["%", "%4", "%G1", "a%+F", "%-1"] {
            #expect(PercentEscape.unescaped(damaged) == nil, "\(damaged)")
            #expect(PercentEscape.unescaped(damaged, lenient: true) == damaged, "\(damaged)")
        }
        #expect(PercentEscape.unescaped("%4a%4A") == "JJ")
    }
}
