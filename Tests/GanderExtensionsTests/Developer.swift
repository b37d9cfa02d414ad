import Foundation
import GanderCore
@testable import GanderExtensions
import GanderTestSupport

/// The developer extension working in a fresh directory.
struct DeveloperFixture {
    let directory: TemporaryDirectory
    let outputs: TemporaryDirectory
    let developer: DeveloperExtension
    let context: ToolContext

    init(limits: OutputLimits = OutputLimits(),
         commandEnvironment: [String: String] = ProcessInfo.processInfo.environment) throws {
        directory = try TemporaryDirectory(prefix: "gander-dev")
        outputs = try TemporaryDirectory(prefix: "gander-out")
        developer = DeveloperExtension(limits: limits, outputDirectory: outputs.url, commandEnvironment: commandEnvironment)
        context = ToolContext(workingDirectory: directory.url)
    }

    func call(_ tool: String, _ arguments: [String: JSONValue]) async -> ToolOutput {
        await developer.call(tool: tool, arguments: arguments, context: context)
    }

    func edit(_ arguments: [String: JSONValue]) async -> ToolOutput { await call("text_editor", arguments) }

    func remove() {
        directory.remove()
        outputs.remove()
    }
}

extension ToolOutput {
    var text: String {
        content.map { if case .text(let text) = $0 { text } else { "" } }.joined()
    }
}

