/// An expression of the template language.
indirect enum JinjaExpression: Sendable {
    case literal(JinjaValue)
    case name(String)
    case list([JinjaExpression])
    case dict([(JinjaExpression, JinjaExpression)])
    case attribute(JinjaExpression, String)
    case `subscript`(JinjaExpression, JinjaExpression)
    case slice(JinjaExpression, start: JinjaExpression?, stop: JinjaExpression?, step: JinjaExpression?)
    case call(JinjaExpression, [JinjaExpression], [(String, JinjaExpression)])
    case filter(JinjaExpression, String, [JinjaExpression], [(String, JinjaExpression)])
    case test(JinjaExpression, String, [JinjaExpression], negated: Bool)
    case not(JinjaExpression)
    case negate(JinjaExpression)
    case binary(String, JinjaExpression, JinjaExpression)
    case conditional(JinjaExpression, then: JinjaExpression, otherwise: JinjaExpression?)
}

/// A statement or piece of output, with the line it starts on for error messages.
indirect enum JinjaNode: Sendable {
    case text(String)
    case output(JinjaExpression, line: Int)
    case conditional([(JinjaExpression, [JinjaNode])], otherwise: [JinjaNode], line: Int)
    case loop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?, body: [JinjaNode],
              otherwise: [JinjaNode], line: Int)
    case assign(target: String, attribute: String?, JinjaExpression, line: Int)
    case assignBlock(target: String, body: [JinjaNode], line: Int)
    case macro(name: String, parameters: [(String, JinjaExpression?)], body: [JinjaNode], line: Int)
    case block(name: String, body: [JinjaNode])
    case include(JinjaExpression, line: Int)
    case extends(JinjaExpression, line: Int)
    case breakLoop(line: Int)
    case continueLoop(line: Int)
    /// `{% filter name %}…{% endfilter %}`.
    case filterBlock(name: String, arguments: [JinjaExpression], body: [JinjaNode], line: Int)
}

/// Builds the tree of a template from its scanned parts.
struct JinjaParser {
    private var parts: [TemplatePart]
    private var position = 0

    init(parts: [TemplatePart]) {
        self.parts = parts
    }

    mutating func parseTemplate() throws -> [JinjaNode] {
        let (nodes, end) = try parseBody(until: [])
        if let (word, line) = end { throw JinjaError.syntax("unexpected {% \(word) %}", line: line) }
        return nodes
    }

    /// Nodes up to a statement whose first word is one of `enders` (returned with its line), or the end.
    private mutating func parseBody(until enders: Set<String>) throws -> ([JinjaNode], (String, Int)?) {
        var nodes: [JinjaNode] = []
        while position < parts.count {
            let part = parts[position]
            position += 1
            switch part {
            case .text(let text): nodes.append(.text(text))
            case .output(let source, let line):
                var stream = try TokenStream(source, line: line)
                let expression = try stream.parseExpression()
                try stream.expectEnd()
                nodes.append(.output(expression, line: line))
            case .statement(let source, let line):
                var stream = try TokenStream(source, line: line)
                guard case .name(let word)? = stream.peek else { throw JinjaError.syntax("a statement needs a keyword", line: line) }
                if enders.contains(word) {
                    position -= 1
                    return (nodes, (word, line))
                }
                stream.advance()
                nodes.append(try parseStatement(word, stream: &stream, line: line))
            }
        }
        return (nodes, nil)
    }

