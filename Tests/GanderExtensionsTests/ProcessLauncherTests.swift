import Foundation
import GanderHost
import GanderTestSupport
import Testing

@Suite("the process launcher")
struct ProcessLauncherTests {
    @Test("no child gets a provider key or a secret-named variable, unless its environment was judged by the user's rules")
    func environmentPolicy() async throws {
        let environment = ["PATH": "/usr/bin:/bin", "OPENAI_API_KEY": "sk-test-not-for-children", "MY_SERVICE_TOKEN": "t0k3n",
                           "LANG": "C.UTF-8"]
        let plain = try await ProcessLauncher.run("env", [], environment: environment)
        let seen = String(decoding: plain.output, as: UTF8.self)
        #expect(plain.succeeded)
        #expect(seen.contains("LANG=C.UTF-8") && !seen.contains("OPENAI_API_KEY") && !seen.contains("MY_SERVICE_TOKEN"), "\(seen)")

        var launch = ProcessLauncher.Launch("env", [], environment: environment)
        launch.environmentIsJudged = true
        let output = FileManager.default.temporaryDirectory.appendingPathComponent("launcher-\(UUID().uuidString)")
        defer { try? FileManager.default.removeItem(at: output) }
        launch.stdout = .file(output.path, append: false)
        let status = await (try ProcessLauncher.spawn(launch)).waitForExit()
        #expect(status == 0)
        #expect(try String(contentsOf: output, encoding: .utf8).contains("MY_SERVICE_TOKEN=t0k3n"), "kept on purpose")
    }

    @Test("input reaches the program, a timeout kills its whole group, and a missing program is one line")
    func runToEnd() async throws {
        let echoed = try await ProcessLauncher.run("cat", [], input: Data("through stdin".utf8))
        #expect(String(decoding: echoed.output, as: UTF8.self) == "through stdin")
        // The background child holds stdout too: only a kill of the whole group lets the run end.
        let marker = "61.\(getpid())"
        let slow = try await ProcessLauncher.run("sh", ["-c", "sleep \(marker) & sleep \(marker)"], timeout: .milliseconds(300))
        #expect(slow.timedOut && !slow.succeeded)
        #expect(!isRunning(commandLineContaining: marker), "no sleep of the group is left")
        await #expect(throws: ProcessLauncher.LaunchError.notFound("no-such-program-anywhere")) {
            try await ProcessLauncher.run("no-such-program-anywhere", [])
        }
        #expect(ProcessLauncher.find("sh", path: "/nonexistent:/bin") == "/bin/sh")
    }
}
