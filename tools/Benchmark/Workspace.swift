import Foundation
import Lineage
import Workload

/// The benchmark's working directory and what it keeps there: workload files, ledgers, the FIFO a
/// generator streams through. Everything under it is removed before a run and after.
struct Workspace {
    let root: String

    init(root: String) throws {
        self.root = root
        try? FileManager.default.removeItem(atPath: root)
        try FileManager.default.createDirectory(atPath: root, withIntermediateDirectories: true)
    }

    func path(_ name: String) -> String { root + "/" + name }

    /// A fresh, empty directory `name` (removed first if it exists).
    func freshDirectory(_ name: String) throws -> String {
        let directory = path(name)
        try? FileManager.default.removeItem(atPath: directory)
        try FileManager.default.createDirectory(atPath: directory, withIntermediateDirectories: true)
        return directory
    }

    func remove(_ name: String) { try? FileManager.default.removeItem(atPath: path(name)) }

    func removeAll() { try? FileManager.default.removeItem(atPath: root) }

    /// Writes the workload to the file `name`; returns its path and size in bytes.
    func writeWorkload(_ configuration: WorkloadConfiguration, to name: String) throws -> (path: String, bytes: Int) {
        let file = path(name)
        let fd = open(file, O_WRONLY | O_CREAT | O_TRUNC, 0o600)
        guard fd >= 0 else { throw BenchmarkFailure("cannot create \(file): errno \(errno)") }
        defer { close(fd) }
        var generator = try WorkloadGenerator(configuration)
        try generator.write(to: fd)
        let size = (try FileManager.default.attributesOfItem(atPath: file)[.size] as? NSNumber)?.intValue ?? 0
        return (file, size)
    }

    /// A named pipe the generator writes into on its own thread while a child process reads it, so a
    /// ten-million-event import never needs its input on disk. Returns the FIFO's path and the
    /// thread's completion, which throws the generator's error.
    func streamWorkload(_ configuration: WorkloadConfiguration, through name: String) throws -> (
        path: String, finished: () throws -> Int
    ) {
        let fifo = path(name)
        unlink(fifo)
        guard mkfifo(fifo, 0o600) == 0 else { throw BenchmarkFailure("mkfifo \(fifo): errno \(errno)") }
        let result = StreamResult()
        _ = try WorkloadGenerator(configuration)  // a configuration error surfaces here, not on the thread
        let thread = Thread {
            guard var generator = try? WorkloadGenerator(configuration) else { return }
            // Opening for writing waits until the reader opens its end.
            let fd = open(fifo, O_WRONLY)
            guard fd >= 0 else {
                result.finish(.failure(BenchmarkFailure("open \(fifo): errno \(errno)")))
                return
            }
            do {
                try generator.write(to: fd)
                close(fd)
                result.finish(.success(generator.emitted))
            } catch {
                close(fd)
                result.finish(.failure(error))
            }
        }
        thread.start()
        return (fifo, { try result.wait() })
    }
}

/// The outcome of a generator thread, handed to whoever waits for it.
private final class StreamResult: @unchecked Sendable {
    // @unchecked: `outcome` is touched only with `condition` locked.
    private let condition = NSCondition()
    private var outcome: Result<Int, Error>?

    func finish(_ result: Result<Int, Error>) {
        condition.lock()
        outcome = result
        condition.broadcast()
        condition.unlock()
    }

    func wait() throws -> Int {
        condition.lock()
        defer { condition.unlock() }
        while outcome == nil { condition.wait() }
        return try outcome!.get()
    }
}

/// Why the benchmark could not produce a figure (a rejected event, a failed command): the run stops,
/// since a figure over the wrong work would mislead.
struct BenchmarkFailure: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
