import Foundation
import GanderCore
import GanderTestSupport
import Testing

/// Long work against scripted models with small context windows that refuse, with each provider's own error, any
/// request past their limit.
@Suite("the context window: compaction, overflow recovery, resume")
struct ContextTests {
    /// `count` turns, each a shell call whose output is about 7 KB, then an answer. The commands differ, so the
    /// repetition guard lets them all run.
    static func longTask(turns count: Int) -> [ScriptedReply] {
        (0..<count).map { .tools(shell("seq \($0) \($0 + 1500)")) } + [.text("All done.")]
    }

    /// The stream-json events of one kind.
    static func compactions(_ result: GanderProcess.Result) -> [CompactionReport] {
        result.events.compactMap { if case .compacted(let report) = $0 { report } else { nil } }
    }

    @Test("a 300-turn session with large outputs under an 8k window finishes, and no request passes the limit",
          arguments: [(ScriptedWireFormat.openai, 300), (.anthropic, 60), (.ollama, 60), (.gemini, 60), (.openaiResponses, 60)])
    func longSession(format: ScriptedWireFormat, turns: Int) async throws {
        let scenario = try await Scenario(format, Self.longTask(turns: turns), contextLimit: 8192)
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "count through the numbers", "--output-format", "stream-json"],
                                            environment: ["GANDER_CONTEXT_LIMIT": "8192"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let finalText = result.events.compactMap { event -> String? in
            if case .finished(let outcome) = event { outcome.finalText } else { nil }
        }.last
        #expect(finalText == "All done.")
        let statistics = scenario.server.contextStatistics
        #expect(statistics.overflows == 0, "Gander compacted before the server had to refuse a request")
        #expect(statistics.largestRequestTokens <= 8192)
        let compactions = Self.compactions(result)
        #expect(!compactions.isEmpty && compactions.allSatisfy { $0.tokensAfter < $0.tokensBefore })
        #expect(statistics.summaries == compactions.filter(\.summarized).count)
        #expect(statistics.summaries > 0, "a long enough session needs summaries, not only cut outputs")

        // What the model sees right after a summary is that summary, in place of the older turns.
        let requests = scenario.server.chatRequests
        let summaryIndex = try #require(requests.firstIndex { $0.rawBody.contains(Compactor.summaryMarker) })
        let next = requests[summaryIndex + 1].rawBody
        #expect(next.contains("Scripted summary number 1."))
        #expect(!next.contains("seq 0 1500"), "the first turn was summarized away")
        #expect(next.contains("count through the numbers"), "the instruction is kept")
    }

    @Test("a provider's overflow error is recovered from once: compact, send again, finish",
          arguments: ScriptedWireFormat.allCases)
    func overflowRecovery(format: ScriptedWireFormat) async throws {
        // Gander believes the window is 100k, so it does not compact first; the server's real window is 6k.
        let scenario = try await Scenario(format, Self.longTask(turns: 8), contextLimit: 6000)
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "count", "--output-format", "stream-json"],
                                            environment: ["GANDER_CONTEXT_LIMIT": "100000"])

        #expect(result.status == 0, "stderr: \(result.stderr)")
        let statistics = scenario.server.contextStatistics
        #expect(statistics.overflows == 1, "after one overflow Gander works below what was refused")
        #expect(Self.compactions(result).first?.trigger == .overflow)
    }

    @Test("an overflow that compacting cannot cure ends the run with one line naming the limit; nothing is re-sent")
    func overflowAgain() async throws {
        // Even the system prompt and the tools are more than this server takes.
        let scenario = try await Scenario(.openai, [.text("never")], contextLimit: 300)
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"], environment: ["GANDER_CONTEXT_LIMIT": "100000"])

        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("does not fit the model's context window even after compacting"), "\(result.stderr)")
        #expect(result.stderr.contains("the provider refused a request of about"))
        #expect(result.stderr.contains("so Gander lowered the 100000 of GANDER_CONTEXT_LIMIT"))
        #expect(scenario.server.chatRequests.count == 1, "the same oversized request is never sent twice")
    }

    @Test("a limit too small for anything: one clear line, exit 1, no request sent, no loop")
    func nothingFits() async throws {
        let scenario = try await Scenario(.openai, [.text("never")])
        defer { Task { await scenario.finish() } }

        let result = try await scenario.run(["-t", "hi"], environment: ["GANDER_CONTEXT_LIMIT": "200"])

        #expect(result.status == 1)
        #expect(result.stderrLines.count == 1, "\(result.stderr)")
        #expect(result.stderr.contains("does not fit the model's context window even after compacting"))
        #expect(result.stderr.contains("the limit is 200 (GANDER_CONTEXT_LIMIT)"))
        #expect(scenario.server.chatRequests.isEmpty)
    }

    @Test("a resumed session sends its compacted view; export still shows every message")
    func resumeSendsTheCompactedView() async throws {
        let scenario = try await Scenario(.openai, Self.longTask(turns: 40) + [.text("Resumed.")], contextLimit: 8192)
        defer { Task { await scenario.finish() } }
        let environment = ["GANDER_CONTEXT_LIMIT": "8192"]

        let first = try await scenario.run(["-t", "count", "--name", "long"], environment: environment)
        #expect(first.status == 0, "stderr: \(first.stderr)")
        #expect(scenario.server.contextStatistics.summaries > 0)
        let before = scenario.server.chatRequests.count

        let second = try await scenario.run(["-t", "go on", "--resume", "long"], environment: environment)
        #expect(second.status == 0, "stderr: \(second.stderr)")
        let resumed = scenario.server.chatRequests[before].rawBody
        #expect(resumed.contains("Scripted summary number"), "the summary stands for the older turns")
        #expect(!resumed.contains("seq 0 1500"))

        let id = try #require(try await scenario.sessions().first?["id"]?.stringValue)
        let stored = try await scenario.messages(ofSession: id)
        #expect(stored.contains { $0.toolCalls.first?.arguments.contains("seq 0 1500") == true }, "export keeps all")
        let expected = 1 + 40 * 2 + 1 + 2  // instruction, 40 calls and their results, answer; then the second turn's two
        #expect(stored.count == expected)
    }

    @Test("bad context settings: one clear line each")
    func badSettings() async throws {
        let scenario = try await Scenario(.openai, [.text("never")])
        defer { Task { await scenario.finish() } }
        let environment = try await scenario.run(["-t", "hi"], environment: ["GANDER_CONTEXT_LIMIT": "lots"])
        #expect(environment.status == 2 && environment.stderrLines.count == 1)
        #expect(environment.stderr.contains("GANDER_CONTEXT_LIMIT=lots is not a number of tokens"))
        for (config, complaint) in [
            ("context_limit: -5\n", "context_limit must be a number of tokens"),
            ("compact_threshold: 1.5\n", "compact_threshold must be a share of the context window between 0 and 1"),
        ] {
            try scenario.home.write(".config/gander/config.yaml", config)
            let result = try await scenario.run(["-t", "hi"])
            #expect(result.status == 1 && result.stderrLines.count == 1, "\(result.stderr)")
            #expect(result.stderr.contains(complaint), "\(result.stderr)")
        }
    }
}
