import Foundation
import GanderCore
import GanderProviders
import Yams

/// Finds and reads the file that describes a custom provider: Gander's own `providers/NAME.yaml`, `.yml` or `.json`,
/// else goose's `custom_providers/NAME.json`. Only the file of the provider asked for is read, so a broken file of
/// another provider never stands in the way.
enum CustomProviderFiles {
    static func find(_ name: String, in directories: GanderDirectories) throws -> CustomProvider? {
        let candidates = ["yaml", "yml", "json"].map { directories.customProviders.appendingPathComponent("\(name).\($0)") }
            + [directories.gooseCustomProviders.appendingPathComponent("\(name).json")]
        guard let file = candidates.first(where: { FileManager.default.fileExists(atPath: $0.path) }) else { return nil }
        return try read(file, name: name)
    }

    /// The names of every provider described in files, for the list of known providers.
    static func names(in directories: GanderDirectories) -> [String] {
        var names: Set<String> = []
        for directory in [directories.customProviders, directories.gooseCustomProviders] {
            for file in (try? FileManager.default.contentsOfDirectory(atPath: directory.path)) ?? [] {
                let url = URL(fileURLWithPath: file)
                if ["yaml", "yml", "json"].contains(url.pathExtension) { names.insert(url.deletingPathExtension().lastPathComponent) }
            }
        }
        return names.sorted()
    }

    /// Reads one file. The keys are goose's: `engine` (openai, anthropic or ollama), `base_url`, `api_key_env`,
    /// `headers`, `models` (each a `name` with an optional `context_limit`); `display_name`, `description`,
    /// `timeout_seconds` and `supports_streaming` are accepted and not needed.
    static func read(_ file: URL, name: String) throws -> CustomProvider {
        func fail(_ problem: String) -> ConfigError { ConfigError(file, problem) }
        guard let text = try? String(contentsOf: file, encoding: .utf8) else { throw fail("cannot be read as UTF-8 text") }
        let document: Any?
        do {
            // YAML is a superset of JSON, so one reader takes both.
            document = try Yams.load(yaml: text)
        } catch {
            throw fail("is not valid \(file.pathExtension == "json" ? "JSON" : "YAML")")
        }
        guard var table = document as? [String: Any] else { throw fail("must be a mapping with engine and base_url") }
        // goose writes the keys it has no value for as null.
        table = table.filter { !($0.value is NSNull) }
        let engines = CustomProvider.Engine.allCases.map(\.rawValue).joined(separator: ", ")
        guard let engineName = table["engine"] as? String, let engine = CustomProvider.Engine(rawValue: engineName) else {
            throw fail("needs engine: one of \(engines)")
        }
        guard let baseURL = table["base_url"] as? String, let url = URL(string: baseURL),
              ["http", "https"].contains(url.scheme ?? "") else {
            throw fail("needs base_url: the server's http:// or https:// address")
        }
        var headers: [String: String] = [:]
        if let raw = table["headers"] {
            guard let map = raw as? [String: Any] else { throw fail("headers must map header names to values") }
            headers = map.mapValues { "\($0)" }
        }
        var models: [CustomProvider.Model] = []
        for entry in table["models"] as? [Any] ?? [] {
            if let model = entry as? String {
                models.append(CustomProvider.Model(name: model))
            } else if let model = entry as? [String: Any], let modelName = model["name"] as? String {
                models.append(CustomProvider.Model(name: modelName, contextLimit: model["context_limit"] as? Int))
            } else {
                throw fail("models must be a list of names, or of entries with name and context_limit")
            }
        }
        let keyVariable = (table["api_key_env"] as? String).flatMap { $0.isEmpty ? nil : $0 }
        return CustomProvider(name: (table["name"] as? String) ?? name, engine: engine, baseURL: baseURL,
                              keyVariable: keyVariable, headers: headers, models: models, file: file.path)
    }
}
