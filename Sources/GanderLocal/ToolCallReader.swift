import GanderCore

/// Finds the tool calls in a local model's reply however the model wrote them: inside `<tool_call>` tags
/// (Hermes, Qwen), after `<|python_tag|>` (Llama 3), `[TOOL_CALLS]` (Mistral), in a ```tool_code block as a Python
/// call (Gemma), between DeepSeek's `<｜tool▁call▁begin｜>` markers, as Functionary's `<function=NAME>` or
/// `>>>NAME`, in a ```json fence, or as a bare JSON object or array with `name` and `arguments` (Qwen 2.5's small
/// models, many fine-tunes) — with prose before or after. Small models do not keep to the format their template
/// asks for, and a reply that holds a call must run as one, never be printed as the answer.
struct ToolCallReader {
    /// The names the model was offered, in its own terms.
    let toolNames: Set<String>

    /// Text that may begin a call, in the order they are looked for. The streamer holds back text from the first.
    static let markers = ["<tool_call>", "<|python_tag|>", "[TOOL_CALLS]", "<｜tool▁calls▁begin｜>", "<｜tool▁call▁begin｜>",
                          "<function=", ">>>", "```", "{", "[{"]

    /// Where in `text` a call may begin: the first marker, or nil.
    static func possibleCallStart(in text: String) -> String.Index? {
        markers.compactMap { text.range(of: $0)?.lowerBound }.min()
    }

    /// How many characters at the end of `text` could be the start of a marker.
    static func undecidedTail(of text: String) -> Int {
        markers.map { LocalProvider.overlap(of: text, withPrefixOf: $0) }.max() ?? 0
    }

    /// The reply's calls and the prose before the first; nil when the reply holds a call that is broken (cut off,
    /// or not JSON), which must not be passed on as an answer.
    func read(_ reply: String) -> ParsedReply? {
        var calls: [(name: String, arguments: JSONValue)] = []
        var firstCall: String.Index?
        var broken = false
        var position = reply.startIndex
        while position < reply.endIndex {
            guard let found = nextCall(in: reply, from: position) else { break }
            switch found.outcome {
            case .calls(let parsed):
                calls += parsed
                firstCall = firstCall ?? found.start
            case .broken:
                broken = true
                firstCall = firstCall ?? found.start
            }
            position = found.end
        }
        // A call written so badly that no form reads it (`"name": "read_file", "arguments": …` without its braces)
        // is still a call, not an answer.
        if calls.isEmpty, broken || Self.looksLikeCall(reply) { return nil }
        let prose = String(reply[..<(firstCall ?? reply.endIndex)])
        return ParsedReply(text: calls.isEmpty ? reply.trimmingCharacters(in: .whitespacesAndNewlines)
                                               : Self.tidyProse(prose), calls: calls)
    }

    /// Prose before a call, without a dangling fence opener or "Here is the call:"-style lead-in punctuation.
    private static func tidyProse(_ prose: String) -> String {
        var text = prose.trimmingCharacters(in: .whitespacesAndNewlines)
        for opener in ["```json", "```tool_code", "```python", "```"] where text.hasSuffix(opener) {
            text = String(text.dropLast(opener.count)).trimmingCharacters(in: .whitespacesAndNewlines)
            break
        }
        return text
    }

    private enum Outcome {
        case calls([(name: String, arguments: JSONValue)])
        case broken
    }

    private struct Found {
        let start: String.Index
        let end: String.Index
        let outcome: Outcome
    }

    /// The first call at or after `from`, in whichever form comes first.
    private func nextCall(in text: String, from: String.Index) -> Found? {
        var index = from
        while index < text.endIndex {
            let rest = text[index...]
            if rest.hasPrefix("<tool_call>") { return tagged(text, at: index, open: "<tool_call>", close: "</tool_call>") }
            if rest.hasPrefix("<function=") { return functionTag(text, at: index) }
            if rest.hasPrefix("<|python_tag|>") { return pythonTag(text, at: index) }
            if rest.hasPrefix("[TOOL_CALLS]") { return mistral(text, at: index) }
            if rest.hasPrefix("<｜tool▁call▁begin｜>") { return deepSeek(text, at: index) }
            if rest.hasPrefix(">>>"), let found = functionary(text, at: index) { return found }
            if rest.hasPrefix("```"), let found = fenced(text, at: index) { return found }
            if rest.hasPrefix("{") || rest.hasPrefix("[") , let found = bare(text, at: index) { return found }
            index = text.index(after: index)
        }
        return nil
    }

