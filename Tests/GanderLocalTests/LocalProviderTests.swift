import Foundation
import GanderCore
@testable import GanderLocal
import GanderTestSupport
import Testing

/// The runtime `make test` installs (`gander local install`) in the user's data directory.
let installedRuntime = LocalRuntime(environment: ProcessInfo.processInfo.environment)
/// Where the provider's harness looks for the files a small model is shown: the test process's own folder.
private let processDirectory = URL(fileURLWithPath: FileManager.default.currentDirectoryPath)

func collect(_ provider: LocalProvider, _ request: ModelRequest) async throws -> [ProviderEvent] {
    var events: [ProviderEvent] = []
    for try await event in provider.stream(request) { events.append(event) }
    return events
}

func text(of events: [ProviderEvent]) -> String {
    events.map { if case .textDelta(let text) = $0 { text } else { "" } }.joined()
}

@Suite("the embedded model", .serialized)
struct LocalProviderTests {
    @Test("loads a GGUF and streams an answer in several pieces")
    func streams() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 2048,
                                         sampling: SamplingSettings(maxTokens: 24), workingDirectory: processDirectory)
        let events = try await collect(provider, ModelRequest(systemPrompt: "You are helpful.", messages: [.user("Say hello.")], tools: []))

        let deltas = events.filter { if case .textDelta = $0 { true } else { false } }
        #expect(deltas.count > 1, "tokens stream one by one")
        #expect(!text(of: events).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(events.contains { if case .usage(let usage) = $0 { usage.inputTokens > 0 && usage.outputTokens > 0 } else { false } })
        #expect(events.last == .stop(.endTurn) || events.last == .stop(.maxTokens), "a finished or a capped answer, never a call")
    }

    @Test("a second process starts from the prompt cache the first left, and answers the same")
    func promptCacheAcrossProcesses() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        // A runtime of its own, so the cache starts empty: the library, shim and models are the installed ones.
        let runtime = LocalRuntime(environment: ["GANDER_RUNTIME_DIR": installedRuntime.directory.path,
                                                 "GANDER_DATA_DIR": directory.url.path])
        let model = try installedRuntime.resolveModel(LocalRuntime.smolLM2Name).path
        let request = ModelRequest(systemPrompt: String(repeating: "You are a careful assistant. ", count: 20),
                                   messages: [.user("Name a colour.")], tools: [])
        let sampling = SamplingSettings(temperature: 0, maxTokens: 12)
        func usage(_ events: [ProviderEvent]) -> Usage? {
            events.lazy.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }.first
        }
        // A fresh provider is a fresh engine with an empty KV cache, as a new process has.
        let first = try await collect(try LocalProvider(runtime: runtime, model: model, contextLimit: 2048, sampling: sampling, workingDirectory: processDirectory), request)
        let second = try await collect(try LocalProvider(runtime: runtime, model: model, contextLimit: 2048, sampling: sampling, workingDirectory: processDirectory), request)
        let firstUsage = try #require(usage(first))
        let secondUsage = try #require(usage(second))
        #expect(secondUsage.cacheReadTokens >= firstUsage.inputTokens - 1, "the prompt came from the cache: \(secondUsage)")
        #expect(text(of: first) == text(of: second))
    }

    @Test("an install's preparation leaves a run's opening in the prompt cache, and a run with another instruction starts from it")
    func preparedPromptCache() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let runtime = LocalRuntime(environment: ["GANDER_RUNTIME_DIR": installedRuntime.directory.path,
                                                 "GANDER_DATA_DIR": directory.url.path])
        let model = try installedRuntime.resolveModel(LocalRuntime.smolLM2Name).path
        let system = String(repeating: "You are a careful assistant. ", count: 20)
        func provider() throws -> LocalProvider {
            try LocalProvider(runtime: runtime, model: model, contextLimit: 2048,
                              sampling: SamplingSettings(temperature: 0, maxTokens: 8), workingDirectory: processDirectory)
        }
        let opening = ModelRequest(systemPrompt: system, messages: [.user("List the files in this folder.")], tools: [])
        let prepared = try provider().prepare(opening)
        #expect(prepared.tokens > 100 && prepared.alreadyCached == 0, "an empty cache: \(prepared)")
        let again = try provider().prepare(opening)
        #expect(again.alreadyCached >= prepared.tokens - 1, "a second install finds it there: \(again)")

        let events = try await collect(try provider(), ModelRequest(systemPrompt: system, messages: [.user("Name a colour.")], tools: []))
        let usage = try #require(events.lazy.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }.first)
        #expect(usage.cacheReadTokens >= prepared.tokens - 20, "only the instruction (~15 tokens) was evaluated: \(usage)")
    }

    @Test("the same seed gives the same output")
    func reproducible() async throws {
        let sampling = SamplingSettings(temperature: 0.9, topP: 0.95, seed: 7, maxTokens: 20)
        let request = ModelRequest(systemPrompt: "You are a poet.", messages: [.user("Write about the sea.")], tools: [])
        let first = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 2048, sampling: sampling, workingDirectory: processDirectory)
        let second = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 2048, sampling: sampling, workingDirectory: processDirectory)
        #expect(text(of: try await collect(first, request)) == text(of: try await collect(second, request)))
    }

    @Test("with tools offered, the reply is a well-formed call to one of them or an answer")
    func constrainedToolCall() async throws {
        let tool = ToolSpec(name: "weather__forecast", description: "Get the weather forecast for a city.",
                            inputSchema: ["type": "object", "properties": ["city": ["type": "string"],
                                                                            "days": ["type": "integer", "maximum": 14]],
                                          "required": ["city"], "additionalProperties": false])
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 4096,
                                         sampling: SamplingSettings(temperature: 0, maxTokens: 128), workingDirectory: processDirectory)
        let events = try await collect(provider, ModelRequest(
            systemPrompt: "You are an assistant with tools.", messages: [.user("What is the weather in Paris? Use the tool.")],
            tools: [tool]))

        var assembled: (name: String, arguments: String)?
        for event in events {
            if case .toolCallStarted(_, _, let name) = event { assembled = (name, "") }
            if case .toolCallArgumentsDelta(_, let fragment) = event { assembled?.arguments += fragment }
        }
        if let call = assembled {
            #expect(call.name == "weather__forecast")
            let arguments = try JSONValue(parsing: call.arguments)
            #expect(JSONSchemaValidator().problems(in: arguments, against: tool.inputSchema).isEmpty)
            #expect(events.last == .stop(.toolUse))
        } else {
            #expect(!text(of: events).isEmpty, "no call means an answer")
        }
    }

    @Test("the next turn evaluates only what is new: the shared prefix comes from the KV cache")
    func prefixReuse() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 2048,
                                         sampling: SamplingSettings(temperature: 0, maxTokens: 8), workingDirectory: processDirectory)
        var messages: [Message] = [.user("Name a colour.")]
        func usage(_ events: [ProviderEvent]) -> Usage? {
            events.compactMap { if case .usage(let usage) = $0 { usage } else { nil } }.first
        }
        let first = try await collect(provider, ModelRequest(systemPrompt: "Be brief.", messages: messages, tools: []))
        #expect(usage(first)?.cacheReadTokens == 0)
        messages += [Message(role: .assistant, content: [.text(text(of: first))]), .user("Another one.")]
        let second = try await collect(provider, ModelRequest(systemPrompt: "Be brief.", messages: messages, tools: []))
        let reused = try #require(usage(second))
        #expect(reused.cacheReadTokens > 10, "the system prompt and first turn are not evaluated again")
        #expect(reused.inputTokens < reused.cacheReadTokens)
    }

    @Test("an answer cut off by the token cap is marked so, never passed on as finished")
    func cutOff() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 2048,
                                         sampling: SamplingSettings(temperature: 0, maxTokens: 3), workingDirectory: processDirectory)
        let events = try await collect(provider, ModelRequest(
            systemPrompt: "You are helpful.", messages: [.user("Tell me a long story about a dragon.")], tools: []))
        #expect(events.last == .stop(.maxTokens))
    }

    @Test("after a tool result, a small model's answer to a question quotes the result")
    func groundedAnswer() async throws {
        let editor = ToolSpec(name: "developer__text_editor", description: "View and edit files.", inputSchema: ["type": "object"])
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 4096,
                                         sampling: SamplingSettings(temperature: 0), workingDirectory: processDirectory)
        let call = ToolCall(id: "c1", name: "developer__text_editor", arguments: #"{"command":"view","path":"config.ini"}"#)
        let messages: [Message] = [
            .user("What port is set in config.ini?"),
            Message(role: .assistant, content: [.toolCall(call)]),
            Message(role: .user, content: [.toolResult(ToolResult(callID: "c1", toolName: call.name,
                                                                  content: [.text("1\t[server]\n2\tport=8080")], isError: false))]),
        ]
        let events = try await collect(provider, ModelRequest(systemPrompt: "You are Gander.", messages: messages, tools: [editor]))
        if events.last == .stop(.endTurn) {
            let answer = text(of: events)
            #expect(answer.split(separator: ",").allSatisfy { ["[server]", "port=8080"].contains($0.trimmingCharacters(in: .whitespaces)) },
                    "\(answer)")
        } else {
            #expect(events.last == .stop(.toolUse))
        }
    }

    @Test("a conversation longer than the window loses its oldest turns, and says so")
    func contextOverflow() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 512,
                                         sampling: SamplingSettings(maxTokens: 16), workingDirectory: processDirectory)
        var messages: [Message] = [.user("Remember the word apple.")]
        for turn in 0..<30 {
            messages.append(Message(role: .assistant, content: [.text("Noted, item \(turn): " + String(repeating: "blah ", count: 20))]))
            messages.append(.user("Next item \(turn)."))
        }
        let events = try await collect(provider, ModelRequest(systemPrompt: "Be brief.", messages: messages, tools: []))

        let notice = events.compactMap { if case .notice(let text) = $0 { text } else { nil } }.first
        #expect(notice?.contains("512-token window") == true)
        #expect(events.last == .stop(.endTurn) || events.last == .stop(.maxTokens), "a finished or a capped answer, never a call")
    }

    @Test("one message larger than the window is a clear error")
    func promptTooLong() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: LocalRuntime.smolLM2Name, contextLimit: 256,
                                         sampling: SamplingSettings(maxTokens: 16), workingDirectory: processDirectory)
        let request = ModelRequest(systemPrompt: "x", messages: [.user(String(repeating: "word ", count: 2000))], tools: [])
        await #expect(throws: LocalModelError.self) { _ = try await collect(provider, request) }
    }

    @Test("a truncated or corrupt GGUF is refused with a clear error, without a crash")
    func corruptModel() async throws {
        let directory = try TemporaryDirectory()
        defer { directory.remove() }
        let real = try installedRuntime.resolveModel(nil)
        let truncated = directory.file("truncated.gguf")
        let handle = try #require(FileHandle(forReadingAtPath: real.path))
        try handle.read(upToCount: 2_000_000)!.write(to: truncated)
        try handle.close()
        let garbage = try directory.write("garbage.gguf", "GGUF this is not a model at all")
        let notGGUF = try directory.write("text.gguf", "hello")

        for file in [truncated, garbage, notGGUF] {
            let provider = try LocalProvider(runtime: installedRuntime, model: file.path, contextLimit: 512, sampling: SamplingSettings(), workingDirectory: processDirectory)
            #expect(throws: LocalModelError.unreadableModel(file.path)) { try provider.load() }
        }
    }

    @Test("an unknown model name lists the known ones")
    func unknownModel() throws {
        #expect(throws: LocalModelError.unknownModel("no-such-model", known: installedRuntime.models().map(\.name))) {
            _ = try LocalProvider(runtime: installedRuntime, model: "no-such-model", contextLimit: nil, sampling: SamplingSettings(), workingDirectory: processDirectory)
        }
    }

    @Test("without the runtime, one line says how to install it")
    func runtimeMissing() throws {
        let empty = LocalRuntime(environment: ["GANDER_RUNTIME_DIR": "/nonexistent/gander-runtime", "HOME": "/nonexistent"])
        let provider = try LocalProvider(runtime: empty, model: "/nonexistent/model.gguf", contextLimit: nil, sampling: SamplingSettings(), workingDirectory: processDirectory)
        #expect(throws: LocalModelError.runtimeMissing) { try provider.load() }
        #expect(LocalModelError.runtimeMissing.description.contains("gander local install"))
    }
}

