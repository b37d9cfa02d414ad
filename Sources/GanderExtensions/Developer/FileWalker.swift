import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Visits the files under a directory the way a developer's tools do: .gitignore honoured, hidden entries and
/// `.git` skipped, symbolic links not followed, protected files (`ProtectedFiles`) left out.
struct FileWalker {
    let root: URL
    var protected: ProtectedFiles = .none

    /// Calls `visit` with each file's absolute path; stop early by returning false. Returns how many protected
    /// entries were left out.
    @discardableResult
    func forEachFile(_ visit: (String) -> Bool) -> Int {
        var leftOut = 0
        var stack: [(path: String, ignore: GitIgnore)] = []
        let rootPath = root.standardizedFileURL.path
        stack.append((rootPath, GitIgnore.inherited(at: root)))
        while let (directory, inherited) = stack.popLast() {
            let ignore = inherited.adding(file: URL(fileURLWithPath: directory).appendingPathComponent(".gitignore"),
                                          base: directory)
            guard let handle = opendir(directory) else { continue }
            var subdirectories: [String] = []
            var files: [String] = []
            while let entry = readdir(handle) {
                let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                    String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
                }
                if name.hasPrefix(".") { continue }
                let path = directory == "/" ? "/" + name : directory + "/" + name
                var type = entry.pointee.d_type
                if type == UInt8(DT_UNKNOWN) {
                    var info = stat()
                    guard lstat(path, &info) == 0 else { continue }
                    type = (info.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : (info.st_mode & S_IFMT) == S_IFREG ? UInt8(DT_REG) : UInt8(DT_LNK)
                }
                guard type == UInt8(DT_DIR) || type == UInt8(DT_REG) else { continue }
                let isDirectory = type == UInt8(DT_DIR)
                if ignore.ignores(path, name: name, isDirectory: isDirectory) { continue }
                if protected.protects(path, isDirectory: isDirectory) {
                    leftOut += 1
                    continue
                }
                if isDirectory { subdirectories.append(path) } else { files.append(path) }
            }
            closedir(handle)
            for file in files.sorted() where !visit(file) { return leftOut }
            // Pushed in reverse so directories are visited in name order.
            for subdirectory in subdirectories.sorted().reversed() { stack.append((subdirectory, ignore)) }
        }
        return leftOut
    }
}
