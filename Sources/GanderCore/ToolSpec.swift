/// A tool as the model sees it: a name, what it does, and the JSON Schema of its arguments.
public struct ToolSpec: Codable, Sendable, Equatable {
    public var name: String
    public var description: String
    public var inputSchema: JSONValue
    /// The tool only reads; permission modes may run it without asking.
    public var isReadOnly: Bool
    /// The tool may destroy data the user cannot get back.
    public var isDestructive: Bool

    public init(name: String, description: String, inputSchema: JSONValue, isReadOnly: Bool = false,
                isDestructive: Bool = false) {
        self.name = name
        self.description = description
        self.inputSchema = inputSchema
        self.isReadOnly = isReadOnly
        self.isDestructive = isDestructive
    }

    enum CodingKeys: String, CodingKey {
        case name, description, inputSchema = "input_schema", isReadOnly = "read_only", isDestructive = "destructive"
    }
}
