import DCEJSON
import DCEDomain
import DCEStorage
import Foundation
import Hummingbird

extension RibbonController {
    static let maximumLimit = 1000
    static let maximumPageSize = 500
    static let topCustomerCount = 10
    static let recentActivityCount = 20

    /// `GET /api/ribbon/analytics`
    @Sendable func analytics(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let query = RibbonQuery(request)
        let filter = try query.filter()
        let limit = try query.positive("limit", fallback: 100, maximum: Self.maximumLimit)
        let summary = try await reports.summary(filter, accountID: client.accountID)
        let byDate = try await reports.callsByDate(filter, accountID: client.accountID)
        let recent = try await reports.sessions(filter, accountID: client.accountID, limit: limit)
        let used = try await callsThisMonth(client)
        return try respond(.object([
            "summary": Self.summaryJSON(summary),
            "callsByDate": RibbonFormat.counts(byDate),
            "recentCalls": .array(recent.map { RibbonFormat.call($0, clientID: client.clientID) }),
            "usage": RibbonFormat.usage(used: used, limit: client.profile.monthlyCallLimit),
        ]), request, context)
    }

    /// `GET /api/ribbon/analytics/detailed`
    @Sendable func detailedAnalytics(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let filter = try RibbonQuery(request).filter()
        let account = client.accountID
        let summary = try await reports.summary(filter, accountID: account)
        let byHour = try await reports.callsByHour(filter, accountID: account)
        let byWeekday = try await reports.callsByDayOfWeek(filter, accountID: account)
        let top = try await reports.topCustomers(filter, limit: Self.topCustomerCount, accountID: account)
        let buckets = try await reports.durationBuckets(filter, accountID: account)
        let recent = try await reports.sessions(filter, accountID: account, limit: Self.recentActivityCount)
        return try respond(.object([
            "summary": Self.summaryJSON(summary),
            "callsByHour": RibbonFormat.counts(byHour),
            "callsByDayOfWeek": RibbonFormat.counts(byWeekday),
            "topCustomers": .array(top.map { customer in
                .object([
                    "customerId": .string(customer.customerID),
                    "customerName": RibbonFormat.text(customer.customerName),
                    "phoneNumber": RibbonFormat.text(customer.phoneNumber),
                    "callCount": RibbonFormat.int(customer.callCount),
                    "totalDuration": RibbonFormat.int(customer.totalDuration),
                ])
            }),
            "durationBuckets": RibbonFormat.counts(buckets),
            "recentActivity": .array(recent.map { session in
                .object([
                    "sessionId": .string(session.sessionID),
                    "startTime": RibbonFormat.time(session.startTime),
                    "endTime": RibbonFormat.time(session.endTime),
                    "duration": RibbonFormat.int(session.durationSeconds),
                    "phoneNumber": RibbonFormat.text(session.phoneNumber),
                    "customerData": .object(session.customerData),
                ])
            }),
        ]), request, context)
    }

    /// `GET /api/ribbon/call-logs`: logged events, newest first, a page at a time.
    @Sendable func callLogs(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let query = RibbonQuery(request)
        let filter = try query.filter()
        let page = try query.positive("page", fallback: 1, maximum: Int(Int32.max))
        let pageSize = try query.positive("pageSize", fallback: 50, maximum: Self.maximumPageSize)
        let (entries, total) = try await reports.logs(filter, accountID: client.accountID,
                                                      offset: (page - 1) * pageSize, limit: pageSize)
        return try respond(.object([
            "logs": .array(entries.map { entry in
                .object([
                    "logId": .string(entry.logID),
                    "clientId": .string(client.clientID),
                    "clientName": .string(client.profile.name),
                    "event": .string(entry.event),
                    "data": entry.payload["data"] ?? .object([:]),
                    "timestamp": RibbonFormat.time(entry.occurredAt),
                    "domain": entry.payload["domain"] ?? .null,
                ])
            }),
            "pagination": .object([
                "page": RibbonFormat.int(page),
                "pageSize": RibbonFormat.int(pageSize),
                "total": RibbonFormat.int(total),
                "totalPages": RibbonFormat.int((total + pageSize - 1) / pageSize),
            ]),
        ]), request, context)
    }

    /// `GET /api/ribbon/active-calls`: sessions with no end yet.
    @Sendable func activeCalls(request: Request, context: AppRequestContext) async throws -> Response {
        let client = try await gate.admitGET(request)
        let active = try await reports.sessions(RibbonFilter(), accountID: client.accountID, activeOnly: true, limit: Self.maximumLimit)
        return try respond(.object([
            "activeCalls": .array(active.map { session in
                .object([
                    "sessionId": .string(session.sessionID),
                    "clientId": .string(client.clientID),
                    "startTime": RibbonFormat.time(session.startTime),
                    "phoneNumber": RibbonFormat.text(session.phoneNumber),
                    "callDirection": RibbonFormat.text(session.callDirection),
                    "customerData": .object(session.customerData),
                    "status": .string(session.state.rawValue),
                ])
            }),
            "count": RibbonFormat.int(active.count),
        ]), request, context)
    }

    static func summaryJSON(_ summary: RibbonSummary) -> JSONValue {
        .object([
            "totalCalls": RibbonFormat.int(summary.totalCalls),
            "totalDuration": RibbonFormat.int(summary.totalDuration),
            "avgDuration": RibbonFormat.int(summary.averageDuration),
            "inboundCalls": RibbonFormat.int(summary.inboundCalls),
            "outboundCalls": RibbonFormat.int(summary.outboundCalls),
            "missedCalls": RibbonFormat.int(summary.missedCalls),
        ])
    }
}
