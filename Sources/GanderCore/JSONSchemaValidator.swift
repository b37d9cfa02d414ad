import Foundation

/// Checks tool arguments against JSON Schema as tool definitions write it. Each problem is phrased so a model can
/// correct its next call.
///
/// Checked: `type`, `enum`, `const`, `properties`, `required`, `additionalProperties` (false or a schema), `items`,
/// `minItems`/`maxItems`/`uniqueItems`, `minLength`/`maxLength`/`pattern`, `minimum`/`maximum`,
/// `exclusiveMinimum`/`exclusiveMaximum`, `multipleOf`, `anyOf`, `oneOf` (exactly one), `allOf`, `not`, and `$ref`
/// to a place in the same schema (`#/$defs/…`, `#/definitions/…`, `#`). Every other keyword is not checked;
/// `uncheckedKeywords(in:)` names those a schema uses, and the tool itself is then the one to enforce them.
public struct JSONSchemaValidator: Sendable {
    public init() {}

    /// The keywords this validator enforces, and those that only describe or hold definitions.
    static let checkedKeywords: Set<String> = [
        "type", "enum", "const", "properties", "required", "additionalProperties", "items", "minItems", "maxItems",
        "uniqueItems", "minLength", "maxLength", "pattern", "minimum", "maximum", "exclusiveMinimum", "exclusiveMaximum",
        "multipleOf", "anyOf", "oneOf", "allOf", "not", "$ref",
    ]
    static let descriptiveKeywords: Set<String> = [
        "$schema", "$id", "$comment", "$defs", "definitions", "title", "description", "default", "examples",
        "deprecated", "readOnly", "writeOnly",
    ]

    /// Every way `value` breaks `schema`; empty when it fits.
    public func problems(in value: JSONValue, against schema: JSONValue) -> [String] {
        var problems: [String] = []
        check(value, schema, root: schema, path: "arguments", depth: 0, into: &problems)
        return problems
    }

    /// The keywords `schema` uses, anywhere in it, that are not checked (`format`, `patternProperties`, a `$ref` to
    /// another document …), sorted; empty when every rule it states is enforced.
    public func uncheckedKeywords(in schema: JSONValue) -> [String] {
        var found: Set<String> = []
        collectUnchecked(schema, into: &found)
        return found.sorted()
    }

    private func collectUnchecked(_ schema: JSONValue, into found: inout Set<String>) {
        guard case .object(let rules) = schema else { return }
        for (keyword, rule) in rules {
            switch keyword {
            case "properties", "$defs", "definitions":
                rule.objectValue?.values.forEach { collectUnchecked($0, into: &found) }
            case "anyOf", "oneOf", "allOf":
                rule.arrayValue?.forEach { collectUnchecked($0, into: &found) }
            case "items", "not", "additionalProperties":
                if rule.arrayValue != nil { found.insert("\(keyword) (as an array)") } else { collectUnchecked(rule, into: &found) }
            case "$ref":
                if !(rule.stringValue ?? "").hasPrefix("#") { found.insert("$ref (to another document)") }
            default:
                if !Self.checkedKeywords.contains(keyword), !Self.descriptiveKeywords.contains(keyword) { found.insert(keyword) }
            }
        }
    }

    /// Schemas that refer to themselves stop here rather than recurse without end.
    private static let maximumDepth = 64

