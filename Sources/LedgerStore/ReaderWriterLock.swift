import Glibc

/// A process-wide readers-writer lock. Every LMDB transaction of an ``Environment`` holds it shared;
/// growing the map holds it exclusively, because `mdb_env_set_mapsize` must never run while any
/// transaction of the process is open (it remaps memory those transactions point into).
final class ReaderWriterLock: @unchecked Sendable {
    // @unchecked: the pthread lock is the synchronisation; its storage never moves (heap allocated once).
    private let lock: UnsafeMutablePointer<pthread_rwlock_t>

    init() {
        lock = .allocate(capacity: 1)
        lock.initialize(to: pthread_rwlock_t())
        // glibc's default rwlock prefers readers, so a thread that already holds the shared lock may
        // take it again (a read inside a write closure) without deadlocking behind a waiting grower.
        precondition(pthread_rwlock_init(lock, nil) == 0, "pthread_rwlock_init failed")
    }

    deinit {
        pthread_rwlock_destroy(lock)
        lock.deallocate()
    }

    func withShared<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_rdlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }

    func withExclusive<T>(_ body: () throws -> T) rethrows -> T {
        pthread_rwlock_wrlock(lock)
        defer { pthread_rwlock_unlock(lock) }
        return try body()
    }
}
