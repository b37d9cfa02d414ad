import Foundation
import GanderCore
import ZIPFoundation

/// The text and tables of a Word (DOCX) or Excel (XLSX) file: both are zip archives of XML, read with ZIPFoundation
/// and parsed with the same forgiving markup parser as web pages (element names keep their `w:` prefixes).
enum OfficeDocument {
    enum Kind {
        case word, spreadsheet
    }

    /// Which kind of office file this is, by the parts its archive holds; nil for anything else.
    static func kind(of url: URL) -> Kind? {
        guard let handle = try? FileHandle(forReadingFrom: url) else { return nil }
        defer { try? handle.close() }
        guard (try? handle.read(upToCount: 4)) == Data([0x50, 0x4B, 0x03, 0x04]),
              let archive = try? Archive(url: url, accessMode: .read, pathEncoding: nil)
        else { return nil }
        if archive["word/document.xml"] != nil { return .word }
        if archive["xl/workbook.xml"] != nil { return .spreadsheet }
        return nil
    }

    /// The document as Markdown-ish text for the model, or one line that says why it cannot be read.
    static func text(of url: URL, kind: Kind, limits: OutputLimits) -> ToolOutput {
        do {
            let archive = try Archive(url: url, accessMode: .read, pathEncoding: nil)
            var text = switch kind {
            case .word: try word(archive)
            case .spreadsheet: try spreadsheet(archive)
            }
            let label = kind == .word ? "Word document" : "spreadsheet"
            if text.utf8.count > limits.maxBytes {
                text = String(text.prefix(limits.maxBytes)) + "\n[… cut at \(OutputExcerpt.formatBytes(limits.maxBytes))]"
            }
            let size = (try? FileManager.default.attributesOfItem(atPath: url.path)[.size] as? Int) ?? 0
            return ToolOutput(content: [.text("\(url.path): \(label)\n\n" + text)],
                              sources: [FileSpan(path: WorkspaceBoundary.physicalPath(of: url.path), start: 0, end: size)])
        } catch {
            return .error("\(url.path) could not be read as a \(kind == .word ? "DOCX" : "XLSX") file: \(error)")
        }
    }

    private struct MissingPart: Error, CustomStringConvertible {
        let part: String
        var description: String { "it has no \(part)" }
    }

    private static func part(_ path: String, of archive: Archive, required: Bool = true) throws -> HTMLNode? {
        guard let entry = archive[path] else {
            if required { throw MissingPart(part: path) }
            return nil
        }
        var data = Data()
        _ = try archive.extract(entry, skipCRC32: true) { data.append($0) }
        return HTMLDocument.parse(data).root
    }

    // MARK: Word

    private static func word(_ archive: Archive) throws -> String {
        let document = try part("word/document.xml", of: archive)!
        let body = document.first { $0.name == "w:body" } ?? document
        return MarkdownRenderer.tidy(body.children.compactMap(wordBlock).joined(separator: "\n\n"))
    }

    private static func wordBlock(_ node: HTMLNode) -> String? {
        switch node.name {
        case "w:p":
            let text = paragraphText(node)
            guard !text.isEmpty else { return nil }
            let style = node.first { $0.name == "w:pstyle" }?.attributes["w:val"]?.lowercased() ?? ""
            if style.hasPrefix("heading"), let level = Int(style.dropFirst("heading".count)), (1...6).contains(level) {
                return String(repeating: "#", count: level) + " " + text
            }
            if style == "title" { return "# " + text }
            if node.first(where: { $0.name == "w:numpr" }) != nil { return "- " + text }
            return text
        case "w:tbl":
            let rows = node.children.filter { $0.name == "w:tr" }.map { row in
                row.children.filter { $0.name == "w:tc" }.map { cell in
                    cell.all { $0.name == "w:p" }.map(paragraphText).filter { !$0.isEmpty }.joined(separator: " ")
                }
            }
            return table(rows)
        case "w:sdt":
            let content = node.first { $0.name == "w:sdtcontent" }?.children ?? []
            let blocks = content.compactMap(wordBlock)
            return blocks.isEmpty ? nil : blocks.joined(separator: "\n\n")
        default:
            return nil
        }
    }

