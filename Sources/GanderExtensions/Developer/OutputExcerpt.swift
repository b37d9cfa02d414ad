import Foundation

/// Limits on how much of a long output reaches the model.
public struct OutputLimits: Sendable {
    public var maxLines: Int
    public var maxBytes: Int

    public init(maxLines: Int = 2000, maxBytes: Int = 100 * 1024) {
        self.maxLines = maxLines
        self.maxBytes = maxBytes
    }
}

/// The part of an output file the model sees: all of it when it fits, else its head and its tail with a note of what
/// was cut. Reads the file in blocks, so a huge output costs disk, not memory.
struct OutputExcerpt {
    let text: String
    let truncated: Bool

    init(file: URL, limits: OutputLimits) throws {
        let handle = try FileHandle(forReadingFrom: file)
        defer { try? handle.close() }
        let size = Int(try handle.seekToEnd())
        try handle.seek(toOffset: 0)

        if size <= limits.maxBytes {
            let data = try handle.readToEnd() ?? Data()
            if Self.lineCount(data) <= limits.maxLines {
                self.init(whole: data)
                return
            }
        }

        let totalLines = try Self.countLines(handle, size: size)
        try handle.seek(toOffset: 0)
        let headData = try handle.read(upToCount: limits.maxBytes / 2) ?? Data()
        let tailStart = max(0, size - limits.maxBytes / 2)
        try handle.seek(toOffset: UInt64(tailStart))
        let tailData = try handle.readToEnd() ?? Data()
        self.init(head: headData, tail: tailData, tailStart: tailStart, size: size, totalLines: totalLines, file: file,
                  limits: limits)
    }

    /// The excerpt of `data`, already in memory and saved whole at `file` (which the note names).
    init(data: Data, savedAt file: URL, limits: OutputLimits) {
        let totalLines = Self.lineCount(data)
        if data.count <= limits.maxBytes, totalLines <= limits.maxLines {
            self.init(whole: data)
            return
        }
        let tailStart = max(0, data.count - limits.maxBytes / 2)
        self.init(head: data.prefix(limits.maxBytes / 2), tail: data.suffix(from: data.startIndex + tailStart),
                  tailStart: tailStart, size: data.count, totalLines: totalLines, file: file, limits: limits)
    }

    private init(whole data: Data) {
        text = String(decoding: data, as: UTF8.self)
        truncated = false
    }

    private init(head headData: Data, tail tailData: Data, tailStart: Int, size: Int, totalLines: Int, file: URL,
                 limits: OutputLimits) {
        let lineBudget = limits.maxLines / 2
        let head = Self.firstLines(of: headData, count: lineBudget)
        let tail = Self.lastLines(of: tailData, count: lineBudget, startsMidLine: tailStart > 0)
        let keptBytes = head.bytes + tail.bytes
        let cutLines = max(0, totalLines - head.lines - tail.lines)
        let note = "[… \(cutLines) lines (\(Self.formatBytes(size - keptBytes))) cut; the whole output, "
            + "\(totalLines) lines and \(Self.formatBytes(size)), is in \(file.path) …]"
        text = head.text + (head.text.hasSuffix("\n") ? "" : "\n") + note + "\n" + tail.text
        truncated = true
    }

    /// Lines as an editor counts them: a last line without its newline counts too.
    static func lineCount(_ data: Data) -> Int {
        var count = 0
        data.withUnsafeBytes { raw in
            for byte in raw where byte == UInt8(ascii: "\n") { count += 1 }
        }
        return data.isEmpty || data.last == UInt8(ascii: "\n") ? count : count + 1
    }

    private static func countLines(_ handle: FileHandle, size: Int) throws -> Int {
        try handle.seek(toOffset: 0)
        var count = 0
        var lastByte: UInt8 = UInt8(ascii: "\n")
        while let block = try handle.read(upToCount: 1 << 20), !block.isEmpty {
            block.withUnsafeBytes { raw in
                for byte in raw where byte == UInt8(ascii: "\n") { count += 1 }
            }
            lastByte = block.last!
        }
        return lastByte == UInt8(ascii: "\n") || size == 0 ? count : count + 1
    }

    private static func firstLines(of data: Data, count: Int) -> (text: String, lines: Int, bytes: Int) {
        var end = data.startIndex
        var lines = 0
        while lines < count, let newline = data[end...].firstIndex(of: UInt8(ascii: "\n")) {
            end = data.index(after: newline)
            lines += 1
        }
        if lines == 0 { end = data.endIndex }  // one enormous line: keep what fits in the byte budget
        let kept = data[data.startIndex..<end]
        return (String(decoding: kept, as: UTF8.self), max(lines, 1), kept.count)
    }

    /// The last `count` lines, found by walking back from the end over the bytes: a tail of a hundred kilobytes is
    /// one string, not a string per line.
    private static func lastLines(of data: Data, count: Int, startsMidLine: Bool) -> (text: String, lines: Int, bytes: Int) {
        let body = data.last == UInt8(ascii: "\n") ? data.dropLast() : data[...]
        // When the tail starts mid-line its first piece is the end of a cut line, kept only when it is all there is.
        var first = body.startIndex
        if startsMidLine, let newline = body.firstIndex(of: UInt8(ascii: "\n")) { first = newline + 1 }
        var start = body.endIndex
        var end = body.endIndex
        var lines = 0
        while lines < count {
            lines += 1
            guard let newline = body[first..<end].lastIndex(of: UInt8(ascii: "\n")) else {
                start = first
                break
            }
            start = newline + 1
            end = newline
        }
        let kept = body[start...]
        return (String(decoding: kept, as: UTF8.self) + "\n", lines, lines == 0 ? 0 : kept.count + 1)
    }

    static func formatBytes(_ bytes: Int) -> String {
        if bytes < 1024 { return "\(bytes) bytes" }
        if bytes < 1024 * 1024 { return String(format: "%.1f KB", Double(bytes) / 1024) }
        return String(format: "%.1f MB", Double(bytes) / (1024 * 1024))
    }
}
