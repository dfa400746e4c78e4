import AsyncHTTPClient
import DCEJSON
import DCEStorage
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1

/// The built `dce` binary, run as a child process the way a user runs it.
final class DCEProcess: @unchecked Sendable {
    static var binary: URL {
        if let path = ProcessInfo.processInfo.environment["DCE_BINARY"] { return URL(fileURLWithPath: path) }
        // Tests/DCEEndToEndTests/Support/DCEProcess.swift → package root
        let root = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent()
            .deletingLastPathComponent().deletingLastPathComponent()
        return root.appendingPathComponent(".build/debug/dce")
    }

    struct Failed: Error, CustomStringConvertible {
        let description: String
    }

    /// Runs a `dce` command to completion and returns its status and output.
    static func run(_ arguments: [String], environment: [String: String] = [:]) throws -> (status: Int32, stdout: String, stderr: String) {
        let process = Process()
        process.executableURL = binary
        process.arguments = arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        let out = Pipe(), err = Pipe()
        process.standardOutput = out
        process.standardError = err
        try process.run()
        let stdout = out.fileHandleForReading.readDataToEndOfFile()
        let stderr = err.fileHandleForReading.readDataToEndOfFile()
        process.waitUntilExit()
        return (process.terminationStatus, String(decoding: stdout, as: UTF8.self), String(decoding: stderr, as: UTF8.self))
    }

    let process = Process()
    let output = Pipe()
    private(set) var port = 0
    var baseURL: String { "http://127.0.0.1:\(port)" }

    /// Starts `dce serve --port 0` and waits until it prints the port it listens on.
    init(database: DatabaseLocation, arguments: [String] = [], environment: [String: String] = [:]) throws {
        process.executableURL = Self.binary
        process.arguments = ["serve", "--port", "0", "--database", database.connectionString] + arguments
        process.environment = ProcessInfo.processInfo.environment.merging(environment) { _, new in new }
        process.standardOutput = output
        process.standardError = FileHandle.nullDevice
        try process.run()
        var text = ""
        let deadline = Date().addingTimeInterval(60)
        while Date() < deadline {
            let data = output.fileHandleForReading.availableData
            if data.isEmpty { break }
            text += String(decoding: data, as: UTF8.self)
            if let range = text.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression) {
                let match = text[range]
                port = Int(match.split(separator: ":").last!)!
                return
            }
        }
        process.terminate()
        throw Failed(description: "dce serve did not report a port; it printed: \(text)")
    }

    func kill() {
        Foundation.kill(process.processIdentifier, SIGKILL)
        process.waitUntilExit()
    }

    func terminate() -> Int32 {
        process.terminate()
        process.waitUntilExit()
        return process.terminationStatus
    }

    deinit {
        if process.isRunning { kill() }
    }
}

extension DatabaseLocation {
    /// The form `--database` takes.
    var connectionString: String {
        switch self {
        case .sqlite(let path): path
        case .postgres(let url): url
        }
    }
}

/// Small JSON-over-HTTP calls against a running dce.
enum HTTP {
    static func request(_ method: HTTPMethod, _ url: String, key: String? = nil, body: String? = nil, timeout: TimeAmount = .seconds(30)) async throws -> (status: Int, value: JSONValue) {
        var request = HTTPClientRequest(url: url)
        request.method = method
        if let key { request.headers.add(name: "Authorization", value: "Bearer \(key)") }
        if let body {
            request.headers.add(name: "Content-Type", value: "application/json")
            request.body = .bytes(ByteBuffer(string: body))
        }
        let response = try await HTTPClient.shared.execute(request, timeout: timeout)
        let data = try await response.body.collect(upTo: 16 * 1024 * 1024)
        return (Int(response.status.code), JSONValue.parse(bytes: Array(buffer: data)) ?? .null)
    }
}
