import Foundation
import GanderCore
import Testing

@Suite("tool argument checks")
struct JSONSchemaValidatorTests {
    let schema: JSONValue = [
        "type": "object",
        "properties": [
            "command": ["type": "string", "enum": ["view", "create"]],
            "count": ["type": "integer", "minimum": 1],
            "range": ["type": "array", "items": ["type": "integer"]],
        ],
        "required": ["command"],
        "additionalProperties": false,
    ]

    @Test("fitting arguments have no problems")
    func fits() {
        #expect(JSONSchemaValidator().problems(in: ["command": "view", "count": 2, "range": [1, 2]], against: schema).isEmpty)
    }

    @Test("each problem names the property and what it should be")
    func problems() {
        let problems = JSONSchemaValidator().problems(
            in: ["command": "delete", "count": 1.5, "range": [1, "x"], "extra": true], against: schema)
        #expect(problems == [
            "arguments.command must be one of \"view\", \"create\", not \"delete\"",
            "arguments.count must be integer, not a number",
            "arguments has an unknown property \"extra\" (known: command, count, range)",
            "arguments.range[1] must be integer, not a string",
        ])
        #expect(JSONSchemaValidator().problems(in: [:], against: schema) == ["arguments is missing the required property \"command\""])
        #expect(JSONSchemaValidator().problems(in: ["command": "view", "count": 0], against: schema) == ["arguments.count must be at least 1"])
    }
}

@Suite("JSON Schema keywords")
struct JSONSchemaKeywordTests {
    let validator = JSONSchemaValidator()

    @Test("oneOf means exactly one, where anyOf means at least one")
    func oneOf() {
        let schema: JSONValue = ["oneOf": [["type": "integer"], ["type": "number", "minimum": 0]]]
        #expect(validator.problems(in: -1.5, against: ["oneOf": [["type": "integer"], ["type": "number", "minimum": 0]]])
            == ["arguments matches none of the allowed shapes"])
        #expect(validator.problems(in: 2.5, against: schema).isEmpty)
        #expect(validator.problems(in: 2, against: schema) == ["arguments matches 2 of the allowed shapes; it must match exactly one"])
        #expect(validator.problems(in: 2, against: ["anyOf": [["type": "integer"], ["type": "number"]]]).isEmpty)
    }

    @Test("a $ref to the schema's own definitions is followed, recursion included")
    func references() {
        let schema: JSONValue = [
            "$defs": ["node": ["type": "object", "properties": ["name": ["type": "string"],
                                                              "children": ["type": "array", "items": ["$ref": "#/$defs/node"]]],
                               "required": ["name"]]],
            "type": "object", "properties": ["root": ["$ref": "#/$defs/node"]],
        ]
        #expect(validator.problems(in: ["root": ["name": "a", "children": [["name": "b"]]]], against: schema).isEmpty)
        #expect(validator.problems(in: ["root": ["name": "a", "children": [["name": 7]]]], against: schema)
            == ["arguments.root.children[0].name must be string, not an integer"])
        #expect(validator.problems(in: ["x": 1], against: ["properties": ["x": ["$ref": "#/definitions/missing"]]])
            == ["arguments.x could not be checked: the schema refers to #/definitions/missing, which it does not define"])
        let loop: JSONValue = ["$ref": "#"]
        #expect(validator.problems(in: 1, against: loop).first?.contains("refers to itself") == true, "a loop ends, with a problem")
    }

    @Test("strings, arrays, constants and limits on integers beyond 2^53")
    func otherKeywords() {
        #expect(validator.problems(in: "ab", against: ["minLength": 3, "pattern": "^[0-9]+$"])
            == ["arguments must be at least 3 characters long", "arguments must match the pattern ^[0-9]+$"])
        #expect(validator.problems(in: [1, 1], against: ["uniqueItems": true, "maxItems": 1])
            == ["arguments must have at most 1 items", "arguments must not repeat an item"])
        #expect(validator.problems(in: "b", against: ["const": "a"]) == [#"arguments must be "a", not "b""#])
        #expect(validator.problems(in: .integer(9_007_199_254_740_993), against: ["maximum": .integer(9_007_199_254_740_992)])
            == ["arguments must be at most 9007199254740992"])
        #expect(validator.problems(in: 5, against: ["exclusiveMaximum": 5, "multipleOf": 2])
            == ["arguments must be less than 5", "arguments must be a multiple of 2"])
        #expect(validator.problems(in: ["a": "x"], against: ["additionalProperties": ["type": "integer"]])
            == ["arguments.a must be integer, not a string"])
    }

    @Test("the keywords a schema uses that are not checked are named")
    func unchecked() {
        let schema: JSONValue = [
            "type": "object", "title": "t",
            "properties": ["when": ["type": "string", "format": "date-time"], "tags": ["type": "array", "items": ["$ref": "other.json#/x"]]],
            "patternProperties": ["^x-": ["type": "string"]],
        ]
        #expect(validator.uncheckedKeywords(in: schema) == ["$ref (to another document)", "format", "patternProperties"])
        #expect(validator.uncheckedKeywords(in: ["type": "object", "properties": ["a": ["type": "string", "description": "d"]]]).isEmpty)
    }
}

@Suite("the event vocabulary")
struct AgentEventCodingTests {
    @Test("every event survives a JSON round trip, as stream-json readers rely on")
    func roundTrip() throws {
        let call = ToolCall(id: "c1", name: "developer__shell", arguments: #"{"command":"ls"}"#)
        let result = ToolResult(callID: "c1", toolName: "developer__shell", content: [.text("ok")], isError: false)
        let events: [AgentEvent] = [
            .textDelta("hi"), .reasoningDelta("hmm"), .toolCallRequested(call), .toolResult(result),
            .messageFinished(Message(role: .assistant, content: [
                .reasoning(Reasoning(text: "t", signature: "s")), .text("x"), .toolCall(call),
            ])),
            .usage(Usage(inputTokens: 1, outputTokens: 2)), .retrying(attempt: 2, delaySeconds: 0.5, reason: "HTTP 429"),
            .notice("n"), .error("e"),
            .finished(AgentOutcome(stopReason: .answered, finalText: "done", usage: Usage(), turns: 1)),
        ]
        for event in events {
            let data = try JSONEncoder().encode(event)
            #expect(try JSONDecoder().decode(AgentEvent.self, from: data) == event)
        }
    }

    @Test("canonical JSON text sorts keys and escapes control characters")
    func canonicalText() throws {
        let value: JSONValue = ["b": [1, 2.5, nil], "a": "line\n\"quoted\"\u{1}"]
        #expect(value.canonicalText == #"{"a":"line\n\"quoted\"\u0001","b":[1,2.5,null]}"#)
        #expect(try JSONValue(parsing: value.canonicalText) == value)
    }
}
