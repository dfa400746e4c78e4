import Foundation

/// Each vendor's deliveries for one call, in the shapes the decoders read.
extension TrafficGenerator {
    func ringba(_ c: CallFacts) -> [SimulatedDelivery] {
        func pixel(_ event: String, _ extra: [(String, String)]) -> SimulatedDelivery {
            SimulatedDelivery(method: "GET", query: [("event", event), ("call_id", c.id)] + extra, headers: [], body: [],
                              callID: c.id, stage: event.lowercased(), isRetry: false)
        }
        var list = [pixel("Incoming", [("caller_id", c.caller), ("inbound_number", c.tracking), ("call_date_time", c.iso(0)),
                                       ("campaign_id", c.campaign), ("publisher_id", c.publisher), ("caller_state", c.state)])]
        if c.answered {
            list.append(pixel("Connected", [("target_number", c.destination)]))
        }
        list.append(pixel("Completed", [("call_length", String(c.duration)), ("call_status", c.answered ? "completed" : "no_answer")]))
        if c.converted {
            // Ringba's conversion webhook, sometimes with its own misspelling.
            let sale = c.duration % 2 == 0 ? "sale_successful" : "sale_sucesful"
            list.append(SimulatedDelivery(
                method: "POST",
                query: [("call_id", c.id), ("call_revenue", c.money), (sale, "yes"), ("caller_id", c.caller),
                        ("inbound_number", c.tracking), ("call_length", String(c.duration))],
                headers: [], body: [], callID: c.id, stage: "conversion", isRetry: false
            ))
        }
        return list
    }

    func retreaver(_ c: CallFacts) -> [SimulatedDelivery] {
        let tags: [String: String] = ["utm_source": ["google", "bing", "facebook"][c.duration % 3], "caller_state": c.state]
        func stage(_ name: String, _ fields: [String: Any]) -> SimulatedDelivery {
            var object: [String: Any] = ["id": c.id, "caller_number": c.caller, "dialed_number": c.tracking,
                                         "campaign_id": c.campaign, "affiliate_id": c.publisher, "created_at": c.iso(0)]
            object.merge(fields) { _, new in new }
            if c.duration % 4 == 1 {
                // Some accounts configure Retreaver to post forms.
                var pairs: [(String, String)] = object.compactMap { key, value -> (String, String)? in
                    switch value {
                    case let text as String: (key, text)
                    case let flag as Bool: (key, flag ? "true" : "false")
                    case let number as Int: (key, String(number))
                    default: nil
                    }
                }
                pairs += tags.map { ("tags[\($0.key)]", $0.value) }
                return SimulatedDelivery(method: "POST", query: [("stage", name)], headers: Self.formHeaders,
                                         body: Self.form(pairs.sorted { $0.0 < $1.0 }), callID: c.id, stage: name, isRetry: false)
            }
            object["tags"] = tags
            return SimulatedDelivery(method: "POST", query: [("stage", name)], headers: Self.jsonHeaders,
                                     body: Self.json(object), callID: c.id, stage: name, isRetry: false)
        }
        var list = [stage("start", [:])]
        if c.answered {
            list.append(stage("selected", ["target_number": c.destination, "target_id": "buyer-\(c.duration % 4)"]))
            list.append(stage("answered", ["answered_at": c.iso(5)]))
            if c.converted { list.append(stage("timer", ["converted": true, "revenue": c.money, "payout": c.payout])) }
        }
        list.append(stage("always", ["status": c.answered ? "completed" : "no-answer", "duration": c.duration,
                                     "ended_at": c.iso(c.duration + 5)]))
        return list
    }

    func ringcentral(_ c: CallFacts) -> [SimulatedDelivery] {
        var sequence = 0
        func notification(_ status: String, at offset: Int) -> SimulatedDelivery {
            sequence += 1
            let party: [String: Any] = [
                "id": "p-\(c.id)-1", "direction": "Inbound", "missedCall": !c.answered && status == "Disconnected",
                "from": ["phoneNumber": c.caller, "name": "Caller"],
                "to": ["phoneNumber": c.tracking, "name": "Sales"],
                "status": ["code": status],
                "uiCallInfo": ["primary": ["type": "InDIDLabel", "value": c.destination]],
                "recordings": c.answered && status == "Answered" ? [["id": "rec-\(c.id)", "active": true]] : [],
            ]
            let body: [String: Any] = [
                "uuid": "uuid-\(c.id)-\(sequence)", "event": "/restapi/v1.0/account/~/telephony/sessions",
                "timestamp": c.iso(offset), "subscriptionId": "sub-dce",
                "body": ["sequence": sequence, "sessionId": "s-\(c.id)", "telephonySessionId": "ts-\(c.id)",
                         "eventTime": c.iso(offset), "parties": [party]],
            ]
            return SimulatedDelivery(method: "POST", query: [], headers: Self.jsonHeaders, body: Self.json(body),
                                     callID: "s-\(c.id)", stage: status.lowercased(), isRetry: false)
        }
        var list = [notification("Setup", at: 0)]
        if c.answered { list.append(notification("Answered", at: 5)) }
        list.append(notification("Disconnected", at: c.duration + 5))
        return list
    }

