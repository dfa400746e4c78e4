import DCEDomain
import Synchronization

/// Where the ledger takes the time: the system clock, or a test's fixed time so that it
/// can state whole expected values.
public struct LedgerClock: Sendable {
    public let now: @Sendable () -> Timestamp

    public init(now: @escaping @Sendable () -> Timestamp) { self.now = now }

    public static let system = LedgerClock { Timestamp.now() }

    public static func fixed(_ time: Timestamp) -> LedgerClock { LedgerClock { time } }
}

/// Where the ledger takes new ids (requests, calls, dead letters): random tokens, or a
/// test's numbered ones.
public struct IDSource: Sendable {
    /// `count` new ids starting with `prefix`.
    public let make: @Sendable (_ prefix: String, _ count: Int) -> [String]

    public init(make: @escaping @Sendable (_ prefix: String, _ count: Int) -> [String]) { self.make = make }

    public static let random = IDSource { Token.make(prefix: $0, count: $1) }

    /// `call_1`, `call_2`, … numbered per prefix in the order they are made.
    public static func numbered() -> IDSource {
        let counters = Mutex<[String: Int]>([:])
        return IDSource { prefix, count in
            let first = counters.withLock { counters in
                defer { counters[prefix, default: 0] += count }
                return counters[prefix, default: 0] + 1
            }
            return (first..<(first + count)).map { "\(prefix)_\($0)" }
        }
    }

    /// One new id starting with `prefix`.
    func next(_ prefix: String) -> String { make(prefix, 1).first ?? Token.make(prefix: prefix) }
}
