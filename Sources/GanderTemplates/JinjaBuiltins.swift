import Foundation

/// The functions, filters, tests, methods and operators templates use, with Python's behaviour.
enum JinjaBuiltins {
    static let globals: [String: JinjaValue] = [
        "range": .function(JinjaFunction { arguments, _ in
            let numbers = arguments.compactMap { value -> Int? in if case .int(let n) = value { return n } else { return nil } }
            guard numbers.count == arguments.count, (1...3).contains(numbers.count) else { throw JinjaError.type("range() takes one to three integers") }
            let (start, stop, step) = numbers.count == 1 ? (0, numbers[0], 1) : (numbers[0], numbers[1], numbers.count == 3 ? numbers[2] : 1)
            guard step != 0 else { throw JinjaError.type("range() step must not be zero") }
            guard (stop - start) / step <= 100_000 else { throw JinjaError.type("range() is too long") }
            return .array(Array(stride(from: start, to: stop, by: step)).map { .int($0) })
        }),
        "namespace": .function(JinjaFunction { arguments, keywords in
            var attributes = JinjaObject()
            if case .object(let initial)? = arguments.first { for (key, value) in initial.pairs { attributes[key] = value } }
            for (key, value) in keywords { attributes[key] = value }
            return .namespace(JinjaNamespace(attributes))
        }),
        "dict": .function(JinjaFunction { _, keywords in .object(JinjaObject(keywords)) }),
        "raise_exception": .function(JinjaFunction { arguments, _ in
            throw JinjaError.raised(arguments.first?.printed ?? "the template raised an exception")
        }),
        "strftime_now": .function(JinjaFunction { arguments, _ in
            let formatter = DateFormatter()
            formatter.locale = Locale(identifier: "en_US_POSIX")
            formatter.dateFormat = strftimeToDateFormat(arguments.first?.printed ?? "%Y-%m-%d")
            return .string(formatter.string(from: Date()))
        }),
    ]

    /// `%d %B %Y`-style formats, as chat templates pass them, in Foundation's pattern letters.
    private static func strftimeToDateFormat(_ format: String) -> String {
        let map: [Character: String] = ["Y": "yyyy", "m": "MM", "d": "dd", "B": "MMMM", "b": "MMM", "H": "HH", "M": "mm",
                                        "S": "ss", "A": "EEEE", "a": "EEE", "y": "yy", "p": "a", "I": "hh", "j": "DDD"]
        var result = ""
        var literal = ""
        var percent = false
        func flush() {
            if !literal.isEmpty { result += "'" + literal.replacingOccurrences(of: "'", with: "''") + "'"; literal = "" }
        }
        for character in format {
            if percent {
                percent = false
                if let pattern = map[character] { flush(); result += pattern } else { literal.append(character) }
            } else if character == "%" {
                percent = true
            } else {
                literal.append(character)
            }
        }
        flush()
        return result
    }

    // MARK: access

    static func attribute(_ name: String, of value: JinjaValue) -> JinjaValue {
        switch value {
        case .object(let object): return object[name] ?? .undefined(name)
        case .namespace(let namespace): return namespace.attributes[name] ?? .undefined(name)
        default: return .undefined(name)
        }
    }

    static func item(_ key: JinjaValue, of value: JinjaValue, line: Int) throws -> JinjaValue {
        switch (value, key) {
        case (.object(let object), _): return object[key.printed] ?? .undefined(key.printed)
        case (.namespace(let namespace), _): return namespace.attributes[key.printed] ?? .undefined(key.printed)
        case (.array(let items), .int(let index)):
            let position = index < 0 ? items.count + index : index
            guard items.indices.contains(position) else { return .undefined("[\(index)]") }
            return items[position]
        case (.string(let text), .int(let index)):
            let characters = Array(text)
            let position = index < 0 ? characters.count + index : index
            guard characters.indices.contains(position) else { return .undefined("[\(index)]") }
            return .string(String(characters[position]))
        default:
            return .undefined(key.printed)
        }
    }

