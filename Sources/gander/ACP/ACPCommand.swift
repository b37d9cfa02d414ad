import ArgumentParser
import Foundation
import Synchronization
import GanderCore
import GanderRecipes
import GanderStore

/// The flags `gander acp` and `gander serve` take, which every session they open uses.
struct ACPOptions: ParsableArguments, Sendable {
    @OptionGroup(title: "Model")
    var modelOptions: ModelOptions

    @OptionGroup(title: "Agent")
    var agentOptions: AgentOptions

    @OptionGroup(title: "Extensions")
    var extensionOptions: ExtensionOptions
}

/// `gander acp`: Gander as an agent for editors (Zed, JetBrains, Neovim, Emacs), over the Agent Client Protocol on
/// stdio.
struct ACPCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "acp",
        abstract: "Serve the Agent Client Protocol on stdio, for editors (Zed, JetBrains, Neovim, Emacs).",
        discussion: """
            An editor starts `gander acp` and speaks JSON-RPC on its stdin and stdout. In Zed's settings:
              "agent_servers": {"Gander": {"command": "gander", "args": ["acp"]}}

            Each session is an agent in the editor's folder, kept in the session database like any other (`gander \
            sessions`); the editor's MCP servers join yours. Approvals are asked in the editor. The modes are \
            Gander's: smart (the default here), approve, auto, chat.
            """)

    @OptionGroup var options: ACPOptions

    mutating func run() async throws {
        let agent = ACPAgent(options: options)
        let (connection, incoming) = ACPConnection.standardIO()
        await connection.serve(incoming, onClose: { await agent.cancelAll() }) { method, params, connection in
            try await agent.handle(method, params, connection)
        }
        await agent.stopAll()
    }
}

