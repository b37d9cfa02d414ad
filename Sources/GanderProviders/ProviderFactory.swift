import Foundation
import GanderCore
import GanderHost

/// How the user asked for a provider: flags and `GANDER_*` settings, before the environment fills the gaps.
public struct ProviderSettings: Sendable {
    public var provider: String
    public var model: String?
    public var baseURL: String?
    /// Overrides the context window the model is asked to use (Ollama's `num_ctx`).
    public var contextLimit: Int?
    public var retryPolicy: RetryPolicy
    public var connectTimeout: Double
    /// The longest a server may go without sending content mid-answer (silent, or only keep-alives).
    public var idleReadTimeout: Double
    /// The longest one model call may take in all.
    public var callTimeout: Double = 1800

    public init(provider: String, model: String? = nil, baseURL: String? = nil, contextLimit: Int? = nil,
                retryPolicy: RetryPolicy = RetryPolicy(), connectTimeout: Double = 10, idleReadTimeout: Double = 300) {
        self.provider = provider
        self.model = model
        self.baseURL = baseURL
        self.contextLimit = contextLimit
        self.retryPolicy = retryPolicy
        self.connectTimeout = connectTimeout
        self.idleReadTimeout = idleReadTimeout
    }
}

/// Builds the provider the user named, reading keys and addresses from the environment.
public enum ProviderFactory {
    /// Every provider Gander speaks, as users type them.
    /// The providers with a wire format of their own, as `--provider` takes them.
    public static let nativeNames = ["openai", "anthropic", "google", "vertex", "azure", "bedrock", "databricks", "ollama"]
    public static let names = nativeNames + OpenAICompatiblePreset.names

    /// The variables Gander reads model-provider keys from.
    static let modelKeyVariables = Set(["OPENAI_API_KEY", "ANTHROPIC_API_KEY", "GEMINI_API_KEY", "GOOGLE_API_KEY",
                                        "AZURE_OPENAI_API_KEY", "AZURE_OPENAI_AD_TOKEN", "DATABRICKS_TOKEN",
                                        "DATABRICKS_CLIENT_SECRET"]
                                       + OpenAICompatiblePreset.all.compactMap(\.keyVariable))

    /// The credentials Gander itself uses when it talks to `provider` (nil: to none), which commands the model runs
    /// never see, even with `command_env: {keep: all}` (`CommandEnvironmentPolicy`): every model-provider key it knows,
    /// and the AWS credentials — general-purpose cloud credentials otherwise — when it talks to Bedrock.
    public static func credentialVariables(activeProvider provider: String?) -> Set<String> {
        provider == "bedrock"
            ? modelKeyVariables.union(["AWS_ACCESS_KEY_ID", "AWS_SECRET_ACCESS_KEY", "AWS_SESSION_TOKEN"])
            : modelKeyVariables
    }

    /// The Azure OpenAI API version used when `OPENAI_API_VERSION` does not name one: the latest generally available.
    public static let azureDefaultAPIVersion = "2024-10-21"

    public static let openAIDefaultBaseURL = "https://api.openai.com/v1"

    /// The model each provider uses when the user names none.
    public static func defaultModel(for provider: String) -> String? {
        switch provider {
        case "openai": "gpt-4.1"
        case "anthropic": "claude-sonnet-4-5"
        case "google", "vertex": "gemini-2.5-flash"
        case "bedrock": "us.anthropic.claude-sonnet-4-5-20250929-v1:0"
        case "ollama": "qwen3"
        default: OpenAICompatiblePreset.named(provider)?.defaultModel
        }
    }

    /// The provider a user who named none most likely meant: the one whose key is set.
    public static func inferredProvider(environment: [String: String]) -> String? {
        if nonEmpty(environment["ANTHROPIC_API_KEY"]) != nil { return "anthropic" }
        if nonEmpty(environment["OPENAI_API_KEY"]) != nil || nonEmpty(environment["OPENAI_BASE_URL"]) != nil { return "openai" }
        if googleKeyVariable(environment) != nil { return "google" }
        return nil
    }

    /// The error for a provider name Gander does not speak, listing `known` names.
    public static func unknownProvider(_ name: String, known: [String] = names) -> ProviderError {
        .configuration("unknown provider \"\(name)\"; choose one of \(known.joined(separator: ", ")) with --provider, or "
            + "describe it in providers/\(name).yaml in Gander's config directory")
    }