    static func slice(_ value: JinjaValue, start: Int?, stop: Int?, step: Int?, line: Int) throws -> JinjaValue {
        let step = step ?? 1
        guard step != 0 else { throw JinjaError.render("a slice's step cannot be zero", line: line) }
        func pick<T>(_ items: [T]) -> [T] {
            let count = items.count
            func clamp(_ bound: Int?, _ fallback: Int) -> Int {
                guard var bound else { return fallback }
                if bound < 0 { bound += count }
                return step > 0 ? min(max(bound, 0), count) : min(max(bound, -1), count - 1)
            }
            var result: [T] = []
            if step > 0 {
                var index = clamp(start, 0)
                let end = clamp(stop, count)
                while index < end { result.append(items[index]); index += step }
            } else {
                var index = clamp(start, count - 1)
                let end = clamp(stop, -1)
                while index > end { result.append(items[index]); index += step }
            }
            return result
        }
        switch value {
        case .array(let items): return .array(pick(items))
        case .string(let text): return .string(String(pick(Array(text))))
        default: throw JinjaError.render("\(value.typeName) cannot be sliced", line: line)
        }
    }

    // MARK: methods

    /// `value.name(...)` for the string, dict and list methods templates call; nil when `value` has no such method.
    static func method(_ name: String, of value: JinjaValue, _ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)],
                       line: Int) throws -> JinjaValue? {
        switch value {
        case .string(let text):
            let first = arguments.first?.printed
            switch name {
            case "strip": return .string(strip(text, first, leading: true, trailing: true))
            case "lstrip": return .string(strip(text, first, leading: true, trailing: false))
            case "rstrip": return .string(strip(text, first, leading: false, trailing: true))
            case "upper": return .string(text.uppercased())
            case "lower": return .string(text.lowercased())
            case "title": return .string(text.capitalized)
            case "capitalize": return .string(text.prefix(1).uppercased() + text.dropFirst().lowercased())
            case "startswith": return .bool(try prefixes(arguments).contains { text.hasPrefix($0) })
            case "endswith": return .bool(try prefixes(arguments).contains { text.hasSuffix($0) })
            case "replace":
                guard arguments.count >= 2 else { throw JinjaError.render("replace() needs two arguments", line: line) }
                return .string(text.replacingOccurrences(of: arguments[0].printed, with: arguments[1].printed))
            case "split":
                if let separator = first, arguments.first.map({ if case .none = $0 { false } else { true } }) ?? false {
                    guard !separator.isEmpty else { throw JinjaError.render("split() separator is empty", line: line) }
                    var limit = Int.max
                    if arguments.count > 1, case .int(let maximum) = arguments[1], maximum >= 0 { limit = maximum }
                    return .array(text.split(separator: separator, maxSplits: limit, omittingEmptySubsequences: false).map { .string(String($0)) })
                }
                return .array(text.split(whereSeparator: \.isWhitespace).map { .string(String($0)) })
            case "find":
                guard let needle = first, let range = text.range(of: needle) else { return .int(-1) }
                return .int(text.distance(from: text.startIndex, to: range.lowerBound))
            case "count": return .int(first.map { text.components(separatedBy: $0).count - 1 } ?? 0)
            case "format":
                var result = text
                for argument in arguments { if let range = result.range(of: "{}") { result.replaceSubrange(range, with: argument.printed) } }
                return .string(result)
            case "join": return .string(try arguments.first?.iterated().map(\.printed).joined(separator: text) ?? "")
            case "isdigit": return .bool(!text.isEmpty && text.allSatisfy(\.isNumber))
            case "isspace": return .bool(!text.isEmpty && text.allSatisfy(\.isWhitespace))
            default: return nil
            }
        case .object(let object):
            switch name {
            case "items": return .array(object.pairs.map { .array([.string($0.0), $0.1]) })
            case "keys": return .array(object.keys.map { .string($0) })
            case "values": return .array(object.pairs.map(\.1))
            case "get":
                guard let key = arguments.first else { throw JinjaError.render("get() needs a key", line: line) }
                return object[key.printed] ?? (arguments.count > 1 ? arguments[1] : .none)
            default: return nil
            }
        case .array(let items):
            switch name {
            case "index":
                guard let wanted = arguments.first, let position = items.firstIndex(where: { JinjaValue.equal($0, wanted) }) else {
                    throw JinjaError.render("the value is not in the list", line: line)
                }
                return .int(position)
            case "count": return .int(items.filter { JinjaValue.equal($0, arguments.first ?? .none) }.count)
            default: return nil
            }
        default:
            return nil
        }
    }

    private static func prefixes(_ arguments: [JinjaValue]) throws -> [String] {
        switch arguments.first {
        case .array(let options)?: return options.map(\.printed)
        case let value?: return [value.printed]
        case nil: throw JinjaError.type("startswith() and endswith() need an argument")
        }
    }

    private static func strip(_ text: String, _ characters: String?, leading: Bool, trailing: Bool) -> String {
        let strippable: (Character) -> Bool = characters.map { set in { set.contains($0) } } ?? { $0.isWhitespace }
        var result = Substring(text)
        if leading { result = result.drop(while: strippable) }
        if trailing { while let last = result.last, strippable(last) { result = result.dropLast() } }
        return String(result)
    }

    // MARK: filters

    static func filter(_ name: String, _ value: JinjaValue, _ arguments: [JinjaValue], _ keywords: [(String, JinjaValue)],
                       line: Int, renderer: JinjaRenderer) throws -> JinjaValue {
        func keyword(_ key: String, _ position: Int) -> JinjaValue? {
            keywords.first { $0.0 == key }?.1 ?? (position < arguments.count ? arguments[position] : nil)
        }
        func list() throws -> [JinjaValue] {
            do { return try value.iterated() } catch let error as JinjaError { throw JinjaError.render("\(name): \(error)", line: line) }
        }
        switch name {
        case "tojson":
            var indent: Int?
            if case .int(let width)? = keyword("indent", 0) { indent = width }
            return .string(JinjaJSON.text(of: value, indent: indent))
        case "trim":
            return .string(strip(value.printed, keyword("chars", 0)?.printed, leading: true, trailing: true))
        case "length", "count":
            switch value {
            case .string(let text): return .int(text.count)
            case .array(let items): return .int(items.count)
            case .object(let object): return .int(object.count)
            case .undefined: return .int(0)
            default: throw JinjaError.render("\(value.typeName) has no length", line: line)
            }
        case "first": return try list().first ?? .undefined("first")
        case "last": return try list().last ?? .undefined("last")
        case "join":
            let separator = keyword("d", 0)?.printed ?? ""
            if case .string(let attribute)? = keyword("attribute", 1) {
                return .string(try list().map { self.attribute(attribute, of: $0).printed }.joined(separator: separator))
            }
            return .string(try list().map(\.printed).joined(separator: separator))
        case "default", "d":
            let fallback = keyword("default_value", 0) ?? .string("")
            let checksTruth = keyword("boolean", 1)?.isTruthy ?? false
            return value.isUndefined || (checksTruth && !value.isTruthy) ? fallback : value
        case "upper": return .string(value.printed.uppercased())
        case "lower": return .string(value.printed.lowercased())
        case "capitalize": let text = value.printed; return .string(text.prefix(1).uppercased() + text.dropFirst().lowercased())
        case "title": return .string(value.printed.capitalized)
        case "string": return .string(value.printed)
        case "safe": return value
        case "e", "escape":
            return .string(value.printed.replacingOccurrences(of: "&", with: "&amp;").replacingOccurrences(of: "<", with: "&lt;")
                .replacingOccurrences(of: ">", with: "&gt;").replacingOccurrences(of: "\"", with: "&#34;").replacingOccurrences(of: "'", with: "&#39;"))
        case "int":
            switch value {
            case .int: return value
            case .double(let number): return .int(Int(number))
            case .bool(let flag): return .int(flag ? 1 : 0)
            default: return .int(Int(value.printed.trimmingCharacters(in: .whitespaces)) ?? 0)
            }
        case "float":
            return .double(value.number ?? Double(value.printed.trimmingCharacters(in: .whitespaces)) ?? 0)
        case "abs":
            switch value {
            case .int(let number): return .int(abs(number))
            case .double(let number): return .double(abs(number))
            default: throw JinjaError.render("abs needs a number", line: line)
            }
        case "round":
            let precision: Int
            if case .int(let digits)? = keyword("precision", 0) { precision = digits } else { precision = 0 }
            let scale = pow(10, Double(precision))
            return .double(((value.number ?? 0) * scale).rounded() / scale)
        case "list": return .array(try list())
        case "reverse":
            if case .string(let text) = value { return .string(String(text.reversed())) }
            return .array(try list().reversed())
        case "unique":
            var seen: [JinjaValue] = []
            for item in try list() where !seen.contains(where: { JinjaValue.equal($0, item) }) { seen.append(item) }
            return .array(seen)
        case "items":
            guard case .object(let object) = value else { throw JinjaError.render("items needs a dict", line: line) }
            return .array(object.pairs.map { .array([.string($0.0), $0.1]) })
        case "dictsort":
            guard case .object(let object) = value else { throw JinjaError.render("dictsort needs a dict", line: line) }
            return .array(object.pairs.sorted { $0.0 < $1.0 }.map { .array([.string($0.0), $0.1]) })
        case "sort":
            let attribute = keyword("attribute", 2)?.printed
            let reverse = keyword("reverse", 0)?.isTruthy ?? false
            let sorted = try list().sorted { left, right in
                let a = attribute.map { self.attribute($0, of: left) } ?? left
                let b = attribute.map { self.attribute($0, of: right) } ?? right
                return (try? binary("<", a, b, line: line).isTruthy) ?? false
            }
            return .array(reverse ? sorted.reversed() : sorted)
        case "replace":
            guard arguments.count >= 2 else { throw JinjaError.render("replace needs two arguments", line: line) }
            return .string(value.printed.replacingOccurrences(of: arguments[0].printed, with: arguments[1].printed))
        case "indent":
            let width: String
            switch keyword("width", 0) {
            case .int(let count)?: width = String(repeating: " ", count: count)
            case .string(let text)?: width = text
            default: width = "    "
            }
            let indentsFirst = keyword("first", 1)?.isTruthy ?? false
            let indentsBlank = keyword("blank", 2)?.isTruthy ?? false
            let lines = value.printed.components(separatedBy: "\n")
            return .string(lines.enumerated().map { index, text in
                (index == 0 && !indentsFirst) || (text.isEmpty && !indentsBlank) ? text : width + text
            }.joined(separator: "\n"))
        case "map":
            if case .string(let attribute)? = keywords.first(where: { $0.0 == "attribute" })?.1 {
                return .array(try list().map { self.attribute(attribute, of: $0) })
            }
            guard case .string(let filterName)? = arguments.first else { throw JinjaError.render("map needs a filter or attribute=", line: line) }
            return .array(try list().map { try filter(filterName, $0, Array(arguments.dropFirst()), [], line: line, renderer: renderer) })
        case "select", "reject", "selectattr", "rejectattr":
            let byAttribute = name.hasSuffix("attr")
            let keeps = name.hasPrefix("select")
            var rest = arguments
            var attribute: String?
            if byAttribute {
                guard !rest.isEmpty else { throw JinjaError.render("\(name) needs an attribute", line: line) }
                attribute = rest.removeFirst().printed
            }
            let testName = rest.isEmpty ? nil : rest.removeFirst().printed
            return .array(try list().filter { item in
                let subject = attribute.map { self.attribute($0, of: item) } ?? item
                let passes = try testName.map { try test($0, subject, rest, line: line) } ?? subject.isTruthy
                return passes == keeps
            })
        case "wordcount": return .int(value.printed.split(whereSeparator: \.isWhitespace).count)
        case "batch":
            guard case .int(let size)? = arguments.first, size > 0 else { throw JinjaError.render("batch needs a size", line: line) }
            let items = try list()
            return .array(stride(from: 0, to: items.count, by: size).map { .array(Array(items[$0..<min($0 + size, items.count)])) })
        default:
            throw JinjaError.render("unknown filter '\(name)'", line: line)
        }
    }

    // MARK: tests

    static func test(_ name: String, _ value: JinjaValue, _ arguments: [JinjaValue], line: Int) throws -> Bool {
        switch name {
        case "defined": return !value.isUndefined
        case "undefined": return value.isUndefined
        case "none": if case .none = value { return true } else { return false }
        case "string": if case .string = value { return true } else { return false }
        case "number": return value.number != nil && value.typeName != "boolean"
        case "integer": if case .int = value { return true } else { return false }
        case "float": if case .double = value { return true } else { return false }
        case "boolean": if case .bool = value { return true } else { return false }
        case "true": if case .bool(true) = value { return true } else { return false }
        case "false": if case .bool(false) = value { return true } else { return false }
        case "mapping": if case .object = value { return true } else { return false }
        case "sequence", "iterable":
            switch value {
            case .array, .string, .object: return true
            default: return false
            }
        case "callable": if case .function = value { return true } else { return false }
        case "even": if case .int(let number) = value { return number % 2 == 0 } else { return false }
        case "odd": if case .int(let number) = value { return number % 2 != 0 } else { return false }
        case "divisibleby":
            guard case .int(let number) = value, case .int(let divisor)? = arguments.first, divisor != 0 else { return false }
            return number % divisor == 0
        case "lower": return value.printed == value.printed.lowercased()
        case "upper": return value.printed == value.printed.uppercased()
        case "equalto", "eq", "==", "sameas": return JinjaValue.equal(value, arguments.first ?? .none)
        case "ne", "!=": return !JinjaValue.equal(value, arguments.first ?? .none)
        case "in": return try binary("in", value, arguments.first ?? .none, line: line).isTruthy
        case "gt", ">": return try binary(">", value, arguments.first ?? .none, line: line).isTruthy
        case "ge", ">=": return try binary(">=", value, arguments.first ?? .none, line: line).isTruthy
        case "lt", "<": return try binary("<", value, arguments.first ?? .none, line: line).isTruthy
        case "le", "<=": return try binary("<=", value, arguments.first ?? .none, line: line).isTruthy
        default: throw JinjaError.render("unknown test '\(name)'", line: line)
        }
    }

    // MARK: operators

    static func binary(_ operation: String, _ left: JinjaValue, _ right: JinjaValue, line: Int) throws -> JinjaValue {
        switch operation {
        case "==": return .bool(JinjaValue.equal(left, right))
        case "!=": return .bool(!JinjaValue.equal(left, right))
        case "~": return .string(left.printed + right.printed)
        case "in":
            switch right {
            case .string(let text): return .bool(text.contains(left.printed))
            case .array(let items): return .bool(items.contains { JinjaValue.equal($0, left) })
            case .object(let object): return .bool(object[left.printed] != nil)
            case .namespace(let namespace): return .bool(namespace.attributes[left.printed] != nil)
            case .undefined, .none: return .bool(false)
            default: throw JinjaError.render("'in' needs a string, list or dict on its right, not \(right.typeName)", line: line)
            }
        case "<", "<=", ">", ">=":
            let order: ComparisonResult
            if case .string(let a) = left, case .string(let b) = right {
                order = a < b ? .orderedAscending : a == b ? .orderedSame : .orderedDescending
            } else if let a = left.number, let b = right.number {
                order = a < b ? .orderedAscending : a == b ? .orderedSame : .orderedDescending
            } else {
                throw JinjaError.render("cannot compare \(left.typeName) with \(right.typeName)", line: line)
            }
            switch operation {
            case "<": return .bool(order == .orderedAscending)
            case "<=": return .bool(order != .orderedDescending)
            case ">": return .bool(order == .orderedDescending)
            default: return .bool(order != .orderedAscending)
            }
        case "+":
            switch (left, right) {
            case (.string(let a), .string(let b)): return .string(a + b)
            case (.array(let a), .array(let b)): return .array(a + b)
            case (.int(let a), .int(let b)): return .int(a &+ b)
            default:
                if let a = left.number, let b = right.number { return .double(a + b) }
                throw JinjaError.render("cannot add \(right.typeName) to \(left.typeName)", line: line)
            }
        case "-", "*", "/", "//", "%", "**":
            if operation == "*", case .string(let text) = left, case .int(let times) = right { return .string(String(repeating: text, count: max(0, times))) }
            if operation == "*", case .int(let times) = left, case .string(let text) = right { return .string(String(repeating: text, count: max(0, times))) }
            if case .int(let a) = left, case .int(let b) = right, operation != "/" {
                switch operation {
                case "-": return .int(a &- b)
                case "*": return .int(a &* b)
                case "**": return b >= 0 ? .int(Int(pow(Double(a), Double(b)))) : .double(pow(Double(a), Double(b)))
                default:
                    guard b != 0 else { throw JinjaError.render("division by zero", line: line) }
                    let quotient = Int((Double(a) / Double(b)).rounded(.down))
                    return .int(operation == "//" ? quotient : a - b * quotient)
                }
            }
            guard let a = left.number, let b = right.number else {
                throw JinjaError.render("'\(operation)' needs numbers, not \(left.typeName) and \(right.typeName)", line: line)
            }
            switch operation {
            case "-": return .double(a - b)
            case "*": return .double(a * b)
            case "**": return .double(pow(a, b))
            default:
                guard b != 0 else { throw JinjaError.render("division by zero", line: line) }
                switch operation {
                case "/": return .double(a / b)
                case "//": return .double((a / b).rounded(.down))
                default: return .double(a - b * (a / b).rounded(.down))
                }
            }
        default:
            throw JinjaError.render("unknown operator '\(operation)'", line: line)
        }
    }
}

