import Foundation

/// A program running in a real terminal: a detached tmux session on a private tmux server, driven with send-keys and
/// read with capture-pane, the way a user at a keyboard would drive it.
public final class TmuxSession: @unchecked Sendable {
    private let socket = "gander-test-\(UUID().uuidString.prefix(8))"
    public let name = "gander"

    /// Starts `arguments` in `directory` with exactly `environment`, in a terminal of `width`×`height`.
    public init(_ arguments: [String], in directory: URL, environment: [String: String], width: Int = 120,
                height: Int = 40) throws {
        let assignments = environment.sorted { $0.key < $1.key }.map { "\($0.key)=\($0.value)" }
        let command = (["env", "-i"] + assignments + arguments).map(Self.quote).joined(separator: " ")
        // The pane stays after the program exits, so its last words can still be read.
        try tmux(["new-session", "-d", "-s", name, "-x", "\(width)", "-y", "\(height)", "-c", directory.path, command])
        try tmux(["set-option", "-t", name, "remain-on-exit", "on"])
    }

    /// Types `text` literally.
    public func type(_ text: String) throws {
        try tmux(["send-keys", "-t", name, "-l", text])
    }

    /// Presses keys by tmux's names: `Enter`, `C-c`, `C-j`, `Up`, `C-d`.
    public func press(_ keys: String...) throws {
        try tmux(["send-keys", "-t", name] + keys)
    }

    /// Types `text` and presses Enter.
    public func enter(_ text: String) throws {
        try type(text)
        try press("Enter")
    }

    /// What the screen shows now, and the scrollback above it; with `attributes`, its colours and styles as
    /// escape sequences too.
    public func screen(attributes: Bool = false) -> String {
        (try? tmux(["capture-pane", "-p", "-J", "-S", "-200", "-t", name] + (attributes ? ["-e"] : []))) ?? ""
    }

    /// How long a wait lasts unless a test says otherwise. A wait ends the moment the text appears, so the bound only
    /// matters when something is wrong — and when the whole suite starts at once on two cores, a session's first
    /// screen can take far longer than it would for a user.
    public static let defaultWait = Duration.seconds(60)

    /// Waits until the screen shows `text`; returns whether it did within `timeout`.
    @discardableResult
    public func waitFor(_ text: String, timeout: Duration = TmuxSession.defaultWait) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if screen().contains(text) { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Waits until `text` appears `count` times on the screen.
    @discardableResult
    public func waitFor(_ text: String, count: Int, timeout: Duration = TmuxSession.defaultWait) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if screen().components(separatedBy: text).count - 1 >= count { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Whether the program has exited.
    public var exited: Bool {
        ((try? tmux(["display-message", "-p", "-t", name, "#{pane_dead}"])) ?? "1").hasPrefix("1")
    }

    /// Waits for the program to exit; returns whether it did within `timeout`.
    public func waitForExit(timeout: Duration = .seconds(30)) async -> Bool {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            if exited { return true }
            try? await Task.sleep(for: .milliseconds(50))
        }
        return false
    }

    /// Ends the tmux server and everything in it.
    public func close() {
        _ = try? tmux(["kill-server"])
    }

    /// Runs one tmux command and returns its output. Spawned and reaped directly with posix_spawn and waitpid:
    /// the tmux server that `new-session` starts must inherit neither a pipe nor a process monitor from us, nor the
    /// signal mask of the thread that starts it (the concurrency runtime's threads block signals, and a tmux server
    /// with SIGCHLD blocked never reaps its panes nor obeys kill-server).
    @discardableResult
    private func tmux(_ arguments: [String]) throws -> String {
        let outputFile = FileManager.default.temporaryDirectory.appendingPathComponent("tmux-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: outputFile) }
        let argv = ["tmux", "-L", socket, "-f", "/dev/null"] + arguments
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        posix_spawn_file_actions_addopen(&actions, 1, outputFile.path, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        posix_spawn_file_actions_addopen(&actions, 2, "/dev/null", O_WRONLY, 0)
        var attributes = posix_spawnattr_t()
        posix_spawnattr_init(&attributes)
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var allSignals = sigset_t()
        sigfillset(&allSignals)
        posix_spawnattr_setsigmask(&attributes, &noSignals)
        posix_spawnattr_setsigdefault(&attributes, &allSignals)
        posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
        let cArguments = argv.map { strdup($0) } + [nil]
        defer { cArguments.forEach { free($0) } }
        var pid: pid_t = 0
        let status = posix_spawnp(&pid, "tmux", &actions, &attributes, cArguments, environ)
        guard status == 0 else { throw POSIXError(POSIXErrorCode(rawValue: status) ?? .ENOENT) }
        var exitStatus: Int32 = 0
        while waitpid(pid, &exitStatus, 0) < 0, errno == EINTR {}
        return (try? String(contentsOf: outputFile, encoding: .utf8)) ?? ""
    }

    private static func quote(_ word: String) -> String {
        "'" + word.replacingOccurrences(of: "'", with: "'\\''") + "'"
    }
}
