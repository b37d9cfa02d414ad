import Foundation
import GanderCore

/// The built-in tools of a developer's day: `shell`, `text_editor` and `search`.
public struct DeveloperExtension: Extension {
    public let name = "developer"
    private let shell: ShellTool
    private let editor: TextEditorTool
    private let search = SearchTool()

    /// - Parameters:
    ///   - limits: how much command output and file text reaches the model at once.
    ///   - outputDirectory: where commands' outputs are written; cut outputs stay there for the model to read.
    ///   - commandEnvironment: the environment commands run with, already stripped of what they must not see
    ///     (`CommandEnvironmentPolicy`).
    public init(limits: OutputLimits = OutputLimits(), outputDirectory: URL = DeveloperExtension.defaultOutputDirectory,
                commandEnvironment: [String: String]) {
        shell = ShellTool(limits: limits, outputRoot: outputDirectory, environment: commandEnvironment)
        editor = TextEditorTool(limits: limits)
    }

    /// `$TMPDIR/gander-<uid>/shell`, private to the user.
    public static var defaultOutputDirectory: URL {
        FileManager.default.temporaryDirectory.appendingPathComponent("gander-\(getuid())/shell")
    }

    public var instructions: String {
        """
        Use `developer__search` to find files and code, `developer__text_editor` to read and change files (view \
        before you edit; str_replace needs an exact, unique match), and `developer__shell` for builds, tests, git \
        and anything else. Prefer small, verifiable steps: after an edit, run the relevant build or tests.
        """
    }

    public func tools() async throws -> [ToolSpec] {
        [ShellTool.spec, TextEditorTool.spec, SearchTool.spec]
    }

    public func call(tool: String, arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        switch tool {
        case "shell": await shell.call(arguments, context: context)
        case "text_editor": await editor.call(arguments, context: context)
        case "search": await search.call(arguments, context: context)
        default: .error("The developer extension has no tool named \(tool).")
        }
    }

    /// The editor's `view` only reads; its other commands write.
    public func isReadOnly(tool: String, arguments: [String: JSONValue]) -> Bool {
        tool == "text_editor" && arguments["command"]?.stringValue == "view"
    }

    /// The editor's `view` reads its `path`; search reads the tree under its `path`.
    public func pathsRead(tool: String, arguments: [String: JSONValue], context: ToolContext) -> [URL] {
        switch tool {
        case "text_editor": arguments["path"]?.stringValue.map { [context.resolve($0)] } ?? []
        case "search": [context.resolve(arguments["path"]?.stringValue ?? ".")]
        default: []
        }
    }

    public func serializationKey(tool: String, arguments: [String: JSONValue], context: ToolContext) -> String? {
        tool == "text_editor" ? editor.serializationKey(arguments, context: context) : nil
    }
}
