import Foundation
import GanderCore

/// Settles each parameter's value: what `--params` gave, else what the user types for a `user_prompt` one in a
/// terminal, else its default. Values are checked against their type (goose checks neither numbers nor booleans);
/// a `file` parameter's value is the file's contents.
public enum RecipeParameters {
    /// `key=value` pairs as `--params` takes them.
    public static func parse(_ pairs: [String]) throws -> [String: String] {
        var values: [String: String] = [:]
        for pair in pairs {
            guard let equals = pair.firstIndex(of: "="), equals != pair.startIndex else {
                throw RecipeError("--params \(pair) is not key=value")
            }
            values[String(pair[..<equals])] = String(pair[pair.index(after: equals)...])
        }
        return values
    }

    public static func resolve(_ parameters: [Recipe.Parameter], given: [String: String], workingDirectory: URL,
                               ask: ((Recipe.Parameter) -> String?)?) throws -> [String: String] {
        let keys = parameters.map(\.key)
        if let unknown = given.keys.sorted().first(where: { !keys.contains($0) }) {
            throw RecipeError("the recipe has no parameter \(unknown); "
                + (keys.isEmpty ? "it takes none" : "its parameters are \(keys.joined(separator: ", "))"))
        }
        var values: [String: String] = [:]
        var missing: [Recipe.Parameter] = []
        for parameter in parameters {
            var value = given[parameter.key]
            if value == nil, parameter.requirement == .userPrompt {
                guard let ask else {
                    throw RecipeError("parameter \(parameter.key) is asked for in a terminal, and this run has none; "
                        + "pass --params \(parameter.key)=…")
                }
                value = ask(parameter)
            }
            value = value ?? parameter.defaultValue
            guard var settled = value else {
                missing.append(parameter)
                continue
            }
            if let problem = problem(with: settled, for: parameter) {
                throw RecipeError("--params \(parameter.key)=\(settled): \(problem)")
            }
            if parameter.inputType == .file {
                let url = settled.hasPrefix("/") ? URL(fileURLWithPath: settled) : workingDirectory.appendingPathComponent(settled)
                guard let contents = try? String(contentsOf: url, encoding: .utf8) else {
                    throw RecipeError("parameter \(parameter.key) names a file to read, and \(url.path) does not exist or is not text")
                }
                settled = contents
            }
            values[parameter.key] = settled
        }
        if !missing.isEmpty {
            throw RecipeError("the recipe needs " + missing.map { "--params \($0.key)=…" + ($0.description.isEmpty ? "" : " (\($0.description))") }
                .joined(separator: ", "))
        }
        return values
    }

    /// What is wrong with `value` for `parameter`'s type; nil when it fits.
    static func problem(with value: String, for parameter: Recipe.Parameter) -> String? {
        switch parameter.inputType {
        case .string, .file:
            return nil
        case .number:
            return Double(value.trimmingCharacters(in: .whitespaces)) == nil ? "\"\(value)\" is not a number" : nil
        case .boolean:
            return ["true", "false"].contains(value.lowercased()) ? nil : "\"\(value)\" is not true or false"
        case .date:
            return value.wholeMatch(of: /\d{4}-\d{2}-\d{2}([T ][0-9:.]+(Z|[+-]\d{2}:?\d{2})?)?/) == nil
                ? "\"\(value)\" is not a date like 2026-12-06" : nil
        case .select:
            return parameter.options.contains(value) ? nil
                : "\"\(value)\" is not one of the options: \(parameter.options.joined(separator: ", "))"
        case .object, .array:
            let parsed = try? JSONValue(parsing: value)
            let fits = parameter.inputType == .object ? parsed?.objectValue != nil : parsed?.arrayValue != nil
            return fits ? nil : "\"\(value)\" is not a JSON \(parameter.inputType.rawValue)"
        }
    }
}
