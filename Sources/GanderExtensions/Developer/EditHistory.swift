import Foundation

/// Earlier versions of the files the editor changed, newest last, so `undo_edit` can step back several times.
actor EditHistory {
    /// Versions kept per file.
    static let depth = 10

    /// A file's contents before an edit; nil when the edit created it.
    private var versions: [String: [Data?]] = [:]

    func record(_ previous: Data?, for path: String) {
        var stack = versions[path, default: []]
        stack.append(previous)
        if stack.count > Self.depth { stack.removeFirst(stack.count - Self.depth) }
        versions[path] = stack
    }

    /// Takes the most recent earlier version; `.none` when there is nothing left to undo.
    func popLatest(for path: String) -> Data?? {
        guard var stack = versions[path], !stack.isEmpty else { return .none }
        let previous = stack.removeLast()
        versions[path] = stack
        return .some(previous)
    }

    func remaining(for path: String) -> Int {
        versions[path]?.count ?? 0
    }
}
