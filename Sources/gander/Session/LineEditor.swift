import Foundation

/// What one read at the prompt gave.
enum LineInput: Equatable {
    case line(String)
    /// Ctrl-C; `discarded` is whether it threw away typed text (rather than landing on an empty line).
    case interrupted(discarded: Bool)
    /// Ctrl-D on an empty line, or the input closed.
    case endOfInput
}

/// Reads a line with editing keys, history and multi-line input (Ctrl-J, or a line ending in `\`). On a terminal it
/// draws the input itself in raw mode; otherwise it reads plain lines, so piped input works too.
final class LineEditor {
    private let terminal: Terminal
    private let history: InputHistory
    private let continuationPrompt = "… "

    init(terminal: Terminal, history: InputHistory) {
        self.terminal = terminal
        self.history = history
    }

    /// Reads one entry; `prompt` is shown before it and `promptWidth` is its width in columns. Entries join the
    /// history when `remember` is set.
    func read(prompt: String, promptWidth: Int, remember: Bool = true) -> LineInput {
        let input = terminal.inputIsTerminal ? readEdited(prompt: prompt, promptWidth: promptWidth) : readPlain(prompt: prompt)
        if remember, case .line(let text) = input { history.add(text) }
        return input
    }

    // MARK: Plain input

    private func readPlain(prompt: String) -> LineInput {
        terminal.write(prompt)
        var lines: [String] = []
        while let line = Swift.readLine(strippingNewline: true) {
            if line.hasSuffix("\\") {
                lines.append(String(line.dropLast()))
                continue
            }
            lines.append(line)
            return .line(lines.joined(separator: "\n"))
        }
        return lines.isEmpty ? .endOfInput : .line(lines.joined(separator: "\n"))
    }

    // MARK: Edited input

    private struct Buffer {
        var characters: [Character] = []
        var cursor = 0

        var text: String { String(characters) }

        mutating func set(_ text: String) {
            characters = Array(text)
            cursor = characters.count
        }

        mutating func insert(_ text: String) {
            let inserted = Array(text)
            characters.insert(contentsOf: inserted, at: cursor)
            cursor += inserted.count
        }

        /// The start and end of the line the cursor is on.
        var lineBounds: (Int, Int) {
            let start = characters[..<cursor].lastIndex(of: "\n").map { $0 + 1 } ?? 0
            let end = characters[cursor...].firstIndex(of: "\n") ?? characters.count
            return (start, end)
        }
    }

    private func readEdited(prompt: String, promptWidth: Int) -> LineInput {
        terminal.enterEditingMode()
        defer { terminal.enterTurnMode() }
        var buffer = Buffer()
        var historyIndex = history.entries.count
        var draft = ""
        var renderer = InputRenderer(prompt: prompt, promptWidth: promptWidth, continuation: continuationPrompt,
                                     terminal: terminal)
        renderer.draw(buffer.characters, cursor: buffer.cursor)

        while let byte = terminal.readByte() {
            switch byte {
            case 0x0D:  // Enter
                if buffer.characters.last == "\\", buffer.cursor == buffer.characters.count {
                    buffer.characters.removeLast()
                    buffer.cursor -= 1
                    buffer.insert("\n")
                } else {
                    renderer.finish(buffer.characters)
                    return .line(buffer.text)
                }
            case 0x0A: buffer.insert("\n")  // Ctrl-J
            case 0x03:  // Ctrl-C
                renderer.finish(buffer.characters, marker: buffer.characters.isEmpty ? "" : " ^C")
                return .interrupted(discarded: !buffer.characters.isEmpty)
            case 0x04:  // Ctrl-D
                if buffer.characters.isEmpty {
                    renderer.finish(buffer.characters)
                    return .endOfInput
                }
                if buffer.cursor < buffer.characters.count { buffer.characters.remove(at: buffer.cursor) }
            case 0x7F, 0x08:  // Backspace
                if buffer.cursor > 0 {
                    buffer.cursor -= 1
                    buffer.characters.remove(at: buffer.cursor)
                }
            case 0x01: buffer.cursor = buffer.lineBounds.0  // Ctrl-A
            case 0x05: buffer.cursor = buffer.lineBounds.1  // Ctrl-E
            case 0x02: buffer.cursor = max(0, buffer.cursor - 1)  // Ctrl-B
            case 0x06: buffer.cursor = min(buffer.characters.count, buffer.cursor + 1)  // Ctrl-F
            case 0x0B: buffer.characters.removeSubrange(buffer.cursor..<buffer.lineBounds.1)  // Ctrl-K
            case 0x15:  // Ctrl-U
                let start = buffer.lineBounds.0
                buffer.characters.removeSubrange(start..<buffer.cursor)
                buffer.cursor = start
            case 0x17:  // Ctrl-W
                var start = buffer.cursor
                while start > 0, buffer.characters[start - 1] == " " { start -= 1 }
                while start > 0, buffer.characters[start - 1] != " ", buffer.characters[start - 1] != "\n" { start -= 1 }
                buffer.characters.removeSubrange(start..<buffer.cursor)
                buffer.cursor = start
            case 0x0C:  // Ctrl-L
                terminal.write("\u{1B}[H\u{1B}[2J")
                renderer.reset()
            case 0x10: recall(-1, &buffer, &historyIndex, &draft)  // Ctrl-P
            case 0x0E: recall(1, &buffer, &historyIndex, &draft)  // Ctrl-N
            case 0x1B:
                switch readEscape() {
                case "[A", "OA": recall(-1, &buffer, &historyIndex, &draft)
                case "[B", "OB": recall(1, &buffer, &historyIndex, &draft)
                case "[C", "OC": buffer.cursor = min(buffer.characters.count, buffer.cursor + 1)
                case "[D", "OD": buffer.cursor = max(0, buffer.cursor - 1)
                case "[H", "OH", "[1~", "[7~": buffer.cursor = buffer.lineBounds.0
                case "[F", "OF", "[4~", "[8~": buffer.cursor = buffer.lineBounds.1
                case "[3~":
                    if buffer.cursor < buffer.characters.count { buffer.characters.remove(at: buffer.cursor) }
                case "[200~": buffer.insert(readPaste())
                default: break
                }
            case 0x20...0x7E, 0xC0...0xFF:
                buffer.insert(readCharacter(startingWith: byte))
            case 0x09:
                buffer.insert("    ")
            default:
                break
            }
            renderer.draw(buffer.characters, cursor: buffer.cursor)
        }
        renderer.finish(buffer.characters)
        return buffer.characters.isEmpty ? .endOfInput : .line(buffer.text)
    }

