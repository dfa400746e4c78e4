import DCEDomain
import SQLKit

extension RibbonSessions {
    /// The session a call's ribbon events were claimed under, for a replay that reads them
    /// again without claiming (and counting) the call a second time.
    public func sessionID(callSid: String, accountID: AccountID) async throws -> String? {
        try await database.read { sql in
            try await sql.raw("""
                SELECT session_id FROM ribbon_sessions WHERE account_id = \(bind: accountID.rawValue) AND call_sid = \(bind: callSid)
                """).first()?.decode(column: "session_id", as: String.self)
        }
    }
}

extension RibbonSessionClaim {
    /// A claim as a replay finds it from the session and the call's earlier events.
    public init(replayedSession sessionID: String, isNew: Bool, answered: Bool) {
        self.init(sessionID: sessionID, isNew: isNew, answered: answered)
    }
}
