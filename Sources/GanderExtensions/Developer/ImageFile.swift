import Foundation
import GanderCore
import GanderHost

/// A picture a tool hands the model: its kind and size read from its header, so the model is told what it is even
/// when it cannot see it.
struct ImageFile {
    let mimeType: String
    let width: Int
    let height: Int
    let data: Data

    /// PNG, JPEG, GIF or WebP, told by their first bytes; nil for anything else.
    init?(data: Data) {
        let bytes = [UInt8](data.prefix(64 * 1024))
        func be16(_ at: Int) -> Int { Int(bytes[at]) << 8 | Int(bytes[at + 1]) }
        func le16(_ at: Int) -> Int { Int(bytes[at]) | Int(bytes[at + 1]) << 8 }
        func be32(_ at: Int) -> Int { be16(at) << 16 | be16(at + 2) }
        guard bytes.count >= 30 else { return nil }
        if bytes.starts(with: [0x89, 0x50, 0x4E, 0x47]) {
            (mimeType, width, height) = ("image/png", be32(16), be32(20))
        } else if bytes.starts(with: Array("GIF8".utf8)) {
            (mimeType, width, height) = ("image/gif", le16(6), le16(8))
        } else if bytes.starts(with: Array("RIFF".utf8)), Array(bytes[8..<12]) == Array("WEBP".utf8) {
            let chunk = String(decoding: bytes[12..<16], as: UTF8.self)
            switch chunk {
            case "VP8X": (width, height) = (1 + (Int(bytes[24]) | Int(bytes[25]) << 8 | Int(bytes[26]) << 16),
                                            1 + (Int(bytes[27]) | Int(bytes[28]) << 8 | Int(bytes[29]) << 16))
            case "VP8L": (width, height) = (1 + (le16(21) & 0x3FFF), 1 + ((le16(22) >> 6 | Int(bytes[24]) << 10) & 0x3FFF))
            default: (width, height) = (le16(26) & 0x3FFF, le16(28) & 0x3FFF)
            }
            mimeType = "image/webp"
        } else if bytes.starts(with: [0xFF, 0xD8]) {
            // The frame header (SOF0–SOF15 but DHT, JPG and DAC) holds the size.
            var offset = 2
            var size: (Int, Int)?
            while offset + 9 < bytes.count, bytes[offset] == 0xFF {
                let marker = bytes[offset + 1]
                if (0xC0...0xCF).contains(marker), ![0xC4, 0xC8, 0xCC].contains(marker) {
                    size = (be16(offset + 7), be16(offset + 5))
                    break
                }
                offset += 2 + be16(offset + 2)
            }
            guard let size else { return nil }
            (mimeType, width, height) = ("image/jpeg", size.0, size.1)
        } else {
            return nil
        }
        self.data = data
    }

    /// "PNG image, 1280×800 px, 45.2 KB".
    var summary: String {
        let kind = mimeType.dropFirst("image/".count).uppercased()
        return "\(kind) image, \(width)×\(height) px, \(OutputExcerpt.formatBytes(data.count))"
    }

    /// The largest picture every provider takes: Anthropic's limits (5 MB encoded, 8000 px a side) are the
    /// strictest, and past 1568 px a side its models see no more detail.
    static let maxBytes = 3_750_000
    static let maxSide = 1568

    /// The picture for the model, with a line that says what it is (the line is all a model that cannot see gets).
    /// A picture larger than the providers take is shrunk with ImageMagick first.
    func output(describing what: String, sources: [FileSpan] = []) async -> ToolOutput {
        var sent = self
        var note = ""
        if data.count > Self.maxBytes || max(width, height) > Self.maxSide {
            guard let smaller = await shrunk() else {
                return ToolOutput(content: [.text("\(what): \(summary), larger than models take (\(Self.maxSide) px a side, "
                    + "\(OutputExcerpt.formatBytes(Self.maxBytes))), and ImageMagick's convert, which would shrink it, is not "
                    + "installed (sudo apt-get install imagemagick).")], isError: true, sources: sources)
            }
            sent = smaller
            note = " Shrunk to \(smaller.width)×\(smaller.height) px for the model."
        }
        return ToolOutput(content: [.text("\(what): \(summary).\(note)"),
                                    .image(mimeType: sent.mimeType, base64Data: sent.data.base64EncodedString())],
                          sources: sources)
    }

    /// The picture scaled to fit `maxSide`, as PNG (JPEG for photographs that stay too large), by ImageMagick.
    private func shrunk() async -> ImageFile? {
        guard let convert = ProcessLauncher.find("convert", path: ProcessLauncher.searchPath) else { return nil }
        for format in ["png", "jpeg"] {
            guard let run = try? await ProcessLauncher.run(
                convert, ["-", "-resize", "\(Self.maxSide)x\(Self.maxSide)>", "-quality", "85", "\(format):-"],
                input: data, timeout: .seconds(60))
            else { return nil }
            if run.succeeded, let image = ImageFile(data: run.output), image.data.count <= Self.maxBytes { return image }
        }
        return nil
    }

    /// A screenshot saved under `directory` and handed to the model.
    static func screenshotOutput(_ png: Data, savedIn directory: URL, what: String) async throws -> ToolOutput {
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true, attributes: [.posixPermissions: 0o700])
        let stamp = ISO8601DateFormatter().string(from: Date()).replacingOccurrences(of: ":", with: "")
        let file = directory.appendingPathComponent("screenshot-\(stamp)-\(UUID().uuidString.prefix(4)).png")
        try png.write(to: file)
        guard let image = ImageFile(data: png) else { return .error("The screenshot is not a picture Gander can read.") }
        return await image.output(describing: "Screenshot of \(what), saved to \(file.path)")
    }
}
