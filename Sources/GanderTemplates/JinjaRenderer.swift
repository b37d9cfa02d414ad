import Foundation

/// Walks a template's tree and writes its output.
struct JinjaRenderer: Sendable {
    let options: JinjaTemplate.Options
    let load: (@Sendable (String) throws -> String)?
    private var scopes: [[String: JinjaValue]] = []
    /// Block overrides from the templates that extend the one being rendered (the most derived wins).
    private var blocks: [String: [JinjaNode]] = [:]
    private var depth = 0

    private enum Flow { case normal, breakLoop, continueLoop }

    init(options: JinjaTemplate.Options, load: (@Sendable (String) throws -> String)?) {
        self.options = options
        self.load = load
    }

    mutating func render(_ nodes: [JinjaNode], context: [String: JinjaValue]) throws -> String {
        scopes = [JinjaBuiltins.globals, context]
        var output = ""
        try renderDocument(nodes, into: &output)
        return output
    }

    /// A document that may extend another: its blocks are collected and its parent rendered in its place.
    private mutating func renderDocument(_ nodes: [JinjaNode], into output: inout String) throws {
        guard let (parentName, line) = nodes.lazy.compactMap({ node -> (JinjaExpression, Int)? in
            if case .extends(let name, let line) = node { return (name, line) }
            return nil
        }).first else {
            _ = try execute(nodes, into: &output)
            return
        }
        for (name, body) in Self.blocks(in: nodes) where blocks[name] == nil { blocks[name] = body }
        // Outside blocks, a child template only sets names.
        var ignored = ""
        for node in nodes {
            if case .assign = node { _ = try execute([node], into: &ignored) }
            if case .macro = node { _ = try execute([node], into: &ignored) }
        }
        let parent = try loadTemplate(try evaluate(parentName, line: line), line: line)
        try renderDocument(parent, into: &output)
    }

    private static func blocks(in nodes: [JinjaNode]) -> [(String, [JinjaNode])] {
        var found: [(String, [JinjaNode])] = []
        for node in nodes {
            switch node {
            case .block(let name, let body) where !name.isEmpty:
                found.append((name, body))
                found += blocks(in: body)
            case .conditional(let branches, let otherwise, _):
                found += branches.flatMap { blocks(in: $0.1) } + blocks(in: otherwise)
            case .loop(_, _, _, let body, let otherwise, _): found += blocks(in: body) + blocks(in: otherwise)
            default: break
            }
        }
        return found
    }

    private mutating func loadTemplate(_ name: JinjaValue, line: Int) throws -> [JinjaNode] {
        guard case .string(let path) = name else { throw JinjaError.render("a template name must be a string", line: line) }
        guard let load else { throw JinjaError.render("'\(path)' cannot be loaded: this template has no directory", line: line) }
        depth += 1
        guard depth < 32 else { throw JinjaError.render("templates include or extend each other too deeply", line: line) }
        let source: String
        do { source = try load(path) } catch {
            throw JinjaError.render("'\(path)' could not be loaded: \(error)", line: line)
        }
        let parts = try TemplateScanner(trimBlocks: options.trimBlocks, lstripBlocks: options.lstripBlocks).parts(of: source)
        var parser = JinjaParser(parts: parts)
        do { return try parser.parseTemplate() } catch let error as JinjaError {
            throw JinjaError.syntax("in '\(path)', \(error)", line: line)
        }
    }

    // MARK: statements

