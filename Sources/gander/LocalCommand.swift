import ArgumentParser
import Foundation
import GanderLocal

struct LocalCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "local",
        abstract: "Manage the embedded model runtime (llama.cpp) and the models it runs.",
        subcommands: [Install.self, List.self, Add.self, Bench.self])

    struct Install: ParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "install",
            abstract: "Install llama.cpp and the default model (SmolLM2-135M-Instruct) into Gander's data directory.")

        func run() throws {
            let runtime = LocalRuntime(environment: ProcessInfo.processInfo.environment)
            try LocalInstaller(runtime: runtime) { line in
                FileHandle.standardError.write(Data("gander: \(line)\n".utf8))
            }.install()
            print("The local runtime is ready in \(runtime.directory.path).")
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
    struct Bench: ParsableCommand {
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
        func execute() async throws {
            let provider = try LocalProvider(
                runtime: LocalRuntime(environment: ProcessInfo.processInfo.environment), model: model,
                contextLimit: contextLimit, sampling: SamplingSettings(temperature: 0, maxTokens: maxTokens), threads: threads)
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