@Suite("local decoding helpers")
struct LocalDecodingTests {
    @Test("a character split across tokens is held back until it is whole")
    func utf8() {
        var accumulator = UTF8Accumulator()
        let bytes = Array("é€😀".utf8)
        var text = ""
        for byte in bytes { text += accumulator.append([byte]) }
        #expect(text == "é€😀")
    }

    @Test("a tail that may start a stop string is held back")
    func stopOverlap() {
        #expect(LocalProvider.overlap(of: "Hello <|im", withPrefixOf: "<|im_end|>") == 4)
        #expect(LocalProvider.overlap(of: "Hello", withPrefixOf: "<|im_end|>") == 0)
    }

    @Test("an answer streams out of its JSON, escapes decoded")
    func answerStreaming() {
        var streamer = AnswerStreamer()
        var text = ""
        for piece in ["{ \"ans", "wer\": \"Line one\\nsays \\\"hi", "\\\" \\u00e9", "\"}"] { text += streamer.feed(piece) }
        #expect(text == "Line one\nsays \"hi\" é")
        var call = AnswerStreamer()
        #expect(call.feed("{\"name\": \"developer__shell\", \"arguments\": {}}").isEmpty)
    }

    @Test("replies are read back in each tool-call format")
    func parse() throws {
        let json = try #require(ToolCallFormat.json.parse(#"{"name":"a__b","arguments":{"x":1}}"#, toolNames: ["a__b"]))
        #expect(json.calls.map(\.name) == ["a__b"] && json.calls[0].arguments == ["x": 1])
        #expect(ToolCallFormat.json.parse(#"{"answer":"done"}"#, toolNames: [])?.text == "done")
        #expect(ToolCallFormat.json.parse(#"{"name":"a__b","argu"#, toolNames: ["a__b"]) == nil, "a cut-off call is not a reply")

        let hermes = try #require(ToolCallFormat.hermes.parse("Let me look.\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.txt\"}}\n</tool_call>", toolNames: ["read_file"]))
        #expect(hermes.text == "Let me look." && hermes.calls.map(\.name) == ["read_file"])
        #expect(ToolCallFormat.hermes.parse("Plain answer.", toolNames: ["read_file"])?.calls.isEmpty == true)
        #expect(ToolCallFormat.hermes.parse("<tool_call>\n{\"name\": \"read_fi", toolNames: ["read_file"]) == nil)

        let llama = try #require(ToolCallFormat.llama3.parse(#" {"name": "run_command", "parameters": {"command": "ls"}}"#, toolNames: ["run_command"]))
        #expect(llama.calls.first?.arguments == ["command": "ls"])
        #expect(ToolCallFormat.llama3.parse("The answer is 4.", toolNames: ["run_command"])?.text == "The answer is 4.")
    }

