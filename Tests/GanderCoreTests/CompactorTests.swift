import Foundation
@testable import GanderCore
import Testing

@Suite("compaction")
struct CompactorTests {
    static func call(_ id: String) -> Message {
        Message(role: .assistant, content: [.toolCall(ToolCall(id: id, name: "developer__shell", arguments: "{}"))])
    }

    static func result(_ id: String, _ text: String) -> Message {
        Message(role: .user, content: [.toolResult(ToolResult(callID: id, toolName: "developer__shell",
                                                              content: [.text(text)], isError: false))])
    }

    let big = String(repeating: "0123456789", count: 500)

    @Test("old outputs are cut to head and tail; the latest is spared until it must not be")
    func trimming() {
        let messages: [Message] = [.user("task"), Self.call("a"), Self.result("a", big), Self.call("b"), Self.result("b", big)]
        let (spared, count) = Compactor().trimToolOutputs(messages, sparingLatest: true)
        #expect(count == 1)
        #expect(spared[4] == messages[4])
        let cut = spared[2].toolResults[0].text
        #expect(cut.hasPrefix(String(big.prefix(700))) && cut.hasSuffix(String(big.suffix(400))))
        #expect(cut.contains("3900 bytes of this output were left out"))
        #expect(spared[1] == messages[1], "the call stays as it was")
        #expect(Compactor().trimToolOutputs(spared, sparingLatest: true).trimmed == 0, "cutting twice changes nothing")
        #expect(Compactor().trimToolOutputs(messages, sparingLatest: false).trimmed == 2)
    }

    @Test("the kept tail starts at an assistant message, so calls keep their results; nothing older means no split")
    func splitting() {
        let messages: [Message] = [.user("task"), Self.call("a"), Self.result("a", "x"), Self.call("b"),
                                   Self.result("b", "y"), Message(role: .assistant, content: [.text("done")])]
        let compactor = Compactor()
        #expect(compactor.split(messages, tailBudget: 0) == 5, "at least the last reply")
        #expect(compactor.split(messages, tailBudget: 50) == 3)
        #expect(compactor.split(messages, tailBudget: 10_000) == nil, "everything fits: only the task would be older")
        #expect(compactor.split([.user("task"), Self.call("a"), Self.result("a", "x")], tailBudget: 0) == nil)
    }

    @Test("the summary message keeps the instruction, and a second summary replaces the first")
    func summaryMessage() {
        let compactor = Compactor()
        let older: [Message] = [.user("fix the parser"), Self.call("a"), Self.result("a", "x")]
        let first = compactor.summaryMessage(summary: "## Goal\nfix it", older: older[...])
        #expect(first.text.hasPrefix("fix the parser\n\n<conversation-summary>"))
        let second = compactor.summaryMessage(summary: "## Goal\nstill fixing", older: [first, Self.call("b")][...])
        #expect(second.text.hasPrefix("fix the parser\n\n<conversation-summary>"))
        #expect(!second.text.contains("fix it"), "the old summary is folded in by the model, not stacked")
        let request = compactor.summaryRequest(for: older[...], budget: 100_000)
        #expect(request.tools.isEmpty && request.systemPrompt.hasPrefix(Compactor.summaryMarker))
        #expect(request.messages[0].text.contains("USER: fix the parser"))
    }

    @Test("the keeper compacts past the threshold, not again until the conversation has grown, and learns from overflows")
    func keeper() {
        var keeper = ContextKeeper(limit: ContextLimit(tokens: 10_000, source: "test"), policy: ContextPolicy())
        #expect(!keeper.shouldCompact(7_999) && keeper.shouldCompact(8_000))
        keeper.compacted(to: 8_500)
        #expect(!keeper.shouldCompact(9_000), "still above the threshold, but compacting again would not help")
        #expect(keeper.shouldCompact(9_500) && keeper.shouldCompact(10_000))
        keeper.overflowed(at: 6_000)
        #expect(keeper.limit.tokens == 5_400 && keeper.limit.source.contains("lowered the 10000 of test"))
        keeper.measured(Usage(inputTokens: 50, outputTokens: 10, cacheReadTokens: 40), covering: 1)
        #expect(keeper.estimate(systemPrompt: "", tools: [], messages: [.user("a"), .user("bcdef")]) == 100 + 4 + 2)
    }
}