    // MARK: the forms

    private func tagged(_ text: String, at start: String.Index, open: String, close: String) -> Found {
        let bodyStart = text.index(start, offsetBy: open.count)
        let closing = text.range(of: close, range: bodyStart..<text.endIndex)
        let body = text[bodyStart..<(closing?.lowerBound ?? text.endIndex)]
        let end = closing?.upperBound ?? text.endIndex
        // Inside the tags: JSON (Hermes), or Qwen 3 Coder's `<function=NAME>` form.
        let trimmed = body.trimmingCharacters(in: .whitespacesAndNewlines)
        if trimmed.hasPrefix("<function="), case .calls(let calls) = functionTag(trimmed, at: trimmed.startIndex).outcome {
            return Found(start: start, end: end, outcome: .calls(calls))
        }
        return Found(start: start, end: end, outcome: Self.calls(inJSON: Self.unfenced(trimmed)).map(Outcome.calls) ?? .broken)
    }

    /// `<function=NAME>{"arg": …}</function>` (Llama 3.1's custom tools, Functionary v3.1), or with
    /// `<parameter=KEY>value</parameter>` inside (Qwen 3 Coder).
    private func functionTag(_ text: String, at start: String.Index) -> Found {
        let nameStart = text.index(start, offsetBy: "<function=".count)
        guard let nameEnd = text[nameStart...].firstIndex(of: ">") else {
            return Found(start: start, end: text.endIndex, outcome: .broken)
        }
        let name = String(text[nameStart..<nameEnd]).trimmingCharacters(in: .whitespaces)
        let bodyStart = text.index(after: nameEnd)
        let closing = text.range(of: "</function>", range: bodyStart..<text.endIndex)
        let body = text[bodyStart..<(closing?.lowerBound ?? text.endIndex)].trimmingCharacters(in: .whitespacesAndNewlines)
        let end = closing?.upperBound ?? text.endIndex
        if body.hasPrefix("<parameter=") {
            var arguments: [String: JSONValue] = [:]
            for match in body.matches(of: /<parameter=([^>]+)>\n?([\s\S]*?)\n?<\/parameter>/) {
                arguments[String(match.1)] = .string(String(match.2))
            }
            return Found(start: start, end: end, outcome: .calls([(name, .object(arguments))]))
        }
        guard let arguments = try? JSONValue(parsing: body.isEmpty ? "{}" : body), arguments.objectValue != nil else {
            return Found(start: start, end: end, outcome: .broken)
        }
        return Found(start: start, end: end, outcome: .calls([(name, arguments)]))
    }

    /// `<|python_tag|>` then a JSON call, or a Python-style `name.call(key="value")` (Llama 3's built-in tools).
    private func pythonTag(_ text: String, at start: String.Index) -> Found {
        let body = text[text.index(start, offsetBy: "<|python_tag|>".count)...]
            .replacingOccurrences(of: "<|eom_id|>", with: "").trimmingCharacters(in: .whitespacesAndNewlines)
        if let calls = Self.calls(inJSON: body) { return Found(start: start, end: text.endIndex, outcome: .calls(calls)) }
        let python = body.replacingOccurrences(of: ".call(", with: "(")
        if let calls = PythonCallSyntax.calls(in: python), !calls.isEmpty {
            return Found(start: start, end: text.endIndex, outcome: .calls(calls))
        }
        return Found(start: start, end: text.endIndex, outcome: .broken)
    }

