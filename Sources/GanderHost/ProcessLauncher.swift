import CGanderSystem
import Foundation
import GanderCore
import Synchronization
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// The one way Gander starts a process: the shell's commands, MCP servers, Chromium, helper programs (pdftotext,
/// ImageMagick, secret-tool, gcloud), git for checkpoints and the runtime installer all come through here. One PATH
/// lookup, one environment policy, each child the leader of a process group of its own (so one signal reaches
/// everything it starts) with an empty signal mask and default handlers, and waits that never hold a thread of
/// Swift's cooperative pool — it has one thread per core, and a tool call sitting in `waitpid` would stall the agent.
public enum ProcessLauncher {
    /// What a child's standard stream is connected to.
    public enum Stream: Sendable, Equatable {
        /// /dev/null.
        case null
        /// A file, created 0600 if missing, truncated or appended to.
        case file(String, append: Bool)
        /// A descriptor of Gander's (one end of a pipe); the child gets its own copy.
        case descriptor(Int32)
    }

    /// One process to start.
    public struct Launch: Sendable {
        /// A path, or a name looked up on the `PATH` of `environment`.
        public var program: String
        public var arguments: [String]
        /// What the program sees as its name (`argv[0]`); the program as given when nil.
        public var name: String?
        /// The child's environment. Unless `environmentIsJudged`, every variable whose name marks it as a secret is
        /// taken out before the child starts, whatever the caller passed.
        public var environment: [String: String]
        /// The environment was already judged by the user's own rules (the shell's `command_env:`, an MCP server's
        /// `env:`), which may keep a secret on purpose; it is passed as it is.
        public var environmentIsJudged = false
        public var directory: URL?
        public var stdin: Stream = .null
        public var stdout: Stream = .null
        public var stderr: Stream = .null
        /// Descriptors of Gander's the child gets at the given numbers (Chromium's `--remote-debugging-pipe` reads 3
        /// and writes 4).
        public var extraDescriptors: [(child: Int32, parent: Int32)] = []

        public init(_ program: String, _ arguments: [String], environment: [String: String] = ProcessLauncher.inheritedEnvironment(),
                    directory: URL? = nil) {
            self.program = program
            self.arguments = arguments
            self.environment = environment
            self.directory = directory
        }
    }

    /// A start that failed, with the line the user sees.
    public enum LaunchError: Error, CustomStringConvertible, Equatable {
        case notFound(String)
        case missingDirectory(String)
        case failed(String, reason: String)

        public var description: String {
            switch self {
            case .notFound(let program): "\(program) was not found on PATH"
            case .missingDirectory(let path): "the working directory \(path) does not exist"
            case .failed(let program, let reason): "\(program) could not be started: \(reason)"
            }
        }
    }

    /// Gander's own environment as a child may have it: without provider keys and every variable whose name marks it
    /// as a secret (`CommandEnvironmentPolicy`).
    public static func inheritedEnvironment() -> [String: String] {
        CommandEnvironmentPolicy().filter(ProcessInfo.processInfo.environment, ownCredentials: [])
    }

    /// Gander's PATH with the usual install places after it, for the helper programs it looks for itself.
    public static var searchPath: String {
        (ProcessInfo.processInfo.environment["PATH"] ?? "/usr/bin:/bin") + ":/usr/local/bin:/usr/bin:/bin:/opt/homebrew/bin"
    }

    /// Where `program` is: itself when it names a path, else the first executable of that name on `path` (a PATH
    /// value). The one PATH lookup of Gander.
    public static func find(_ program: String, path: String?) -> String? {
        if program.contains("/") { return access(program, X_OK) == 0 ? program : nil }
        for directory in (path ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") where !directory.isEmpty {
            let candidate = "\(directory)/\(program)"
            var info = stat()
            if access(candidate, X_OK) == 0, stat(candidate, &info) == 0, (info.st_mode & S_IFMT) == S_IFREG { return candidate }
        }
        return nil
    }

