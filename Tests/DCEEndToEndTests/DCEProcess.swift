import DCEStorage
import Foundation
#if canImport(Glibc)
import Glibc
#endif

/// The built `dce` binary, run as a user would run it.
enum DCEBinary {
    static let packageRoot = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
    static let path = packageRoot.appendingPathComponent(".build/debug/dce").path

    struct Failed: Error, CustomStringConvertible {
        let arguments: [String]
        let status: Int32
        let output: String
        var description: String { "dce \(arguments.joined(separator: " ")) exited \(status): \(output)" }
    }

    /// Runs a command to completion and returns its standard output.
    static func run(_ arguments: [String]) throws -> String {
        let process = Process()
        process.executableURL = URL(fileURLWithPath: path)
        process.arguments = arguments
        let output = Pipe()
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        let data = output.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        let text = String(decoding: data, as: UTF8.self)
        guard process.terminationStatus == 0 else { throw Failed(arguments: arguments, status: process.terminationStatus, output: text) }
        return text
    }

    static func databaseArgument(_ location: DatabaseLocation) -> String {
        switch location {
        case .sqlite(let path): path
        case .postgres(let url): url
        }
    }
}

/// A `dce serve` process on a free port.
final class DCEServer: @unchecked Sendable {
    let process = Process()
    private let lock = NSLock()
    private var output = ""
    private(set) var port = 0

    init(database: String) throws {
        process.executableURL = URL(fileURLWithPath: DCEBinary.path)
        process.arguments = ["serve", "--port", "0", "--database", database, "--log-level", "error"]
        let pipe = Pipe()
        process.standardOutput = pipe
        process.standardError = FileHandle.nullDevice
        pipe.fileHandleForReading.readabilityHandler = { [weak self] handle in
            let data = handle.availableData
            guard let self, !data.isEmpty else { return }
            self.lock.withLock { self.output += String(decoding: data, as: UTF8.self) }
        }
        try process.run()
    }

    struct NotListening: Error, CustomStringConvertible {
        let output: String
        var description: String { "dce serve did not report its port: \(output)" }
    }

    /// Waits for "listening on http://127.0.0.1:PORT".
    func waitUntilListening(timeout: Duration = .seconds(120)) async throws -> Int {
        let deadline = ContinuousClock.now + timeout
        while ContinuousClock.now < deadline {
            let text = lock.withLock { output }
            if let range = text.range(of: "listening on http://127.0.0.1:") {
                let digits = text[range.upperBound...].prefix { $0.isNumber }
                if let port = Int(digits) {
                    self.port = port
                    return port
                }
            }
            guard process.isRunning else { break }
            try await Task.sleep(for: .milliseconds(50))
        }
        throw NotListening(output: lock.withLock { output })
    }

    /// SIGKILL: no shutdown, no flush, as in a power cut.
    func kill() {
        _ = Glibc.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func stop() {
        if process.isRunning {
            process.terminate()
            process.waitUntilExit()
        }
    }
}
