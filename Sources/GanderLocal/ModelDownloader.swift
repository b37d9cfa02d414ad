import AsyncHTTPClient
import Crypto
import Foundation
import GanderCore
import GanderHost
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// How far a download has got, for the progress bar.
public struct DownloadProgress: Sendable {
    public let file: String
    public let received: Int64
    public let total: Int64?
    public let bytesPerSecond: Double
    public let resumedFrom: Int64
}

/// Downloads one file into place: to `NAME.part` beside it, resumed with an HTTP Range request when a part is
/// already there (after a kill or a dropped connection), hashed as it arrives and checked against the Hub's SHA-256
/// before it is renamed into place, so a model file under its final name is always whole and verified.
public struct ModelDownloader: Sendable {
    let hub: HuggingFaceHub
    let progress: @Sendable (DownloadProgress) -> Void

    public init(hub: HuggingFaceHub, progress: @escaping @Sendable (DownloadProgress) -> Void) {
        self.hub = hub
        self.progress = progress
    }

    /// Downloads `url` to `destination` unless it is already there.
    public func download(_ url: URL, to destination: URL, size: Int64?, sha256: String?) async throws {
        let manager = FileManager.default
        if manager.fileExists(atPath: destination.path) { return }
        try manager.createDirectory(at: destination.deletingLastPathComponent(), withIntermediateDirectories: true)
        let partial = destination.appendingPathExtension("part")
        if !manager.fileExists(atPath: partial.path) { _ = manager.createFile(atPath: partial.path, contents: nil) }
        let handle = try FileHandle(forUpdating: partial)
        defer { try? handle.close() }

        var offset = Int64(try handle.seekToEnd())
        var hasher = SHA256()
        if let size, offset > size {
            offset = try restart(handle, &hasher)
        } else if offset > 0 {
            if size.map({ offset < $0 }) ?? true, offset % Int64(UncachedFileWriter.alignment) != 0 {
                // A part ends on a page boundary before it resumes, so the rest can be written past the page cache.
                offset -= offset % Int64(UncachedFileWriter.alignment)
                try handle.truncate(atOffset: UInt64(offset))
            }
            try hash(handle, upTo: offset, into: &hasher)
        }
        let resumedFrom = offset
        if size == nil || offset < size! {
            let (response, receipt) = try await open(url, from: offset)
            var received = 0
            defer { receipt.complete(bytesReceived: received) }
            switch Int(response.status.code) {
            case 206:
                break
            case 200:
                offset = try restart(handle, &hasher)  // the server ignored the range: start over
            case 416 where size != nil && offset == size!:
                break  // the part is already whole
            case 401, 403:
                throw PullError.unauthorized(url.path, tokenSet: hub.token != nil)
            case let status:
                throw PullError.http(status, url.absoluteString)
            }
            if response.status.code != 416 {
                let total = size ?? response.headers.first(name: "Content-Length").flatMap(Int64.init).map { $0 + offset }
                let started = ContinuousClock.now
                var lastReport = started
                let sink = DownloadSink(path: partial.path, descriptor: handle.fileDescriptor, startingAt: offset, hasher: hasher)
                defer { _ = sink.finish() }  // on a failure too, so its thread ends
                do {
                    for try await buffer in response.body {
                        try sink.take(buffer)
                        offset += Int64(buffer.readableBytes)
                        received += buffer.readableBytes
                        let now = ContinuousClock.now
                        if now - lastReport > .milliseconds(200) {
                            lastReport = now
                            progress(DownloadProgress(file: destination.lastPathComponent, received: offset, total: total,
                                                      bytesPerSecond: Double(offset - resumedFrom) / max((now - started).seconds, 0.001),
                                                      resumedFrom: resumedFrom))
                        }
                    }
                } catch let error as PullError {
                    throw error
                } catch {
                    throw PullError.transport("the connection broke after \(offset) bytes (\(error))")
                }
                hasher = sink.finish()
                if let failure = sink.failure { throw failure }
                let elapsed = max((ContinuousClock.now - started).seconds, 0.001)
                progress(DownloadProgress(file: destination.lastPathComponent, received: offset, total: total,
                                          bytesPerSecond: Double(offset - resumedFrom) / elapsed, resumedFrom: resumedFrom))
            }
        }
        if let size, offset != size {
            throw PullError.transport("the server sent \(offset) of \(size) bytes")
        }
        let digest = hasher.finalize().map { String(format: "%02x", $0) }.joined()
        if let sha256, digest != sha256.lowercased() {
            try? manager.removeItem(at: partial)
            throw PullError.checksumMismatch(destination.lastPathComponent, expected: sha256, actual: digest)
        }
        try handle.seek(toOffset: 0)
        guard try handle.read(upToCount: 4) == Data("GGUF".utf8) || destination.pathExtension != "gguf" else {
            try? manager.removeItem(at: partial)
            throw PullError.notGGUF(destination.lastPathComponent)
        }
        try handle.synchronize()
        guard rename(partial.path, destination.path) == 0 else {
            throw PullError.transport("could not move the download into \(destination.path): \(String(cString: strerror(errno)))")
        }
    }

