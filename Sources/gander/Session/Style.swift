/// ANSI styling, or none when `NO_COLOR` is set or the output is not a terminal.
struct Style: Sendable {
    let enabled: Bool

    init(enabled: Bool) {
        self.enabled = enabled
    }

    init(environment: [String: String], outputIsTerminal: Bool) {
        let noColor = environment["NO_COLOR"].map { !$0.isEmpty } ?? false
        enabled = outputIsTerminal && !noColor && environment["TERM"] != "dumb"
    }

    private func wrap(_ text: String, _ on: String, _ off: String) -> String {
        enabled ? "\u{1B}[\(on)m\(text)\u{1B}[\(off)m" : text
    }

    func bold(_ text: String) -> String { wrap(text, "1", "22") }
    func dim(_ text: String) -> String { wrap(text, "2", "22") }
    func italic(_ text: String) -> String { wrap(text, "3", "23") }
    func underline(_ text: String) -> String { wrap(text, "4", "24") }
    func red(_ text: String) -> String { wrap(text, "31", "39") }
    func green(_ text: String) -> String { wrap(text, "32", "39") }
    func yellow(_ text: String) -> String { wrap(text, "33", "39") }
    func blue(_ text: String) -> String { wrap(text, "34", "39") }
    func magenta(_ text: String) -> String { wrap(text, "35", "39") }
    func cyan(_ text: String) -> String { wrap(text, "36", "39") }
}