    /// The statement in the part just read, its body and end included.
    private mutating func parseStatement(_ word: String, stream: inout TokenStream, line: Int) throws -> JinjaNode {
        switch word {
        case "if":
            var branches: [(JinjaExpression, [JinjaNode])] = []
            var condition = try stream.parseExpression()
            try stream.expectEnd()
            while true {
                let (body, end) = try parseBody(until: ["elif", "else", "endif"])
                branches.append((condition, body))
                guard let (ender, endLine) = end else { throw JinjaError.syntax("{% if %} is never closed with {% endif %}", line: line) }
                var closing = try nextStatement()
                switch ender {
                case "elif":
                    condition = try closing.parseExpression()
                    try closing.expectEnd()
                case "else":
                    try closing.expectEnd()
                    let (otherwise, last) = try parseBody(until: ["endif"])
                    guard last != nil else { throw JinjaError.syntax("{% else %} is never closed with {% endif %}", line: endLine) }
                    _ = try nextStatement()
                    return .conditional(branches, otherwise: otherwise, line: line)
                default:
                    return .conditional(branches, otherwise: [], line: line)
                }
            }
        case "for":
            var targets = [try stream.expectName()]
            while stream.take(.symbol(",")) { targets.append(try stream.expectName()) }
            guard stream.take(.name("in")) else { throw JinjaError.syntax("expected 'in' in a for loop", line: line) }
            let iterable = try stream.parseExpression(allowsConditional: false)
            var condition: JinjaExpression?
            if stream.take(.name("if")) { condition = try stream.parseExpression() }
            _ = stream.take(.name("recursive"))
            try stream.expectEnd()
            let (body, end) = try parseBody(until: ["else", "endfor"])
            guard let (ender, _) = end else { throw JinjaError.syntax("{% for %} is never closed with {% endfor %}", line: line) }
            _ = try nextStatement()
            var otherwise: [JinjaNode] = []
            if ender == "else" {
                let (elseBody, last) = try parseBody(until: ["endfor"])
                guard last != nil else { throw JinjaError.syntax("{% for %} is never closed with {% endfor %}", line: line) }
                _ = try nextStatement()
                otherwise = elseBody
            }
            return .loop(targets: targets, iterable: iterable, condition: condition, body: body, otherwise: otherwise, line: line)
        case "set":
            let target = try stream.expectName()
            var attribute: String?
            if stream.take(.symbol(".")) { attribute = try stream.expectName() }
            if stream.atEnd, attribute == nil {
                let (body, end) = try parseBody(until: ["endset"])
                guard end != nil else { throw JinjaError.syntax("{% set %} is never closed with {% endset %}", line: line) }
                _ = try nextStatement()
                return .assignBlock(target: target, body: body, line: line)
            }
            guard stream.take(.symbol("=")) else { throw JinjaError.syntax("expected '=' in {% set %}", line: line) }
            let value = try stream.parseTuple()
            try stream.expectEnd()
            return .assign(target: target, attribute: attribute, value, line: line)
        case "macro":
            let name = try stream.expectName()
            guard stream.take(.symbol("(")) else { throw JinjaError.syntax("expected '(' after the macro's name", line: line) }
            var parameters: [(String, JinjaExpression?)] = []
            while !stream.take(.symbol(")")) {
                let parameter = try stream.expectName()
                let fallback = stream.take(.symbol("=")) ? try stream.parseExpression() : nil
                parameters.append((parameter, fallback))
                if !stream.take(.symbol(",")) {
                    guard stream.take(.symbol(")")) else { throw JinjaError.syntax("expected ',' or ')' in the macro's parameters", line: line) }
                    break
                }
            }
            try stream.expectEnd()
            let (body, end) = try parseBody(until: ["endmacro"])
            guard end != nil else { throw JinjaError.syntax("{% macro %} is never closed with {% endmacro %}", line: line) }
            _ = try nextStatement()
            return .macro(name: name, parameters: parameters, body: body, line: line)
        case "block":
            let name = try stream.expectName()
            try stream.expectEnd()
            let (body, end) = try parseBody(until: ["endblock"])
            guard end != nil else { throw JinjaError.syntax("{% block \(name) %} is never closed with {% endblock %}", line: line) }
            _ = try nextStatement()
            return .block(name: name, body: body)
        case "filter":
            let name = try stream.expectName()
            var arguments: [JinjaExpression] = []
            if stream.take(.symbol("(")) {
                while !stream.take(.symbol(")")) {
                    arguments.append(try stream.parseExpression())
                    _ = stream.take(.symbol(","))
                }
            }
            try stream.expectEnd()
            let (body, end) = try parseBody(until: ["endfilter"])
            guard end != nil else { throw JinjaError.syntax("{% filter %} is never closed with {% endfilter %}", line: line) }
            _ = try nextStatement()
            return .filterBlock(name: name, arguments: arguments, body: body, line: line)
        case "generation":
            // Hugging Face's marker for the assistant's trainable text: no output of its own.
            try stream.expectEnd()
            let (body, end) = try parseBody(until: ["endgeneration"])
            guard end != nil else { throw JinjaError.syntax("{% generation %} is never closed", line: line) }
            _ = try nextStatement()
            return .block(name: "", body: body)
        case "include":
            let name = try stream.parseExpression()
            _ = stream.take(.name("ignore")) && stream.take(.name("missing"))
            _ = (stream.take(.name("with")) || stream.take(.name("without"))) && stream.take(.name("context"))
            try stream.expectEnd()
            return .include(name, line: line)
        case "extends":
            let name = try stream.parseExpression()
            try stream.expectEnd()
            return .extends(name, line: line)
        case "break":
            try stream.expectEnd()
            return .breakLoop(line: line)
        case "continue":
            try stream.expectEnd()
            return .continueLoop(line: line)
        default:
            throw JinjaError.syntax("unknown statement {% \(word) %}", line: line)
        }
    }

    /// The statement the body stopped at (its keyword already known), positioned after the keyword.
    private mutating func nextStatement() throws -> TokenStream {
        guard position < parts.count, case .statement(let source, let line) = parts[position] else {
            throw JinjaError.syntax("expected a statement", line: 0)
        }
        position += 1
        var stream = try TokenStream(source, line: line)
        stream.advance()
        return stream
    }
}

