import CLMDB
import Foundation

/// The data file of an environment opened with `MDB_WRITEMAP`, held open so that changes of the map
/// size can be made safe across processes.
///
/// With a writable map LMDB sets the file's length to the map size (`ftruncate`) whenever a process
/// opens the environment or changes its map size, shrinking it as readily as growing it. Processes
/// grow their maps independently, so a process whose map is smaller than another's would cut off the
/// other's pages: its next write there is a `SIGBUS`, or a commit pointing at pages that are gone.
/// The file is therefore never shrunk: every size change happens under an exclusive `flock` on the
/// file, and asks for at least the file's current length. And because a write into a hole of a mapped
/// file is also a `SIGBUS` when the disk is full, the blocks are allocated (`fallocate`) before
/// the map covers them, so that a full disk is `ENOSPC` from the growth instead.
final class MapFile {
    private let descriptor: Int32
    let path: String

    /// Opens (creating, mode 0600, as LMDB would) `data.mdb` in `directory`.
    init(directory: String) throws {
        path = directory + "/data.mdb"
        descriptor = open(path, O_RDWR | O_CREAT | O_CLOEXEC, 0o600)
        guard descriptor >= 0 else { throw LMDBError(code: errno, operation: "open(\(path))") }
    }

    deinit {
        // A flock belongs to this open file description, so closing it never drops another's lock
        // (and LMDB's own locks are on lock.mdb).
        close(descriptor)
    }

    /// Runs `body` holding the exclusive lock, with the file's current length.
    func withExclusiveLock<T>(_ body: (_ length: Int) throws -> T) throws -> T {
        while flock(descriptor, LOCK_EX) != 0 {
            guard errno == EINTR else { throw LMDBError(code: errno, operation: "flock(\(path))") }
        }
        defer { flock(descriptor, LOCK_UN) }
        return try body(Int(try status().st_size))
    }

    private func status() throws -> stat {
        var status = stat()
        guard fstat(descriptor, &status) == 0 else { throw LMDBError(code: errno, operation: "fstat(\(path))") }
        return status
    }

    /// Asks the kernel to bring `length` bytes from `offset` into the page cache now, on the calling
    /// thread (`posix_fadvise`, `WILLNEED`); a hint, so a failure is ignored. A megabyte at a time:
    /// one call reads at most the device's readahead window and drops the rest of its range.
    func readAhead(offset: Int, length: Int) {
        let chunk = 1 << 20
        var start = offset
        while start < offset + length {
            _ = posix_fadvise(descriptor, off_t(start), off_t(min(chunk, offset + length - start)), POSIX_FADV_WILLNEED)
            start += chunk
        }
    }

    /// Gives the file blocks up to `bytes` (extending it when shorter). A file allocated that far
    /// costs one `fstat`.
    func allocate(upTo bytes: Int) throws {
        let status = try status()
        if Int(status.st_size) >= bytes && Int(status.st_blocks) * 512 >= bytes { return }
        // Linux's fallocate, not posix_fallocate: where a file system lacks it, glibc's fallback
        // writes a zero byte into every block that reads as zero, racing with the other processes'
        // writes through their maps. Such a file system keeps its holes (and the SIGBUS on a full disk).
        guard CLMDB.fallocate(descriptor, 0, 0, bytes) == 0 else {
            if errno == EOPNOTSUPP { return }
            throw LMDBError(code: errno, operation: "fallocate(\(path), \(bytes) bytes)")
        }
    }
}