    private mutating func execute(_ nodes: [JinjaNode], into output: inout String) throws -> Flow {
        for node in nodes {
            switch node {
            case .text(let text): output += text
            case .output(let expression, let line):
                let value = try evaluate(expression, line: line)
                if options.strictUndefined, case .undefined(let name) = value {
                    throw JinjaError.render("'\(name)' is undefined", line: line)
                }
                output += value.printed
            case .conditional(let branches, let otherwise, let line):
                var chosen = otherwise
                for (condition, body) in branches where try truth(try evaluate(condition, line: line), line: line) {
                    chosen = body
                    break
                }
                let flow = try execute(chosen, into: &output)
                if flow != .normal { return flow }
            case .loop(let targets, let iterable, let condition, let body, let otherwise, let line):
                let flow = try runLoop(targets: targets, iterable: iterable, condition: condition, body: body,
                                       otherwise: otherwise, line: line, into: &output)
                if flow != .normal { return flow }
            case .assign(let target, let attribute, let expression, let line):
                let value = try evaluate(expression, line: line)
                if let attribute {
                    guard case .namespace(let namespace) = lookup(target) else {
                        throw JinjaError.render("'\(target).\(attribute)' can be set only on a namespace()", line: line)
                    }
                    namespace.attributes[attribute] = value
                } else {
                    scopes[scopes.count - 1][target] = value
                }
            case .assignBlock(let target, let body, _):
                var captured = ""
                _ = try execute(body, into: &captured)
                scopes[scopes.count - 1][target] = .string(captured)
            case .macro(let name, let parameters, let body, let line):
                scopes[scopes.count - 1][name] = makeMacro(parameters: parameters, body: body, line: line)
            case .block(let name, let body):
                let flow = try execute(blocks[name] ?? body, into: &output)
                if flow != .normal { return flow }
            case .include(let name, let line):
                let included = try loadTemplate(try evaluate(name, line: line), line: line)
                // An included template is a document of its own: it may extend another, with blocks of its own.
                let outerBlocks = blocks
                blocks = [:]
                try renderDocument(included, into: &output)
                blocks = outerBlocks
                depth -= 1
            case .extends(_, let line):
                throw JinjaError.render("{% extends %} must come before everything else in a template", line: line)
            case .breakLoop: return .breakLoop
            case .continueLoop: return .continueLoop
            case .filterBlock(let name, let arguments, let body, let line):
                var captured = ""
                _ = try execute(body, into: &captured)
                let values = try arguments.map { try evaluate($0, line: line) }
                output += try JinjaBuiltins.filter(name, .string(captured), values, [], line: line, renderer: self).printed
            }
        }
        return .normal
    }

    private mutating func runLoop(targets: [String], iterable: JinjaExpression, condition: JinjaExpression?,
                                  body: [JinjaNode], otherwise: [JinjaNode], line: Int, into output: inout String) throws -> Flow {
        let collection = try evaluate(iterable, line: line)
        if options.strictUndefined, case .undefined(let name) = collection {
            throw JinjaError.render("'\(name)' is undefined", line: line)
        }
        var items: [JinjaValue]
        do { items = try collection.iterated() } catch let error as JinjaError {
            throw JinjaError.render(error.description, line: line)
        }
        scopes.append([:])
        defer { scopes.removeLast() }
        if let condition {
            items = try items.filter { item in
                try bind(targets, to: item, line: line)
                return try truth(try evaluate(condition, line: line), line: line)
            }
        }
        if items.isEmpty { return try execute(otherwise, into: &output) }
        for (position, item) in items.enumerated() {
            try bind(targets, to: item, line: line)
            scopes[scopes.count - 1]["loop"] = Self.loopValue(position: position, items: items)
            if try execute(body, into: &output) == .breakLoop { break }
        }
        return .normal
    }

    private mutating func bind(_ targets: [String], to item: JinjaValue, line: Int) throws {
        if targets.count == 1 {
            scopes[scopes.count - 1][targets[0]] = item
            return
        }
        guard case .array(let parts) = item, parts.count == targets.count else {
            throw JinjaError.render("cannot unpack \(item.typeName) into \(targets.count) names", line: line)
        }
        for (name, value) in zip(targets, parts) { scopes[scopes.count - 1][name] = value }
    }

    private static func loopValue(position: Int, items: [JinjaValue]) -> JinjaValue {
        let count = items.count
        let cycle = JinjaFunction { arguments, _ in arguments.isEmpty ? .none : arguments[position % arguments.count] }
        return .object(JinjaObject([
            ("index", .int(position + 1)), ("index0", .int(position)), ("revindex", .int(count - position)),
            ("revindex0", .int(count - position - 1)), ("first", .bool(position == 0)), ("last", .bool(position == count - 1)),
            ("length", .int(count)), ("previtem", position > 0 ? items[position - 1] : .undefined("loop.previtem")),
            ("nextitem", position + 1 < count ? items[position + 1] : .undefined("loop.nextitem")), ("cycle", .function(cycle)),
        ]))
    }

    private func makeMacro(parameters: [(String, JinjaExpression?)], body: [JinjaNode], line: Int) -> JinjaValue {
        let snapshot = self
        return .function(JinjaFunction { arguments, keywords in
            var renderer = snapshot
            var frame: [String: JinjaValue] = [:]
            for (index, (name, fallback)) in parameters.enumerated() {
                if index < arguments.count {
                    frame[name] = arguments[index]
                } else if let given = keywords.first(where: { $0.0 == name }) {
                    frame[name] = given.1
                } else if let fallback {
                    frame[name] = try renderer.evaluate(fallback, line: line)
                } else {
                    frame[name] = .undefined(name)
                }
            }
            renderer.scopes.append(frame)
            var output = ""
            _ = try renderer.execute(body, into: &output)
            return .string(output)
        })
    }

    // MARK: expressions

    func lookup(_ name: String) -> JinjaValue {
        for scope in scopes.reversed() {
            if let value = scope[name] { return value }
        }
        return .undefined(name)
    }

