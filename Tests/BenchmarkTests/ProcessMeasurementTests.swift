import Foundation
import Testing

@testable import Benchmark

@Suite("Running and measuring a child process", .serialized)
struct ProcessMeasurementTests {
    @Test("this process has anonymous and file-backed resident memory")
    func currentProcess() throws {
        #expect(try ProcessMeasurement.currentRssAnonKiB() > 0)
        #expect(try ResidentMemory.current().fileKiB > 0)
        #expect(ResidentMemory.of(pid: getpid()) != nil)
    }

    @Test("the exit code of a child that exits")
    func exitCode() throws {
        let measured = try ProcessMeasurement.run(executable: "/bin/sh", arguments: ["-c", "exit 7"])
        #expect(measured.termination == .exited(7))
        #expect(measured.exitCode == 7)
        #expect(measured.elapsedSeconds > 0)
    }

    @Test("the signal that killed a child")
    func killed() throws {
        let measured = try ProcessMeasurement.run(executable: "/bin/sh", arguments: ["-c", "kill -KILL $$"])
        #expect(measured.termination == .signalled(SIGKILL))
        #expect(measured.exitCode == nil)
    }

    @Test("standard input comes from a file, output and errors go to files")
    func redirection() throws {
        let scratch = try ScratchDirectory()
        let input = scratch.child("in.txt")
        let output = scratch.child("out.txt")
        let errors = scratch.child("err.txt")
        let text = (0..<5_000).map { "line \($0)\n" }.joined()  // more than a pipe's 64 KiB
        try text.write(toFile: input, atomically: true, encoding: .utf8)
        let measured = try ProcessMeasurement.run(
            executable: "/bin/sh", arguments: ["-c", "cat; echo oops >&2"], standardInput: input,
            standardOutput: output, standardError: errors)
        #expect(measured.exitCode == 0)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == text)
        #expect(try String(contentsOfFile: errors, encoding: .utf8) == "oops\n")
    }

    @Test("a name is looked up in PATH and the environment can be replaced")
    func environment() throws {
        let scratch = try ScratchDirectory()
        let output = scratch.child("out.txt")
        let measured = try ProcessMeasurement.run(
            executable: "sh", arguments: ["-c", "echo \"$GREETING\""],
            environment: ["GREETING": "hello", "PATH": "/usr/bin:/bin"], standardOutput: output)
        #expect(measured.exitCode == 0)
        #expect(try String(contentsOfFile: output, encoding: .utf8) == "hello\n")
    }

    @Test("a missing executable is an error naming the call")
    func missing() {
        let error = #expect(throws: ProcessMeasurementError.self) {
            try ProcessMeasurement.run(executable: "/nonexistent/lineage")
        }
        #expect(error?.call.hasPrefix("posix_spawnp") == true)
        #expect(error?.code == ENOENT)
    }

    @Test("the peak RssAnon of a child that holds a 64 MiB buffer")
    func peakMemory() throws {
        // dd reads /dev/zero into one 64 MiB buffer 40 times: the buffer is written, so resident and
        // anonymous, for long enough to be sampled many times.
        let measured = try ProcessMeasurement.run(
            executable: "/bin/dd", arguments: ["if=/dev/zero", "of=/dev/null", "bs=64M", "count=40"])
        #expect(measured.exitCode == 0)
        #expect(measured.samples >= 2)
        #expect(measured.peakRssAnonKiB >= 60 * 1024)
        #expect(measured.peakRssAnonKiB < 200 * 1024)
        #expect(measured.userSeconds + measured.systemSeconds > 0)
    }
}
