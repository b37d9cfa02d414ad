import Foundation

/// The git repository around a directory, found the way git finds it: the nearest folder upwards holding `.git`.
public enum GitRoot {
    /// `directory` and its parents up to the enclosing git root, root first; nil outside a repository.
    public static func chain(from directory: URL) -> [URL]? {
        var chain: [URL] = []
        var current = directory.standardizedFileURL
        while true {
            chain.append(current)
            if FileManager.default.fileExists(atPath: current.appendingPathComponent(".git").path) {
                return chain.reversed()
            }
            let parent = current.deletingLastPathComponent().standardizedFileURL
            if parent.path == current.path { return nil }
            current = parent
        }
    }
}
