import DCEJSON
import DCEDomain
import DCEStorage
import DCEVendors
import Foundation
import HTTPTypes
import Hummingbird

/// The steps of a webhook delivery that ask its vendor's adapter: which integration it is
/// for, how it proves itself, how it reads, and what it is answered.
extension WebhooksController {
    func addressedIntegration(_ vendor: any VendorAdapter, context: AppRequestContext) async throws -> Integration {
        let id = try context.parameters.require("integration")
        guard let integration = try await integrations.integration(id: id), integration.vendor == vendor.name else {
            throw APIError.notFound("no \(vendor.name) integration '\(id)'")
        }
        return integration
    }

    /// The body of a delivery that proved itself. A token is checked before the body is
    /// read, so that a stranger's body is never taken into memory; a signature covers the
    /// body, which must be read first (one too large to read whole cannot be checked).
    func authenticatedBody(
        _ vendor: any VendorAdapter, integration: Integration, query: [String: String], request: Request, context: AppRequestContext
    ) async throws -> CollectedBody {
        let authenticate = { (body: [UInt8]) throws in
            do throws(WebhookAuthentication.Failure) {
                try WebhookAuthentication.verify(vendor: vendor, integration: integration, request: request, query: query, body: body)
            } catch {
                context.logger.notice("webhook authentication failed", metadata: [
                    "vendor": "\(vendor.name)", "integration": "\(integration.id)", "reason": "\(error.reason)",
                ])
                services.metrics.webhook(vendor: vendor.name, outcome: "unauthorized")
                throw APIError.unauthorized(error.reason)
            }
        }
        let signed = WebhookAuthentication.isSigned(request)
        if !signed { try authenticate([]) }
        let body = try await CollectedBody.collect(request, limit: AppLimits.maximumBodyBytes)
        if signed {
            if body.truncated { throw APIError.tooLarge("the body is larger than \(AppLimits.maximumBodyBytes) bytes") }
            try authenticate(body.bytes)
        }
        return body
    }

    /// The events of a kept delivery whose body is whole UTF-8, checked as storable: what
    /// the route appends, and what a replay reads again from the stored request. A page of
    /// call records is read row by row: a row that cannot be read is refused on its own and
    /// the others are kept; a page of which no row can be read is refused whole.
    func events(_ vendor: any VendorAdapter, of kept: InboundRequest, query: [String: String], integration: Integration) async throws -> PulledRows {
        var deliveryQuery = query
        deliveryQuery["token"] = nil
        let delivery = VendorDelivery(method: kept.method, query: deliveryQuery, contentType: kept.contentType,
                                      body: kept.body, receivedAt: kept.receivedAt)
        let profile = IntegrationProfile(id: integration.id, fieldMapping: integration.fieldMapping)
        let read: PulledRows
        do {
            if let rows = try vendor.decodeRows(delivery, integration: profile) {
                read = try await PulledRows.read(rows, vendor: vendor, accountID: integration.accountID, lookups: lookups)
                let refused = rows.lazy.compactMap { row -> VendorError? in
                    if case .failure(let error) = row.outcome { error } else { nil }
                }
                if read.events.isEmpty, let first = refused.first { throw first }
            } else {
                // A delivery read whole is one row of its own events.
                let whole = PulledRow(payload: "", outcome: .success(try vendor.decode(delivery, integration: profile)))
                read = try await PulledRows.read([whole], vendor: vendor, accountID: integration.accountID, lookups: lookups)
            }
        } catch let error as VendorError {
            throw APIError.badRequest(error.message, field: error.field, code: error.code)
        }
        try IngestChecks.requireStorableText(read.events, batched: read.events.count > 1)
        return read
    }

    func answer(
        _ vendor: any VendorAdapter, outcomes: [AppendOutcome], accountID: AccountID, request: Request, context: AppRequestContext
    ) async throws -> Response {
        if case .callTags(let tags) = vendor.answer, let first = outcomes.first {
            // The commit told the status; a duplicate's call is read.
            var status = first.callStatus
            if status == nil { status = try await services.ledger.call(first.callID, accountID: accountID)?.fields.status }
            let call = AnsweredCall(callID: first.callID.rawValue, status: status ?? .unknown, duplicate: first.duplicate)
            return try JSONResponse(tags(call)).response(from: request, context: context)
        }
        // {"results":[{"call_id":…,"duplicate":…,"event_id":…,"idempotency_key":…}],"success":true}
        let results = outcomes.map { outcome in
            JSONText.object([
                (AppendOutcome.CodingKeys.callID.rawValue, JSONText.string(outcome.callID.rawValue)),
                (AppendOutcome.CodingKeys.duplicate.rawValue, outcome.duplicate ? "true" : "false"),
                (AppendOutcome.CodingKeys.eventID.rawValue, String(outcome.eventID)),
                (AppendOutcome.CodingKeys.idempotencyKey.rawValue, JSONText.string(outcome.idempotencyKey)),
            ])
        }
        let body = JSONText.object([("results", "[" + results.joined(separator: ",") + "]"), ("success", "true")])
        return Response(status: .ok, headers: [.contentType: "application/json; charset=utf-8"],
                        body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}

extension VendorReply {
    var response: Response {
        var fields = HTTPFields()
        for (name, value) in headers.sorted(by: { $0.key < $1.key }) {
            if let name = HTTPField.Name(name) { fields[name] = value }
        }
        fields[.contentType] = "application/json; charset=utf-8"
        return Response(status: .ok, headers: fields, body: .init(byteBuffer: ByteBuffer(string: body)))
    }
}
