// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "lineage",
    products: [
        .executable(name: "lineage", targets: ["LineageCLI"]),
        .library(name: "Lineage", targets: ["Lineage"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
    ],
    targets: [
        .systemLibrary(
            name: "CLMDB",
            pkgConfig: "lmdb",
            providers: [.apt(["liblmdb-dev"])]
        ),
        .systemLibrary(
            name: "CCrypto",
            pkgConfig: "libcrypto",
            providers: [.apt(["libssl-dev"])]
        ),
        .target(name: "LedgerStore", dependencies: ["CLMDB", "CCrypto"]),
        .target(name: "Lineage", dependencies: ["LedgerStore"]),
        .executableTarget(name: "LineageCLI", dependencies: ["Lineage"]),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerStore", "CLMDB"]),
        .testTarget(name: "LineageTests", dependencies: ["Lineage"]),
        .testTarget(name: "LineageCLITests", dependencies: ["LineageCLI", "Lineage"]),
    ],
    swiftLanguageModes: [.v6]
)
