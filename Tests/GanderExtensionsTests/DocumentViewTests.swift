import Foundation
import GanderCore
import GanderTestSupport
@testable import GanderExtensions
import Testing

@Suite("developer__text_editor view of documents and pictures")
struct DocumentViewTests {
    /// A two-page PDF with one line of text on each page, built byte by byte so its cross-reference table is right.
    static func pdf(pages: [String]) -> Data {
        var objects = ["<< /Type /Catalog /Pages 2 0 R >>",
                       "<< /Type /Pages /Kids [\(pages.indices.map { "\(4 + $0 * 2) 0 R" }.joined(separator: " "))] /Count \(pages.count) >>",
                       "<< /Type /Font /Subtype /Type1 /BaseFont /Helvetica >>"]
        for (index, text) in pages.enumerated() {
            let stream = "BT /F1 24 Tf 72 700 Td (\(text)) Tj ET"
            objects.append("<< /Type /Page /Parent 2 0 R /MediaBox [0 0 612 792] /Resources << /Font << /F1 3 0 R >> >> /Contents \(5 + index * 2) 0 R >>")
            objects.append("<< /Length \(stream.utf8.count) >>\nstream\n\(stream)\nendstream")
        }
        var body = "%PDF-1.4\n"
        var offsets: [Int] = []
        for (index, object) in objects.enumerated() {
            offsets.append(body.utf8.count)
            body += "\(index + 1) 0 obj\n\(object)\nendobj\n"
        }
        let xref = body.utf8.count
        body += "xref\n0 \(objects.count + 1)\n0000000000 65535 f \n"
        for offset in offsets { body += String(format: "%010d 00000 n \n", offset) }
        body += "trailer\n<< /Size \(objects.count + 1) /Root 1 0 R >>\nstartxref\n\(xref)\n%%EOF\n"
        return Data(body.utf8)
    }

    @Test("a PDF reads as its text, page by page")
    func pdfText() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try Self.pdf(pages: ["Quarterly report", "Revenue grew"]).write(to: fixture.directory.file("report.pdf"))
        let output = await fixture.edit(["command": "view", "path": "report.pdf"])
        let text = output.content.first.map { if case .text(let text) = $0 { text } else { "" } } ?? ""
        #expect(!output.isError)
        #expect(text.contains("PDF, 2 pages"))
        #expect(text.contains("--- page 1 ---\nQuarterly report"))
        #expect(text.contains("--- page 2 ---\nRevenue grew"))
        #expect(output.sources.first?.path.hasSuffix("report.pdf") == true)
    }

    @Test("a broken PDF is one line")
    func brokenPDF() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        try fixture.directory.write("bad.pdf", "%PDF-1.4\nnot really\n")
        let output = await fixture.edit(["command": "view", "path": "bad.pdf"])
        #expect(output.isError)
        #expect(output.content.first.map { "\($0)" }?.contains("could not be read as a PDF") == true)
    }

    @Test("DOCX and XLSX read as their text and tables")
    func officeDocuments() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        let maker = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/web/make_office.py")
        let making = try await ChildCommand.run(["python3", maker.path, fixture.directory.url.path])
        #expect(making.status == 0, "\(making.stderr)")

        let word = await fixture.edit(["command": "view", "path": "plan.docx"])
        #expect(word.content == [.text("""
            \(fixture.directory.file("plan.docx").path): Word document

            # Release plan

            Ship on Friday & tell QA.

            - Freeze the branch

            | Owner | Task |
            | --- | --- |
            | Ada | Notes |
            """)])
        let sheet = await fixture.edit(["command": "view", "path": "sales.xlsx"])
        #expect(sheet.content == [.text("""
            \(fixture.directory.file("sales.xlsx").path): spreadsheet

            ## Q1

            | Region | Revenue |  |
            | --- | --- | --- |
            | North | 1250.5 |  |
            | South |  | TRUE |

            ## Notes

            | Draft |
            | --- |
            """)])
        try Data([0x50, 0x4B, 0x03, 0x04, 0, 0, 0xFF, 0xFE, 0, 1]).write(to: fixture.directory.file("broken.docx"))
        let broken = await fixture.edit(["command": "view", "path": "broken.docx"])
        #expect(broken.isError)
        #expect(broken.content.first.map { "\($0)" }?.contains("is a binary file") == true,
                "a zip header with no archive behind it is a binary file, said in one line: \(broken.content)")
    }

    @Test("a picture comes back as an image with a line that says what it is")
    func picture() async throws {
        let fixture = try DeveloperFixture()
        defer { fixture.remove() }
        // A 3×2 GIF: header, logical screen, a two-colour table, one image block.
        let gif = Data([0x47, 0x49, 0x46, 0x38, 0x39, 0x61, 3, 0, 2, 0, 0x80, 0, 0, 255, 0, 0, 0, 0, 255,
                        0x2C, 0, 0, 0, 0, 3, 0, 2, 0, 0, 2, 2, 0x44, 0x01, 0, 0x3B])
        try gif.write(to: fixture.directory.file("dot.gif"))
        let output = await fixture.edit(["command": "view", "path": "dot.gif"])
        #expect(output.content.count == 2)
        #expect(output.content.first == .text("\(fixture.directory.file("dot.gif").path): GIF image, 3×2 px, 35 bytes."))
        #expect(output.content.last == .image(mimeType: "image/gif", base64Data: gif.base64EncodedString()))
        // A model that cannot see gets the line and a note instead of the picture.
        let result = ToolResult(callID: "1", toolName: "developer__text_editor", content: output.content, isError: false)
        let request = ModelRequest(systemPrompt: "", messages: [Message(role: .user, content: [.toolResult(result)])], tools: [])
        let blind = request.withoutImages().messages[0].toolResults[0].content
        #expect(blind.last == .text("[The picture itself was not sent: this model does not take images.]"))
    }
}
