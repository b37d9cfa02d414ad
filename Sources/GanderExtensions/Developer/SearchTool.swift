import CGanderSystem
import Foundation
import GanderCore
import Synchronization
#if canImport(Glibc)
import Glibc
#endif

/// `developer__search`: find files by glob, or lines by regular expression, across the tree.
struct SearchTool: Sendable {
    static let defaultMaxResults = 200
    /// Files the search never opens or names.
    var protected: ProtectedFiles = .none
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
        if let refusal = protected.refusal(for: root) { return .error(refusal) }
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
        let protectedCount = FileWalker(root: root, protected: protected).forEachFile { path in
            let subject = matchesName ? String(path[path.index(after: path.lastIndex(of: "/")!)...]) : String(path.dropFirst(prefix.count))
            if glob.matches(subject) {
                if found.count < maxResults { found.append(display.show(path)) } else { leftOut += 1 }
            }
            return true
        }
        if found.isEmpty {
            return .text("No files match \(pattern) under \(display.show(root.path))." + Self.protectedNote(protectedCount))
        }
        var text = found.joined(separator: "\n")
        if leftOut > 0 { text += "\n[\(leftOut) more files match; narrow the pattern or raise max_results]" }
        return .text(text + Self.protectedNote(protectedCount))
    }

    private func grep(_ matcher: LineMatcher, include: GlobPattern?, under root: URL, maxResults: Int,
                      display: PathDisplay) -> ToolOutput {
        var paths: [String] = []
        let protectedCount = FileWalker(root: root, protected: protected).forEachFile { path in
            if let include, !include.matches(String(path[path.index(after: path.lastIndex(of: "/")!)...])) { return true }
            paths.append(path)
            return true
        }
        let found = Self.search(paths, with: matcher, keepingPerFile: maxResults)

        var lines: [String] = []
        var sources: [FileSpan] = []
        var filesMatched = 0
        for (path, matches) in zip(paths, found) where matches.total > 0 {
            filesMatched += 1
            let physical = WorkspaceBoundary.physicalPath(of: path)
            for ((number, text), span) in zip(matches.kept, matches.spans) where lines.count < maxResults {
                lines.append("\(display.show(path)):\(number):\(text)")
                sources.append(FileSpan(path: physical, start: span.lowerBound, end: span.upperBound))
            }
        }
        let leftOut = found.reduce(0) { $0 + $1.total } - lines.count
        if lines.isEmpty {
            return .text("No matches for \(matcher.pattern) under \(display.show(root.path))." + Self.protectedNote(protectedCount))
        }
        var text = lines.joined(separator: "\n")
        if leftOut > 0 {
            text += "\n[\(leftOut) more matching lines not shown (\(filesMatched) files matched); narrow the pattern, "
                + "pass `include`, or raise max_results]"
        }
        return ToolOutput(content: [.text(text + Self.protectedNote(protectedCount))], sources: sources)
    }

    /// Tells the model that protected files were left out, and why, so it does not go looking for them.
    static func protectedNote(_ count: Int) -> String {
        count == 0 ? "" : "\n[\(count) protected \(count == 1 ? "entry was" : "entries were") left out: .ganderignore or "
            + "Gander's defaults keep secrets such as .env files and keys out of reach]"
    }

    /// What one file held: its first matching lines and how many matched in all.
    struct FileMatches: Sendable {
        var kept: [(Int, String)] = []
        /// Where each kept line is in the file, by byte offsets, for the ledger.
        var spans: [Range<Int>] = []
        var total = 0
    }

    /// Searches the files on every core, each worker taking the next file as it finishes one, so a few large files
    /// do not hold up the rest. Results come back in the order of `paths`.
    static func search(_ paths: [String], with matcher: LineMatcher, keepingPerFile limit: Int) -> [FileMatches] {
        let results = UnsafeMutableBufferPointer<FileMatches>.allocate(capacity: paths.count)
        results.initialize(repeating: FileMatches())
        defer { results.deallocate() }
        let next = Atomic<Int>(0)
        let slots = SendableSlots(results)
        let workers = min(max(1, ProcessInfo.processInfo.activeProcessorCount), 8, max(1, paths.count))
        DispatchQueue.concurrentPerform(iterations: workers) { _ in
            while true {
                let index = next.wrappingAdd(1, ordering: .relaxed).oldValue
                guard index < paths.count else { return }
                guard let contents = SearchableFile(path: paths[index]) else { continue }
                var matches = FileMatches()
                matcher.forEachMatchingLine(in: contents.bytes) { number, line in
                    matches.total += 1
                    guard matches.kept.count < limit else { return }
                    var text = String(decoding: line, as: UTF8.self)
                    if text.count > maxLineLength { text = String(text.prefix(maxLineLength)) + "…" }
                    matches.kept.append((number, text))
                    matches.spans.append(line.startIndex..<line.endIndex)
                }
                // Each index is written by exactly one worker.
                slots.buffer[index] = matches
            }
        }
        return Array(results)
    }
}

