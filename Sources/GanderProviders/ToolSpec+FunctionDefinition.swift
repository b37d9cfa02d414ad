import GanderCore

extension ToolSpec {
    /// The tool as a `{"type": "function", …}` definition, which OpenAI's and Ollama's chat APIs share.
    var functionDefinition: JSONValue {
        ["type": "function",
         "function": ["name": .string(name), "description": .string(description), "parameters": inputSchema]]
    }
}
