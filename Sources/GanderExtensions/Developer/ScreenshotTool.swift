import Foundation
import GanderCore
import GanderHost

/// `developer__screenshot`: a picture of the whole screen or of one window, for the model to look at. X11 through
/// ImageMagick's `import` (the window found by its title with `xwininfo`), Wayland through `grim` (whole screen only),
/// macOS through `screencapture`.
struct ScreenshotTool: Sendable {
    let environment: [String: String]
    let directory: URL

    static let spec = ToolSpec(
        name: "screenshot",
        description: "Take a screenshot of the whole screen, or of one window by its title, and return it as an image.",
        inputSchema: [
            "type": "object",
            "properties": ["window": ["type": "string", "description": "The window's title; leave out for the whole screen."]],
            "additionalProperties": false,
        ],
        isReadOnly: true)

    func call(_ arguments: [String: JSONValue]) async -> ToolOutput {
        let window = arguments["window"]?.stringValue.flatMap { $0.isEmpty ? nil : $0 }
        do {
            let png = try await capture(window: window)
            return try await ImageFile.screenshotOutput(png, savedIn: directory, what: window.map { "the window \"\($0)\"" } ?? "the screen")
        } catch let failure as Failure {
            return .error(failure.description)
        } catch {
            return .error("The screenshot failed: \(error.localizedDescription)")
        }
    }

    struct Failure: Error, CustomStringConvertible {
        let description: String
    }

    private func capture(window: String?) async throws -> Data {
        #if os(macOS)
        let file = FileManager.default.temporaryDirectory.appendingPathComponent("gander-capture-\(UUID().uuidString).png")
        defer { try? FileManager.default.removeItem(at: file) }
        if window != nil { throw Failure(description: "On macOS Gander captures the whole screen only; leave out `window`.") }
        _ = try await run("/usr/sbin/screencapture", ["-x", "-t", "png", file.path])
        return try Data(contentsOf: file)
        #else
        if let display = environment["DISPLAY"], !display.isEmpty {
            guard let importTool = Self.find("import", in: environment) else {
                throw Failure(description: "Screenshots of an X11 display need ImageMagick's import (sudo apt-get install imagemagick).")
            }
            var target = "root"
            if let window {
                guard let xwininfo = Self.find("xwininfo", in: environment) else {
                    throw Failure(description: "Finding a window by its title needs xwininfo (sudo apt-get install x11-utils).")
                }
                // xwininfo fails when no window has the title; that is the answer, not an error of its own.
                let info = (try? await run(xwininfo, ["-name", window])) ?? Data()
                guard let id = String(decoding: info, as: UTF8.self).firstMatch(of: /Window id: (0x[0-9a-fA-F]+)/)?.1 else {
                    throw Failure(description: "No window titled \"\(window)\" is open on display \(display).")
                }
                target = String(id)
            }
            // png24: RGB pixels, not the palette ImageMagick would pick for a flat picture.
            return try await run(importTool, ["-window", target, "png24:-"])
        }
        if let wayland = environment["WAYLAND_DISPLAY"], !wayland.isEmpty {
            guard let grim = Self.find("grim", in: environment) else {
                throw Failure(description: "Screenshots under Wayland need grim (sudo apt-get install grim).")
            }
            if window != nil { throw Failure(description: "Under Wayland Gander captures the whole screen only; leave out `window`.") }
            return try await run(grim, ["-t", "png", "-"])
        }
        throw Failure(description: "There is no display to capture: neither DISPLAY nor WAYLAND_DISPLAY is set. "
            + "For a web page, the browser tools take their own screenshots.")
        #endif
    }

    /// The program's output; a program that fails or takes more than 15 s is a `Failure` with its first line of stderr.
    /// (import can wait forever on a window that went away.)
    private func run(_ program: String, _ arguments: [String]) async throws -> Data {
        let run = try await ProcessLauncher.run(program, arguments, environment: environment, timeout: .seconds(15))
        guard run.succeeded else {
            let name = URL(fileURLWithPath: program).lastPathComponent
            let reason = run.timedOut ? "it took more than 15 s" : run.firstErrorLine ?? "it exited with status \(run.status)"
            throw Failure(description: "The screenshot failed: \(name): \(reason)")
        }
        return run.output
    }

    private static func find(_ name: String, in environment: [String: String]) -> String? {
        ProcessLauncher.find(name, path: environment["PATH"])
    }
}