    /// Starts `launch`; the child leads a process group of its own.
    public static func spawn(_ launch: Launch) throws(LaunchError) -> ChildProcess {
        guard let executable = find(launch.program, path: launch.environment["PATH"]) else {
            throw .notFound(launch.program)
        }
        if let directory = launch.directory, !FileManager.default.fileExists(atPath: directory.path) {
            throw .missingDirectory(directory.path)
        }
        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        for (number, stream) in [(Int32(0), launch.stdin), (1, launch.stdout), (2, launch.stderr)] {
            switch stream {
            case .null: posix_spawn_file_actions_addopen(&actions, number, "/dev/null", number == 0 ? O_RDONLY : O_WRONLY, 0)
            case .file(let path, let append):
                posix_spawn_file_actions_addopen(&actions, number, path, O_WRONLY | O_CREAT | (append ? O_APPEND : O_TRUNC), 0o600)
            case .descriptor(let descriptor): posix_spawn_file_actions_adddup2(&actions, descriptor, number)
            }
        }
        for (child, parent) in launch.extraDescriptors { posix_spawn_file_actions_adddup2(&actions, parent, child) }
        if let directory = launch.directory { gander_spawn_file_actions_addchdir(&actions, directory.path) }

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

        var cArguments = ([launch.name ?? launch.program] + launch.arguments).map { strdup($0) } + [nil]
        let environment = launch.environmentIsJudged ? launch.environment
            : CommandEnvironmentPolicy().filter(launch.environment, ownCredentials: [])
        var cEnvironment = environment.sorted { $0.key < $1.key }.map { strdup("\($0.key)=\($0.value)") } + [nil]
        defer { (cArguments + cEnvironment).forEach { free($0) } }
        var pid: pid_t = 0
        let result = posix_spawn(&pid, executable, &actions, &attributes, &cArguments, &cEnvironment)
        guard result == 0 else {
            throw result == ENOENT ? .notFound(launch.program) : .failed(launch.program, reason: String(cString: strerror(result)))
        }
        return ChildProcess(pid: pid)
    }

    /// What a program run to its end left.
    public struct Finished: Sendable {
        public let status: Int32
        public let output: Data
        public let errors: Data
        /// It ran past its time, or wrote more than it may, and was killed.
        public let timedOut: Bool

        public var succeeded: Bool { status == 0 && !timedOut }

        /// The first line it wrote to stderr: what to tell the user when it failed.
        public var firstErrorLine: String? {
            String(decoding: errors, as: UTF8.self).split(separator: "\n")
                .map { $0.trimmingCharacters(in: .whitespaces) }.first { !$0.isEmpty }
        }
    }

    /// Runs a program to its end for one answer, feeding it `input` on stdin (else /dev/null), collecting what it
    /// writes (up to `outputLimit` bytes of each stream), and killing its group after `timeout`. The blocking reads
    /// and the wait happen on threads of their own. Throws only when it cannot start.
    public static func run(_ program: String, _ arguments: [String], environment: [String: String] = inheritedEnvironment(),
                           directory: URL? = nil, input: Data? = nil, timeout: Duration? = nil,
                           outputLimit: Int = 256 << 20) async throws(LaunchError) -> Finished {
        let result: Result<Finished, LaunchError> = await withCheckedContinuation { continuation in
            Thread {
                continuation.resume(returning: Result { () throws(LaunchError) -> Finished in
                    try runToEnd(program, arguments, environment: environment, directory: directory, input: input,
                                 timeout: timeout, outputLimit: outputLimit)
                })
            }.start()
        }
        return try result.get()
    }

    /// The same, waiting on the calling thread: only before the agent or anything else that shares the cooperative
    /// pool is running (a command's start).
    public static func runBlocking(_ program: String, _ arguments: [String], environment: [String: String] = inheritedEnvironment(),
                                   directory: URL? = nil, input: Data? = nil, timeout: Duration? = nil) throws(LaunchError) -> Finished {
        try runToEnd(program, arguments, environment: environment, directory: directory, input: input, timeout: timeout,
                     outputLimit: 256 << 20)
    }

    private static func runToEnd(_ program: String, _ arguments: [String], environment: [String: String], directory: URL?,
                                 input: Data?, timeout: Duration?, outputLimit: Int) throws(LaunchError) -> Finished {
        let stdout = ChildPipe.make(), stderr = ChildPipe.make()
        let stdin = input.map { _ in ChildPipe.make() }
        var launch = Launch(program, arguments, environment: environment, directory: directory)
        launch.stdout = .descriptor(stdout.write)
        launch.stderr = .descriptor(stderr.write)
        if let stdin { launch.stdin = .descriptor(stdin.read) }
        let child: ChildProcess
        do {
            child = try spawn(launch)
        } catch {
            [stdout.read, stdout.write, stderr.read, stderr.write].forEach { close($0) }
            if let stdin { [stdin.read, stdin.write].forEach { close($0) } }
            throw error
        }
        // Only the child holds these ends now, so the reads below end when it does.
        close(stdout.write)
        close(stderr.write)
        if let stdin { close(stdin.read) }

        let killed = Atomic<Bool>(false)
        let finished = DispatchGroup()
        let errors = Collected()
        finished.enter()
        Thread {
            errors.data = readAll(stderr.read, limit: outputLimit) { if killed.exchange(true, ordering: .relaxed) == false { child.signalGroup(SIGKILL) } }
            finished.leave()
        }.start()
        if let stdin, let input {
            Thread {
                // A program that stops reading early closes its end; the write then fails, which is fine.
                input.withUnsafeBytes { bytes in
                    var offset = 0
                    while offset < bytes.count {
                        let written = write(stdin.write, bytes.baseAddress! + offset, bytes.count - offset)
                        if written <= 0 { if errno == EINTR { continue } else { break } }
                        offset += written
                    }
                }
                close(stdin.write)
            }.start()
        }
        let timer = timeout.map { timeout in
            let item = DispatchWorkItem {
                if killed.exchange(true, ordering: .relaxed) == false { child.signalGroup(SIGKILL) }
            }
            let seconds = Double(timeout.components.seconds) + Double(timeout.components.attoseconds) / 1e18
            DispatchQueue.global().asyncAfter(deadline: .now() + seconds, execute: item)
            return item
        }
        let output = readAll(stdout.read, limit: outputLimit) {
            if killed.exchange(true, ordering: .relaxed) == false { child.signalGroup(SIGKILL) }
        }
        finished.wait()
        let status = child.waitBlocking()
        timer?.cancel()
        return Finished(status: status & 0x7f == 0 ? (status >> 8) & 0xff : 128 + (status & 0x7f), output: output,
                        errors: errors.data, timedOut: killed.load(ordering: .relaxed))
    }

