/// A file's contents as lines of bytes (without their `\n`), the form hunks apply to.
struct FileText: Equatable, Sendable {
    var lines: [[UInt8]]
    /// The last line has no `\n` ("\ No newline at end of file").
    var missingFinalNewline: Bool

    init(lines: [[UInt8]], missingFinalNewline: Bool = false) {
        self.lines = lines
        self.missingFinalNewline = missingFinalNewline && !lines.isEmpty
    }

    init(_ bytes: [UInt8]) {
        var lines: [[UInt8]] = []
        lines.reserveCapacity(bytes.count / 32)
        var start = 0
        bytes.withUnsafeBufferPointer { buffer in
            var i = 0
            while i < buffer.count {
                if buffer[i] == 0x0A {
                    lines.append(Array(buffer[start..<i]))
                    start = i + 1
                }
                i += 1
            }
            if start < buffer.count { lines.append(Array(buffer[start..<buffer.count])) }
        }
        self.lines = lines
        self.missingFinalNewline = !bytes.isEmpty && bytes.last != 0x0A
    }

    var bytes: [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(lines.reduce(0) { $0 + $1.count + 1 })
        for (k, line) in lines.enumerated() {
            out.append(contentsOf: line)
            if k < lines.count - 1 || !missingFinalNewline { out.append(0x0A) }
        }
        return out
    }
}

/// Whitespace-insensitive comparison keys: a line with every space, tab, carriage return,
/// form feed and non-breaking space removed. Mailers change exactly those.
enum LineKey {
    static func of(_ line: [UInt8]) -> [UInt8] {
        var out: [UInt8] = []
        out.reserveCapacity(line.count)
        var i = 0
        while i < line.count {
            let c = line[i]
            if c == 0x20 || c == 0x09 || c == 0x0D || c == 0x0B || c == 0x0C {
                i += 1
                continue
            }
            if c == 0xC2, i + 1 < line.count, line[i + 1] == 0xA0 {
                i += 2
                continue
            }
            out.append(c)
            i += 1
        }
        return out
    }

    static func isBlank(_ line: [UInt8]) -> Bool {
        of(line).isEmpty
    }
}

extension Array where Element == UInt8 {
    /// The visual column after these bytes, tabs every 8 columns.
    var visualWidth: Int {
        var column = 0
        for c in self {
            column = c == 0x09 ? (column / 8 + 1) * 8 : column + 1
        }
        return column
    }

    var leadingWhitespace: ArraySlice<UInt8> {
        var end = 0
        while end < count, self[end] == 0x20 || self[end] == 0x09 { end += 1 }
        return self[0..<end]
    }

    var withoutLeadingWhitespace: [UInt8] {
        Array(self[leadingWhitespace.count...])
    }

    var withoutTrailingWhitespace: [UInt8] {
        var end = count
        while end > 0, self[end - 1] == 0x20 || self[end - 1] == 0x09 || self[end - 1] == 0x0D { end -= 1 }
        return Array(self[0..<end])
    }

    var text: String { String(decoding: self, as: UTF8.self) }
}

/// Kernel-style indentation to a visual column: tabs, then spaces.
func indentation(toColumn column: Int) -> [UInt8] {
    [UInt8](repeating: 0x09, count: max(0, column) / 8) + [UInt8](repeating: 0x20, count: max(0, column) % 8)
}
