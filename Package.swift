// swift-tools-version: 6.0
import PackageDescription

// Module map: each library has one responsibility, and each executable links only what it uses.
//   GlacierIntegrity  SHA-256 tree hash and tree-node arithmetic (OpenSSL)
//   GlacierModel      the Glacier API's JSON shapes and error codes, and its timestamps (shared by client and emulator)
//   AWSSigning        SigV4 signing and verification, no I/O
//   AWSCredentials    credential and region resolution as the AWS CLI does it
//   HTTPTransport     libcurl multi-interface HTTP client
//   ArchiveNames      archive descriptions decoded into safe, stable paths, and the tree they make
//   VaultInventory    streaming, validating parser of inventory job output (JSON and CSV)
//   ArchiveIndex      the on-disk (SQLite) index of a vault's archives under their decoded names
//   GlacierClient     the Glacier protocol client, with verified ranged reads and retries
//   LRUOrder          least-recently-used order over packed keys (shared by the cache and memory)
//   WorkerPool        threads of our own that run jobs in order, off Swift's shared pool (read path, emulator)
//   OutputCache       the crash-safe on-disk cache of verified leaves and their digests
//   GlacierFileSystem the filesystem model: layout, inodes, and the read engine with its seams (no FUSE)
//   FUSEAdapter       the libfuse low-level bridge
//   GlacierEmulator   the local Glacier service (SwiftNIO)
//   Migration         `migrate`: a whole vault copied out, its plan, jobs and budget kept in SQLite (GRDB)
let package = Package(
    name: "glacierfs",
    platforms: [.macOS(.v15)],
    products: [
        .executable(name: "glacierfs", targets: ["glacierfs"]),
        .executable(name: "glacier-emulator", targets: ["glacier-emulator"]),
        .library(name: "GlacierEmulator", targets: ["GlacierEmulator"]),
        .library(name: "GlacierClient", targets: ["GlacierClient"]),
    ],
    dependencies: [
        .package(url: "https://github.com/apple/swift-argument-parser", from: "1.8.2"),
        .package(url: "https://github.com/apple/swift-log", from: "1.16.2"),
        .package(url: "https://github.com/apple/swift-nio", from: "2.101.2"),
        .package(url: "https://github.com/apple/swift-collections", from: "1.6.0"),
        .package(url: "https://github.com/groue/GRDB.swift", from: "7.10.0"),
    ],
    targets: [
        // Thin C boundaries. Each shim header holds the macros and typed wrappers Swift cannot import.
        .systemLibrary(name: "CFuse3", pkgConfig: "fuse3", providers: [.apt(["libfuse3-dev"])]),
        .systemLibrary(name: "CCurl", pkgConfig: "libcurl", providers: [.apt(["libcurl4-openssl-dev"])]),
        .systemLibrary(name: "COpenSSL", pkgConfig: "libcrypto", providers: [.apt(["libssl-dev"])]),

        // Our own few lines of C: CRC-32C with the SSE4.2 instruction, fallocate(2) hole punching, and
        // starting a child tied to its parent (fork, prctl(PR_SET_PDEATHSIG), exec).
        .target(name: "CPlatformSupport"),
        .target(name: "GlacierIntegrity", dependencies: ["COpenSSL", "CPlatformSupport"]),
        .target(name: "GlacierModel"),
        .target(name: "AWSSigning", dependencies: ["GlacierIntegrity", "GlacierModel"]),
        .target(name: "HTTPTransport", dependencies: ["CCurl"]),
        .target(
            name: "AWSCredentials",
            dependencies: [
                "AWSSigning", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "ArchiveNames", dependencies: ["GlacierModel", "AWSSigning"]),
        .target(name: "VaultInventory", dependencies: ["GlacierModel"]),
        .target(
            name: "ArchiveIndex",
            dependencies: [
                "ArchiveNames", "VaultInventory", "GlacierModel", .product(name: "GRDB", package: "GRDB.swift"),
            ]),
        .target(
            name: "GlacierClient",
            dependencies: [
                "GlacierModel", "GlacierIntegrity", "AWSSigning", "AWSCredentials", "HTTPTransport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(name: "LRUOrder", dependencies: [.product(name: "DequeModule", package: "swift-collections")]),
        .target(name: "WorkerPool", dependencies: [.product(name: "DequeModule", package: "swift-collections")]),
        .target(
            name: "OutputCache",
            dependencies: [
                "GlacierIntegrity", "GlacierModel", "LRUOrder", "CPlatformSupport",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "GlacierFileSystem",
            dependencies: [
                "GlacierClient", "GlacierModel", "OutputCache", "LRUOrder", "GlacierIntegrity", "ArchiveIndex",
                "ArchiveNames",
                "VaultInventory", "CPlatformSupport", "WorkerPool",
                .product(name: "Logging", package: "swift-log"),
                .product(name: "DequeModule", package: "swift-collections"),
            ]),
        .target(
            name: "FUSEAdapter",
            dependencies: [
                "CFuse3", "GlacierFileSystem",
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "GlacierEmulator",
            dependencies: [
                "GlacierModel", "GlacierIntegrity", "AWSSigning", "WorkerPool",
                .product(name: "OrderedCollections", package: "swift-collections"),
                .product(name: "NIOCore", package: "swift-nio"),
                .product(name: "NIOPosix", package: "swift-nio"),
                .product(name: "NIOHTTP1", package: "swift-nio"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .target(
            name: "Migration",
            dependencies: [
                "ArchiveNames", "VaultInventory", "GlacierFileSystem", "GlacierClient", "OutputCache", "GlacierModel",
                "GlacierIntegrity", "CPlatformSupport",
                .product(name: "GRDB", package: "GRDB.swift"),
                .product(name: "Logging", package: "swift-log"),
            ]),
        .executableTarget(
            name: "glacier-emulator",
            dependencies: [
                "GlacierEmulator",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
            ]),
        .executableTarget(
            name: "glacierfs",
            dependencies: [
                "FUSEAdapter", "GlacierFileSystem", "GlacierClient", "OutputCache", "HTTPTransport", "AWSCredentials",
                "ArchiveNames", "VaultInventory", "AWSSigning", "GlacierModel", "GlacierIntegrity", "CPlatformSupport",
                "Migration",
                .product(name: "ArgumentParser", package: "swift-argument-parser"),
                .product(name: "Logging", package: "swift-log"),
            ]),
    ],
    swiftLanguageModes: [.v6]
)

// Test targets mirror the modules they test; GlacierTestSupport holds the shared harnesses.
package.targets += [
    .target(
        name: "GlacierTestSupport",
        dependencies: [
            "GlacierClient", "GlacierEmulator", "AWSSigning", "GlacierModel", "HTTPTransport", "CPlatformSupport",
        ], path: "Tests/GlacierTestSupport"),
    .testTarget(name: "GlacierIntegrityTests", dependencies: ["GlacierIntegrity", "GlacierTestSupport"]),
    .testTarget(name: "AWSSigningTests", dependencies: ["AWSSigning", "GlacierTestSupport"]),
    .testTarget(
        name: "ArchiveNamesTests", dependencies: ["ArchiveNames", "ArchiveIndex", "GlacierModel", "AWSSigning"]),
    .testTarget(name: "VaultInventoryTests", dependencies: ["VaultInventory", "GlacierModel"]),
    .testTarget(
        name: "GlacierClientTests",
        dependencies: [
            "GlacierClient", "AWSCredentials", "HTTPTransport", "GlacierEmulator", "GlacierTestSupport",
            .product(name: "Logging", package: "swift-log"),
        ], exclude: ["Scripts"]),
    .testTarget(name: "OutputCacheTests", dependencies: ["OutputCache", "GlacierIntegrity", "GlacierModel"]),
    .testTarget(
        name: "ReadPathTests",
        dependencies: [
            "GlacierFileSystem", "GlacierClient", "OutputCache", "GlacierIntegrity", "GlacierModel",
            "GlacierTestSupport", "WorkerPool",
            .product(name: "Logging", package: "swift-log"),
        ]),
    .testTarget(
        name: "FileSystemTests",
        dependencies: [
            "GlacierClient", "GlacierEmulator", "GlacierModel", "GlacierTestSupport",
        ]),
    .testTarget(
        name: "ReliabilityTests",
        dependencies: [
            "GlacierClient", "GlacierFileSystem", "AWSSigning", "GlacierTestSupport", "CPlatformSupport",
        ]),
    // A stand-in test process that LeftoverProcessTests kills, to show nothing it started survives.
    .executableTarget(
        name: "glacierfs-leftover-probe", dependencies: ["GlacierTestSupport"], path: "Tests/LeftoverProbe"),
    .testTarget(
        name: "GlacierEmulatorTests",
        dependencies: [
            "GlacierEmulator", "GlacierModel", "GlacierIntegrity", "AWSSigning", "GlacierTestSupport",
        ], exclude: ["Scripts"]),
    .testTarget(
        name: "UserSurfaceTests", dependencies: ["GlacierTestSupport", "GlacierClient", "GlacierEmulator"],
        exclude: ["README.md"]),
    .testTarget(
        name: "ParserFuzzTests",
        dependencies: [
            "GlacierIntegrity", "GlacierModel", "AWSSigning", "AWSCredentials", "HTTPTransport", "GlacierClient",
            "LRUOrder", "OutputCache", "GlacierFileSystem", "GlacierEmulator", "GlacierTestSupport",
        ]),
]
package.targets += [
    .testTarget(
        name: "MigrationTests",
        dependencies: [
            "Migration", "GlacierTestSupport", "GlacierClient", "GlacierEmulator", "GlacierModel", "GlacierIntegrity",
            "OutputCache",
        ])
]
