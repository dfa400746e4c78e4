import Foundation
import Testing

@Suite struct SettingsProcessTests {
    @Test func startingWithThreeWrongSettingsNamesAllThree() throws {
        // run: one wrong on the command line, two in the environment.
        let result = try DCEProcess.run(
            ["serve", "--port", "eighty"],
            environment: ["DATABASE_URL": "mysql://localhost/dce", "DCE_RATE_LIMIT": "fast"]
        )

        // validate
        #expect(result.status != 0)
        #expect(result.stderr.contains("3 settings are wrong"), "\(result.stderr)")
        for name in ["--port / DCE_PORT", "--database / DATABASE_URL", "--rate-limit / DCE_RATE_LIMIT"] {
            #expect(result.stderr.contains(name), "\(name) missing from: \(result.stderr)")
        }
    }

    @Test func aDotEnvFileInTheWorkingDirectoryIsReadBelowTheEnvironment() throws {
        // setup: a directory whose .env sets a wrong port and a wrong log level; the
        // environment corrects the log level, so only the port is reported.
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("dce-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "DCE_PORT=eighty\nDCE_LOG_LEVEL=loud\n".write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)

        // run
        let process = Process()
        process.executableURL = DCEProcess.binary
        process.arguments = ["serve"]
        process.currentDirectoryURL = directory
        process.environment = ProcessInfo.processInfo.environment.merging(["DCE_LOG_LEVEL": "info"]) { _, new in new }
        let err = Pipe()
        process.standardOutput = Pipe()
        process.standardError = err
        try process.run()
        let stderr = String(decoding: err.fileHandleForReading.readDataToEndOfFile(), as: UTF8.self)
        process.waitUntilExit()
        let result = (status: process.terminationStatus, stderr: stderr)

        // validate
        #expect(result.status != 0)
        #expect(result.stderr.contains("DCE_PORT"), "\(result.stderr)")
        #expect(!result.stderr.contains("DCE_LOG_LEVEL"), "\(result.stderr)")
    }
}
