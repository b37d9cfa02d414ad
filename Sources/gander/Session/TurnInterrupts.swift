import Dispatch
import Foundation
import GanderCore

/// Ctrl-C while a turn runs (the terminal then sends SIGINT) stops that turn and nothing more. At the prompt the
/// line editor reads Ctrl-C as a key instead.
final class TurnInterrupts: @unchecked Sendable {
    private let lock = NSLock()
    private var run: AgentRun?
    private let source: any DispatchSourceSignal

    init() {
        signal(SIGINT, SIG_IGN)
        source = DispatchSource.makeSignalSource(signal: SIGINT, queue: .global())
        source.setEventHandler { [weak self] in
            guard let self else { return }
            lock.withLock { run }?.cancel()
        }
        source.resume()
    }

    /// The turn a Ctrl-C would stop.
    var active: AgentRun? {
        get { lock.withLock { run } }
        set { lock.withLock { run = newValue } }
    }

    func stop() {
        source.cancel()
        signal(SIGINT, SIG_DFL)
    }
}