/// `tojson` as Hugging Face defines it for chat templates: Python's `json.dumps` with `ensure_ascii=False`, keys in
/// their own order, `", "` and `": "` between items (or newlines and `indent` spaces).
enum JinjaJSON {
    static func text(of value: JinjaValue, indent: Int? = nil) -> String {
        var output = ""
        write(value, indent: indent, level: 0, into: &output)
        return output
    }

    private static func write(_ value: JinjaValue, indent: Int?, level: Int, into output: inout String) {
        func newline(_ depth: Int) { if let indent { output += "\n" + String(repeating: " ", count: indent * depth) } }
        switch value {
        case .undefined, .none, .function: output += "null"
        case .bool(let flag): output += flag ? "true" : "false"
        case .int(let number): output += String(number)
        case .double(let number): output += number.isFinite ? JinjaValue.pythonFloat(number) : (number.isNaN ? "NaN" : number > 0 ? "Infinity" : "-Infinity")
        case .string(let text): output += quoted(text)
        case .array(let items):
            guard !items.isEmpty else { output += "[]"; return }
            output += "["
            for (index, item) in items.enumerated() {
                if index > 0 { output += indent == nil ? ", " : "," }
                newline(level + 1)
                write(item, indent: indent, level: level + 1, into: &output)
            }
            newline(level)
            output += "]"
        case .object(let object):
            writeObject(object.pairs, indent: indent, level: level, into: &output)
        case .namespace(let namespace):
            writeObject(namespace.attributes.pairs, indent: indent, level: level, into: &output)
        }
    }

    private static func writeObject(_ pairs: [(String, JinjaValue)], indent: Int?, level: Int, into output: inout String) {
        guard !pairs.isEmpty else { output += "{}"; return }
        output += "{"
        for (index, (key, item)) in pairs.enumerated() {
            if index > 0 { output += indent == nil ? ", " : "," }
            if let indent { output += "\n" + String(repeating: " ", count: indent * (level + 1)) }
            output += quoted(key) + ": "
            write(item, indent: indent, level: level + 1, into: &output)
        }
        if let indent { output += "\n" + String(repeating: " ", count: indent * level) }
        output += "}"
    }

    static func quoted(_ text: String) -> String {
        var output = "\""
        for scalar in text.unicodeScalars {
            switch scalar {
            case "\"": output += "\\\""
            case "\\": output += "\\\\"
            case "\n": output += "\\n"
            case "\r": output += "\\r"
            case "\t": output += "\\t"
            case "\u{08}": output += "\\b"
            case "\u{0C}": output += "\\f"
            default:
                if scalar.value < 0x20 {
                    output += String(format: "\\u%04x", scalar.value)
                } else {
                    output.unicodeScalars.append(scalar)
                }
            }
        }
        return output + "\""
    }
}
