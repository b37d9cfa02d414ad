import Foundation
import GanderCore
import MCP

/// What a server offered the last time it started, kept so the next start can offer its tools at once, before the
/// server has answered. A cached list belongs to one command or address; a changed one discards it.
public struct MCPToolCache: Sendable {
    struct Entry: Codable {
        var fingerprint: String
        var instructions: String?
        var tools: [Tool]
    }

    public let directory: URL

    public init(directory: URL) {
        self.directory = directory
    }

    /// How many tools the server offered when it last started, if it has started with this config.
    public func rememberedToolCount(for config: ExtensionConfig) -> Int? {
        load(name: config.name, fingerprint: config.fingerprint)?.tools.count
    }

    func load(name: String, fingerprint: String) -> Entry? {
        guard let data = try? Data(contentsOf: file(for: name)),
              let entry = try? JSONDecoder().decode(Entry.self, from: data),
              entry.fingerprint == fingerprint else { return nil }
        return entry
    }

    /// Best effort: a cache that cannot be written only costs the next start its head start.
    func save(_ entry: Entry, name: String) {
        guard let data = try? JSONEncoder().encode(entry) else { return }
        try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        try? data.write(to: file(for: name), options: .atomic)
    }

    private func file(for name: String) -> URL {
        directory.appendingPathComponent("\(name).tools.json")
    }
}