    private func check(_ value: JSONValue, _ schema: JSONValue, root: JSONValue, path: String, depth: Int,
                       into problems: inout [String]) {
        guard depth < Self.maximumDepth else {
            problems.append("\(path) could not be checked: the schema refers to itself more than \(Self.maximumDepth) levels deep")
            return
        }
        if schema == .bool(false) { problems.append("\(path) is not allowed here") }
        guard case .object(let rules) = schema else { return }
        func fits(_ subschema: JSONValue) -> Bool {
            var scratch: [String] = []
            check(value, subschema, root: root, path: path, depth: depth + 1, into: &scratch)
            return scratch.isEmpty
        }

        if let reference = rules["$ref"]?.stringValue, reference.hasPrefix("#") {
            if let target = Self.resolve(reference, in: root) {
                check(value, target, root: root, path: path, depth: depth + 1, into: &problems)
            } else {
                problems.append("\(path) could not be checked: the schema refers to \(reference), which it does not define")
            }
        }

        if let alternatives = rules["anyOf"]?.arrayValue, !alternatives.contains(where: fits) {
            problems.append("\(path) matches none of the allowed shapes")
        }
        if let alternatives = rules["oneOf"]?.arrayValue {
            let matching = alternatives.filter(fits).count
            if matching == 0 {
                problems.append("\(path) matches none of the allowed shapes")
            } else if matching > 1 {
                problems.append("\(path) matches \(matching) of the allowed shapes; it must match exactly one")
            }
        }
        for part in rules["allOf"]?.arrayValue ?? [] {
            check(value, part, root: root, path: path, depth: depth + 1, into: &problems)
        }
        if let excluded = rules["not"], fits(excluded) {
            problems.append("\(path) has a shape that is not allowed here")
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
        if let constant = rules["const"], constant != value {
            problems.append("\(path) must be \(constant.canonicalText), not \(value.canonicalText)")
        }

        if value.numberValue != nil {
            checkNumber(value, rules, path: path, into: &problems)
        }

        if case .string(let text) = value {
            if let minimum = rules["minLength"]?.intValue, text.count < minimum {
                problems.append("\(path) must be at least \(minimum) characters long")
            }
            if let maximum = rules["maxLength"]?.intValue, text.count > maximum {
                problems.append("\(path) must be at most \(maximum) characters long")
            }
            if let pattern = rules["pattern"]?.stringValue, let regex = try? NSRegularExpression(pattern: pattern),
               regex.firstMatch(in: text, range: NSRange(text.startIndex..., in: text)) == nil {
                problems.append("\(path) must match the pattern \(pattern)")
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
                    check(member, propertySchema, root: root, path: "\(path).\(key)", depth: depth + 1, into: &problems)
                } else if rules["additionalProperties"] == .bool(false) {
                    let known = properties.keys.sorted().joined(separator: ", ")
                    problems.append("\(path) has an unknown property \"\(key)\" (known: \(known))")
                } else if let additional = rules["additionalProperties"], case .object = additional {
                    check(member, additional, root: root, path: "\(path).\(key)", depth: depth + 1, into: &problems)
                }
            }
        }

        if case .array(let items) = value {
            if let minimum = rules["minItems"]?.intValue, items.count < minimum {
                problems.append("\(path) must have at least \(minimum) items")
            }
            if let maximum = rules["maxItems"]?.intValue, items.count > maximum {
                problems.append("\(path) must have at most \(maximum) items")
            }
            if rules["uniqueItems"] == .bool(true), Set(items).count != items.count {
                problems.append("\(path) must not repeat an item")
            }
            if let itemSchema = rules["items"], itemSchema.arrayValue == nil {
                for (index, item) in items.enumerated() {
                    check(item, itemSchema, root: root, path: "\(path)[\(index)]", depth: depth + 1, into: &problems)
                }
            }
        }
    }

    private func checkNumber(_ value: JSONValue, _ rules: [String: JSONValue], path: String, into problems: inout [String]) {
        // Compared exactly when both are integers, so limits beyond 2^53 hold.
        func compare(_ limit: JSONValue) -> ComparisonResult? {
            if case .integer(let a) = value, case .integer(let b) = limit { return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame }
            guard let a = value.numberValue, let b = limit.numberValue else { return nil }
            return a < b ? .orderedAscending : a > b ? .orderedDescending : .orderedSame
        }
        if let minimum = rules["minimum"], compare(minimum) == .orderedAscending {
            problems.append("\(path) must be at least \(minimum.canonicalText)")
        }
        if let maximum = rules["maximum"], compare(maximum) == .orderedDescending {
            problems.append("\(path) must be at most \(maximum.canonicalText)")
        }
        if let minimum = rules["exclusiveMinimum"], minimum.numberValue != nil, compare(minimum) != .orderedDescending {
            problems.append("\(path) must be more than \(minimum.canonicalText)")
        }
        if let maximum = rules["exclusiveMaximum"], maximum.numberValue != nil, compare(maximum) != .orderedAscending {
            problems.append("\(path) must be less than \(maximum.canonicalText)")
        }
        if let divisor = rules["multipleOf"], divisor.numberValue.map({ $0 > 0 }) == true {
            let isMultiple = if case .integer(let a) = value, case .integer(let b) = divisor {
                a % b == 0
            } else {
                (value.numberValue! / divisor.numberValue!).rounded() == value.numberValue! / divisor.numberValue!
            }
            if !isMultiple { problems.append("\(path) must be a multiple of \(divisor.canonicalText)") }
        }
    }

    /// The part of `root` that a same-document reference points to: `#`, or a JSON Pointer after `#`.
    static func resolve(_ reference: String, in root: JSONValue) -> JSONValue? {
        guard reference.hasPrefix("#") else { return nil }
        let pointer = reference.dropFirst()
        guard !pointer.isEmpty else { return root }
        guard pointer.hasPrefix("/") else { return nil }
        var target = root
        for token in pointer.dropFirst().split(separator: "/", omittingEmptySubsequences: false) {
            let key = (token.removingPercentEncoding ?? String(token))
                .replacingOccurrences(of: "~1", with: "/").replacingOccurrences(of: "~0", with: "~")
            switch target {
            case .object(let members):
                guard let next = members[key] else { return nil }
                target = next
            case .array(let items):
                guard let index = Int(key), items.indices.contains(index) else { return nil }
                target = items[index]
            default:
                return nil
            }
        }
        return target
    }

    private static func matches(_ value: JSONValue, type: String) -> Bool {
        switch (type, value) {
        case ("object", .object), ("array", .array), ("string", .string), ("boolean", .bool), ("null", .null),
            ("number", .number), ("number", .integer), ("integer", .integer):
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
        case .integer: "an integer"
        case .string: "a string"
        case .array: "an array"
        case .object: "an object"
        }
    }
}
