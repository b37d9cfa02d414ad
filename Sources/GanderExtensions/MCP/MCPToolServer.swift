import Foundation
import GanderCore
import MCP

/// Gander's built-in extensions offered to any MCP client over stdio, through the SDK's server. The tools run
/// exactly as they do for Gander's own agent: the same timeouts, output limits and working directory. A client's
/// `notifications/cancelled` cancels the call, which kills a running command's whole process group.
public struct MCPToolServer: Sendable {
    let router: ToolRouter
    let context: ToolContext
    let version: String

    public init(extensions: [any Extension], workingDirectory: URL, version: String) {
        router = ToolRouter(extensions: extensions)
        context = ToolContext(workingDirectory: workingDirectory)
        self.version = version
    }

    /// Serves on stdin and stdout until the client closes stdin.
    public func run() async throws {
        let catalog = await router.catalog()
        // One extension served: its tools keep their own names. Several: namespaced, as Gander's agent sees them.
        let namespaced = router.extensions.count > 1
        var byName: [String: ToolCatalog.Entry] = [:]
        var offered: [Tool] = []
        for entry in catalog.entries {
            let name = namespaced ? entry.spec.name : entry.handler.spec.name
            byName[name] = entry
            offered.append(Tool(
                name: name, description: entry.spec.description, inputSchema: MCPValueMapping.value(entry.spec.inputSchema),
                annotations: .init(readOnlyHint: entry.spec.isReadOnly, destructiveHint: entry.spec.isDestructive,
                                   openWorldHint: ["web", "browser"].contains(entry.extensionName))))
        }
        let (entries, tools) = (byName, offered)

        let server = Server(name: "gander", version: version, capabilities: .init(tools: .init(listChanged: false)))
        await server.withMethodHandler(ListTools.self) { _ in ListTools.Result(tools: tools) }
        await server.withMethodHandler(CallTool.self) { [context] request in
            guard let entry = entries[request.name] else {
                return CallTool.Result(content: [.text(text: "Unknown tool \(request.name); the tools are \(tools.map(\.name).joined(separator: ", ")).",
                                                       annotations: nil, _meta: nil)], isError: true)
            }
            let arguments = (request.arguments ?? [:]).mapValues(MCPValueMapping.json)
            if let problem = JSONSchemaValidator().problems(in: .object(arguments), against: entry.spec.inputSchema).first {
                return CallTool.Result(content: [.text(text: "The arguments do not fit the tool's input schema: \(problem)",
                                                       annotations: nil, _meta: nil)], isError: true)
            }
            let output = await entry.handler.run(arguments, context: context)
            try Task.checkCancellation()
            return CallTool.Result(content: output.content.map(Self.content), isError: output.isError)
        }

        let transport = LineTransport(input: STDIN_FILENO, output: STDOUT_FILENO)
        try await server.start(transport: transport)
        await server.waitUntilCompleted()
        await server.stop()
    }

    private static func content(_ part: ToolContent) -> Tool.Content {
        switch part {
        case .text(let text): .text(text: text, annotations: nil, _meta: nil)
        case .image(let mimeType, let data): .image(data: data, mimeType: mimeType, annotations: nil, _meta: nil)
        }
    }
}
