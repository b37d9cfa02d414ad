import Foundation
import GanderCore
@testable import GanderExtensions
import GanderTestSupport
import Testing

/// `developer__screenshot` of a real X server: Xvfb with one known window (xlogo on red).
@Suite("developer__screenshot", .serialized)
struct ScreenshotTests {
    private func start(_ arguments: [String], environment: [String: String]) throws -> Process {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
        process.arguments = arguments
        process.environment = environment
        process.standardOutput = FileHandle.nullDevice
        process.standardError = FileHandle.nullDevice
        try process.run()
        return process
    }

    @Test("the whole screen and one window by its title, as PNGs of their real size and colour")
    func xvfb() async throws {
        let display = ":\(Int.random(in: 200...900))"
        var environment = ProcessInfo.processInfo.environment
        environment["DISPLAY"] = display
        let server = try start(["Xvfb", display, "-screen", "0", "640x480x24", "-nolisten", "tcp"], environment: environment)
        defer { server.stopForGood() }
        try await Task.sleep(for: .milliseconds(800))
        let window = try start(["xlogo", "-geometry", "200x150+10+10", "-bg", "red", "-fg", "red"], environment: environment)
        defer { window.stopForGood() }
        try await Task.sleep(for: .milliseconds(800))

        let shots = try TemporaryDirectory(prefix: "gander-shots")
        defer { shots.remove() }
        let tool = ScreenshotTool(environment: environment, directory: shots.url)
        let screen = await tool.call([:])
        let logo = await tool.call(["window": "xlogo"])
        let missing = await tool.call(["window": "no such window"])
        #expect("\(screen.content)".contains("Screenshot of the screen, saved to \(shots.path)"))
        #expect("\(screen.content)".contains("PNG image, 640×480 px"))
        #expect("\(logo.content)".contains("Screenshot of the window \\\"xlogo\\\""))
        #expect("\(logo.content)".contains("PNG image, 200×150 px"))
        #expect(missing.isError)
        #expect(missing.content == [.text("No window titled \"no such window\" is open on display \(display).")])

        guard case .image(_, let data)? = logo.content.last else {
            Issue.record("no picture: \(logo.content)")
            return
        }
        let file = shots.file("logo.png")
        try Data(base64Encoded: data)!.write(to: file)
        let script = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .appendingPathComponent("Fixtures/web/png_pixel.py")
        let pixel = try await ChildCommand.run(["python3", script.path, file.path, "3", "3"])
        #expect(pixel.text == "200 150 255 0 0")
    }

    @Test("no display: one line that says so")
    func noDisplay() async {
        let tool = ScreenshotTool(environment: ["PATH": "/usr/bin:/bin"], directory: URL(fileURLWithPath: NSTemporaryDirectory()))
        let output = await tool.call([:])
        #expect(output.isError)
        #expect(output.content == [.text("There is no display to capture: neither DISPLAY nor WAYLAND_DISPLAY is set. "
            + "For a web page, the browser tools take their own screenshots.")])
    }
}
