import Foundation

/// A day of the week, numbered as Foundation's Gregorian calendar numbers them.
public enum Weekday: Int, Hashable, Sendable, Codable, CaseIterable {
    case sunday = 1, monday, tuesday, wednesday, thursday, friday, saturday

    public static let minutesPerDay = 1440
    public static let minutesPerWeek = 7 * minutesPerDay

    public var name: String {
        switch self {
        case .sunday: "sunday"
        case .monday: "monday"
        case .tuesday: "tuesday"
        case .wednesday: "wednesday"
        case .thursday: "thursday"
        case .friday: "friday"
        case .saturday: "saturday"
        }
    }

    /// `monday` or `mon`, in any case.
    public init(parsing text: String, field: String) throws(RoutingPlanError) {
        let lowered = text.trimmingWhitespace().lowercased()
        guard lowered.count >= 3, let day = Self.allCases.first(where: { $0.name.hasPrefix(lowered) }) else {
            throw RoutingPlanError(field: field, problem: .unknownWeekday(text))
        }
        self = day
    }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = try Self(parsing: try container.decode(String.self), field: "weekday")
        } catch let error as RoutingPlanError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(name)
    }
}

/// A wall-clock time of day in minutes after midnight, 00:00 through 24:00 (24:00 only
/// makes sense as a closing time).
public struct ClockTime: Hashable, Sendable, Comparable, Codable, CustomStringConvertible {
    public let minutes: Int

    public static let midnight = ClockTime(checked: 0)
    public static let endOfDay = ClockTime(checked: Weekday.minutesPerDay)

    private init(checked minutes: Int) { self.minutes = minutes }

    public init(hour: Int, minute: Int = 0, field: String) throws(RoutingPlanError) {
        guard (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0 else {
            throw RoutingPlanError(field: field, problem: .invalidClockTime("\(hour):\(minute)"))
        }
        self.minutes = hour * 60 + minute
    }

    /// `HH:MM` (or `H:MM`).
    public init(parsing text: String, field: String) throws(RoutingPlanError) {
        let parts = text.split(separator: ":", omittingEmptySubsequences: false)
        guard parts.count == 2, (1...2).contains(parts[0].count), parts[1].count == 2,
              parts.allSatisfy({ $0.allSatisfy { $0.isASCII && $0.isNumber } }),
              let hour = Int(parts[0]), let minute = Int(parts[1]),
              (0...24).contains(hour), (0...59).contains(minute), hour < 24 || minute == 0
        else { throw RoutingPlanError(field: field, problem: .invalidClockTime(text)) }
        self.minutes = hour * 60 + minute
    }

    public var description: String {
        let hour = minutes / 60, minute = minutes % 60
        return (hour < 10 ? "0" : "") + "\(hour):" + (minute < 10 ? "0" : "") + "\(minute)"
    }

    public static func < (lhs: ClockTime, rhs: ClockTime) -> Bool { lhs.minutes < rhs.minutes }

    public init(from decoder: any Decoder) throws {
        let container = try decoder.singleValueContainer()
        do {
            self = try Self(parsing: try container.decode(String.self), field: "time")
        } catch let error as RoutingPlanError {
            throw DecodingError.dataCorruptedError(in: container, debugDescription: error.description)
        }
    }

    public func encode(to encoder: any Encoder) throws {
        var container = encoder.singleValueContainer()
        try container.encode(description)
    }
}

/// One opening on one weekday. A window that closes at or before it opens runs overnight
/// into the next day (`friday 22:00–02:00` is open until Saturday 02:00).
public struct HoursWindow: Hashable, Sendable, Codable {
    public var weekday: Weekday
    public var opens: ClockTime
    public var closes: ClockTime

    public init(_ weekday: Weekday, opens: ClockTime, closes: ClockTime) {
        self.weekday = weekday
        self.opens = opens
        self.closes = closes
    }

    public var isOvernight: Bool { closes < opens }

    /// The minutes of the week it covers, as [start, end); the end may pass the week's end
    /// (Saturday overnight), in which case the window wraps to Sunday morning.
    var minutesOfWeek: Range<Int> {
        let start = (weekday.rawValue - 1) * Weekday.minutesPerDay + opens.minutes
        let length = isOvernight ? Weekday.minutesPerDay - opens.minutes + closes.minutes : closes.minutes - opens.minutes
        return start..<(start + length)
    }

    /// The same minutes cut at the week's end, so that every piece lies within one week.
    var pieces: [Range<Int>] {
        let range = minutesOfWeek
        guard range.upperBound > Weekday.minutesPerWeek else { return [range] }
        return [range.lowerBound..<Weekday.minutesPerWeek, 0..<(range.upperBound - Weekday.minutesPerWeek)]
    }
}

/// When a target takes calls, on its own wall clock: several windows a day, overnight
/// windows included. Read by local weekday, hour and minute, so across a DST change a
/// 09:00 opening stays at 09:00 local time.
public struct BusinessHours: Hashable, Sendable, Codable {
    public var windows: [HoursWindow]

    public init(_ windows: [HoursWindow]) { self.windows = windows }

    /// Whether the wall clock of `timeZone` at `time` falls inside a window.
    public func isOpen(at time: Timestamp, in timeZone: IANATimeZone) -> Bool {
        isOpen(atMinuteOfWeek: timeZone.minuteOfWeek(at: time))
    }

    /// `nil` (a time the calendar cannot place) is closed.
    func isOpen(atMinuteOfWeek minute: Int?) -> Bool {
        guard let minute else { return false }
        return windows.contains { window in window.pieces.contains { $0.contains(minute) } }
    }

    /// The first problem with the windows, named by path: an empty window, or two windows
    /// that share a minute (including an overnight window running into the next day's).
    func validate(field: String) throws(RoutingPlanError) {
        guard !windows.isEmpty else { throw RoutingPlanError(field: field, problem: .noWindows) }
        guard windows.count <= 7 * 24 else { throw RoutingPlanError(field: field, problem: .tooMany(maximum: 7 * 24)) }
        var pieces: [(range: Range<Int>, index: Int)] = []
        for (index, window) in windows.enumerated() {
            guard window.opens < .endOfDay else {
                throw RoutingPlanError(field: "\(field)[\(index)].opens", problem: .invalidClockTime(window.opens.description))
            }
            guard window.opens != window.closes else { throw RoutingPlanError(field: "\(field)[\(index)]", problem: .emptyWindow) }
            pieces += window.pieces.map { (range: $0, index: index) }
        }
        pieces.sort { $0.range.lowerBound < $1.range.lowerBound }
        for (earlier, later) in zip(pieces, pieces.dropFirst()) where earlier.range.overlaps(later.range) {
            let (first, second) = (min(earlier.index, later.index), max(earlier.index, later.index))
            throw RoutingPlanError(field: "\(field)[\(second)]", problem: .overlappingHours(with: "\(field)[\(first)]"))
        }
    }
}

extension IANATimeZone {
    /// Minutes since Sunday 00:00 on this zone's wall clock at `time`.
    func minuteOfWeek(at time: Timestamp) -> Int? {
        var calendar = Calendar(identifier: .gregorian)
        calendar.timeZone = zone
        let parts = calendar.dateComponents([.weekday, .hour, .minute], from: time.date)
        guard let weekday = parts.weekday, let hour = parts.hour, let minute = parts.minute,
              (1...7).contains(weekday), (0...23).contains(hour), (0...59).contains(minute)
        else { return nil }
        return (weekday - 1) * Weekday.minutesPerDay + hour * 60 + minute
    }
}
