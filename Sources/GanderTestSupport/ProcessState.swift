import Foundation

/// Whether a process is still running. A killed process whose parent has not reaped it yet is a zombie: it no longer
/// runs, though `kill(pid, 0)` still finds it.
public func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return kill(pid, 0) == 0 }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}

/// Whether a process of this machine has `text` in its command line (its arguments joined by NUL bytes): for finding
/// a command from outside a sandbox whose PID namespace gives it other numbers.
public func isRunning(commandLineContaining text: String) -> Bool {
    let entries = (try? FileManager.default.contentsOfDirectory(atPath: "/proc")) ?? []
    return entries.filter { Int($0) != nil }.contains { pid in
        let line = (try? Data(contentsOf: URL(fileURLWithPath: "/proc/\(pid)/cmdline"))).map { String(decoding: $0, as: UTF8.self) }
        return line?.contains(text) == true
    }
}
