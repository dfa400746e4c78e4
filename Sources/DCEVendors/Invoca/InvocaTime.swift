import DCEDomain

/// The ways Invoca writes a moment, read into a `Timestamp`.
///
/// - Transactions API (developer docs, network field table): `start_time_utc` in
///   milliseconds since 1970 (a number or its text), `start_time_local`, `corrected_at` and
///   `start_time_network_timezone` as `2019-01-24 06:43:15 -07:00`, `start_time_xml` and
///   `start_time_network_timezone_xml` as `2019-01-24T06:43:15-07:00`, `signal_occurred_at`
///   in seconds since 1970.
/// - "Timestamp Formats" of the Signal and Call Ingestion APIs (`call_start_time`,
///   `occurred_at_time`, `start_time`): 10-digit seconds or 13-digit milliseconds, 17-digit
///   compressed `YYYYMMDDHHMMSSsss` in UTC, ISO 8601 with `/` or `-` between the date's
///   parts (`2016/04/11T13:00:00.000-07:00`), and the Excel form
///   `2016/04/11 01:00:00.000 PM`. A time without a zone is read as UTC, as everywhere in dce.
enum InvocaTime {
    static func parse(_ text: String) throws(Timestamp.ParseError) -> Timestamp {
        let trimmed = text.trimmingWhitespace()
        let bytes = Array(trimmed.utf8)
        let unsigned = bytes.first == UInt8(ascii: "-") ? Array(bytes.dropFirst()) : bytes
        if !unsigned.isEmpty, unsigned.allSatisfy(isDigit) {
            if bytes.count == 17 { return try compressed(bytes, text: trimmed) }
            guard let epoch = Int64(trimmed) else { throw .outOfRange(trimmed) }
            return try Timestamp.epoch(epoch, text: trimmed)
        }
        guard let iso = isoText(bytes) else { throw .notADateTime(trimmed) }
        do { return try Timestamp.parse(iso) } catch {
            if case .outOfRange = error { throw .outOfRange(trimmed) }
            throw .notADateTime(trimmed)
        }
    }

    /// `YYYYMMDDHHMMSSsss`, always UTC.
    private static func compressed(_ d: [UInt8], text: String) throws(Timestamp.ParseError) -> Timestamp {
        let s = String(decoding: d, as: UTF8.self)
        func part(_ from: Int, _ count: Int) -> Substring {
            let start = s.index(s.startIndex, offsetBy: from)
            return s[start..<s.index(start, offsetBy: count)]
        }
        let iso = "\(part(0, 4))-\(part(4, 2))-\(part(6, 2))T\(part(8, 2)):\(part(10, 2)):\(part(12, 2)).\(part(14, 3))Z"
        do { return try Timestamp.parse(iso) } catch {
            if case .outOfRange = error { throw .outOfRange(text) }
            throw .notADateTime(text)
        }
    }

    /// Rewrites Invoca's spellings as the ISO 8601 that `Timestamp.parse` reads: `/` in the
    /// date becomes `-`, the space before an offset goes, and a 12-hour clock with
    /// `AM`/`PM` becomes 24-hour. Anything else is left for `Timestamp.parse` to judge.
    static func isoText(_ input: [UInt8]) -> String? {
        var bytes = input
        // The date's separators: positions 4 and 7 of `YYYY/MM/DD`.
        if bytes.count >= 10, bytes[4] == UInt8(ascii: "/"), bytes[7] == UInt8(ascii: "/") {
            bytes[4] = UInt8(ascii: "-")
            bytes[7] = UInt8(ascii: "-")
        }
        var meridiem: UInt8?
        if bytes.count >= 13 {
            let tail = bytes.suffix(2).map { $0 | 0x20 }
            if tail == Array("am".utf8) || tail == Array("pm".utf8), bytes[bytes.count - 3] == UInt8(ascii: " ") {
                meridiem = tail[0]
                bytes.removeLast(3)
            }
        }
        // `… 06:43:15 -07:00`: a space, then a signed offset, at the end.
        if let space = bytes.lastIndex(of: UInt8(ascii: " ")), space > 10, space + 1 < bytes.count,
           bytes[space + 1] == UInt8(ascii: "+") || bytes[space + 1] == UInt8(ascii: "-") {
            bytes.remove(at: space)
        }
        if let meridiem {
            // Hours at positions 11–12 (`YYYY-MM-DD hh`); 12 AM is 00, 1–11 PM add 12,
            // and an hour already past 12 (`13:00:00 PM`, as Invoca's own example) stays.
            guard bytes.count >= 13, isDigit(bytes[11]), isDigit(bytes[12]) else { return nil }
            let hour = Int(bytes[11] - UInt8(ascii: "0")) * 10 + Int(bytes[12] - UInt8(ascii: "0"))
            guard (0...23).contains(hour) else { return nil }
            var adjusted = hour
            if meridiem == UInt8(ascii: "a"), hour == 12 { adjusted = 0 }
            if meridiem == UInt8(ascii: "p"), hour < 12 { adjusted = hour + 12 }
            bytes[11] = UInt8(ascii: "0") + UInt8(adjusted / 10)
            bytes[12] = UInt8(ascii: "0") + UInt8(adjusted % 10)
        }
        return String(decoding: bytes, as: UTF8.self)
    }

    private static func isDigit(_ byte: UInt8) -> Bool { (UInt8(ascii: "0")...UInt8(ascii: "9")).contains(byte) }
}

extension FlatFields {
    /// A time in any of Invoca's forms (`InvocaTime`), refused naming the field.
    func invocaTime(_ name: String) throws(VendorError) -> Timestamp? {
        guard let value = text(name) else { return nil }
        do { return try InvocaTime.parse(value) } catch {
            guard case .outOfRange = error else {
                throw .invalid(name, "'\(value.prefix(64))' is not a time Invoca writes (epoch, ISO 8601, or '2019-01-24 06:43:15 -07:00')")
            }
            throw .invalid(name, error.description)
        }
    }
}
