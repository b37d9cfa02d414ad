import Testing
import GanderCore
@testable import GanderLocal

/// Replies as local models of several families really write them: each must come back as the call it holds, with
/// the prose before it, and never as an answer that is a raw call.
@Suite struct ToolCallReaderTests {
    let reader = ToolCallReader(toolNames: ["write_file", "read_file", "run_command", "get_weather"])

    func single(_ reply: String) -> (name: String, arguments: JSONValue, text: String)? {
        guard let parsed = reader.read(reply), parsed.calls.count == 1 else { return nil }
        return (parsed.calls[0].name, parsed.calls[0].arguments, parsed.text)
    }

    @Test(arguments: [
        // Hermes / Qwen, as trained.
        "<tool_call>\n{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"hi\"}}\n</tool_call>",
        // Qwen 2.5 0.5B: bare JSON, no tags.
        "{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"hi\"}}",
        // Qwen 2.5 1.5B: prose, then a ```json fence.
        "I will use the `write_file` function. Here is the JSON object representing the call:\n```json\n{\n  \"name\": \"write_file\",\n  \"arguments\": {\"path\": \"a.txt\", \"content\": \"hi\"}\n}\n```",
        // Llama 3.1/3.2: python_tag, or plain JSON with "parameters".
        "<|python_tag|>{\"name\": \"write_file\", \"parameters\": {\"path\": \"a.txt\", \"content\": \"hi\"}}<|eom_id|>",
        "{\"name\": \"write_file\", \"parameters\": {\"path\": \"a.txt\", \"content\": \"hi\"}}",
        // Mistral v3 and v11.
        "[TOOL_CALLS] [{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"hi\"}}]",
        "[TOOL_CALLS]write_file[ARGS]{\"path\": \"a.txt\", \"content\": \"hi\"}",
        // Gemma: a Python call in a tool_code fence.
        "```tool_code\nwrite_file(path=\"a.txt\", content='hi')\n```",
        // DeepSeek V3.
        "<｜tool▁calls▁begin｜><｜tool▁call▁begin｜>function<｜tool▁sep｜>write_file\n```json\n{\"path\": \"a.txt\", \"content\": \"hi\"}\n```<｜tool▁call▁end｜><｜tool▁calls▁end｜>",
        // Functionary v3.1 and v3.2, and Llama's custom tool form.
        "<function=write_file>{\"path\": \"a.txt\", \"content\": \"hi\"}</function>",
        ">>>write_file\n{\"path\": \"a.txt\", \"content\": \"hi\"}",
        // OpenAI's shape, arguments as a string.
        "{\"type\": \"function\", \"function\": {\"name\": \"write_file\", \"arguments\": \"{\\\"path\\\": \\\"a.txt\\\", \\\"content\\\": \\\"hi\\\"}\"}}",
        // Qwen 3 Coder's XML inside the tags.
        "<tool_call>\n<function=write_file>\n<parameter=path>\na.txt\n</parameter>\n<parameter=content>\nhi\n</parameter>\n</function>\n</tool_call>",
    ])
    func everyFamilysCallIsRead(_ reply: String) throws {
        let call = try #require(single(reply), "no call read from: \(reply)")
        #expect(call.name == "write_file")
        #expect(call.arguments["path"]?.stringValue == "a.txt")
        #expect(call.arguments["content"]?.stringValue == "hi")
    }

    @Test func proseBeforeACallIsKeptAndTheFenceOpenerDropped() throws {
        let call = try #require(single("Let me check.\n```json\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"x\"}}\n```\nThat will show it."))
        #expect(call.text == "Let me check.")
        let tagged = try #require(single("First I look.\n<tool_call>{\"name\": \"read_file\", \"arguments\": {\"path\": \"x\"}}</tool_call>"))
        #expect(tagged.text == "First I look.")
    }