    @Test("the format is read from the chat template")
    func detection() {
        #expect(ToolCallFormat.detect(chatTemplate: "{% for tool in tools %}<tool_call>{% endfor %}<|im_start|>") == .hermes)
        #expect(ToolCallFormat.detect(chatTemplate: "<|start_header_id|>ipython<|end_header_id|>") == .llama3)
        #expect(ToolCallFormat.detect(chatTemplate: "<|im_start|>{{ message.content }}") == .json)
        #expect(ToolCallFormat.detect(chatTemplate: nil) == .json)
    }

    @Test("text streams up to the start of a call; a possible start is held back; stop strings are never shown")
    func replyStreaming() {
        var hermes = ReplyStreamer(format: .hermes)
        var shown = ""
        for piece in ["Checking", " now <tool", "_call>\n{\"name\""] { shown += hermes.feed(piece).text }
        #expect(shown == "Checking now ")
        #expect(hermes.inCall)

        var plain = ReplyStreamer(format: nil)
        shown = plain.feed("Hi there<|im_").text
        let last = plain.feed("end|>")
        #expect(shown + last.text == "Hi there" && last.stopped)

        var llama = ReplyStreamer(format: .llama3)
        #expect(llama.feed("Sure, ").text == "Sure, ")
        #expect(llama.feed("{\"name\"").text.isEmpty, "a bare JSON object may be a call")
        #expect(llama.inCall)
    }

