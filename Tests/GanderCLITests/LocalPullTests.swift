import Crypto
import Foundation
import GanderLocal
import GanderTestSupport
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// Tests/Fixtures/hub/hub_server.py: the Hugging Face Hub's API shapes, its redirect to a CDN, gated repositories
/// and faults, serving repositories the test writes.
private struct HubServer {
    let root: TemporaryDirectory
    let port: Int
    let process: Process

    init(dropOnce file: String? = nil) async throws {
        root = try TemporaryDirectory(prefix: "gander-hub")
        process = Process()
        process.executableURL = URL(fileURLWithPath: mcpPython)
        process.arguments = [mcpFixtures.deletingLastPathComponent().appendingPathComponent("hub/hub_server.py").path,
                             "--root", root.path, "--port", "0", "--log", root.file("requests.jsonl").path]
            + (file.map { ["--drop-once", $0] } ?? [])
        process.standardError = FileHandle.nullDevice
        port = try await LoopbackPort.announced(by: process)
    }

    /// Writes a GGUF-looking file of `size` bytes into ORG/REPO and returns its SHA-256.
    @discardableResult
    func add(_ repository: String, _ name: String, size: Int = 200_000) throws -> String {
        var bytes = [UInt8]("GGUF".utf8)
        bytes += (0..<max(0, size - 4)).map { UInt8(truncatingIfNeeded: $0 &* 31 &+ $0 >> 8) }
        let folder = root.url.appendingPathComponent(repository)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        try Data(bytes).write(to: folder.appendingPathComponent(name))
        return SHA256.hash(data: bytes).map { String(format: "%02x", $0) }.joined()
    }

    var requests: [[String: Any]] {
        let log = (try? String(contentsOf: root.file("requests.jsonl"), encoding: .utf8)) ?? ""
        return log.split(separator: "\n").compactMap { try? JSONSerialization.jsonObject(with: Data($0.utf8)) as? [String: Any] }
    }

    func stop() {
        kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
        root.remove()
    }
}

@Suite("gander local pull, search and remove against a stand-in Hugging Face Hub")
struct LocalPullTests {
    private func gander(_ arguments: [String], hub: HubServer, home: TemporaryDirectory,
                        extra: [String: String] = [:]) async throws -> GanderProcess.Result {
        let environment = GanderProcess.isolatedEnvironment(
            home: home.url, extra: ["HF_ENDPOINT": "http://127.0.0.1:\(hub.port)", "GANDER_RUNTIME_DIR": runtimeDirectory]
                .merging(extra) { $1 })
        return try await GanderProcess.run(arguments, in: home.url, environment: environment)
    }

    private func modelsFolder(_ home: TemporaryDirectory) -> URL {
        home.url.appendingPathComponent(".local/share/gander/models")
    }

    @Test("Q4_K_M by default, verified, listed, usable by name, a second pull a no-op, and removed again")
    func pullListRemove() async throws {
        let hub = try await HubServer()
        let home = try TemporaryDirectory(prefix: "gander-pull-home")
        defer { hub.stop(); home.remove() }
        let digest = try hub.add("Org/Coder-GGUF", "coder-q4_k_m.gguf")
        try hub.add("Org/Coder-GGUF", "coder-q8_0.gguf", size: 1000)
        try hub.add("Org/Coder-GGUF", "mmproj-coder-f16.gguf", size: 1000)

        let pull = try await gander(["local", "pull", "hf.co/Org/Coder-GGUF"], hub: hub, home: home)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stdout.contains("--model Org/Coder-GGUF:Q4_K_M"))
        let file = modelsFolder(home).appendingPathComponent("Org/Coder-GGUF/coder-q4_k_m.gguf")
        let data = try Data(contentsOf: file)
        #expect(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == digest)
        #expect(!FileManager.default.fileExists(atPath: file.path + ".part"))

