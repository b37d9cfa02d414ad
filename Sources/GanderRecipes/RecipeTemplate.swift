import Foundation
import GanderCore
import GanderTemplates

/// A recipe file as the Jinja template goose treats it as: rendered with the parameters' values (all strings, as in
/// goose) before the YAML is read, so `title: {{ project }} review` works; `include` and `extends` find their files in
/// the recipe's folder; a name with no value is an error (strict undefined).
public struct RecipeTemplate: Sendable {
    /// The name every recipe may use without declaring it: the folder of the recipe file.
    public static let recipeDirectoryName = "recipe_dir"

    /// The text after goose's one rewrite: a `{{ … }}` that is not a Jinja expression (`{{hf model org}}`) is kept
    /// as it is written, not an error.
    let source: String
    let directory: URL?
    /// A recipe that came as data (a deeplink's JSON) is rendered value by value: escaped quotes inside its strings
    /// would break tags if the JSON text were rendered whole.
    let data: JSONValue?

    public init(text: String, directory: URL?) {
        source = Self.keepingNonExpressions(text)
        self.directory = directory
        data = nil
    }

    /// A recipe given as a JSON document.
    public init(data: JSONValue) {
        source = ""
        directory = nil
        self.data = data.mapStrings(Self.keepingNonExpressions)
    }

    /// The names the recipe's templates use, its included and extended files' too, `recipe_dir` aside.
    public func variables() throws -> [String] {
        var names: [String] = []
        var visited: Set<String> = []
        func collect(_ text: String, name: String?) throws {
            let template = try parse(text, name: name)
            for variable in template.referencedNames where !names.contains(variable) { names.append(variable) }
            for included in template.namedTemplates where visited.insert(included).inserted {
                try collect(try load(included), name: included)
            }
        }
        if let data {
            var strings: [String] = []
            data.forEachString { strings.append($0) }
            for text in strings { try collect(text, name: nil) }
        } else {
            try collect(source, name: nil)
        }
        return names.filter { $0 != Self.recipeDirectoryName }
    }

    /// The recipe's text with `values` put in. `strict`: a name without a value is an error (running); otherwise it
    /// renders empty (validating, listing, explaining before the values are known).
    public func render(_ values: [String: String], strict: Bool) throws -> String {
        guard let data else { return try render(source, values, strict: strict) }
        var failure: (any Error)?
        let rendered = data.mapStrings { text in
            guard failure == nil, text.contains("{") else { return text }
            // Jinja drops a template's last newline; a value keeps it, as it does inside a whole file.
            do { return try render(text, values, strict: strict) + (text.hasSuffix("\n") ? "\n" : "") } catch {
                failure = error
                return text
            }
        }
        if let failure { throw failure }
        return rendered.canonicalText
    }

    private func render(_ source: String, _ values: [String: String], strict: Bool) throws -> String {
        let template = try parse(source, name: nil, strict: strict)
        var context = values.mapValues(JinjaValue.string)
        if let directory { context[Self.recipeDirectoryName] = .string(directory.path) }
        let load: @Sendable (String) throws -> String = { [directory] name in
            try Self.read(name, in: directory)
        }
        do {
            return try template.render(context, load: load)
        } catch let error as JinjaError {
            throw RecipeError("template: \(Self.detail(of: error))", line: Self.line(of: error))
        }
    }

    private func parse(_ text: String, name: String?, strict: Bool = false) throws -> JinjaTemplate {
        do {
            return try JinjaTemplate(text, options: JinjaTemplate.Options(strictUndefined: strict))
        } catch let error as JinjaError {
            let place = name.map { " in \($0)" } ?? ""
            throw RecipeError("template\(place): \(Self.detail(of: error))", line: name == nil ? Self.line(of: error) : nil)
        }
    }

    private func load(_ name: String) throws -> String {
        do {
            return try Self.read(name, in: directory)
        } catch let error as JinjaError {
            throw RecipeError("template: \(Self.detail(of: error))")
        }
    }

    private static func read(_ name: String, in directory: URL?) throws -> String {
        guard let directory else { throw JinjaError.type("'\(name)' cannot be included: the recipe has no folder (a deeplink)") }
        let url = directory.appendingPathComponent(name)
        guard let text = try? String(contentsOf: url, encoding: .utf8) else {
            throw JinjaError.type("'\(name)' cannot be included: \(url.path) does not exist or is not text")
        }
        return keepingNonExpressions(text)
    }

    private static func line(of error: JinjaError) -> Int? {
        switch error {
        case .syntax(_, let line), .render(_, let line): line
        case .type, .raised: nil
        }
    }

    private static func detail(of error: JinjaError) -> String {
        switch error {
        case .syntax(let message, _), .render(let message, _): message
        case .type(let message), .raised(let message): message
        }
    }

    /// goose keeps `{{ … }}` whose inside is not a Jinja expression as literal text; so does Gander.
    static func keepingNonExpressions(_ text: String) -> String {
        guard text.contains("{{") else { return text }
        var result = ""
        var rest = text[...]
        while let open = rest.range(of: "{{") {
            result += rest[..<open.lowerBound]
            let afterOpen = rest[open.upperBound...]
            // As goose's pattern: the closing braces on the same line.
            guard let close = afterOpen.range(of: "}}"), !afterOpen[..<close.lowerBound].contains("\n") else {
                result += "{{"
                rest = afterOpen
                continue
            }
            let inner = afterOpen[..<close.lowerBound]
            let whole = "{{" + inner + "}}"
            let isSimpleName = inner.trimmingCharacters(in: .whitespaces).wholeMatch(of: /[A-Za-z_][A-Za-z0-9_]*/) != nil
            if isSimpleName || (try? JinjaTemplate(whole)) != nil {
                result += whole
            } else {
                result += "{% raw %}" + whole + "{% endraw %}"
            }
            rest = afterOpen[close.upperBound...]
        }
        return result + rest
    }
}
