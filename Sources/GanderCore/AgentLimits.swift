/// The bounds of one run.
public struct AgentLimits: Sendable {
    /// Model calls before the run stops.
    public var maxTurns: Int
    /// How often the same tool with the same arguments may run in a row.
    public var maxToolRepetitions: Int

    public init(maxTurns: Int = 1000, maxToolRepetitions: Int = 3) {
        self.maxTurns = maxTurns
        self.maxToolRepetitions = maxToolRepetitions
    }
}
