import Dispatch
import Foundation
import Glibc
import Synchronization

/// A system call that failed while running or observing a process.
struct ProcessMeasurementError: Error, CustomStringConvertible {
    let call: String
    let code: Int32

    var description: String { "\(call) failed: \(String(cString: strerror(code))) (\(code))" }
}

/// Resident memory of a process as the kernel accounts it in /proc/<pid>/status, in KiB.
struct ResidentMemory: Sendable, Equatable {
    /// `RssAnon`: anonymous pages (heap, stacks, private copies): the process's own memory.
    var anonymousKiB: Int
    /// `RssFile`: file-backed pages, which include LMDB's read-only map of data.mdb. They belong to
    /// the page cache, can be dropped under pressure, and grow with the ledger rather than with
    /// anything the program allocates, so the memory figure leaves them out.
    var fileKiB: Int

    /// The current process's resident memory.
    static func current() throws -> ResidentMemory {
        guard let memory = try read(statusPath: "/proc/self/status") else {
            throw ProcessMeasurementError(call: "RssAnon in /proc/self/status", code: ENOENT)
        }
        return memory
    }

    /// The resident memory of `pid`; `nil` once it has exited (a zombie has no memory and no
    /// RssAnon line) or when it does not exist.
    static func of(pid: pid_t) -> ResidentMemory? {
        (try? read(statusPath: "/proc/\(pid)/status")) ?? nil
    }

    /// Reads and parses one status file with plain system calls: it is read every few milliseconds
    /// while the measured process runs, and should cost that process as little as possible.
    private static func read(statusPath: String) throws -> ResidentMemory? {
        let descriptor = open(statusPath, O_RDONLY | O_CLOEXEC)
        guard descriptor >= 0 else {
            let code = errno
            if code == ENOENT || code == ESRCH { return nil }
            throw ProcessMeasurementError(call: "open(\(statusPath))", code: code)
        }
        defer { close(descriptor) }
        // The file is about 1.5 KiB; the buffer grows in the unlikely case it is not.
        var bytes = [UInt8](repeating: 0, count: 8192)
        var filled = 0
        while true {
            if filled == bytes.count { bytes.append(contentsOf: repeatElement(0, count: bytes.count)) }
            let count = bytes.withUnsafeMutableBytes { buffer in
                Glibc.read(descriptor, buffer.baseAddress! + filled, buffer.count - filled)
            }
            if count == 0 { break }
            if count < 0 {
                let code = errno
                if code == EINTR { continue }
                if code == ESRCH { return nil }
                throw ProcessMeasurementError(call: "read(\(statusPath))", code: code)
            }
            filled += count
        }
        guard let anonymous = field(Array("RssAnon:".utf8), in: bytes[..<filled]),
            let file = field(Array("RssFile:".utf8), in: bytes[..<filled])
        else { return nil }
        return ResidentMemory(anonymousKiB: anonymous, fileKiB: file)
    }

    /// The number on the line that starts with `name` ("RssAnon:\t  1234 kB").
    private static func field(_ name: [UInt8], in text: ArraySlice<UInt8>) -> Int? {
        var lineStart = text.startIndex
        while lineStart < text.endIndex {
            let lineEnd = text[lineStart...].firstIndex(of: UInt8(ascii: "\n")) ?? text.endIndex
            let line = text[lineStart..<lineEnd]
            if line.starts(with: name) {
                var value = 0
                var sawDigit = false
                for byte in line.dropFirst(name.count) {
                    if byte >= UInt8(ascii: "0") && byte <= UInt8(ascii: "9") {
                        value = value * 10 + Int(byte - UInt8(ascii: "0"))
                        sawDigit = true
                    } else if sawDigit {
                        break
                    }
                }
                return sawDigit ? value : nil
            }
            lineStart = lineEnd + 1
        }
        return nil
    }
}

/// What running one child process cost.
struct ProcessMeasurement: Sendable {
    enum Termination: Sendable, Equatable {
        case exited(Int32)
        case signalled(Int32)
    }

