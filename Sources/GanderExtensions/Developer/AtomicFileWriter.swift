import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// Replaces a file's contents all at once: the new bytes go to a temporary file beside it, which then takes the
/// file's place with `rename`. A reader sees the old file or the new one, never half of either, and the file keeps
/// its permissions.
enum AtomicFileWriter {
    static func write(_ data: Data, to url: URL) throws {
        let target = url.resolvingSymlinksInPath()
        let directory = target.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)

        var existing = stat()
        let mode: mode_t = stat(target.path, &existing) == 0 ? existing.st_mode & 0o7777 : Self.defaultMode

        let temporary = directory.appendingPathComponent(".\(target.lastPathComponent).gander-\(UUID().uuidString.prefix(8))")
        let descriptor = open(temporary.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw EditorError.cannotWrite(url.path, String(cString: strerror(errno))) }
        var succeeded = false
        defer {
            if !succeeded { unlink(temporary.path) }
        }
        let written = data.withUnsafeBytes { raw -> Bool in
            var offset = 0
            while offset < raw.count {
                let count = Glibc.write(descriptor, raw.baseAddress! + offset, raw.count - offset)
                if count < 0 {
                    if errno == EINTR { continue }
                    return false
                }
                offset += count
            }
            return true
        }
        let error = String(cString: strerror(errno))
        guard written, fchmod(descriptor, mode) == 0, fsync(descriptor) == 0 else {
            close(descriptor)
            throw EditorError.cannotWrite(url.path, error)
        }
        close(descriptor)
        guard rename(temporary.path, target.path) == 0 else {
            throw EditorError.cannotWrite(url.path, String(cString: strerror(errno)))
        }
        succeeded = true
    }

    /// What a new file gets: read-write for everyone the umask allows, as an editor would create it.
    private static var defaultMode: mode_t {
        let mask = umask(0)
        umask(mask)
        return 0o666 & ~mask
    }
}
