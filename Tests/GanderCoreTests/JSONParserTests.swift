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
