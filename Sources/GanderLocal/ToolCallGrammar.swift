import GanderCore

/// A GBNF grammar (llama.cpp's grammar format) for one reply: a call to one of the offered tools,
/// `{"name": "...", "<argumentsKey>": {...}}`, whose arguments fit that tool's JSON Schema, inside one of `wrappers`
/// (the model's own call markers such as `<tool_call>` … `</tool_call>`, a ```json fence, or nothing), or, when
/// `allowsAnswer`, an answer `{"answer": "..."}`.
/// Decoding under it cannot produce a malformed call, which is what makes small models usable as agents.
struct ToolCallGrammar {
    let tools: [ToolSpec]
    var argumentsKey = "arguments"
    /// The reply may be `{"answer": "..."}` instead of a call (Gander's own JSON protocol).
    var allowsAnswer = true
    /// The text that may open and close the call object, e.g. the model's trained `<tool_call>` tags.
    var wrappers: [(opening: String, closing: String)] = [("", "")]
    /// When set, an answer must quote one to five of these (lines of what a tool just returned, for a small model
    /// answering a question from a file or a command's output, which otherwise invents the value).
    var answerQuotes: [String]? = nil

    var text: String {
        var builder = RuleBuilder()
        var alternatives: [String] = []
        for tool in tools {
            let arguments = builder.rule(for: tool.inputSchema, named: "args-" + Self.ruleName(tool.name))
            alternatives.append(
                #""{" ws "\"name\"" ws ":" ws "#
                    + Self.literal("\"\(tool.name)\"")
                    + #" ws "," ws "# + Self.literal("\"\(argumentsKey)\"") + #" ws ":" ws "# + arguments + #" ws "}""#)
        }
        var quoteRule: String?
        if allowsAnswer, let quotes = answerQuotes, !quotes.isEmpty {
            // Each quote as the JSON string body it becomes: escaped for JSON, then written as a GBNF literal.
            let bodies = quotes.map { quote in String(JSONValue.string(quote).canonicalText.dropFirst().dropLast()) }
            quoteRule = "quote ::= " + bodies.map(Self.literal).joined(separator: " | ")
            alternatives.append(#""{" ws "\"answer\"" ws ":" ws "\"" quote ( ", " quote ){0,4} "\"" ws "}""#)
        } else if allowsAnswer {
            alternatives.append(#""{" ws "\"answer\"" ws ":" ws string ws "}""#)
        }
        var lines = ["call ::= " + alternatives.joined(separator: " | ")]
        let wrapped = wrappers.map { wrapper in
            [wrapper.opening.isEmpty ? nil : Self.literal(wrapper.opening) + " ws", "call",
             wrapper.closing.isEmpty ? nil : "ws " + Self.literal(wrapper.closing)].compactMap { $0 }.joined(separator: " ")
        }
        lines.insert("root ::= " + wrapped.map { "( \($0) )" }.joined(separator: " | "), at: 0)
        lines += builder.rules
        if let quoteRule { lines.append(quoteRule) }
        lines += RuleBuilder.primitives
        return lines.joined(separator: "\n") + "\n"
    }

    /// A GBNF string literal for `text`.
    static func literal(_ text: String) -> String {
        var escaped = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": escaped += "\\\""
            case "\\": escaped += "\\\\"
            case "\n": escaped += "\\n"
            default: escaped.unicodeScalars.append(scalar)
            }
        }
        return escaped + "\""
    }

    static func ruleName(_ name: String) -> String {
        String(name.map { $0.isLetter || $0.isNumber ? $0 : "-" }).lowercased()
    }
}

/// Turns JSON Schemas into GBNF rules, naming each sub-rule once.
private struct RuleBuilder {
    private(set) var rules: [String] = []
    private var used: Set<String> = []

    static let primitives = [
        #"ws ::= [ \t\n]{0,4}"#,
        #"string ::= "\"" ( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\"""#,
        #"integer ::= "-"? ( "0" | [1-9] [0-9]{0,15} )"#,
        #"number ::= integer ( "." [0-9]+ )? ( [eE] [-+]? [0-9]+ )?"#,
        #"boolean ::= "true" | "false""#,
        #"null ::= "null""#,
        #"value ::= object | array | string | number | boolean | null"#,
        #"object ::= "{" ws ( string ws ":" ws value ( ws "," ws string ws ":" ws value )* )? ws "}""#,
        #"array ::= "[" ws ( value ( ws "," ws value )* )? ws "]""#,
    ]

    /// The rule (or primitive) that matches values of `schema`.
    mutating func rule(for schema: JSONValue, named name: String) -> String {
        if let choices = schema["enum"]?.arrayValue {
            return define(name, choices.map { ToolCallGrammar.literal($0.canonicalText) }.joined(separator: " | "))
        }
        switch schema["type"]?.stringValue {
        case "string":
            // A path relative to the working directory: it cannot start with "/" (nor be empty).
            guard schema["format"]?.stringValue == "relative-path" else { return "string" }
            return define("relative-path", #""\"" [^/"\\\x7F\x00-\x1F] ( [^"\\\x7F\x00-\x1F] | "\\" ( ["\\/bfnrt] | "u" [0-9a-fA-F]{4} ) )* "\"""#)
        case "integer":
            // A bound becomes a digit limit, so a small model cannot write an absurd number the schema refuses.
            guard let maximum = schema["maximum"]?.intValue, maximum > 0 else { return "integer" }
            let digits = String(maximum).count
            return define(name, "[0-9]{1,\(digits)}")
        case "number": return "number"
        case "boolean": return "boolean"
        case "array":
            guard let items = schema["items"] else { return "array" }
            let item = rule(for: items, named: name + "-item")
            return define(name, #""[" ws ( "# + item + #" ( ws "," ws "# + item + #" )* )? ws "]""#)
        case "object":
            guard let properties = schema["properties"]?.objectValue, !properties.isEmpty else { return "object" }
            let required = Set(schema["required"]?.arrayValue?.compactMap(\.stringValue) ?? [])
            func member(_ key: String) -> String {
                let valueRule = rule(for: properties[key]!, named: name + "-" + ToolCallGrammar.ruleName(key))
                return ToolCallGrammar.literal("\"\(key)\"") + " ws \":\" ws " + valueRule
            }
            if required.isEmpty {
                // Any of the members, in any order: valid JSON with typed values, without a rule per subset.
                let any = define(name + "-member", properties.keys.sorted().map(member).joined(separator: " | "))
                return define(name, #""{" ws ( "# + any + #" ( ws "," ws "# + any + #" )* )? ws "}""#)
            }
            // Required properties first, in a fixed order; then the optional ones, each of which may be left out.
            var body = #""{" ws"#
            for (index, key) in properties.keys.filter(required.contains).sorted().enumerated() {
                body += (index == 0 ? " " : #" ws "," ws "#) + member(key)
            }
            for key in properties.keys.filter({ !required.contains($0) }).sorted() {
                body += #" ( ws "," ws "# + member(key) + " )?"
            }
            return define(name, body + #" ws "}""#)
        default:
            return "value"
        }
    }

    private mutating func define(_ name: String, _ body: String) -> String {
        if used.insert(name).inserted { rules.append("\(name) ::= \(body)") }
        return name
    }
}