    @Test func severalCallsInOneReplyAreAllRead() throws {
        let parsed = try #require(reader.read("""
            <tool_call>{"name": "read_file", "arguments": {"path": "a"}}</tool_call>
            <tool_call>{"name": "read_file", "arguments": {"path": "b"}}</tool_call>
            """))
        #expect(parsed.calls.map { $0.arguments["path"]?.stringValue } == ["a", "b"])
        let array = try #require(reader.read(#"[{"name": "read_file", "arguments": {"path": "a"}}, {"name": "run_command", "arguments": {"command": "ls"}}]"#))
        #expect(array.calls.map(\.name) == ["read_file", "run_command"])
    }

    @Test(arguments: [
        "The port is 8080.",
        "package.json says {\"name\": \"acme-widgets\", \"version\": \"1.0.0\"}.",
        "Here is the code:\n```python\nprint(\"hi\")\n```",
        "Set it to {\"debug\": true} in config.json.",
        "Use `{}` for an empty object and [1, 2] for a list.",
        "```json\n{\"debug\": true}\n```",
    ])
    func answersWithJSONOrCodeStayAnswers(_ reply: String) throws {
        let parsed = try #require(reader.read(reply))
        #expect(parsed.calls.isEmpty)
        #expect(parsed.text == reply.trimmingCharacters(in: .whitespacesAndNewlines))
    }

    @Test func aCallToAnUnknownToolIsStillACallWhenItIsTheWholeReply() throws {
        // The model then hears that the tool does not exist, instead of its call being printed as the answer.
        let call = try #require(single("{\"name\": \"create_file\", \"arguments\": {\"path\": \"a\"}}"))
        #expect(call.name == "create_file")
        let fenced = try #require(single("```json\n{\"name\": \"create_file\", \"arguments\": {}}\n```"))
        #expect(fenced.name == "create_file")
    }

    @Test(arguments: [
        "<tool_call>\n{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"cut off",
        "{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"content\": \"cut off",
        "I'll write it.\n```json\n{\"name\": \"write_file\", \"arguments\": {\"path\": \"a.txt\", \"conte",
        "[TOOL_CALLS] [{\"name\": \"write_file\", \"arguments\": {",
        "```tool_code\nwrite_file(path=\"a.txt\", content=\n```",
        "```json\n\"name\": \"list_files\", \"arguments\": \"path: .\"\n```",
    ])
    func aBrokenCallIsNeverAnAnswer(_ reply: String) {
        #expect(reader.read(reply) == nil, "read as an answer: \(reply)")
    }

    @Test func streamingHoldsBackEveryPossibleStartOfACall() {
        #expect(ToolCallReader.possibleCallStart(in: "Sure. <tool_call>{").map { "Sure. <tool_call>{".distance(from: "Sure. <tool_call>{".startIndex, to: $0) } == 6)
        #expect(ToolCallReader.possibleCallStart(in: "no call here") == nil)
        #expect(ToolCallReader.undecidedTail(of: "Writing <tool_c") == "<tool_c".count)
        #expect(ToolCallReader.undecidedTail(of: "Writing ``") == 2)
        #expect(ToolCallReader.undecidedTail(of: "plain text.") == 0)
    }

    @Test func replyStreamerShowsTextThatTurnedOutNotToBeACall() {
        var streamer = ReplyStreamer(format: .hermes)
        var shown = streamer.feed("The config is ").text
        shown += streamer.feed("{\"debug\": true}").text
        shown += streamer.feed(" as asked.").text
        shown += streamer.finish()
        #expect(shown == "The config is ")
        #expect(streamer.inCall)
        #expect(streamer.heldAsCall == "{\"debug\": true} as asked.")
    }

    @Test(arguments: [
        ("The output of the command ", true), ("The port is", true), ("Here are the files:", true), ("It prints the", true),
        ("Hello, world!", false), ("Done: hi.txt now says hello", false), ("8080", false), ("The file has 3 lines.", false),
        ("Deleted old.log", false), ("", false),
    ])
    func unfinishedAnswersAreToldFromFinishedOnes(_ answer: String, _ unfinished: Bool) {
        #expect((UnfinishedAnswer.ending(of: answer) != nil) == unfinished, "\(answer)")
    }
}
