import Foundation
import GanderHost
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
    var pid: pid_t { child.pid }
    let port: Int
    /// The WebSocket path of the browser's endpoint (`/devtools/browser/…`).
    let path: String
    let executable: String
    private let profile: URL
    private let lifeline: Int32
    private let child: ChildProcess

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    /// Where Chromium or Chrome is: `GANDER_BROWSER`, else the usual names on PATH, else the usual install places.
    static func locate(environment: [String: String]) -> String? {
        if let chosen = environment["GANDER_BROWSER"], !chosen.isEmpty {
            return access(chosen, X_OK) == 0 ? chosen : nil
        }
        let names = ["chromium", "chromium-browser", "google-chrome", "google-chrome-stable", "chrome", "microsoft-edge"]
        for name in names {
            if let found = ProcessLauncher.find(name, path: environment["PATH"]) { return found }
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
        let watched = ChildPipe.make()
        let unused = ChildPipe.make()

        var arguments = [
            "--headless", "--remote-debugging-port=0", "--remote-debugging-pipe",
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
        if network.offline {
            // Offline, every request off this machine and its private network goes to a proxy that is not there (the
            // discard port), so a page on loopback cannot load a script or a picture from elsewhere either.
            arguments.append("--proxy-server=http://127.0.0.1:9")
            arguments.append("--proxy-bypass-list=localhost;127.0.0.0/8;[::1];10.0.0.0/8;172.16.0.0/12;192.168.0.0/16;169.254.0.0/16")
        } else if let proxy = network.httpsProxy ?? network.httpProxy {
            arguments.append("--proxy-server=http://\(proxy.host):\(proxy.port)")
            if !network.noProxy.isEmpty { arguments.append("--proxy-bypass-list=" + network.noProxy.joined(separator: ";")) }
        }
        arguments.append("about:blank")

        let log = profile.appendingPathComponent("chromium.log").path
        var launch = ProcessLauncher.Launch(executable, arguments, environment: environment)
        launch.stdout = .file(log, append: true)
        launch.stderr = .file(log, append: true)
        // --remote-debugging-pipe reads fd 3 and writes fd 4.
        launch.extraDescriptors = [(3, watched.read), (4, unused.write)]
        let started = Result { () throws(ProcessLauncher.LaunchError) -> ChildProcess in try ProcessLauncher.spawn(launch) }
        close(watched.read)
        close(unused.write)
        close(unused.read)
        switch started {
        case .success(let child): self.child = child
        case .failure(let error):
            close(watched.write)
            throw Failure(description: "could not start \(executable): \(error)")
        }
        lifeline = watched.write

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
            if let status = child.status {
                let tail = (try? String(contentsOfFile: log, encoding: .utf8)).map { String($0.suffix(400)) } ?? ""
                Self.removeProfile(profile, lifeline: lifeline)
                throw Failure(description: "\(executable) \(ChildProcess.describe(status)) as it started"
                    + (tail.isEmpty ? "" : ": " + tail.trimmingCharacters(in: .whitespacesAndNewlines)))
            }
            if ContinuousClock.now > deadline {
                child.signalGroup(SIGKILL)
                Self.removeProfile(profile, lifeline: lifeline)
                throw Failure(description: "\(executable) did not open its DevTools port within \(startTimeout.components.seconds) s")
            }
            try? await Task.sleep(for: .milliseconds(25))
        }
        (port, path) = endpoint!
    }

    var hasExited: Bool { child.hasExited }

    /// How the browser ended, once it has.
    var exitDescription: String? { child.status.map(ChildProcess.describe) }

    /// Ends the browser and everything it started, and removes its profile.
    func terminate() async {
        if !hasExited {
            child.signalGroup(SIGTERM)
            if !(await child.waitForExit(upTo: .seconds(3))) { child.signalGroup(SIGKILL) }
        }
        Self.removeProfile(profile, lifeline: lifeline)
    }

    private static func removeProfile(_ profile: URL, lifeline: Int32) {
        close(lifeline)
        try? FileManager.default.removeItem(at: profile)
    }
}
