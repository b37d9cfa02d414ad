import Foundation
import GRDB

/// Why the session store could not do what was asked, in words that say what to do next.
public enum StoreError: Error, CustomStringConvertible, Equatable {
    case damaged(path: String, detail: String)
    case locked(path: String)
    case unwritable(path: String, detail: String)
    case sessionNotFound(String)
    case ambiguous(String, matches: [String])
    case failed(String)
    /// A schedule asked for is not there, or one to add is: the sentence says which and what to do.
    case notFound(String)
    case duplicate(String)

    public var description: String {
        switch self {
        case .damaged(let path, let detail):
            "the session database \(path) is damaged (\(detail)); move it aside and Gander will start a new one, "
                + "or set GANDER_DATA_DIR to use another"
        case .locked(let path):
            "the session database \(path) stayed locked by another program; close it (an open `sqlite3` shell?) and try again"
        case .unwritable(let path, let detail):
            "cannot open the session database \(path) (\(detail)); check that its directory is writable, "
                + "or set GANDER_DATA_DIR to another place"
        case .sessionNotFound(let key):
            "no session \"\(key)\"; `gander sessions list` shows the ones there are"
        case .ambiguous(let key, let matches):
            "\"\(key)\" could be any of \(matches.joined(separator: ", ")); give more of the id"
        case .failed(let detail):
            "the session database failed: \(detail)"
        case .notFound(let sentence), .duplicate(let sentence):
            sentence
        }
    }

    /// Turns SQLite's error into one that says what to do.
    static func from(_ error: any Error, path: String) -> StoreError {
        if let error = error as? StoreError { return error }
        guard let error = error as? DatabaseError else { return .failed(String(describing: error)) }
        let detail = error.message ?? "SQLite error \(error.resultCode.rawValue)"
        switch error.resultCode.primaryResultCode {
        case .SQLITE_NOTADB, .SQLITE_CORRUPT, .SQLITE_FORMAT: return .damaged(path: path, detail: detail)
        case .SQLITE_BUSY, .SQLITE_LOCKED: return .locked(path: path)
        case .SQLITE_CANTOPEN, .SQLITE_READONLY, .SQLITE_PERM, .SQLITE_AUTH, .SQLITE_IOERR, .SQLITE_FULL:
            return .unwritable(path: path, detail: detail)
        default: return .failed(detail)
        }
    }
}
