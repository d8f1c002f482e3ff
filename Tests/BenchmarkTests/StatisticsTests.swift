import Glibc
import Testing

@testable import Benchmark

@Suite("Samples: order statistics with linear interpolation")
struct StatisticsTests {
    @Test("median, extremes and percentiles of 1…10 in any order")
    func oneToTen() {
        let samples = Samples([7, 3, 10, 1, 5, 9, 2, 8, 4, 6])
        #expect(samples.count == 10)
        #expect(samples.min == 1)
        #expect(samples.max == 10)
        #expect(samples.median == 5.5)
        #expect(samples.mean == 5.5)
        #expect(samples.percentile(0) == 1)
        #expect(samples.percentile(100) == 10)
        #expect(abs(samples.percentile(90) - 9.1) < 1e-12)
        #expect(samples.percentile(25) == 3.25)
    }

    @Test("the values NumPy's default (linear) percentile gives")
    func numpyAgreement() {
        #expect(Samples([15, 20, 35, 40, 50]).percentile(40) == 29)
        #expect(abs(Samples((1...1000).map(Double.init)).percentile(99) - 990.01) < 1e-9)
    }

    @Test("an odd count has its middle value as median; one value is every statistic")
    func smallSets() {
        #expect(Samples([3, 1, 2]).median == 2)
        let one = Samples([42])
        #expect(one.median == 42 && one.min == 42 && one.max == 42 && one.percentile(99) == 42)
    }

    @Test("appending keeps the values sorted")
    func appending() {
        var samples = Samples()
        #expect(samples.isEmpty)
        for value in [5.0, 1, 3, 3, 9, 0] { samples.append(value) }
        #expect(samples.sorted == [0, 1, 3, 3, 5, 9])
        #expect(samples.median == 3)
    }

    @Test("collect runs the warm-up runs first and keeps only the measured ones")
    func collect() {
        var seen: [Int] = []
        let samples = Samples.collect(runs: 4, warmUp: 2) { run in
            seen.append(run)
            return Double(run * 10)
        }
        #expect(seen == [0, 1, 2, 3, 4, 5])
        #expect(samples.sorted == [20, 30, 40, 50])
        #expect(samples.median == 35)
    }

    @Test("collect passes errors on")
    func collectThrows() {
        struct Failure: Error {}
        #expect(throws: Failure.self) {
            _ = try Samples.collect(runs: 3) { run in
                if run == 1 { throw Failure() }
                return 1
            }
        }
    }

    @Test("measureSeconds times on the monotonic clock")
    func stopwatch() {
        let (value, seconds) = measureSeconds { () -> Int in
            var delay = timespec(tv_sec: 0, tv_nsec: 20_000_000)
            nanosleep(&delay, nil)
            return 7
        }
        #expect(value == 7)
        #expect(seconds >= 0.019 && seconds < 5)
    }
}
