import Foundation
import GanderCore
import Synchronization

/// `recipe__final_output`: how a run with a response schema (a recipe's `response.json_schema`, or `--output-schema`)
/// ends. The tool's input schema is that schema, so the agent's argument check hands a model that sends something
/// else the list of problems; what fits is kept, and is the run's output.
public final class FinalOutputExtension: Extension {
    public let name = "recipe"
    public static let toolName = "final_output"
    /// The schema the output must fit.
    public let schema: JSONValue
    /// A schema whose top is not an object is asked for as the `output` property of one, since tool arguments are
    /// objects; the output is then that property.
    private let wrapped: Bool
    private let accepted = Mutex<JSONValue?>(nil)

    public init(schema: JSONValue) {
        self.schema = schema
        wrapped = schema["type"]?.stringValue != "object"
    }

    public var instructions: String {
        "When the task is done, call `recipe__final_output` once with the result; its input is the JSON the user asked "
            + "for, and it must fit the tool's input schema. The run is not done until that call succeeds."
    }

    /// The output the model gave, once it fit the schema.
    public var output: JSONValue? { accepted.withLock { $0 } }

    /// Forgets the output, for a fresh attempt at the task.
    public func reset() {
        accepted.withLock { $0 = nil }
    }

    /// The message that sends a model that answered without the call back to it.
    public var reminder: String {
        "You have not called recipe__final_output. Call it now with the result, as JSON that fits its input schema; "
            + "do not answer in text."
    }

    public func tools() async throws -> [any ToolHandler] {
        let inputSchema: JSONValue = wrapped
            ? ["type": "object", "properties": ["output": schema], "required": ["output"], "additionalProperties": false]
            : schema
        let spec = ToolSpec(name: Self.toolName,
                            description: "Give the task's result as structured JSON. Call it once, when the work is done.",
                            inputSchema: inputSchema, isReadOnly: true)
        return [InlineTool(spec, footprint: { _, _ in .reads() }, run: { [self] arguments, _ in
            let value = wrapped ? arguments["output"] ?? .null : .object(arguments)
            accepted.withLock { $0 = value }
            return .text("Final output recorded. Reply with one short sentence; the run is over.")
        })]
    }
}
