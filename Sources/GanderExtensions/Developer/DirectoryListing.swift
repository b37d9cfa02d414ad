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
        var direct = (files: 0, folders: 0)
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
                if depth == 1 {
                    if isDirectory.boolValue { direct.folders += 1 } else { direct.files += 1 }
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
        // The counts up front: models, small ones above all, miscount a list they are asked about.
        func count(_ number: Int, _ noun: String) -> String { "\(number) \(noun)\(number == 1 ? "" : "s")" }
        var text = "\(root.path)/ (two levels deep; directly in it: \(count(direct.files, "file")), "
            + "\(count(direct.folders, "folder")))\n" + lines.joined(separator: "\n")
        if lines.isEmpty { text += "(empty)" }
        if omitted > 0 { text += "\n[\(omitted) more entries not shown; view a subdirectory to see them]" }
        return text + SearchTool.protectedNote(protectedCount)
    }
}
