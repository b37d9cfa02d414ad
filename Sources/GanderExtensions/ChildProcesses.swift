import Foundation
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// Runs `body` with `posix_spawn` attributes for a child that leads a process group of its own, so that one signal
/// reaches every process it starts, and that begins with an empty signal mask and default handlers rather than what
/// Gander set up for Ctrl-C. The shell tool's commands and stdio MCP servers start this way.
func withProcessGroupSpawnAttributes<T>(_ body: (inout posix_spawnattr_t) throws -> T) rethrows -> T {
    var attributes = posix_spawnattr_t()
    posix_spawnattr_init(&attributes)
    defer { posix_spawnattr_destroy(&attributes) }
    posix_spawnattr_setpgroup(&attributes, 0)
    var noSignals = sigset_t()
    sigemptyset(&noSignals)
    posix_spawnattr_setsigmask(&attributes, &noSignals)
    var defaults = sigset_t()
    sigemptyset(&defaults)
    for signal in [SIGINT, SIGTERM, SIGPIPE, SIGQUIT, SIGHUP] { sigaddset(&defaults, signal) }
    posix_spawnattr_setsigdefault(&attributes, &defaults)
    posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETPGROUP | POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF))
    return try body(&attributes)
}

/// Starts `executable` with `arguments` (the first is its name) and `environment` as the leader of a process group of
/// its own (`withProcessGroupSpawnAttributes`), with the file `actions` given; returns its pid, and `posix_spawn`'s
/// result (0, or the errno of a start that failed).
func spawnProcessGroupLeader(_ executable: String, arguments: [String], environment: [String: String],
                             actions: inout posix_spawn_file_actions_t) -> (pid: pid_t, result: Int32) {
    var cArguments = arguments.map { strdup($0) } + [nil]
    var cEnvironment = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
    defer {
        cArguments.forEach { free($0) }
        cEnvironment.forEach { free($0) }
    }
    var pid: pid_t = 0
    let result = withProcessGroupSpawnAttributes { attributes in
        posix_spawn(&pid, executable, &actions, &attributes, &cArguments, &cEnvironment)
    }
    return (pid, result)
}

/// Waits for the child `pid` on a thread of its own — `waitpid` blocks, and Swift's shared pool has only as many
/// threads as cores — and hands its wait status to `onExit`.
func reapChild(_ pid: pid_t, onExit: @escaping @Sendable (Int32) -> Void) {
    let thread = Thread {
        var status: Int32 = 0
        while waitpid(pid, &status, 0) == -1, errno == EINTR {}
        onExit(status)
    }
    thread.stackSize = 64 * 1024
    thread.start()
}

/// A child's wait status once it has ended, set by the thread that reaps it.
final class ExitRecord: @unchecked Sendable {
    private let lock = NSLock()
    private var recorded: Int32?

    var status: Int32? {
        get { lock.withLock { recorded } }
        set { lock.withLock { recorded = newValue } }
    }

    /// "exited with status 1", "was killed by signal 9".
    static func describe(_ status: Int32) -> String {
        status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
    }
}