    /// The response to a GET of `url` from byte `offset`, following up to five redirects; the token goes only to
    /// the Hub's own host.
    private func open(_ url: URL, from offset: Int64) async throws -> (HTTPClientResponse, OutboundReceipt) {
        var current = url
        for _ in 0..<6 {
            var request = HTTPClientRequest(url: current.absoluteString)
            request.headers = hub.headers(for: current)
            if offset > 0 { request.headers.add(name: "Range", value: "bytes=\(offset)-") }
            let (response, receipt) = try await hub.send(request, url: current, timeout: .hours(24))
            let status = Int(response.status.code)
            if (300..<400).contains(status), let location = response.headers.first(name: "Location"),
               let next = URL(string: location, relativeTo: current)?.absoluteURL {
                receipt.complete(bytesReceived: 0)
                current = next
                continue
            }
            if status == 404 {
                receipt.complete(bytesReceived: 0)
                throw PullError.notFound(url.path)
            }
            return (response, receipt)
        }
        throw PullError.transport("too many redirects from \(url.absoluteString)")
    }

    private func restart(_ handle: FileHandle, _ hasher: inout SHA256) throws -> Int64 {
        try handle.truncate(atOffset: 0)
        try handle.seek(toOffset: 0)
        hasher = SHA256()
        return 0
    }

    /// Hashes what a part already holds, so a resumed download is verified whole.
    private func hash(_ handle: FileHandle, upTo end: Int64, into hasher: inout SHA256) throws {
        try handle.seek(toOffset: 0)
        var remaining = end
        while remaining > 0 {
            guard let chunk = try handle.read(upToCount: Int(min(remaining, 8 << 20))), !chunk.isEmpty else { break }
            hasher.update(data: chunk)
            remaining -= Int64(chunk.count)
        }
        try handle.seek(toOffset: UInt64(end))
    }
}

/// Writes and hashes a download's buffers on a thread of its own, so the network keeps arriving while the disk and
/// SHA-256 work: receiving, writing and hashing overlap instead of taking turns. The file is written past the page
/// cache where the file system allows it (`UncachedFileWriter`), which took the largest single cost out of a pull.
final class DownloadSink: @unchecked Sendable {
    private let condition = NSCondition()
    private var queue: [ByteBuffer] = []
    private var queuedBytes = 0
    private var closed = false
    private var done = false
    private var hasher: SHA256
    private(set) var failure: PullError?
    private let writer: UncachedFileWriter
    /// How much may wait for the writer before the receiver waits too (so a slow disk does not fill memory).
    private static let limit = 16 << 20

    /// `offset` is where the part file at `path`, open for writing as `descriptor`, ends.
    init(path: String, descriptor: Int32, startingAt offset: Int64, hasher: SHA256) {
        writer = UncachedFileWriter(path: path, descriptor: descriptor, offset: offset)
        self.hasher = hasher
        let thread = Thread { [self] in drain() }
        thread.start()
    }

    func take(_ buffer: ByteBuffer) throws {
        condition.lock()
        defer { condition.unlock() }
        while queuedBytes > Self.limit, failure == nil { condition.wait() }
        if let failure { throw failure }
        queue.append(buffer)
        queuedBytes += buffer.readableBytes
        condition.broadcast()
    }

    /// Waits for everything taken to be written and hashed; returns the hash state. Safe to call more than once.
    func finish() -> SHA256 {
        condition.lock()
        defer { condition.unlock() }
        closed = true
        condition.broadcast()
        while !done { condition.wait() }
        return hasher
    }

    private func drain() {
        while true {
            condition.lock()
            while queue.isEmpty, !closed { condition.wait() }
            if queue.isEmpty, closed {
                condition.unlock()
                attempt { try writer.finish() }
                condition.lock()
                done = true
                condition.broadcast()
                condition.unlock()
                return
            }
            let batch = queue
            queue.removeAll(keepingCapacity: true)
            condition.unlock()
            var taken = 0
            for buffer in batch {
                taken += buffer.readableBytes
                buffer.withUnsafeReadableBytes { bytes in
                    hasher.update(bufferPointer: bytes)
                    attempt { try writer.write(bytes) }
                }
            }
            condition.lock()
            queuedBytes -= taken
            condition.broadcast()
            condition.unlock()
        }
    }

    /// Runs one write unless an earlier one failed; a failure is kept for the receiver to throw.
    private func attempt(_ body: () throws -> Void) {
        guard failure == nil else { return }
        do {
            try body()
        } catch {
            condition.lock()
            failure = .transport("writing the download failed: \(error)")
            condition.unlock()
        }
    }
}