    private func recall(_ step: Int, _ buffer: inout Buffer, _ index: inout Int, _ draft: inout String) {
        let entries = history.entries
        let target = index + step
        guard target >= 0, target <= entries.count else { return }
        if index == entries.count { draft = buffer.text }
        index = target
        buffer.set(target == entries.count ? draft : entries[target])
    }

    /// The rest of an escape sequence after ESC: `[` or `O`, parameters, and a final letter or `~`.
    private func readEscape() -> String {
        guard let first = terminal.readByte() else { return "" }
        var sequence = String(UnicodeScalar(first))
        guard first == UInt8(ascii: "[") || first == UInt8(ascii: "O") else { return sequence }
        while let byte = terminal.readByte() {
            sequence.append(Character(UnicodeScalar(byte)))
            if (0x40...0x7E).contains(byte) { break }
        }
        return sequence
    }

    /// A whole UTF-8 character whose first byte is `lead`.
    private func readCharacter(startingWith lead: UInt8) -> String {
        var bytes = [lead]
        let extra = lead >= 0xF0 ? 3 : lead >= 0xE0 ? 2 : lead >= 0xC0 ? 1 : 0
        for _ in 0..<extra {
            guard let byte = terminal.readByte() else { break }
            bytes.append(byte)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    /// Text between the bracketed-paste markers, newlines kept as text.
    private func readPaste() -> String {
        var bytes: [UInt8] = []
        let end = Array("\u{1B}[201~".utf8)
        while let byte = terminal.readByte() {
            bytes.append(byte)
            if bytes.count >= end.count, Array(bytes.suffix(end.count)) == end {
                bytes.removeLast(end.count)
                break
            }
        }
        return String(decoding: bytes, as: UTF8.self).replacingOccurrences(of: "\r\n", with: "\n")
            .replacingOccurrences(of: "\r", with: "\n")
    }
}

/// Draws the input being edited, wrapped to the terminal's width, and puts the cursor where it belongs.
private struct InputRenderer {
    let prompt: String
    let promptWidth: Int
    let continuation: String
    let terminal: Terminal
    /// The row of the cursor, counted from the first row of the input, as last drawn.
    private var cursorRow = 0

    init(prompt: String, promptWidth: Int, continuation: String, terminal: Terminal) {
        self.prompt = prompt
        self.promptWidth = promptWidth
        self.continuation = continuation
        self.terminal = terminal
    }

    mutating func reset() {
        cursorRow = 0
    }

    mutating func draw(_ characters: [Character], cursor: Int) {
        let width = max(terminal.width, 10)
        var out = cursorRow > 0 ? "\u{1B}[\(cursorRow)A" : ""
        out += "\r\u{1B}[J" + prompt
        // Walk the text, tracking the row and column each character lands on.
        var row = 0
        var column = promptWidth
        var cursorPosition = (row: 0, column: promptWidth)
        for (index, character) in characters.enumerated() {
            if index == cursor { cursorPosition = (row, column) }
            if character == "\n" {
                out += "\r\n" + continuation
                row += 1
                column = continuation.count
                continue
            }
            if column == width {
                row += 1
                column = 0
            }
            out.append(character)
            column += 1
        }
        if cursor >= characters.count { cursorPosition = (row, column) }
        if cursorPosition.column == width {
            cursorPosition = (cursorPosition.row + 1, 0)
        }
        // A line that exactly fills the width leaves the terminal waiting to wrap; force the wrap so the
        // arithmetic below holds.
        if column == width {
            out += "\r\n"
            row += 1
        }
        let up = row - cursorPosition.row
        if up > 0 { out += "\u{1B}[\(up)A" }
        out += "\r"
        if cursorPosition.column > 0 { out += "\u{1B}[\(cursorPosition.column)C" }
        cursorRow = cursorPosition.row
        terminal.write(out)
    }

    /// Leaves the input drawn in full with the cursor below it.
    mutating func finish(_ characters: [Character], marker: String = "") {
        draw(characters, cursor: characters.count)
        terminal.write(marker + "\r\n")
        cursorRow = 0
    }
}