    let termination: Termination
    /// From just before `posix_spawn` until the kernel reported the child's exit.
    let elapsedSeconds: Double
    /// The largest `RssAnon` seen while sampling; 0 when the child ended before the first sample.
    let peakRssAnonKiB: Int
    /// The largest `RssFile` seen (LMDB's mapped pages among them), for context.
    let peakRssFileKiB: Int
    /// How many times the status file was read with the child alive.
    let samples: Int
    /// CPU time of the child, from `wait4`'s resource usage.
    let userSeconds: Double
    let systemSeconds: Double

    /// `RssAnon` of the current process, in KiB.
    static func currentRssAnonKiB() throws -> Int {
        try ResidentMemory.current().anonymousKiB
    }

    /// The exit code when the child exited normally.
    var exitCode: Int32? {
        if case .exited(let code) = termination { return code }
        return nil
    }

    /// Runs `executable` (a path, or a name looked up in PATH) with `arguments`, waits for it and
    /// measures it. Standard input is read from the file `standardInput` (or /dev/null); standard
    /// output and error go to the files named (created or truncated) or to /dev/null, so that no
    /// pipe can fill up and stall the child. `environment` replaces the child's environment when
    /// given (otherwise it inherits this process's). The child starts in this process's working
    /// directory (glibc's chdir file action is not visible to Swift), so pass absolute paths.
    /// Every `samplingInterval` seconds a background thread reads /proc/<pid>/status and keeps the
    /// peak `RssAnon`; a peak shorter than the interval can be missed. The child is reaped only
    /// after sampling has stopped, so the sampler can never read the status of another process
    /// that reused the pid.
    static func run(
        executable: String, arguments: [String] = [], environment: [String: String]? = nil,
        standardInput: String? = nil, standardOutput: String? = nil, standardError: String? = nil,
        samplingInterval: Double = 0.005
    ) throws -> ProcessMeasurement {
        var actions = posix_spawn_file_actions_t()
        try checkSpawn(posix_spawn_file_actions_init(&actions), "posix_spawn_file_actions_init")
        defer { posix_spawn_file_actions_destroy(&actions) }
        // No O_CLOEXEC here: these descriptors are the child's 0, 1 and 2.
        try checkSpawn(
            posix_spawn_file_actions_addopen(&actions, 0, standardInput ?? "/dev/null", O_RDONLY, 0),
            "posix_spawn_file_actions_addopen(stdin)")
        try checkSpawn(
            posix_spawn_file_actions_addopen(
                &actions, 1, standardOutput ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
            "posix_spawn_file_actions_addopen(stdout)")
        try checkSpawn(
            posix_spawn_file_actions_addopen(
                &actions, 2, standardError ?? "/dev/null", O_WRONLY | O_CREAT | O_TRUNC, 0o644),
            "posix_spawn_file_actions_addopen(stderr)")
        // A signal this process blocks or ignores would otherwise stay blocked or ignored in the
        // child; SIGPIPE is the usual one.
        var attributes = posix_spawnattr_t()
        try checkSpawn(posix_spawnattr_init(&attributes), "posix_spawnattr_init")
        defer { posix_spawnattr_destroy(&attributes) }
        var noSignals = sigset_t()
        sigemptyset(&noSignals)
        var defaults = sigset_t()
        sigemptyset(&defaults)
        sigaddset(&defaults, SIGPIPE)
        try checkSpawn(posix_spawnattr_setsigmask(&attributes, &noSignals), "posix_spawnattr_setsigmask")
        try checkSpawn(posix_spawnattr_setsigdefault(&attributes, &defaults), "posix_spawnattr_setsigdefault")
        try checkSpawn(
            posix_spawnattr_setflags(&attributes, Int16(POSIX_SPAWN_SETSIGMASK | POSIX_SPAWN_SETSIGDEF)),
            "posix_spawnattr_setflags")

        let argv = CStringArray([executable] + arguments)
        let environmentEntries = (environment ?? ProcessInfo.processInfo.environment).map { "\($0.key)=\($0.value)" }
        let envp = CStringArray(environmentEntries)

        var pid: pid_t = 0
        let start = monotonicNanoseconds()
        let spawned = posix_spawnp(&pid, executable, &actions, &attributes, argv.pointers, envp.pointers)
        try checkSpawn(spawned, "posix_spawnp(\(executable))")

        let sampler = RssSampler(pid: pid, interval: samplingInterval)
        let samplerDone = DispatchSemaphore(value: 0)
        let thread = Thread {
            sampler.run()
            samplerDone.signal()
        }
        thread.name = "rss-sampler"
        thread.start()

        // Wait for the exit without reaping (WNOWAIT): the pid stays ours until wait4 below.
        var info = siginfo_t()
        while waitid(P_PID, id_t(pid), &info, WEXITED | WNOWAIT) != 0 {
            let code = errno
            if code == EINTR { continue }
            // Without a wait the child would be left unreaped; stop sampling and report.
            sampler.stop()
            samplerDone.wait()
            throw ProcessMeasurementError(call: "waitid(\(pid))", code: code)
        }
        let end = monotonicNanoseconds()
        sampler.stop()
        samplerDone.wait()

        var status: Int32 = 0
        var usage = rusage()
        while wait4(pid, &status, 0, &usage) < 0 {
            let code = errno
            if code == EINTR { continue }
            throw ProcessMeasurementError(call: "wait4(\(pid))", code: code)
        }
        // The W* macros are not imported into Swift; this is their definition in glibc.
        let signal = status & 0x7f
        let termination: Termination = signal == 0 ? .exited((status >> 8) & 0xff) : .signalled(signal)
        return ProcessMeasurement(
            termination: termination, elapsedSeconds: Double(end - start) / 1e9,
            peakRssAnonKiB: sampler.peakAnonymousKiB, peakRssFileKiB: sampler.peakFileKiB, samples: sampler.samples,
            userSeconds: seconds(usage.ru_utime), systemSeconds: seconds(usage.ru_stime))
    }

    private static func seconds(_ time: timeval) -> Double {
        Double(time.tv_sec) + Double(time.tv_usec) / 1e6
    }

    /// posix_spawn and its helpers return an error number instead of setting errno.
    private static func checkSpawn(_ result: Int32, _ call: @autoclosure () -> String) throws {
        if result != 0 { throw ProcessMeasurementError(call: call(), code: result) }
    }
}

/// Samples a process's resident memory on its own thread until stopped, keeping the peaks.
private final class RssSampler: Sendable {
    private let pid: pid_t
    private let intervalNanoseconds: Int
    private let stopped = Atomic<Bool>(false)
    private let peakAnonymous = Atomic<Int>(0)
    private let peakFile = Atomic<Int>(0)
    private let sampleCount = Atomic<Int>(0)

