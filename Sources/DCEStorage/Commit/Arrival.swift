import NIOCore
import NIOPosix
import Synchronization

/// A write on its way to a `GroupCommitter`, counted from `announce()` until it is
/// submitted or this is released, whichever comes first.
public final class Arrival: Sendable {
    /// The arrivals not yet landed, by ticket: tickets are handed out in announcement order.
    final class Count: Sendable {
        private let state = Mutex<(next: Int, open: Set<Int>)>((0, []))
        /// The ticket the next arrival will get.
        var nextTicket: Int { state.withLock { $0.next } }
        /// Whether an arrival announced before `ticket` has not landed.
        func anyBefore(_ ticket: Int) -> Bool { state.withLock { $0.open.contains { $0 < ticket } } }

        func open() -> Int {
            state.withLock { state in
                defer { state.next += 1 }
                state.open.insert(state.next)
                return state.next
            }
        }

        func close(_ ticket: Int) { _ = state.withLock { $0.open.remove(ticket) } }
    }

    private let count: Count
    private let ticket: Int
    private let landed = Atomic<Bool>(false)
    /// Tells the gate to look again whether a group waiting for this may start.
    private let wake: @Sendable () -> Void

    init(_ count: Count, wake: @escaping @Sendable () -> Void) {
        self.count = count
        self.wake = wake
        ticket = count.open()
    }

    /// The write will not be submitted: it is no longer waited for.
    public func land() { land(waking: true) }

    /// `waking`: false when the committer itself lands it, as it takes the write.
    func land(waking: Bool) {
        guard !landed.exchange(true, ordering: .relaxed) else { return }
        count.close(ticket)
        if waking { wake() }
    }

    deinit { land() }
}

/// Where a commit group about to start waits (at most `linger`) for the writes announced
/// before it was due: requests already received and still being read or decoded. A group
/// costs its statements, its commit and its sync whatever its size; an idle server has no
/// announced writes, and its one write starts at once. Writes announced once the group is
/// due do not hold it: they join the next. At saturation here groups grew from about 14
/// to 19 deliveries, and the writer's CPU per delivery fell by 5-15%.
final class ArrivalGate: Sendable {
    private let count = Arrival.Count()
    let linger: TimeAmount
    private let waiting = Mutex<(generation: Int, due: Int, continuation: CheckedContinuation<Void, Never>)?>(nil)
    private let generations = Atomic<Int>(0)

    init(linger: TimeAmount) {
        self.linger = linger
    }

    func announce() -> Arrival {
        Arrival(count) { [weak self] in self?.recheck(full: false) }
    }

    /// Whether a group about to start would wait: some announced write has not landed.
    var hasAnnounced: Bool { linger > .zero && count.anyBefore(count.nextTicket) }

    /// Whether a group is waiting for announced writes (for tests).
    var isWaiting: Bool { waiting.withLock { $0 != nil } }

    /// Waits until every write announced before now has landed (or was given up), `recheck`
    /// says the group is full, or `linger` has passed. An event loop's timer ends the wait
    /// at the latest (Swift's `Task.sleep` oversleeps short waits by a millisecond or more).
    func wait() async {
        guard linger > .zero else { return }
        let due = count.nextTicket
        guard count.anyBefore(due) else { return }
        let generation = generations.add(1, ordering: .relaxed).newValue
        let timer = MultiThreadedEventLoopGroup.singleton.any().scheduleTask(in: linger) { [weak self] in
            self?.end(generation)
        }
        await withCheckedContinuation { continuation in
            waiting.withLock { $0 = (generation, due, continuation) }
            // What it waits for may have landed while the wait was being set up.
            recheck(full: false)
        }
        timer.cancel()
    }

    /// Ends the wait once what it waits for has come. `full`: the group has all it may take.
    func recheck(full: Bool) {
        let done = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard let current = waiting, full || !count.anyBefore(current.due) else { return nil }
            waiting = nil
            return current.continuation
        }
        done?.resume()
    }

    private func end(_ generation: Int) {
        let done = waiting.withLock { waiting -> CheckedContinuation<Void, Never>? in
            guard let current = waiting, current.generation == generation else { return nil }
            waiting = nil
            return current.continuation
        }
        done?.resume()
    }
}