    func exotel(_ c: CallFacts) -> [SimulatedDelivery] {
        let local = DateFormatter()
        local.locale = Locale(identifier: "en_US_POSIX")
        local.timeZone = TimeZone(identifier: ExotelStatusCallback.defaultTimeZone)
        local.dateFormat = "yyyy-MM-dd HH:mm:ss"
        func at(_ offset: Int) -> String { local.string(from: c.startedAt.addingTimeInterval(Double(offset))) }
        var list: [SimulatedDelivery] = []
        if c.answered {
            list.append(SimulatedDelivery(
                method: "POST", query: [], headers: Self.formHeaders,
                body: Self.form([("CallSid", c.id), ("EventType", "answered"), ("Status", "in-progress"), ("DateUpdated", at(5)),
                                 ("From", c.caller), ("To", c.destination), ("PhoneNumberSid", c.tracking), ("StartTime", at(0))]),
                callID: c.id, stage: "answered", isRetry: false
            ))
        }
        let status = c.answered ? "completed" : ["busy", "no-answer", "failed"][c.duration % 3]
        list.append(SimulatedDelivery(
            method: "POST", query: [], headers: Self.formHeaders,
            body: Self.form([("CallSid", c.id), ("EventType", "terminal"), ("Status", status), ("DateUpdated", at(c.duration + 5)),
                             ("RecordingUrl", c.answered ? "https://recordings.exotel.com/\(c.id).mp3" : ""),
                             ("From", c.caller), ("To", c.destination), ("PhoneNumberSid", c.tracking), ("StartTime", at(0)),
                             ("EndTime", at(c.duration + 5)), ("ConversationDuration", String(c.duration)), ("Direction", "inbound"),
                             ("CustomField", c.campaign)]),
            callID: c.id, stage: "terminal:\(status)", isRetry: false
        ))
        return list
    }

    func invoca(_ c: CallFacts) -> [SimulatedDelivery] {
        func row(_ transaction: String, revenue: Int, corrects: String?) -> SimulatedDelivery {
            var object: [String: Any] = [
                "transaction_id": transaction, "complete_call_id": c.id, "transaction_type": "Call",
                "calling_phone_number": c.caller, "destination_phone_number": c.destination,
                "start_time_utc": Int64(c.startedAt.timeIntervalSince1970 * 1000), "duration": c.duration,
                "advertiser_campaign_id_from_network": c.campaign, "affiliate_id_from_network": c.publisher,
                "advertiser_payin_localized": String(format: "%d.%02d", revenue / 100, revenue % 100),
                "affiliate_payout_localized": c.payout, "region": c.state,
                "call_result_description_detail": c.answered ? "Connected" : "No Answer",
                "tracking_number": c.tracking,
            ]
            if let corrects { object["corrects_transaction_id"] = corrects }
            return SimulatedDelivery(method: "POST", query: [], headers: Self.jsonHeaders, body: Self.json(object),
                                     callID: c.id, stage: transaction, isRetry: false)
        }
        var list = [row("T-\(c.id)", revenue: c.revenueCents, corrects: nil)]
        if c.converted, c.duration % 3 == 0 {
            list.append(row("T-\(c.id)-c", revenue: c.revenueCents / 2, corrects: "T-\(c.id)"))
        }
        return list
    }

    func native(_ c: CallFacts) -> [SimulatedDelivery] {
        let started: [String: Any] = ["idempotency_key": "\(c.id):started", "external_call_id": c.id, "caller_phone": c.caller,
                                      "tracking_number": c.tracking, "status": "ringing", "call_started_at": c.iso(0),
                                      "campaign_id": c.campaign, "occurred_at": c.iso(0)]
        let ended: [String: Any] = ["idempotency_key": "\(c.id):ended", "external_call_id": c.id,
                                    "status": c.answered ? "completed" : "no_answer", "duration_seconds": c.duration,
                                    "revenue": c.money, "converted": c.converted, "occurred_at": c.iso(c.duration + 5)]
        return [started, ended].map { object in
            SimulatedDelivery(method: "POST", query: [], headers: Self.jsonHeaders, body: Self.json(object),
                              callID: c.id, stage: object["idempotency_key"] as! String, isRetry: false)
        }
    }
}
