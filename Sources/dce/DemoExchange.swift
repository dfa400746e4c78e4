import DCEDomain
import DCEStorage
import Foundation

/// The demo account's exchange: three campaigns, five publishers and six buyers with
/// their hours, caps and rules, as an operator moving off Ringba or Retreaver would set
/// them up. Written as the JSON an operator posts to `/v1/…`, read by the same decoders.
enum DemoExchange {
    struct Seeded {
        let campaigns: [(campaign: Campaign, numbers: [PhoneNumber])]
    }

    static let publishers: [(key: String, json: String)] = [
        ("adwise", #"{"name": "AdWise Media", "payout": {"min_seconds": 60, "fixed": "12.00"}, "external_ids": {"ringba": ["PUB7f3a21"], "retreaver": ["1041"]}}"#),
        ("callmedia", #"{"name": "CallMedia Partners", "payout": {"min_seconds": 90, "revenue_share_percent": 50}, "external_ids": {"ringba": ["PUB2c9e84"]}}"#),
        ("leadgenix", #"{"name": "LeadGenix", "payout": {"min_seconds": 90, "fixed": "15.00"}, "external_ids": {"retreaver": ["1077"]}}"#),
        ("searchpro", #"{"name": "SearchPro", "payout": {"min_seconds": 60, "revenue_share_percent": 40}}"#),
        ("socialreach", #"{"name": "SocialReach", "payout": {"min_seconds": 30, "fixed": "8.00"}}"#),
    ]

    static let weekdays = ["monday", "tuesday", "wednesday", "thursday", "friday"]
    static let everyDay = weekdays + ["saturday", "sunday"]

    static func hours(_ days: [String], _ opens: String, _ closes: String) -> String {
        days.map { #"{"weekday": "\#($0)", "opens": "\#(opens)", "closes": "\#(closes)"}"# }.joined(separator: ", ")
    }

    static let buyers: [(key: String, json: String)] = [
        ("acme", #"{"name": "Acme Insurance", "time_zone": "America/New_York", "conversion": {"min_seconds": 90, "revenue": "35.00"}, "caps": {"limits": [{"metric": "routed", "period": "day", "limit": 40}], "concurrency": 5}, "duplicate_window_days": 30, "external_ids": {"ringba": ["TA48aa0c"]}}"#),
        ("summit", #"{"name": "Summit Auto Direct", "time_zone": "America/Chicago", "conversion": {"min_seconds": 120, "revenue": "28.00"}, "caps": {"limits": [{"metric": "converted", "period": "month", "limit": 400}]}}"#),
        ("northstar", #"{"name": "Northstar Health", "time_zone": "America/Chicago", "conversion": {"min_seconds": 120, "revenue": "55.00"}, "caps": {"limits": [{"metric": "routed", "period": "day", "limit": 30}, {"metric": "converted", "period": "day", "limit": 12}]}, "duplicate_window_days": 60}"#),
        ("evergreen", #"{"name": "Evergreen Medicare", "time_zone": "America/New_York", "conversion": {"min_seconds": 90, "revenue": "48.00"}, "caps": {"limits": [{"metric": "connected", "period": "day", "limit": 20}], "concurrency": 3}, "duplicate_window_days": 30}"#),
        ("pinnacle", #"{"name": "Pinnacle Home Pros", "time_zone": "America/Los_Angeles", "conversion": {"min_seconds": 60, "revenue": "25.00"}, "caps": {"limits": [{"metric": "connected", "period": "day", "limit": 25}]}}"#),
        ("blueriver", #"{"name": "BlueRiver Home Services", "time_zone": "America/Denver", "conversion": {"min_seconds": 60, "revenue": "22.00"}, "caps": {"limits": [{"metric": "routed", "period": "hour", "limit": 6}, {"metric": "converted", "period": "month", "limit": 250}], "concurrency": 2}}"#),
    ]

    /// (key, buyer key, JSON without buyer_id)
    static let targets: [(key: String, buyer: String, json: String)] = [
        ("acme-east", "acme", #"{"name": "Acme East call center", "destination": "+18005551001", "time_zone": "America/New_York", "hours": [\#(hours(weekdays, "08:00", "20:00")), \#(hours(["saturday"], "09:00", "17:00"))]}"#),
        ("acme-sip", "acme", #"{"name": "Acme overflow (SIP)", "destination": "sip:overflow@acme-insurance.example.com", "time_zone": "America/New_York", "hours": [\#(hours(everyDay, "07:00", "23:00"))], "caps": {"limits": [], "concurrency": 2}, "ring_timeout_seconds": 20}"#),
        ("summit", "summit", #"{"name": "Summit sales floor", "destination": "+18005551002", "time_zone": "America/Chicago", "hours": [\#(hours(weekdays, "08:00", "19:00")), \#(hours(["saturday"], "10:00", "16:00"))], "filters": [{"field": "caller_state", "operator": "not_in", "values": ["NY", "MA"]}], "caps": {"limits": [{"metric": "routed", "period": "hour", "limit": 8}]}}"#),
        ("northstar", "northstar", #"{"name": "Northstar enrollment", "destination": "+18005551003", "time_zone": "America/Chicago", "hours": [\#(hours(weekdays, "08:00", "18:00"))]}"#),
        ("evergreen", "evergreen", #"{"name": "Evergreen agents", "destination": "+18005551004", "time_zone": "America/New_York", "hours": [\#(hours(weekdays, "09:00", "17:00"))], "filters": [{"field": "caller_state", "operator": "in", "values": ["NY", "NJ", "PA", "FL", "GA", "NC", "VA", "OH", "MI", "IL"]}]}"#),
        ("pinnacle", "pinnacle", #"{"name": "Pinnacle dispatch", "destination": "+18005551005", "time_zone": "America/Los_Angeles", "hours": [\#(hours(weekdays + ["saturday"], "07:00", "19:00"))], "filters": [{"field": "caller_state", "operator": "in", "values": ["CA", "AZ", "WA", "CO", "TX"]}]}"#),
        ("blueriver", "blueriver", #"{"name": "BlueRiver answering service", "destination": "+18005551006", "time_zone": "America/Denver", "hours": [\#(hours(weekdays, "18:00", "08:00"))]}"#),
    ]

    /// (name, numbers with their publisher key, routing (target key, priority, weight, ring group), extra JSON)
    static let campaigns: [(name: String, numbers: [(String, String)], routing: [(String, Int, Int, String?)], extra: String)] = [
        ("Auto Insurance", [("+18885550101", "adwise"), ("+18885550102", "searchpro"), ("+18775550104", "socialreach")],
         [("acme-east", 1, 70, nil), ("summit", 1, 30, nil), ("acme-sip", 2, 1, nil)],
         #""time_zone": "America/New_York", "duplicate_window_days": 7, "fallback": {"action": "voicemail"}, "external_ids": {"ringba": ["CA5e1f0a2b"], "retreaver": ["2201"]}"#),
        ("Medicare Advantage", [("+18885550103", "callmedia"), ("+18665550105", "leadgenix")],
         [("northstar", 1, 50, "enrollment"), ("evergreen", 1, 50, "enrollment")],
         #""time_zone": "America/Chicago", "duplicate_window_days": 30, "figures": "dce", "fallback": {"action": "number", "number": "+18005551099"}"#),
        ("Home Services", [("+18555550106", "adwise"), ("+18445550107", "leadgenix"), ("+18335550108", "socialreach")],
         [("pinnacle", 1, 1, nil), ("blueriver", 2, 1, nil)],
         #""time_zone": "America/Denver", "duplicates": {"payable": false, "receivable": true}, "fallback": {"action": "hang_up"}"#),
    ]

    static func seed(directory: ExchangeDirectory, accountID: AccountID) async throws -> Seeded {
        let decoder = JSONDecoder()
        func decode<T: Decodable>(_ type: T.Type, _ json: String) throws -> T { try decoder.decode(type, from: Data(json.utf8)) }

        var publisherIDs: [String: String] = [:]
        for (key, json) in publishers {
            publisherIDs[key] = try await directory.create(try decode(PublisherSpec.self, json), accountID: accountID).id
        }
        var buyerIDs: [String: String] = [:]
        for (key, json) in buyers {
            buyerIDs[key] = try await directory.create(try decode(BuyerSpec.self, json), accountID: accountID).id
        }
        var targetIDs: [String: String] = [:]
        for (key, buyer, json) in targets {
            // Each target's JSON names its buyer by the id the buyer just got.
            let spec = try decode(TargetSpec.self, #"{"buyer_id": "\#(buyerIDs[buyer] ?? "")", "# + json.dropFirst())
            targetIDs[key] = try await directory.create(spec, accountID: accountID).id
        }
        var seeded: [(campaign: Campaign, numbers: [PhoneNumber])] = []
        for (name, numbers, routing, extra) in campaigns {
            let numbersJSON = numbers.map { #"{"number": "\#($0.0)", "publisher_id": "\#(publisherIDs[$0.1] ?? "")"}"# }.joined(separator: ", ")
            let routingJSON = routing.map { target, priority, weight, group in
                let ringGroup = group.map { #", "ring_group": "\#($0)""# } ?? ""
                return #"{"target_id": "\#(targetIDs[target] ?? "")", "priority": \#(priority), "weight": \#(weight)\#(ringGroup)}"#
            }.joined(separator: ", ")
            let json = #"{"name": "\#(name)", "numbers": [\#(numbersJSON)], "routing": [\#(routingJSON)], "default_publisher_id": "\#(publisherIDs["adwise"] ?? "")", \#(extra)}"#
            let campaign = try await directory.create(try decode(CampaignSpec.self, json), accountID: accountID)
            seeded.append((campaign, campaign.spec.numbers.map(\.number)))
        }
        return Seeded(campaigns: seeded)
    }
}
