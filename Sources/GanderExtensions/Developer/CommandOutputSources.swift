import Foundation
import GanderCore

/// The files a command's output carried, for the ledger: the files the command line names whose lines appear in
/// what it printed (`cat config.py`, `sed -n 2,14p key.txt`, `grep -n token settings.py`). Only what can be shown is
/// claimed — a line of the file found in the output, as it is or after a line-number prefix — so `gander audit
/// --file` answers from evidence, not from the command's words alone.
enum CommandOutputSources {
    /// Lines shorter than this prove nothing (`}`, blank lines, `fi`).
    static let shortestLine = 8
    static let largestFile = 16 << 20

    static func find(command: String, output: String, context: ToolContext) -> [FileSpan] {
        guard !output.isEmpty else { return [] }
        let printed = printedLines(output)
        var spans: [FileSpan] = []
        var seen = Set<String>()
        let separators = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ";&|<>()'\"`="))
        for word in command.components(separatedBy: separators) where !word.isEmpty && !word.hasPrefix("-") {
            let url = context.resolve(word)
            var info = stat()
            guard stat(url.path, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG, Int(info.st_size) <= largestFile else { continue }
            let path = WorkspaceBoundary.physicalPath(of: url.path)
            guard seen.insert(path).inserted, let data = FileManager.default.contents(atPath: url.path) else { continue }
            var start = 0
            for line in data.split(separator: UInt8(ascii: "\n"), omittingEmptySubsequences: false) {
                defer { start += line.count + 1 }
                let text = String(decoding: line, as: UTF8.self).trimmingCharacters(in: .whitespaces)
                guard text.utf8.count >= shortestLine, printed.contains(text) else { continue }
                spans.append(FileSpan(path: path, start: start, end: start + line.count))
            }
        }
        return spans
    }

    /// Each printed line trimmed, and again without a line-number prefix.
    private static func printedLines(_ output: String) -> Set<String> {
        var lines = Set<String>()
        for line in output.split(separator: "\n") {
            lines.insert(line.trimmingCharacters(in: .whitespaces))
            if let content = withoutLineNumber(line) { lines.insert(content.trimmingCharacters(in: .whitespaces)) }
        }
        return lines
    }

    /// `line` without the number `cat -n`, `nl` or `grep -n` put before it (`  12\t…`, `12:…`, `file:12:…`).
    private static func withoutLineNumber(_ line: Substring) -> Substring? {
        let afterSpaces = line.drop { $0 == " " }
        let digits = afterSpaces.prefix(while: \.isNumber)
        if !digits.isEmpty, let mark = afterSpaces.dropFirst(digits.count).first, mark == "\t" || mark == ":" {
            return afterSpaces.dropFirst(digits.count + 1)
        }
        guard let colon = line.firstIndex(of: ":") else { return nil }
        let rest = line[line.index(after: colon)...]
        let number = rest.prefix(while: \.isNumber)
        guard !number.isEmpty, rest.dropFirst(number.count).first == ":" else { return nil }
        return rest.dropFirst(number.count + 1)
    }
}