        let list = try await gander(["local", "list"], hub: hub, home: home)
        #expect(list.stdout.contains("Org/Coder-GGUF:Q4_K_M\tgander"))
        let downloads = hub.requests.filter { ($0["path"] as? String)?.hasPrefix("/cdn/") == true }.count
        let again = try await gander(["local", "pull", "Org/Coder-GGUF:q4_k_m"], hub: hub, home: home)
        #expect(again.status == 0)
        #expect(hub.requests.filter { ($0["path"] as? String)?.hasPrefix("/cdn/") == true }.count == downloads,
                "a model already whole is not downloaded again")

        let remove = try await gander(["local", "remove", "Org/Coder-GGUF:Q4_K_M"], hub: hub, home: home)
        #expect(remove.status == 0)
        #expect(!FileManager.default.fileExists(atPath: file.path))
        let keep = try await gander(["local", "remove", LocalRuntime.defaultModelName], hub: hub, home: home)
        #expect(keep.status == 1 && keep.stderrLines.count == 1 && keep.stderr.contains("stays"))
    }

    @Test("a dropped connection leaves a part; the next pull resumes it with a Range request and verifies the whole")
    func resume() async throws {
        let hub = try await HubServer(dropOnce: "big-q4_k_m.gguf")
        let home = try TemporaryDirectory(prefix: "gander-pull-home")
        defer { hub.stop(); home.remove() }
        let digest = try hub.add("Org/Big-GGUF", "big-q4_k_m.gguf", size: 4_000_000)

        let first = try await gander(["local", "pull", "Org/Big-GGUF"], hub: hub, home: home)
        #expect(first.status == 1)
        #expect(first.stderr.contains("run the same command again to resume"), "\(first.stderr)")
        let part = modelsFolder(home).appendingPathComponent("Org/Big-GGUF/big-q4_k_m.gguf.part")
        let kept = (try? FileManager.default.attributesOfItem(atPath: part.path)[.size] as? Int) ?? 0
        #expect(kept > 0)

        let second = try await gander(["local", "pull", "Org/Big-GGUF"], hub: hub, home: home)
        #expect(second.status == 0, "\(second.stderr)")
        let ranges = hub.requests.filter { ($0["path"] as? String)?.hasPrefix("/cdn/") == true }.compactMap { $0["range"] as? String }
        // The part is cut back to a page boundary first (4096 bytes), so the rest can be written past the page cache.
        #expect(kept > 4096)
        #expect(ranges == ["bytes=\(kept - kept % 4096)-"], "only the missing bytes, from the last whole page, were asked for")
        let data = try Data(contentsOf: modelsFolder(home).appendingPathComponent("Org/Big-GGUF/big-q4_k_m.gguf"))
        #expect(SHA256.hash(data: data).map { String(format: "%02x", $0) }.joined() == digest)
    }

    @Test("a gated model needs HF_TOKEN, which goes to the Hub and never to the CDN it redirects to")
    func gated() async throws {
        let hub = try await HubServer()
        let home = try TemporaryDirectory(prefix: "gander-pull-home")
        defer { hub.stop(); home.remove() }
        try hub.add("Org/gated-GGUF", "gated-q4_k_m.gguf")

        let refused = try await gander(["local", "pull", "Org/gated-GGUF"], hub: hub, home: home)
        #expect(refused.status == 1 && refused.stderrLines.count == 1)
        #expect(refused.stderr.contains("HF_TOKEN"))
        let allowed = try await gander(["local", "pull", "Org/gated-GGUF"], hub: hub, home: home, extra: ["HF_TOKEN": "hub-token"])
        #expect(allowed.status == 0, "\(allowed.stderr)")
        #expect(!allowed.stdout.contains("hub-token") && !allowed.stderr.contains("hub-token"))
        #expect(hub.requests.filter { ($0["path"] as? String)?.hasPrefix("/cdn/") == true }
            .allSatisfy { ($0["authorization"] as? Bool) == false })
    }

    @Test("a split model arrives in all its parts and is listed once")
    func split() async throws {
        let hub = try await HubServer()
        let home = try TemporaryDirectory(prefix: "gander-pull-home")
        defer { hub.stop(); home.remove() }
        try hub.add("Org/Huge-GGUF", "huge-Q4_K_M-00001-of-00002.gguf")
        try hub.add("Org/Huge-GGUF", "huge-Q4_K_M-00002-of-00002.gguf")
        try hub.add("Org/Huge-GGUF", "huge-Q8_0.gguf")

        let pull = try await gander(["local", "pull", "Org/Huge-GGUF"], hub: hub, home: home)
        #expect(pull.status == 0, "\(pull.stderr)")
        #expect(pull.stderr.contains("in 2 parts"))
        let folder = modelsFolder(home).appendingPathComponent("Org/Huge-GGUF")
        #expect(Set(try FileManager.default.contentsOfDirectory(atPath: folder.path))
                == ["huge-Q4_K_M-00001-of-00002.gguf", "huge-Q4_K_M-00002-of-00002.gguf"])
        let list = try await gander(["local", "list"], hub: hub, home: home)
        #expect(list.stdout.split(separator: "\n").filter { $0.hasPrefix("Org/Huge-GGUF") }.count == 1, "\(list.stdout)")
    }

    @Test("bad input gets one line each: a wrong checksum, a missing quantisation, an unknown repository, a bad name, offline")
    func unhappy() async throws {
        let hub = try await HubServer()
        let home = try TemporaryDirectory(prefix: "gander-pull-home")
        defer { hub.stop(); home.remove() }
        try hub.add("Org/corrupt-GGUF", "bad-q4_k_m.gguf")
        try hub.add("Org/Small-GGUF", "small-q8_0.gguf")

        let corrupt = try await gander(["local", "pull", "Org/corrupt-GGUF"], hub: hub, home: home)
        #expect(corrupt.status == 1 && corrupt.stderrLines.last?.contains("does not match the Hub's SHA-256") == true,
                "\(corrupt.stderr)")
        let folder = modelsFolder(home).appendingPathComponent("Org/corrupt-GGUF")
        #expect(((try? FileManager.default.contentsOfDirectory(atPath: folder.path)) ?? []).isEmpty, "nothing half-checked stays")

        let quant = try await gander(["local", "pull", "Org/Small-GGUF:Q2_K"], hub: hub, home: home)
        #expect(quant.status == 1 && quant.stderr.contains("has no Q2_K file; it has Q8_0"))
        let nearest = try await gander(["local", "pull", "Org/Small-GGUF"], hub: hub, home: home)
        #expect(nearest.status == 0 && nearest.stdout.contains("Org/Small-GGUF:Q8_0"), "without Q4_K_M, the nearest")

        let missing = try await gander(["local", "pull", "Org/Nothing-GGUF"], hub: hub, home: home)
        #expect(missing.status == 1 && missing.stderrLines.count == 1 && missing.stderr.contains("no repository Org/Nothing-GGUF"))
        let bad = try await gander(["local", "pull", "not a model"], hub: hub, home: home)
        #expect(bad.status == 1 && bad.stderrLines.count == 1 && bad.stderr.contains("ORG/REPO[:QUANT]"))
        let offline = try await gander(["local", "pull", "Org/Small-GGUF:Q8_0"], hub: hub, home: home, extra: ["GANDER_OFFLINE": "1"])
        #expect(offline.status == 1 && offline.stderr.contains("offline: refused"))
    }

    @Test("search lists GGUF repositories with their size")
    func search() async throws {
        let hub = try await HubServer()
        let home = try TemporaryDirectory(prefix: "gander-pull-home")
        defer { hub.stop(); home.remove() }
        try hub.add("Org/Coder-GGUF", "coder-q4_k_m.gguf")
        try hub.add("Other/Chat-GGUF", "chat-q4_k_m.gguf")

        let result = try await gander(["local", "search", "coder"], hub: hub, home: home)
        #expect(result.status == 0)
        let rows = result.stdout.split(separator: "\n")
        #expect(rows.count == 2 && rows[1].hasPrefix("Org/Coder-GGUF\t0.5B\t"), "\(result.stdout)")

        // A search that gets no answer says it was the search that failed, not a download.
        let unreachable = try await gander(["local", "search", "coder"], hub: hub, home: home,
                                           extra: ["HF_ENDPOINT": "http://127.0.0.1:9"])
        #expect(unreachable.status == 1 && unreachable.stderrLines.count == 1, "\(unreachable.stderr)")
        #expect(unreachable.stderr.contains("searching Hugging Face for \"coder\" failed: 127.0.0.1 could not be reached"),
                "\(unreachable.stderr)")
        #expect(!unreachable.stderr.contains("download"), "\(unreachable.stderr)")
    }
}
