import Foundation
import GanderCore
import Yams

/// goose's recipe deeplinks: `goose://recipe?config=` and the recipe as JSON in URL-safe base64 without padding (older
/// links: standard base64, sometimes percent-encoded on top). Gander reads all of them and writes the current form.
public enum RecipeDeeplink {
    public static func isDeeplink(_ text: String) -> Bool {
        text.hasPrefix("goose://recipe") || text.hasPrefix("gander://recipe")
    }

    /// The recipe's text (JSON) from a link.
    public static func decode(_ link: String) throws -> String {
        guard let components = URLComponents(string: link),
              let config = components.queryItems?.first(where: { $0.name == "config" })?.value, !config.isEmpty else {
            throw RecipeError("the deeplink has no config=…; it should look like goose://recipe?config=…")
        }
        // URLComponents has already undone one layer of percent-encoding; a second one happens in old links.
        for candidate in [config, config.removingPercentEncoding ?? config] {
            if let data = base64(candidate), let text = String(data: data, encoding: .utf8),
               (try? JSONValue(parsing: text))?.objectValue != nil {
                return text
            }
        }
        throw RecipeError("the deeplink's config is not a recipe in base64-encoded JSON")
    }

    /// A link for the recipe whose text is `text`: its YAML as JSON, templates and all (they are rendered when the
    /// link is run, with that run's parameters).
    public static func encode(_ text: String) throws -> String {
        let node: Node?
        do {
            node = try Yams.compose(yaml: text)
        } catch let error as YamlError {
            throw RecipeError("a deeplink carries the recipe as data, and this recipe's text is not YAML before it is "
                + "rendered (\(RecipeDecoder.describe(error).description)); move the template tags inside values")
        }
        guard let node else { throw RecipeError("the recipe is empty") }
        let json = try RecipeDecoder.json(node)
        let encoded = Data(json.canonicalText.utf8).base64EncodedString()
            .replacingOccurrences(of: "+", with: "-").replacingOccurrences(of: "/", with: "_")
            .replacingOccurrences(of: "=", with: "")
        return "goose://recipe?config=" + encoded
    }

    private static func base64(_ text: String) -> Data? {
        var standard = text.replacingOccurrences(of: "-", with: "+").replacingOccurrences(of: "_", with: "/")
            .replacingOccurrences(of: " ", with: "+")
        while standard.count % 4 != 0 { standard += "=" }
        return Data(base64Encoded: standard)
    }
}
