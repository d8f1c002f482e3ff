// swift-tools-version:6.0
import PackageDescription

let package = Package(
    name: "lineage",
    products: [
        .executable(name: "lineage", targets: ["LineageCLI"]),
        .library(name: "Lineage", targets: ["Lineage"]),
        .library(name: "LedgerStore", targets: ["LedgerStore"]),
        .executable(name: "lineage-workload", targets: ["WorkloadCommand"]),
        .executable(name: "lineage-bench", targets: ["Benchmark"]),
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
        // The workload generator and the benchmark live under tools/: they measure the product, they
        // are not part of it.
        .target(name: "Workload", path: "tools/Workload"),
        .executableTarget(name: "WorkloadCommand", dependencies: ["Workload"], path: "tools/WorkloadCommand"),
        .executableTarget(
            name: "Benchmark", dependencies: ["Lineage", "Workload", "CLMDB", "CCrypto"], path: "tools/Benchmark"),
        .testTarget(name: "LedgerStoreTests", dependencies: ["LedgerStore", "CLMDB"]),
        .testTarget(name: "LineageTests", dependencies: ["Lineage"]),
        .testTarget(name: "LineageCLITests", dependencies: ["LineageCLI", "Lineage"]),
        .testTarget(name: "WorkloadTests", dependencies: ["Workload", "Lineage"]),
        .testTarget(name: "BenchmarkTests", dependencies: ["Benchmark", "WorkloadCommand", "LineageCLI"]),
    ],
    swiftLanguageModes: [.v6]
)