    public static func make(_ settings: ProviderSettings, environment: [String: String]) throws -> any ModelProvider {
        if settings.provider == "azure", settings.model == nil {
            throw ProviderError.configuration("azure needs the name of your deployment: pass it as --model DEPLOYMENT")
        }
        if settings.provider == "databricks", settings.model == nil {
            throw ProviderError.configuration("databricks needs the name of a serving endpoint: pass it as --model ENDPOINT")
        }
        if let preset = OpenAICompatiblePreset.named(settings.provider), settings.model == nil, preset.defaultModel == nil {
            throw ProviderError.configuration(
                "\(preset.name) serves the models loaded into it: pass one as --model NAME (its /v1/models lists them)")
        }
        guard let model = settings.model ?? defaultModel(for: settings.provider) else {
            throw unknownProvider(settings.provider)
        }
        let timeouts = Timeouts(connect: settings.connectTimeout, idleRead: settings.idleReadTimeout, wholeCall: settings.callTimeout)
        func transport(_ keyVariable: String?) -> HTTPTransport {
            HTTPTransport(provider: settings.provider, keyVariable: keyVariable, retryPolicy: settings.retryPolicy,
                          timeouts: timeouts, network: NetworkEnvironment(environment: environment))
        }

        switch settings.provider {
        case "openai":
            let baseURL = try normalized(settings.baseURL ?? nonEmpty(environment["OPENAI_BASE_URL"]) ?? openAIDefaultBaseURL)
            let key = nonEmpty(environment["OPENAI_API_KEY"])
            // Local OpenAI-compatible servers need no key; OpenAI itself always does.
            if key == nil, baseURL == openAIDefaultBaseURL {
                throw ProviderError.configuration(
                    "OPENAI_API_KEY is not set; export it, or point --base-url at an OpenAI-compatible server")
            }
            switch try openAIAPI(model: model, environment: environment) {
            case .responses:
                let format = OpenAIResponsesFormat(model: model, baseURL: baseURL, apiKey: key)
                return HTTPModelProvider(name: "openai", model: model, format: format, transport: transport("OPENAI_API_KEY"))
            case .chatCompletions:
                let format = OpenAIChatFormat(model: model, baseURL: baseURL, apiKey: key)
                return HTTPModelProvider(name: "openai", model: model, format: format, transport: transport("OPENAI_API_KEY"))
            }
        case "anthropic":
            guard let key = nonEmpty(environment["ANTHROPIC_API_KEY"]) else {
                throw ProviderError.configuration("ANTHROPIC_API_KEY is not set; export it, or choose another --provider")
            }
            let baseURL = try normalized(settings.baseURL ?? nonEmpty(environment["ANTHROPIC_BASE_URL"]) ?? "https://api.anthropic.com")
            let format = AnthropicMessagesFormat(model: model, baseURL: baseURL, apiKey: key,
                                                 maxTokens: try ModelCatalog.maxOutputTokens(for: model, environment: environment))
            return HTTPModelProvider(name: "anthropic", model: model, format: format, transport: transport("ANTHROPIC_API_KEY"))
        case "google":
            guard let keyVariable = googleKeyVariable(environment), let key = nonEmpty(environment[keyVariable]) else {
                throw ProviderError.configuration(
                    "neither GOOGLE_API_KEY nor GEMINI_API_KEY is set; export one (a key from Google AI Studio), or "
                        + "choose another --provider")
            }
            let baseURL = try normalized(settings.baseURL ?? "https://generativelanguage.googleapis.com")
            let format = GeminiFormat(model: model, baseURL: baseURL, apiKey: key)
            return HTTPModelProvider(name: "google", model: model, format: format, transport: transport(keyVariable))
        case "vertex":
            return try vertex(model: model, settings: settings, environment: environment, transport: transport)
        case "azure":
            return try azure(deployment: model, settings: settings, environment: environment, transport: transport)
        case "bedrock":
            let (credentials, region) = try AWSCredentials.resolve(environment: environment)
            let endpoint = try normalized(settings.baseURL ?? "https://bedrock-runtime.\(region).amazonaws.com")
            let format = BedrockConverseFormat(
                model: model, endpoint: endpoint,
                signer: SigV4Signer(credentials: credentials, service: "bedrock", region: region),
                maxTokens: try ModelCatalog.maxOutputTokens(for: model, environment: environment))
            return HTTPModelProvider(name: "bedrock", model: model, format: format, transport: transport(credentials.source))
        case "databricks":
            return try databricks(endpoint: model, settings: settings, environment: environment, transport: transport)
        case "ollama":
            let baseURL = try normalized(settings.baseURL ?? nonEmpty(environment["OLLAMA_HOST"]) ?? "http://localhost:11434")
            let format = OllamaChatFormat(model: model, baseURL: baseURL, contextLimit: settings.contextLimit)
            return HTTPModelProvider(name: "ollama", model: model, format: format, transport: transport(nil))
        default:
            guard let preset = OpenAICompatiblePreset.named(settings.provider) else { throw unknownProvider(settings.provider) }
            let key = preset.keyVariable.flatMap { nonEmpty(environment[$0]) }
            if key == nil, preset.keyRequired, let variable = preset.keyVariable {
                throw ProviderError.configuration("\(variable) is not set; export it, or choose another --provider")
            }
            let baseURL = try normalized(settings.baseURL ?? preset.baseURL)
            let format = OpenAIChatFormat(provider: preset.name, model: model, baseURL: baseURL, apiKey: key)
            return HTTPModelProvider(name: preset.name, model: model, format: format, transport: transport(preset.keyVariable))
        }
    }

