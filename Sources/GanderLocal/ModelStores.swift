import Foundation

/// GGUF models other tools have already put on this machine, found where those tools keep them and used in
/// place, never copied: Ollama's store (a manifest per model naming a content-addressed blob), the Hugging Face
/// cache (snapshots whose files link to blobs), LM Studio's model folders and llama.cpp's download cache.
struct ModelStores {
    let environment: [String: String]

    private var home: URL {
        URL(fileURLWithPath: environment["HOME"].flatMap { $0.isEmpty ? nil : $0 } ?? NSHomeDirectory())
    }

    private func directory(_ variable: String, default path: String) -> URL {
        if let value = environment[variable], !value.isEmpty { return URL(fileURLWithPath: value) }
        return home.appendingPathComponent(path)
    }

    func models() -> [LocalRuntime.Model] {
        ollama() + huggingFace() + lmStudio() + llamaCpp()
    }

    /// `~/.ollama/models` (or `OLLAMA_MODELS`): manifests/HOST/NAMESPACE/MODEL/TAG, JSON whose model layer names
    /// the blob `blobs/sha256-…`. Named `MODEL:TAG`, as `ollama list` shows them (namespace when not `library`).
    private func ollama() -> [LocalRuntime.Model] {
        let root = directory("OLLAMA_MODELS", default: ".ollama/models")
        let manifests = root.appendingPathComponent("manifests")
        var found: [LocalRuntime.Model] = []
        for file in Self.files(under: manifests, depth: 4) {
            let parts = file.path.dropFirst(manifests.path.count + 1).split(separator: "/").map(String.init)
            guard parts.count == 4, let data = try? Data(contentsOf: file),
                  let manifest = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
                  let layers = manifest["layers"] as? [[String: Any]],
                  let layer = layers.first(where: { ($0["mediaType"] as? String) == "application/vnd.ollama.image.model" }),
                  let digest = layer["digest"] as? String
            else { continue }
            let blob = root.appendingPathComponent("blobs").appendingPathComponent(digest.replacingOccurrences(of: ":", with: "-"))
            guard FileManager.default.fileExists(atPath: blob.path) else { continue }
            let name = (parts[1] == "library" ? "" : parts[1] + "/") + parts[2] + ":" + parts[3]
            found.append(LocalRuntime.Model(name: name, path: blob.path, source: "ollama"))
        }
        return found
    }

    /// `~/.cache/huggingface/hub` (or `HF_HUB_CACHE`, `HF_HOME/hub`): models--ORG--NAME/snapshots/REVISION/…gguf.
    /// Named `ORG/NAME/FILE` without `.gguf`.
    private func huggingFace() -> [LocalRuntime.Model] {
        let root: URL
        if let cache = environment["HF_HUB_CACHE"], !cache.isEmpty {
            root = URL(fileURLWithPath: cache)
        } else if let hfHome = environment["HF_HOME"], !hfHome.isEmpty {
            root = URL(fileURLWithPath: hfHome).appendingPathComponent("hub")
        } else {
            root = directory("XDG_CACHE_HOME", default: ".cache").appendingPathComponent("huggingface/hub")
        }
        var found: [LocalRuntime.Model] = []
        for repository in (try? FileManager.default.contentsOfDirectory(atPath: root.path))?.sorted() ?? []
        where repository.hasPrefix("models--") {
            let repo = repository.dropFirst("models--".count).replacingOccurrences(of: "--", with: "/")
            let snapshots = root.appendingPathComponent(repository).appendingPathComponent("snapshots")
            var seen: Set<String> = []
            for file in Self.ggufs(under: snapshots, depth: 4) {
                let name = repo + "/" + file.deletingPathExtension().lastPathComponent
                guard seen.insert(name).inserted else { continue }  // the same file in several revisions
                found.append(LocalRuntime.Model(name: name, path: file.path, source: "huggingface"))
            }
        }
        return found
    }

