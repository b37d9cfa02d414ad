import Foundation
import GanderCore
@testable import GanderLocal
import GanderTestSupport
import Testing

/// The runtime `make test` installs (`gander local install`) in the user's data directory.
let installedRuntime = LocalRuntime(environment: ProcessInfo.processInfo.environment)

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
    @Test("loads the default GGUF and streams an answer in several pieces")
    func streams() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: nil, contextLimit: 2048,
                                         sampling: SamplingSettings(maxTokens: 24))
        let events = try await collect(provider, ModelRequest(systemPrompt: "You are helpful.", messages: [.user("Say hello.")], tools: []))

        let deltas = events.filter { if case .textDelta = $0 { true } else { false } }
        #expect(deltas.count > 1, "tokens stream one by one")
        #expect(!text(of: events).trimmingCharacters(in: .whitespacesAndNewlines).isEmpty)
        #expect(events.contains { if case .usage(let usage) = $0 { usage.inputTokens > 0 && usage.outputTokens > 0 } else { false } })
        #expect(events.last == .stop(.endTurn))
    }

    @Test("the same seed gives the same output")
    func reproducible() async throws {
        let sampling = SamplingSettings(temperature: 0.9, topP: 0.95, seed: 7, maxTokens: 20)
        let request = ModelRequest(systemPrompt: "You are a poet.", messages: [.user("Write about the sea.")], tools: [])
        let first = try LocalProvider(runtime: installedRuntime, model: nil, contextLimit: 2048, sampling: sampling)
        let second = try LocalProvider(runtime: installedRuntime, model: nil, contextLimit: 2048, sampling: sampling)
        #expect(text(of: try await collect(first, request)) == text(of: try await collect(second, request)))
    }

    @Test("with tools offered, the reply is a well-formed call to one of them or an answer")
    func constrainedToolCall() async throws {
        let tool = ToolSpec(name: "weather__forecast", description: "Get the weather forecast for a city.",
                            inputSchema: ["type": "object", "properties": ["city": ["type": "string"],
                                                                            "days": ["type": "integer", "maximum": 14]],
                                          "required": ["city"], "additionalProperties": false])
        let provider = try LocalProvider(runtime: installedRuntime, model: nil, contextLimit: 4096,
                                         sampling: SamplingSettings(temperature: 0, maxTokens: 128))
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

    @Test("a conversation longer than the window loses its oldest turns, and says so")
    func contextOverflow() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: nil, contextLimit: 512,
                                         sampling: SamplingSettings(maxTokens: 16))
        var messages: [Message] = [.user("Remember the word apple.")]
        for turn in 0..<30 {
            messages.append(Message(role: .assistant, content: [.text("Noted, item \(turn): " + String(repeating: "blah ", count: 20))]))
            messages.append(.user("Next item \(turn)."))
        }
        let events = try await collect(provider, ModelRequest(systemPrompt: "Be brief.", messages: messages, tools: []))

        let notice = events.compactMap { if case .notice(let text) = $0 { text } else { nil } }.first
        #expect(notice?.contains("512-token window") == true)
        #expect(events.last == .stop(.endTurn))
    }

    @Test("one message larger than the window is a clear error")
    func promptTooLong() async throws {
        let provider = try LocalProvider(runtime: installedRuntime, model: nil, contextLimit: 256,
                                         sampling: SamplingSettings(maxTokens: 16))
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
            let provider = try LocalProvider(runtime: installedRuntime, model: file.path, contextLimit: 512, sampling: SamplingSettings())
            #expect(throws: LocalModelError.unreadableModel(file.path)) { try provider.load() }
        }
    }

    @Test("an unknown model name lists the known ones")
    func unknownModel() throws {
        #expect(throws: LocalModelError.unknownModel("no-such-model", known: installedRuntime.models().map(\.name))) {
            _ = try LocalProvider(runtime: installedRuntime, model: "no-such-model", contextLimit: nil, sampling: SamplingSettings())
        }
    }

    @Test("without the runtime, one line says how to install it")
    func runtimeMissing() throws {
        let empty = LocalRuntime(environment: ["GANDER_RUNTIME_DIR": "/nonexistent/gander-runtime", "HOME": "/nonexistent"])
        let provider = try LocalProvider(runtime: empty, model: "/nonexistent/model.gguf", contextLimit: nil, sampling: SamplingSettings())
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

    @Test("replies are read as a call or an answer")
    func parse() {
        #expect(LocalToolProtocol.parse(#"{"name":"a__b","arguments":{"x":1}}"#) == .toolCall(name: "a__b", arguments: #"{"x":1}"#))
        #expect(LocalToolProtocol.parse(#"{"answer":"done"}"#) == .answer("done"))
        #expect(LocalToolProtocol.parse(#"{"name":"a__b","argu"#) == nil)
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
    }
}