    /// Vertex AI: Gemini's format at `https://REGION-aiplatform.googleapis.com/v1/projects/PROJECT/locations/REGION/
    /// publishers/google/models/MODEL:streamGenerateContent`, with an OAuth token from a service account's key file
    /// (`GOOGLE_APPLICATION_CREDENTIALS`) or from gcloud. The project comes from `GOOGLE_CLOUD_PROJECT` or the key
    /// file; the region from `GOOGLE_CLOUD_LOCATION`, else us-central1.
    private static func vertex(model: String, settings: ProviderSettings, environment: [String: String],
                               transport: (String?) -> HTTPTransport) throws -> any ModelProvider {
        let key = try nonEmpty(environment["GOOGLE_APPLICATION_CREDENTIALS"]).map(ServiceAccountKey.init(file:))
        guard let project = nonEmpty(environment["GOOGLE_CLOUD_PROJECT"]) ?? key?.projectID else {
            throw ProviderError.configuration("GOOGLE_CLOUD_PROJECT is not set; export the id of the project Vertex AI runs in")
        }
        let region = nonEmpty(environment["GOOGLE_CLOUD_LOCATION"]) ?? "us-central1"
        let host = region == "global" ? "https://aiplatform.googleapis.com" : "https://\(region)-aiplatform.googleapis.com"
        let base = try normalized(settings.baseURL ?? host)
        let url = base + "/v1/projects/\(project)/locations/\(region)/publishers/google/models/\(model):streamGenerateContent?alt=sse"
        let authorization: any RequestAuthorization = key.map { ServiceAccountToken(key: $0, provider: "vertex") }
            ?? GcloudAccessToken()
        let format = GeminiFormat(provider: "vertex", model: model, url: url, authorization: authorization)
        let credentials = key == nil ? "your gcloud sign-in" : "GOOGLE_APPLICATION_CREDENTIALS"
        return HTTPModelProvider(name: "vertex", model: model, format: format, transport: transport(credentials))
    }

