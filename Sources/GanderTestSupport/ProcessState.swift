import Foundation

/// Whether a process is still running. A killed process whose parent has not reaped it yet is a zombie: it no longer
/// runs, though `kill(pid, 0)` still finds it.
public func isRunning(_ pid: Int32) -> Bool {
    guard let stat = try? String(contentsOfFile: "/proc/\(pid)/stat", encoding: .utf8) else { return kill(pid, 0) == 0 }
    guard let close = stat.lastIndex(of: ")") else { return true }
    let state = stat[stat.index(close, offsetBy: 2)]
    return state != "Z" && state != "X"
}