/// The tokens of one tag, and the expression grammar (Jinja's precedence: `if`/`else`, `or`, `and`, `not`,
/// comparisons and `in`, `~`, `+ -`, `* / // %`, `**`, unary minus, then postfix `.`, `[]`, `()`, `|` and `is`).
struct TokenStream {
    private var tokens: [ExpressionToken]
    private var index = 0
    let line: Int

    init(_ source: String, line: Int) throws {
        tokens = try ExpressionLexer.tokens(of: source, line: line)
        self.line = line
    }

    var peek: ExpressionToken? { index < tokens.count ? tokens[index] : nil }
    var atEnd: Bool { index >= tokens.count }
    mutating func advance() { index += 1 }

    mutating func take(_ token: ExpressionToken) -> Bool {
        guard peek == token else { return false }
        index += 1
        return true
    }

    func error(_ message: String) -> JinjaError { .syntax(message, line: line) }

    mutating func expectEnd() throws {
        guard atEnd else { throw error("unexpected \(Self.describe(peek)) at the end of a tag") }
    }

    mutating func expectName() throws -> String {
        guard case .name(let name)? = peek else { throw error("expected a name, found \(Self.describe(peek))") }
        index += 1
        return name
    }

    static func describe(_ token: ExpressionToken?) -> String {
        switch token {
        case nil: return "the end of the tag"
        case .name(let name)?: return "'\(name)'"
        case .string(let text)?: return "the string '\(text)'"
        case .int(let value)?: return String(value)
        case .double(let value)?: return String(value)
        case .symbol(let symbol)?: return "'\(symbol)'"
        }
    }

    /// An expression, or several separated by commas (a tuple, read as a list).
    mutating func parseTuple() throws -> JinjaExpression {
        let first = try parseExpression()
        guard peek == .symbol(",") else { return first }
        var items = [first]
        while take(.symbol(",")), !atEnd { items.append(try parseExpression()) }
        return .list(items)
    }

    mutating func parseExpression(allowsConditional: Bool = true) throws -> JinjaExpression {
        let value = try parseOr()
        guard allowsConditional, take(.name("if")) else { return value }
        let condition = try parseOr()
        let otherwise = take(.name("else")) ? try parseExpression() : nil
        return .conditional(condition, then: value, otherwise: otherwise)
    }

    private mutating func parseOr() throws -> JinjaExpression {
        var left = try parseAnd()
        while take(.name("or")) { left = .binary("or", left, try parseAnd()) }
        return left
    }

    private mutating func parseAnd() throws -> JinjaExpression {
        var left = try parseNot()
        while take(.name("and")) { left = .binary("and", left, try parseNot()) }
        return left
    }

    private mutating func parseNot() throws -> JinjaExpression {
        if take(.name("not")) { return .not(try parseNot()) }
        return try parseComparison()
    }

    private mutating func parseComparison() throws -> JinjaExpression {
        var left = try parseConcat()
        while true {
            if case .symbol(let symbol)? = peek, ["==", "!=", "<", "<=", ">", ">="].contains(symbol) {
                index += 1
                left = .binary(symbol, left, try parseConcat())
            } else if take(.name("in")) {
                left = .binary("in", left, try parseConcat())
            } else if peek == .name("not"), index + 1 < tokens.count, tokens[index + 1] == .name("in") {
                index += 2
                left = .not(.binary("in", left, try parseConcat()))
            } else {
                return left
            }
        }
    }

    private mutating func parseConcat() throws -> JinjaExpression {
        var left = try parseSum()
        while take(.symbol("~")) { left = .binary("~", left, try parseSum()) }
        return left
    }

    private mutating func parseSum() throws -> JinjaExpression {
        var left = try parseProduct()
        while case .symbol(let symbol)? = peek, symbol == "+" || symbol == "-" {
            index += 1
            left = .binary(symbol, left, try parseProduct())
        }
        return left
    }

    private mutating func parseProduct() throws -> JinjaExpression {
        var left = try parsePower()
        while case .symbol(let symbol)? = peek, ["*", "/", "//", "%"].contains(symbol) {
            index += 1
            left = .binary(symbol, left, try parsePower())
        }
        return left
    }

    private mutating func parsePower() throws -> JinjaExpression {
        let left = try parseUnary()
        if take(.symbol("**")) { return .binary("**", left, try parsePower()) }
        return left
    }

    private mutating func parseUnary() throws -> JinjaExpression {
        if take(.symbol("-")) { return .negate(try parseUnary()) }
        if take(.symbol("+")) { return try parseUnary() }
        return try parsePostfix(try parsePrimary())
    }

