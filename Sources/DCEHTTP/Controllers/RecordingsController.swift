import DCEDomain
import DCEStorage
import Foundation
import Hummingbird
import NIOCore

/// `GET /v1/calls/{id}/recording`: the call's downloaded recording, with its content type,
/// within the caller's account.
struct RecordingsController {
    let services: AppServices

    var endpoints: RouteCollection<AppRequestContext> {
        let routes = RouteCollection(context: AppRequestContext.self)
        routes.get("calls/{id}/recording", use: show)
        return routes
    }

    @Sendable func show(request: Request, context: AppRequestContext) async throws -> Response {
        let accountID = try context.requireAccount()
        let id = CallID(rawValue: try context.parameters.require("id"))
        // Another account's call is indistinguishable from one without a recording.
        guard let recording = try await Recordings(database: services.database).recording(callID: id, accountID: accountID),
              let fileName = recording.fileName,
              let bytes = RecordingFolder(path: services.recordingsDirectory).read(fileName)
        else {
            throw APIError.notFound("call '\(id)' has no recording")
        }
        return Response(
            status: .ok,
            headers: [.contentType: recording.contentType ?? "application/octet-stream", .contentLength: String(bytes.count)],
            body: ResponseBody(byteBuffer: ByteBuffer(bytes: bytes))
        )
    }
}

/// The folder recordings are kept in (`DCE_RECORDINGS_DIR`): one folder per account, each
/// file written whole under a temporary name and then renamed, so that a file with its
/// final name is always complete.
struct RecordingFolder: Sendable {
    let path: String

    /// Writes `bytes` as `<account>/<name>` and returns that relative name.
    func write(_ bytes: [UInt8], accountID: AccountID, name: String) throws -> String {
        let folder = URL(fileURLWithPath: path).appendingPathComponent(Self.safe(accountID.rawValue), isDirectory: true)
        try FileManager.default.createDirectory(at: folder, withIntermediateDirectories: true)
        let file = Self.safe(name)
        let final = folder.appendingPathComponent(file)
        let partial = folder.appendingPathComponent(file + ".part")
        try Data(bytes).write(to: partial)
        if FileManager.default.fileExists(atPath: final.path) { try FileManager.default.removeItem(at: final) }
        try FileManager.default.moveItem(at: partial, to: final)
        return Self.safe(accountID.rawValue) + "/" + file
    }

    /// The bytes of a file written by `write`; nil when it is gone or the name is not one
    /// `write` makes.
    func read(_ relative: String) -> [UInt8]? {
        let parts = relative.split(separator: "/", omittingEmptySubsequences: false)
        guard parts.count == 2, parts.allSatisfy({ !$0.isEmpty && $0 != "." && $0 != ".." && Self.safe(String($0)) == $0 }) else { return nil }
        let url = URL(fileURLWithPath: path).appendingPathComponent(String(parts[0])).appendingPathComponent(String(parts[1]))
        return (try? Data(contentsOf: url)).map { [UInt8]($0) }
    }

    /// A file name from ids a vendor chose: letters, digits, `-`, `_` and `.` only.
    static func safe(_ text: String) -> String {
        let kept = text.unicodeScalars.map { scalar -> Character in
            scalar.isASCII && (CharacterSet.alphanumerics.contains(scalar) || "-_.".unicodeScalars.contains(scalar)) ? Character(scalar) : "_"
        }
        let name = String(kept.prefix(120))
        return name.isEmpty || name.allSatisfy({ $0 == "." }) ? "_" : name
    }
}
