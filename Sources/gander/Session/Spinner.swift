import Foundation

/// Shows that Gander is waiting for the model, on a terminal only. Every frame is drawn under the terminal's lock
/// and only while running, so a stopped spinner never leaves a stray frame.
final class Spinner: @unchecked Sendable {
    private let terminal: Terminal
    private let lock = NSLock()
    private var task: Task<Void, Never>?
    private var drawn = false
    private static let frames = ["⠋", "⠙", "⠹", "⠸", "⠼", "⠴", "⠦", "⠧", "⠇", "⠏"]

    init(terminal: Terminal) {
        self.terminal = terminal
    }

    func start(_ label: String, style: Style) {
        guard terminal.outputIsTerminal else { return }
        lock.withLock {
            guard task == nil else { return }
            task = Task { [weak self] in
                var frame = 0
                while !Task.isCancelled {
                    self?.draw(style.cyan(Self.frames[frame % Self.frames.count]) + " " + style.dim(label))
                    frame += 1
                    try? await Task.sleep(for: .milliseconds(80))
                }
            }
        }
    }

    private func draw(_ text: String) {
        lock.withLock {
            guard task != nil, !Task.isCancelled else { return }
            terminal.write("\r" + text + "\u{1B}[K")
            drawn = true
        }
    }

    /// Stops and clears the spinner's line; safe to call when it is not running.
    func stop() {
        lock.withLock {
            task?.cancel()
            task = nil
            if drawn { terminal.write("\r\u{1B}[K") }
            drawn = false
        }
    }
}
