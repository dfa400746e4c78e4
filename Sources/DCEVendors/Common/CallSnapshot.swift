import Crypto
import DCEDomain

/// A record of a whole call as a vendor's API lists it (Retreaver's `calls.json`, Ringba's
/// call log) rather than one stage of it. The same call is listed again as it progresses,
/// so the stage in its idempotency key is a digest of what the record says: a resent
/// record changes nothing, a changed one is a new fact about the call.
enum CallSnapshot {
    static func stage(_ canonicalText: String) -> String {
        let digest = SHA256.hash(data: Array(canonicalText.utf8))
        return "snapshot-" + digest.prefix(8).map { byte in
            let hex = String(byte, radix: 16)
            return byte < 16 ? "0" + hex : hex
        }.joined()
    }

    /// The error of one record of a page, named by its place in the document
    /// (`[2].call.caller`, `report.records[0].callDt`).
    static func locate(_ error: VendorError, at path: String) -> VendorError {
        guard !path.isEmpty else { return error }
        let field = error.field.map { path + "." + $0 } ?? path
        return VendorError(field: field, message: "\(path): \(error.message)", code: error.code)
    }
}
