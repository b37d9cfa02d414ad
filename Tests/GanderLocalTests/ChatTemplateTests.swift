import Foundation
import Testing
import GanderCore
@testable import GanderLocal

/// The model's own chat template, rendered with tools, calls and results as the model was trained to read them.
@Suite struct ChatTemplateTests {
    static let qwen = try! String(
        contentsOf: URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/qwen2.5-chat-template.jinja"), encoding: .utf8)

    @Test func qwenSeesItsToolsCallsAndResultsInItsOwnFormat() throws {
        let template = try #require(ChatTemplate(source: Self.qwen, bosToken: "", eosToken: "<|im_end|>"))
        #expect(template.offersTools)
        let tool = ToolSpec(name: "read_file", description: "Show a file.",
                            inputSchema: ["type": "object", "properties": ["path": ["type": "string"]], "required": ["path"]])
        let text = try template.render([
            .init(role: "system", content: "Be brief."),
            .init(role: "user", content: "What does a.txt say?"),
            .init(role: "assistant", content: "", toolCalls: [("read_file", ["path": "a.txt"])]),
            .init(role: "tool", content: "hello", toolName: "read_file"),
        ], tools: [tool])
        #expect(text.hasPrefix("<|im_start|>system\nBe brief.\n\n# Tools\n"))
        #expect(text.contains(#"<tools>\#n{"type": "function", "function": {"name": "read_file", "description": "Show a file.", "parameters": {"properties": {"path": {"type": "string"}}, "required": ["path"], "type": "object"}}}\#n</tools>"#))
        #expect(text.contains("<|im_start|>assistant\n<tool_call>\n{\"name\": \"read_file\", \"arguments\": {\"path\": \"a.txt\"}}\n</tool_call><|im_end|>"))
        #expect(text.contains("<|im_start|>user\n<tool_response>\nhello\n</tool_response><|im_end|>"))
        #expect(text.hasSuffix("<|im_start|>assistant\n"))
    }

    @Test func aTemplateWithoutToolsIsToldApartAndABrokenOneIsRefused() {
        let chatML = "{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + '<|im_end|>\\n'}}{% endfor %}"
        #expect(ChatTemplate(source: chatML, bosToken: "", eosToken: "")?.offersTools == false)
        #expect(ChatTemplate(source: "{% for m in messages %}", bosToken: "", eosToken: "") == nil)
    }

    @Test func packagedModelsArePinnedWholeAndInOrder() {
        for model in PackagedModel.catalog {
            #expect(model.sha256.count == 64 && model.bytes > 100_000_000, "\(model.name)")
            let parts = model.packages.map { Int($0.split(separator: "==")[0].split(separator: "part").last ?? "") ?? 0 }
            #expect(parts == Array(1...model.packages.count), "\(model.name) joins its parts in order")
        }
        #expect(PackagedModel.named("qwen2.5-coder-0.5b-instruct")?.bytes == 491_400_064)
        #expect(PackagedModel.named("qwen2.5-coder-1.5b-instruct")?.bytes == 1_117_320_768)
    }

    @Test func anAnswerOnlyGrammarCannotStartACallAndOpensWithAQuoteWhenGiven() {
        let rest = #"rest ::= [^<{\[]*"#
        #expect(ToolCallFormat.answerOnlyGrammar() == "root ::= [A-Za-z0-9] rest\n\(rest)\n", "no call, and no fence to open with")
        let quoted = ToolCallFormat.answerOnlyGrammar(quotes: ["Hello, Gander!"])
        #expect(quoted.hasPrefix("root ::= quote rest\n") && quoted.contains(#"quote ::= "Hello, Gander!""#) && quoted.hasSuffix(rest + "\n"))
    }

    @Test func oneStepChangesAreToldFromSeveral() {
        #expect(LocalTask(instruction: "Create a file named a.txt containing hi").isOneStep)
        #expect(!LocalTask(instruction: "Fix the typo in main.py, then run it").isOneStep)
        #expect(!LocalTask(instruction: "Create add.py and run it").isOneStep)
        #expect(!LocalTask(instruction: "Write a shell script run.sh that prints done.").asksToRun, "run.sh is a file, not the verb")
        #expect(LocalTask(instruction: "Run greet.sh with the name Gander.").asksToRun)
    }

    @Test func readFileResultsComeWithoutLineNumbersAndPathsAreRelative() {
        #expect(LocalToolset.modelText(ofResult: "     1\thelo world\n     2\tbye\n[showing lines 1–2 of 9; …]", verb: "read_file", isError: false)
            == "helo world\nbye\n[showing lines 1–2 of 9; …]")
        #expect(LocalToolset.modelText(ofResult: "     1\tx", verb: "run_command", isError: false) == "     1\tx", "only what read_file shows")
        let grammar = ToolCallGrammar(tools: LocalToolset(tools: [ToolSpec(name: "developer__text_editor", description: "",
                                                                            inputSchema: ["type": "object"])], compact: true).offered).text
        #expect(grammar.contains(#"relative-path ::= "\"" [^/"#), "a path cannot start with /: \(grammar)")
    }
}
