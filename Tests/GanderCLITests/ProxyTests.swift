import Foundation
import GanderCore
import GanderTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// tinyproxy from Debian on loopback, as the proxy a company network puts between a developer and the internet.
private struct Tinyproxy {
    let directory: TemporaryDirectory
    let port: Int
    let process: Process

    init() throws {
        directory = try TemporaryDirectory(prefix: "gander-proxy")
        port = LoopbackPort.free()
        try directory.write("tinyproxy.conf", """
            Port \(port)
            Listen 127.0.0.1
            Allow 127.0.0.1
            LogFile "\(directory.file("tinyproxy.log").path)"
            LogLevel Connect
            MaxClients 20
            Timeout 60
            """)
        process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/tinyproxy")
        process.arguments = ["-d", "-c", directory.file("tinyproxy.conf").path]
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
    }

    var url: String { "http://127.0.0.1:\(port)" }

    /// The CONNECT requests the proxy has passed on so far.
    var tunnels: [String] {
        let log = (try? String(contentsOf: directory.file("tinyproxy.log"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").filter { $0.contains("): CONNECT ") }.map(String.init)
    }

    func waitUntilListening() async throws {
        for _ in 0..<100 {
            if (try? String(contentsOf: directory.file("tinyproxy.log"), encoding: .utf8))?.contains("listening on") == true {
                return
            }
            try await Task.sleep(for: .milliseconds(50))
        }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        directory.remove()
    }
}

@Suite("proxies from the environment", .serialized)
struct ProxyTests {
    @Test("HTTPS_PROXY/HTTP_PROXY carry model requests through a real proxy; NO_PROXY goes direct; a dead proxy is named")
    func throughTinyproxy() async throws {
        let proxy = try Tinyproxy()
        defer { proxy.stop() }
        try await proxy.waitUntilListening()
        let scenario = try await Scenario(.openai, [.tools(shell("echo hi")), .text("via the proxy"), .text("direct")])
        defer { Task { await scenario.finish() } }

        let proxied = try await scenario.run(["-t", "hi"], environment: ["http_proxy": proxy.url])
        #expect(proxied.status == 0 && proxied.stdout == "via the proxy\n", "stderr: \(proxied.stderr)")
        #expect(proxy.tunnels.contains { $0.contains("CONNECT 127.0.0.1:\(scenario.server.port)") }, "\(proxy.tunnels)")
        let tunnelled = proxy.tunnels.count

        let direct = try await scenario.run(["-t", "hi"], environment: ["HTTP_PROXY": proxy.url, "NO_PROXY": "localhost,127.0.0.1"])
        #expect(direct.status == 0 && direct.stdout == "direct\n", "stderr: \(direct.stderr)")
        #expect(proxy.tunnels.count == tunnelled, "NO_PROXY names the host, so the proxy saw nothing")

        let dead = try await scenario.run(["-t", "hi", "--max-retries", "1"], environment: ["HTTP_PROXY": "http://127.0.0.1:9"])
        #expect(dead.status == 1 && dead.stderrLines.count == 1)
        #expect(dead.stderr.contains("through the proxy 127.0.0.1:9 that HTTPS_PROXY or HTTP_PROXY names"), "\(dead.stderr)")
    }
}