    init(pid: pid_t, interval: Double) {
        self.pid = pid
        intervalNanoseconds = Swift.max(Int(interval * 1e9), 100_000)
    }

    var peakAnonymousKiB: Int { peakAnonymous.load(ordering: .acquiring) }
    var peakFileKiB: Int { peakFile.load(ordering: .acquiring) }
    var samples: Int { sampleCount.load(ordering: .acquiring) }

    func stop() { stopped.store(true, ordering: .releasing) }

    func run() {
        while !stopped.load(ordering: .acquiring) {
            if let memory = ResidentMemory.of(pid: pid) {
                // Only this thread writes the peaks; the atomics publish them to the waiting one.
                if memory.anonymousKiB > peakAnonymous.load(ordering: .relaxed) {
                    peakAnonymous.store(memory.anonymousKiB, ordering: .releasing)
                }
                if memory.fileKiB > peakFile.load(ordering: .relaxed) {
                    peakFile.store(memory.fileKiB, ordering: .releasing)
                }
                sampleCount.add(1, ordering: .releasing)
            }
            var delay = timespec(tv_sec: 0, tv_nsec: intervalNanoseconds)
            nanosleep(&delay, nil)
        }
    }
}

/// A NULL-terminated array of C strings for argv and envp, freed with the value.
private final class CStringArray {
    let pointers: [UnsafeMutablePointer<CChar>?]

    init(_ strings: [String]) {
        pointers = strings.map { strdup($0) } + [nil]
    }

    deinit {
        for pointer in pointers { free(pointer) }
    }
}
