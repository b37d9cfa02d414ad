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
    /// The source parsed once, or why it does not parse; renders and the variable check share it.
    private let parsed: Result<JinjaTemplate, RecipeError>?
    /// A recipe that came as data (a deeplink's JSON) is rendered value by value: escaped quotes inside its strings
    /// would break tags if the JSON text were rendered whole.
    let data: JSONValue?

    public init(text: String, directory: URL?) {
        let source = Self.keepingNonExpressions(text)
        self.source = source
        self.directory = directory
        data = nil
        parsed = Result { () throws(RecipeError) in try Self.parse(source, name: nil) }
    }

    /// A recipe given as a JSON document.
    public init(data: JSONValue) {
        source = ""
        directory = nil
        self.data = data.mapStrings(Self.keepingNonExpressions)
        parsed = nil
    }

    /// The names the recipe's templates use, its included and extended files' too, `recipe_dir` aside.
    public func variables() throws -> [String] {
        var names: [String] = []
        var visited: Set<String> = []
        func collect(_ text: String, name: String?) throws {
            let template = try (name == nil && data == nil ? parsed?.get() : nil) ?? Self.parse(text, name: name)
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

    private func render(_ text: String, _ values: [String: String], strict: Bool) throws -> String {
        let template = try ((data == nil ? parsed?.get() : nil) ?? Self.parse(text, name: nil)).with(strictUndefined: strict)
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

    private static func parse(_ text: String, name: String?) throws(RecipeError) -> JinjaTemplate {
        do {
            return try JinjaTemplate(text)
        } catch {
            let place = name.map { " in \($0)" } ?? ""
            guard let error = error as? JinjaError else { throw RecipeError("template\(place): \(error)") }
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

    /// goose keeps `{{ … }}` whose inside is not a Jinja expression as literal text; so does Gander. Walks the bytes:
    /// a long recipe has hundreds of these.
    static func keepingNonExpressions(_ text: String) -> String {
        let bytes = Array(text.utf8)
        let open = UInt8(ascii: "{"), close = UInt8(ascii: "}"), newline = UInt8(ascii: "\n")
        var output: [UInt8] = []
        output.reserveCapacity(bytes.count)
        var index = 0
        while index < bytes.count {
            guard bytes[index] == open, index + 1 < bytes.count, bytes[index + 1] == open else {
                output.append(bytes[index])
                index += 1
                continue
            }
            // As goose's pattern: the closing braces on the same line.
            var end = index + 2
            while end + 1 < bytes.count, !(bytes[end] == close && bytes[end + 1] == close), bytes[end] != newline { end += 1 }
            guard end + 1 < bytes.count, bytes[end] == close, bytes[end + 1] == close else {
                output.append(contentsOf: bytes[index..<index + 2])
                index += 2
                continue
            }
            let whole = bytes[index..<end + 2]
            let inner = String(decoding: bytes[index + 2..<end], as: UTF8.self)
            if isName(trimmed(inner)) || (try? JinjaTemplate(String(decoding: whole, as: UTF8.self))) != nil {
                output.append(contentsOf: whole)
            } else {
                output.append(contentsOf: Array("{% raw %}".utf8) + whole + Array("{% endraw %}".utf8))
            }
            index = end + 2
        }
        return String(decoding: output, as: UTF8.self)
    }

    private static func trimmed(_ text: String) -> String {
        let bytes = text.utf8
        guard let first = bytes.firstIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }),
              let last = bytes.lastIndex(where: { $0 != UInt8(ascii: " ") && $0 != UInt8(ascii: "\t") }) else { return "" }
        return String(decoding: bytes[first...last], as: UTF8.self)
    }

    /// `[A-Za-z_][A-Za-z0-9_]*`, checked by hand: a regular expression built for each `{{ … }}` of a long recipe
    /// costs more than rendering it.
    private static func isName(_ text: String) -> Bool {
        guard let first = text.utf8.first, first == UInt8(ascii: "_") || (first | 0x20) >= UInt8(ascii: "a") && (first | 0x20) <= UInt8(ascii: "z")
        else { return false }
        return text.utf8.allSatisfy { byte in
            byte == UInt8(ascii: "_") || (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte)
                || (UInt8(ascii: "a")...UInt8(ascii: "z")).contains(byte | 0x20)
        }
    }
}
