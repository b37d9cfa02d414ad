import Foundation
import Yams

/// Keys `gander configure` saved: `secrets.yaml` in Gander's config directory, readable by the user alone (0600),
/// mapping variable names to values. Never config.yaml, never a log or the session database. A variable set in the
/// environment wins over the file.
struct SecretsFile {
    let url: URL

    /// The saved keys; none when the file is missing. A file others can read is refused rather than used.
    func load() throws -> [String: String] {
        guard FileManager.default.fileExists(atPath: url.path) else { return [:] }
        let attributes = try? FileManager.default.attributesOfItem(atPath: url.path)
        if let mode = (attributes?[.posixPermissions] as? NSNumber)?.intValue, mode & 0o077 != 0 {
            throw ConfigError(url, "can be read by other users (mode \(String(mode, radix: 8))); run chmod 600 on it")
        }
        guard let text = try? String(contentsOf: url, encoding: .utf8),
              let table = (try? Yams.load(yaml: text)) as? [String: Any] else {
            throw ConfigError(url, "must map variable names to keys")
        }
        return table.compactMapValues { $0 as? String }
    }

    /// Saves `value` under `variable`, keeping the others; the file is created 0600 before anything is written to it.
    func save(_ value: String, as variable: String) throws {
        var secrets = try load()
        secrets[variable] = value
        try write(secrets)
    }

    /// Forgets the key under `variable`, when it moved to the system keyring.
    func remove(_ variable: String) throws {
        var secrets = try load()
        guard secrets.removeValue(forKey: variable) != nil else { return }
        try write(secrets)
    }

    private func write(_ secrets: [String: String]) throws {
        let text = try Yams.dump(object: secrets, sortKeys: true)
        let directory = url.deletingLastPathComponent()
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        let temporary = directory.appendingPathComponent(".secrets-\(UUID().uuidString).yaml")
        guard FileManager.default.createFile(atPath: temporary.path, contents: nil, attributes: [.posixPermissions: 0o600]) else {
            throw ConfigError(temporary, "cannot be created")
        }
        do {
            let handle = try FileHandle(forWritingTo: temporary)
            try handle.write(contentsOf: Data(text.utf8))
            try handle.close()
            // rename(2) replaces the old file in one step, keeping the new one's 0600.
            guard rename(temporary.path, url.path) == 0 else { throw CocoaError(.fileWriteUnknown) }
        } catch {
            try? FileManager.default.removeItem(at: temporary)
            throw ConfigError(url, "cannot be written: \(error.localizedDescription)")
        }
    }
}
