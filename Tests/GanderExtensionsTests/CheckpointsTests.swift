import Foundation
@testable import GanderExtensions
import GanderTestSupport
import Testing

@Suite("checkpoints of one folder taken at once")
struct CheckpointsTests {
    /// `gander serve` runs many sessions in one folder, and several Gander processes may work in one: their
    /// checkpoints share the folder's shadow repository and its one index.
    @Test("eight checkpoints of one folder taken at the same moment all succeed, each recorded")
    func concurrentCheckpoints() async throws {
        let tree = try TemporaryDirectory(prefix: "gander-tree")
        let data = try TemporaryDirectory(prefix: "gander-data")
        defer { tree.remove(); data.remove() }
        for index in 0..<40 { try tree.write("src/file\(index).txt", String(repeating: "line \(index)\n", count: 50)) }
        let checkpoints = Checkpoints(workTree: tree.url, dataDirectory: data.url)

        let failures = await withTaskGroup(of: String?.self) { group in
            for index in 0..<8 {
                group.addTask {
                    do {
                        _ = try await checkpoints.take(session: "s\(index)", instruction: "turn \(index)")
                        return nil
                    } catch {
                        return String(describing: error)
                    }
                }
            }
            return await group.reduce(into: [String]()) { if let failure = $1 { $0.append(failure) } }
        }
        #expect(failures.isEmpty, "\(failures)")
        #expect(try await checkpoints.list().count == 8)
    }
}
