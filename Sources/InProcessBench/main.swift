// In-process figures that a whole-process run would drown in start-up: secret redaction per megabyte of request and
// SigV4 signing per request. Run by bench/trust.py from a release build; prints one JSON object.
import Foundation
import GanderCore
import GanderProviders

/// Median milliseconds of `runs` runs of `body`.
func median(runs: Int, _ body: () -> Void) -> Double {
    var samples: [Double] = []
    for _ in 0..<runs {
        let start = ContinuousClock.now
        body()
        samples.append((ContinuousClock.now - start) / .milliseconds(1))
    }
    return samples.sorted()[samples.count / 2]
}

/// A megabyte of what requests carry: source code and command output, with a secret every few kilobytes.
func requestText(megabytes: Int) -> String {
    let lines = [
        "    func load(_ url: URL) throws -> Data { try Data(contentsOf: url) }  // the usual",
        "let max_tokens = 4096, temperature = 0.2",
        "2026-11-30T12:00:01Z INFO request id=7f3a9c path=/v1/items status=200 duration_ms=13",
        "| name | value | notes |",
        "    \"description\": \"The user's settings, read at start\", \"type\": \"object\",",
    ]
    let secrets = [
        "DATABASE_URL=postgres://app:Tr0ub4dor-and-3@db.internal:5432/app",
        "export OPENAI_API_KEY=sk-proj-4fG7hJ2kL9mN3pQ8rS5tV1wX6yZ0aB",
    ]
    var text = ""
    var index = 0
    while text.utf8.count < megabytes << 20 {
        // About one secret every 3 kB, as in a project's config and logs.
        text += (index % 45 == 44 ? secrets[(index / 45) % 2] : lines[index % lines.count]) + "\n"
        index += 1
    }
    return text
}

let runs = Int(ProcessInfo.processInfo.environment["BENCH_RUNS"] ?? "") ?? 15
let text = requestText(megabytes: 8)
let redactor = SecretRedactor()
var replaced = 0
let redaction = median(runs: runs) { replaced = redactor.redact(text).counts.values.reduce(0, +) }
let clean = String(repeating: "    let value = compute(input, with: options)  // nothing secret here\n", count: (8 << 20) / 70)
let cleanRedaction = median(runs: runs) { _ = redactor.redact(clean) }

let signer = SigV4Signer(credentials: AWSCredentials(accessKeyID: "AKIAIOSFODNN7EXAMPLE",
                                                     secretAccessKey: "wJalrXUtnFEMI/K7MDENG/bPxRfiCYEXAMPLEKEY",
                                                     sessionToken: "session-token", source: "bench"),
                         service: "bedrock", region: "us-east-1")
let url = URL(string: "https://bedrock-runtime.us-east-1.amazonaws.com/model/us.anthropic.claude-sonnet-4-5-20250929-v1%3A0/converse-stream")!
let body = Data(String(repeating: "x", count: 20_000).utf8)
let signings = 1000
let signing = median(runs: runs) {
    for _ in 0..<signings { _ = signer.sign(method: "POST", url: url, headers: [("content-type", "application/json")], body: body) }
}

let result: [String: Double] = [
    "redaction_ms_per_mb": redaction / 8, "redaction_clean_ms_per_mb": cleanRedaction / 8,
    "secrets_replaced_in_8mb": Double(replaced), "sigv4_us_per_request_20kb": signing * 1000 / Double(signings),
]
let encoder = JSONEncoder()
encoder.outputFormatting = .sortedKeys
print(String(decoding: try encoder.encode(result), as: UTF8.self))
