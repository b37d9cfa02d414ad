import Foundation

/// The files and folders near the top of the working directory, for a small model that cannot explore well: it
/// is shown them, and its paths for reading and editing are held to them by the grammar, so it cannot ask for a
/// file that is not there. Hidden entries and bulky build folders are left out; a large tree gives up (nil), since
/// then a free path is better than a partial list.
struct WorkspaceSnapshot: Equatable {
    /// Relative paths of regular files, sorted.
    let files: [String]
    /// Relative paths of folders, sorted, "." first.
    let directories: [String]
    /// The files among `files` that may be run as programs (the executable bit).
    let executables: Set<String>

    static let limit = 200
    private static let skipped: Set<String> = ["node_modules", "build", "dist", "target", "__pycache__", "venv"]

    init?(directory: URL, depth: Int = 3) {
        var files: [String] = []
        var directories: [String] = ["."]
        var executables: Set<String> = []
        var pending: [(URL, String, Int)] = [(directory, "", 0)]
        let manager = FileManager.default
        while let (url, prefix, level) = pending.popLast() {
            guard let names = try? manager.contentsOfDirectory(atPath: url.path) else { continue }
            for name in names where !name.hasPrefix(".") {
                let child = url.appendingPathComponent(name)
                let relative = prefix + name
                var isDirectory: ObjCBool = false
                guard manager.fileExists(atPath: child.path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    guard !Self.skipped.contains(name) else { continue }
                    directories.append(relative)
                    if level + 1 < depth { pending.append((child, relative + "/", level + 1)) }
                } else {
                    files.append(relative)
                    if manager.isExecutableFile(atPath: child.path) { executables.insert(relative) }
                }
                if files.count + directories.count > Self.limit { return nil }
            }
        }
        self.files = files.sorted()
        self.directories = ["."] + directories.dropFirst().sorted()
        self.executables = executables
    }

    /// What to look at before acting on `instruction`: the files it names (by path or file name), else the
    /// folders it names, else, when it speaks of files or folders at all, the working directory itself.
    func lookFirst(for instruction: String) -> (files: [String], folders: [String]) {
        let words = Set(instruction.lowercased().split { $0.isWhitespace || "'\"`,;:()?!".contains($0) }.map {
            String($0).trimmingCharacters(in: CharacterSet(charactersIn: "."))
        })
        func named(_ path: String) -> Bool {
            words.contains(path.lowercased()) || words.contains(String(path.split(separator: "/").last ?? "").lowercased())
        }
        let namedFiles = files.filter(named)
        if !namedFiles.isEmpty { return (namedFiles, []) }
        let namedFolders = directories.dropFirst().filter(named)
        if !namedFolders.isEmpty { return ([], namedFolders) }
        let speaksOfFiles = !words.isDisjoint(with: ["file", "files", "folder", "folders", "directory", "directories"])
        return ([], speaksOfFiles && !files.isEmpty ? ["."] : [])
    }
}
