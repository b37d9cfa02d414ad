import CGanderSystem
import Foundation
import GanderNetwork
#if canImport(Glibc)
import Glibc
#elseif canImport(Darwin)
import Darwin
#endif

/// A headless Chromium that Gander started for one session: its own profile in a temporary directory (none of the
/// user's cookies or history), the DevTools endpoint on a loopback port the browser picks, and Chromium's own
/// background traffic (updates, safe-browsing pings, metrics) turned off, so the only requests it makes are the pages
/// the model opens. It is also handed a pipe it watches, whose far end only Gander holds: if Gander dies without
/// closing the browser, the pipe closes and Chromium exits on its own.
final class BrowserProcess: Sendable {
    let pid: pid_t
    let port: Int
    /// The WebSocket path of the browser's endpoint (`/devtools/browser/…`).
    let path: String
    let executable: String
    private let profile: URL
    private let lifeline: Int32
    private let exit = ExitRecord()

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Where Chromium or Chrome is: `GANDER_BROWSER`, else the usual names on PATH, else the usual install places.
    static func locate(environment: [String: String]) -> String? {
        if let chosen = environment["GANDER_BROWSER"], !chosen.isEmpty {
            return access(chosen, X_OK) == 0 ? chosen : nil
        }
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "microsoft-edge"]
        for directory in (environment["PATH"] ?? "/usr/local/bin:/usr/bin:/bin").split(separator: ":") {
            for name in names where access("\(directory)/\(name)", X_OK) == 0 { return "\(directory)/\(name)" }
        }
        let known = ["/Applications/Google Chrome.app/Contents/MacOS/Google Chrome",
                     "/Applications/Chromium.app/Contents/MacOS/Chromium", "/snap/bin/chromium"]
        return known.first { access($0, X_OK) == 0 }
    }

    static let installAdvice = "No Chromium or Chrome was found. Install it (Debian and Ubuntu: sudo apt-get install chromium; "
        + "macOS: brew install --cask chromium) or set GANDER_BROWSER to the browser's path."

    init(executable: String, environment: [String: String], startTimeout: Duration = .seconds(30)) async throws(Failure) {
        self.executable = executable
        profile = FileManager.default.temporaryDirectory.appendingPathComponent("gander-browser-\(getpid())-\(UUID().uuidString.prefix(8))")
        do {
            try FileManager.default.createDirectory(at: profile, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        } catch {
            throw Failure(description: "could not make the browser's profile directory \(profile.path): \(error.localizedDescription)")
        }
        var watched: [Int32] = [0, 0]
        var unused: [Int32] = [0, 0]
        guard pipe(&watched) == 0, pipe(&unused) == 0 else { throw Failure(description: String(cString: strerror(errno))) }
        for fd in [watched[1], unused[0]] { _ = fcntl(fd, F_SETFD, FD_CLOEXEC) }

        var arguments = [
            executable, "--headless", "--remote-debugging-port=0", "--remote-debugging-pipe",
            "--user-data-dir=\(profile.path)", "--no-first-run", "--no-default-browser-check", "--disable-gpu",
            "--disable-dev-shm-usage", "--disable-extensions", "--disable-background-networking",
            "--disable-component-update", "--disable-sync", "--disable-domain-reliability", "--no-pings",
            "--disable-client-side-phishing-detection", "--disable-default-apps", "--metrics-recording-only",
            "--mute-audio", "--password-store=basic", "--use-mock-keychain", "--hide-scrollbars",
            "--window-size=1280,800", "--force-device-scale-factor=1",
            // A page restored from the back-forward cache fires no load event, which `back` waits for.
            "--disable-back-forward-cache",
        ]
        // Chromium will not run its sandbox as root, which is how containers and CI run.
        if getuid() == 0 { arguments.append("--no-sandbox") }
        let network = NetworkEnvironment(environment: environment)
        if let proxy = network.httpsProxy ?? network.httpProxy {
            arguments.append("--proxy-server=http://\(proxy.host):\(proxy.port)")
            if !network.noProxy.isEmpty { arguments.append("--proxy-bypass-list=" + network.noProxy.joined(separator: ";")) }
        }
        arguments.append("about:blank")

        var actions = posix_spawn_file_actions_t()
        posix_spawn_file_actions_init(&actions)
        defer { posix_spawn_file_actions_destroy(&actions) }
        posix_spawn_file_actions_addopen(&actions, 0, "/dev/null", O_RDONLY, 0)
        let log = profile.appendingPathComponent("chromium.log").path
        posix_spawn_file_actions_addopen(&actions, 1, log, O_WRONLY | O_CREAT | O_APPEND, 0o600)
        posix_spawn_file_actions_adddup2(&actions, 1, 2)
        // --remote-debugging-pipe reads fd 3 and writes fd 4.
        posix_spawn_file_actions_adddup2(&actions, watched[0], 3)
        posix_spawn_file_actions_adddup2(&actions, unused[1], 4)
        let (pid, result) = spawnProcessGroupLeader(executable, arguments: arguments, environment: environment, actions: &actions)
        close(watched[0])
        close(unused[1])
        close(unused[0])
        guard result == 0 else {
            close(watched[1])
            throw Failure(description: "could not start \(executable): \(String(cString: strerror(result)))")
        }
        self.pid = pid
        lifeline = watched[1]
        reapChild(pid) { [exit] in exit.status = $0 }

        // The browser writes its port and path to DevToolsActivePort in the profile once it listens.
        let portFile = profile.appendingPathComponent("DevToolsActivePort")
        let deadline = ContinuousClock.now + startTimeout
        var endpoint: (Int, String)?
        while endpoint == nil {
            if let text = try? String(contentsOf: portFile, encoding: .utf8) {
                let lines = text.split(separator: "\n")
                if lines.count >= 2, let port = Int(lines[0]) { endpoint = (port, String(lines[1])) }
            }
            if endpoint != nil { break }
            if let status = exit.status {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(400)) } ?? ""
                Self.removeProfile(profile, lifeline: lifeline)
                throw Failure(description: "\(executable) \(ExitRecord.describe(status)) as it started"
                    + (tail.isEmpty ? "" : ": " + tail.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            if ContinuousClock.now > deadline {
                _ = kill(-pid, SIGKILL)
                Self.removeProfile(profile, lifeline: lifeline)
                throw Failure(description: "\(executable) did not open its DevTools port within \(startTimeout.components.seconds) s")
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        (port, path) = endpoint!
    }

    var hasExited: Bool { exit.status != nil }

    /// How the browser ended, once it has.
    var exitDescription: String? { exit.status.map(ExitRecord.describe) }

    /// Ends the browser and everything it started, and removes its profile.
    func terminate() async {
        if !hasExited {
            _ = kill(-pid, SIGTERM)
            let deadline = ContinuousClock.now + .seconds(3)
            while !hasExited, ContinuousClock.now < deadline { try? await Task.sleep(for: .milliseconds(20)) }
            if !hasExited { _ = kill(-pid, SIGKILL) }
        }
        Self.removeProfile(profile, lifeline: lifeline)
    }

    private static func removeProfile(_ profile: URL, lifeline: Int32) {
        close(lifeline)
        try? FileManager.default.removeItem(at: profile)
    }
}