    /// LM Studio's folders (`~/.lmstudio/models`, `~/.cache/lm-studio/models`): PUBLISHER/REPO/FILE.gguf.
    private func lmStudio() -> [LocalRuntime.Model] {
        var found: [LocalRuntime.Model] = []
        for root in [home.appendingPathComponent(".lmstudio/models"), home.appendingPathComponent(".cache/lm-studio/models")] {
            for file in Self.ggufs(under: root, depth: 3) {
                let relative = file.path.dropFirst(root.path.count + 1)
                found.append(LocalRuntime.Model(name: String(relative.dropLast(".gguf".count)), path: file.path, source: "lm-studio"))
            }
        }
        return found
    }

    /// llama.cpp's `-hf` download cache (`LLAMA_CACHE`, else `~/.cache/llama.cpp`).
    private func llamaCpp() -> [LocalRuntime.Model] {
        let root = environment["LLAMA_CACHE"].flatMap { $0.isEmpty ? nil : URL(fileURLWithPath: $0) }
            ?? directory("XDG_CACHE_HOME", default: ".cache").appendingPathComponent("llama.cpp")
        return Self.ggufs(under: root, depth: 1).map {
            LocalRuntime.Model(name: $0.deletingPathExtension().lastPathComponent, path: $0.path, source: "llama.cpp")
        }
    }

    /// The GGUF models under `root`: vision projectors left out, a split model by its first part only.
    static func ggufs(under root: URL, depth: Int) -> [URL] {
        files(under: root, depth: depth).filter { file in
            let name = file.lastPathComponent.lowercased()
            guard name.hasSuffix(".gguf"), !name.contains("mmproj") else { return false }
            if let part = SplitGGUF(fileName: name) { return part.index == 1 }
            return true
        }
    }

    /// Regular files (symbolic links followed) at most `depth` levels below `root`, sorted.
    static func files(under root: URL, depth: Int) -> [URL] {
        var found: [URL] = []
        func walk(_ directory: URL, level: Int) {
            guard let names = try? FileManager.default.contentsOfDirectory(atPath: directory.path) else { return }
            for name in names.sorted() where !name.hasPrefix(".") {
                let child = directory.appendingPathComponent(name)
                var isDirectory: ObjCBool = false
                guard FileManager.default.fileExists(atPath: child.path, isDirectory: &isDirectory) else { continue }
                if isDirectory.boolValue {
                    if level < depth { walk(child, level: level + 1) }
                } else {
                    found.append(child)
                }
            }
        }
        walk(root, level: 1)
        return found
    }
}

/// The naming llama.cpp's `gguf-split` gives the parts of a large model: `NAME-00001-of-00003.gguf`.
struct SplitGGUF: Equatable {
    let index: Int
    let count: Int

    init?(fileName: String) {
        let stem = fileName.lowercased().hasSuffix(".gguf") ? String(fileName.dropLast(5)) : fileName
        let pieces = stem.split(separator: "-")
        guard pieces.count >= 3, pieces[pieces.count - 2] == "of",
              let index = Int(pieces[pieces.count - 3]), let count = Int(pieces[pieces.count - 1]),
              index >= 1, index <= count
        else { return nil }
        self.index = index
        self.count = count
    }

    /// Every part's path, given the first's.
    static func parts(of path: String) -> [String] {
        let url = URL(fileURLWithPath: path)
        let name = url.lastPathComponent
        guard let split = SplitGGUF(fileName: name), split.index == 1,
              let marker = name.range(of: "-of-", options: .backwards),
              let dash = name[..<marker.lowerBound].lastIndex(of: "-")
        else { return [path] }
        let indexStart = name.index(after: dash)
        let width = name.distance(from: indexStart, to: marker.lowerBound)
        return (1...split.count).map { part in
            let number = String(repeating: "0", count: max(0, width - String(part).count)) + String(part)
            return url.deletingLastPathComponent().appendingPathComponent(name[..<indexStart] + number + name[marker.lowerBound...]).path
        }
    }
}
