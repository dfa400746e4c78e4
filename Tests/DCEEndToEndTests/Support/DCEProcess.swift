import AsyncHTTPClient
import DCEJSON
import DCEStorage
import Foundation
import NIOCore
import NIOFoundationCompat
import NIOHTTP1
import Subprocess
import Synchronization
import SystemPackage

/// The built `dce` binary, run as a child process the way a user runs it.
///
/// Children are started through swift-subprocess rather than Foundation's `Process`:
/// `Process.run()` on Linux copies a whole 256-byte `d_name` out of each `/proc/self/fd`
/// entry and crashes when one sits at the end of a mapped page, which a test process with
/// over a thousand open descriptors meets now and then.
final class DCEProcess: Sendable {
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
    static func run(_ arguments: [String], environment: [String: String] = [:], in directory: URL? = nil) async throws
        -> (status: Int32, stdout: String, stderr: String) {
        let result = try await Subprocess.run(
            .path(FilePath(binary.path)), arguments: Arguments(arguments), environment: inherited(environment),
            workingDirectory: directory.map { FilePath($0.path) }, output: .string(limit: 64 << 20), error: .string(limit: 64 << 20))
        return (status(result.terminationStatus), result.standardOutput, result.standardError)
    }

    static func inherited(_ environment: [String: String]) -> Subprocess.Environment {
        var overrides: [Subprocess.Environment.Key: String?] = [:]
        for (name, value) in environment {
            if let key = Subprocess.Environment.Key(rawValue: name) { overrides[key] = value }
        }
        return .inherit.updating(overrides)
    }

    /// An exit code, or 128 plus the signal as a shell reports a signalled child.
    static func status(_ status: TerminationStatus) -> Int32 {
        switch status {
        case .exited(let code): code
        case .signaled(let signal): 128 + signal
        }
    }

    let pid: pid_t
    let port: Int
    var baseURL: String { "http://127.0.0.1:\(port)" }
    private let exit: Task<Int32, any Error>
    private let exited: Flag

    /// Starts `dce serve --port 0` and waits until it prints the port it listens on.
    init(database: DatabaseLocation, arguments: [String] = [], environment: [String: String] = [:]) async throws {
        let (started, reporter) = AsyncStream<Started>.makeStream()
        let exited = Flag()
        let arguments = ["serve", "--port", "0", "--database", database.connectionString] + arguments
        exit = Task {
            defer { reporter.finish() }
            let result = try await Subprocess.run(
                .path(FilePath(Self.binary.path)), arguments: Arguments(arguments), environment: Self.inherited(environment),
                input: .none, output: .sequence, error: .discarded
            ) { execution in
                reporter.yield(.pid(execution.processIdentifier.value))
                var text = ""
                var reported = false
                // Keeps reading after the port is found, so the server never blocks on a full pipe.
                for try await line in execution.standardOutput.strings() where !reported {
                    text += line + "\n"
                    if let range = line.range(of: #"listening on http://127\.0\.0\.1:(\d+)"#, options: .regularExpression),
                       let port = line[range].split(separator: ":").last.flatMap({ Int($0) }) {
                        reporter.yield(.port(port))
                        reported = true
                    }
                }
                if !reported { reporter.yield(.silent(text)) }
            }
            exited.set()
            return Self.status(result.terminationStatus)
        }
        self.exited = exited
        var pid: pid_t?
        var port: Int?
        var silence = ""
        // A server that prints no port for a minute is killed, which ends its output.
        var watchdog: Task<Void, Never>?
        for await event in started {
            switch event {
            case .pid(let value):
                pid = value
                watchdog = Task {
                    guard (try? await Task.sleep(for: .seconds(60))) != nil else { return }
                    exited.unlessSet { _ = Glibc.kill(value, SIGKILL) }
                }
            case .port(let value): port = value
            case .silent(let text): silence = text
            }
            if port != nil { break }
        }
        watchdog?.cancel()
        guard let pid else {
            _ = try await exit.value
            throw Failed(description: "dce serve did not start")
        }
        self.pid = pid
        guard let port else {
            Glibc.kill(pid, SIGKILL)
            _ = try? await exit.value
            throw Failed(description: "dce serve did not report a port; it printed: \(silence)")
        }
        self.port = port
    }

    /// Whether the child was reaped, checked and set under one lock.
    private final class Flag: Sendable {
        private let isSet = Mutex(false)
        func set() { isSet.withLock { $0 = true } }
        func unlessSet(_ action: () -> Void) { isSet.withLock { if !$0 { action() } } }
    }

    private enum Started: Sendable {
        case pid(pid_t)
        case port(Int)
        case silent(String)
    }

    /// Kills the server the way a power cut would, and waits until it is gone.
    func kill() async {
        signal(SIGKILL)
        _ = try? await exit.value
    }

    /// Asks the server to stop, waits, and returns its exit status.
    @discardableResult
    func terminate() async -> Int32 {
        signal(SIGTERM)
        return (try? await exit.value) ?? -1
    }

    /// Asks the server to stop without waiting for it (for `defer`).
    func stop() {
        signal(SIGTERM)
    }

    private func signal(_ signal: Int32) {
        // Never signals a pid that was reaped and may since belong to another process.
        exited.unlessSet { _ = Glibc.kill(pid, signal) }
    }

    deinit {
        signal(SIGKILL)
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