    func truth(_ value: JinjaValue, line: Int) throws -> Bool {
        if options.strictUndefined, case .undefined(let name) = value {
            throw JinjaError.render("'\(name)' is undefined", line: line)
        }
        return value.isTruthy
    }

    mutating func evaluate(_ expression: JinjaExpression, line: Int) throws -> JinjaValue {
        switch expression {
        case .literal(let value): return value
        case .name(let name): return lookup(name)
        case .list(let items): return .array(try items.map { try evaluate($0, line: line) })
        case .dict(let pairs):
            var object = JinjaObject()
            for (key, value) in pairs {
                object[try evaluate(key, line: line).printed] = try evaluate(value, line: line)
            }
            return .object(object)
        case .attribute(let base, let name):
            let value = try evaluate(base, line: line)
            if case .undefined(let missing) = value { throw JinjaError.render("'\(missing)' is undefined", line: line) }
            return JinjaBuiltins.attribute(name, of: value)
        case .subscript(let base, let key):
            let value = try evaluate(base, line: line)
            if case .undefined(let missing) = value { throw JinjaError.render("'\(missing)' is undefined", line: line) }
            return try JinjaBuiltins.item(try evaluate(key, line: line), of: value, line: line)
        case .slice(let base, let start, let stop, let step):
            let value = try evaluate(base, line: line)
            func integer(_ part: JinjaExpression?) throws -> Int? {
                guard let part else { return nil }
                guard case .int(let number) = try evaluate(part, line: line) else {
                    throw JinjaError.render("slice bounds must be integers", line: line)
                }
                return number
            }
            return try JinjaBuiltins.slice(value, start: try integer(start), stop: try integer(stop), step: try integer(step), line: line)
        case .call(let base, let argumentExpressions, let keywordExpressions):
            let arguments = try argumentExpressions.map { try evaluate($0, line: line) }
            let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, line: line)) }
            if case .attribute(let owner, let method) = base {
                let receiver = try evaluate(owner, line: line)
                if case .undefined(let missing) = receiver { throw JinjaError.render("'\(missing)' is undefined", line: line) }
                if let result = try JinjaBuiltins.method(method, of: receiver, arguments, keywords, line: line) { return result }
            }
            let callee = try evaluate(base, line: line)
            guard case .function(let function) = callee else {
                throw JinjaError.render("\(Self.describe(base)) is not callable", line: line)
            }
            do { return try function.call(arguments, keywords) } catch let error as JinjaError {
                switch error {
                case .raised, .render, .syntax: throw error
                case .type(let message): throw JinjaError.render(message, line: line)
                }
            }
        case .filter(let base, let name, let argumentExpressions, let keywordExpressions):
            let value = try evaluate(base, line: line)
            let arguments = try argumentExpressions.map { try evaluate($0, line: line) }
            let keywords = try keywordExpressions.map { ($0.0, try evaluate($0.1, line: line)) }
            if options.strictUndefined, name != "default", name != "d", case .undefined(let missing) = value {
                throw JinjaError.render("'\(missing)' is undefined", line: line)
            }
            return try JinjaBuiltins.filter(name, value, arguments, keywords, line: line, renderer: self)
        case .test(let base, let name, let argumentExpressions, let negated):
            let value = try evaluate(base, line: line)
            let arguments = try argumentExpressions.map { try evaluate($0, line: line) }
            let result = try JinjaBuiltins.test(name, value, arguments, line: line)
            return .bool(negated ? !result : result)
        case .not(let inner): return .bool(!(try truth(try evaluate(inner, line: line), line: line)))
        case .negate(let inner):
            switch try evaluate(inner, line: line) {
            case .int(let value): return .int(-value)
            case .double(let value): return .double(-value)
            case let other: throw JinjaError.render("cannot negate \(other.typeName)", line: line)
            }
        case .binary("and", let left, let right):
            let value = try evaluate(left, line: line)
            return try truth(value, line: line) ? try evaluate(right, line: line) : value
        case .binary("or", let left, let right):
            let value = try evaluate(left, line: line)
            return try truth(value, line: line) ? value : try evaluate(right, line: line)
        case .binary(let operation, let left, let right):
            return try JinjaBuiltins.binary(operation, try evaluate(left, line: line), try evaluate(right, line: line), line: line)
        case .conditional(let condition, let then, let otherwise):
            if try truth(try evaluate(condition, line: line), line: line) { return try evaluate(then, line: line) }
            return try otherwise.map { try evaluate($0, line: line) } ?? .undefined("")
        }
    }

    private static func describe(_ expression: JinjaExpression) -> String {
        switch expression {
        case .name(let name): return "'\(name)'"
        case .attribute(_, let name): return "'\(name)'"
        default: return "the value"
        }
    }
}
