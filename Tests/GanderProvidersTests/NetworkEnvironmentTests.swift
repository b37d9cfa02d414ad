import GanderHost
import Testing

@Suite("proxy settings from the environment")
struct NetworkEnvironmentTests {
    @Test("each scheme has its proxy; lower-case names count; credentials and default ports are read")
    func proxies() {
        let network = NetworkEnvironment(environment: [
            "https_proxy": "http://me:p%40ss@proxy.corp:3128", "HTTP_PROXY": "plain.corp",
        ])
        let secure = network.proxy(for: "https://api.openai.com/v1/chat/completions")
        #expect(secure == .init(host: "proxy.corp", port: 3128, user: "me", password: "p@ss"))
        #expect(network.proxy(for: "http://localhost:11434/api/chat") == .init(host: "plain.corp", port: 80))
    }

    @Test("NO_PROXY: hosts, domains with or without a dot, ports ignored, and * for everything")
    func bypass() {
        let network = NetworkEnvironment(environment: ["HTTPS_PROXY": "proxy:8080", "NO_PROXY": "localhost, .internal.corp,example.com:443"])
        #expect(network.proxy(for: "https://localhost/x") == nil)
        #expect(network.proxy(for: "https://llm.internal.corp/v1") == nil)
        #expect(network.proxy(for: "https://api.example.com/v1") == nil)
        #expect(network.proxy(for: "https://notexample.com/v1") != nil, "a suffix that is not a domain does not match")
        #expect(NetworkEnvironment(environment: ["HTTPS_PROXY": "proxy:8080", "NO_PROXY": "*"]).proxy(for: "https://a.b") == nil)
        #expect(NetworkEnvironment(environment: [:]).proxy(for: "https://a.b") == nil)
    }
}
