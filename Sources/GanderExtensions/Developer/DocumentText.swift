import Foundation
import GanderCore
import GanderHost

/// The text of a document the editor cannot show as lines of text: a PDF through poppler-utils' `pdftotext`, page by
/// page, with its layout kept so tables stay in columns.
enum DocumentText {
    static func isPDF(_ url: URL) -> Bool {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return false }
        defer { try? handle.close() }
        return (try? handle.read(upToCount: 5)) == Data("%PDF-".utf8)
    }

    /// The PDF's text with a heading per page, or the one line that says why there is none.
    static func pdf(_ url: URL, limits: OutputLimits) async -> ToolOutput {
        guard let tool = ProcessLauncher.find("pdftotext", path: ProcessLauncher.searchPath) else {
            return .error("\(url.path) is a PDF, and reading one needs pdftotext from poppler-utils "
                + "(Debian and Ubuntu: sudo apt-get install poppler-utils; macOS: brew install poppler).")
        }
        let run: ProcessLauncher.Finished
        do {
            run = try await ProcessLauncher.run(tool, ["-layout", "-enc", "UTF-8", url.path, "-"], timeout: .seconds(60))
        } catch {
            return .error("\(url.path): could not run pdftotext (\(error.localizedDescription)).")
        }
        guard run.succeeded else {
            let reason = run.timedOut ? "pdftotext took more than 60 s" : run.firstErrorLine ?? "pdftotext exited with status \(run.status)"
            return .error("\(url.path) could not be read as a PDF: \(reason)")
        }
        var pages = String(decoding: run.output, as: UTF8.self).components(separatedBy: "\u{0C}")
        if pages.last?.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty == true { pages.removeLast() }
        var text = "\(url.path): PDF, \(pages.count) page\(pages.count == 1 ? "" : "s")"
        if pages.allSatisfy({ $0.trimmingCharacters(in: .whitespacesAndNewlines).isEmpty }) {
            text += ", with no text layer (a scanned document?); nothing to show as text."
        }
        for (index, page) in pages.enumerated() {
            let body = page.split(separator: "\n", omittingEmptySubsequences: false)
                .map { $0.replacingOccurrences(of: "\\s+$", with: "", options: .regularExpression) }
                .joined(separator: "\n").trimmingCharacters(in: .newlines)
            text += "\n\n--- page \(index + 1) ---\n" + body
            if text.utf8.count > limits.maxBytes {
                text = String(text.prefix(limits.maxBytes))
                text += "\n[… cut after page \(index + 1) of \(pages.count); `pdftotext -f N -l M \(url.path) -` shows other pages]"
                break
            }
        }
        let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
        return ToolOutput(content: [.text(text)],
                          sources: [FileSpan(path: WorkspaceBoundary.physicalPath(of: url.path), start: 0, end: size)])
    }
}
