import Foundation

/// A fresh directory under the system's temporary directory, removed by `remove()`.
public struct TemporaryDirectory: Sendable {
    public let url: URL

    public init(prefix: String = "gander-test") throws {
        url = FileManager.default.temporaryDirectory
            .appendingPathComponent("\(prefix)-\(UUID().uuidString.prefix(8))")
            .resolvingSymlinksInPath()
        try FileManager.default.createDirectory(at: url, withIntermediateDirectories: true)
    }

    public var path: String { url.path }

    public func file(_ relativePath: String) -> URL { url.appendingPathComponent(relativePath) }

    /// Writes a file relative to the directory, creating parent directories.
    @discardableResult
    public func write(_ relativePath: String, _ text: String) throws -> URL {
        let target = file(relativePath)
        try FileManager.default.createDirectory(at: target.deletingLastPathComponent(), withIntermediateDirectories: true)
        try Data(text.utf8).write(to: target)
        return target
    }

    public func read(_ relativePath: String) throws -> String {
        try String(contentsOf: file(relativePath), encoding: .utf8)
    }

    public func remove() {
        try? FileManager.default.removeItem(at: url)
    }
}

/// Places the tests' user may write but the command sandbox must not: outside the temporary directories and every
/// workspace, so a write that lands there proves the fence was off and one that does not proves it held — for root
/// and for everyone else alike. The package's build folder, else the account's home, else /usr/local/share: the first
/// that is writable and not under a temporary directory (a clone or a HOME may live in /tmp).
public enum OutsideTheFence {
    /// A path there for `name`; nothing is created.
    public static func path(_ name: String) -> URL {
        base.appendingPathComponent("\(name)-\(getpid())")
    }

    private static let base: URL = {
        let build = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().appendingPathComponent(".build")
        let home = ProcessInfo.processInfo.environment["HOME"].map { URL(fileURLWithPath: $0) }
        let temporary = ["/tmp", "/var/tmp", ProcessInfo.processInfo.environment["TMPDIR"] ?? "/tmp"]
            .map { URL(fileURLWithPath: $0).resolvingSymlinksInPath().path }
        let candidates = [build, home, URL(fileURLWithPath: "/usr/local/share")].compactMap { $0 }
        return candidates.first { candidate in
            let real = candidate.resolvingSymlinksInPath().path
            return !temporary.contains { real == $0 || real.hasPrefix($0 + "/") } && access(real, W_OK) == 0
        } ?? URL(fileURLWithPath: "/usr/local/share")
    }()
}
