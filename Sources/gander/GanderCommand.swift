import ArgumentParser
import GanderCore

/// The exit statuses scripts can rely on.
enum ExitStatus {
    static let success: Int32 = 0
    static let failure: Int32 = 1
    static let usage: Int32 = 2
    /// 128 + SIGINT, as shells report an interrupted command.
    static let interrupted: Int32 = 130
}

struct GanderCommand: ParsableCommand {
    static let version = GanderVersion.current

    static let configuration = CommandConfiguration(
        commandName: "gander",
        abstract: "An open-source AI agent for developers: one instruction in, the work done on your machine.",
        discussion: """
            Gander reads and edits files, runs commands and searches code with the model you choose: by default an \
            open model that runs offline on this machine (`gander local install`), or OpenAI, Anthropic, Google \
            (Gemini and Vertex AI), Azure OpenAI, Amazon Bedrock, Databricks, Ollama, and any OpenAI-compatible server \
            (OpenRouter, Groq, Mistral, DeepSeek, xAI, Together, LM Studio, vLLM, llama.cpp, LiteLLM): see --provider.

            Exit status: 0 done, 1 error, 2 usage error, 130 interrupted.
            """,
        version: version,
        subcommands: [RunCommand.self, SessionCommand.self, SessionsCommand.self, ExtensionsCommand.self, MCPCommand.self,
                      LocalCommand.self, RecipeCommand.self, ConfigureCommand.self, InfoCommand.self, UndoCommand.self, CheckpointsCommand.self, AuditCommand.self,
                      ScheduleCommand.self, ACPCommand.self, ServeCommand.self])
}
