import ArgumentParser
import DCEStorage

extension AccountDirectory {
    /// The account a command names with `--account`, or the error that says no such one exists.
    func requireAccount(named name: String) async throws -> Account {
        guard let account = try await account(named: name) else {
            throw ValidationError(AccountError.unknownAccount(name).description)
        }
        return account
    }
}
