// In-process figures that a whole-process run would drown in start-up: secret redaction per megabyte of request,
// the outbound gate's own time per request and SigV4 signing per request (bench/trust.py), and with
// `recipe FILE NAME=VALUE…` the time to load a recipe as `gander run --recipe` does (bench/recipes.py). Run from a
// release build; prints one JSON object.
import AsyncHTTPClient
import Foundation
import GanderCore
import GanderHost
import GanderProviders
import GanderRecipes

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

/// Gander's own time to load a recipe before it runs anything: read the file, check it, settle the parameters'
/// values, render it and read the result again. The first load is left out, as the file is then read from disk.
func recipeFigures(path: String, pairs: [String]) throws -> [String: Double] {
    let url = URL(fileURLWithPath: path)
    let directory = url.deletingLastPathComponent()
    let given = try RecipeParameters.parse(pairs)
    func load() throws {
        let text = try String(contentsOf: url, encoding: .utf8)
        _ = try RecipeLoader().load(RecipeFile(text: text, url: url), given: given, workingDirectory: directory)
    }
    try load()
    var failure: (any Error)?
    let time = median(runs: runs) {
        do { try load() } catch { failure = error }
    }
    if let failure { throw failure }
    return ["recipe_load_ms": time]
}

func printJSON(_ result: [String: Double]) {
    let encoder = JSONEncoder()
    encoder.outputFormatting = .sortedKeys
    print(String(decoding: (try? encoder.encode(result)) ?? Data("{}".utf8), as: UTF8.self))
}

let arguments = CommandLine.arguments.dropFirst()
if arguments.first == "recipe", arguments.count >= 2 {
    do {
        printJSON(try recipeFigures(path: arguments[arguments.startIndex + 1], pairs: Array(arguments.dropFirst(2))))
        exit(0)
    } catch {
        FileHandle.standardError.write(Data("in-process-bench: \(error)\n".utf8))
        exit(1)
    }
}

let text = requestText(megabytes: 8)
let redactor = SecretRedactor()
var replaced = 0
let redaction = median(runs: runs) { replaced = redactor.redact(text).counts.values.reduce(0, +) }
let clean = String(repeating: "    let value = compute(input, with: options)  // nothing secret here\n", count: (8 << 20) / 70)
let cleanRedaction = median(runs: runs) { _ = redactor.redact(clean) }

// A session that has seen twenty secrets: each is hunted for again, in four forms, in everything that leaves.
let seasoned = SecretRedactor()
for number in 0..<20 { _ = seasoned.redact("token_\(number) = \"q\(number)Z9x-\(String(repeating: "k", count: 12))-\(number * 7919)\"") }
var rememberedReplaced = 0
let rememberedRedaction = median(runs: runs) { rememberedReplaced = seasoned.redact(text).counts.values.reduce(0, +) }

/// A no-op recorder: the gate's own cost, not the database's.
struct NullRecorder: OutboundRecorder {
    func leaving(_ request: OutboundRequest) -> OutboundCompletion? { { _, _ in } }
}
let gate = OutboundGate(environment: ["HTTPS_PROXY": "http://proxy.internal:3128", "NO_PROXY": "localhost,.corp"])
var gateRequest = HTTPClientRequest(url: "https://api.example.com/v1/chat/completions?api-version=2025-01-01&key=AIzaSyA1b2C3d4E5f6G7h8I9j0KlMnOpQrStUvW")
gateRequest.method = .POST
gateRequest.headers.add(name: "content-type", value: "application/json")
gateRequest.setBody(.init(string: String(repeating: "x", count: 20_000)))
let gateRequests = 10_000
let recorder = NullRecorder()
let gateTime = median(runs: runs) {
    for _ in 0..<gateRequests {
        guard let (_, outbound) = try? gate.admit(gateRequest, kind: .model, timing: OutboundGate.Timing()) else { continue }
        recorder.leaving(outbound)?(0, Usage())
    }
}

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
    "redaction_remembered_ms_per_mb": rememberedRedaction / 8, "secrets_replaced_remembered_8mb": Double(rememberedReplaced),
    "gate_us_per_request": gateTime * 1000 / Double(gateRequests),
]
printJSON(result)
