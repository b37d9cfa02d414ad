import Foundation

/// A directory's contents two levels deep, directories marked with a trailing slash.
struct DirectoryListing {
    static let maxEntries = 1000

    let root: URL
    var protected: ProtectedFiles = .none

    func render() throws -> String {
        var lines: [String] = []
        var omitted = 0
        var protectedCount = 0
        func list(_ directory: URL, depth: Int, prefix: String) throws {
            let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
            for name in names where name != ".git" {
                let child = directory.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                _ = FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory)
                if protected.protects(child.path, isDirectory: isDirectory.boolValue) {
                    protectedCount += 1
                    continue
                }
                guard lines.count < Self.maxEntries else {
                    omitted += 1
                    continue
                }
                lines.append(prefix + name + (isDirectory.boolValue ? "/" : ""))
                // Hidden directories are listed but not opened: they are mostly caches and tool state.
                if isDirectory.boolValue, depth < 2, !name.hasPrefix(".") {
                    try? list(child, depth: depth + 1, prefix: prefix + name + "/")
                }
            }
        }
        try list(root, depth: 1, prefix: "")
        var text = "\(root.path)/ (two levels deep)\n" + lines.joined(separator: "\n")
        if lines.isEmpty { text += "(empty)" }
        if omitted > 0 { text += "\n[\(omitted) more entries not shown; view a subdirectory to see them]" }
        return text + SearchTool.protectedNote(protectedCount)
    }
}
