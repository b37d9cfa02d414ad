import CGanderSystem
import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Writes a file past the page cache where the file system allows it (O_DIRECT on Linux, F_NOCACHE on Apple
/// systems), and through it elsewhere.
///
/// Copying into the page cache is what a large write costs most: on a virtual machine each new page-cache page can
/// be memory the host has to fault in, so a 250 MB model took from 0.2 to 0.55 s of system time run to run, and a
/// 760 KB page saved for the model took 1–2 ms; past the cache they take a steady fraction of that. The bytes are
/// gathered in an aligned staging area and written whole pages at a time; only a last partial page goes through the
/// cache. A file system that refuses an uncached write (EINVAL) gets that write and every later one cached.
///
/// One thread at a time: the writer keeps where it is in the file and its staging area.
public final class UncachedFileWriter {
    /// The alignment of every uncached write, in address, offset and length: a page covers every block size.
    public static let alignment = Int(GANDER_DIRECT_ALIGNMENT)

    /// A write that failed, with the system's reason.
    public struct Failure: Error, CustomStringConvertible {
        public let code: Int32
        public var description: String { String(cString: strerror(code)) }
    }

    /// The file through the page cache (the caller's; never closed here), and past it (-1 when not offered).
    private let cached: Int32
    private var uncached: Int32
    private let staging: UnsafeMutableRawBufferPointer
    private var staged = 0
    /// Where in the file the staging area's first byte goes, and how far the disk has been asked to write.
    private var fileOffset: Int64
    private var writebackStart: Int64
    private static let writebackChunk: Int64 = 8 << 20

    /// `descriptor` is the file at `path` open for writing; the writer starts at `offset`, which must be on a page
    /// boundary for the writes to go past the cache (from anywhere else they go through it).
    public init(path: String, descriptor: Int32, offset: Int64, stagingSize: Int = 4 << 20) {
        cached = descriptor
        uncached = offset % Int64(Self.alignment) == 0 ? gander_open_uncached(path) : -1
        let size = max(Self.alignment, (stagingSize + Self.alignment - 1) / Self.alignment * Self.alignment)
        staging = .allocate(byteCount: size, alignment: Self.alignment)
        fileOffset = offset
        writebackStart = offset
    }

    deinit {
        if uncached >= 0 { close(uncached) }
        staging.deallocate()
    }

    /// Where the next byte written will be in the file.
    public var offset: Int64 { fileOffset + Int64(staged) }

    /// Throws `Failure`.
    public func write(_ bytes: UnsafeRawBufferPointer) throws {
        guard uncached >= 0 else {
            try Self.check(Self.write(bytes, to: cached, at: fileOffset))
            fileOffset += Int64(bytes.count)
            if fileOffset - writebackStart >= Self.writebackChunk {
                // Only a hint to the kernel, so that a later fsync has little left: a failure costs nothing else.
                _ = gander_start_writeback(cached, writebackStart, fileOffset - writebackStart)
                writebackStart = fileOffset
            }
            return
        }
        var rest = bytes
        while !rest.isEmpty {
            let count = min(rest.count, staging.count - staged)
            UnsafeMutableRawBufferPointer(rebasing: staging[staged..<staged + count])
                .copyMemory(from: UnsafeRawBufferPointer(rebasing: rest[..<count]))
            staged += count
            rest = UnsafeRawBufferPointer(rebasing: rest[count...])
            if staged == staging.count { try writeStaged(final: false) }
        }
    }

    /// Writes what is still staged. Call once, after the last `write`; throws `Failure`.
    public func finish() throws {
        try writeStaged(final: true)
    }

    /// Writes the staging area past the cache; at the end, its whole pages so and a partial last page through it.
    private func writeStaged(final: Bool) throws {
        guard staged > 0 else { return }
        let pages = final ? staged / Self.alignment * Self.alignment : staged
        if pages > 0 {
            let region = UnsafeRawBufferPointer(rebasing: staging[..<pages])
            let error = Self.write(region, to: uncached, at: fileOffset)
            if error == EINVAL {
                close(uncached)
                uncached = -1
                try Self.check(Self.write(region, to: cached, at: fileOffset))
            } else {
                try Self.check(error)
            }
            fileOffset += Int64(pages)
        }
        if pages < staged {
            try Self.check(Self.write(UnsafeRawBufferPointer(rebasing: staging[pages..<staged]), to: cached, at: fileOffset))
            fileOffset += Int64(staged - pages)
        }
        staged = 0
    }

    /// Writes all of `bytes` at `offset`; returns 0, or the errno of the write that failed.
    private static func write(_ bytes: UnsafeRawBufferPointer, to descriptor: Int32, at offset: Int64) -> Int32 {
        var written = 0
        while written < bytes.count {
            let result = pwrite(descriptor, bytes.baseAddress! + written, bytes.count - written, off_t(offset) + off_t(written))
            if result < 0 {
                if errno == EINTR { continue }
                return errno
            }
            written += result
        }
        return 0
    }

    private static func check(_ error: Int32) throws {
        if error != 0 { throw Failure(code: error) }
    }
}

extension UncachedFileWriter {
    /// Creates `file` (it must not exist), readable by its owner only, and writes `data` into it.
    public static func create(_ file: URL, with data: Data) throws {
        let descriptor = open(file.path, O_WRONLY | O_CREAT | O_EXCL | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw Failure(code: errno) }
        defer { close(descriptor) }
        let writer = UncachedFileWriter(path: file.path, descriptor: descriptor, offset: 0, stagingSize: min(data.count, 4 << 20))
        try data.withUnsafeBytes { try writer.write($0) }
        try writer.finish()
    }
}
