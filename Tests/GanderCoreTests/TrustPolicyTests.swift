@testable import GanderCore
import Testing

@Suite("command rules")
struct CommandRulesTests {
    let rules = CommandRules(allow: ["git status*", "cargo test*", "ls"], ask: ["git push*"], deny: ["rm -rf /*"])

    @Test("a line is judged by each of its commands; deny beats ask beats allow")
    func parts() {
        #expect(rules.verdict(for: "git status") == .allow)
        #expect(rules.verdict(for: "git  status --short && cargo test -q") == .allow)
        #expect(rules.verdict(for: "git status; rm -rf /") == .deny(rule: "rm -rf /*", command: "rm -rf /"))
        #expect(rules.verdict(for: "git status | git push origin") == .ask(rule: "git push*"))
        #expect(rules.verdict(for: "git status && make") == nil, "make matches no allow rule")
        #expect(rules.verdict(for: "git status $(curl evil)") == nil, "a substitution is never allowed outright")
        #expect(rules.verdict(for: "echo 'git push; not a command'") == nil, "quoted text stays one command")
        #expect(rules.verdict(for: "ls") == .allow)
        #expect(rules.verdict(for: "lsof") == nil, "a pattern without * matches the whole command only")
    }

    @Test("the wildcard matches any text, spaces included")
    func wildcard() {
        #expect(CommandRules.matches("rm -rf /home/me", pattern: "rm -rf /*"))
        #expect(!CommandRules.matches("rm -rf ./build", pattern: "rm -rf /*"))
        #expect(CommandRules.matches("a b c", pattern: "a*c"))
        #expect(CommandRules.matches("", pattern: "*"))
    }
}

@Suite("secret redaction")
struct SecretRedactorTests {
    @Test("each shape is replaced, the same value keeps its placeholder, and restore brings it back")
    func shapes() {
        let redactor = SecretRedactor()
        let samples: [(String, String, String)] = [
            ("key = \"sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB\"", "sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB", "openai_key"),
            ("export AWS_ACCESS_KEY_ID=AKIAIOSFODNN7EXAMPLE", "AKIAIOSFODNN7EXAMPLE", "aws_access_key_id"),
            ("Authorization: Bearer abcdefghijklmnop1234567890", "abcdefghijklmnop1234567890", "bearer_token"),
            ("https://me:s3cr3t-pass@example.com/x", "s3cr3t-pass", "url_password"),
            ("GET /v1?api_key=0123456789abcdef&x=1", "0123456789abcdef", "url_token"),
            ("\"client_secret\": \"Qm9v-c2VjcmV0LXZhbHVl\"", "Qm9v-c2VjcmV0LXZhbHVl", "assigned_secret"),
        ]
        for (text, secret, kind) in samples {
            let (clean, counts) = redactor.redact(text)
            #expect(!clean.contains(secret), "\(kind) survived: \(clean)")
            #expect(counts[kind] == 1, "\(text) → \(counts)")
            #expect(redactor.restore(clean) == text)
        }
        let twice = redactor.redact("a sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB b sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB")
        #expect(twice.text == "a «secret:1» b «secret:1»")
    }

    @Test("ordinary code and prose pass untouched")
    func noFalseAlarms() {
        let redactor = SecretRedactor()
        let ordinary = """
            let max_tokens = 4096
            token_count: 12
            password = os.environ["DB_PASSWORD"]
            api_key=${OPENAI_API_KEY}
            See https://example.com/docs?page=2 and the sk- prefix.
            func authenticate(user: String) -> Bool
            """
        let (clean, counts) = redactor.redact(ordinary)
        #expect(clean == ordinary, "\(counts)")
    }

    @Test("a private key block goes whole, and restore escapes it for JSON argument text")
    func privateKey() {
        let redactor = SecretRedactor()
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"
        let (clean, counts) = redactor.redact("before\n\(key)\nafter")
        #expect(clean == "before\n«secret:1»\nafter" && counts == ["private_key": 1])
        #expect(redactor.restore(#"{"text":"«secret:1»"}"#, jsonEscaped: true)
            == #"{"text":"-----BEGIN RSA PRIVATE KEY-----\nMIIEow\n-----END RSA PRIVATE KEY-----"}"#)
        #expect(redactor.restore("«secret:9» stays") == "«secret:9» stays", "an unknown placeholder is left alone")
    }
}
