import Foundation
import GanderCore

/// `gander local pull`: finds the file(s) a reference means and downloads them into Gander's model folder
/// (`models/` in its data directory), where `gander local list` and `--model` find them.
public struct ModelPuller: Sendable {
    let runtime: LocalRuntime
    let hub: HuggingFaceHub
    let downloader: ModelDownloader

    /// `recorder` hears about every request and download as it leaves, for the ledger.
    public init(runtime: LocalRuntime, environment: [String: String], recorder: (any OutboundRecorder)? = nil,
                progress: @escaping @Sendable (DownloadProgress) -> Void) {
        self.runtime = runtime
        hub = HuggingFaceHub(environment: environment, recorder: recorder)
        downloader = ModelDownloader(hub: hub, progress: progress)
    }

    /// What a pull will fetch, before it does: the name the model will have, and each file with its URL.
    public struct Plan: Sendable {
        public let name: String
        public let files: [(url: URL, destination: URL, size: Int64?, sha256: String?)]
        public var totalBytes: Int64? {
            files.allSatisfy { $0.size != nil } ? files.reduce(0) { $0 + ($1.size ?? 0) } : nil
        }
    }

    public func plan(_ reference: ModelReference) async throws -> Plan {
        switch reference {
        case .url(let url):
            let name = url.deletingPathExtension().lastPathComponent
            let destination = runtime.pulledModels.appendingPathComponent("url").appendingPathComponent(url.host ?? "web")
                .appendingPathComponent(url.lastPathComponent)
            return Plan(name: name.lowercased(), files: [(url, destination, nil, nil)])
        case .hub(let repository, let quantization):
            let choice = try QuantizationChoice(files: try await hub.ggufFiles(in: repository), wanted: quantization,
                                                repository: repository)
            let folder = runtime.pulledModels.appendingPathComponent(repository)
            return Plan(name: "\(repository):\(choice.quantization)", files: choice.files.map { file in
                (hub.resolveURL(repository: repository, path: file.path),
                 folder.appendingPathComponent(URL(fileURLWithPath: file.path).lastPathComponent), file.size, file.sha256)
            })
        }
    }

    /// Downloads what `plan` names; files already whole are skipped, parts are resumed.
    public func pull(_ plan: Plan) async throws {
        for file in plan.files {
            try await downloader.download(file.url, to: file.destination, size: file.size, sha256: file.sha256)
        }
    }
}

/// What this machine can run well, for `gander local recommend`: a short list of coding models that call tools in a
/// format Gander speaks, by the memory they need at Q4_K_M.
public struct ModelRecommendation: Sendable, Equatable {
    public let reference: String
    public let description: String
    /// The download at Q4_K_M, and the memory it needs to run with a working context.
    public let downloadGB: Double
    public let memoryGB: Double

    public static let curated: [ModelRecommendation] = [
        .init(reference: "Qwen/Qwen2.5-Coder-1.5B-Instruct-GGUF", description: "small and quick; simple edits and questions", downloadGB: 1.1, memoryGB: 2.5),
        .init(reference: "Qwen/Qwen2.5-Coder-3B-Instruct-GGUF", description: "a good first local coder on a laptop", downloadGB: 2.1, memoryGB: 4),
        .init(reference: "Qwen/Qwen3-4B-GGUF", description: "reasons before it acts; strong tool calls for its size", downloadGB: 2.5, memoryGB: 5),
        .init(reference: "Qwen/Qwen2.5-Coder-7B-Instruct-GGUF", description: "the usual pick for real work on 16 GB", downloadGB: 4.7, memoryGB: 8),
        .init(reference: "Qwen/Qwen3-8B-GGUF", description: "general and coding work, good at multi-step tasks", downloadGB: 5.0, memoryGB: 9),
        .init(reference: "Qwen/Qwen2.5-Coder-14B-Instruct-GGUF", description: "noticeably better code, needs 16 GB free", downloadGB: 9.0, memoryGB: 14),
        .init(reference: "unsloth/Qwen3-Coder-30B-A3B-Instruct-GGUF", description: "mixture of experts: 30B knowledge at 3B speed", downloadGB: 18.6, memoryGB: 22),
        .init(reference: "Qwen/Qwen2.5-Coder-32B-Instruct-GGUF", description: "the strongest here; slow without a GPU", downloadGB: 19.9, memoryGB: 24),
    ]

    /// The curated models that fit in `memoryGB`, largest first.
    public static func fitting(memoryGB: Double) -> [ModelRecommendation] {
        curated.filter { $0.memoryGB <= memoryGB }.sorted { $0.memoryGB > $1.memoryGB }
    }

    /// This machine's memory in GB, from /proc/meminfo (Linux) or the physical memory Foundation reports.
    public static var machineMemoryGB: Double {
        if let text = try? String(contentsOfFile: "/proc/meminfo", encoding: .utf8),
           let line = text.split(separator: "\n").first(where: { $0.hasPrefix("MemTotal:") }),
           let kilobytes = line.split(separator: " ").dropFirst().first.flatMap({ Double($0) }) {
            return kilobytes / 1_048_576
        }
        return Double(ProcessInfo.processInfo.physicalMemory) / 1_073_741_824
    }
}
