import CGanderSystem
import Foundation
import GanderCore
#if canImport(Glibc)
import Glibc
#endif

/// `developer__search`: find files by glob, or lines by regular expression, across the tree.
struct SearchTool: Sendable {
    static let defaultMaxResults = 200
    static let maxLineLength = 300

    static let spec = ToolSpec(
        name: "search",
        description: """
            Search the tree under `path` (default: the working directory), honouring .gitignore and skipping hidden \
            and binary files. mode "grep" (default): lines matching the regular expression `pattern`, as \
            path:line:text; narrow the files with `include` (a glob such as "*.swift"). mode "glob": file paths \
            matching `pattern` ("*.md" matches at any depth, "Sources/**/*.swift" from `path`). Results are capped \
            at `max_results` (default \(defaultMaxResults)) with a count of what was left out.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "pattern": ["type": "string", "description": "Regular expression (grep) or glob (glob)."],
                "mode": ["type": "string", "enum": ["grep", "glob"]],
                "path": ["type": "string", "description": "Directory to search; default the working directory."],
                "include": ["type": "string", "description": "grep only: search files whose name matches this glob."],
                "case_insensitive": ["type": "boolean"],
                "max_results": ["type": "integer", "minimum": 1],
            ],
            "required": ["pattern"],
            "additionalProperties": false,
        ],
        isReadOnly: true)

    func call(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        guard let pattern = arguments["pattern"]?.stringValue, !pattern.isEmpty else {
            return .error("`pattern` is empty; pass a regular expression (grep) or a glob (glob).")
        }
        let root = context.resolve(arguments["path"]?.stringValue ?? ".")
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: root.path, isDirectory: &isDirectory), isDirectory.boolValue else {
            return .error("\(root.path) is not a directory; pass a directory as `path`.")
        }
        let maxResults = arguments["max_results"]?.intValue ?? Self.defaultMaxResults
        let display = PathDisplay(workingDirectory: context.workingDirectory)
        if arguments["mode"]?.stringValue == "glob" {
            return glob(pattern, under: root, maxResults: maxResults, display: display)
        }
        let matcher: LineMatcher
        do {
            matcher = try LineMatcher(pattern: pattern, caseInsensitive: arguments["case_insensitive"]?.boolValue ?? false)
        } catch {
            return .error("\"\(pattern)\" is not a valid regular expression; escape special characters such as ( [ { . * + ? with a backslash.")
        }
        let include = arguments["include"]?.stringValue.map(GlobPattern.init)
        return grep(matcher, include: include, under: root, maxResults: maxResults, display: display)
    }

    private func glob(_ pattern: String, under root: URL, maxResults: Int, display: PathDisplay) -> ToolOutput {
        let glob = GlobPattern(pattern)
        let matchesName = !pattern.contains("/")
        let prefix = root.standardizedFileURL.path + "/"
        var found: [String] = []
        var leftOut = 0
        FileWalker(root: root).forEachFile { path in
            let subject = matchesName ? String(path[path.index(after: path.lastIndex(of: "/")!)...]) : String(path.dropFirst(prefix.count))
            if glob.matches(subject) {
                if found.count < maxResults { found.append(display.show(path)) } else { leftOut += 1 }
            }
            return true
        }
        if found.isEmpty { return .text("No files match \(pattern) under \(display.show(root.path)).") }
        var text = found.joined(separator: "\n")
        if leftOut > 0 { text += "\n[\(leftOut) more files match; narrow the pattern or raise max_results]" }
        return .text(text)
    }

    private func grep(_ matcher: LineMatcher, include: GlobPattern?, under root: URL, maxResults: Int,
                      display: PathDisplay) -> ToolOutput {
        var lines: [String] = []
        var leftOut = 0
        var filesMatched = 0
        FileWalker(root: root).forEachFile { path in
            if let include, !include.matches(String(path[path.index(after: path.lastIndex(of: "/")!)...])) { return true }
            guard let contents = SearchableFile(path: path) else { return true }
            var matchedHere = false
            matcher.forEachMatchingLine(in: contents.bytes) { number, line in
                matchedHere = true
                if lines.count < maxResults {
                    var text = String(decoding: line, as: UTF8.self)
                    if text.count > Self.maxLineLength { text = String(text.prefix(Self.maxLineLength)) + "…" }
                    lines.append("\(display.show(path)):\(number):\(text)")
                } else {
                    leftOut += 1
                }
            }
            if matchedHere { filesMatched += 1 }
            return true
        }
        if lines.isEmpty { return .text("No matches for \(matcher.pattern) under \(display.show(root.path)).") }
        var text = lines.joined(separator: "\n")
        if leftOut > 0 {
            text += "\n[\(leftOut) more matching lines not shown (\(filesMatched) files matched); narrow the pattern, "
                + "pass `include`, or raise max_results]"
        }
        return .text(text)
    }
}

/// Shows paths under the working directory relative to it, others in full.
struct PathDisplay {
    let prefix: String

    init(workingDirectory: URL) {
        prefix = workingDirectory.standardizedFileURL.path + "/"
    }

    func show(_ path: String) -> String {
        path.hasPrefix(prefix) ? String(path.dropFirst(prefix.count)) : path
    }
}

/// A file's bytes, or nil for files that are binary or cannot be read.
struct SearchableFile {
    let bytes: [UInt8]

    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        var buffer = [UInt8](repeating: 0, count: size)
        var filled = 0
        let ok = buffer.withUnsafeMutableBytes { raw -> Bool in
            while filled < size {
                let count = read(descriptor, raw.baseAddress! + filled, size - filled)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { return count == 0 }
                filled += count
            }
            return true
        }
        guard ok else { return nil }
        if filled < size { buffer.removeLast(size - filled) }
        // As git and ripgrep do: a NUL byte near the start marks a binary file.
        if buffer.prefix(8192).contains(0) { return nil }
        bytes = buffer
    }
}

/// Finds lines that match a pattern. A pattern with no special characters is searched for as plain bytes, which is
/// much faster than a regular expression and is what most searches are.
struct LineMatcher {
    let pattern: String
    private let literal: [UInt8]?
    private let regex: NSRegularExpression?

    init(pattern: String, caseInsensitive: Bool) throws {
        self.pattern = pattern
        let special = CharacterSet(charactersIn: "\\^$.|?*+()[]{}")
        if !caseInsensitive, pattern.unicodeScalars.allSatisfy({ !special.contains($0) }) {
            literal = Array(pattern.utf8)
            regex = nil
        } else {
            literal = nil
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive, .anchorsMatchLines] : [.anchorsMatchLines])
        }
    }

    /// Calls `found` with the 1-based number and bytes of each matching line.
    func forEachMatchingLine(in bytes: [UInt8], _ found: (Int, ArraySlice<UInt8>) -> Void) {
        if let literal {
            forEachLiteralMatch(literal, in: bytes, found)
        } else if let regex {
            let text = String(decoding: bytes, as: UTF8.self)
            guard regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) != nil else { return }
            var number = 0
            for line in bytes.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                number += 1
                let lineText = String(decoding: line, as: UTF8.self)
                if regex.firstMatch(in: lineText, range: NSRange(lineText.startIndex..., in: lineText)) != nil {
                    found(number, line)
                }
            }
        }
    }

    private func forEachLiteralMatch(_ needle: [UInt8], in bytes: [UInt8], _ found: (Int, ArraySlice<UInt8>) -> Void) {
        bytes.withUnsafeBytes { haystack in
            needle.withUnsafeBytes { needleBytes in
                guard let base = haystack.baseAddress, !needle.isEmpty else { return }
                var position = 0
                var line = 1
                var countedUpTo = 0
                while position < haystack.count,
                      let hit = gander_memmem(base + position, haystack.count - position, needleBytes.baseAddress!, needle.count) {
                    let offset = base.distance(to: UnsafeRawPointer(hit))
                    let lineStart = (bytes[..<offset].lastIndex(of: UInt8(ascii: "\n")).map { $0 + 1 }) ?? 0
                    let lineEnd = bytes[offset...].firstIndex(of: UInt8(ascii: "\n")) ?? bytes.count
                    for index in countedUpTo..<lineStart where bytes[index] == UInt8(ascii: "\n") { line += 1 }
                    countedUpTo = lineStart
                    found(line, bytes[lineStart..<lineEnd])
                    position = lineEnd + 1
                }
            }
        }
    }
}
