import DCEDomain
import DCEStorage
import DCEVendors
import Foundation

/// Downloads the recordings of the calls a RingCentral sync wrote (`recording.contentUri`
/// of the call log, with the account's bearer token) into the recordings folder and links
/// each to its call once its file is whole. A download that fails stays pending, with its
/// reason, and is tried again on the next run; it does not fail the sync.
struct RingCentralRecordings: SyncExtra {
    var name: String { "ringcentral-recordings" }
    /// Downloads per run, so that a large backfill's recordings spread over several runs.
    static let perRun = 200

    func run(_ context: SyncContext) async throws {
        let store = Recordings(database: context.services.database)
        let integration = context.integration
        // Calls written by this run (or an earlier one since the window began).
        let since = min(context.window.from, context.now.subtracting(seconds: 86_400))
        try await store.discover(integrationID: integration.id, accountID: integration.accountID, source: RingCentralAdapter.source,
                                 since: since, now: context.now)
        let folder = RecordingFolder(path: context.services.recordingsDirectory)
        for recording in try await store.pending(integrationID: integration.id, limit: Self.perRun) {
            try Task.checkCancellation()
            do {
                try await download(recording, into: folder, context: context, store: store)
            } catch is CancellationError {
                throw CancellationError()
            } catch {
                let reason = (error as? SyncError)?.description ?? "\(error)"
                context.services.database.logger.warning("recording not downloaded", metadata: [
                    "integration": "\(integration.id)", "recording": "\(recording.recordingID)", "reason": "\(reason)",
                ])
                try await store.failed(recording, reason: reason)
            }
        }
    }

    private func download(_ recording: CallRecording, into folder: RecordingFolder, context: SyncContext, store: Recordings) async throws {
        guard RingCentralAccountAPI.mayAuthorize(recording.contentURI, apiBaseURL: context.credentials.apiBaseURL) else {
            throw RecordingRefused("\(recording.contentURI.prefix(200)) is not RingCentral's: the token is not sent there")
        }
        let response = try await context.send(PullRequest(url: recording.contentURI, endpoint: "recording"), false)
        guard !response.body.isEmpty else { throw RecordingRefused("the recording came empty") }
        // A body shorter than announced was cut off on the way.
        if let declared = response.headers["content-length"], let length = Int(declared), length != response.body.count {
            throw RecordingRefused("\(response.body.count) of \(length) bytes arrived")
        }
        let type = Self.contentType(response.headers["content-type"])
        let name = "\(recording.callID.rawValue)-\(recording.recordingID).\(Self.fileExtension(type))"
        let fileName = try folder.write(response.body, accountID: recording.accountID, name: name)
        try await store.stored(recording, fileName: fileName, contentType: type, byteCount: Int64(response.body.count), at: context.now)
    }

    /// The media type as sent (`audio/mpeg`), without parameters; anything else is
    /// served as bytes.
    static func contentType(_ header: String?) -> String {
        let type = header?.split(separator: ";").first.map { $0.trimmingCharacters(in: .whitespaces).lowercased() } ?? ""
        let parts = type.split(separator: "/")
        let token = CharacterSet.alphanumerics.union(CharacterSet(charactersIn: "!#$&-^_.+"))
        guard parts.count == 2, type.count <= 100, type.unicodeScalars.allSatisfy({ $0 == "/" || ($0.isASCII && token.contains($0)) }) else {
            return "application/octet-stream"
        }
        return type
    }

    static func fileExtension(_ type: String) -> String {
        switch type {
        case "audio/mpeg", "audio/mp3": "mp3"
        case "audio/wav", "audio/x-wav", "audio/wave": "wav"
        case "audio/ogg": "ogg"
        case "audio/mp4", "audio/x-m4a": "m4a"
        default: "bin"
        }
    }
}

/// Why a recording was not kept.
struct RecordingRefused: Error, CustomStringConvertible {
    let description: String
    init(_ description: String) { self.description = description }
}