    @Test("small models get one verb per job with every argument required, translated back to the real tools")
    func toolset() throws {
        let real = ["developer__text_editor", "developer__shell", "developer__search", "memory__remember", "clock__now"].map {
            ToolSpec(name: $0, description: "", inputSchema: ["type": "object"])
        }
        let toolset = LocalToolset(tools: real, compact: true)
        #expect(toolset.offered.map(\.name) == ["read_file", "list_files", "write_file", "replace_text", "add_line", "run_command", "delete_file",
                                                "move_file", "copy_file", "make_directory", "clock__now"])
        for spec in toolset.offered where !spec.name.contains("__") {
            let required = Set(spec.inputSchema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            #expect(required == Set(spec.inputSchema["properties"]?.objectValue?.keys.map { $0 } ?? []), "\(spec.name)")
        }
        let call = toolset.realCall(name: "write_file", arguments: ["path": "a.txt", "content": "hi"])
        #expect(call.name == "developer__text_editor")
        #expect(call.arguments == ["command": "create", "path": "a.txt", "file_text": "hi"])
        let back = toolset.modelCall(name: call.name, arguments: call.arguments)
        #expect(back.name == "write_file" && back.arguments == ["path": "a.txt", "content": "hi"])
        #expect(toolset.realCall(name: "clock__now", arguments: [:]).name == "clock__now")
        #expect(!LocalToolset(tools: real, compact: true, fileVerbs: false).offered.contains { $0.name == "delete_file" })
    }

    @Test("deleting, moving, copying and making folders are verbs run as plain shell commands, and read back as the verbs")
    func fileOperations() throws {
        let shell = ToolSpec(name: "developer__shell", description: "", inputSchema: ["type": "object"])
        let toolset = LocalToolset(tools: [shell], compact: false)
        let move = toolset.realCall(name: "move_file", arguments: ["source": "it's a draft.txt", "destination": "final.txt"])
        #expect(move.name == "developer__shell")
        #expect(move.arguments == ["command": #"mv -- 'it'\''s a draft.txt' 'final.txt'"#])
        let back = toolset.modelCall(name: move.name, arguments: move.arguments)
        #expect(back.name == "move_file" && back.arguments == ["source": "it's a draft.txt", "destination": "final.txt"])
        for command in ["mv a b", "rm -r -- 'a' && rm -rf /", "rm -r -- 'a' 'b'", "mkdir -p -- x", "cp -r -- 'a'"] {
            #expect(toolset.modelCall(name: "developer__shell", arguments: ["command": .string(command)]).name == "run_command", "\(command)")
        }

        // The commands do what the verbs say, whatever the names hold.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gander-ops-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("essay".utf8).write(to: directory.appendingPathComponent("it's a draft.txt"))
        try Data("stale".utf8).write(to: directory.appendingPathComponent("-rf $(x).log"))
        func run(_ verb: String, _ arguments: [String: JSONValue]) throws {
            let command = try #require(toolset.realCall(name: verb, arguments: .object(arguments)).arguments["command"]?.stringValue)
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/bin/sh")
            process.arguments = ["-c", command]
            process.currentDirectoryURL = directory
            try process.run()
            process.waitUntilExit()
            #expect(process.terminationStatus == 0, "\(command)")
        }
        try run("make_directory", ["path": "archive/2026"])
        try run("copy_file", ["source": "it's a draft.txt", "destination": "archive/2026"])
        try run("move_file", ["source": "it's a draft.txt", "destination": "final.txt"])
        try run("delete_file", ["path": "-rf $(x).log"])
        let names = try FileManager.default.contentsOfDirectory(atPath: directory.path).sorted()
        #expect(names == ["archive", "final.txt"])
        #expect(FileManager.default.fileExists(atPath: directory.appendingPathComponent("archive/2026/it's a draft.txt").path))
    }

    @Test("a trained model hears the instruction again after the latest results, and only there")
    func instructionAfterResults() {
        let toolset = LocalToolset(tools: [ToolSpec(name: "developer__text_editor", description: "", inputSchema: ["type": "object"])],
                                   compact: false)
        let call = ToolCall(id: "1", name: "developer__text_editor", arguments: #"{"command":"view","path":"a.txt"}"#)
        let second = ToolCall(id: "2", name: "developer__text_editor", arguments: #"{"command":"view","path":"b.txt"}"#)
        func result(_ id: String, _ text: String) -> Message {
            Message(role: .user, content: [.toolResult(ToolResult(callID: id, toolName: call.name, content: [.text(text)], isError: false))])
        }
        let messages: [Message] = [.user("What does a.txt say?"), Message(role: .assistant, content: [.toolCall(call)]), result("1", "hi"),
                                   Message(role: .assistant, content: [.toolCall(second)]), result("2", "ho")]
        func roles(_ messages: [Message], reminds: Bool) -> [String] {
            LocalProvider.nativeMessages(system: "s", messages: messages, toolset: toolset, remindsOfTask: reminds)
                .map { $0.role + ($0.role == "user" ? ":" + $0.content : "") }
        }
        #expect(roles(messages, reminds: true) == ["system", "user:What does a.txt say?", "assistant", "tool", "assistant", "tool",
                                                   "user:What does a.txt say?"])
        #expect(roles(messages, reminds: false).last == "tool")
        #expect(roles(Array(messages.prefix(4)), reminds: true).last == "assistant", "nothing after a reply")
    }

    @Test("a trained model hears a question again after each result, a change request only until the change is made")
    func reminderOnlyWhileDue() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gander-remind-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("hi\n".utf8).write(to: directory.appendingPathComponent("a.txt"))
        let tools = ["developer__text_editor", "developer__shell"].map { ToolSpec(name: $0, description: "", inputSchema: ["type": "object"]) }
        func plan(_ instruction: String, after call: ToolCall) -> LocalTurnPlan {
            let messages: [Message] = [.user(instruction), Message(role: .assistant, content: [.toolCall(call)]),
                                       Message(role: .user, content: [.toolResult(ToolResult(callID: call.id, toolName: call.name,
                                                                                             content: [.text("ok")], isError: false))])]
            return LocalTurnPlan(request: ModelRequest(systemPrompt: "", messages: messages, tools: tools),
                                 chatTemplate: "{{ '<tool_call>' }}", workingDirectory: directory, affordances: Set(LocalTurnPlan.Affordance.allCases))
        }
        let read = ToolCall(id: "1", name: "developer__text_editor", arguments: #"{"command":"view","path":"a.txt"}"#)
        let make = ToolCall(id: "2", name: "developer__shell", arguments: #"{"command":"mkdir -p -- 'build'"}"#)
        #expect(plan("What does a.txt say?", after: read).remindsOfTask)
        #expect(plan("Fix the typo in a.txt.", after: read).remindsOfTask, "the change is still to make")
        #expect(!plan("Create a directory named build.", after: make).remindsOfTask, "made: told again, it would explain how")
    }

    @Test("a trained model's first call is the verb the instruction asks for (rename: move_file; check with a command: run_command); later calls are free")
    func renameIsAMove() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gander-rename-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("my essay\n".utf8).write(to: directory.appendingPathComponent("draft.txt"))
        let tools = ["developer__text_editor", "developer__shell"].map { ToolSpec(name: $0, description: "", inputSchema: ["type": "object"]) }
        func grammar(_ messages: [Message], affordances: Set<LocalTurnPlan.Affordance> = Set(LocalTurnPlan.Affordance.allCases)) -> String {
            LocalTurnPlan(request: ModelRequest(systemPrompt: "", messages: messages, tools: tools), chatTemplate: "{{ '<tool_call>' }}",
                          workingDirectory: directory, affordances: affordances).constraint?.grammar ?? ""
        }
        let instruction = Message.user("Rename draft.txt to final.txt.")
        #expect(grammar([instruction]).contains(#""\"move_file\"""#))
        #expect(!grammar([instruction]).contains(#""\"replace_text\"""#))
        var without = Set(LocalTurnPlan.Affordance.allCases)
        without.remove(.askedVerbFirst)
        #expect(grammar([instruction], affordances: without).contains(#""\"run_command\"""#), "switched off, every tool is callable")
        let move = ToolCall(id: "1", name: "developer__shell", arguments: #"{"command":"mv -- 'draft.txt' 'final.txt'"}"#)
        let failed = [instruction, Message(role: .assistant, content: [.toolCall(move)]),
                      Message(role: .user, content: [.toolResult(ToolResult(callID: "1", toolName: "developer__shell",
                                                                            content: [.text("mv: cannot move")], isError: true))])]
        #expect(grammar(failed).contains(#""\"make_directory\"""#), "after a failed move, another verb may be needed")
        let create = grammar([.user("Write a shell script run.sh that prints done.")])
        #expect(create.contains(#""\"run.sh\"""#) && !create.contains(#""\"run_command\"""#), "the named file, written")
        let check = grammar([.user("Which version of Python 3 is installed here? Check with a command.")])
        #expect(check.contains(#""\"run_command\"""#) && !check.contains(#""\"read_file\"""#))
    }

    @Test("add_line adds at the start, or after the file's last line as it is when the call is made, or creates the file")
    func addLine() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gander-addline-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try Data("- write tests\n- review\n".utf8).write(to: directory.appendingPathComponent("todo.txt"))
        try Data("no newline".utf8).write(to: directory.appendingPathComponent("bare.txt"))
        let editor = ToolSpec(name: "developer__text_editor", description: "", inputSchema: ["type": "object"])
        let toolset = LocalToolset(tools: [editor], compact: true)
        #expect(toolset.offered.contains { $0.name == "add_line" })
        #expect(!LocalToolset(tools: [editor], compact: true, addLine: false).offered.contains { $0.name == "add_line" })
        func real(_ path: String, _ at: String) -> JSONValue {
            toolset.realCall(name: "add_line", arguments: ["path": .string(path), "line": "- ship it", "at": .string(at)], in: directory).arguments
        }
        #expect(real("todo.txt", "end") == ["command": "insert", "path": "todo.txt", "new_str": "- ship it", "insert_line": 2])
        #expect(real("bare.txt", "end")["insert_line"] == 1)
        #expect(real("todo.txt", "start")["insert_line"] == 0)
        #expect(real("new.txt", "end") == ["command": "create", "path": "new.txt", "file_text": "- ship it\n"])
        let made = toolset.modelCall(name: "developer__text_editor", arguments: real("todo.txt", "end"))
        #expect(made.name == "add_line" && made.arguments["at"] == "end" && made.arguments["line"] == "- ship it")
    }

    @Test("a conversation that opens with words only is sent no tools and a short system prompt; work keeps the agent's")
    func wordsOnlyOpening() {
        let tools = ["developer__text_editor", "developer__shell"].map { ToolSpec(name: $0, description: "", inputSchema: ["type": "object"]) }
        func plan(_ instruction: String, tools: [ToolSpec] = tools) -> LocalTurnPlan {
            LocalTurnPlan(request: ModelRequest(systemPrompt: "You are Gander, an agent…", messages: [.user(instruction)], tools: tools),
                          chatTemplate: "{{ '<tool_call>' }}", workingDirectory: FileManager.default.temporaryDirectory,
                          affordances: Set(LocalTurnPlan.Affordance.allCases))
        }
        #expect(plan("Say hi.").format == nil && plan("Say hi.").systemPrompt == LocalTurnPlan.wordsOnlySystemPrompt)
        #expect(plan("Run greet.sh and tell me what it prints.").systemPrompt == nil)
        #expect(plan("Say hi.", tools: []).systemPrompt == nil, "chat mode keeps the agent's prompt and the user's hints")
    }

    @Test("a change to the files an instruction names is the change it asked for; a command beside them is not")
    func changeToNamedFiles() {
        let toolset = LocalToolset(tools: ["developer__text_editor", "developer__shell"].map {
            ToolSpec(name: $0, description: "", inputSchema: ["type": "object"])
        }, compact: false)
        let task = LocalTask(instruction: "Write a shell script run.sh that prints done.")
        #expect(task.namedFiles == ["run.sh"])
        #expect(LocalTask(instruction: "Fix src/app.py, then run it with Python 3.11.").namedFiles == ["app.py"], "a version is not a file")
        func after(_ call: ToolCall) -> [Message] {
            [.user(task.instruction), Message(role: .assistant, content: [.toolCall(call)]),
             Message(role: .user, content: [.toolResult(ToolResult(callID: call.id, toolName: call.name, content: [.text("ok")], isError: false))])]
        }
        let echo = ToolCall(id: "1", name: "developer__shell", arguments: #"{"command":"echo done"}"#)
        let write = ToolCall(id: "2", name: "developer__text_editor", arguments: #"{"command":"create","path":"run.sh","file_text":"echo done"}"#)
        #expect(!task.changeMade(in: after(echo), toolset: toolset))
        #expect(task.changeMade(in: after(write), toolset: toolset))
        #expect(LocalTask(instruction: "Create a directory named build.").changeMade(in: after(echo), toolset: toolset),
                "with no file named, any change counts")
    }

    @Test("a local model's system prompt names no absolute working directory for it to copy into paths")
    func relativePaths() {
        let toolset = LocalToolset(tools: [], compact: false)
        let prompt = "You are Gander.\n\nThe working directory is /tmp/gander-suite-x1. Today is 2026-12-06.\n\n# Extension clock\n\nx"
        #expect(toolset.adaptedSystemPrompt(prompt)
            == "You are Gander.\n\nPaths are relative to the working directory. Today is 2026-12-06.\n\n# Extension clock\n\nx")
    }

    @Test("a trained model's prompt opens the same in every project and on every day: the date and hints come with the instruction")
    func standingOpening() {
        let toolset = LocalToolset(tools: [], compact: false)
        let prompt = "You are Gander.\n\nPaths are relative to the working directory. Today is 2026-12-07.\n\n# Extension clock\n\nx"
            + "\n\n# Project hints\n\nThe user wrote these for you.\n\n## AGENTS.md\n\nRun it with `sh greet.sh NAME`.\n"
        let split = LocalToolset.splittingSituation(prompt)
        #expect(split.standing == "You are Gander.\n\nPaths are relative to the working directory.\n\n# Extension clock\n\nx")
        #expect(split.situation == "Today is 2026-12-07.\n\n# Project hints\n\nThe user wrote these for you.\n\n## AGENTS.md\n\nRun it with `sh greet.sh NAME`.")
        let messages = LocalProvider.nativeMessages(system: prompt, messages: [.user("Run greet.sh."), Message(role: .assistant, content: [.text("Hello.")]), .user("Again.")],
                                                    toolset: toolset, remindsOfTask: false)
        #expect(messages.map(\.content) == [split.standing, split.situation + "\n\nRun greet.sh.", "Hello.", "Again."],
                "told once, with the first instruction")
    }

    @Test("an error names things in the verbs' words; what a file holds is shown as it is")
    func errorVocabulary() {
        let error = "old_str was not found in a.txt; use str_replace with the text to change. Not run: the 4th call to developer__text_editor"
        #expect(LocalToolset.modelText(ofResult: error, verb: "replace_text", isError: true)
            == "old was not found in a.txt; use replace_text with the text to change. Not run: the 4th call to replace_text")
        #expect(LocalToolset.modelText(ofResult: "     1\tx = old_str", verb: "read_file", isError: false) == "x = old_str")
        #expect(LocalToolset.modelText(ofResult: "old_str", verb: "clock__now", isError: true) == "old_str", "other tools' words are theirs")
        let toolset = LocalToolset(tools: [ToolSpec(name: "developer__shell", description: "", inputSchema: ["type": "object"])], compact: true)
        let move = ToolCall(id: "1", name: "developer__shell", arguments: #"{"command":"mv -- 'report.txt' 'archive'"}"#)
        func result(_ text: String, isError: Bool) -> ToolResult {
            ToolResult(callID: "1", toolName: "developer__shell", content: [.text(text)], isError: isError)
        }
        #expect(toolset.modelResult(of: result("exit code: 0\nstdout: (empty)", isError: false), call: move)
            == ("move_file", "Moved report.txt to archive."), "a file verb that worked says what it did")
        #expect(toolset.modelResult(of: result("mv: cannot stat 'report.txt'", isError: true), call: move).text.contains("cannot stat"))
    }

    @Test("paths are held to the workspace, and the files an instruction names are read before anything else")
    func workspace() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gander-ws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory.appendingPathComponent("src"), withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["README.md", "src/app.py", ".env"] {
            try Data("x".utf8).write(to: directory.appendingPathComponent(name))
        }
        let snapshot = try #require(WorkspaceSnapshot(directory: directory))
        #expect(snapshot.files == ["README.md", "src/app.py"], "hidden files are left out")
        #expect(snapshot.directories == [".", "src"])
        #expect(snapshot.lookFirst(for: "What does app.py do?").files == ["src/app.py"])
        #expect(snapshot.lookFirst(for: "How many files are in src?").folders == ["src"])
        #expect(snapshot.lookFirst(for: "Say hello.") == ([], []))

        let editor = ToolSpec(name: "developer__text_editor", description: "", inputSchema: ["type": "object"])
        let first = LocalToolset(tools: [editor], compact: true, workspace: snapshot, lookFirst: (["src/app.py"], []))
        #expect(first.mustLook && first.callable.map(\.name) == ["read_file"])
        #expect(first.callable[0].inputSchema["properties"]?["path"]?["enum"] == ["src/app.py"])
        let later = LocalToolset(tools: [editor], compact: true, workspace: snapshot, seen: ["read_file src/app.py"],
                                 lookFirst: (["src/app.py"], []))
        #expect(!later.mustLook)
        let readable = later.offered.first { $0.name == "read_file" }?.inputSchema["properties"]?["path"]?["enum"]
        #expect(readable == ["README.md"], "a file already read is not offered again")
    }

    @Test("a script of the working directory named bare is run from there; commands on PATH are left alone")
    func localScripts() throws {
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("gander-ws-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        for name in ["greet.sh", "build.sh", "tool.py", "notes.txt", "ls"] {
            try Data("x".utf8).write(to: directory.appendingPathComponent(name))
        }
        for name in ["greet.sh", "ls"] {
            try FileManager.default.setAttributes([.posixPermissions: 0o755], ofItemAtPath: directory.appendingPathComponent(name).path)
        }
        let snapshot = try #require(WorkspaceSnapshot(directory: directory))
        #expect(snapshot.executables == ["greet.sh", "ls"])
        func run(_ command: String) -> String { LocalToolset.runningScripts(of: snapshot, in: command, path: "/usr/bin:/bin") }
        #expect(run("greet.sh Gander") == "./greet.sh Gander")
        #expect(run("greet.sh") == "./greet.sh")
        #expect(run("greet.sh; echo done") == "./greet.sh; echo done")
        #expect(run("build.sh --fast") == "bash build.sh --fast", "a script without the executable bit goes to its interpreter")
        #expect(run("tool.py 3") == "python3 tool.py 3")
        for unchanged in ["./greet.sh Gander", "ls -la", "notes.txt", "cat greet.sh", "echo greet.sh", "src/greet.sh"] {
            #expect(run(unchanged) == unchanged, "\(unchanged)")
        }

        let shell = ToolSpec(name: "developer__shell", description: "", inputSchema: ["type": "object"])
        let toolset = LocalToolset(tools: [shell], compact: true, workspace: snapshot)
        #expect(toolset.realCall(name: "run_command", arguments: ["command": "greet.sh Gander"]).arguments == ["command": "./greet.sh Gander"])
        #expect(LocalToolset(tools: [shell], compact: true).realCall(name: "run_command", arguments: ["command": "greet.sh"]).arguments
            == ["command": "greet.sh"], "without a workspace snapshot the command is the model's")
    }

    @Test("a request to change something is told apart from a question")
    func tasks() {
        #expect(LocalTask(instruction: "Fix the typo in a.txt.").asksForChange)
        #expect(LocalTask(instruction: "Run tests.sh and report.").asksToRun)
        #expect(!LocalTask(instruction: "What port is set in config.ini?").asksForChange)
        #expect(!LocalTask(instruction: "Say hello.").asksForChange)
        #expect(LocalTask(instruction: "Copy template.txt to letter.txt.").asksToMoveFiles)
        #expect(LocalTask(instruction: "Rename draft.txt to final.txt.").asksToMoveFiles)
        #expect(!LocalTask(instruction: "Delete the line foo and fix the typo in a.txt.").asksToMoveFiles)
        #expect(!LocalTask(instruction: "Which files would I delete?").asksToMoveFiles)
        #expect(LocalTask(instruction: "Which Python is installed? Check with a command.").asksToRun)
        #expect(LocalTask(instruction: "Run greet.sh with the name Gander.").firstVerbs == ["run_command"])
        #expect(LocalTask(instruction: "Fix app.py, then run it.").firstVerbs.isEmpty, "more than running: no first verb")
        #expect(LocalTask(instruction: "Rename draft.txt to final.txt.").firstVerbs == ["move_file"])
        #expect(!LocalTask(instruction: "In app.py, rename the variable cnt to count.").asksToMoveFiles, "no file is renamed")
        #expect(LocalTask(instruction: "Add the line '- ship it' at the end of todo.txt.").firstVerbs == ["add_line"])
        #expect(LocalTask(instruction: "Write a shell script run.sh that prints done.").firstVerbs == ["write_file"])
        #expect(LocalTask(instruction: "Create a directory named build.").firstVerbs.isEmpty)
        #expect(LocalTask(instruction: "Run stamp.sh and save what it prints to stamp.txt.").asksForMoreThanRunning)
        #expect(!LocalTask(instruction: "Run greet.sh with the name Gander and tell me what it prints.").asksForMoreThanRunning)
        #expect(LocalTask(instruction: "Say hello in one short sentence.").isConversational)
        #expect(LocalTask(instruction: "What is 2 + 3? Answer with the number.").isConversational)
        for work in ["What port is set in config.ini?", "How many files are here?", "Run `make` and report.",
                     "What does src/app do?", "What time is it?"] {
            #expect(!LocalTask(instruction: work).isConversational, "\(work)")
        }
    }

    @Test("a how-many question is answered from counts of what the tools returned, not from one of its lines")
    func counts() throws {
        func results(_ texts: String...) -> Message {
            Message(role: .user, content: texts.enumerated().map { index, text in
                .toolResult(ToolResult(callID: "\(index)", toolName: "developer__text_editor", content: [.text(text)], isError: false))
            })
        }
        let listing = results("/w/ (two levels deep; directly in it: 4 files, 1 folder)\na.txt\nb.txt\nc.txt\nd.md\ndata/\ndata/1.csv\ndata/2.csv")
        #expect(LocalTurnPlan.countQuotes(question: "How many .txt files are in this directory?", message: listing) == ["3 .txt files", "0 .txt files in data"])
        #expect(LocalTurnPlan.countQuotes(question: "How many files are in the data folder?", message: listing) == ["2 files in data"])
        let file = results("1\tapples\n2\tpears\n3\tplums")
        #expect(LocalTurnPlan.countQuotes(question: "How many lines does list.txt have?", message: file) == ["3 lines"])
        let long = results("1\ta\n2\tb\n[showing lines 1–2 of 5000; view_range [3, 5000] shows more]")
        #expect(LocalTurnPlan.countQuotes(question: "How many lines are in big.txt?", message: long) == ["5000 lines"])
        let log = results("1\tINFO start\n2\tERROR disk full\n3\tINFO retry\n4\tERROR gave up")
        #expect(LocalTurnPlan.countQuotes(question: "How many lines in app.log contain ERROR?", message: log) == ["2 lines"])
        #expect(LocalTurnPlan.countQuotes(question: "How many lines contain 'INFO'?", message: log) == ["2 lines"])
        #expect(LocalTurnPlan.countQuotes(question: "How many lines contain ERROR?", message: long) == nil, "a page cannot tell")
        #expect(LocalTurnPlan.countQuotes(question: "What is in list.txt?", message: file) == nil, "not a how-many question")
        #expect(LocalTurnPlan.countQuotes(question: "How many lines?", message: .user("hi")) == nil, "no tool results")
    }

    @Test("a phrase repeated over and over is a loop; ordinary text is not")
    func loops() {
        #expect(LocalProvider.isLooping(String(repeating: "The output is: ", count: 30), times: 4))
        #expect(!LocalProvider.isLooping(String((0..<300).map { Character(UnicodeScalar(97 + $0 % 26)!) }) + " fin", times: 4))
    }

    @Test("the GGUF header gives architecture, quantisation, trained context and template without loading the model")
    func metadata() throws {
        let model = try #require(installedRuntime.models().first { $0.name == LocalRuntime.smolLM2Name })
        let metadata = try #require(GGUFMetadata(path: model.path))
        #expect(metadata.architecture == "llama")
        #expect(metadata.quantization == "Q4_1")
        #expect(metadata.contextLength == 8192)
        #expect(metadata.vocabularySize == 49152)
        #expect(metadata.chatTemplate?.contains("<|im_start|>") == true)
        #expect(!metadata.trainedForTools)
        let truncated = FileManager.default.temporaryDirectory.appendingPathComponent("gander-trunc-\(UUID().uuidString).gguf")
        try Data(try Data(contentsOf: URL(fileURLWithPath: model.path), options: .alwaysMapped).prefix(5000)).write(to: truncated)
        defer { try? FileManager.default.removeItem(at: truncated) }
        #expect(GGUFMetadata(path: truncated.path) == nil, "a truncated header is refused, not misread")
    }

    @Test("the grammar bounds integers by their maximum and lists every tool")
    func grammar() {
        let grammar = ToolCallGrammar(tools: [
            ToolSpec(name: "developer__shell", description: "", inputSchema: [
                "type": "object", "properties": ["command": ["type": "string"], "timeout": ["type": "integer", "maximum": 86400]],
                "required": ["command"]]),
        ]).text
        #expect(grammar.contains(#""\"developer__shell\"""#))
        #expect(grammar.contains("args-developer--shell-timeout ::= [0-9]{1,5}"))
        #expect(grammar.contains(#""{" ws "\"answer\"""#))

        let quoting = ToolCallGrammar(tools: [], answerQuotes: ["port=8080", "say \"hi\""]).text
        #expect(quoting.contains(#"quote ::= "port=8080" | "say \\\"hi\\\"""#), "quotes are JSON-escaped, then GBNF-escaped")
        let hermes = ToolCallGrammar(tools: [], allowsAnswer: false, wrappers: [("<tool_call>", "</tool_call>"), ("", "")]).text
        #expect(hermes.hasPrefix(#"root ::= ( "<tool_call>" ws call ws "</tool_call>" ) | ( call )"#) && !hermes.contains("answer"))
    }
}
