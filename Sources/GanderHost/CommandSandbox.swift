import Foundation
import GanderCore
#if canImport(Glibc)
import Glibc
#endif

/// Fences the commands the model runs with bubblewrap: the whole file system is visible read-only, the working
/// directory and the temporary directories are writable (`workspace-write`) or nothing is (`read-only`), the
/// directories that hold the user's credentials — and Gander's own data and config, the session database among
/// them — are replaced by empty ones, the user's credential sockets (ssh-agent, the session bus, Docker's) are gone,
/// the protected files of the working tree cannot be opened, `.git/hooks` and `.git/config` cannot be changed, the
/// command sees only its own processes (a PID namespace of its own, so Gander's `/proc/PID/environ` is out of
/// reach), and the network is off unless the user turned it on. Gander's own output files are opened before the
/// sandbox starts, so the command writes them through its inherited descriptors.
///
/// The same writable roots fence the tools that write files themselves (`writeRefusal(for:workspace:)`).
public struct CommandSandbox: Sendable, Equatable {
    public let mode: SandboxMode
    public let allowsNetwork: Bool
    /// The bubblewrap binary; nil when there is none, and then commands run unfenced.
    let bubblewrap: String?
    /// Credential directories, files and sockets that commands must not reach, as they exist on this machine.
    let hiddenPaths: [String]
    let home: String?
    /// The temporary directories a command may write in, as they really are.
    let temporaryDirectories: [String]

    /// The places credentials live, relative to `$HOME`.
    static let credentialPaths = [".ssh", ".aws", ".gnupg", ".config/gander", ".config/gcloud", ".azure", ".kube",
                                  ".docker", ".netrc", ".git-credentials", ".pgpass", ".config/gh", ".local/share/keyrings"]

    /// Sockets that speak for the user to other programs: Docker's daemon, which is root by another name.
    static let credentialSockets = ["/var/run/docker.sock", "/run/docker.sock"]

