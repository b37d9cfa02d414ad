import Foundation
import GanderCore
import Testing

@Suite("the tool router")
struct ToolRouterTests {
    /// An extension whose one tool answers with the extension's label.
    struct Echo: Extension {
        let name: String
        let label: String
        let instructions = ""

        func tools() async throws -> [any ToolHandler] {
            [InlineTool(ToolSpec(name: "ping", description: "answers", inputSchema: ["type": "object"]),
                        footprint: { _, _ in .reads() }, run: { [label] _, _ in .text(label) })]
        }
    }

    @Test("a name offered twice gets a numbered prefix, each call reaches its own tool, and the user is told once")
    func duplicateNames() async throws {
        let router = ToolRouter(extensions: [Echo(name: "docs", label: "first"), Echo(name: "docs", label: "second"),
                                             Echo(name: "docs", label: "third")])
        let context = ToolContext(workingDirectory: URL(fileURLWithPath: "/tmp"))

        let catalog = await router.catalog()

        #expect(catalog.specs.map(\.name) == ["docs__ping", "docs_2__ping", "docs_3__ping"])
        for (name, label) in [("docs__ping", "first"), ("docs_2__ping", "second"), ("docs_3__ping", "third")] {
            let entry = try #require(catalog.entry(named: name))
            #expect(await entry.handler.run([:], context: context) == .text(label))
            #expect(entry.extensionName == "docs")
        }
        #expect(catalog.failures == [
            "another extension is also named docs: its tools are offered as docs_2__… (give the extensions different names in config.yaml)",
            "another extension is also named docs: its tools are offered as docs_3__… (give the extensions different names in config.yaml)",
        ])
        let again = await router.catalog()
        #expect(again.specs.map(\.name) == catalog.specs.map(\.name), "the same names on every model call")
        #expect(again.failures.isEmpty, "told once, not on every model call")
    }
}
