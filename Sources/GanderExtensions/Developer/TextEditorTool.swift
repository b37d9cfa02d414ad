import Foundation
import GanderCore

/// `developer__text_editor`: view, create and edit files, with several levels of undo per file.
struct TextEditorTool: Sendable {
    let limits: OutputLimits
    /// Files the editor neither shows nor changes.
    var protected: ProtectedFiles = .none
    let history = EditHistory()

    static let spec = ToolSpec(
        name: "text_editor",
        description: """
            View and edit files. Commands:
            - view: show a file with line numbers (optionally `view_range` [start, end], end -1 for the end of the \
            file; long files are shown a page at a time), or list a directory two levels deep.
            - create: write `file_text` to `path`, creating parent directories; an existing file is replaced.
            - str_replace: replace `old_str` with `new_str` (empty to delete). `old_str` must match exactly once, \
            whitespace included; add surrounding lines to make it unique.
            - insert: insert `new_str` after line `insert_line` (0 inserts at the top).
            - undo_edit: revert the last edit of `path`; repeat to go further back.
            Paths may be relative to the working directory or absolute.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "command": ["type": "string", "enum": ["view", "create", "str_replace", "insert", "undo_edit"]],
                "path": ["type": "string", "description": "File or directory path."],
                "file_text": ["type": "string", "description": "Contents for `create`."],
                "old_str": ["type": "string", "description": "Text to replace for `str_replace`; must occur once."],
                "new_str": ["type": "string", "description": "Replacement for `str_replace`, or text for `insert`."],
                "insert_line": ["type": "integer", "minimum": 0, "description": "Line after which `insert` adds text."],
                "view_range": ["type": "array", "items": ["type": "integer"],
                               "description": "[start, end] lines for `view`, 1-based; end -1 means the last line."],
            ],
            "required": ["command", "path"],
            "additionalProperties": false,
        ])

    func call(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        guard let command = arguments["command"]?.stringValue, let path = arguments["path"]?.stringValue,
              !path.isEmpty
        else { return .error("Pass `command` and a non-empty `path`.") }
        let url = context.resolve(path)
        if let refusal = protected.refusal(for: url) { return .error(refusal) }
        let files = FileAccess(documents: context.documents)
        do {
            switch command {
            case "view": return try await view(url, range: arguments["view_range"], files: files)
            case "create":
                guard let text = arguments["file_text"]?.stringValue else {
                    return .error("`create` needs `file_text`, the whole contents of the new file.")
                }
                return .text(try await create(url, text: text, files: files))
            case "str_replace":
                guard let old = arguments["old_str"]?.stringValue, !old.isEmpty else {
                    return .error("`str_replace` needs a non-empty `old_str` copied exactly from the file.")
                }
                return .text(try await replace(url, old: old, new: arguments["new_str"]?.stringValue ?? "", files: files))
            case "insert":
                guard let line = arguments["insert_line"]?.intValue else {
                    return .error("`insert` needs `insert_line`, the line after which to insert (0 for the top).")
                }
                guard let text = arguments["new_str"]?.stringValue else { return .error("`insert` needs `new_str`.") }
                return .text(try await insert(url, after: line, text: text, files: files))
            case "undo_edit": return .text(try await undo(url, files: files))
            default:
                return .error("Unknown command \"\(command)\"; use view, create, str_replace, insert or undo_edit.")
            }
        } catch let error as EditorError {
            return .error(error.description)
        } catch {
            return .error("\(path): \(error.localizedDescription)")
        }
    }

    /// Edits of one file run one after another; edits of different files may overlap.
    func serializationKey(_ arguments: [String: JSONValue], context: ToolContext) -> String? {
        arguments["path"]?.stringValue.map { context.resolve($0).resolvingSymlinksInPath().path }
    }

    // MARK: view

    /// The lines shown, with the stretch of the file they came from for the ledger.
    private func view(_ url: URL, range: JSONValue?, files: FileAccess) async throws -> ToolOutput {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw EditorError.notFound(url.path)
        }
        if isDirectory.boolValue { return .text(try DirectoryListing(root: url, protected: protected).render()) }
        if DocumentText.isPDF(url) { return await DocumentText.pdf(url, limits: limits) }
        if let kind = OfficeDocument.kind(of: url) { return OfficeDocument.text(of: url, kind: kind, limits: limits) }
        if let image = (try? Data(contentsOf: url, options: .mappedIfSafe)).flatMap(ImageFile.init(data:)) {
            let span = FileSpan(path: WorkspaceBoundary.physicalPath(of: url.path), start: 0, end: image.data.count)
            return await image.output(describing: url.path, sources: [span])
        }

        let file = try await files.load(url)
        let lines = file.lines
        var start = 1
        var end = lines.count
        if let range {
            guard let bounds = range.arrayValue?.compactMap(\.intValue), bounds.count == 2 else {
                throw EditorError.badRange("`view_range` must be two integers, [start, end]")
            }
            start = bounds[0]
            end = bounds[1] == -1 ? lines.count : bounds[1]
            guard start >= 1, start <= max(lines.count, 1) else {
                throw EditorError.badRange("start line \(start) is outside the file, which has \(lines.count) lines")
            }
            guard end >= start else {
                throw EditorError.badRange("end line \(bounds[1]) is before start line \(start); use -1 for the end")
            }
            end = min(end, lines.count)
        }
        if lines.isEmpty { return .text("\(url.path) is empty.") }

        // Page long files so one view never floods the model's context.
        var shown: [String] = []
        var bytes = 0
        var line = start
        while line <= end, shown.count < limits.maxLines, bytes < limits.maxBytes {
            let numbered = Self.numbered(lines[line - 1], line: line)
            bytes += numbered.utf8.count + 1
            shown.append(numbered)
            line += 1
        }
        var text = shown.joined(separator: "\n")
        if line <= end {
            text += "\n[showing lines \(start)–\(line - 1) of \(lines.count); view_range [\(line), \(end)] shows more]"
        }
        let ending = file.lineEnding.utf8.count
        let offset = { (lineIndex: Int) in lines[..<lineIndex].reduce(0) { $0 + $1.utf8.count + ending } }
        let span = FileSpan(path: WorkspaceBoundary.physicalPath(of: url.path), start: offset(start - 1),
                            end: min(file.data.count, offset(line - 1)))
        return ToolOutput(content: [.text(text)], sources: [span])
    }

    /// The same text, a final newline aside.
    static func sameText(_ a: String, _ b: String) -> Bool {
        func trimmed(_ text: String) -> Substring {
            var text = Substring(text)
            while text.last == "\n" || text.last == "\r\n" { text = text.dropLast() }
            return text
        }
        return trimmed(a) == trimmed(b)
    }

    static func numbered(_ text: String, line: Int) -> String {
        let number = String(line)
        return String(repeating: " ", count: max(0, 6 - number.count)) + number + "\t" + text
    }

    // MARK: edits

    private func create(_ url: URL, text: String, files: FileAccess) async throws -> String {
        var isDirectory: ObjCBool = false
        let exists = FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory)
        if isDirectory.boolValue { throw EditorError.isDirectory(url.path) }
        let previous = exists ? try await files.previousContents(of: url) : nil
        // Writing a file back as it was is no edit: the model is told so rather than told it replaced the file.
        if let previous, Self.sameText(String(decoding: previous, as: UTF8.self), text) { throw EditorError.unchanged(url.path) }
        try await files.write(Data(text.utf8), to: url)
        await history.record(previous, for: key(url))
        let lineCount = text.isEmpty ? 0 : text.split(separator: "\n", omittingEmptySubsequences: false).count
            - (text.hasSuffix("\n") ? 1 : 0)
        return "\(exists ? "Replaced" : "Created") \(url.path) (\(lineCount) lines)."
    }

    private func replace(_ url: URL, old: String, new: String, files: FileAccess) async throws -> String {
        let file = try await files.load(url)
        let old = file.adoptingLineEnding(old)
        let new = file.adoptingLineEnding(new)
        let occurrences = file.text.ranges(of: old)
        guard let match = occurrences.first else { throw EditorError.noMatch(url.path) }
        guard old != new else { throw EditorError.unchanged(url.path) }
        guard occurrences.count == 1 else {
            let lines = occurrences.map { file.lineNumber(at: $0.lowerBound) }
            throw EditorError.multipleMatches(url.path, lines: lines)
        }
        let firstLine = file.lineNumber(at: match.lowerBound)
        var updated = file.text
        updated.replaceSubrange(match, with: new)
        try await commit(updated, replacing: file, files: files)
        let newLines = new.split(separator: "\n", omittingEmptySubsequences: false).count
        return "Edited \(url.path).\n" + (try snippet(updated, of: url, around: firstLine, count: newLines))
    }

    private func insert(_ url: URL, after line: Int, text: String, files: FileAccess) async throws -> String {
        let file = try await files.load(url)
        let lineCount = file.lines.count
        guard (0...lineCount).contains(line) else {
            throw EditorError.badRange("insert_line \(line) is outside the file; use 0 to \(lineCount)")
        }
        var inserted = file.adoptingLineEnding(text)
        if !inserted.hasSuffix(file.lineEnding) { inserted += file.lineEnding }
        let offset = file.offset(ofLine: line + 1)
        var updated = file.text
        if line == lineCount, !updated.isEmpty, !updated.hasSuffix(file.lineEnding) {
            updated += file.lineEnding
        }
        let index = line == lineCount ? updated.endIndex : offset
        updated.insert(contentsOf: inserted, at: index)
        try await commit(updated, replacing: file, files: files)
        let insertedLines = inserted.split(separator: "\n", omittingEmptySubsequences: true).count
        return "Inserted \(insertedLines) lines after line \(line) of \(url.path).\n"
            + (try snippet(updated, of: url, around: line + 1, count: insertedLines))
    }

    private func undo(_ url: URL, files: FileAccess) async throws -> String {
        guard let previous = await history.popLatest(for: key(url)) else { throw EditorError.nothingToUndo(url.path) }
        if let previous {
            try await files.write(previous, to: url)
        } else {
            try FileManager.default.removeItem(at: url)
        }
        let left = await history.remaining(for: key(url))
        let what = previous == nil ? "removed \(url.path), which the undone edit had created" : "restored \(url.path)"
        return "Undid the last edit: \(what). \(left) earlier edit\(left == 1 ? "" : "s") can still be undone."
    }

    private func commit(_ text: String, replacing file: TextFile, files: FileAccess) async throws {
        try await files.write(Data(text.utf8), to: file.url)
        await history.record(file.data, for: key(file.url))
    }

    private func key(_ url: URL) -> String { url.resolvingSymlinksInPath().path }

    /// A few numbered lines of the edited `text` around the edit, so the model can check it without another view.
    private func snippet(_ text: String, of url: URL, around line: Int, count: Int) throws -> String {
        let lines = try TextFile(url: url, data: Data(text.utf8)).lines
        let first = max(1, line - 3)
        let last = min(lines.count, line + count + 2)
        guard first <= last else { return "" }
        return (first...last).map { Self.numbered(lines[$0 - 1], line: $0) }.joined(separator: "\n")
    }
}

/// How the editor reaches files: the disk, written atomically, or the client's documents where a client holds them.
struct FileAccess: Sendable {
    let documents: (any TextDocuments)?

    func load(_ url: URL) async throws -> TextFile {
        guard let documents else { return try TextFile(url: url) }
        try TextFile.checkReadable(url)
        let text: String?
        do {
            text = try await documents.read(url)
        } catch {
            throw EditorError.clientFailed(url.path, String(describing: error))
        }
        guard let text else { return try TextFile(url: url) }
        return try TextFile(url: url, data: Data(text.utf8))
    }

    /// What the file holds before `create` replaces it, for undo: the client's text, or the bytes on disk when the
    /// client has no text of it (a binary file is put back byte for byte).
    func previousContents(of url: URL) async throws -> Data {
        if documents != nil, let file = try? await load(url) { return file.data }
        return try Data(contentsOf: url)
    }

    func write(_ data: Data, to url: URL) async throws {
        if let documents, let text = String(bytes: data, encoding: .utf8) {
            do {
                if try await documents.write(text, to: url) { return }
            } catch {
                throw EditorError.clientFailed(url.path, String(describing: error))
            }
        }
        try AtomicFileWriter.write(data, to: url)
    }
}

/// A text file read for editing, with its line ending remembered so edits keep it.
struct TextFile {
    let url: URL
    let data: Data
    let text: String
    /// `\r\n` when every line ends so; `\n` otherwise.
    let lineEnding: String

    /// The file as it is on disk.
    init(url: URL) throws {
        try Self.checkReadable(url)
        try self.init(url: url, data: try Data(contentsOf: url))
    }

    /// A file that is there and readable: what the editor may read, from the disk or from a client's buffer.
    static func checkReadable(_ url: URL) throws {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory) else {
            throw EditorError.notFound(url.path)
        }
        if isDirectory.boolValue { throw EditorError.isDirectory(url.path) }
        guard FileManager.default.isReadableFile(atPath: url.path) else { throw EditorError.unreadable(url.path) }
    }

    /// The file's `data`, read already, checked to be text.
    init(url: URL, data: Data) throws {
        if data.prefix(8192).contains(0) { throw EditorError.binary(url.path, bytes: data.count) }
        guard let text = String(validatingUTF8Data: data) else { throw EditorError.binary(url.path, bytes: data.count) }
        self.url = url
        self.data = data
        self.text = text
        let newlines = data.reduce(0) { $0 + ($1 == UInt8(ascii: "\n") ? 1 : 0) }
        let crlf = text.utf8.count - text.replacingOccurrences(of: "\r\n", with: "\n").utf8.count
        lineEnding = newlines > 0 && crlf == newlines ? "\r\n" : "\n"
    }

    /// The file's lines without their endings.
    var lines: [String] {
        var parts = text.components(separatedBy: lineEnding)
        if parts.last == "" { parts.removeLast() }
        return parts
    }

    /// Text from the model, which writes `\n`, in the file's own line ending.
    func adoptingLineEnding(_ fragment: String) -> String {
        guard lineEnding == "\r\n" else { return fragment }
        return fragment.replacingOccurrences(of: "\r\n", with: "\n").replacingOccurrences(of: "\n", with: "\r\n")
    }

    /// The 1-based line holding `index`.
    func lineNumber(at index: String.Index) -> Int {
        text[..<index].reduce(1) { $0 + ($1 == "\n" || $1 == "\r\n" ? 1 : 0) }
    }

    /// Where line `number` (1-based) starts; the end of the text past the last line.
    func offset(ofLine number: Int) -> String.Index {
        var line = 1
        var index = text.startIndex
        while line < number, let newline = text[index...].firstIndex(where: { $0 == "\n" || $0 == "\r\n" }) {
            index = text.index(after: newline)
            line += 1
        }
        return line == number ? index : text.endIndex
    }
}

extension String {
    /// Decodes UTF-8, or nil when the bytes are not valid UTF-8.
    init?(validatingUTF8Data data: Data) {
        guard let text = String(bytes: data, encoding: .utf8) else { return nil }
        self = text
    }
}

/// Why an edit could not be made, in words that tell the model what to do instead.
enum EditorError: Error, CustomStringConvertible {
    case notFound(String)
    case isDirectory(String)
    case unreadable(String)
    case binary(String, bytes: Int)
    case noMatch(String)
    case multipleMatches(String, lines: [Int])
    case badRange(String)
    case nothingToUndo(String)
    case cannotWrite(String, String)
    case unchanged(String)
    case clientFailed(String, String)

    var description: String {
        switch self {
        case .notFound(let path): "\(path) does not exist. Check the path, or use `create` to make a new file."
        case .isDirectory(let path): "\(path) is a directory; give a file path, or `view` it to list its contents."
        case .unreadable(let path): "\(path) cannot be read: permission denied."
        case .binary(let path, let bytes):
            "\(path) is a binary file (\(bytes) bytes) and is not shown; inspect it with shell tools such as `file` or `xxd`."
        case .noMatch(let path):
            "old_str was not found in \(path). It must match exactly, whitespace and indentation included; view the file and copy the text."
        case .multipleMatches(let path, let lines):
            "old_str occurs \(lines.count) times in \(path), on lines \(lines.map(String.init).joined(separator: ", ")); include more surrounding lines so it matches exactly once."
        case .badRange(let detail): "Invalid range: \(detail)."
        case .nothingToUndo(let path): "There is no edit of \(path) to undo."
        case .cannotWrite(let path, let reason): "\(path) could not be written: \(reason)."
        case .clientFailed(let path, let reason): "The editor holding \(path) could not give or take it: \(reason)."
        case .unchanged(let path):
            "Nothing changed: \(path) already holds exactly this text. Write the corrected text, or use str_replace with the text to change and what replaces it."
        }
    }
}