    private mutating func parsePrimary() throws -> JinjaExpression {
        guard let token = peek else { throw error("expected a value, found the end of the tag") }
        index += 1
        switch token {
        case .string(var text):
            while case .string(let more)? = peek { text += more; index += 1 }  // adjacent strings join, as in Python
            return .literal(.string(text))
        case .int(let value): return .literal(.int(value))
        case .double(let value): return .literal(.double(value))
        case .name(let name):
            switch name {
            case "true", "True": return .literal(.bool(true))
            case "false", "False": return .literal(.bool(false))
            case "none", "None": return .literal(.none)
            default: return .name(name)
            }
        case .symbol("("):
            if take(.symbol(")")) { return .list([]) }
            let inner = try parseTuple()
            guard take(.symbol(")")) else { throw error("expected ')'") }
            return inner
        case .symbol("["):
            var items: [JinjaExpression] = []
            while !take(.symbol("]")) {
                items.append(try parseExpression())
                if !take(.symbol(",")) {
                    guard take(.symbol("]")) else { throw error("expected ',' or ']' in a list") }
                    break
                }
            }
            return .list(items)
        case .symbol("{"):
            var pairs: [(JinjaExpression, JinjaExpression)] = []
            while !take(.symbol("}")) {
                let key = try parseExpression()
                guard take(.symbol(":")) else { throw error("expected ':' in a dict") }
                pairs.append((key, try parseExpression()))
                if !take(.symbol(",")) {
                    guard take(.symbol("}")) else { throw error("expected ',' or '}' in a dict") }
                    break
                }
            }
            return .dict(pairs)
        default:
            throw error("unexpected \(Self.describe(token))")
        }
    }

    private mutating func parsePostfix(_ base: JinjaExpression) throws -> JinjaExpression {
        var value = base
        while true {
            if take(.symbol(".")) {
                if case .int(let position)? = peek {
                    index += 1
                    value = .subscript(value, .literal(.int(position)))
                } else {
                    value = .attribute(value, try expectName())
                }
            } else if take(.symbol("[")) {
                value = try parseSubscript(of: value)
            } else if take(.symbol("(")) {
                let (arguments, keywords) = try parseArguments()
                value = .call(value, arguments, keywords)
            } else if take(.symbol("|")) {
                let name = try expectName()
                var arguments: [JinjaExpression] = []
                var keywords: [(String, JinjaExpression)] = []
                if take(.symbol("(")) { (arguments, keywords) = try parseArguments() }
                value = .filter(value, name, arguments, keywords)
            } else if take(.name("is")) {
                let negated = take(.name("not"))
                var name = try expectName()
                if name == "none" || name == "true" || name == "false" { name = name.lowercased() }
                var arguments: [JinjaExpression] = []
                if take(.symbol("(")) {
                    arguments = try parseArguments().0
                } else if let next = peek, Self.startsTestArgument(next) {
                    arguments = [try parsePrimary()]
                }
                value = .test(value, name, arguments, negated: negated)
            } else {
                return value
            }
        }
    }

    /// `is divisibleby 3`, `is equalto "x"`: a test may take one argument without parentheses.
    private static func startsTestArgument(_ token: ExpressionToken) -> Bool {
        switch token {
        case .string, .int, .double: return true
        case .name(let name): return !["and", "or", "else", "if", "in", "is", "not"].contains(name)
        default: return false
        }
    }

    private mutating func parseSubscript(of value: JinjaExpression) throws -> JinjaExpression {
        var start: JinjaExpression?
        if peek != .symbol(":") { start = try parseExpression() }
        guard take(.symbol(":")) else {
            guard take(.symbol("]")), let start else { throw error("expected ']'") }
            return .subscript(value, start)
        }
        var stop: JinjaExpression?
        var step: JinjaExpression?
        if peek != .symbol(":"), peek != .symbol("]") { stop = try parseExpression() }
        if take(.symbol(":")), peek != .symbol("]") { step = try parseExpression() }
        guard take(.symbol("]")) else { throw error("expected ']' after a slice") }
        return .slice(value, start: start, stop: stop, step: step)
    }

    private mutating func parseArguments() throws -> ([JinjaExpression], [(String, JinjaExpression)]) {
        var arguments: [JinjaExpression] = []
        var keywords: [(String, JinjaExpression)] = []
        while !take(.symbol(")")) {
            if case .name(let name)? = peek, index + 1 < tokens.count, tokens[index + 1] == .symbol("=") {
                index += 2
                keywords.append((name, try parseExpression()))
            } else {
                arguments.append(try parseExpression())
            }
            if !take(.symbol(",")) {
                guard take(.symbol(")")) else { throw error("expected ',' or ')' in a call") }
                break
            }
        }
        return (arguments, keywords)
    }
}
