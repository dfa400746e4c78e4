/// ISO 8601 in UTC without Foundation's formatters, which are slow enough to show in
/// ingestion profiles. Civil-date arithmetic after Howard Hinnant's `days_from_civil`.
enum ISO8601 {
    /// `2026-11-02`, `2026-11-02T10:00`, `2026-11-02T10:00:00`, `…:00.250`, with `Z`, an
    /// offset (`+02:00`, `+0200`) or no zone (UTC); `T` or a space between date and time.
    static func parse(_ text: String) -> Int64? {
        var scanner = Scanner(Array(text.utf8))
        guard let year = scanner.number(digits: 4), scanner.take(UInt8(ascii: "-")),
              let month = scanner.number(digits: 2), scanner.take(UInt8(ascii: "-")),
              let day = scanner.number(digits: 2),
              (1...12).contains(month), (1...daysInMonth(year: year, month: month)).contains(day)
        else { return nil }
        var millis = daysFromCivil(year: year, month: month, day: day) * 86_400_000
        if scanner.atEnd { return millis }
        guard scanner.take(UInt8(ascii: "T")) || scanner.take(UInt8(ascii: "t")) || scanner.take(UInt8(ascii: " ")),
              let hour = scanner.number(digits: 2), scanner.take(UInt8(ascii: ":")),
              let minute = scanner.number(digits: 2), hour < 24, minute < 60
        else { return nil }
        millis += Int64(hour) * 3_600_000 + Int64(minute) * 60_000
        if scanner.take(UInt8(ascii: ":")) {
            guard let second = scanner.number(digits: 2), second <= 60 else { return nil }
            millis += Int64(second) * 1000
            if scanner.take(UInt8(ascii: ".")) || scanner.take(UInt8(ascii: ",")) {
                var scale: Int64 = 100
                var digits = 0
                while let digit = scanner.digit() {
                    millis += Int64(digit) * scale
                    scale /= 10
                    digits += 1
                }
                guard digits > 0 else { return nil }
            }
        }
        if scanner.atEnd || scanner.take(UInt8(ascii: "Z")) || scanner.take(UInt8(ascii: "z")) {
            return scanner.atEnd ? millis : nil
        }
        let sign: Int64
        if scanner.take(UInt8(ascii: "+")) { sign = 1 } else if scanner.take(UInt8(ascii: "-")) { sign = -1 } else { return nil }
        guard let offsetHours = scanner.number(digits: 2), offsetHours < 24 else { return nil }
        _ = scanner.take(UInt8(ascii: ":"))
        let offsetMinutes = scanner.number(digits: 2) ?? 0
        guard scanner.atEnd, offsetMinutes < 60 else { return nil }
        return millis - sign * (Int64(offsetHours) * 3_600_000 + Int64(offsetMinutes) * 60_000)
    }

    /// `2026-11-02T10:00:00.000Z`. Any Int64 formats: years before 0 get a minus sign
    /// and years past 9999 more digits, so that a stored mistake can still be shown.
    static func format(_ millis: Int64) -> String {
        // Floor division by remainder: `days * 86_400_000` would overflow near Int64.min.
        let remainder = millis % 86_400_000
        let inDay = remainder < 0 ? remainder + 86_400_000 : remainder
        let days = millis / 86_400_000 - (remainder < 0 ? 1 : 0)
        let (year, month, day) = civilFromDays(days)
        var out = [UInt8]()
        out.reserveCapacity(24)
        func put(_ value: Int64, width: Int) {
            if value < 0 { out.append(UInt8(ascii: "-")) }
            var digits: [UInt8] = []
            var v = value.magnitude
            repeat {
                digits.append(UInt8(ascii: "0") + UInt8(v % 10))
                v /= 10
            } while v > 0
            if digits.count < width { digits += [UInt8](repeating: UInt8(ascii: "0"), count: width - digits.count) }
            out += digits.reversed()
        }
        put(year, width: 4); out.append(UInt8(ascii: "-"))
        put(month, width: 2); out.append(UInt8(ascii: "-"))
        put(day, width: 2); out.append(UInt8(ascii: "T"))
        put(inDay / 3_600_000, width: 2); out.append(UInt8(ascii: ":"))
        put(inDay / 60_000 % 60, width: 2); out.append(UInt8(ascii: ":"))
        put(inDay / 1000 % 60, width: 2); out.append(UInt8(ascii: "."))
        put(inDay % 1000, width: 3); out.append(UInt8(ascii: "Z"))
        return String(decoding: out, as: UTF8.self)
    }

    static func daysFromCivil(year: Int, month: Int, day: Int) -> Int64 {
        let y = Int64(month <= 2 ? year - 1 : year)
        let era = floorDivide(y, 400)
        let yoe = y - era * 400
        let m = Int64(month)
        let doy = (153 * (m > 2 ? m - 3 : m + 9) + 2) / 5 + Int64(day) - 1
        let doe = yoe * 365 + yoe / 4 - yoe / 100 + doy
        return era * 146_097 + doe - 719_468
    }

    static func civilFromDays(_ days: Int64) -> (Int64, Int64, Int64) {
        let z = days + 719_468
        let era = floorDivide(z, 146_097)
        let doe = z - era * 146_097
        let yoe = (doe - doe / 1460 + doe / 36524 - doe / 146_096) / 365
        let doy = doe - (365 * yoe + yoe / 4 - yoe / 100)
        let mp = (5 * doy + 2) / 153
        let day = doy - (153 * mp + 2) / 5 + 1
        let month = mp < 10 ? mp + 3 : mp - 9
        return (yoe + era * 400 + (month <= 2 ? 1 : 0), month, day)
    }

    static func daysInMonth(year: Int, month: Int) -> Int {
        switch month {
        case 2: (year % 4 == 0 && year % 100 != 0) || year % 400 == 0 ? 29 : 28
        case 4, 6, 9, 11: 30
        default: 31
        }
    }

    /// Rounds toward minus infinity; `b` is positive. Safe for every `a`, Int64.min too.
    static func floorDivide(_ a: Int64, _ b: Int64) -> Int64 {
        let quotient = a / b
        return a % b < 0 ? quotient - 1 : quotient
    }

    struct Scanner {
        let bytes: [UInt8]
        var index = 0
        init(_ bytes: [UInt8]) { self.bytes = bytes }
        var atEnd: Bool { index == bytes.count }

        mutating func take(_ byte: UInt8) -> Bool {
            guard index < bytes.count, bytes[index] == byte else { return false }
            index += 1
            return true
        }

        mutating func digit() -> Int? {
            guard index < bytes.count, (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(bytes[index]) else { return nil }
            defer { index += 1 }
            return Int(bytes[index] - UInt8(ascii: "0"))
        }

        mutating func number(digits: Int) -> Int? {
            var value = 0
            for _ in 0..<digits {
                guard let d = digit() else { return nil }
                value = value * 10 + d
            }
            return value
        }
    }
}
