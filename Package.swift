// swift-tools-version: 6.2
import PackageDescription

let package = Package(
    name: "dce",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "dce", targets: ["dce"]),
        .executable(name: "dce-bench", targets: ["dce-bench"]),
    ],
    dependencies: [
        .package(url: "https://github.com/hummingbird-project/hummingbird.git", from: "2.28.1"),
        .package(url: "https://github.com/hummingbird-project/swift-mustache.git", from: "2.1.1"),
        .package(url: "https://github.com/vapor/sql-kit.git", from: "3.36.0"),
        .package(url: "https://github.com/vapor/sqlite-kit.git", from: "4.5.2"),
        .package(url: "https://github.com/vapor/postgres-kit.git", from: "2.17.0"),
        .package(url: "https://github.com/vapor/postgres-nio.git", from: "1.33.2"),
        .package(url: "https://github.com/apple/swift-argument-parser.git", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log.git", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-metrics.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/swift-prometheus.git", from: "2.4.1"),
        .package(url: "https://github.com/swift-server/swift-service-lifecycle.git", from: "2.13.0"),
        .package(url: "https://github.com/swift-server/async-http-client.git", from: "1.37.0"),
        .package(url: "https://github.com/apple/swift-crypto.git", from: "4.5.2"),
        .package(url: "https://github.com/apple/swift-configuration.git", from: "1.4.0"),
        .package(url: "https://github.com/apple/swift-http-types.git", from: "1.8.0"),
        .package(url: "https://github.com/apple/swift-nio.git", from: "2.101.2"),
        .package(url: "https://github.com/x-sheep/swift-property-based.git", from: "2.0.1"),
        .package(url: "https://github.com/swiftlang/swift-subprocess.git", from: "1.0.2"),
        .package(url: "https://github.com/apple/swift-system.git", from: "1.8.1"),
    ],
    targets: [
        // One JSON model: a strict reader, a deterministic writer, `Codable` for responses.
        .target(name: "DCEJSON"),
        // Value types and pure rules. No I/O, no framework imports.
        .target(name: "DCEDomain", dependencies: ["DCEJSON"]),
        // One folder per vendor: wire types, status tables and pure mappings to call events.
        .target(
            name: "DCEVendors",
            dependencies: [
                "DCEDomain",
                "DCEJSON",
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // One schema, one SQL layer, two engines.
        .target(
            name: "DCEStorage",
            dependencies: [
                "DCEDomain",
                "DCEJSON",
                "DCEVendors",
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "SQLiteKit", package: "sqlite-kit"),
                .product(name: "PostgresKit", package: "postgres-kit"),
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Crypto", package: "swift-crypto"),
            ]
        ),
        // Thin routers grouped by audience.
        .target(
            name: "DCEHTTP",
            dependencies: [
                "DCEDomain",
                "DCEJSON",
                "DCEStorage",
                "DCEVendors",
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HummingbirdCore", package: "hummingbird"),
                .product(name: "Mustache", package: "swift-mustache"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "Metrics", package: "swift-metrics"),
                .product(name: "Prometheus", package: "swift-prometheus"),
                .product(name: "Crypto", package: "swift-crypto"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ],
            resources: [.copy("Resources")]
        ),
        .executableTarget(
            name: "dce",
            dependencies: [
                "DCEDomain",
                "DCEStorage",
                "DCEHTTP",
                "DCEVendors",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "ServiceLifecycle", package: "swift-service-lifecycle"),
                .product(name: "Configuration", package: "swift-configuration"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "NIOCore", package: "swift-nio"),
            ]
        ),
        .executableTarget(
            name: "dce-bench",
            dependencies: [
                "DCEVendors",
                "DCEHTTP",
                "DCEStorage",
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
            ]
        ),
        // Shared by the test targets: a fresh database on each engine.
        .target(
            name: "DCETestSupport",
            dependencies: [
                "DCEJSON",
                "DCEStorage",
                .product(name: "PostgresNIO", package: "postgres-nio"),
                .product(name: "SQLKit", package: "sql-kit"),
                .product(name: "Logging", package: "swift-log"),
                .product(name: "Hummingbird", package: "hummingbird"),
                .product(name: "HTTPTypes", package: "swift-http-types"),
                .product(name: "NIOCore", package: "swift-nio"),
            ],
            path: "Tests/DCETestSupport"
        ),
        .testTarget(name: "DCEJSONTests", dependencies: ["DCEJSON"]),
        .testTarget(
            name: "DCEDomainTests",
            dependencies: ["DCEDomain", "DCEJSON", .product(name: "PropertyBased", package: "swift-property-based")]
        ),
        .testTarget(
            name: "DCEVendorsTests",
            dependencies: ["DCEDomain", "DCEJSON", "DCEVendors", .product(name: "PropertyBased", package: "swift-property-based")],
            exclude: ["Fixtures"]
        ),
        .testTarget(
            name: "DCEStorageTests",
            dependencies: ["DCEDomain", "DCEStorage", "DCETestSupport", "DCEVendors", .product(name: "SQLKit", package: "sql-kit")]
        ),
        .testTarget(
            name: "DCEHTTPTests",
            dependencies: [
                "DCEDomain", "DCEJSON", "DCEStorage", "DCEHTTP", "DCETestSupport", "DCEVendors",
                .product(name: "HummingbirdTesting", package: "hummingbird"),
                .product(name: "PropertyBased", package: "swift-property-based"),
                .product(name: "Configuration", package: "swift-configuration"),
            ],
            resources: [.copy("Ribbon/Fixtures")]
        ),
        .testTarget(
            name: "DCEEndToEndTests",
            dependencies: [
                "DCEDomain", "DCEJSON", "DCEStorage", "DCETestSupport", "DCEVendors",
                .product(name: "AsyncHTTPClient", package: "async-http-client"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "NIOFoundationCompat", package: "swift-nio"),
                .product(name: "Subprocess", package: "swift-subprocess"),
                .product(name: "SystemPackage", package: "swift-system"),
            ]
        ),
    ]
)
