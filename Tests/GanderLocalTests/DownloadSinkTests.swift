import Crypto
import Foundation
@testable import GanderLocal
import NIOCore
import Testing

@Suite("writing a download")
struct DownloadSinkTests {
    /// A part file of `prefix`, the buffers a download brings, and what the file and its hash end up as.
    private func download(prefix: Int, buffers sizes: [Int]) throws -> (file: Data, expected: Data, digest: String, wanted: String) {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gander-sink-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SystemRandomNumberGenerator()
        let start = Data((0..<prefix).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let part = folder.appendingPathComponent("model.gguf.part")
        try start.write(to: part)
        let handle = try FileHandle(forUpdating: part)
        defer { try? handle.close() }
        var hasher = SHA256()
        hasher.update(data: start)

        let sink = DownloadSink(path: part.path, descriptor: handle.fileDescriptor, startingAt: Int64(prefix), hasher: hasher)
        var expected = start
        for size in sizes {
            let bytes = (0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) }
            expected.append(contentsOf: bytes)
            try sink.take(ByteBuffer(bytes: bytes))
        }
        let digest = sink.finish().finalize().map { String(format: "%02x", $0) }.joined()
        #expect(sink.failure == nil)
        let wanted = SHA256.hash(data: expected).map { String(format: "%02x", $0) }.joined()
        return (try Data(contentsOf: part), expected, digest, wanted)
    }

    @Test("past the page cache from a page boundary: buffers of every size, across the staging area, an odd tail")
    func uncached() throws {
        // 9.3 MB in buffers from 1 byte to 300 KB: the 4 MB staging area fills twice, and the last page is partial.
        var sizes = [1, 4095, 4096, 65536, 300_000]
        while sizes.reduce(0, +) < 9_300_000 { sizes.append(Int.random(in: 1...300_000)) }
        let result = try download(prefix: 8192, buffers: sizes)
        #expect(result.file.count == result.expected.count)
        #expect(result.file == result.expected, "the file holds exactly the bytes that arrived, in order")
        #expect(result.digest == result.wanted, "the hash covers the part that was there and everything written")
    }

    @Test("through the cache when the part does not end on a page boundary")
    func cached() throws {
        var sizes = [7, 12_345]
        while sizes.reduce(0, +) < 5_000_000 { sizes.append(Int.random(in: 1...200_000)) }
        let result = try download(prefix: 1000, buffers: sizes)
        #expect(result.file == result.expected)
        #expect(result.digest == result.wanted)
    }

    @Test("a download with nothing in it leaves the part as it was")
    func empty() throws {
        let result = try download(prefix: 4096, buffers: [])
        #expect(result.file == result.expected)
        #expect(result.digest == result.wanted)
    }
}
