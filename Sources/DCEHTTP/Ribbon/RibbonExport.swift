import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

extension RibbonController {
    static let exportPageSize = 500

    /// `GET /api/ribbon/export/calls?format=json|csv`: every matching call, oldest first,
    /// written page by page as it is read, so a large export never sits in memory.
    @Sendable func exportCalls(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let query = RibbonQuery(request)
        let filter = try query.filter()
        let format = query.parameters.string("format") ?? "json"
        guard format == "json" || format == "csv" else {
            throw APIError.badRequest("format must be json or csv", field: "format", code: "invalid_field")
        }
        let reports = self.reports
        let pages = RibbonExportPages(reports: reports, filter: filter, accountID: client.accountID)
        if format == "csv" {
            let body = ResponseBody { writer in
                try await writer.write(ByteBuffer(string: RibbonCSV.header + "\n"))
                try await pages.forEach { sessions in
                    let lines = sessions.map { RibbonCSV.row($0) + "\n" }.joined()
                    try await writer.write(ByteBuffer(string: lines))
                }
                try await writer.finish(nil)
            }
            return Response(status: .ok, headers: [
                .contentType: "text/csv; charset=utf-8",
                .contentDisposition: "attachment; filename=\"calls-\(client.clientID).csv\"",
            ], body: body)
        }
        let head = JSONValue.object([
            "client": .object(["clientId": .string(client.clientID), "name": .string(client.profile.name)]),
            "exportDate": .string(RibbonFormat.time(Timestamp(millisecondsSince1970: Timestamp.now().millisecondsSince1970 / 1000 * 1000))),
            "dateRange": .object([
                "startDate": RibbonFormat.text(query.parameters.string("startDate")),
                "endDate": RibbonFormat.text(query.parameters.string("endDate")),
            ]),
        ]).text
        let clientID = client.clientID
        let body = ResponseBody { writer in
            // The envelope's other members, then `calls` streamed as its last member.
            try await writer.write(ByteBuffer(string: String(head.dropLast()) + ",\"calls\":["))
            var first = true
            try await pages.forEach { sessions in
                var chunk = ""
                for session in sessions {
                    var call = RibbonFormat.call(session, clientID: clientID).object ?? [:]
                    call["clientId"] = nil
                    call["status"] = nil
                    chunk += (first ? "" : ",") + JSONValue.object(call).text
                    first = false
                }
                try await writer.write(ByteBuffer(string: chunk))
            }
            try await writer.write(ByteBuffer(string: "]}"))
            try await writer.finish(nil)
        }
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"], body: body)
    }
}

/// Reads an export's calls in pages, by position rather than offset.
struct RibbonExportPages: Sendable {
    let reports: RibbonReports
    let filter: RibbonFilter
    let accountID: AccountID

    func forEach(_ body: ([RibbonSession]) async throws -> Void) async throws {
        var cursor: RibbonCursor?
        while true {
            let page = try await reports.sessions(filter, accountID: accountID, oldestFirst: true, after: cursor,
                                                  limit: RibbonController.exportPageSize)
            if page.isEmpty { return }
            try await body(page)
            if page.count < RibbonController.exportPageSize { return }
            cursor = page.last?.cursor
        }
    }
}

/// The seed's CSV: its header row, and fields quoted when they hold a comma, a quote or a
/// line break (quotes doubled), as RFC 4180 says.
enum RibbonCSV {
    static let header = "Session ID,Customer Name,Phone Number,Direction,Start Time,End Time,Duration (s),Customer ID"

    static func row(_ session: RibbonSession) -> String {
        [
            session.sessionID,
            session.customerName ?? "",
            session.phoneNumber ?? "",
            session.callDirection ?? "",
            RibbonFormat.time(session.startTime),
            session.endTime.map(RibbonFormat.time) ?? "",
            String(session.durationSeconds),
            session.customerID ?? "",
        ].map(field).joined(separator: ",")
    }

    static func field(_ value: String) -> String {
        // By scalar: "\r\n" is one Character in Swift, equal to neither "\r" nor "\n".
        guard value.unicodeScalars.contains(where: { $0 == "," || $0 == "\"" || $0 == "\n" || $0 == "\r" }) else { return value }
        return "\"" + value.replacingOccurrences(of: "\"", with: "\"\"") + "\""
    }
}