    /// Reads `descriptor` to its end and closes it; past `limit` bytes it calls `overflow` once and keeps draining.
    private static func readAll(_ descriptor: Int32, limit: Int, overflow: () -> Void) -> Data {
        var data = Data()
        var buffer = [UInt8](repeating: 0, count: 64 * 1024)
        var overflowed = false
        while true {
            let count = buffer.withUnsafeMutableBytes { read(descriptor, $0.baseAddress, $0.count) }
            if count < 0, errno == EINTR { continue }
            guard count > 0 else { break }
            if data.count + count <= limit {
                data.append(contentsOf: buffer[0..<count])
            } else if !overflowed {
                overflowed = true
                overflow()
            }
        }
        close(descriptor)
        return data
    }
}

/// A pipe whose ends close on exec: a child gets only the copies the launcher hands it.
public struct ChildPipe: Sendable {
    public let read: Int32
    public let write: Int32

    public static func make() -> ChildPipe {
        var ends: [Int32] = [0, 0]
        _ = pipe(&ends)
        for end in ends { _ = fcntl(end, F_SETFD, FD_CLOEXEC) }
        return ChildPipe(read: ends[0], write: ends[1])
    }
}

/// A child Gander started. One thread waits for it (`waitpid` blocks), so its end is known the moment it comes.
public final class ChildProcess: Sendable {
    public let pid: pid_t
    private let state = Mutex<(status: Int32?, waiting: [CheckedContinuation<Int32, Never>])>((nil, []))
    private let ended = DispatchSemaphore(value: 0)

    init(pid: pid_t) {
        self.pid = pid
        let thread = Thread { [self] in
            var status: Int32 = 0
            while waitpid(pid, &status, 0) == -1, errno == EINTR {}
            let waiting = state.withLock { state in
                state.status = status
                defer { state.waiting = [] }
                return state.waiting
            }
            waiting.forEach { $0.resume(returning: status) }
            ended.signal()
        }
        thread.stackSize = 64 * 1024
        thread.start()
    }

    /// The wait status once it has ended.
    public var status: Int32? { state.withLock { $0.status } }

    public var hasExited: Bool { status != nil }

    /// Waits for the end without holding a thread; returns the wait status.
    public func waitForExit() async -> Int32 {
        await withCheckedContinuation { continuation in
            let status = state.withLock { state -> Int32? in
                if state.status == nil { state.waiting.append(continuation) }
                return state.status
            }
            if let status { continuation.resume(returning: status) }
        }
    }

    /// Waits on the calling thread: for threads of their own, never the cooperative pool.
    func waitBlocking() -> Int32 {
        ended.wait()
        ended.signal()
        return status ?? 0
    }

    /// Waits up to `patience` for the end; true when it came.
    @discardableResult
    public func waitForExit(upTo patience: Duration) async -> Bool {
        let deadline = ContinuousClock.now + patience
        while !hasExited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(10)) }
        return hasExited
    }

    /// Sends `signal` to the child's whole process group, children included.
    public func signalGroup(_ signal: Int32) {
        _ = kill(-pid, signal)
    }

    /// "exited with status 1", "was killed by signal 9".
    public static func describe(_ status: Int32) -> String {
        status & 0x7f == 0 ? "exited with status \((status >> 8) & 0xff)" : "was killed by signal \(status & 0x7f)"
    }
}

/// What the stderr reader leaves for the waiting thread.
private final class Collected: @unchecked Sendable {
    private let lock = NSLock()
    private var stored = Data()

    var data: Data {
        get { lock.withLock { stored } }
        set { lock.withLock { stored = newValue } }
    }
}
