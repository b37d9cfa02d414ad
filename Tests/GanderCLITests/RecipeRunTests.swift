import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// Recipes run through `gander run --recipe` against a scripted model: what the model is sent, what the user gets.
@Suite("gander run --recipe")
struct RecipeRunTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures/recipes")

    func copyFixture(_ name: String, into scenario: Scenario, as target: String? = nil) throws {
        let text = try String(contentsOf: Self.fixtures.appendingPathComponent(name), encoding: .utf8)
        try scenario.workspace.write(target ?? name, text)
    }

    @Test("a recipe's instructions reach the system prompt, its prompt is the first message, its extensions replace the user's; an invalid final output gets its problems back, a valid one is stdout alone")
    func structuredOutput() async throws {
        let scenario = try await Scenario(.openai, [
            .tools(ScriptedToolCall("recipe__final_output", #"{"verdict":"maybe","issues":-1}"#)),
            .tools(ScriptedToolCall("developer__shell", #"{"command":"touch reviewed.txt"}"#),
                   ScriptedToolCall("recipe__final_output", #"{"verdict":"pass","issues":0}"#)),
            .text("Done."),
        ])
        defer { Task { await scenario.finish() } }
        try copyFixture("full.yaml", into: scenario, as: ".gander/recipes/review.yaml")

        let result = try await scenario.run(["--recipe", "review", "--params", "project=gander", "--params", "depth=deep"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stdout == #"{"issues":0,"verdict":"pass"}"# + "\n", "stdout is the JSON alone")
        let system = scenario.systemPrompt(inRequest: 0)
        #expect(system.contains("# Recipe\n\nYou review gander.\nRead every file."), "\(system)")
        let first = scenario.server.chatRequests[0].body?["messages"]?.arrayValue?[1]["content"]?.stringValue
        #expect(first == "Review GANDER at depth deep.")
        let tools = (scenario.server.chatRequests[0].body?["tools"]?.arrayValue ?? []).compactMap { $0["function"]?["name"]?.stringValue }
        #expect(tools == ["developer__shell", "recipe__final_output"], "developer with only shell, and the final output: \(tools)")
        let refused = scenario.toolResultsSent(inRequest: 1).first?.text ?? ""
        #expect(refused.contains("arguments.issues must be at least 0") && refused.contains("arguments.verdict must be one of \"pass\", \"fail\""),
                "\(refused)")
    }

    @Test("a model that answers without its final output is reminded a bounded number of times, then the run fails saying so")
    func reminders() async throws {
        let scenario = try await Scenario(.openai, [
            .text("It passes."),
            .tools(ScriptedToolCall("recipe__final_output", #"{"ok":true}"#)),
            .text("Recorded."),
            .text("No JSON from me."),
            .text("Still none."),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("ok.schema.json", #"{"type":"object","properties":{"ok":{"type":"boolean"}},"required":["ok"]}"#)

        let reminded = try await scenario.run(["-t", "check it", "--output-schema", "ok.schema.json", "--output-format", "json"])
        #expect(reminded.status == 0, "stderr: \(reminded.stderr)")
        let summary = try JSONValue(parsing: reminded.stdout)
        #expect(summary["output"] == ["ok": true])
        #expect(summary["turns"] == 3, "the reminded run's turns count too")
        let reminder = scenario.server.chatRequests[1].body?["messages"]?.arrayValue?.last?["content"]?.stringValue ?? ""
        #expect(reminder.contains("You have not called recipe__final_output"))

        let failed = try await scenario.run(["-t", "check it", "--output-schema", "ok.schema.json", "--final-output-reminders", "1"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("the model ended without calling recipe__final_output, 1 reminder notwithstanding"), "\(failed.stderr)")
        #expect(failed.stdout.isEmpty)
    }

    @Test("a retry whose first attempt fails its check runs on_failure and starts again from the instruction; the last failure names the check")
    func retry() async throws {
        let recipe = """
            title: Make the marker
            description: Create done.txt
            prompt: create done.txt
            retry:
              max_retries: 2
              checks:
                - type: shell
                  command: test -f done.txt
              on_failure: echo reset >> cleanup.log
            """
        let scenario = try await Scenario(.openai, [
            .text("I will do it later."),
            .tools(ScriptedToolCall("developer__shell", #"{"command":"touch done.txt"}"#)),
            .text("Created."),
        ])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("marker.yaml", recipe)

        let result = try await scenario.run(["--recipe", "marker.yaml", "--output-format", "stream-json"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(try String(contentsOf: scenario.workspace.file("cleanup.log"), encoding: .utf8) == "reset\n")
        let notices = result.stdout.split(separator: "\n").filter { $0.contains("\"notice\"") }
        #expect(notices.contains { $0.contains("attempt 1 of 3: the check `test -f done.txt` failed (exit 1)") }, "\(notices)")
        #expect(result.stdout.split(separator: "\n").filter { $0.contains("\"type\":\"finished\"") }.count == 1, "one finished event")
        let secondAttempt = scenario.server.chatRequests[1].body?["messages"]?.arrayValue ?? []
        #expect(secondAttempt.count == 2, "the conversation starts again: system and instruction only")

        let failing = try await Scenario(.openai, [.text("no"), .text("still no")])
        defer { Task { await failing.finish() } }
        try failing.workspace.write("marker.yaml", recipe.replacingOccurrences(of: "max_retries: 2", with: "max_retries: 1"))
        let failed = try await failing.run(["--recipe", "marker.yaml"])
        #expect(failed.status == 1)
        #expect(failed.stderr.contains("the check `test -f done.txt` failed (exit 1) after 2 attempts"), "\(failed.stderr)")
    }

    @Test("--explain and --render-recipe run nothing; bad parameters are one line each; validate and list name files and lines")
    func commands() async throws {
        let scenario = try await Scenario(.openai, [])
        defer { Task { await scenario.finish() } }
        try copyFixture("full.yaml", into: scenario, as: ".goose/recipes/review.yaml")
        try copyFixture("errors/unused.yaml", into: scenario, as: "recipes/unused.yaml")

        let explained = try await scenario.run(["--recipe", "review", "--params", "project=gander", "--explain"])
        #expect(explained.status == 0, "stderr: \(explained.stderr)")
        #expect(explained.stdout.contains("gander review") && explained.stdout.contains("depth (select, optional): how far to read = shallow"))
        let rendered = try await scenario.run(["--recipe", "review", "--params", "project=gander", "--render-recipe"])
        #expect(rendered.stdout.hasPrefix("version: 1.0.0\ntitle: \"gander review\"\n"), "\(rendered.stdout)")
        #expect(scenario.server.chatRequests.isEmpty)

        let missing = try await scenario.run(["--recipe", "review"])
        #expect(missing.status == 1 && missing.stderr.contains("the recipe needs --params project=… (the project's name)"), "\(missing.stderr)")
        let unknown = try await scenario.run(["--recipe", "review", "--params", "project=x", "--params", "colour=red"])
        #expect(unknown.status == 1 && unknown.stderr.contains("the recipe has no parameter colour"), "\(unknown.stderr)")
        let nowhere = try await scenario.run(["--recipe", "nothing-by-this-name"])
        #expect(nowhere.status == 1 && nowhere.stderr.contains("no recipe named \"nothing-by-this-name\""))

        let validated = try await scenario.gander(["recipe", "validate", "review", "recipes"])
        #expect(validated.status == 1)
        let path = scenario.workspace.file("recipes/unused.yaml").path
        #expect(validated.stdout.contains("\(path):5: parameter spare is not used by any template"), "\(validated.stdout)")
        #expect(validated.stdout.contains("warning: ") && validated.stdout.contains("unknown key \"id\" is ignored"))
        #expect(validated.stderr.contains("1 of 2 recipes has problems"), "\(validated.stderr)")

        let listed = try await scenario.gander(["recipe", "list", "--format", "json"])
        let rows = try JSONValue(parsing: listed.stdout).arrayValue ?? []
        #expect(rows.first?["name"] == "review" && rows.first?["found_in"] == "./.goose/recipes", "\(listed.stdout)")
    }

    @Test("a goose deeplink round trip: gander recipe deeplink, then gander run --recipe LINK")
    func deeplink() async throws {
        let scenario = try await Scenario(.openai, [.text("Hello from the link.")])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("hello.yaml", """
            title: Hello
            description: Says hello to someone
            prompt: "Say hello to {{ who }}."
            parameters:
              - key: who
                input_type: string
                requirement: required
                description: whom to greet
            """)
        let link = try await scenario.gander(["recipe", "deeplink", "hello.yaml"])
        #expect(link.status == 0 && link.stdout.hasPrefix("goose://recipe?config="), "\(link.stderr)")

        let run = try await scenario.run(["--recipe", link.stdout.trimmingCharacters(in: .whitespacesAndNewlines), "--params", "who=Ada"])
        #expect(run.status == 0, "stderr: \(run.stderr)")
        #expect(run.stdout == "Hello from the link.\n")
        #expect(scenario.server.chatRequests[0].body?["messages"]?.arrayValue?[1]["content"]?.stringValue == "Say hello to Ada.")
    }

    @Test("a recipe's extension that cannot start is named, and the run goes on without it")
    func extensionThatCannotStart() async throws {
        let scenario = try await Scenario(.openai, [.text("Done without it.")])
        defer { Task { await scenario.finish() } }
        try scenario.workspace.write("broken.yaml", """
            title: Broken extension
            description: asks for a server that does not exist
            prompt: go
            extensions:
              - type: stdio
                name: ghost
                cmd: /nonexistent/ghost-server
                args: []
                timeout: 5
              - type: sse
                name: old
                uri: http://127.0.0.1:9/sse
            """)
        let result = try await scenario.run(["--recipe", "broken.yaml", "-v"], environment: ["GANDER_STARTUP_WAIT": "5"])
        #expect(result.status == 0, "stderr: \(result.stderr)")
        #expect(result.stderr.contains("extension ghost did not start"), "\(result.stderr)")
        #expect(result.stderr.contains("extension old is of type sse, which Gander does not run"), "\(result.stderr)")
    }
}
