import DCEDomain
import Hummingbird

/// The per-request context: who is calling, once authentication has run.
public struct AppRequestContext: RequestContext {
    public var coreContext: CoreRequestContextStorage
    /// Set by `AccountAuthenticator`; every account-scoped handler reads it through `requireAccount()`.
    public var accountID: AccountID?

    public init(source: ApplicationRequestContextSource) {
        self.coreContext = .init(source: source)
        self.accountID = nil
    }

    /// Bodies larger than this are refused with 413.
    public var maxUploadSize: Int { AppLimits.maximumBodyBytes }

    public func requireAccount() throws -> AccountID {
        guard let accountID else { throw APIError.unauthorized("an API key is required") }
        return accountID
    }
}

public enum AppLimits {
    public static let maximumBodyBytes = 4 * 1024 * 1024
}
