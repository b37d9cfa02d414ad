import Foundation
import GanderCore
import Testing

@Suite("the command environment and the workspace boundary")
struct PolicyTests {
    let environment = ["PATH": "/usr/bin", "OPENAI_API_KEY": "k", "GITHUB_TOKEN": "t", "db_password": "p",
                       "AWS_SHARED_CREDENTIALS_FILE": "c", "MY_SECRET_SAUCE": "s", "EDITOR": "vi"]

    @Test("secret-looking names go, whatever their case; the rest stays")
    func defaults() {
        let kept = CommandEnvironmentPolicy().filter(environment, ownCredentials: ["OPENAI_API_KEY"])
        #expect(Set(kept.keys) == ["PATH", "EDITOR"])
    }

    @Test("keep names a variable back in; keep all keeps everything but Gander's own credentials")
    func keeping() {
        let named = CommandEnvironmentPolicy(keep: .names(["GITHUB_TOKEN", "OPENAI_API_KEY"]))
            .filter(environment, ownCredentials: ["OPENAI_API_KEY"])
        #expect(Set(named.keys) == ["PATH", "EDITOR", "GITHUB_TOKEN", "OPENAI_API_KEY"], "an explicit name wins")
        let all = CommandEnvironmentPolicy(keep: .allButGandersOwn).filter(environment, ownCredentials: ["OPENAI_API_KEY"])
        #expect(Set(all.keys) == Set(environment.keys).subtracting(["OPENAI_API_KEY"]))
    }

    @Test("the boundary follows symlinks and dot-dots, and counts missing files where their existing part leads")
    func boundary() throws {
        let root = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("boundary-\(UUID().uuidString)")
        let workspace = root.appendingPathComponent("workspace")
        let outside = root.appendingPathComponent("outside")
        try FileManager.default.createDirectory(at: workspace.appendingPathComponent("src"), withIntermediateDirectories: true)
        try FileManager.default.createDirectory(at: outside, withIntermediateDirectories: true)
        try FileManager.default.createSymbolicLink(at: workspace.appendingPathComponent("out"), withDestinationURL: outside)
        try FileManager.default.createSymbolicLink(at: workspace.appendingPathComponent("inner"),
                                                   withDestinationURL: workspace.appendingPathComponent("src"))
        defer { try? FileManager.default.removeItem(at: root) }
        let physicalOutside = outside.resolvingSymlinksInPath().path

        let boundary = WorkspaceBoundary(workingDirectory: workspace)
        #expect(boundary.escape(of: workspace) == nil)
        #expect(boundary.escape(of: workspace.appendingPathComponent("src/missing.swift")) == nil)
        #expect(boundary.escape(of: workspace.appendingPathComponent("inner/a.swift")) == nil, "a link that stays inside")
        #expect(boundary.escape(of: workspace.appendingPathComponent("out/id_rsa")) == physicalOutside + "/id_rsa")
        #expect(boundary.escape(of: workspace.appendingPathComponent("../outside").standardizedFileURL) == physicalOutside)
        #expect(boundary.escape(of: URL(fileURLWithPath: "/etc/shadow")) == "/etc/shadow")
        #expect(boundary.escape(of: URL(fileURLWithPath: workspace.path + "-sibling/x")) != nil, "a shared prefix is not inside")
    }
}
