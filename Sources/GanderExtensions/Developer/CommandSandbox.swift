import Foundation
import GanderCore

/// Fences the commands the model runs with bubblewrap: the whole file system is visible read-only, the working
/// directory and the temporary directories are writable (`workspace-write`) or nothing is (`read-only`), the
/// directories that hold the user's credentials are replaced by empty ones, and the network is off unless the user
/// turned it on. Gander's own output files are opened before the sandbox starts, so the command writes them through
/// its inherited descriptors.
public struct CommandSandbox: Sendable, Equatable {
    public let mode: SandboxMode
    public let allowsNetwork: Bool
    /// The bubblewrap binary; nil when there is none, and then commands run unfenced.
    let bubblewrap: String?
    /// Credential directories and files under `$HOME` that commands must not read, as they exist on this machine.
    let hiddenPaths: [String]
    let home: String?

    /// The places credentials live, relative to `$HOME`.
    static let credentialPaths = [".ssh", ".aws", ".gnupg", ".config/gander", ".config/gcloud", ".azure", ".kube",
                                  ".docker", ".netrc", ".git-credentials", ".pgpass", ".config/gh", ".local/share/keyrings"]

    /// `bubblewrap` is found on PATH unless given.
    public init(mode: SandboxMode, allowsNetwork: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment,
                bubblewrap: String? = nil) {
        self.mode = mode
        self.allowsNetwork = allowsNetwork
        home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        self.bubblewrap = mode == .off ? nil : bubblewrap ?? Self.find("bwrap", path: environment["PATH"])
        hiddenPaths = home.map { home in
            Self.credentialPaths.map { home + "/" + $0 }.filter { FileManager.default.fileExists(atPath: $0) }
        } ?? []
    }

    /// No fence at all.
    public static let off = CommandSandbox(mode: .off, environment: [:])

    /// Whether commands are fenced.
    public var isActive: Bool { mode != .off && bubblewrap != nil }

    /// Why the chosen fence cannot be used here, for one line at start; nil when it can (or none was chosen). Only
    /// bubblewrap's presence is checked, so start-up spawns nothing; a kernel that refuses its namespaces shows in the
    /// first command's result (`explain`).
    public var unavailability: String? {
        guard mode != .off, bubblewrap == nil else { return nil }
        return "no sandbox for commands: bubblewrap (bwrap) is not installed, so commands run with your full rights. "
            + "Install it (apt-get install bubblewrap), or pass --sandbox off to say you mean it."
    }

    /// The program and arguments that run `command` with bash in `directory`, fenced when the sandbox is active.
    func invocation(of command: String, in directory: URL) -> (executable: String, arguments: [String]) {
        let bash = ["/bin/bash", "-c", command]
        guard isActive, let bubblewrap else { return ("/bin/bash", bash) }
        // No --die-with-parent: its PR_SET_PDEATHSIG fires when the *thread* that started bubblewrap ends, and Gander's
        // threads come and go, so a long command would be killed at random. bubblewrap and the command stay in the
        // process group the runner kills on a timeout or Ctrl-C.
        var arguments = ["--ro-bind", "/", "/", "--dev", "/dev", "--proc", "/proc"]
        let workspace = WorkspaceBoundary.physicalPath(of: directory.path)
        if mode == .workspaceWrite {
            for writable in Self.temporaryDirectories + [workspace] {
                arguments += ["--bind", writable, writable]
            }
        } else {
            // A private, empty /tmp, with the workspace shown again on top should it live under /tmp.
            arguments += ["--tmpfs", "/tmp", "--ro-bind", workspace, workspace]
        }
        for hidden in hiddenPaths {
            var isDirectory: ObjCBool = false
            _ = FileManager.default.fileExists(atPath: hidden, isDirectory: &isDirectory)
            arguments += isDirectory.boolValue ? ["--tmpfs", hidden] : ["--ro-bind", "/dev/null", hidden]
        }
        if !allowsNetwork { arguments.append("--unshare-net") }
        arguments += ["--chdir", directory.path, "--"]
        return (bubblewrap, [bubblewrap] + arguments + bash)
    }

    /// One line for the model when a failed command's errors look like the fence stopped it: what was refused and
    /// how the user can allow it.
    func explain(stderr: String, exitedWith failure: Bool) -> String? {
        guard isActive, failure else { return nil }
        if stderr.hasPrefix("bwrap:") {
            return "The command sandbox could not start on this machine (\(stderr.prefix(while: { $0 != "\n" }))). Tell "
                + "the user: commands can run unfenced with --sandbox off, or sandbox: off in config.yaml."
        }
        var refused: [String] = []
        if stderr.contains("Read-only file system") {
            refused.append(mode == .workspaceWrite
                ? "writing outside the working directory and the temporary directories"
                : "writing anywhere (read-only sandbox)")
        }
        let offline = ["Network is unreachable", "Could not resolve host", "Temporary failure in name resolution",
                       "Name or service not known", "getaddrinfo", "No address associated with hostname"]
        if !allowsNetwork, offline.contains(where: stderr.contains) { refused.append("network access") }
        if let home, stderr.contains(home), stderr.contains("No such file or directory") || stderr.contains("Permission denied"),
           hiddenPaths.contains(where: { stderr.contains($0) }) {
            refused.append("reading the credentials under \(home) (~/.ssh, ~/.aws and the like are hidden)")
        }
        guard !refused.isEmpty else { return nil }
        return "The command sandbox (\(mode.rawValue)) refused \(refused.joined(separator: " and ")). This is the user's "
            + "fence, not a bug to work around: say what you need and why. The user can allow it with "
            + "--sandbox-network (network), --sandbox off, or sandbox: in config.yaml."
    }

    /// The temporary directories a command may write in: /tmp, /var/tmp and `$TMPDIR`, as they really are.
    private static var temporaryDirectories: [String] {
        var directories = ["/tmp", "/var/tmp"]
        if let temporary = ProcessInfo.processInfo.environment["TMPDIR"], !temporary.isEmpty {
            directories.append(temporary)
        }
        var seen = Set<String>()
        return directories.map(WorkspaceBoundary.physicalPath(of:)).filter {
            FileManager.default.fileExists(atPath: $0) && seen.insert($0).inserted
        }
    }

    private static func find(_ program: String, path: String?) -> String? {
        let directories = (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":").map(String.init)
        return directories.map { $0 + "/" + program }.first { FileManager.default.isExecutableFile(atPath: $0) }
    }
}
