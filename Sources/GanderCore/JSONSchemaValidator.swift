/// Checks tool arguments against the subset of JSON Schema that tool definitions use: `type`, `properties`,
/// `required`, `enum`, `items`, `additionalProperties: false`, `minimum`/`maximum`, `anyOf`/`oneOf`.
/// Each problem is phrased so a model can correct its next call.
public struct JSONSchemaValidator: Sendable {
    public init() {}

    /// Every way `value` breaks `schema`; empty when it fits.
    public func problems(in value: JSONValue, against schema: JSONValue) -> [String] {
        var problems: [String] = []
        check(value, schema, path: "arguments", into: &problems)
        return problems
    }

    private func check(_ value: JSONValue, _ schema: JSONValue, path: String, into problems: inout [String]) {
        guard case .object(let rules) = schema else { return }

        if let alternatives = (rules["anyOf"] ?? rules["oneOf"])?.arrayValue {
            let fits = alternatives.contains { alternative in
                var scratch: [String] = []
                check(value, alternative, path: path, into: &scratch)
                return scratch.isEmpty
            }
            if !fits { problems.append("\(path) matches none of the allowed shapes") }
        }

        if let type = rules["type"] {
            let allowed = type.arrayValue?.compactMap(\.stringValue) ?? [type.stringValue].compactMap { $0 }
            if !allowed.isEmpty, !allowed.contains(where: { Self.matches(value, type: $0) }) {
                problems.append("\(path) must be \(allowed.joined(separator: " or ")), not \(Self.describe(value))")
                return
            }
        }

        if let choices = rules["enum"]?.arrayValue, !choices.contains(value) {
            let listed = choices.map(\.canonicalText).joined(separator: ", ")
            problems.append("\(path) must be one of \(listed), not \(value.canonicalText)")
        }

        if let number = value.numberValue {
            if let minimum = rules["minimum"]?.numberValue, number < minimum {
                problems.append("\(path) must be at least \(JSONValue.number(minimum).canonicalText)")
            }
            if let maximum = rules["maximum"]?.numberValue, number > maximum {
                problems.append("\(path) must be at most \(JSONValue.number(maximum).canonicalText)")
            }
        }

        if case .object(let members) = value {
            let properties = rules["properties"]?.objectValue ?? [:]
            for required in rules["required"]?.arrayValue?.compactMap(\.stringValue) ?? []
            where members[required] == nil {
                problems.append("\(path) is missing the required property \"\(required)\"")
            }
            for (key, member) in members.sorted(by: { $0.key < $1.key }) {
                if let propertySchema = properties[key] {
                    check(member, propertySchema, path: "\(path).\(key)", into: &problems)
                } else if rules["additionalProperties"] == .bool(false) {
                    let known = properties.keys.sorted().joined(separator: ", ")
                    problems.append("\(path) has an unknown property \"\(key)\" (known: \(known))")
                }
            }
        }

        if case .array(let items) = value, let itemSchema = rules["items"] {
            for (index, item) in items.enumerated() {
                check(item, itemSchema, path: "\(path)[\(index)]", into: &problems)
            }
        }
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number):
            true
        case ("integer", .number(let number)): number.rounded() == number
        default: false
        }
    }

    private static func describe(_ value: JSONValue) -> String {
        switch value {
        case .null: "null"
        case .bool: "a boolean"
        case .number: "a number"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
