import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// A TCP port on 127.0.0.1 that a fixture server the tests started is about to listen on.
public enum LoopbackPort {
    /// A port nothing listens on now, as the kernel hands one out for a socket bound to port 0, for a fixture server
    /// that takes its port as an argument. A port picked at random can be one a connection of the machine already
    /// uses (the random range met the ephemeral one), which made a server fail to start or a test talk to another's.
    public static func free() -> Int {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = 0
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        var length = socklen_t(MemoryLayout<sockaddr_in>.size)
        let bound = withUnsafeMutablePointer(to: &address) { pointer in
            pointer.withMemoryRebound(to: sockaddr.self, capacity: 1) { raw in
                bind(socket, raw, length) == 0 && getsockname(socket, raw, &length) == 0
            }
        }
        precondition(bound, "no loopback port could be bound: \(String(cString: strerror(errno)))")
        return Int(UInt16(bigEndian: address.sin_port))
    }

    /// Waits until something accepts connections on `port`, trying every tenth of a second `attempts` times;
    /// false when nothing ever did.
    @discardableResult
    public static func waitUntilListening(_ port: Int, attempts: Int = 300) async throws -> Bool {
        for _ in 0..<attempts {
            if accepts(port) { return true }
            try await Task.sleep(for: .milliseconds(100))
        }
        return false
    }

    /// Starts a fixture server that binds port 0 and prints the port it got as its first line, and returns that port.
    /// Unlike a port picked here and handed over, nothing can take it in between.
    public static func announced(by process: Process, within timeout: Duration = .seconds(120)) async throws -> Int {
        let line = try await ChildCommand.firstLine(of: process, within: timeout)
        guard let line, let port = Int(line.trimmingCharacters(in: .whitespaces)) else {
            if process.isRunning { kill(process.processIdentifier, SIGKILL) }
            throw FixtureServerDidNotStart(program: process.arguments?.first ?? process.executableURL?.path ?? "?")
        }
        return port
    }

    public struct FixtureServerDidNotStart: Error, CustomStringConvertible {
        public let program: String
        public var description: String { "the fixture server \(program) did not announce a port" }
    }

    private static func accepts(_ port: Int) -> Bool {
        let socket = Glibc.socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
        defer { close(socket) }
        var address = sockaddr_in()
        address.sin_family = sa_family_t(AF_INET)
        address.sin_port = in_port_t(UInt16(port).bigEndian)
        address.sin_addr.s_addr = inet_addr("127.0.0.1")
        return withUnsafePointer(to: &address) {
            $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(socket, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
        } == 0
    }
}
