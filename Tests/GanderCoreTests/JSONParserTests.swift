import Foundation
import GanderCore
import Testing

@Suite("JSON parsing")
struct JSONParserTests {
    @Test("well-formed documents parse to the values Foundation reads from them", arguments: [
        #"{"a":1,"b":[true,false,null],"c":{"d":"e"}}"#,
        #"  [ 1 , -2.5 , 3e2, 0.125E-2, -0 ]  "#,
        #""plain""#,
        #""escapes: \" \\ \/ \b \f \n \r \t \u00e9 \ud83d\ude00 end""#,
        #"{"unicode":"héllo wörld ✓ 😀","empty":"","nested":[[[[]]]],"obj":{}}"#,
        "123456789012345678",
        "\"multi\\nline\\n\"",
    ])
    func wellFormed(text: String) throws {
        let parsed = try JSONValue(parsing: text)
        let viaFoundation = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
        #expect(parsed == viaFoundation)
    }

    @Test("a few values come out exactly")
    func exactValues() throws {
        #expect(try JSONValue(parsing: #"{"k":[1,"two",null,true]}"#) == ["k": [1, "two", nil, true]])
        #expect(try JSONValue(parsing: #""\ud83d\ude00""#) == "😀")
        #expect(try JSONValue(parsing: "-12.5e1") == .number(-125))
        #expect(try JSONValue(parsing: Data(#"{"a":"b"}"#.utf8)) == ["a": "b"])
        #expect(try JSONValue(parsing: #"{"dup":1,"dup":2}"#) == ["dup": 2], "a repeated key keeps its last value, as JavaScript does")
    }

    @Test("integers beyond 2^53 keep every digit, in and out; fractions stay numbers")
    func exactIntegers() throws {
        for text in ["9007199254740993", "-9007199254740993", "9223372036854775807", "-9223372036854775808", "1234567890123456789"] {
            let parsed = try JSONValue(parsing: text)
            #expect(parsed.canonicalText == text)
            #expect(parsed == .integer(Int64(text)!))
            let decoded = try JSONDecoder().decode(JSONValue.self, from: Data(text.utf8))
            #expect(decoded.canonicalText == text, "through Codable too")
            #expect(String(decoding: try JSONEncoder().encode(parsed), as: UTF8.self) == text)
        }
        let wrapped = try JSONValue(parsing: #"{"id":9007199254740993,"sizes":[18014398509481985]}"#)
        #expect(wrapped.canonicalText == #"{"id":9007199254740993,"sizes":[18014398509481985]}"#)
        #expect(wrapped["id"]?.intValue == 9_007_199_254_740_993)
        #expect(try JSONValue(parsing: "2.5") == .number(2.5))
        #expect(try JSONValue(parsing: "1e2") == 100, "an exponent gives a number equal to the integer")
        #expect(try JSONValue(parsing: "3") == .number(3), "an integer equals the same value built as a Double")
        #expect(Set([JSONValue.integer(3), .number(3)]).count == 1, "and hashes the same")
        #expect(JSONValue.integer(9_007_199_254_740_993) != .number(9_007_199_254_740_992), "but not a Double that rounded it")
        #expect(try JSONValue(parsing: "99999999999999999999").numberValue == 1e20, "beyond 64 bits: a Double")
    }

    @Test("anything that is not one well-formed JSON value is refused, with where", arguments: [
        "", "   ", "{", "[1,2", #"{"a" 1}"#, #"{"a":1,}"#, "[1,]", "01", "1.", "-", "+1", ".5", "1e", "tru", "nul",
        "\"unterminated", "\"bad \\x escape\"", "\"\\ud800 lone\"", "\"\\u12\"", "\"tab\tinside\"", "{} []", "NaN",
        "{'single':1}", #"{"a":1}}"#,
    ])
    func malformed(text: String) {
        #expect(throws: (any Error).self) { try JSONValue(parsing: text) }
    }

    @Test("nesting deeper than the limit is an error, not a crash")
    func deepNesting() {
        let deep = String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000)
        #expect {
            try JSONValue(parsing: deep)
        } throws: { error in
            String(describing: error).contains("nested deeper than")
        }
        let fine = String(repeating: "[", count: 500) + String(repeating: "]", count: 500)
        #expect(throws: Never.self) { try JSONValue(parsing: fine) }
    }
}
