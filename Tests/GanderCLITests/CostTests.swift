import Foundation
import GanderCore
import GanderTestSupport
import Testing

@Suite("what a run costs")
struct CostTests {
    @Test("the JSON output and the session carry the cost at the catalogue's prices, or config.yaml's")
    func cost() async throws {
        let scenario = try await Scenario(.openai, [.tools(shell("true")), .text("done"), .text("priced by config")])
        defer { Task { await scenario.finish() } }

        // Each scripted call reports 100 prompt tokens, 40 of them cached, and 20 out: at gpt-4.1's $2, $0.50 and $8
        // per million that is $0.0003 a call.
        let catalogue = try await scenario.run(["-t", "go", "--output-format", "json", "--model", "gpt-4.1", "--name", "priced"])
        #expect(catalogue.status == 0, "stderr: \(catalogue.stderr)")
        let summary = try JSONValue(parsing: catalogue.stdout)
        let cost = try #require(summary["cost_usd"]?.numberValue)
        #expect(abs(cost - 0.0006) < 1e-9, "two calls: \(cost)")
        let show = try await scenario.gander(["sessions", "show", "priced"])
        #expect(show.stdout.contains("- tokens: 120 in, 80 cached in, 40 out;"), "\(show.stdout)")
        #expect(show.stdout.contains("- cost: about $0.0006"), "\(show.stdout)")

        try scenario.home.write(".config/gander/config.yaml", "prices:\n  scripted-model: {input: 1000000, output: 0}\n")
        let configured = try await scenario.run(["-t", "go", "--output-format", "json"])
        #expect(try JSONValue(parsing: configured.stdout)["cost_usd"]?.numberValue == 100, "cached tokens cost what input does")

        try scenario.home.write(".config/gander/config.yaml", "prices:\n  scripted-model: {input: cheap}\n")
        let bad = try await scenario.run(["-t", "go"])
        #expect(bad.status == 1 && bad.stderrLines.count == 1 && bad.stderr.contains("prices must map model names"))
    }

    @Test("a model without a known price: cost_usd is null, and the session says calls were not counted")
    func unknownPrice() async throws {
        let scenario = try await Scenario(.openai, [.text("free?")])
        defer { Task { await scenario.finish() } }
        let result = try await scenario.run(["-t", "go", "--output-format", "json", "--name", "unpriced"])
        #expect(try JSONValue(parsing: result.stdout)["cost_usd"] == .null)
        let show = try await scenario.gander(["sessions", "show", "unpriced"])
        #expect(!show.stdout.contains("- cost:"), "no price, no made-up cost: \(show.stdout)")
    }
}
