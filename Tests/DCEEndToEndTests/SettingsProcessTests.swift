import Foundation
import Testing

@Suite struct SettingsProcessTests {
    @Test func startingWithThreeWrongSettingsNamesAllThree() async throws {
        // run: one wrong on the command line, two in the environment.
        let result = try await DCEProcess.run(
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

    @Test func aDotEnvFileInTheWorkingDirectoryIsReadBelowTheEnvironment() async throws {
        // setup: a directory whose .env sets a wrong port and a wrong log level; the
        // environment corrects the log level, so only the port is reported.
        let directory = URL(fileURLWithPath: NSTemporaryDirectory()).appendingPathComponent("dce-env-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        try "DCE_PORT=eighty\nDCE_LOG_LEVEL=loud\n".write(to: directory.appendingPathComponent(".env"), atomically: true, encoding: .utf8)

        // run
        let result = try await DCEProcess.run(["serve"], environment: ["DCE_LOG_LEVEL": "info"], in: directory)

        // validate
        #expect(result.status != 0)
        #expect(result.stderr.contains("DCE_PORT"), "\(result.stderr)")
        #expect(!result.stderr.contains("DCE_LOG_LEVEL"), "\(result.stderr)")
    }
}
