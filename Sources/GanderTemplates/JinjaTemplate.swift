/// A template in the Jinja language, as Hugging Face chat templates and goose's recipes write them.
///
/// Gander carries its own small engine rather than a package: chat templates need Python's semantics (dicts in
/// insertion order, `tojson` as Hugging Face defines it, string methods such as `.strip()` and `.split()`,
/// slices, `namespace()`), which a general Swift template engine does not give, and both uses need the same few
/// statements (`if`, `for`, `set`, `macro`, `include`, `extends`/`block`). What it leaves out fails with a line
/// number rather than rendering something else.
public struct JinjaTemplate: Sendable {
    public struct Options: Sendable {
        /// Drop the first newline after a block tag (Hugging Face's setting for chat templates).
        public var trimBlocks: Bool
        /// Strip spaces and tabs before a block tag on its line.
        public var lstripBlocks: Bool
        /// An undefined name is an error when printed, tested for truth or walked (goose's recipes); otherwise it is
        /// empty and false (chat templates).
        public var strictUndefined: Bool

        public init(trimBlocks: Bool = false, lstripBlocks: Bool = false, strictUndefined: Bool = false) {
            self.trimBlocks = trimBlocks
            self.lstripBlocks = lstripBlocks
            self.strictUndefined = strictUndefined
        }

        /// What `transformers`' `apply_chat_template` uses.
        public static let chatTemplate = Options(trimBlocks: true, lstripBlocks: true)
    }

    let nodes: [JinjaNode]
    var options: Options

    public init(_ source: String, options: Options = Options()) throws {
        let parts = try TemplateScanner(trimBlocks: options.trimBlocks, lstripBlocks: options.lstripBlocks).parts(of: source)
        var parser = JinjaParser(parts: parts)
        nodes = try parser.parseTemplate()
        self.options = options
    }

    /// The same template with other options for rendering (undefined names strict or not); the source is not read again.
    public func with(strictUndefined: Bool) -> JinjaTemplate {
        var copy = self
        copy.options.strictUndefined = strictUndefined
        return copy
    }

    /// The names the template reads that it does not set itself (loop variables, `set` targets and macro
    /// parameters are not counted), in order of first use.
    public var referencedNames: [String] {
        var names: [String] = []
        var bound: Set<String> = ["loop", "range", "namespace", "raise_exception", "strftime_now", "dict", "lipsum", "super", "true", "false", "none"]
        JinjaNameCollector.collect(nodes, bound: &bound, into: &names)
        return names
    }

    /// The templates it names in `include` and `extends` with a literal name, in order; names computed while rendering
    /// are not known before.
    public var namedTemplates: [String] {
        var names: [String] = []
        func walk(_ nodes: [JinjaNode]) {
            for node in nodes {
                switch node {
                case .include(.literal(.string(let name)), _), .extends(.literal(.string(let name)), _):
                    if !names.contains(name) { names.append(name) }
                case .conditional(let branches, let otherwise, _):
                    branches.forEach { walk($0.1) }
                    walk(otherwise)
                case .loop(_, _, _, let body, let otherwise, _):
                    walk(body)
                    walk(otherwise)
                case .macro(_, _, let body, _), .block(_, let body), .filterBlock(_, _, let body, _), .assignBlock(_, let body, _):
                    walk(body)
                default:
                    break
                }
            }
        }
        walk(nodes)
        return names
    }

    /// Renders with `context`; `load` finds the source of a template named by `include` or `extends`.
    public func render(_ context: [String: JinjaValue],
                       load: (@Sendable (String) throws -> String)? = nil) throws -> String {
        var renderer = JinjaRenderer(options: options, load: load)
        return try renderer.render(nodes, context: context)
    }
}

/// Collects the free names of a template, for recipes' "a template variable with no parameter" check.
private enum JinjaNameCollector {
    static func collect(_ nodes: [JinjaNode], bound: inout Set<String>, into names: inout [String]) {
        for node in nodes {
            switch node {
            case .text, .breakLoop, .continueLoop: break
            case .output(let expression, _), .include(let expression, _), .extends(let expression, _):
                collect(expression, bound: bound, into: &names)
            case .conditional(let branches, let otherwise, _):
                for (condition, body) in branches {
                    collect(condition, bound: bound, into: &names)
                    collect(body, bound: &bound, into: &names)
                }
                collect(otherwise, bound: &bound, into: &names)
            case .loop(let targets, let iterable, let condition, let body, let otherwise, _):
                collect(iterable, bound: bound, into: &names)
                var inner = bound.union(targets)
                if let condition { collect(condition, bound: inner, into: &names) }
                collect(body, bound: &inner, into: &names)
                collect(otherwise, bound: &bound, into: &names)
            case .assign(let target, let attribute, let value, _):
                collect(value, bound: bound, into: &names)
                if attribute == nil { bound.insert(target) }
            case .assignBlock(let target, let body, _):
                collect(body, bound: &bound, into: &names)
                bound.insert(target)
            case .macro(let name, let parameters, let body, _):
                bound.insert(name)
                var inner = bound.union(parameters.map(\.0)).union(["varargs", "kwargs", "caller"])
                collect(body, bound: &inner, into: &names)
            case .block(_, let body), .filterBlock(_, _, let body, _):
                collect(body, bound: &bound, into: &names)
            }
        }
    }

    static func collect(_ expression: JinjaExpression, bound: Set<String>, into names: inout [String]) {
        switch expression {
        case .literal: break
        case .name(let name): if !bound.contains(name), !names.contains(name) { names.append(name) }
        case .list(let items): items.forEach { collect($0, bound: bound, into: &names) }
        case .dict(let pairs): pairs.forEach { collect($0.0, bound: bound, into: &names); collect($0.1, bound: bound, into: &names) }
        case .attribute(let base, _), .not(let base), .negate(let base): collect(base, bound: bound, into: &names)
        case .subscript(let base, let key): collect(base, bound: bound, into: &names); collect(key, bound: bound, into: &names)
        case .slice(let base, let start, let stop, let step):
            for part in [base, start, stop, step].compactMap({ $0 }) { collect(part, bound: bound, into: &names) }
        case .call(let base, let arguments, let keywords), .filter(let base, _, let arguments, let keywords):
            collect(base, bound: bound, into: &names)
            (arguments + keywords.map(\.1)).forEach { collect($0, bound: bound, into: &names) }
        case .test(let base, _, let arguments, _):
            (arguments + [base]).forEach { collect($0, bound: bound, into: &names) }
        case .binary(_, let left, let right): collect(left, bound: bound, into: &names); collect(right, bound: bound, into: &names)
        case .conditional(let condition, let then, let otherwise):
            for part in [condition, then, otherwise].compactMap({ $0 }) { collect(part, bound: bound, into: &names) }
        }
    }
}