    /// Azure OpenAI: the model is the deployment, at `ENDPOINT/openai/deployments/NAME/chat/completions?api-version=…`,
    /// or at `ENDPOINT/openai/v1/chat/completions` when the endpoint names the newer v1 API. The key goes in `api-key`;
    /// an Entra ID token, as a bearer token.
    private static func azure(deployment: String, settings: ProviderSettings, environment: [String: String],
                              transport: (String?) -> HTTPTransport) throws -> any ModelProvider {
        guard let endpointText = settings.baseURL ?? nonEmpty(environment["AZURE_OPENAI_ENDPOINT"]) else {
            throw ProviderError.configuration(
                "AZURE_OPENAI_ENDPOINT is not set; export your resource's endpoint, like https://NAME.openai.azure.com")
        }
        let endpoint = try normalized(endpointText)
        let authorization: [(String, String)]
        let keyVariable: String
        if let key = nonEmpty(environment["AZURE_OPENAI_API_KEY"]) {
            (authorization, keyVariable) = ([("api-key", key)], "AZURE_OPENAI_API_KEY")
        } else if let token = nonEmpty(environment["AZURE_OPENAI_AD_TOKEN"]) {
            (authorization, keyVariable) = ([("authorization", "Bearer \(token)")], "AZURE_OPENAI_AD_TOKEN")
        } else {
            throw ProviderError.configuration(
                "AZURE_OPENAI_API_KEY is not set; export your resource's key, or an Entra ID token as AZURE_OPENAI_AD_TOKEN")
        }
        let url: String
        if endpoint.hasSuffix("/openai/v1") {
            url = endpoint + "/chat/completions"
        } else {
            let version = nonEmpty(environment["OPENAI_API_VERSION"]) ?? azureDefaultAPIVersion
            let name = deployment.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? deployment
            url = endpoint + "/openai/deployments/\(name)/chat/completions?api-version=\(version)"
        }
        let format = OpenAIChatFormat(provider: "azure", model: deployment, url: url, authorization: FixedHeaders(authorization))
        return HTTPModelProvider(name: "azure", model: deployment, format: format, transport: transport(keyVariable))
    }

    /// Databricks Model Serving: the model is the serving endpoint, at `HOST/serving-endpoints/NAME/invocations`, which
    /// speaks Chat Completions. A personal access token (`DATABRICKS_TOKEN`) is sent as a bearer token; a service
    /// principal (`DATABRICKS_CLIENT_ID` and `DATABRICKS_CLIENT_SECRET`) signs in with OAuth at `HOST/oidc/v1/token`.
    private static func databricks(endpoint: String, settings: ProviderSettings, environment: [String: String],
                                   transport: (String?) -> HTTPTransport) throws -> any ModelProvider {
        guard let hostText = settings.baseURL ?? nonEmpty(environment["DATABRICKS_HOST"]) else {
            throw ProviderError.configuration(
                "DATABRICKS_HOST is not set; export your workspace's address, like https://dbc-1234.cloud.databricks.com")
        }
        let host = try normalized(hostText)
        let authorization: any RequestAuthorization
        let keyVariable: String
        if let token = nonEmpty(environment["DATABRICKS_TOKEN"]) {
            (authorization, keyVariable) = (FixedHeaders([("authorization", "Bearer \(token)")]), "DATABRICKS_TOKEN")
        } else if let clientID = nonEmpty(environment["DATABRICKS_CLIENT_ID"]),
                  let secret = nonEmpty(environment["DATABRICKS_CLIENT_SECRET"]) {
            authorization = ClientCredentialsToken(provider: "databricks", tokenURL: host + "/oidc/v1/token",
                                                   clientID: clientID, clientSecret: secret, scope: "all-apis")
            keyVariable = "DATABRICKS_CLIENT_ID and DATABRICKS_CLIENT_SECRET"
        } else {
            throw ProviderError.configuration(
                "DATABRICKS_TOKEN is not set; export a personal access token, or DATABRICKS_CLIENT_ID and "
                    + "DATABRICKS_CLIENT_SECRET for a service principal")
        }
        let name = endpoint.addingPercentEncoding(withAllowedCharacters: .urlPathAllowed) ?? endpoint
        let format = OpenAIChatFormat(provider: "databricks", model: endpoint,
                                      url: host + "/serving-endpoints/\(name)/invocations", authorization: authorization)
        return HTTPModelProvider(name: "databricks", model: endpoint, format: format, transport: transport(keyVariable))
    }

