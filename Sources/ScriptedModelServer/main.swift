import Foundation
import GanderTestSupport

// Serves a script of model replies for benchmarks and manual trials:
//   scripted-model-server FORMAT SCRIPT.json [PORT]
// FORMAT is openai, anthropic or ollama; SCRIPT.json is an array of replies (see ScriptedReply). Prints the base URL
// on its first line of output, then serves until killed.
let arguments = CommandLine.arguments
guard arguments.count >= 3, let format = ScriptedWireFormat(rawValue: arguments[1]) else {
    FileHandle.standardError.write(Data("usage: scripted-model-server openai|anthropic|ollama SCRIPT.json [PORT]\n".utf8))
    exit(2)
}
do {
    let data = try Data(contentsOf: URL(fileURLWithPath: arguments[2]))
    let replies = try JSONDecoder().decode([ScriptedReply].self, from: data)
    let port = arguments.count > 3 ? Int(arguments[3]) ?? 0 : 0
    let server = try await ScriptedModelServer(format: format, replies: replies, port: port)
    FileHandle.standardOutput.write(Data((server.baseURL + "\n").utf8))
    while true { try await Task.sleep(for: .seconds(3600)) }
} catch {
    FileHandle.standardError.write(Data("scripted-model-server: \(error)\n".utf8))
    exit(1)
}