/// The agent side of the protocol: which method does what, and the sessions open on this connection.
actor ACPAgent {
    private let options: ACPOptions
    private var sessions: [String: ACPSession] = [:]
    /// The files the client reads and writes for its sessions, as `initialize` said.
    private var clientFiles: ACPClientDocuments.Offer?

    init(options: ACPOptions) {
        self.options = options
    }

    func handle(_ method: String, _ params: JSONValue, _ connection: ACPConnection) async throws -> JSONValue? {
        switch method {
        case "initialize":
            clientFiles = ACPClientDocuments.Offer(params["clientCapabilities"])
            return ["protocolVersion": 1,
                    "agentCapabilities": ["loadSession": true,
                                          "promptCapabilities": ["image": false, "audio": false, "embeddedContext": true],
                                          "mcpCapabilities": ["http": true, "sse": false],
                                          "sessionCapabilities": ["list": .object([:]), "fork": .object([:])]],
                    "authMethods": [],
                    "agentInfo": ["name": "gander", "title": "Gander", "version": .string(GanderCommand.configuration.version)]]
        case "authenticate":
            return .object([:])
        case "session/new":
            let session = try await open(params, connection: connection, resuming: nil)
            // After the answer, which names the session the update is for.
            Task { await session.advertiseCommands() }
            return await session.state(with: ["sessionId": .string(session.id)])
        case "session/fork":
            // A copy of the saved conversation as a new session, opened here; the original stays as it was.
            let original = try Self.string(params, "sessionId")
            let copy: SessionInfo
            do {
                copy = try Self.store().fork(original, name: nil)
            } catch let error as StoreError {
                throw ACPConnection.Failure.invalidParams(error.description)
            }
            let session = try await open(params, connection: connection, resuming: copy.id)
            Task { await session.advertiseCommands() }
            return await session.state(with: ["sessionId": .string(session.id)])
        case "session/load":
            let id = try Self.string(params, "sessionId")
            let session = try await open(params, connection: connection, resuming: id)
            await session.replay()
            await session.advertiseCommands()
            return await session.state()
        case "session/list":
            let cwd = params["cwd"]?.stringValue
            let formatter = ISO8601DateFormatter()
            return ["sessions": .array(try Self.store().sessions(in: cwd).map { info in
                ["sessionId": .string(info.id), "cwd": .string(info.workingDirectory), "title": .string(info.name ?? info.id),
                 "updatedAt": .string(formatter.string(from: info.updatedAt))]
            })]
        case "session/prompt":
            return try await session(params).prompt(params["prompt"]?.arrayValue ?? [])
        case "session/cancel":
            try session(params).cancel()
            return nil
        case "session/set_mode":
            try await session(params).setMode(try Self.string(params, "modeId"))
            return .object([:])
        case "session/set_model":
            try session(params).setModel(try Self.string(params, "modelId"))
            return .object([:])
        case "session/set_config_option":
            let session = try session(params)
            let value = try Self.string(params, "value")
            switch try Self.string(params, "configId") {
            case "mode": try await session.setMode(value)
            case "model": try session.setModel(value)
            case let other: throw ACPConnection.Failure.invalidParams("no option \(other); the options are mode and model")
            }
            return ["configOptions": await session.configOptions()]
        case "_gander/ledger":
            // What left the machine for this session, as `gander audit --json` shows it: the web app's ledger view.
            let id = try Self.string(params, "sessionId")
            let rows = try Self.store().ledgerRows(LedgerQuery(session: id))
            let encoder = JSONEncoder()
            encoder.dateEncodingStrategy = .iso8601
            return ["rows": try JSONValue(parsing: String(decoding: try encoder.encode(rows), as: UTF8.self))]
        default:
            throw ACPConnection.Failure(code: -32601, message: "Gander does not offer \(method)")
        }
    }

    /// Stops every turn under way (the client went away).
    func cancelAll() {
        for session in sessions.values { session.cancel() }
    }

    func stopAll() async {
        for session in sessions.values { await session.stop() }
        sessions.removeAll()
    }

    private func session(_ params: JSONValue) throws -> ACPSession {
        let id = try Self.string(params, "sessionId")
        guard let session = sessions[id] else { throw ACPConnection.Failure.invalidParams("no session \(id) is open; session/new or session/load first") }
        return session
    }

    private func open(_ params: JSONValue, connection: ACPConnection, resuming: String?) async throws -> ACPSession {
        let cwd = try Self.string(params, "cwd")
        guard cwd.hasPrefix("/") else { throw ACPConnection.Failure.invalidParams("cwd must be an absolute path, not \(cwd)") }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: cwd, isDirectory: &isDirectory), isDirectory.boolValue else {
            throw ACPConnection.Failure.invalidParams("cwd \(cwd) is not a folder")
        }
        let servers = try (params["mcpServers"]?.arrayValue ?? []).map(Self.server)
        let session: ACPSession
        do {
            session = try ACPSession(options: options, connection: connection, cwd: URL(fileURLWithPath: cwd),
                                     clientServers: servers, resuming: resuming,
                                     recipe: try Self.recipe(params["_meta"], cwd: URL(fileURLWithPath: cwd)), clientFiles: clientFiles)
        } catch let failure as ACPConnection.Failure {
            throw failure
        } catch {
            throw ACPConnection.Failure.internalError(String(describing: error))
        }
        await session.start()
        sessions[session.id] = session
        return session
    }

    /// The recipe `_meta` names for a new session (`{"recipe": NAME|PATH|DEEPLINK, "params": {KEY: VALUE}}`), checked
    /// with its values as a headless run would; a problem is the client's to fix.
    private static func recipe(_ meta: JSONValue?, cwd: URL) throws -> LoadedRecipe? {
        guard let reference = meta?["recipe"]?.stringValue else { return nil }
        var values: [String: String] = [:]
        for (key, value) in meta?["params"]?.objectValue ?? [:] { values[key] = value.stringValue ?? value.canonicalText }
        do {
            let file = try RecipeLibrary(workingDirectory: cwd, environment: ProcessInfo.processInfo.environment).locate(reference)
            return try RecipeLoader().load(file, given: values, workingDirectory: cwd)
        } catch {
            throw ACPConnection.Failure.invalidParams("recipe \(reference): \(error)")
        }
    }

    /// An `mcpServers` entry as an extension: stdio (`command`, `args`, `env`) or HTTP (`type: http`, `url`, `headers`).
    private static func server(_ entry: JSONValue) throws -> ExtensionConfig {
        let name = try string(entry, "name")
        if let command = entry["command"]?.stringValue {
            var environment: [String: String] = [:]
            for variable in entry["env"]?.arrayValue ?? [] {
                if let key = variable["name"]?.stringValue { environment[key] = variable["value"]?.stringValue ?? "" }
            }
            return ExtensionConfig(name: name, transport: .stdio(command: command, arguments: (entry["args"]?.arrayValue ?? []).compactMap(\.stringValue),
                                                                 environment: environment, environmentKeys: []))
        }
        guard entry["type"]?.stringValue == "http", let url = entry["url"]?.stringValue.flatMap(URL.init(string:)) else {
            throw ACPConnection.Failure.invalidParams("MCP server \(name): Gander takes stdio servers and http ones, not \(entry["type"]?.stringValue ?? "this kind")")
        }
        var headers: [String: String] = [:]
        for header in entry["headers"]?.arrayValue ?? [] {
            if let key = header["name"]?.stringValue { headers[key] = header["value"]?.stringValue ?? "" }
        }
        return ExtensionConfig(name: name, transport: .streamableHTTP(url: url, headers: headers))
    }

    private static func store() throws -> SessionStore {
        try OpenStores.shared.store(at: GanderDirectories(environment: ProcessInfo.processInfo.environment).sessionDatabase)
    }

    private static func string(_ params: JSONValue, _ key: String) throws -> String {
        guard let value = params[key]?.stringValue, !value.isEmpty else { throw ACPConnection.Failure.invalidParams("\(key) is missing") }
        return value
    }
}

/// The session databases this process has open, one connection each, shared by every ACP client and session in it:
/// opening one takes milliseconds (its lock, WAL, the schema check), which a server answering many clients and
/// sessions should pay once, not on every `session/list` and `session/new`.
final class OpenStores: Sendable {
    static let shared = OpenStores()
    private let stores = Mutex<[URL: SessionStore]>([:])

    func store(at url: URL) throws -> SessionStore {
        try stores.withLock { open in
            if let store = open[url] { return store }
            let store = try SessionStore(url: url)
            open[url] = store
            return store
        }
    }
}
