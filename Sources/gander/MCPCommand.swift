import ArgumentParser
import Foundation
import GanderCore
import GanderExtensions

/// `gander mcp …`: Gander on the other side of MCP.
struct MCPCommand: ParsableCommand {
    static let configuration = CommandConfiguration(
        commandName: "mcp",
        abstract: "Offer Gander's built-in tools to any MCP client.",
        subcommands: [Serve.self])

    struct Serve: AsyncParsableCommand {
        static let configuration = CommandConfiguration(
            commandName: "serve",
            abstract: "Serve built-in extensions over MCP on stdin and stdout.",
            discussion: """
                The tools run in the current directory with the same timeouts, output limits and command environment
                as in Gander's own runs (secret-looking variables are left out unless config.yaml's command_env keeps
                them); a client's cancellation stops a running command and everything it started.

                Example, in an MCP client's config: {"command": "gander", "args": ["mcp", "serve", "developer"]}
                The browser extension starts one headless Chromium on its first call and closes it when the client goes.
                """)

        @Argument(help: "The extensions to serve: developer, web, browser.")
        var extensions: [String] = ["developer"]

        static let builtIn: [String: @Sendable (Settings) -> any Extension] = [
            // Serving another client, Gander talks to no model itself.
            "developer": { settings in
                let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                return DeveloperExtension(commandEnvironment: settings.commandEnvironment(activeProvider: nil),
                                          protected: settings.protectedFiles(workingDirectory: here))
            },
            "web": { settings in WebExtension(environment: settings.environment) },
            "browser": { settings in
                let here = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)
                return BrowserExtension(environment: settings.environment, protected: settings.protectedFiles(workingDirectory: here))
            },
        ]

        func validate() throws {
            for name in extensions where Self.builtIn[name] == nil {
                throw ValidationError("there is no built-in extension \(name); choose from \(Self.builtIn.keys.sorted().joined(separator: ", "))")
            }
        }

        mutating func run() async throws {
            let status = await execute()
            if status != ExitStatus.success { throw ExitCode(status) }
        }

        /// Serves until the client closes stdin.
        func execute() async -> Int32 {
            let settings: Settings
            do {
                settings = try Settings()
            } catch {
                FileHandle.standardError.write(Data("gander: \(error)\n".utf8))
                return ExitStatus.failure
            }
            var seen: Set<String> = []
            let chosen = extensions.filter { seen.insert($0).inserted }.compactMap { Self.builtIn[$0]?(settings) }
            let server = MCPToolServer(extensions: chosen,
                                       workingDirectory: URL(fileURLWithPath: FileManager.default.currentDirectoryPath),
                                       version: GanderVersion.current)
            do {
                try await server.run()
                for served in chosen { await served.shutdown() }
                return ExitStatus.success
            } catch {
                for served in chosen { await served.shutdown() }
                FileHandle.standardError.write(Data("gander: the MCP server stopped: \(error)\n".utf8))
                return ExitStatus.failure
            }
        }
    }
}
