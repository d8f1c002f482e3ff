import Foundation

/// A bounded hand-over from one producer thread to one consumer: the import's parsed batches, the
/// replay's decoded records. The producer waits while it is `capacity` ahead; the consumer can cancel,
/// which releases a waiting producer. The consumer can also hand items back once it is done with
/// them, for the producer to free on its own thread: a batch of thousands of events is tens of
/// thousands of buffers, and freeing them was a twentieth of the import's writer, the busier thread.
final class BoundedQueue<Element: Sendable>: @unchecked Sendable {
    // @unchecked: every field is read and written only while `condition` is locked.
    private let condition = NSCondition()
    private var items: [Element] = []
    private var spent: [Element] = []
    private var finished = false
    private var cancelled = false
    private var failure: Error?
    private let capacity: Int

    init(capacity: Int) { self.capacity = capacity }

    /// Waits for room; false when the consumer has gone away.
    func push(_ item: Element) -> Bool {
        // What the consumer handed back is freed here, on this thread, once the lock is released.
        var freed: [Element] = []
        defer { freed.removeAll() }
        condition.lock()
        defer { condition.unlock() }
        while items.count >= capacity && !cancelled { condition.wait() }
        swap(&freed, &spent)
        guard !cancelled else { return false }
        items.append(item)
        condition.broadcast()
        return true
    }

    /// Hands an item the consumer is done with back to the producer, which frees it at its next
    /// ``push(_:)`` or in ``freeSpentUntilCancelled()``.
    func recycle(_ item: consuming Element) {
        condition.lock()
        spent.append(item)
        condition.broadcast()
        condition.unlock()
    }

    /// For the producer once it has finished: frees what the consumer hands back until the consumer
    /// cancels (when it is done with the queue), so that the last batches too are freed off its thread.
    func freeSpentUntilCancelled() {
        while true {
            var freed: [Element] = []
            condition.lock()
            while spent.isEmpty && !cancelled { condition.wait() }
            swap(&freed, &spent)
            let done = cancelled
            condition.unlock()
            freed.removeAll()
            if done { return }
        }
    }

    /// The producer is done, with the error that stopped it if any.
    func finish(error: Error?) {
        condition.lock()
        finished = true
        failure = error
        condition.broadcast()
        condition.unlock()
    }

    func cancel() {
        condition.lock()
        cancelled = true
        condition.broadcast()
        condition.unlock()
    }

    /// Whether ``pop()`` would return at once: an item is waiting, or the producer has finished.
    var isReady: Bool {
        condition.lock()
        defer { condition.unlock() }
        return !items.isEmpty || finished
    }

    /// The next item, `nil` at the end; rethrows the producer's error.
    func pop() throws -> Element? {
        condition.lock()
        defer { condition.unlock() }
        while items.isEmpty && !finished { condition.wait() }
        if !items.isEmpty {
            let item = items.removeFirst()
            condition.broadcast()
            return item
        }
        if let failure { throw failure }
        return nil
    }

    /// Waits until the producer has called ``finish(error:)``: after ``cancel()``, so that nothing it
    /// holds (a read transaction) outlives the consumer's own transaction.
    func waitUntilFinished() {
        condition.lock()
        while !finished { condition.wait() }
        condition.unlock()
    }
}
