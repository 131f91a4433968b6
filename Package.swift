// swift-tools-version: 6.1
import PackageDescription

/// Swift 6 language mode everywhere (strict concurrency checking is on by default in it).
let strictSettings: [SwiftSetting] = [
    .swiftLanguageMode(.v6),
    .enableUpcomingFeature("ExistentialAny"),
    .enableUpcomingFeature("InternalImportsByDefault"),
]

/// For the modules on the per-message path (wire format, server, load tool): release builds
/// skip the run-time exclusivity checks (+15 % server throughput, measured; docs/PERFORMANCE.md).
/// Debug builds, and so the tests, keep them.
let hotPathSettings: [SwiftSetting] =
    strictSettings + [.unsafeFlags(["-enforce-exclusivity=unchecked"], .when(configuration: .release))]

let package = Package(
    name: "chat255",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "chatserver", targets: ["chatserver"]),
        .executable(name: "chatclient", targets: ["chatclient"]),
        .executable(name: "chatbench", targets: ["chatbench"]),
        .executable(name: "chatfuzz", targets: ["chatfuzz"]),
        .library(name: "ChatWire", targets: ["ChatWire"]),
        .library(name: "ChatServerCore", targets: ["ChatServerCore"]),
        .library(name: "ChatClientCore", targets: ["ChatClientCore"]),
        .library(name: "ChatBenchCore", targets: ["ChatBenchCore"]),
        .library(name: "RESP", targets: ["RESP"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/HdrHistogram/hdrhistogram-swift.git", from: "0.2.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-nio-ssl.git", from: "2.37.6"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // Process-level pieces shared by the executables and libraries: the open-file limit, secret
        // input, text files, the backoff between attempts to reach a server.
        .target(name: "ChatSystem", swiftSettings: strictSettings),
        // A small Redis client (RESP2 over SwiftNIO) for the cluster backbone: no chat in it.
        .target(
            name: "RESP",
            dependencies: [
                "ChatSystem",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The wire format: frames, names, control messages, list parts, codec handlers. NIOCore only, no I/O.
        .target(
            name: "ChatWire",
            dependencies: [.product(name: "NIOCore", package: "swift-nio")],
            swiftSettings: hotPathSettings
        ),
        // The server: registry, connection handlers, list publisher, lifecycle.
        .target(
            name: "ChatServerCore",
            dependencies: [
                "ChatSystem",
                "ChatWire",
                "RESP",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "_CryptoExtras", package: "swift-crypto"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "CoreMetrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
            ],
            swiftSettings: hotPathSettings
        ),
        // The client: connection, heartbeat, list reassembly, events, input parsing, terminal UI.
        .target(
            name: "ChatClientCore",
            dependencies: [
                "ChatSystem",
                "ChatWire",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "UnixSignals", package: "swift-service-lifecycle"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                .product(name: "NIOTLS", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // The load tool: many protocol clients on SwiftNIO, latency histograms, loss checks.
        .target(
            name: "ChatBenchCore",
            dependencies: [
                "ChatWire",
                "ChatClientCore",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Histogram", package: "hdrhistogram-swift"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            swiftSettings: hotPathSettings
        ),
        .executableTarget(
            name: "chatbench",
            dependencies: [
                "ChatBenchCore",
                "ChatClientCore",
                "ChatSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        // libFuzzer target over every parser of outside bytes (scripts/fuzz.sh builds and runs it).
        .executableTarget(
            name: "chatfuzz",
            dependencies: [
                "RESP",
                "ChatWire",
                "ChatClientCore",
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "chatserver",
            dependencies: [
                "ChatServerCore",
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "SystemPackage", package: "swift-system"),
                "ChatWire",
                "RESP",
                "ChatSystem",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
            ],
            swiftSettings: strictSettings
        ),
        .executableTarget(
            name: "chatclient",
            dependencies: [
                "ChatClientCore",
                "ChatSystem",
                "ChatWire",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        // Helpers for any test of the wire format: hand-made frames, a seeded generator, the
        // fuzz corpus, a failure type. ChatWire only, no server.
        .target(
            name: "ChatWireTestSupport",
            dependencies: ["ChatWire"],
            path: "Tests/ChatWireTestSupport",
            swiftSettings: strictSettings
        ),
        // Helpers shared by the test targets: a server on an ephemeral port, a raw protocol client.
        .target(
            name: "ChatTestSupport",
            dependencies: [
                "ChatServerCore",
                "RESP",
                "ChatWire",
                "ChatWireTestSupport",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOWebSocket", package: "swift-nio"),
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
            ],
            path: "Tests/ChatTestSupport",
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "RESPTests",
            dependencies: [
                "ChatSystem",
                "RESP",
                "ChatTestSupport",
                "ChatWireTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChatSystemTests",
            dependencies: ["ChatSystem"],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChatWireTests",
            dependencies: [
                "ChatWire",
                "ChatWireTestSupport",
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "NIOTestUtils", package: "swift-nio"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChatServerCoreTests",
            dependencies: [
                "ChatSystem",
                "ChatWireTestSupport",
                "ChatServerCore",
                "RESP",
                "ChatTestSupport",
                "ChatWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOEmbedded", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChatBenchCoreTests",
            dependencies: [
                "RESP",
                "ChatWireTestSupport",
                "ChatBenchCore",
                "ChatTestSupport",
                "ChatServerCore",
                "ChatWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
        .testTarget(
            name: "ChatClientCoreTests",
            dependencies: [
                "ChatSystem",
                .product(name: "NIOSSL", package: "swift-nio-ssl"),
                "ChatWireTestSupport",
                "ChatClientCore",
                "ChatTestSupport",
                "ChatServerCore",
                "ChatWire",
                .product(name: "NIOConcurrencyHelpers", package: "swift-nio"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ],
            swiftSettings: strictSettings
        ),
    ]
)
