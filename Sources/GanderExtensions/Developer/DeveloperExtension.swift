import Foundation
import GanderCore
import GanderHost

/// The built-in tools of a developer's day: `shell`, `text_editor`, `search` and `screenshot`.
public struct DeveloperExtension: Extension {
    public let name = "developer"
    private let shell: ShellTool
    private let editor: TextEditorTool
    private let search: SearchTool
    private let screenshot: ScreenshotTool
    private let sandbox: CommandSandbox
    private let protected: ProtectedFiles

    /// - Parameters:
    ///   - limits: how much command output and file text reaches the model at once.
    ///   - outputDirectory: where commands' outputs are written; cut outputs stay there for the model to read.
    ///   - commandEnvironment: the environment commands run with, already stripped of what they must not see
    ///     (`CommandEnvironmentPolicy`).
    ///   - sandbox: the fence commands run in.
    ///   - protected: the files no tool may read or change (`.ganderignore` and the defaults).
    public init(limits: OutputLimits = OutputLimits(), outputDirectory: URL = DeveloperExtension.defaultOutputDirectory,
                commandEnvironment: [String: String], sandbox: CommandSandbox = .off, protected: ProtectedFiles = .none) {
        shell = ShellTool(limits: limits, outputRoot: outputDirectory, environment: commandEnvironment, sandbox: sandbox,
                          protected: protected)
        editor = TextEditorTool(limits: limits, protected: protected)
        search = SearchTool(protected: protected)
        screenshot = ScreenshotTool(environment: commandEnvironment,
                                    directory: outputDirectory.deletingLastPathComponent().appendingPathComponent("screenshots"))
        self.sandbox = sandbox
        self.protected = protected
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
        """ + sandboxNote
    }

    /// What the model must know about the fence before it plans commands.
    private var sandboxNote: String {
        guard sandbox.isActive else { return "" }
        let writes = sandbox.mode == .readOnly
            ? "cannot write files (except in a private /tmp)"
            : "can write only in the working directory and the temporary directories"
        return " Commands run in a sandbox: they \(writes), cannot read ~/.ssh, ~/.aws and other credentials"
            + (sandbox.allowsNetwork ? "." : ", and have no network (installs and downloads fail).")
    }

    public func tools() async throws -> [any ToolHandler] {
        [
            InlineTool(ShellTool.spec, footprint: { arguments, _ in shellFootprint(arguments) }, run: { arguments, context in
                if let refusal = protectedPath(in: arguments["command"]?.stringValue ?? "", context: context) {
                    return .error(refusal)
                }
                return await shell.call(arguments, context: context)
            }),
            InlineTool(TextEditorTool.spec, footprint: { arguments, context in
                // `view` only reads its path; the other commands write it, one after another per file.
                let path = arguments["path"]?.stringValue.map(context.resolve)
                return arguments["command"]?.stringValue == "view"
                    ? .reads(path.map { [$0] } ?? [])
                    : .changesThisMachine(serializationKey: editor.serializationKey(arguments, context: context))
            }, run: { arguments, context in
                if arguments["command"]?.stringValue != "view", let path = arguments["path"]?.stringValue,
                   let refusal = sandbox.writeRefusal(for: context.resolve(path), workspace: context.workingDirectory) {
                    return .error(refusal)
                }
                return await editor.call(arguments, context: context)
            }),
            InlineTool(SearchTool.spec, footprint: { arguments, context in
                .reads([context.resolve(arguments["path"]?.stringValue ?? ".")])
            }, run: { arguments, context in await search.call(arguments, context: context) }),
            InlineTool(ScreenshotTool.spec, footprint: { _, _ in .reads() },
                       run: { arguments, _ in await screenshot.call(arguments) }),
        ]
    }

    /// A command stays on this machine when the sandbox keeps it off the network; outside the sandbox it reaches
    /// what the tools are kept from, whatever its words say, and the user is told so before approving it.
    private func shellFootprint(_ arguments: [String: JSONValue]) -> CallFootprint {
        var footprint = CallFootprint(readsOnly: false, reach: .thisMachine, commandLine: arguments["command"]?.stringValue)
        if !(sandbox.isActive && !sandbox.allowsNetwork) {
            footprint.reach = .offMachine(sandbox.isActive ? "a command whose sandbox has network (--sandbox-network)"
                                                           : "a command outside the sandbox, which can use the network")
        }
        if !sandbox.isActive {
            footprint.approvalNote = "this command runs outside the sandbox, with your rights: it can read protected files "
                + "such as .env and keys however it spells them, and use the network"
        }
        return footprint
    }

    /// The refusal for a command line that names a protected file (`cat .env`), judged word by word; commands that
    /// reach such files in ways they do not spell out are the sandbox's to stop.
    private func protectedPath(in command: String, context: ToolContext) -> String? {
        let separators = CharacterSet.whitespacesAndNewlines.union(CharacterSet(charactersIn: ";&|<>()'\"`="))
        for word in command.components(separatedBy: separators) where !word.isEmpty && !word.hasPrefix("-") {
            let url = context.resolve(word)
            guard FileManager.default.fileExists(atPath: url.path) else { continue }
            if let refusal = protected.refusal(for: url) { return "Not run: the command names a protected file. " + refusal }
        }
        return nil
    }
}