/// The runs of plain text a regular expression cannot match without: characters outside groups, classes and
/// alternations that no quantifier makes optional. Conservative: a pattern it cannot reason about yields none —
/// one with inline flags (`(?i)`, `(?x)`, `(?i:…)`, which change what its text means), quoted text (`\Q…\E`), or
/// an escape that names a character by number or property (`\x41`, `\u00e9`, `\0101`, `\p{L}`, `\k<name>`).
enum RequiredText {
    /// Escapes of one letter that stand for a class, an anchor or one control character, and take nothing after them.
    private static let selfContainedEscapes: Set<Character> = ["b", "B", "d", "D", "w", "W", "s", "S", "h", "H", "v", "V",
                                                                 "R", "X", "A", "z", "Z", "G", "n", "t", "r", "f", "e", "a"]

    static func of(_ pattern: String) -> [String] {
        var runs: [String] = []
        var current = ""
        var depth = 0
        var characters = Array(pattern)[...]
        func flush() {
            if current.count >= 2 { runs.append(current) }
            current = ""
        }
        while let character = characters.popFirst() {
            switch character {
            case "\\":
                guard let escaped = characters.popFirst() else { return [] }
                if !escaped.isLetter, !escaped.isNumber {
                    // An escaped punctuation mark is itself.
                    if depth == 0 { current.append(escaped) } else { flush() }
                } else if selfContainedEscapes.contains(escaped) || (escaped.isNumber && escaped != "0") {
                    // A class, an anchor, a control character or a back-reference: not plain text.
                    flush()
                } else {
                    return []
                }
            case "[":
                flush()
                // Skips the class, whose first `]` and escaped characters are part of it.
                if characters.first == "^" { characters.removeFirst() }
                if characters.first == "]" { characters.removeFirst() }
                while let inside = characters.popFirst(), inside != "]" {
                    if inside == "\\" { _ = characters.popFirst() }
                }
            case "(":
                flush()
                if characters.first == "?" {
                    // Groups that only group or look around are fine; anything else after `(?` sets flags or comments.
                    let kind = characters.dropFirst().prefix(2)
                    let known = kind.first == ":" || kind.first == "=" || kind.first == "!" || kind.first == ">"
                        || kind.elementsEqual("<=") || kind.elementsEqual("<!")
                        || (kind.first == "<" && kind.dropFirst().first?.isLetter == true)
                    if !known { return [] }
                }
                depth += 1
            case ")":
                flush()
                depth -= 1
            case "|":
                // An alternation at the top makes every run optional.
                if depth == 0 { return [] }
                flush()
            case "*", "?", "{":
                // The quantifier applies to the character before it, which is then not required.
                if !current.isEmpty { current.removeLast() }
                flush()
                if character == "{" { while let inside = characters.popFirst(), inside != "}" {} }
            case "+", ".", "^", "$":
                flush()
            default:
                if depth == 0 { current.append(character) } else { flush() }
            }
        }
        flush()
        return runs.sorted { $0.utf8.count > $1.utf8.count }
    }
}

