import Foundation

/// A value inside a Jinja template, with Python's semantics where templates rely on them: truthiness, `==` across
/// ints and floats, dicts that keep their insertion order, and printing as Python prints (`None`, `True`, `['a']`).
public enum JinjaValue: Sendable {
    case undefined(String)
    case none
    case bool(Bool)
    case int(Int)
    case double(Double)
    case string(String)
    case array([JinjaValue])
    case object(JinjaObject)
    /// A `namespace(...)`: the one mutable value, so `{% set ns.found = true %}` inside a loop is seen after it.
    case namespace(JinjaNamespace)
    case function(JinjaFunction)

    public static func from(_ any: Any?) -> JinjaValue {
        switch any {
        case nil: return .none
        case let value as JinjaValue: return value
        case let value as Bool: return .bool(value)
        case let value as Int: return .int(value)
        case let value as Double: return .double(value)
        case let value as String: return .string(value)
        case let value as [Any?]: return .array(value.map(from))
        case let value as [(String, Any?)]: return .object(JinjaObject(value.map { ($0.0, from($0.1)) }))
        case let value as [String: Any?]: return .object(JinjaObject(value.sorted { $0.key < $1.key }.map { ($0.key, from($0.value)) }))
        default: return .string(String(describing: any!))
        }
    }

    var isUndefined: Bool {
        if case .undefined = self { return true }
        return false
    }

    var isTruthy: Bool {
        switch self {
        case .undefined, .none: return false
        case .bool(let value): return value
        case .int(let value): return value != 0
        case .double(let value): return value != 0
        case .string(let value): return !value.isEmpty
        case .array(let value): return !value.isEmpty
        case .object(let value): return !value.isEmpty
        case .namespace, .function: return true
        }
    }

    /// The text `{{ value }}` prints: Python's `str()`.
    var printed: String {
        switch self {
        case .undefined: return ""
        case .string(let value): return value
        default: return represented
        }
    }

    /// Python's `repr()`, which is how values inside lists and dicts print.
    var represented: String {
        switch self {
        case .undefined: return ""
        case .none: return "None"
        case .bool(let value): return value ? "True" : "False"
        case .int(let value): return String(value)
        case .double(let value): return Self.pythonFloat(value)
        case .string(let value):
            let quote: Character = value.contains("'") && !value.contains("\"") ? "\"" : "'"
            var text = String(quote)
            for character in value {
                switch character {
                case "\\": text += "\\\\"
                case "\n": text += "\\n"
                case "\t": text += "\\t"
                case "\r": text += "\\r"
                case quote: text += "\\\(quote)"
                default: text.append(character)
                }
            }
            return text + String(quote)
        case .array(let items): return "[" + items.map(\.represented).joined(separator: ", ") + "]"
        case .object(let object): return "{" + object.pairs.map { "'\($0.0)': \($0.1.represented)" }.joined(separator: ", ") + "}"
        case .namespace: return "<Namespace>"
        case .function: return "<function>"
        }
    }

    static func pythonFloat(_ value: Double) -> String {
        if value.isNaN { return "nan" }
        if value.isInfinite { return value > 0 ? "inf" : "-inf" }
        if value == value.rounded(), abs(value) < 1e16 { return String(format: "%.1f", value) }
        return String(value)
    }

    var typeName: String {
        switch self {
        case .undefined: return "undefined"
        case .none: return "none"
        case .bool: return "boolean"
        case .int: return "integer"
        case .double: return "float"
        case .string: return "string"
        case .array: return "list"
        case .object: return "dict"
        case .namespace: return "namespace"
        case .function: return "function"
        }
    }

    var number: Double? {
        switch self {
        case .int(let value): return Double(value)
        case .double(let value): return value
        case .bool(let value): return value ? 1 : 0
        default: return nil
        }
    }

    /// Python's `==`.
    static func equal(_ left: JinjaValue, _ right: JinjaValue) -> Bool {
        switch (left, right) {
        case (.undefined, .undefined), (.none, .none): return true
        case (.string(let a), .string(let b)): return a == b
        case (.array(let a), .array(let b)): return a.count == b.count && zip(a, b).allSatisfy(equal)
        case (.object(let a), .object(let b)):
            return a.count == b.count && a.pairs.allSatisfy { key, value in b[key].map { equal(value, $0) } ?? false }
        case (.namespace(let a), .namespace(let b)): return a === b
        default:
            if let a = left.number, let b = right.number { return a == b }
            return false
        }
    }

    /// The items a `for` loop walks: a list's items, a dict's keys, a string's characters.
    func iterated() throws -> [JinjaValue] {
        switch self {
        case .array(let items): return items
        case .object(let object): return object.keys.map { .string($0) }
        case .string(let text): return text.map { .string(String($0)) }
        case .undefined, .none: return []
        default: throw JinjaError.type("\(typeName) is not iterable")
        }
    }
}

/// A dict that keeps the order its keys were added in, as Python's does (tool schemas print in their own order).
public struct JinjaObject: Sendable {
    private(set) var keys: [String] = []
    private var storage: [String: JinjaValue] = [:]

    public init(_ pairs: [(String, JinjaValue)] = []) {
        for (key, value) in pairs { self[key] = value }
    }

    public subscript(key: String) -> JinjaValue? {
        get { storage[key] }
        set {
            if storage[key] == nil, newValue != nil { keys.append(key) }
            if newValue == nil { keys.removeAll { $0 == key } }
            storage[key] = newValue
        }
    }

    public var pairs: [(String, JinjaValue)] { keys.map { ($0, storage[$0]!) } }
    public var count: Int { keys.count }
    public var isEmpty: Bool { keys.isEmpty }
}

public final class JinjaNamespace: @unchecked Sendable {
    /// Touched only by the one render that made it.
    var attributes: JinjaObject

    init(_ attributes: JinjaObject) {
        self.attributes = attributes
    }
}

/// A callable: a built-in function, a bound method or a macro.
public struct JinjaFunction: Sendable {
    let call: @Sendable (_ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)]) throws -> JinjaValue
}

public enum JinjaError: Error, CustomStringConvertible, Equatable {
    /// The template's source is not valid: the message and its line.
    case syntax(String, line: Int)
    /// Rendering failed: a type error, an undefined name under strict undefined, `raise_exception`.
    case render(String, line: Int)
    case type(String)
    case raised(String)

    public var description: String {
        switch self {
        case .syntax(let message, let line): return "line \(line): \(message)"
        case .render(let message, let line): return "line \(line): \(message)"
        case .type(let message): return message
        case .raised(let message): return message
        }
    }
}
