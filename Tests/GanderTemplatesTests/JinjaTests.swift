import Foundation
import Testing
@testable import GanderTemplates

/// Gander's Jinja engine against the real jinja2 (configured as Hugging Face configures it for chat templates):
/// each case is rendered by both and the outputs must be the same to the byte.
@Suite struct JinjaTests {
    static let fixtures = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Fixtures")

    /// What jinja2 renders, or its error as "ERROR: …".
    static func reference(_ template: String, _ context: String, chat: Bool, strict: Bool = false) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = ["python3", fixtures.appendingPathComponent("jinja_render.py").path]
        let input = Pipe()
        let output = Pipe()
        process.standardInput = input
        process.standardOutput = output
        try process.run()
        let request = "{\"template\": \(JinjaJSON.quoted(template)), \"context\": \(context), \"chat\": \(chat), \"strict\": \(strict)}"
        input.fileHandleForWriting.write(Data(request.utf8))
        try input.fileHandleForWriting.close()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return String(decoding: data, as: UTF8.self)
    }

    static func ours(_ template: String, _ context: String, chat: Bool, strict: Bool = false) -> String {
        do {
            let parsed = try JinjaTemplate(template, options: .init(trimBlocks: chat, lstripBlocks: chat, strictUndefined: strict))
            guard case .object(let values) = try JinjaTestJSON.parse(context) else { return "ERROR: context" }
            return try parsed.render(Dictionary(uniqueKeysWithValues: values.pairs))
        } catch {
            return "ERROR: \(error)"
        }
    }

    static let conversation = #"""
        {"messages": [
          {"role": "system", "content": "You are Gander."},
          {"role": "user", "content": "Fix the typo in a.txt"},
          {"role": "assistant", "content": "", "tool_calls": [{"type": "function", "function": {"name": "read_file", "arguments": {"path": "a.txt"}}}]},
          {"role": "tool", "content": "helo wörld \"quoted\""},
          {"role": "tool", "content": "second result"},
          {"role": "assistant", "content": "Done."},
          {"role": "user", "content": "Thanks"}
        ],
        "tools": [{"type": "function", "function": {"name": "read_file", "description": "Show a file.", "parameters": {"type": "object", "properties": {"path": {"type": "string"}}, "required": ["path"]}}}],
        "add_generation_prompt": true, "bos_token": "<s>", "eos_token": "</s>"}
        """#

    @Test func qwenChatTemplateWithToolsRendersAsJinja2Does() throws {
        let template = try String(contentsOf: Self.fixtures.appendingPathComponent("qwen2.5-chat-template.jinja"), encoding: .utf8)
        let expected = try Self.reference(template, Self.conversation, chat: true)
        #expect(!expected.hasPrefix("ERROR"), "jinja2 failed: \(expected) (install python3-jinja2)")
        #expect(Self.ours(template, Self.conversation, chat: true) == expected)
        let withoutTools = Self.conversation.replacingOccurrences(of: #""tools": ["#, with: #""unused": ["#)
        #expect(Self.ours(template, withoutTools, chat: true) == (try Self.reference(template, withoutTools, chat: true)))
    }

    /// Constructs chat templates of several families use (Llama 3, Mistral, Gemma, Phi, DeepSeek, SmolLM).
    static let chatCases: [(String, String)] = [
        ("{% for message in messages %}{% if loop.first and messages[0]['role'] != 'system' %}{{ '<|im_start|>system\nYou are helpful<|im_end|>\n' }}{% endif %}{{'<|im_start|>' + message['role'] + '\n' + message['content'] + '<|im_end|>' + '\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\n' }}{% endif %}", conversation),
        ("{{- bos_token }}\n{%- set ns = namespace(found=false, count=0) %}\n{%- for m in messages %}\n  {%- if m.role == 'tool' %}{% set ns.found = true %}{% set ns.count = ns.count + 1 %}{% endif %}\n{%- endfor %}\n{{ ns.found }} {{ ns.count }}\n", conversation),
        ("{% for m in messages[::-1] %}{{ loop.index0 }}:{{ m.role }}{% if not loop.last %},{% endif %}{% endfor %}|{{ messages[1:3] | length }}|{{ messages[-1].content }}", conversation),
        ("{% for tool in tools %}{{ tool | tojson(indent=4) }}{{ tool.function.parameters | tojson }}{% endfor %}", conversation),
        ("{%- if messages[0]['role'] == 'system' -%}\n  {%- set system = messages[0]['content'] | trim -%}\n  {%- set rest = messages[1:] -%}\n{%- endif -%}\n[{{ system }}] {{ rest | map(attribute='role') | join(', ') }} {{ rest | selectattr('role', 'equalto', 'tool') | list | length }}", conversation),
        ("{% for m in messages if m.role != 'tool' %}{{ m.content.strip().split(' ')[0] | upper }}{{ '-' if not loop.last }}{% endfor %}", conversation),
        ("{% macro render(m, prefix='> ') %}{{ prefix }}{{ m.role | capitalize }}{% endmacro %}{% for m in messages[:2] %}{{ render(m) }}{{ render(m, prefix='* ') }}\n{% endfor %}", conversation),
        ("{% for m in messages %}{% if m.role == 'tool' %}{% continue %}{% endif %}{% if loop.index > 4 %}{% break %}{% endif %}{{ m.role[0] }}{% endfor %}", conversation),
        ("{{ 'a' ~ 1 ~ none ~ true }} {{ 7 // 2 }} {{ -7 // 2 }} {{ 7 % 3 }} {{ 2 ** 10 }} {{ 1 / 4 }} {{ 3 * 'ab' }} {{ [1, 'x', none, true, 2.5] }} {{ {'k': 'v'} }}", "{}"),
        ("{% if tools is defined and tools is not none %}{{ tools | length }}{% endif %}{% if missing is defined %}x{% else %}y{% endif %}{{ missing | default('dflt') }}{{ '' | default('empty', true) }}", conversation),
        ("{% for k, v in {'b': 1, 'a': 2}.items() %}{{ k }}={{ v }};{% endfor %}{{ {'x': 1}.get('y', 'no') }} {{ 'hello' in 'hello world' }} {{ 'z' not in ['a'] }}", "{}"),
        ("  {% if true %}\n    kept\n  {% endif %}\n{# a comment #}\n  {%- if true +%}  plus{% endif %}\n{{ '  spaced  ' | trim }}|{{ 'Hi There' | lower }}|{{ 'line1\nline2' | indent(2) }}", "{}"),
        ("{% set header %}Block {{ 1 + 1 }}{% endset %}{{ header }} {{ 'a,b,,c'.split(',') }} {{ 'x'.startswith(('y', 'x')) }} {{ '  pad '.rstrip() }}!", "{}"),
        ("{{ messages | selectattr('tool_calls', 'defined') | list | length }} {% for m in messages %}{% if m.tool_calls %}{% for c in m.tool_calls %}{{ c.function.name }}({{ c.function.arguments | tojson }}){% endfor %}{% endif %}{% endfor %}", conversation),
        ("{% raw %}{{ not rendered }}{% endraw %} {{ range(3) | list }} {{ range(1, 7, 2) | join('') }} {{ [3, 1, 2] | sort }} {{ ['a', 'b'] | reverse | list }}", "{}"),
    ]

    @Test(arguments: 0..<chatCases.count)
    func chatTemplateConstructsRenderAsJinja2Does(_ index: Int) throws {
        let (template, context) = Self.chatCases[index]
        let expected = try Self.reference(template, context, chat: true)
        #expect(!expected.hasPrefix("ERROR"), "jinja2 failed: \(expected)")
        #expect(Self.ours(template, context, chat: true) == expected)
    }

    @Test func withoutChatOptionsWhitespaceIsKeptAsJinja2KeepsIt() throws {
        let template = "{% if x %}\n  yes\n{% endif %}\n{%- for i in [1, 2] %}\n{{ i }}\n{% endfor %}"
        #expect(Self.ours(template, #"{"x": 1}"#, chat: false) == (try Self.reference(template, #"{"x": 1}"#, chat: false)))
    }

    @Test func strictUndefinedFailsWhereJinja2Fails() throws {
        for template in ["{{ missing }}", "{% if missing %}x{% endif %}", "{% for a in missing %}{% endfor %}", "{{ missing.attr }}"] {
            let reference = try Self.reference(template, "{}", chat: false, strict: true)
            #expect(reference.hasPrefix("ERROR"), "jinja2 rendered \(template)")
            let ours = Self.ours(template, "{}", chat: false, strict: true)
            #expect(ours.hasPrefix("ERROR") && ours.contains("'missing' is undefined"), "\(template): \(ours)")
        }
        #expect(Self.ours("{{ missing | default('d') }}{% if missing is defined %}x{% endif %}", "{}", chat: false, strict: true) == "d")
    }

    @Test func raiseExceptionAndBadSyntaxNameTheProblemAndItsLine() {
        #expect(Self.ours("{{ raise_exception('Only user and assistant roles are supported') }}", "{}", chat: true)
            == "ERROR: Only user and assistant roles are supported")
        #expect(Self.ours("ok\n{% if x %}\nno end", "{}", chat: false).contains("line 2"))
        #expect(Self.ours("{{ 1 + }}", "{}", chat: false).contains("line 1"))
        #expect(Self.ours("{% frobnicate %}", "{}", chat: false).contains("unknown statement"))
        #expect(Self.ours("{{ x | nosuchfilter }}", #"{"x": 1}"#, chat: false).contains("unknown filter 'nosuchfilter'"))
    }

    @Test func includeAndExtendsResolveThroughTheLoader() throws {
        let files = [
            "base.md": "Title: {% block title %}untitled{% endblock %}\n{% block body %}{% endblock %}",
            "part.md": "[part {{ name }}]",
        ]
        let child = try JinjaTemplate("{% extends 'base.md' %}{% block title %}{{ name | upper }}{% endblock %}{% block body %}{% include 'part.md' %}{% endblock %}")
        let rendered = try child.render(["name": .string("review")]) { name in
            guard let text = files[name] else { throw JinjaError.type("no such file") }
            return text
        }
        #expect(rendered == "Title: REVIEW\n[part review]")
        // An included template may extend another, with blocks of its own that do not leak into the includer's.
        let layered = [
            "frame.md": "<{% block inner %}frame{% endblock %}>",
            "card.md": "{% extends 'frame.md' %}{% block inner %}card {{ name }}{% endblock %}",
        ]
        let including = try JinjaTemplate("{% block inner %}outer{% endblock %} {% include 'card.md' %} {{ self_check | default('ok') }}")
        #expect(try including.render(["name": .string("x")]) { layered[$0]! } == "outer <card x> ok")
        #expect(try JinjaTemplate("{% include 'card.md' %}{% extends 'frame.md' %}").namedTemplates == ["card.md", "frame.md"])
        #expect(throws: JinjaError.self) { try JinjaTemplate("{% include 'nope.md' %}").render([:]) { _ in throw JinjaError.type("missing") } }
    }

    @Test func referencedNamesAreTheFreeVariables() throws {
        let template = try JinjaTemplate("{{ a }}{% set b = 1 %}{{ b }}{% for i in items %}{{ i }}{{ c | default(d) }}{% endfor %}{% if e is defined %}{% endif %}")
        #expect(template.referencedNames == ["a", "items", "c", "d", "e"])
    }
}

/// A JSON reader that keeps keys in their order, for the test contexts (as Python's json module does).
enum JinjaTestJSON {
    static func parse(_ text: String) throws -> JinjaValue {
        var characters = Array(text.unicodeScalars)[...]
        let value = try read(&characters)
        return value
    }

    private static func skip(_ characters: inout ArraySlice<Unicode.Scalar>) {
        while let first = characters.first, first == " " || first == "\n" || first == "\t" || first == "\r" { characters.removeFirst() }
    }

    private static func read(_ characters: inout ArraySlice<Unicode.Scalar>) throws -> JinjaValue {
        skip(&characters)
        guard let first = characters.first else { throw JinjaError.type("end of JSON") }
        switch first {
        case "{":
            characters.removeFirst()
            var object = JinjaObject()
            skip(&characters)
            if characters.first == "}" { characters.removeFirst(); return .object(object) }
            while true {
                guard case .string(let key) = try read(&characters) else { throw JinjaError.type("key") }
                skip(&characters)
                characters.removeFirst()  // :
                object[key] = try read(&characters)
                skip(&characters)
                if characters.removeFirst() == "}" { return .object(object) }
            }
        case "[":
            characters.removeFirst()
            var items: [JinjaValue] = []
            skip(&characters)
            if characters.first == "]" { characters.removeFirst(); return .array(items) }
            while true {
                items.append(try read(&characters))
                skip(&characters)
                if characters.removeFirst() == "]" { return .array(items) }
            }
        case "\"":
            characters.removeFirst()
            var text = ""
            while let scalar = characters.popFirst(), scalar != "\"" {
                if scalar == "\\", let escaped = characters.popFirst() {
                    switch escaped {
                    case "n": text += "\n"
                    case "t": text += "\t"
                    default: text.unicodeScalars.append(escaped)
                    }
                } else {
                    text.unicodeScalars.append(scalar)
                }
            }
            return .string(text)
        default:
            var word = ""
            while let scalar = characters.first, !",}] \n".unicodeScalars.contains(scalar) { word.unicodeScalars.append(scalar); characters.removeFirst() }
            switch word {
            case "true": return .bool(true)
            case "false": return .bool(false)
            case "null": return .none
            default:
                if let number = Int(word) { return .int(number) }
                if let number = Double(word) { return .double(number) }
                throw JinjaError.type("bad JSON word \(word)")
            }
        }
    }
}
