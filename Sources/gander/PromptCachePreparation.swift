import Foundation
import GanderCore
import GanderExtensions
import GanderLocal

/// What `gander local install` does last: evaluates, once, the opening that every run of the embedded model shares —
/// Gander's instructions and the tools a run offers it — and leaves it in the prompt cache. On two cores the default
/// model reads that opening at about 90 tokens a second; without this, a new user's first run would spend its first
/// ~15 s on it, and only the runs after would start at once.
struct PromptCachePreparation {
    let settings: Settings
    /// The model to prepare: the one just installed, else the one a run would use.
    let model: String?

    /// The prompt's length and how many of its tokens were already in the cache.
    func run() async throws -> (model: String, tokens: Int, alreadyCached: Int)? {
        let choice = ProviderChoice(providerFlag: "local", modelFlag: model, config: settings.config,
                                    environment: settings.environment)
        // An empty folder of its own: the opening holds nothing of any project (their date and hints come with
        // the instruction), so any folder would do, but none may be read.
        let folder = FileManager.default.temporaryDirectory.appendingPathComponent("gander-prepare-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: folder) }
        let made = try choice.make(baseURL: nil, retries: 1, sampling: SamplingSettings(),
                                   contextLimit: try settings.userContextLimit(for: choice)?.tokens,
                                   environment: settings.providerEnvironment, directories: settings.directories,
                                   workingDirectory: folder)
        guard let provider = made as? LocalProvider else { return nil }
        let assembly = try AgentAssembly(settings: settings, provider: "local",
                                         sandbox: settings.sandbox(flag: nil, networkFlag: false, mode: .smart),
                                         workingDirectory: folder)
        // The built-ins only: MCP servers are not started by an install (a run offers their tools after these).
        let builtins = assembly.extensions.filter { !($0 is MCPExtension) }
        let tools = await ToolRouter(extensions: builtins).catalog().specs
        let request = ModelRequest(systemPrompt: assembly.systemPrompt.text(extensions: builtins),
                                   messages: [.user("List the files in this folder.")], tools: tools)
        let prepared = try provider.prepare(request)
        return (provider.model, prepared.tokens, prepared.alreadyCached)
    }
}
