import Foundation

/// Project guidance for the model: `AGENTS.md`, `.ganderhints` and `.goosehints` from the working directory up to
/// the git root, and the user's global `AGENTS.md`.
public struct Hints: Sendable, Equatable {
    /// One hint file and what it says.
    public struct File: Sendable, Equatable {
        public let path: String
        public let text: String
    }

    /// The file names read in each directory, in this order.
    public static let fileNames = ["AGENTS.md", ".ganderhints", ".goosehints"]

    /// Files in prompt order: the global file first, then from the git root down, so the nearest comes last.
    public let files: [File]

    /// Reads every hint file that applies to `workingDirectory`. Unreadable files are skipped.
    public static func load(workingDirectory: URL, globalFile: URL?) -> Hints {
        var files: [File] = []
        if let globalFile, let file = read(globalFile) { files.append(file) }
        for directory in directoriesFromRoot(to: workingDirectory) {
            for name in fileNames {
                if let file = read(directory.appendingPathComponent(name)) { files.append(file) }
            }
        }
        return Hints(files: files)
    }

    /// The hints as a system prompt section, or an empty string when there are none. Each file is named relative to
    /// `workingDirectory` (its parents as `../`, the home folder as `~`): the model needs no more to tell them apart,
    /// and the prompt neither tells a provider where the user keeps the project nor differs between two checkouts of
    /// it (a local model's prompt cache then serves both).
    public func promptSection(workingDirectory: URL) -> String {
        guard !files.isEmpty else { return "" }
        var section = "# Project hints\n\nThe user wrote these for you. Follow them; nearer files take precedence.\n"
        for file in files {
            let name = Self.displayPath(file.path, workingDirectory: workingDirectory.standardizedFileURL.path)
            section += "\n## \(name)\n\n\(file.text.trimmingCharacters(in: .whitespacesAndNewlines))\n"
        }
        return section
    }

    /// `path` relative to `directory` when it lies in it or in one of its parents, else with the home folder as `~`.
    static func displayPath(_ path: String, workingDirectory directory: String) -> String {
        let folder = (path as NSString).deletingLastPathComponent
        let name = (path as NSString).lastPathComponent
        var ancestor = directory
        var ups = ""
        while true {
            if folder == ancestor { return ups + name }
            guard ancestor != "/" else { break }
            ancestor = (ancestor as NSString).deletingLastPathComponent
            ups += "../"
        }
        let environment = ProcessInfo.processInfo.environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        let home = URL(fileURLWithPath: environment ?? NSHomeDirectory()).standardizedFileURL.path
        return path.hasPrefix(home + "/") ? "~" + path.dropFirst(home.count) : path
    }

    /// The working directory and its parents up to the enclosing git root, root first. Outside a git repository
    /// only the working directory itself counts, so hints from unrelated parents never leak in.
    static func directoriesFromRoot(to workingDirectory: URL) -> [URL] {
        GitRoot.chain(from: workingDirectory) ?? [workingDirectory.standardizedFileURL]
    }

    private static func read(_ url: URL) -> File? {
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: url.path, isDirectory: &isDirectory), !isDirectory.boolValue,
              let text = try? String(contentsOf: url, encoding: .utf8),
              !text.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return nil }
        return File(path: url.path, text: text)
    }
}
