import Foundation

/// The controlling terminal: its modes, its width, and one lock for everything written to it, so the spinner,
/// the answer and prompts never interleave.
final class Terminal: @unchecked Sendable {
    let inputIsTerminal = isatty(STDIN_FILENO) == 1
    let outputIsTerminal = isatty(STDOUT_FILENO) == 1
    /// Modes and bracketed paste only make sense when both ends are the terminal.
    private var interactive: Bool { inputIsTerminal && outputIsTerminal && original != nil }
    private let lock = NSLock()
    private var original: termios?

    init() {
        if inputIsTerminal {
            var settings = termios()
            if tcgetattr(STDIN_FILENO, &settings) == 0 { original = settings }
        }
    }

    /// Columns, for wrapping arithmetic; 80 when the output is not a terminal.
    var width: Int {
        var size = winsize()
        if ioctl(STDOUT_FILENO, UInt(TIOCGWINSZ), &size) == 0, size.ws_col > 0 { return Int(size.ws_col) }
        return 80
    }

    /// Byte-at-a-time input with no echo and no signals: the line editor handles every key, Ctrl-C included.
    func enterEditingMode() {
        guard interactive else { return }
        configure { settings in
            settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG | IEXTEN)
            settings.c_iflag &= ~tcflag_t(IXON | ICRNL | INLCR)
        }
        write("\u{1B}[?2004h")  // bracketed paste: a pasted newline is text, not Enter
    }

    /// While a turn runs: keys are not echoed over the answer, and Ctrl-C raises SIGINT, which stops the turn.
    /// Enter typed ahead stays a carriage return, so the editor still reads it as Enter and not as Ctrl-J.
    func enterTurnMode() {
        guard interactive else { return }
        write("\u{1B}[?2004l")
        configure { settings in
            settings.c_lflag &= ~tcflag_t(ICANON | ECHO)
            settings.c_lflag |= tcflag_t(ISIG)
            settings.c_iflag &= ~tcflag_t(ICRNL | INLCR)
        }
    }

    /// Puts the terminal back the way the user had it.
    func restore() {
        guard interactive, var original else { return }
        write("\u{1B}[?2004l")
        tcsetattr(STDIN_FILENO, TCSADRAIN, &original)
    }

    private func configure(_ change: (inout termios) -> Void) {
        guard var settings = original else { return }
        change(&settings)
        withUnsafeMutablePointer(to: &settings.c_cc) { pointer in
            pointer.withMemoryRebound(to: cc_t.self, capacity: Int(NCCS)) { controls in
                controls[Int(VMIN)] = 1
                controls[Int(VTIME)] = 0
            }
        }
        tcsetattr(STDIN_FILENO, TCSADRAIN, &settings)
    }

    func write(_ text: String) {
        lock.withLock { Self.writeAll(Array(text.utf8)) }
    }

    /// Runs `body` with the output to itself, for a sequence that must not be split.
    func exclusively(_ body: () -> Void) {
        lock.withLock(body)
    }

    /// Writes inside `exclusively`.
    func writeLocked(_ text: String) {
        Self.writeAll(Array(text.utf8))
    }

    private static func writeAll(_ bytes: [UInt8]) {
        var offset = 0
        while offset < bytes.count {
            let written = bytes[offset...].withUnsafeBytes { Foundation.write(STDOUT_FILENO, $0.baseAddress, $0.count) }
            if written < 0 {
                if errno == EINTR { continue }
                return
            }
            offset += written
        }
    }

    /// A line typed without echo, for a key; Enter ends it, Ctrl-C or the end of input cancels.
    func readHidden(prompt: String) throws -> String {
        write(prompt)
        let wasEditing = original != nil
        if wasEditing {
            configure { settings in
                settings.c_lflag &= ~tcflag_t(ICANON | ECHO | ISIG)
                settings.c_iflag &= ~tcflag_t(ICRNL | INLCR)
            }
        }
        var bytes: [UInt8] = []
        defer { write("\n") }
        while let byte = readByte() {
            switch byte {
            case 0x0D, 0x0A: return String(decoding: bytes, as: UTF8.self).trimmingCharacters(in: .whitespaces)
            case 0x03, 0x04: throw InputError("set-up cancelled; nothing was saved")
            case 0x7F, 0x08: if !bytes.isEmpty { bytes.removeLast() }
            case 0x1B: continue  // bracketed-paste markers and arrow keys are not part of a key
            default: bytes.append(byte)
            }
        }
        throw InputError("set-up cancelled; nothing was saved")
    }

    /// One byte of input; nil at end of input.
    func readByte() -> UInt8? {
        var byte: UInt8 = 0
        while true {
            let count = Foundation.read(STDIN_FILENO, &byte, 1)
            if count == 1 { return byte }
            if count < 0, errno == EINTR { continue }
            return nil
        }
    }
}
