import Foundation
import Synchronization
import GanderCore
import GanderHost

/// `developer__shell`: runs a command with bash in the working directory.
struct ShellTool: Sendable {
    static let defaultTimeoutSeconds = 300

    let limits: OutputLimits
    let runner = ProcessRunner()
    /// Where outputs are written while a command runs; a cut output stays there for the model to read.
    let outputRoot: URL
    /// What commands see of the environment.
    let environment: [String: String]
    /// The fence commands run in.
    let sandbox: CommandSandbox
    /// The files no command may read; inside the sandbox they cannot be opened, however the command spells them.
    var protected: ProtectedFiles = .none
    /// The tree's protected files as last found, so commands in quick succession do not each walk a large tree.
    let covers = CoverCache()

    static let spec = ToolSpec(
        name: "shell",
        description: """
            Run a bash command in the working directory and return its exit code, stdout and stderr. Stdin is closed, \
            so interactive commands fail: pass flags like -y. Commands time out after \(defaultTimeoutSeconds) s unless \
            you pass `timeout` (seconds); the whole process group is then killed. Long output keeps its head and tail \
            and says where the full output was saved. Independent commands may run at the same time. Environment \
            variables whose names mark them as secrets (keys, tokens, passwords) are not passed to commands; when one \
            is needed, ask the user to list it under `command_env: keep:` in Gander's config.yaml.
            """,
        inputSchema: [
            "type": "object",
            "properties": [
                "command": ["type": "string", "description": "The bash command to run."],
                "timeout": ["type": "integer", "minimum": 1, "maximum": 86400,
                            "description": "Seconds before the command is killed."],
            ],
            "required": ["command"],
            "additionalProperties": false,
        ])

    func call(_ arguments: [String: JSONValue], context: ToolContext) async -> ToolOutput {
        guard let command = arguments["command"]?.stringValue,
              !command.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty
        else { return .error("`command` is empty; pass the bash command to run.") }
        let timeout = arguments["timeout"]?.intValue ?? Self.defaultTimeoutSeconds

        let outputDirectory = outputRoot.appendingPathComponent(UUID().uuidString)
        let outcome: ProcessOutcome
        let covered = sandbox.isActive ? covers.entries(under: context.workingDirectory, protected: protected) : []
        do {
            outcome = try await runner.run(command, in: context.workingDirectory, environment: environment,
                                           sandbox: sandbox, protected: covered, timeout: .seconds(timeout),
                                           outputDirectory: outputDirectory)
        } catch is CancellationError {
            try? FileManager.default.removeItem(at: outputDirectory)
            return .error("The command was interrupted by the user and killed.")
        } catch {
            try? FileManager.default.removeItem(at: outputDirectory)
            return .error("The command could not run: \(error).")
        }

        do {
            let stdout = try OutputExcerpt(file: outcome.stdoutFile, limits: limits)
            let stderr = try OutputExcerpt(file: outcome.stderrFile, limits: limits)
            if !stdout.truncated { try? FileManager.default.removeItem(at: outcome.stdoutFile) }
            if !stderr.truncated { try? FileManager.default.removeItem(at: outcome.stderrFile) }
            if !stdout.truncated, !stderr.truncated { try? FileManager.default.removeItem(at: outputDirectory) }
            var hint: String?
            if case .exited(127) = outcome.termination { hint = Self.localScriptHint(command, in: context.workingDirectory) }
            var output = render(outcome, timeout: timeout, stdout: stdout.text, stderr: stderr.text, hint: hint,
                                covered: covered)
            output.sources = CommandOutputSources.find(command: command, output: stdout.text + "\n" + stderr.text,
                                                       context: context)
            return output
        } catch {
            return .error("The command ran, but its output could not be read back: \(error).")
        }
    }

    /// For "command not found" when the command names a file in the working directory (`greet.sh`): how to run it.
    /// The shell looks for a bare name on PATH only, which small models in particular forget.
    static func localScriptHint(_ command: String, in directory: URL) -> String? {
        guard let name = command.split(whereSeparator: \.isWhitespace).first.map(String.init), !name.contains("/") else {
            return nil
        }
        var isDirectory: ObjCBool = false
        guard FileManager.default.fileExists(atPath: directory.appendingPathComponent(name).path, isDirectory: &isDirectory),
              !isDirectory.boolValue
        else { return nil }
        return "note: \(name) is a file in the working directory, not a command on PATH: run it as ./\(name) "
            + "(or sh \(name), bash \(name), python3 \(name)), with its arguments after it."
    }

    private func render(_ outcome: ProcessOutcome, timeout: Int, stdout: String, stderr: String, hint: String?,
                        covered: [CommandSandbox.Cover]) -> ToolOutput {
        var lines: [String] = []
        var failed = true
        if outcome.timedOut {
            lines.append("Timed out after \(timeout) s; the command and its children were killed.")
        } else if outcome.outputLimitHit {
            lines.append("Stopped: the command wrote more than \(OutputExcerpt.formatBytes(Int(runner.maxSavedOutputBytes))).")
        }
        switch outcome.termination {
        case .exited(let code):
            lines.append("exit code: \(code)")
            failed = code != 0 || outcome.timedOut || outcome.outputLimitHit
        case .signaled(let signal):
            lines.append("killed by signal \(signal)")
        }
        lines.append(stdout.isEmpty ? "stdout: (empty)" : "stdout:\n\(stdout)")
        if !stderr.isEmpty { lines.append("stderr:\n\(stderr)") }
        if let fence = sandbox.explain(stderr: stderr + stdout, exitedWith: failed, covered: covered) { lines.append(fence) }
        if let hint { lines.append(hint) }
        return ToolOutput(content: [.text(lines.joined(separator: "\n"))], isError: failed)
    }
}

/// The protected files of a working tree, found again when the last walk is more than a few seconds old: a model
/// runs commands in bursts, and one walk of a large tree serves the burst. A protected file created within those
/// seconds is covered from the next walk on; the command-line check still refuses it by name meanwhile.
final class CoverCache: Sendable {
    static let freshness: Duration = .seconds(5)
    private let last = Mutex<(root: String, at: ContinuousClock.Instant, entries: [CommandSandbox.Cover])?>(nil)

    func entries(under root: URL, protected: ProtectedFiles) -> [CommandSandbox.Cover] {
        let now = ContinuousClock.now
        if let cached = last.withLock({ $0 }), cached.root == root.path, now - cached.at < Self.freshness {
            return cached.entries
        }
        let entries = protected.entries(under: root)
        last.withLock { $0 = (root.path, now, entries) }
        return entries
    }
}