    /// A paragraph's runs joined, with its tabs and line breaks.
    private static func paragraphText(_ paragraph: HTMLNode) -> String {
        var text = ""
        func visit(_ node: HTMLNode) {
            switch node.name {
            case "w:t": text += node.textContent
            case "w:tab": text += "\t"
            case "w:br", "w:cr": text += "\n"
            case "w:instrtext", "w:deltext": return
            default: node.children.forEach(visit)
            }
        }
        visit(paragraph)
        return text.trimmingCharacters(in: .whitespaces)
    }

    // MARK: Excel

    /// Each sheet as a table, in the workbook's order, up to `maxRows` rows each.
    private static func spreadsheet(_ archive: Archive, maxRows: Int = 500) throws -> String {
        let workbook = try part("xl/workbook.xml", of: archive)!
        let relations = try part("xl/_rels/workbook.xml.rels", of: archive, required: false)
        var targets: [String: String] = [:]
        for relation in relations?.all(where: { $0.name == "relationship" }) ?? [] {
            if let id = relation.attributes["id"], let target = relation.attributes["target"] { targets[id] = target }
        }
        let shared = try part("xl/sharedStrings.xml", of: archive, required: false)?.all { $0.name == "si" }.map { item in
            item.all { $0.name == "t" }.map(\.textContent).joined()
        } ?? []
        var sections: [String] = []
        for (index, sheet) in workbook.all(where: { $0.name == "sheet" }).enumerated() {
            let name = sheet.attributes["name"] ?? "Sheet\(index + 1)"
            var path = sheet.attributes["r:id"].flatMap { targets[$0] } ?? "worksheets/sheet\(index + 1).xml"
            path = path.hasPrefix("/") ? String(path.dropFirst()) : "xl/" + path
            guard let worksheet = try part(path, of: archive, required: false) else { continue }
            let allRows = worksheet.all { $0.name == "row" }
            var rows: [[String]] = []
            for row in allRows.prefix(maxRows) {
                var cells: [String] = []
                for cell in row.children where cell.name == "c" {
                    let column = cell.attributes["r"].map(columnIndex) ?? cells.count
                    while cells.count < column { cells.append("") }
                    cells.append(value(of: cell, shared: shared))
                }
                rows.append(cells)
            }
            var section = "## \(name)\n\n" + (table(rows) ?? "(empty)")
            if allRows.count > maxRows { section += "\n[… \(allRows.count - maxRows) more rows not shown]" }
            sections.append(section)
        }
        return sections.joined(separator: "\n\n")
    }

    /// `C7` → 2.
    private static func columnIndex(_ reference: String) -> Int {
        reference.prefix { $0.isLetter }.uppercased().unicodeScalars.reduce(0) { $0 * 26 + Int($1.value) - 64 } - 1
    }

    private static func value(of cell: HTMLNode, shared: [String]) -> String {
        let raw = cell.first { $0.name == "v" }?.textContent ?? ""
        switch cell.attributes["t"] {
        case "s": return Int(raw).flatMap { shared.indices.contains($0) ? shared[$0] : nil } ?? raw
        case "inlineStr": return cell.all { $0.name == "t" }.map(\.textContent).joined()
        case "b": return raw == "1" ? "TRUE" : "FALSE"
        default: return raw
        }
    }

    private static func table(_ rows: [[String]]) -> String? {
        let rows = rows.map { $0.map { $0.replacingOccurrences(of: "|", with: "\\|").replacingOccurrences(of: "\n", with: " ") } }
            .filter { !$0.allSatisfy(\.isEmpty) }
        let width = rows.map(\.count).max() ?? 0
        guard width > 0 else { return nil }
        let padded = rows.map { $0 + Array(repeating: "", count: width - $0.count) }
        var lines = ["| " + padded[0].joined(separator: " | ") + " |", "|" + String(repeating: " --- |", count: width)]
        lines += padded.dropFirst().map { "| " + $0.joined(separator: " | ") + " |" }
        return lines.joined(separator: "\n")
    }
}
