import Foundation

/// What a GGUF file says about itself in its header: architecture, quantisation, trained context, chat template.
/// Read directly from the file (memory-mapped, header only), so listing models neither loads llama.cpp nor reads
/// gigabytes of weights.
public struct GGUFMetadata: Sendable, Equatable {
    public var architecture: String?
    public var name: String?
    public var fileType: Int?
    public var contextLength: Int?
    public var chatTemplate: String?
    public var vocabularySize: Int?

    /// The quantisation's usual name (Q4_K_M, Q8_0, F16…).
    public var quantization: String? {
        guard let fileType else { return nil }
        return Self.fileTypeNames[fileType] ?? "type \(fileType)"
    }

    /// The tool-call format the model's own chat template was written for.
    var toolCallFormat: ToolCallFormat { ToolCallFormat.detect(chatTemplate: chatTemplate) }

    /// The tool-call format by name: `hermes`, `llama3`, or `json` (Gander's protocol, for untrained models).
    public var toolCallFormatName: String { toolCallFormat.rawValue }

    /// Whether the model was trained to call tools, as far as its chat template shows.
    public var trainedForTools: Bool { toolCallFormat.isTrained }

    /// llama.cpp's name for the chat template of a model family, for a GGUF that carries no template of its own.
    var templateByArchitecture: String {
        switch architecture ?? "" {
        case let arch where arch.hasPrefix("gemma"): "gemma"
        case "llama": (vocabularySize ?? 0) > 100_000 ? "llama3" : "llama2"
        case let arch where arch.hasPrefix("phi3"): "phi3"
        case let arch where arch.hasPrefix("mistral"): "mistral-v7"
        case "deepseek2": "deepseek2"
        default: "chatml"  // Qwen, SmolLM and most small models
        }
    }

    private static let fileTypeNames: [Int: String] = [
        0: "F32", 1: "F16", 2: "Q4_0", 3: "Q4_1", 7: "Q8_0", 8: "Q5_0", 9: "Q5_1", 10: "Q2_K", 11: "Q3_K_S",
        12: "Q3_K_M", 13: "Q3_K_L", 14: "Q4_K_S", 15: "Q4_K_M", 16: "Q5_K_S", 17: "Q5_K_M", 18: "Q6_K", 19: "IQ2_XXS",
        20: "IQ2_XS", 21: "Q2_K_S", 22: "IQ3_XS", 23: "IQ3_XXS", 24: "IQ1_S", 25: "IQ4_NL", 26: "IQ3_S", 27: "IQ3_M",
        28: "IQ2_S", 29: "IQ2_M", 30: "IQ4_XS", 31: "IQ1_M", 32: "BF16", 36: "TQ1_0", 37: "TQ2_0", 38: "MXFP4",
    ]

    /// Reads the header of the GGUF at `path`; nil when it is not a readable GGUF (version 2 or 3).
    public init?(path: String) {
        guard let data = try? Data(contentsOf: URL(fileURLWithPath: path), options: .alwaysMapped) else { return nil }
        var reader = Reader(data: data)
        guard reader.bytes(4) == Array("GGUF".utf8), let version = reader.uint32(), version >= 2,
              reader.uint64() != nil, let count = reader.uint64() else { return nil }
        for _ in 0..<min(count, 100_000) {
            guard let key = reader.string(), let type = reader.uint32() else { return nil }
            switch key {
            case "general.architecture": architecture = reader.value(type) as? String
            case "general.name": name = reader.value(type) as? String
            case "general.file_type": fileType = reader.value(type) as? Int
            case "tokenizer.chat_template": chatTemplate = reader.value(type) as? String
            case "tokenizer.ggml.tokens":
                guard type == 9, let itemType = reader.uint32(), let items = reader.uint64(), reader.skipItems(itemType, count: items)
                else { return nil }
                vocabularySize = Int(items)
            case let key where key.hasSuffix(".context_length"):
                let value = reader.value(type)
                if key == "\(architecture ?? "").context_length" || contextLength == nil { contextLength = value as? Int }
            default:
                guard reader.skip(type) else { return nil }
            }
            if reader.failed { return nil }
        }
    }

    /// A cursor over the header's little-endian fields.
    private struct Reader {
        let data: Data
        var offset = 0
        var failed = false

        init(data: Data) { self.data = data }

        mutating func bytes(_ count: Int) -> [UInt8]? {
            guard count >= 0, offset + count <= data.count else { failed = true; return nil }
            defer { offset += count }
            return Array(data[data.startIndex + offset..<data.startIndex + offset + count])
        }

        mutating func integer<T: FixedWidthInteger>(_: T.Type) -> T? {
            let size = MemoryLayout<T>.size
            guard offset + size <= data.count else { failed = true; return nil }
            var value: T = 0
            for index in 0..<size { value |= T(truncatingIfNeeded: data[data.startIndex + offset + index]) << (8 * index) }
            offset += size
            return value
        }

        mutating func uint32() -> UInt32? { integer(UInt32.self) }
        mutating func uint64() -> UInt64? { integer(UInt64.self) }

        mutating func string() -> String? {
            guard let length = uint64(), length < 64 << 20, let bytes = bytes(Int(length)) else { failed = true; return nil }
            return String(decoding: bytes, as: UTF8.self)
        }

        /// The size of a fixed-width value type; nil for strings and arrays.
        static func width(_ type: UInt32) -> Int? {
            switch type {
            case 0, 1, 7: 1
            case 2, 3: 2
            case 4, 5, 6: 4
            case 10, 11, 12: 8
            default: nil
            }
        }

        /// Integers as Int, strings as String; other types are skipped and give nil.
        mutating func value(_ type: UInt32) -> Any? {
            switch type {
            case 0: integer(UInt8.self).map { Int($0) }
            case 1: integer(Int8.self).map { Int($0) }
            case 2: integer(UInt16.self).map { Int($0) }
            case 3: integer(Int16.self).map { Int($0) }
            case 4: uint32().map { Int($0) }
            case 5: integer(Int32.self).map { Int($0) }
            case 10: uint64().map { Int(clamping: $0) }
            case 11: integer(Int64.self).map { Int($0) }
            case 8: string()
            default: skipped(type)
            }
        }

        /// Passes over a value Gander does not read.
        private mutating func skipped(_ type: UInt32) -> Any? {
            _ = skip(type)
            return nil
        }

        mutating func skip(_ type: UInt32) -> Bool {
            if let width = Self.width(type) { return bytes(width) != nil }
            switch type {
            case 8: return string() != nil
            case 9:
                guard let itemType = uint32(), let count = uint64() else { return false }
                return skipItems(itemType, count: count)
            default:
                failed = true
                return false
            }
        }

        mutating func skipItems(_ type: UInt32, count: UInt64) -> Bool {
            if let width = Self.width(type) {
                let total = Int(clamping: count) &* width
                guard count < UInt64(Int.max / 16), offset + total <= data.count else { failed = true; return false }
                offset += total
                return true
            }
            for _ in 0..<count where !skip(type) { return false }
            return true
        }
    }
}