    /// `[TOOL_CALLS]` then a JSON array of calls (Mistral v3), or `NAME[ARGS]{…}` (v11 and later).
    private func mistral(_ text: String, at start: String.Index) -> Found {
        let body = text[text.index(start, offsetBy: "[TOOL_CALLS]".count)...].trimmingCharacters(in: .whitespacesAndNewlines)
        if let calls = Self.calls(inJSON: body) { return Found(start: start, end: text.endIndex, outcome: .calls(calls)) }
        var calls: [(name: String, arguments: JSONValue)] = []
        for part in body.components(separatedBy: "[TOOL_CALLS]") {
            guard let marker = part.range(of: "[ARGS]"),
                  let arguments = try? JSONValue(parsing: String(part[marker.upperBound...]).trimmingCharacters(in: .whitespacesAndNewlines)),
                  arguments.objectValue != nil
            else { return Found(start: start, end: text.endIndex, outcome: .broken) }
            calls.append((String(part[..<marker.lowerBound]).trimmingCharacters(in: .whitespaces), arguments))
        }
        return Found(start: start, end: text.endIndex, outcome: .calls(calls))
    }

    /// `<｜tool▁call▁begin｜>function<｜tool▁sep｜>NAME` then the arguments in a ```json fence, then
    /// `<｜tool▁call▁end｜>` (DeepSeek V3 and R1).
    private func deepSeek(_ text: String, at start: String.Index) -> Found {
        let closing = text.range(of: "<｜tool▁call▁end｜>", range: start..<text.endIndex)
        let end = closing?.upperBound ?? text.endIndex
        let body = text[start..<(closing?.lowerBound ?? text.endIndex)]
        guard let separator = body.range(of: "<｜tool▁sep｜>") else { return Found(start: start, end: end, outcome: .broken) }
        let afterName = body[separator.upperBound...]
        let name = String(afterName.prefix { !$0.isNewline && $0 != "`" }).trimmingCharacters(in: .whitespaces)
        let json = Self.unfenced(String(afterName.dropFirst(name.count)).trimmingCharacters(in: .whitespacesAndNewlines))
        guard let arguments = try? JSONValue(parsing: json), arguments.objectValue != nil else {
            return Found(start: start, end: end, outcome: .broken)
        }
        return Found(start: start, end: end, outcome: .calls([(name, arguments)]))
    }

    /// `>>>NAME` then a JSON object of arguments (Functionary v3.2), for an offered tool only.
    private func functionary(_ text: String, at start: String.Index) -> Found? {
        let nameStart = text.index(start, offsetBy: 3)
        let name = String(text[nameStart...].prefix { !$0.isNewline && !$0.isWhitespace })
        guard toolNames.contains(name) else { return nil }
        let bodyStart = text.index(nameStart, offsetBy: name.count)
        guard let brace = text[bodyStart...].firstIndex(where: { !$0.isWhitespace }), text[brace] == "{",
              let end = JSONExtent.end(of: text, from: brace) else {
            return Found(start: start, end: text.endIndex, outcome: .broken)
        }
        guard let arguments = try? JSONValue(parsing: String(text[brace..<end])) else { return Found(start: start, end: end, outcome: .broken) }
        return Found(start: start, end: end, outcome: .calls([(name, arguments)]))
    }

    /// A fenced block: ```json (or bare ```) holding a call, or ```tool_code / ```python holding Python calls to
    /// offered tools. nil when the block is ordinary code.
    private func fenced(_ text: String, at start: String.Index) -> Found? {
        let afterTicks = text.index(start, offsetBy: 3)
        let language = String(text[afterTicks...].prefix { !$0.isNewline && !$0.isWhitespace }).lowercased()
        let bodyStart = text.index(afterTicks, offsetBy: language.count)
        let closing = text.range(of: "```", range: bodyStart..<text.endIndex)
        let body = String(text[bodyStart..<(closing?.lowerBound ?? text.endIndex)]).trimmingCharacters(in: .whitespacesAndNewlines)
        let end = closing?.upperBound ?? text.endIndex
        switch language {
        case "tool_code", "python", "py", "tool_call":
            if let calls = Self.calls(inJSON: body), calls.allSatisfy({ toolNames.contains($0.name) }) {
                return Found(start: start, end: end, outcome: .calls(calls))
            }
            guard let calls = PythonCallSyntax.calls(in: body), !calls.isEmpty,
                  calls.allSatisfy({ toolNames.contains($0.name) }) || language == "tool_code"
            else { return language == "tool_code" ? Found(start: start, end: end, outcome: .broken) : nil }
            return Found(start: start, end: end, outcome: .calls(calls))
        case "", "json", "json5", "javascript":
            if let calls = Self.calls(inJSON: body) { return Found(start: start, end: end, outcome: .calls(calls)) }
            // A call the model started but did not finish (the fence never closed, or the JSON is cut).
            if Self.looksLikeCall(body) { return Found(start: start, end: end, outcome: .broken) }
            return nil
        default:
            return nil
        }
    }

