import Foundation
import GanderCore
@testable import GanderProviders
import Testing

@Suite("stream framing")
struct StreamFramingTests {
    let stream = "event: message_start\r\ndata: {\"a\":1}\r\n\r\n: keep-alive comment\n\ndata: line one\ndata: line two\n\ndata:[DONE]\n\n"

    @Test("server-sent events come out the same however the bytes are split", arguments: [1, 2, 3, 7, 1000])
    func sseSplits(pieceSize: Int) {
        var parser = ServerSentEventParser()
        var events: [ServerSentEvent] = []
        let bytes = Array(stream.utf8)
        for start in stride(from: 0, to: bytes.count, by: pieceSize) {
            events += parser.feed(bytes[start..<min(start + pieceSize, bytes.count)])
        }
        events += parser.finish()
        #expect(events == [
            ServerSentEvent(name: "message_start", data: "{\"a\":1}"),
            ServerSentEvent(name: nil, data: "line one\nline two"),
            ServerSentEvent(name: nil, data: "[DONE]"),
        ])
    }

    @Test("a multi-byte character split between reads is kept whole")
    func utf8Split() {
        var splitter = LineSplitter()
        let bytes = Array("ünï\n".utf8)
        let first = splitter.feed(bytes[0..<1])
        let second = splitter.feed(bytes[1...])
        #expect(first.isEmpty)
        #expect(second == ["ünï"])
    }
}

@Suite("retry policy")
struct RetryPolicyTests {
    @Test("Retry-After in seconds or as an HTTP date is honoured, within the cap")
    func retryAfter() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 0.5, maxDelay: 30)
        let now = Date(timeIntervalSince1970: 1_700_000_000)
        #expect(policy.delay(afterAttempt: 1, retryAfter: "3", now: now) == 3)
        #expect(policy.delay(afterAttempt: 1, retryAfter: "3600", now: now) == 30)
        let date = "Tue, 14 Nov 2023 22:13:40 GMT"  // 20 s after `now`
        #expect(abs(policy.delay(afterAttempt: 1, retryAfter: date, now: now) - 20) < 0.001)
    }

    @Test("without Retry-After the wait grows exponentially, with jitter")
    func backoff() {
        let policy = RetryPolicy(maxAttempts: 5, baseDelay: 1, maxDelay: 60)
        for attempt in 1...4 {
            let ceiling = pow(2, Double(attempt - 1))
            let delay = policy.delay(afterAttempt: attempt, retryAfter: nil)
            #expect(delay >= ceiling / 2 && delay <= ceiling)
        }
    }
}

@Suite("provider set-up")
struct ProviderFactoryTests {
    @Test("base URLs get a scheme and lose trailing slashes; nonsense is refused")
    func baseURLs() throws {
        #expect(try ProviderFactory.normalized("localhost:11434/") == "http://localhost:11434")
        #expect(try ProviderFactory.normalized("https://api.example.com/v1") == "https://api.example.com/v1")
        #expect(throws: ProviderError.self) { try ProviderFactory.normalized("ftp://x") }
    }

    @Test("OpenAI itself needs a key; a local OpenAI-compatible server does not")
    func openAIKeys() throws {
        #expect(throws: ProviderError.self) {
            try ProviderFactory.make(ProviderSettings(provider: "openai"), environment: [:])
        }
        let local = try ProviderFactory.make(ProviderSettings(provider: "openai", baseURL: "http://127.0.0.1:8080/v1"),
                                             environment: [:])
        #expect(local.name == "openai")
    }

    @Test("the provider is inferred from the key that is set")
    func inference() {
        #expect(ProviderFactory.inferredProvider(environment: ["ANTHROPIC_API_KEY": "k"]) == "anthropic")
        #expect(ProviderFactory.inferredProvider(environment: ["OPENAI_API_KEY": "k"]) == "openai")
        #expect(ProviderFactory.inferredProvider(environment: ["OPENAI_API_KEY": " "]) == nil)
    }
}

@Suite("the reply watch")
struct ReplyWatchTests {
    @Test("bytes without content do not keep a reply alive, content does, and the whole call has its own bound")
    func bounds() async throws {
        // Only lower bounds of time matter here: a sleep may last longer, never shorter.
        var quiet = ReplyWatch(timeouts: Timeouts(connect: 1, idleRead: 0.2, wholeCall: 60), provider: "openai")
        try await Task.sleep(for: .milliseconds(250))
        #expect(throws: ProviderError.self, "0.25 s of keep-alives alone is past the 0.2 s bound") {
            try quiet.arrived(withContent: false)
        }

        var talking = ReplyWatch(timeouts: Timeouts(connect: 1, idleRead: 0.2, wholeCall: 60), provider: "openai")
        try await Task.sleep(for: .milliseconds(250))
        try talking.arrived(withContent: true)

        var steady = ReplyWatch(timeouts: Timeouts(connect: 1, idleRead: 10, wholeCall: 0.2), provider: "openai")
        try await Task.sleep(for: .milliseconds(250))
        #expect(throws: ProviderError.self, "content keeps coming, but the call is past its whole bound") {
            try steady.arrived(withContent: true)
        }
    }
}
