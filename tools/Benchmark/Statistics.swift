import Glibc

/// A set of measurements of one figure (seconds, records per second, nanoseconds…), kept sorted so
/// that order statistics are cheap to read repeatedly.
///
/// Percentiles interpolate linearly between the two nearest ranks (the "type 7" definition of
/// Hyndman and Fan, which is also NumPy's and R's default): for n sorted values x₀…xₙ₋₁ the p-th
/// percentile is at the fractional index h = (n − 1) · p / 100, i.e. x⌊h⌋ + (h − ⌊h⌋) · (x⌊h⌋₊₁ − x⌊h⌋).
/// It is chosen over nearest-rank because a benchmark usually has few runs (5 or so), where
/// nearest-rank would jump from one run to the next as p moves; with thousands of latencies the two
/// agree to within one sample. The median is the 50th percentile under the same rule (the mean of
/// the two middle values for an even count).
///
/// Every statistic needs at least one value: asking an empty set is a programming error (a NaN would
/// travel silently into the report and make its JSON unencodable).
struct Samples: Sendable, Equatable {
    /// The values in ascending order.
    private(set) var sorted: [Double]

    init(_ values: [Double] = []) {
        precondition(values.allSatisfy { !$0.isNaN }, "a sample must not be NaN")
        sorted = values.sorted()
    }

    /// Adds one value, keeping the order.
    mutating func append(_ value: Double) {
        precondition(!value.isNaN, "a sample must not be NaN")
        // Binary search for the first element greater than `value`: appends of ascending values
        // (the common case for latencies read in order) stay cheap.
        var low = 0
        var high = sorted.count
        while low < high {
            let middle = (low + high) / 2
            if sorted[middle] <= value { low = middle + 1 } else { high = middle }
        }
        sorted.insert(value, at: low)
    }

    var count: Int { sorted.count }
    var isEmpty: Bool { sorted.isEmpty }

    var min: Double {
        precondition(!isEmpty, "no samples")
        return sorted[0]
    }

    var max: Double {
        precondition(!isEmpty, "no samples")
        return sorted[sorted.count - 1]
    }

    var median: Double { percentile(50) }

    var mean: Double {
        precondition(!isEmpty, "no samples")
        return sorted.reduce(0, +) / Double(sorted.count)
    }

    /// The `p`-th percentile (0 ≤ p ≤ 100) by linear interpolation between closest ranks; see the
    /// type's documentation. `percentile(0)` is the minimum, `percentile(100)` the maximum.
    func percentile(_ p: Double) -> Double {
        precondition(!isEmpty, "no samples")
        precondition(p >= 0 && p <= 100, "a percentile is between 0 and 100, not \(p)")
        let position = Double(sorted.count - 1) * p / 100
        let lower = Int(position.rounded(.down))
        let upper = Swift.min(lower + 1, sorted.count - 1)
        let fraction = position - Double(lower)
        return sorted[lower] + fraction * (sorted[upper] - sorted[lower])
    }

    /// Runs `body` `warmUp` times without keeping its figure (to fault in pages, warm caches and let
    /// the CPU clock settle), then `runs` times collecting the figure it returns. `body` receives the
    /// run's index, counting warm-up runs first, so that each run can use a fresh directory.
    static func collect(
        runs: Int, warmUp: Int = 0, _ body: (_ run: Int) throws -> Double
    ) rethrows -> Samples {
        precondition(runs >= 1, "at least one run")
        precondition(warmUp >= 0, "a negative number of warm-up runs")
        for run in 0..<warmUp { _ = try body(run) }
        var samples = Samples()
        samples.sorted.reserveCapacity(runs)
        for run in warmUp..<(warmUp + runs) { samples.append(try body(run)) }
        return samples
    }
}

/// A monotonic clock for timing, in nanoseconds since an arbitrary origin. `CLOCK_MONOTONIC` is not
/// stepped by NTP or the administrator, so two readings always give a true interval.
func monotonicNanoseconds() -> UInt64 {
    var time = timespec()
    // clock_gettime cannot fail for CLOCK_MONOTONIC on Linux with a valid pointer.
    clock_gettime(CLOCK_MONOTONIC, &time)
    return UInt64(time.tv_sec) * 1_000_000_000 + UInt64(time.tv_nsec)
}

/// Runs `body` once and returns its result with the seconds it took on the monotonic clock.
func measureSeconds<T>(_ body: () throws -> T) rethrows -> (result: T, seconds: Double) {
    let start = monotonicNanoseconds()
    let result = try body()
    let end = monotonicNanoseconds()
    return (result, Double(end - start) / 1e9)
}
