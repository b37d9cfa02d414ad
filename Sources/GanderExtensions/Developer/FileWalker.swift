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
            var subdirectories: [String] = []
            var files: [String] = []
            Self.forEachEntry(of: directory) { name, path, isDirectory in
                if name.hasPrefix(".") { return }
                if ignore.ignores(path, name: name, isDirectory: isDirectory) { return }
                if protected.protects(path, isDirectory: isDirectory) {
                    leftOut += 1
                    return
                }
                if isDirectory { subdirectories.append(path) } else { files.append(path) }
            }
            for file in files.sorted() where !visit(file) { return leftOut }
            // Pushed in reverse so directories are visited in name order.
            for subdirectory in subdirectories.sorted().reversed() { stack.append((subdirectory, ignore)) }
        }
        return leftOut
    }

    /// The regular files and directories in `directory`, as `readdir` gives them (`.` and `..`, links and special
    /// files left out), with their paths and whether each is a directory. Returns the number of entries read, 0 when
    /// the directory cannot be opened.
    @discardableResult
    static func forEachEntry(of directory: String, _ body: (_ name: String, _ path: String, _ isDirectory: Bool) -> Void) -> Int {
        guard let handle = opendir(directory) else { return 0 }
        defer { closedir(handle) }
        var read = 0
        while let entry = readdir(handle) {
            read += 1
            let name = withUnsafeBytes(of: entry.pointee.d_name) { raw in
                String(decoding: raw.prefix(while: { $0 != 0 }), as: UTF8.self)
            }
            if name == "." || name == ".." { continue }
            let path = directory == "/" ? "/" + name : directory + "/" + name
            var type = entry.pointee.d_type
            if type == UInt8(DT_UNKNOWN) {
                var info = stat()
                guard lstat(path, &info) == 0 else { continue }
                type = (info.st_mode & S_IFMT) == S_IFDIR ? UInt8(DT_DIR) : (info.st_mode & S_IFMT) == S_IFREG ? UInt8(DT_REG) : UInt8(DT_LNK)
            }
            guard type == UInt8(DT_DIR) || type == UInt8(DT_REG) else { continue }
            body(name, path, type == UInt8(DT_DIR))
        }
        return read
    }
}
