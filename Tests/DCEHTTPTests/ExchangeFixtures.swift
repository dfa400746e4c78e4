/// Request bodies as an operator moving a Retreaver account to dce writes them: one
/// affiliate (Retreaver's `afid`), two buyers with business hours and caps, and a campaign
/// splitting its calls 70/30 between their targets (the Retreaver seed, 002: campaigns,
/// affiliates, targets with business hours and capacity limits, routing by tags,
/// percentage and priority). Ids the server made are passed in.
enum ExchangeFixtures {
    static let publisher = #"""
    {
      "name": "Lead Gen Partners",
      "payout": {"min_seconds": 90, "fixed": "25.00"},
      "external_ids": {"retreaver": ["afid-2231"], "ringba": ["PUB6d1a2b3c"]}
    }
    """#

    static let homeInsuranceBuyer = #"""
    {
      "name": "Acme Home Insurance",
      "time_zone": "America/New_York",
      "conversion": {"min_seconds": 120, "revenue": "45.00"},
      "caps": {"limits": [{"metric": "converted", "period": "day", "limit": 20},
                          {"metric": "routed", "period": "month", "limit": 900}],
               "concurrency": 3},
      "duplicate_window_days": 30,
      "external_ids": {"retreaver": ["buyer-118"]}
    }
    """#

    static let autoQuotesBuyer = #"""
    {
      "name": "Best Auto Quotes",
      "time_zone": "America/Chicago",
      "conversion": {"min_seconds": 90, "revenue": "30.00"},
      "caps": {"limits": [{"metric": "routed", "period": "day", "limit": 150}]}
    }
    """#

    /// Weekdays nine to five and Saturday morning on New York's clock, north-eastern
    /// callers only.
    static func homeInsuranceTarget(buyer: String) -> String {
        #"""
        {
          "name": "Acme call centre",
          "buyer_id": "\#(buyer)",
          "destination": "+18005550101",
          "time_zone": "America/New_York",
          "hours": [
            {"weekday": "monday", "opens": "09:00", "closes": "17:00"},
            {"weekday": "tuesday", "opens": "09:00", "closes": "17:00"},
            {"weekday": "wednesday", "opens": "09:00", "closes": "17:00"},
            {"weekday": "thursday", "opens": "09:00", "closes": "17:00"},
            {"weekday": "friday", "opens": "09:00", "closes": "17:00"},
            {"weekday": "saturday", "opens": "10:00", "closes": "14:00"}
          ],
          "filters": [{"field": "caller_state", "operator": "in", "values": ["NY", "NJ", "CT"]}],
          "caps": {"limits": [{"metric": "routed", "period": "hour", "limit": 10}], "concurrency": 2},
          "ring_timeout_seconds": 25,
          "external_ids": {"retreaver": ["tid-5521"]}
        }
        """#
    }

    /// A SIP queue open overnight on Fridays, for callers who said they own a car.
    static func autoQuotesTarget(buyer: String) -> String {
        #"""
        {
          "name": "Best Auto overflow queue",
          "buyer_id": "\#(buyer)",
          "destination": "sip:overflow@pbx.bestauto.example.com",
          "time_zone": "America/Chicago",
          "hours": [
            {"weekday": "monday", "opens": "08:00", "closes": "20:00"},
            {"weekday": "friday", "opens": "22:00", "closes": "02:00"}
          ],
          "filters": [{"field": "owns_car", "operator": "equals", "values": ["yes"]},
                      {"field": "age", "operator": "range", "minimum": "21", "maximum": "75"}]
        }
        """#
    }

    static func campaign(publisher: String, targets: (String, String), name: String = "Home Insurance (Retreaver)") -> String {
        #"""
        {
          "name": "\#(name)",
          "time_zone": "America/New_York",
          "default_publisher_id": "\#(publisher)",
          "numbers": [{"number": "+18885550100", "publisher_id": "\#(publisher)"}, {"number": "+18885550101"}],
          "routing": [
            {"target_id": "\#(targets.0)", "priority": 1, "weight": 70},
            {"target_id": "\#(targets.1)", "priority": 1, "weight": 30}
          ],
          "simultaneous_ring": 1,
          "duplicate_window_days": 7,
          "duplicates": {"payable": false, "receivable": true},
          "figures": "dce",
          "fallback": {"action": "number", "number": "+18885550199"},
          "external_ids": {"retreaver": ["cid-9912"], "ringba": ["CA8f3e0d2a"]}
        }
        """#
    }
}
