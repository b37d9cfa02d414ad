import GanderCore

/// An extension with only some of its tools offered: a recipe's `available_tools`.
public struct ToolSubset: Extension {
    let base: any Extension
    let kept: Set<String>

    public init(_ base: any Extension, keeping names: [String]) {
        self.base = base
        kept = Set(names)
    }

    public var name: String { base.name }
    public var instructions: String { base.instructions }

    public func tools() async throws -> [any ToolHandler] {
        try await base.tools().filter { kept.contains($0.spec.name) }
    }

    public func shutdown() async { await base.shutdown() }
    public func notices() async -> [String] { await base.notices() }
}
