import Foundation
import GanderCore
import Testing

@Suite("files written past the page cache")
struct UncachedFileWriterTests {
    private func folder() throws -> URL {
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gander-uncached-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        return folder
    }

    @Test("a new file holds exactly the bytes given, whole pages or not, and only its owner can read it",
          arguments: [0, 1, 4095, 4096, 4097, 760_123, 9_000_001])
    func create(size: Int) throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        var generator = SystemRandomNumberGenerator()
        let data = Data((0..<size).map { _ in UInt8.random(in: 0...255, using: &generator) })
        let file = folder.appendingPathComponent("page.md")

        try UncachedFileWriter.create(file, with: data)

        #expect(try Data(contentsOf: file) == data)
        let permissions = try FileManager.default.attributesOfItem(atPath: file.path)[.posixPermissions] as? Int
        #expect(permissions == 0o600)
    }

    @Test("a file that is already there is left alone and the write fails")
    func existing() throws {
        let folder = try folder()
        defer { try? FileManager.default.removeItem(at: folder) }
        let file = folder.appendingPathComponent("page.md")
        try Data("kept".utf8).write(to: file)

        #expect(throws: UncachedFileWriter.Failure.self) { try UncachedFileWriter.create(file, with: Data("new".utf8)) }
        #expect(try Data(contentsOf: file) == Data("kept".utf8))
    }
}
