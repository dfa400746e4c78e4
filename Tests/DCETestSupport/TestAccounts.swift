import DCEDomain
import DCEStorage

/// An account with a fresh API key, for tests that call the API as a customer.
public struct TestAccount: Sendable {
    public let account: Account
    public let key: String

    public static func make(_ database: any Database, name: String = "acme") async throws -> TestAccount {
        let directory = AccountDirectory(database: database)
        let account = try await directory.create(name: name)
        let key = try await directory.issueKey(for: account.id, label: "test")
        return TestAccount(account: account, key: key.plaintext)
    }
}
