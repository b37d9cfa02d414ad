// swift-tools-version: 6.1
import PackageDescription

let strict: [SwiftSetting] = [
    .enableUpcomingFeature("ExistentialAny"),
]

let package = Package(
    name: "Gander",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "gander", targets: ["gander"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/swift-server/async-http-client", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-log", from: "1.6.0"),
        .package(url: "https://github.com/apple/swift-crypto", "3.12.3"..<"5.0.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
        .package(url: "https://github.com/jpsim/Yams", from: "6.2.2"),
        .package(url: "https://github.com/modelcontextprotocol/swift-sdk", exact: "0.12.1"),
        .package(url: "https://github.com/weichsel/ZIPFoundation", from: "0.9.20"),
        .package(url: "https://github.com/hummingbird-project/hummingbird", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/hummingbird-websocket", from: "2.8.1"),
        .package(url: "https://github.com/apple/swift-http-types", from: "1.8.0"),
    ],
    targets: [
        .target(name: "GanderCore", dependencies: ["CGanderSystem"], swiftSettings: strict),
        .target(name: "GanderTemplates", swiftSettings: strict),
        .target(
            name: "GanderRecipes",
            dependencies: ["GanderCore", "GanderTemplates", .product(name: "Yams", package: "Yams")],
            swiftSettings: strict
        ),
        .target(
            name: "GanderHost",
            dependencies: [
                "GanderCore", "CGanderSystem",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GanderProviders",
            dependencies: [
                "GanderCore", "GanderHost",
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GanderLocal",
            dependencies: [
                "GanderCore", "GanderHost", "GanderTemplates",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .target(
            name: "GanderStore",
            dependencies: ["GanderCore", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .target(name: "CGanderSystem"),
        .target(
            name: "GanderExtensions",
            dependencies: [
                "GanderCore", "GanderHost", "CGanderSystem",
                .product(name: "MCP", package: "swift-sdk"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ZIPFoundation", package: "ZIPFoundation"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "gander",
            dependencies: [
                "GanderCore", "GanderHost", "GanderProviders", "GanderExtensions", "GanderLocal", "GanderStore", "GanderRecipes",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Yams", package: "Yams"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "HummingbirdTLS", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "HummingbirdWebSocket", package: "hummingbird-websocket"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            // The web app `gander serve` offers at /, compiled into the binary as it is committed.
            resources: [.embedInCode("WebApp/index.html"), .embedInCode("WebApp/app.js"), .embedInCode("WebApp/app.css"),
                        .embedInCode("WebApp/favicon.svg")],
            swiftSettings: strict
        ),
        .target(
            name: "GanderTestSupport",
            dependencies: [
                "GanderCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            swiftSettings: strict
        ),
        .executableTarget(
            name: "scripted-model-server",
            dependencies: ["GanderTestSupport", "GanderCore"],
            path: "Sources/ScriptedModelServer",
            swiftSettings: strict
        ),
        .executableTarget(
            name: "in-process-bench",
            dependencies: ["GanderCore", "GanderHost", "GanderProviders", "GanderRecipes",
                           .product(name: "AsyncHTTPClient", package: "async-http-client")],
            path: "Sources/InProcessBench",
            swiftSettings: strict
        ),
        .testTarget(name: "GanderCoreTests", dependencies: ["GanderCore"], swiftSettings: strict),
        .testTarget(name: "GanderTemplatesTests", dependencies: ["GanderTemplates"], swiftSettings: strict),
        .testTarget(name: "GanderRecipesTests", dependencies: ["GanderRecipes", "GanderCore"], swiftSettings: strict),
        .testTarget(
            name: "GanderProvidersTests",
            dependencies: ["GanderCore", "GanderProviders", "GanderHost", "GanderTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GanderExtensionsTests",
            dependencies: ["GanderCore", "GanderHost", "GanderExtensions", "GanderTestSupport"],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GanderLocalTests",
            dependencies: [
                "GanderCore", "GanderLocal", "GanderTestSupport",
                .product(name: "NIOCore", package: "swift-nio"), .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GanderStoreTests",
            dependencies: ["GanderCore", "GanderStore", "GanderTestSupport", .product(name: "GRDB", package: "GRDB.swift")],
            swiftSettings: strict
        ),
        .testTarget(
            name: "GanderCLITests",
            dependencies: [
                "gander", "scripted-model-server", "GanderCore", "GanderHost", "GanderLocal", "GanderTestSupport",
                .product(name: "Crypto", package: "swift-crypto"),
            ],
            swiftSettings: strict
        ),
    ],
    swiftLanguageModes: [.v6]
)
