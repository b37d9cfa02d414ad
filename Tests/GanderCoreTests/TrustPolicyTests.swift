import Foundation
import Synchronization
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

@Suite("permission order")
struct PermissionOrderTests {
    let commands = CommandRules(allow: ["git status*"], ask: ["git push*"], deny: ["rm -rf /*"])

    @Test("a tool's never beats a command rule that allows the line, in every mode")
    func neverWins() async {
        for mode in [PermissionMode.auto, .smart, .approve] {
            let byTool = Permissions(mode: mode, rules: ["developer__shell": .never], commandRules: commands)
            #expect(await byTool.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "git status") == .refuse(
                "Not run: the user's configuration never allows developer__shell. Do without it, or explain what you need."))
            let byExtension = Permissions(mode: mode, rules: ["developer": .never], commandRules: commands)
            if case .refuse = await byExtension.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "git status") {} else {
                Issue.record("an extension's never did not refuse an allowed command in \(mode)")
            }
        }
        let granted = Permissions(mode: .auto, rules: ["developer__shell": .never])
        await granted.grantAlways("developer__shell")
        if case .refuse = await granted.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "ls") {} else {
            Issue.record("a grant outranked never")
        }
    }

    @Test("command rules outrank the tool's always and ask rules and the mode")
    func commandRulesNext() async {
        let always = Permissions(mode: .auto, rules: ["developer__shell": .always], commandRules: commands)
        if case .refuse = await always.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "rm -rf /home") {} else {
            Issue.record("always outranked a deny rule")
        }
        #expect(await always.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "git push") == .ask)
        let ask = Permissions(mode: .approve, rules: ["developer__shell": .ask], commandRules: commands)
        #expect(await ask.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "git status") == .run)
        #expect(await ask.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "make") == .ask)
        let smart = Permissions(mode: .smart, commandRules: commands)
        #expect(await smart.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "git status") == .run)
        #expect(await smart.verdict(tool: "developer__shell", effect: .mayChange, commandLine: "make") == .ask)
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

    @Test("a private key's body lines go, each by itself, and its BEGIN and END lines stay")
    func privateKey() {
        let redactor = SecretRedactor()
        let key = "-----BEGIN RSA PRIVATE KEY-----\nMIIEowIBAAKCAQEA\nq83Lw==\n-----END RSA PRIVATE KEY-----"
        let (clean, counts) = redactor.redact("before\n\(key)\nafter")
        #expect(clean == "before\n-----BEGIN RSA PRIVATE KEY-----\n«secret:1»\n«secret:2»\n-----END RSA PRIVATE KEY-----\nafter")
        #expect(counts == ["private_key": 2])
        #expect(redactor.restore(clean) == "before\n\(key)\nafter")
        #expect(redactor.restore("«secret:9» stays") == "«secret:9» stays", "an unknown placeholder is left alone")
    }

    /// A key body as viewers show it: the editor's gutter, a search's `file:line:`, `sed -n 2,4p` bare.
    static let keyLines = [
        "MIIEvQIBADANBgkqhkiG9w0BAQEFAASCBKcwggSjAgEAAoIBAQC7VJTUt9Us8cKj",
        "MZR2fJ0xk1PFYyYhTqW0wGg8Gk3sLq0Nv9h2ZqP6b1ZkGxN7T+8q3Yc0aH1f9W2L",
        "u4Hn8W1==",
    ]

    @Test("key material without its BEGIN line goes too, and only the key, never the gutter before it")
    func keyBodyWithoutHeader() {
        let shown = [
            Self.keyLines.enumerated().map { "     \($0.offset + 2)\t\($0.element)" }.joined(separator: "\n"),
            Self.keyLines.enumerated().map { "notes.txt:\($0.offset + 2):\($0.element)" }.joined(separator: "\n"),
            Self.keyLines.joined(separator: "\n"),
        ]
        for text in shown {
            let redactor = SecretRedactor()
            let (clean, counts) = redactor.redact(text)
            for line in Self.keyLines { #expect(!clean.contains(line), "\(line) survived in \(clean)") }
            #expect(counts["private_key"] == 3, "\(counts)")
            #expect(redactor.values == Self.keyLines, "a placeholder stands for the key's text alone")
        }
        // Hex digests, paths and prose of the same length are not key material.
        let ordinary = """
            e3b0c44298fc1c149afbf4c8996fb92427ae41e4649b934ca495991b7852b855
            Sources/GanderExtensions/Developer/ProtectedFiles/Walker/Entries
            The quick brown fox jumps over the lazy dog again and again today
            """
        #expect(SecretRedactor().redact(ordinary).counts.isEmpty)
    }

    @Test("an AWS secret beside its key id, Stripe and npm tokens, DB_PASS, and every line of an env file")
    func widerRules() {
        let redactor = SecretRedactor()
        let cases: [(String, String, String)] = [
            ("AKIAIOSFODNN7EXAMPLE,wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
             "aws_secret_access_key"),
            ("aws configure set x AKIAIOSFODNN7EXAMPLE wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
             "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY", "aws_secret_access_key"),
            ("STRIPE=rk_live_51HqLyjWDarjtT1zdp7dc", "rk_live_51HqLyjWDarjtT1zdp7dc", "stripe_key"),
            ("//registry.npmjs.org/:_authToken=npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8", "npm_a1B2c3D4e5F6g7H8i9J0k1L2m3N4o5P6q7R8",
             "npm_token"),
            ("DB_PASS=correct-horse-9", "correct-horse-9", "assigned_secret"),
        ]
        for (text, secret, kind) in cases {
            let (clean, counts) = SecretRedactor().redact(text)
            #expect(!clean.contains(secret), "\(kind) survived: \(clean)")
            #expect(counts[kind] == 1, "\(text) → \(counts)")
        }
        let env = "# local settings\nDATABASE_HOST=db.internal\nexport GREETING=hello\nEMPTY=\n"
        let (clean, counts) = redactor.redact(env, everyAssignment: true)
        #expect(clean.contains("# local settings") && !clean.contains("db.internal") && !clean.contains("hello"), "\(clean)")
        #expect(counts["env_value"] == 2 && clean.contains("EMPTY=\n"))
        #expect(SecretRedactor().redact(env).counts.isEmpty, "outside an env file, plain names are not secrets")
    }

    @Test("a value once replaced is replaced again under any name, base64-encoded, URL-encoded or JSON-escaped")
    func remembered() {
        let redactor = SecretRedactor()
        let key = "ghp_16C7e42F292c6912E7710c838347Ae178B4a"
        _ = redactor.redact("GITHUB_TOKEN=\(key)")
        let pem = "-----BEGIN PRIVATE KEY-----\nMIIEowIBAAKCAQEA\n-----END PRIVATE KEY-----"
        _ = redactor.redact(pem)
        let password = "p@ss word/+9"
        _ = redactor.redact("db_password: \"\(password)\"")
        let encoded = Data(key.utf8).base64EncodedString()
        let later = "T3 = '\(key)'\nencoded: \(encoded)\nurl: https://x.example/?q=p%40ss%20word%2F%2B9\nbody MIIEowIBAAKCAQEA"
        let (clean, _) = redactor.redact(later)
        #expect(!clean.contains(key) && !clean.contains(encoded) && !clean.contains("p%40ss") && !clean.contains("MIIEow"),
                "\(clean)")
        #expect(clean.contains("T3 = '«secret:1»'"))

        // A resumed session's redactor starts from the values kept, numbered as before.
        let kept = Mutex<[(Int, String)]>([])
        let first = SecretRedactor()
        _ = first.redact("token: \(key)")
        let resumed = SecretRedactor(known: first.values) { number, value in kept.withLock { $0.append((number, value)) } }
        #expect(resumed.redact("again \(key)").text == "again «secret:1»")
        _ = resumed.redact("api_key=zz9-another-secret-value")
        #expect(kept.withLock { $0.count == 1 && $0[0].0 == 2 })
    }

    @Test("placeholders are found and restored in parsed arguments, whatever the JSON spelled")
    func parsedArguments() throws {
        let redactor = SecretRedactor()
        _ = redactor.redact("key=sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB")
        let escaped = try JSONValue(parsing: #"{"text":"k=\u00absecret:1\u00bb","n":[1,"«secret:1»"]}"#)
        #expect(redactor.placeholders(in: escaped) == [1])
        let restored = redactor.restore(escaped)
        #expect(restored["text"]?.stringValue == "k=sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB")
        #expect(restored["n"]?.arrayValue?.last?.stringValue == "sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB")
        #expect(redactor.placeholders(in: .string("«secret:7» is not one of ours")).isEmpty)
    }
}
