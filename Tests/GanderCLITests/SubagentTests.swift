import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// Sub-recipes run as sub-agents through `summon__delegate`, against a scripted model that plays parent and children.
@Suite("sub-agents")
struct SubagentTests {
    static let helper = """
        title: Helper
        description: waits until its siblings are running too
        prompt: "mark {{ marker }}"
        parameters:
          - key: marker
            input_type: string
            requirement: required
            description: which helper
        extensions:
          - developer
        """

    /// Returns "together" only when three helpers run at once: each leaves a marker and waits for three.
    static let barrier = "mktemp m.XXXXXX >/dev/null; for i in $(seq 150); do [ $(ls m.* | wc -l) -ge 3 ] && echo together && exit 0; "
        + "sleep 0.1; done; echo alone; exit 1"

    /// The events of sub-agents in a stream-json run: (name, event).
    static func subagentEvents(_ stdout: String) throws -> [(String, JSONValue)] {
        try stdout.split(separator: "\n").compactMap { line in
            let event = try JSONValue(parsing: String(line))
            guard event["type"] == "subagent" else { return nil }
            return (event["name"]?.stringValue ?? "", event["event"] ?? .null)
        }
    }

    @Test("three sub-recipes run at once, a sequential one in turn; values win over the model's; children's tokens count as the run's")
    func concurrentAndSequential() async throws {
        let delegate = { (source: String, parameters: String) in
            ScriptedToolCall("summon__delegate", #"{"source":"\#(source)","parameters":\#(parameters)}"#)
        }
        let slowStep = shell("echo start >> seq.log; sleep 0.3; echo end >> seq.log")
        let scenario = try await Scenario(.openai, [
            .tools(delegate("helper_a", #"{"marker":"zzz"}"#), delegate("helper_b", "{}"), delegate("helper_c", "{}")),
            .tools(shell(Self.barrier)), .tools(shell(Self.barrier)), .tools(shell(Self.barrier)),
            .text("helper done"), .text("helper done"), .text("helper done"),
            .tools(delegate("slow", "{}"), delegate("slow", "{}")),
            .tools(slowStep), .text("slow done"), .tools(slowStep), .text("slow done"),
            .text("All done."),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("helper.yaml", Self.helper)
        try scenario.workspace.write("slow.yaml", "title: Slow\ndescription: one step at a time\nprompt: step\nextensions: [developer]\n")
        try scenario.workspace.write("team.yaml", """
            title: Team
            description: three helpers at once, then a slow one twice
            prompt: run the helpers
            sub_recipes:
              - name: helper_a
                path: ./helper.yaml
                values:
                  marker: a
              - name: helper_b
                path: ./helper.yaml
                values:
                  marker: b
              - name: helper_c
                path: ./helper.yaml
                values:
                  marker: c
              - name: slow
                path: ./slow.yaml
                sequential_when_repeated: true
            """)

        let result = try await scenario.run(["--recipe", "team.yaml", "--output-format", "stream-json"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let nested = try Self.subagentEvents(result.stdout)
        let barrierResults = nested.filter { $0.1["type"] == "tool_result" && $0.0.hasPrefix("helper_") }
            .map { $0.1["result"]?["content"]?.arrayValue?.first?["text"]?.stringValue ?? "" }
        #expect(barrierResults.count == 3 && barrierResults.allSatisfy { $0.contains("together") }, "\(barrierResults)")
        #expect(try String(contentsOf: scenario.workspace.file("seq.log"), encoding: .utf8) == "start\nend\nstart\nend\n",
                "the sequential sub-recipe's two runs did not overlap")
        let firstMessages = scenario.server.chatRequests.compactMap { $0.body?["messages"]?.arrayValue?[1]["content"]?.stringValue }
        #expect(firstMessages.contains("mark a") && !firstMessages.contains("mark zzz"), "the recipe's values win: \(firstMessages)")
        let parentResults = result.stdout.split(separator: "\n").filter { $0.hasPrefix(#"{"result""#) }
        #expect(parentResults.count == 5 && parentResults.allSatisfy { !$0.contains(#""is_error":true"#) })
        let finished = try result.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            .last { $0["type"] == "finished" }
        #expect(scenario.server.chatRequests.count == 13)
        // The scripted server reports 60 uncached input tokens a call: the parent's 3 and the children's 10 count.
        #expect(finished?["outcome"]?["usage"]?["input_tokens"] == 780, "\(String(describing: finished))")
    }

    @Test("a cycle of sub-recipes is refused inside the child; a sub-agent that fails is a tool error, and the run goes on")
    func cycleAndFailure() async throws {
        var cutOff = ScriptedReply.text("I was about to")
        cutOff.finishReason = "length"
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("summon__delegate", #"{"source":"other"}"#)),
            .tools(ScriptedToolCall("summon__delegate", #"{"source":"back"}"#)),
            .text("The child stopped."),
            .tools(ScriptedToolCall("summon__delegate", #"{"instructions":"tidy up"}"#)),
            cutOff,
            .text("Handled without it."),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("loop.yaml", """
            title: Loop
            description: a recipe whose sub-recipe names it in turn
            prompt: go round
            extensions: [developer, summon]
            sub_recipes:
              - name: other
                path: ./other.yaml
            """)
        try scenario.workspace.write("other.yaml", """
            title: Other
            description: goes back to the first
            prompt: go back
            extensions: [developer]
            sub_recipes:
              - name: back
                path: ./loop.yaml
            """)

        let result = try await scenario.run(["--recipe", "loop.yaml", "--output-format", "stream-json"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let nested = try Self.subagentEvents(result.stdout)
        let refusal = nested.first { $0.0 == "other" && $0.1["type"] == "tool_result" }?.1["result"]?["content"]?.arrayValue?
            .first?["text"]?.stringValue ?? ""
        #expect(refusal.contains("would run") && refusal.contains("loop.yaml again, inside itself (a cycle of sub-recipes)"), "\(refusal)")
        let results = try result.stdout.split(separator: "\n").map { try JSONValue(parsing: String($0)) }
            .filter { $0["type"] == "tool_result" }
        #expect(results.count == 2)
        let failed = results.last?["result"]
        #expect(failed?["is_error"] == true, "\(String(describing: failed))")
        #expect(failed?["content"]?.arrayValue?.first?["text"]?.stringValue?.contains("The sub-agent task failed") == true)
        #expect(result.stdout.contains("Handled without it."))
    }
}