/// Lets concurrent workers write distinct elements of one buffer.
private struct SendableSlots: @unchecked Sendable {
    let buffer: UnsafeMutableBufferPointer<SearchTool.FileMatches>

    init(_ buffer: UnsafeMutableBufferPointer<SearchTool.FileMatches>) {
        self.buffer = buffer
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
    /// As git and ripgrep do: a NUL byte in the first this many bytes marks a binary file.
    static let sniffLength = 8192

    let bytes: [UInt8]

    init?(path: String) {
        let descriptor = open(path, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else { return nil }
        defer { close(descriptor) }
        var info = stat()
        guard fstat(descriptor, &info) == 0 else { return nil }
        let size = Int(info.st_size)
        var buffer = [UInt8](repeating: 0, count: min(size, Self.sniffLength))
        // The head first: a binary file (most of the bytes of a typical tree) is refused after one small read.
        guard let head = Self.fill(&buffer, from: descriptor, start: 0), !buffer[..<head].contains(0) else { return nil }
        guard head == buffer.count, size > buffer.count else {
            bytes = Array(buffer[..<head])
            return
        }
        buffer.append(contentsOf: repeatElement(0, count: size - buffer.count))
        guard let filled = Self.fill(&buffer, from: descriptor, start: head) else { return nil }
        if filled < size { buffer.removeLast(size - filled) }
        bytes = buffer
    }

    /// Reads into `buffer` from `start` until it is full or the file ends; the bytes filled, or nil on an error.
    private static func fill(_ buffer: inout [UInt8], from descriptor: Int32, start: Int) -> Int? {
        var filled = start
        let ok = buffer.withUnsafeMutableBytes { raw -> Bool in
            while filled < raw.count {
                let count = read(descriptor, raw.baseAddress! + filled, raw.count - filled)
                if count < 0, errno == EINTR { continue }
                if count <= 0 { return count == 0 }
                filled += count
            }
            return true
        }
        return ok ? filled : nil
    }
}

/// Finds lines that match a pattern. A pattern with no special characters is searched for as plain bytes, which is
/// much faster than a regular expression and is what most searches are.
struct LineMatcher {
    let pattern: String
    private let literal: [UInt8]?
    private let regex: NSRegularExpression?
    /// Plain text every match of `regex` must contain, longest first: only lines holding all of it reach the
    /// regular expression, as in ripgrep, because running it over every line costs far more than finding them.
    private let required: [[UInt8]]

    init(pattern: String, caseInsensitive: Bool) throws {
        self.pattern = pattern
        let special = CharacterSet(charactersIn: "\\^$.|?*+()[]{}")
        if !caseInsensitive, pattern.unicodeScalars.allSatisfy({ !special.contains($0) }) {
            literal = Array(pattern.utf8)
            regex = nil
            required = []
        } else {
            literal = nil
            regex = try NSRegularExpression(pattern: pattern, options: caseInsensitive ? [.caseInsensitive, .anchorsMatchLines] : [.anchorsMatchLines])
            required = caseInsensitive ? [] : RequiredText.of(pattern).map { Array($0.utf8) }
        }
    }

    /// Calls `found` with the 1-based number and bytes of each matching line.
    func forEachMatchingLine(in bytes: [UInt8], _ found: (Int, ArraySlice<UInt8>) -> Void) {
        if let literal {
            forEachLiteralMatch(literal, in: bytes, found)
        } else if let regex, let first = required.first {
            forEachLiteralMatch(first, in: bytes) { number, line in
                let holdsTheRest = required.dropFirst().allSatisfy { needle in
                    line.withUnsafeBytes { raw in
                        needle.withUnsafeBytes { gander_memmem(raw.baseAddress, raw.count, $0.baseAddress!, needle.count) != nil }
                    }
                }
                guard holdsTheRest else { return }
                let lineText = String(decoding: line, as: UTF8.self)
                if regex.firstMatch(in: lineText, range: NSRange(lineText.startIndex..., in: lineText)) != nil {
                    found(number, line)
                }
            }
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
