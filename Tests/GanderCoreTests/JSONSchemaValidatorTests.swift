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