    /// `bubblewrap` is found on PATH unless given. `ganderDirectories` are Gander's own data and config
    /// directories, hidden from commands wherever they are.
    public init(mode: SandboxMode, allowsNetwork: Bool = false, environment: [String: String] = ProcessInfo.processInfo.environment,
                bubblewrap: String? = nil, ganderDirectories: [URL] = []) {
        self.mode = mode
        self.allowsNetwork = allowsNetwork
        home = environment["HOME"].flatMap { $0.isEmpty ? nil : $0 }
        self.bubblewrap = mode == .off ? nil : bubblewrap ?? ProcessLauncher.find("bwrap", path: environment["PATH"])
        var hidden = home.map { home in Self.credentialPaths.map { home + "/" + $0 } } ?? []
        // Gander makes its directories as it first needs them, perhaps after this: make them now, so they are there
        // to hide.
        for directory in ganderDirectories where mode != .off {
            try? FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true,
                                                     attributes: [.posixPermissions: 0o700])
        }
        hidden += ganderDirectories.map(\.path)
        hidden += Self.credentialSockets
        // The ssh agent's socket, the session bus, and the user's runtime directory that usually holds both.
        if let agent = environment["SSH_AUTH_SOCK"], agent.hasPrefix("/") { hidden.append(agent) }
        if let bus = environment["DBUS_SESSION_BUS_ADDRESS"] { hidden += Self.socketPaths(inBusAddress: bus) }
        hidden.append(environment["XDG_RUNTIME_DIR"].flatMap { $0.isEmpty ? nil : $0 } ?? "/run/user/\(getuid())")
        var seen = Set<String>()
        hiddenPaths = hidden.map(WorkspaceBoundary.physicalPath(of:)).filter {
            FileManager.default.fileExists(atPath: $0) && seen.insert($0).inserted
        }
        temporaryDirectories = mode == .off ? [] : Self.findTemporaryDirectories(environment)
    }

    /// The `unix:path=…` sockets of a D-Bus address (`unix:path=/run/user/1000/bus,guid=…;…`).
    static func socketPaths(inBusAddress address: String) -> [String] {
        address.split(separator: ";").flatMap { transport in
            transport.split(separator: ",").compactMap { part -> String? in
                let field = part.hasPrefix("unix:") ? part.dropFirst(5) : part
                return field.hasPrefix("path=") ? String(field.dropFirst(5)) : nil
            }
        }
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
    /// `covered` are files and directories of the working tree that commands must not read (the protected files): a
    /// file is covered by /dev/null on a mount without devices, so opening it is "Permission denied", and a directory
    /// by an empty one.
    public func invocation(of command: String, in directory: URL, covering covered: [Cover] = [])
        -> (executable: String, arguments: [String]) {
        let bash = ["/bin/bash", "-c", command]
        guard isActive, let bubblewrap else { return ("/bin/bash", bash) }
        // No --die-with-parent: its PR_SET_PDEATHSIG fires when the *thread* that started bubblewrap ends, and Gander's
        // threads come and go, so a long command would be killed at random. bubblewrap and the command stay in the
        // process group the runner kills on a timeout or Ctrl-C. A PID namespace of its own, with a /proc that
        // shows only it: no walk up the parents reaches Gander's environment.
        var arguments = ["--ro-bind", "/", "/", "--dev", "/dev", "--unshare-pid", "--proc", "/proc"]
        let workspace = WorkspaceBoundary.physicalPath(of: directory.path)
        let writable = mode == .workspaceWrite ? temporaryDirectories + [workspace] : [workspace]
        if mode == .workspaceWrite {
            for path in writable { arguments += ["--bind", path, path] }
        } else {
            // A private, empty /tmp, with the workspace shown again on top should it live under /tmp.
            arguments += ["--tmpfs", "/tmp", "--ro-bind", workspace, workspace]
        }
        // Hidden after the writable binds, so a hidden directory inside /tmp (a data directory there) stays hidden;
        // then a writable directory that lives inside a hidden one (a TMPDIR under /run/user) is shown again.
        for hidden in hiddenPaths {
            arguments += Self.isDirectory(hidden) ? ["--tmpfs", hidden] : ["--ro-bind", "/dev/null", hidden]
        }
        for path in writable where hiddenPaths.contains(where: { path.hasPrefix($0 + "/") }) {
            arguments += [mode == .workspaceWrite ? "--bind" : "--ro-bind", path, path]
        }
        for fixed in Self.gitControlPaths(of: workspace) {
            arguments += ["--ro-bind", fixed, fixed]
        }
        for entry in covered {
            arguments += entry.isDirectory ? ["--tmpfs", entry.path] : ["--ro-bind", "/dev/null", entry.path]
        }
        if !allowsNetwork { arguments.append("--unshare-net") }
        arguments += ["--chdir", directory.path, "--"]
        return (bubblewrap, [bubblewrap] + arguments + bash)
    }

    /// Why a tool may not write `url`, for the model; nil when it may. The fence of commands holds for every tool
    /// that writes: in `workspace-write` the working directory and the temporary directories, in `read-only`
    /// nowhere, and never a git repository's hooks or config — a planted hook would run unfenced on the user's next
    /// commit. Paths are judged as they really are, so neither `../` nor a symlink leads out.
    public func writeRefusal(for url: URL, workspace: URL) -> String? {
        guard mode != .off else { return nil }
        let path = WorkspaceBoundary.physicalPath(of: url.path)
        let root = WorkspaceBoundary.physicalPath(of: workspace.path)
        if let control = Self.gitControlPaths(of: root, existing: false).first(where: { path == $0 || path.hasPrefix($0 + "/") }) {
            return "Not written: \(control) is read-only to Gander's tools and commands (a hook or config planted there "
                + "would run outside the sandbox on the user's next git command). Ask the user to change it."
        }
        guard mode == .workspaceWrite else {
            return "Not written: the sandbox (read-only) lets tools write nowhere. The user can allow writes with "
                + "--sandbox workspace-write, or sandbox: in config.yaml."
        }
        let inside = (temporaryDirectories + [root]).contains { path == $0 || path.hasPrefix($0 == "/" ? "/" : $0 + "/") }
        if inside { return nil }
        let via = path == url.standardizedFileURL.path ? "" : " (where \(url.path) leads)"
        return "Not written: \(path)\(via) is outside the places the sandbox (workspace-write) lets tools write — the "
            + "working directory and the temporary directories. This is the user's fence: say what you need and why. "
            + "The user can allow it with --sandbox off, or sandbox: in config.yaml."
    }

    /// `.git/hooks` and `.git/config` of the repository at `workspace` and of the one it lies in, as they really are;
    /// only those that exist unless `existing` is false.
    static func gitControlPaths(of workspace: String, existing: Bool = true) -> [String] {
        var gitDirectories: [String] = []
        var directory = workspace
        while true {
            let candidate = (directory as NSString).appendingPathComponent(".git")
            if isDirectory(candidate) { gitDirectories.append(WorkspaceBoundary.physicalPath(of: candidate)); break }
            let parent = (directory as NSString).deletingLastPathComponent
            if parent == directory || parent.isEmpty { break }
            directory = parent
        }
        let paths = gitDirectories.flatMap { [$0 + "/hooks", $0 + "/config"] }
        return existing ? paths.filter { FileManager.default.fileExists(atPath: $0) } : paths
    }

    private static func isDirectory(_ path: String) -> Bool {
        var isDirectory: ObjCBool = false
        return FileManager.default.fileExists(atPath: path, isDirectory: &isDirectory) && isDirectory.boolValue
    }

    /// One line for the model when a failed command's errors look like the fence stopped it: what was refused and
    /// how the user can allow it.
    /// `covered` are the protected files the command could not open.
    public func explain(stderr: String, exitedWith failure: Bool, covered: [Cover] = []) -> String? {
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
        if stderr.contains("Permission denied"),
           let file = covered.first(where: { stderr.contains(($0.path as NSString).lastPathComponent + ":") }) {
            refused.append("reading \((file.path as NSString).lastPathComponent), a protected file (.ganderignore and Gander's "
                + "defaults keep secrets such as .env files out of reach)")
        }
        guard !refused.isEmpty else { return nil }
        return "The command sandbox (\(mode.rawValue)) refused \(refused.joined(separator: " and ")). This is the user's "
            + "fence, not a bug to work around: say what you need and why. The user can allow it with "
            + "--sandbox-network (network), --sandbox off, or sandbox: in config.yaml."
    }

    /// The temporary directories a command may write in: /tmp, /var/tmp and `$TMPDIR`, as they really are.
    private static func findTemporaryDirectories(_ environment: [String: String]) -> [String] {
        var directories = ["/tmp", "/var/tmp"]
        if let temporary = environment["TMPDIR"] ?? ProcessInfo.processInfo.environment["TMPDIR"], !temporary.isEmpty {
            directories.append(temporary)
        }
        var seen = Set<String>()
        return directories.map(WorkspaceBoundary.physicalPath(of:)).filter {
            FileManager.default.fileExists(atPath: $0) && seen.insert($0).inserted
        }
    }

    /// A file or directory a command must not read.
    public struct Cover: Sendable, Equatable {
        public let path: String
        public let isDirectory: Bool

        public init(path: String, isDirectory: Bool) {
            self.path = path
            self.isDirectory = isDirectory
        }
    }
}