    /// A bare JSON object or array of calls in running text. Only a value that reads as a call counts; other JSON
    /// (an answer that quotes package.json) is prose.
    private func bare(_ text: String, at start: String.Index) -> Found? {
        guard let end = JSONExtent.end(of: text, from: start) else {
            // Unbalanced to the end of the reply: a call cut off, if it began like one.
            return Self.looksLikeCall(String(text[start...])) ? Found(start: start, end: text.endIndex, outcome: .broken) : nil
        }
        guard let calls = Self.calls(inJSON: String(text[start..<end])) else { return nil }
        // Known tools always count; an unknown name counts only when the call is the whole reply, so the model
        // hears that the tool does not exist instead of its call being shown as the answer.
        let wholeReply = text[..<start].allSatisfy(\.isWhitespace) && text[end...].allSatisfy(\.isWhitespace)
        guard calls.allSatisfy({ toolNames.contains($0.name) }) || wholeReply else { return nil }
        return Found(start: start, end: end, outcome: .calls(calls))
    }

    // MARK: JSON calls

    /// Text written the way a call is: `"name": "…", "arguments"` (or `"parameters"`), braces or not.
    static func looksLikeCall(_ text: String) -> Bool {
        text.contains(/"(name|function)"\s*:\s*"[^"]*"\s*,\s*"(arguments|parameters|args)"/)
    }

    /// A ```json fence's inside, when `text` is one.
    static func unfenced(_ text: String) -> String {
        guard text.hasPrefix("```") else { return text }
        var body = text.dropFirst(3).drop { !$0.isNewline && !$0.isWhitespace }
        if let close = body.range(of: "```", options: .backwards) { body = body[..<close.lowerBound] }
        return body.trimmingCharacters(in: .whitespacesAndNewlines)
    }

    /// The calls a JSON text holds: one call object, an array of them, or `{"tool_calls": [...]}`; nil when it
    /// holds none.
    static func calls(inJSON text: String) -> [(name: String, arguments: JSONValue)]? {
        guard let value = try? JSONValue(parsing: text) else { return nil }
        if let items = value.arrayValue {
            let calls = items.compactMap(call(in:))
            return !calls.isEmpty && calls.count == items.count ? calls : nil
        }
        if let list = value["tool_calls"]?.arrayValue {
            let calls = list.compactMap(call(in:))
            return calls.isEmpty ? nil : calls
        }
        return call(in: value).map { [$0] }
    }

    /// One call object: `{"name", "arguments"|"parameters"|"args"}`, OpenAI's `{"function": {...}}` wrapper, or
    /// arguments given as a JSON string.
    static func call(in value: JSONValue) -> (name: String, arguments: JSONValue)? {
        guard let object = value.objectValue else { return nil }
        if let function = object["function"], function.objectValue != nil { return call(in: function) }
        guard let name = object["name"]?.stringValue ?? object["tool"]?.stringValue, !name.isEmpty else { return nil }
        for key in ["arguments", "parameters", "args", "input"] {
            guard let arguments = object[key] else { continue }
            if arguments.objectValue != nil { return (name, arguments) }
            if let text = arguments.stringValue, let parsed = try? JSONValue(parsing: text), parsed.objectValue != nil {
                return (name, parsed)
            }
            return nil
        }
        // `{"name": "list_files"}` alone is a call with no arguments only when nothing else is in the object.
        return object.count == 1 ? (name, .object([:])) : nil
    }
}