    /// A provider described in a file. The model is the one named, else the file's first.
    public static func make(_ custom: CustomProvider, settings: ProviderSettings,
                            environment: [String: String]) throws -> any ModelProvider {
        guard let model = settings.model ?? custom.models.first?.name else {
            throw ProviderError.configuration("\(custom.file) lists no models; pass one as --model NAME")
        }
        var key: String?
        if let variable = custom.keyVariable {
            key = nonEmpty(environment[variable])
            guard key != nil else {
                throw ProviderError.configuration("\(variable) is not set; export it for the \(custom.name) provider (\(custom.file))")
            }
        }
        let headers = custom.headers.sorted { $0.key < $1.key }.map { ($0.key, $0.value) }
        let transport = HTTPTransport(provider: custom.name, keyVariable: custom.keyVariable,
                                      retryPolicy: settings.retryPolicy,
                                      timeouts: Timeouts(connect: settings.connectTimeout, idleRead: settings.idleReadTimeout, wholeCall: settings.callTimeout),
                                      network: NetworkEnvironment(environment: environment))
        let declared = custom.models.first { $0.name == model }?.contextLimit.map {
            ContextLimit(tokens: $0, source: "the context_limit of \(model) in \(custom.file)")
        }
        switch custom.engine {
        case .openai:
            let url = settings.baseURL.map { $0 + "/chat/completions" } ?? custom.chatCompletionsURL
            let authorization = FixedHeaders((key.map { [("authorization", "Bearer \($0)")] } ?? []) + headers)
            let format = OpenAIChatFormat(provider: custom.name, model: model, url: url, authorization: authorization)
            return HTTPModelProvider(name: custom.name, model: model, format: format, transport: transport,
                                     declaredContextLimit: declared)
        case .anthropic:
            var format = AnthropicMessagesFormat(model: model, baseURL: try normalized(settings.baseURL ?? custom.baseURL),
                                                 apiKey: key ?? "", maxTokens: try ModelCatalog.maxOutputTokens(for: model, environment: environment))
            format.extraHeaders = headers
            return HTTPModelProvider(name: custom.name, model: model, format: format, transport: transport,
                                     declaredContextLimit: declared)
        case .ollama:
            var format = OllamaChatFormat(model: model, baseURL: try normalized(settings.baseURL ?? custom.baseURL),
                                          contextLimit: settings.contextLimit ?? declared?.tokens)
            format.extraHeaders = headers
            return HTTPModelProvider(name: custom.name, model: model, format: format, transport: transport,
                                     declaredContextLimit: declared)
        }
    }

    private enum OpenAIAPI { case chatCompletions, responses }

    /// Chat Completions, unless `GANDER_OPENAI_API=responses` says otherwise or the model is served by the Responses
    /// API alone.
    private static func openAIAPI(model: String, environment: [String: String]) throws -> OpenAIAPI {
        switch nonEmpty(environment["GANDER_OPENAI_API"]) {
        case nil: return OpenAIResponsesFormat.isResponsesOnly(model) ? .responses : .chatCompletions
        case "responses": return .responses
        case "chat": return .chatCompletions
        case let other?:
            throw ProviderError.configuration("GANDER_OPENAI_API=\(other) is not an API; use responses or chat")
        }
    }

    /// The variable a provider reads its key from, for `gander configure` and `gander info`; nil for providers that
    /// take credentials another way (AWS and Google Cloud sign-ins) or none (Ollama).
    public static func keyVariable(for provider: String) -> String? {
        switch provider {
        case "openai": "OPENAI_API_KEY"
        case "anthropic": "ANTHROPIC_API_KEY"
        case "google": "GEMINI_API_KEY"
        case "azure": "AZURE_OPENAI_API_KEY"
        case "databricks": "DATABRICKS_TOKEN"
        default: OpenAICompatiblePreset.named(provider)?.keyVariable
        }
    }

    /// A base URL with a scheme and without a trailing slash; `localhost:11434` becomes `http://localhost:11434`.
    public static func normalized(_ url: String) throws -> String {
        var text = url.trimmingCharacters(in: .whitespaces)
        if !text.contains("://") { text = "http://" + text }
        while text.hasSuffix("/") { text.removeLast() }
        guard text.hasPrefix("http://") || text.hasPrefix("https://"), text.count > "https://".count else {
            throw ProviderError.configuration("\"\(url)\" is not an http(s) URL; pass a base URL like http://localhost:8080/v1")
        }
        return text
    }

    /// The variable the Gemini key is read from: `GOOGLE_API_KEY`, else `GEMINI_API_KEY`, as Google's own SDK does.
    private static func googleKeyVariable(_ environment: [String: String]) -> String? {
        ["GOOGLE_API_KEY", "GEMINI_API_KEY"].first { nonEmpty(environment[$0]) != nil }
    }

    private static func nonEmpty(_ value: String?) -> String? {
        guard let value, !value.trimmingCharacters(in: .whitespaces).isEmpty else { return nil }
        return value
    }
}
