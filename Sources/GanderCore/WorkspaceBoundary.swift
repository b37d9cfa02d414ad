import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The working directory as a boundary: whether a path, once every symlink on it is followed, lies inside it.
/// `smart` mode lets reads inside run at once and asks before reads outside, so `docs -> /etc` or `../../.ssh`
/// cannot smuggle a read past the user.
public struct WorkspaceBoundary: Sendable {
    /// The working directory with its own symlinks resolved (`/tmp` is a symlink on macOS).
    public let root: String

    public init(workingDirectory: URL) {
        root = Self.physicalPath(of: workingDirectory.path)
    }

    /// Where `url` really leads when that is outside the working directory; nil when it stays inside.
    public func escape(of url: URL) -> String? {
        let path = Self.physicalPath(of: url.path)
        let inside = path == root || path.hasPrefix(root == "/" ? "/" : root + "/")
        return inside ? nil : path
    }

    /// The path with every symlink followed. A path that does not exist yet resolves through its deepest existing
    /// ancestor, so a link to a missing file still counts where its existing part points.
    public static func physicalPath(of path: String) -> String {
        var existing = (path as NSString).standardizingPath
        var missing: [String] = []
        while existing != "/" {
            if let resolved = realpath(existing, nil) {
                defer { free(resolved) }
                let base = String(cString: resolved)
                return missing.reversed().reduce(base) { ($0 as NSString).appendingPathComponent($1) }
            }
            missing.append((existing as NSString).lastPathComponent)
            existing = (existing as NSString).deletingLastPathComponent
        }
        return missing.reversed().reduce("/") { ($0 as NSString).appendingPathComponent($1) }
    }
}