/// Where a JSON value that starts at an index ends, by balancing brackets outside strings.
enum JSONExtent {
    static func end(of text: String, from start: String.Index) -> String.Index? {
        var depth = 0
        var inString = false
        var escaped = false
        var index = start
        while index < text.endIndex {
            let character = text[index]
            if inString {
                if escaped { escaped = false }
                else if character == "\\" { escaped = true }
                else if character == "\"" { inString = false }
            } else {
                switch character {
                case "\"": inString = true
                case "{", "[": depth += 1
                case "}", "]":
                    depth -= 1
                    if depth == 0 { return text.index(after: index) }
                default: break
                }
            }
            index = text.index(after: index)
        }
        return nil
    }
}

/// Python call syntax as Gemma and Llama write tool calls: `name(key="value", n=3)`, one per line or in a list.
enum PythonCallSyntax {
    static func calls(in text: String) -> [(name: String, arguments: JSONValue)]? {
        var body = Substring(text.trimmingCharacters(in: .whitespacesAndNewlines))
        if body.hasPrefix("["), body.hasSuffix("]") { body = body.dropFirst().dropLast() }
        var calls: [(name: String, arguments: JSONValue)] = []
        var rest = body
        while true {
            rest = rest.drop { $0.isWhitespace || $0 == "," || $0 == ";" }
            if rest.isEmpty { break }
            if rest.hasPrefix("print(") { rest = rest.dropFirst("print(".count) }
            let name = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" || $0 == "." }
            guard !name.isEmpty, rest.dropFirst(name.count).first == "(" else { return nil }
            rest = rest.dropFirst(name.count + 1)
            var arguments: [String: JSONValue] = [:]
            while true {
                rest = rest.drop { $0.isWhitespace || $0 == "," }
                if rest.first == ")" { rest = rest.dropFirst(); break }
                let key = rest.prefix { $0.isLetter || $0.isNumber || $0 == "_" }
                guard !key.isEmpty else { return nil }
                rest = rest.dropFirst(key.count).drop(while: \.isWhitespace)
                guard rest.first == "=" else { return nil }
                rest = rest.dropFirst().drop(while: \.isWhitespace)
                guard let (value, remainder) = literal(rest) else { return nil }
                arguments[String(key)] = value
                rest = remainder
            }
            if rest.first == ")" { rest = rest.dropFirst() }  // the closing parenthesis of print(...)
            let plainName = name.hasPrefix("default_api.") ? name.dropFirst("default_api.".count) : name
            calls.append((String(plainName), .object(arguments)))
        }
        return calls
    }

    /// A Python literal: a quoted string, a number, True/False/None, or JSON-like list/dict.
    private static func literal(_ text: Substring) -> (JSONValue, Substring)? {
        guard let first = text.first else { return nil }
        if first == "\"" || first == "'" {
            let triple = text.hasPrefix(String(repeating: first, count: 3))
            let quote = triple ? String(repeating: first, count: 3) : String(first)
            var value = ""
            var index = text.index(text.startIndex, offsetBy: quote.count)
            while index < text.endIndex {
                if text[index...].hasPrefix(quote) {
                    return (.string(value), text[text.index(index, offsetBy: quote.count)...])
                }
                if text[index] == "\\", text.index(after: index) < text.endIndex {
                    let next = text[text.index(after: index)]
                    switch next {
                    case "n": value += "\n"
                    case "t": value += "\t"
                    default: value.append(next)
                    }
                    index = text.index(index, offsetBy: 2)
                    continue
                }
                value.append(text[index])
                index = text.index(after: index)
            }
            return nil
        }
        if first == "[" || first == "{" {
            guard let end = JSONExtent.end(of: String(text), from: String(text).startIndex) else { return nil }
            let length = String(text).distance(from: String(text).startIndex, to: end)
            let json = String(text.prefix(length)).replacingOccurrences(of: "'", with: "\"")
            guard let value = try? JSONValue(parsing: json) else { return nil }
            return (value, text.dropFirst(length))
        }
        let word = text.prefix { !$0.isWhitespace && $0 != "," && $0 != ")" }
        let rest = text.dropFirst(word.count)
        switch word {
        case "True": return (.bool(true), rest)
        case "False": return (.bool(false), rest)
        case "None": return (.null, rest)
        default:
            if let integer = Int64(word) { return (.integer(integer), rest) }
            guard let number = Double(word) else { return nil }
            return (.number(number), rest)
        }
    }
}
