import Foundation
import GanderCore
import MCP

/// Converts between the SDK's values and Gander's: tool arguments out, schemas and results in.
enum MCPValueMapping {
    static func value(_ json: JSONValue) -> Value {
        switch json {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .number(let number):
            if number.rounded() == number, abs(number) < 9e15 { .int(Int(number)) } else { .double(number) }
        case .integer(let number): .int(Int(number))
        case .string(let text): .string(text)
        case .array(let items): .array(items.map(value))
        case .object(let members): .object(members.mapValues(value))
        }
    }

    static func json(_ value: Value) -> JSONValue {
        switch value {
        case .null: .null
        case .bool(let flag): .bool(flag)
        case .int(let number): .integer(Int64(number))
        case .double(let number): .number(number)
        case .string(let text): .string(text)
        case .data(let mimeType, let data): .string("data:\(mimeType ?? "application/octet-stream");base64,\(data.base64EncodedString())")
        case .array(let items): .array(items.map(json))
        case .object(let members): .object(members.mapValues(json))
        }
    }

    /// A tool's result as Gander's content parts. Text and images pass as they are; an embedded resource becomes
    /// its text (or its image), and what the model cannot take (audio, other binary data) is named, not sent.
    static func output(_ result: CallTool.Result) -> ToolOutput {
        var parts: [ToolContent] = []
        for item in result.content {
            switch item {
            case .text(let text, _, _):
                parts.append(.text(text))
            case .image(let data, let mimeType, _, _):
                parts.append(.image(mimeType: mimeType, base64Data: data))
            case .audio(let data, let mimeType, _, _):
                parts.append(.text("[audio, \(mimeType), \(data.count * 3 / 4) bytes: not shown to the model]"))
            case .resource(let resource, _, _):
                if let text = resource.text {
                    parts.append(.text("Resource \(resource.uri):\n\(text)"))
                } else if let blob = resource.blob, let mimeType = resource.mimeType, mimeType.hasPrefix("image/") {
                    parts.append(.image(mimeType: mimeType, base64Data: blob))
                } else {
                    let size = (resource.blob?.count ?? 0) * 3 / 4
                    parts.append(.text("[resource \(resource.uri), \(resource.mimeType ?? "binary"), \(size) bytes: not shown to the model]"))
                }
            case .resourceLink(let uri, let name, _, let description, let mimeType, _):
                let details = [mimeType, description].compactMap { $0 }.joined(separator: ", ")
                parts.append(.text("Resource link: \(name) <\(uri)>" + (details.isEmpty ? "" : " (\(details))")))
            }
        }
        if parts.isEmpty, let structured = result.structuredContent {
            parts.append(.text(json(structured).canonicalText))
        }
        if parts.isEmpty { parts.append(.text(result.isError == true ? "The tool failed without saying why." : "(no output)")) }
        return ToolOutput(content: parts, isError: result.isError ?? false)
    }
}
