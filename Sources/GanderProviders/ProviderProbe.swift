import AsyncHTTPClient
import GanderCore
import GanderHost

/// Asks a provider what `gander configure` and `gander info --check` need to know: whether it answers, and which
/// models it serves.
public enum ProviderProbe {
    /// Sends a one-word request and stops at the first sign of an answer; nil when the provider answered, else its
    /// error in one line.
    public static func check(_ provider: any ModelProvider) async -> String? {
        let request = ModelRequest(systemPrompt: "Answer with one word.", messages: [.user("Say OK.")], tools: [])
        do {
            for try await event in provider.stream(request) {
                switch event {
                case .textDelta, .reasoningDelta, .usage, .stop, .toolCallStarted: return nil
                default: continue
                }
            }
            return nil
        } catch {
            return String(describing: error)
        }
    }

    /// The models the provider's server lists, newest names as the server orders them; nil for providers whose API
    /// has no list (Bedrock, Vertex, Azure deployments, Databricks endpoints).
    public static func models(_ settings: ProviderSettings, environment: [String: String]) async throws -> [String]? {
        func value(_ name: String) -> String? { environment[name].flatMap { $0.isEmpty ? nil : $0 } }
        let transport = HTTPTransport(provider: settings.provider, keyVariable: ProviderFactory.keyVariable(for: settings.provider),
                                      retryPolicy: RetryPolicy(maxAttempts: 2), timeouts: Timeouts(connect: 10, idleRead: 30),
                                      network: NetworkEnvironment(environment: environment))
        func get(_ url: String, headers: [(String, String)]) async throws -> JSONValue {
            var request = HTTPClientRequest(url: url)
            for (name, value) in headers { request.headers.add(name: name, value: value) }
            let body = try await transport.fetch(request, kind: .probe, upTo: 16 << 20)
            guard let json = try? JSONValue(parsing: String(buffer: body)) else {
                throw ProviderError.malformed(provider: settings.provider, detail: "its model list is not JSON")
            }
            return json
        }
        switch settings.provider {
        case "openai":
            let base = try ProviderFactory.normalized(settings.baseURL ?? value("OPENAI_BASE_URL") ?? ProviderFactory.openAIDefaultBaseURL)
            let json = try await get(base + "/models", headers: value("OPENAI_API_KEY").map { [("authorization", "Bearer \($0)")] } ?? [])
            return (json["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        case "anthropic":
            let base = try ProviderFactory.normalized(settings.baseURL ?? value("ANTHROPIC_BASE_URL") ?? "https://api.anthropic.com")
            let json = try await get(base + "/v1/models?limit=100", headers: [("x-api-key", value("ANTHROPIC_API_KEY") ?? ""),
                                                                             ("anthropic-version", AnthropicMessagesFormat.apiVersion)])
            return (json["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        case "google":
            let base = try ProviderFactory.normalized(settings.baseURL ?? "https://generativelanguage.googleapis.com")
            let key = value("GOOGLE_API_KEY") ?? value("GEMINI_API_KEY") ?? ""
            let json = try await get(base + "/v1beta/models?pageSize=200", headers: [("x-goog-api-key", key)])
            return (json["models"]?.arrayValue ?? []).filter { model in
                (model["supportedGenerationMethods"]?.arrayValue ?? []).contains("generateContent")
            }.compactMap { $0["name"]?.stringValue.map { $0.hasPrefix("models/") ? String($0.dropFirst(7)) : $0 } }
        case "ollama":
            let base = try ProviderFactory.normalized(settings.baseURL ?? value("OLLAMA_HOST") ?? "http://localhost:11434")
            let json = try await get(base + "/api/tags", headers: [])
            return (json["models"]?.arrayValue ?? []).compactMap { $0["name"]?.stringValue }
        default:
            guard let preset = OpenAICompatiblePreset.named(settings.provider) else { return nil }
            let base = try ProviderFactory.normalized(settings.baseURL ?? preset.baseURL)
            let key = preset.keyVariable.flatMap(value)
            let json = try await get(base + "/models", headers: key.map { [("authorization", "Bearer \($0)")] } ?? [])
            return (json["data"]?.arrayValue ?? []).compactMap { $0["id"]?.stringValue }
        }
    }
}
