import ArgumentParser
import Foundation
import GanderCore
import GanderExtensions
import GanderLocal

struct RunCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "run",
        abstract: "Carry out one instruction without interaction, for scripts and CI.",
        discussion: """
            Examples:
              gander run -t "add a --verbose flag to main.py and test it"
              gander run -i task.md --provider anthropic --model claude-sonnet-4-5
              git diff | gander run -i - -t "review this diff" --output-format json
              gander run -t "fix the failing test" --provider openai --base-url http://localhost:8080/v1 --model qwen

            The provider comes from --provider, else GANDER_PROVIDER, else whichever of ANTHROPIC_API_KEY or \
            OPENAI_API_KEY is set, else the embedded local model (install it with `gander local install`). The model \
            comes from --model, else GANDER_MODEL, else the provider's default. `gander info` shows the choice.

            Exit status: 0 done, 1 error (including --max-turns reached), 2 usage error, 130 interrupted.
            """)

    @Option(name: [.customShort("t"), .long], help: "The instruction.")
    var text: String?

    @Option(name: [.customShort("i"), .long], help: ArgumentHelp("Read the instruction from a file, or - for stdin.", valueName: "file"))
    var instructions: String?

    @Option(help: ArgumentHelp("local (the default: an embedded open model), openai, anthropic or ollama.", valueName: "name"))
    var provider: String?

    @Option(help: "The model to ask, e.g. gpt-4.1, claude-sonnet-4-5, qwen3; for local, a name from `gander local list` or a .gguf path.")
    var model: String?

    @Option(help: "Local model: sampling temperature (0 picks the likeliest token every time).")
    var temperature: Float = 0.2

    @Option(help: "Local model: nucleus sampling threshold.")
    var topP: Float = 0.95

    @Option(help: "Local model: random seed; the same seed and input give the same output.")
    var seed: UInt32 = 42

    @Option(help: ArgumentHelp("The server's base URL, e.g. http://localhost:8080/v1 for an OpenAI-compatible server.", valueName: "url"))
    var baseURL: String?

    @Option(help: "Stop after this many model calls.")
    var maxTurns: Int = 1000

    @Option(help: "Refuse a tool call repeated with the same arguments more than this many times in a row.")
    var maxToolRepetitions: Int = 3

    @Option(help: "Tries per model call when the server is busy or the connection drops.")
    var maxRetries: Int = 5

    @Option(help: ArgumentHelp("text (the answer), json (one object at the end) or stream-json (one event per line).", valueName: "format"))
    var outputFormat: OutputFormat = .text

    @Flag(name: [.customShort("q"), .long], help: "Print nothing but the answer and errors.")
    var quiet = false

    @Flag(name: [.customShort("v"), .long], help: "Show each tool call and its result on stderr even when it is not a terminal.")
    var verbose = false

    mutating func validate() throws {
        if text == nil, instructions == nil {
            throw ValidationError("give the instruction with -t TEXT, -i FILE or -i - (stdin)")
        }
        if maxTurns < 1 { throw ValidationError("--max-turns must be at least 1") }
        if maxToolRepetitions < 1 { throw ValidationError("--max-tool-repetitions must be at least 1") }
        if maxRetries < 1 { throw ValidationError("--max-retries must be at least 1") }
    }

    func run() throws {}

    /// Runs the instruction and returns the process's exit status.
    mutating func execute() async -> Int32 {
        let environment = ProcessInfo.processInfo.environment
        let printer = EventPrinter(format: outputFormat, quiet: quiet, verbose: verbose)
        let agent: Agent
        let instruction: String
        do {
            instruction = try readInstruction()
            agent = try makeAgent(environment: environment)
        } catch let error as InputError {
            printer.fail(error.description)
            return ExitStatus.usage
        } catch {
            printer.fail(String(describing: error))
            return ExitStatus.failure
        }

        let run = agent.run(.user(instruction))
        let interrupts = InterruptHandler { run.cancel() }
        defer { interrupts.stop() }
        var outcome: AgentOutcome?
        for await event in run.events {
            printer.show(event)
            if case .finished(let finished) = event { outcome = finished }
        }
        printer.finish()
        switch outcome?.stopReason {
        case .answered: return ExitStatus.success
        case .interrupted: return ExitStatus.interrupted
        case .error, .maxTurns, nil: return ExitStatus.failure
        }
    }

    private func readInstruction() throws -> String {
        var parts: [String] = []
        if let instructions {
            if instructions == "-" {
                let data = FileHandle.standardInput.readDataToEndOfFile()
                parts.append(String(decoding: data, as: UTF8.self))
            } else {
                let url = URL(fileURLWithPath: instructions)
                guard FileManager.default.fileExists(atPath: url.path) else {
                    throw InputError("\(instructions) does not exist; pass an existing file to -i, or - for stdin")
                }
                guard let text = try? String(contentsOf: url, encoding: .utf8) else {
                    throw InputError("\(instructions) cannot be read as UTF-8 text")
                }
                parts.append(text)
            }
        }
        if let text { parts.append(text) }
        let instruction = parts.joined(separator: "\n\n").trimmingCharacters(in: .whitespacesAndNewlines)
        guard !instruction.isEmpty else { throw InputError("the instruction is empty; say what Gander should do") }
        return instruction
    }

    private func makeAgent(environment: [String: String]) throws -> Agent {
        let choice = ProviderChoice(providerFlag: provider, modelFlag: model, environment: environment)
        let sampling = SamplingSettings(temperature: temperature, topP: topP, seed: seed)
        let modelProvider = try choice.make(baseURL: baseURL, retries: maxRetries, sampling: sampling, environment: environment)

        let workingDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
        let extensions: [any Extension] = [DeveloperExtension()]
        let hints = Hints.load(workingDirectory: workingDirectory, globalFile: GanderPaths(environment: environment).globalHints)
        let prompt = SystemPrompt.compose(extensions: extensions, hints: hints, workingDirectory: workingDirectory)
        return Agent(
            provider: modelProvider, router: ToolRouter(extensions: extensions), systemPrompt: prompt,
            context: ToolContext(workingDirectory: workingDirectory),
            limits: AgentLimits(maxTurns: maxTurns, maxToolRepetitions: maxToolRepetitions))
    }
}

/// A problem with what the user passed, reported with exit status 2.
struct InputError: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}

enum OutputFormat: String, ExpressibleByArgument, CaseIterable {
    case text
    case json
    case streamJSON = "stream-json"
}
