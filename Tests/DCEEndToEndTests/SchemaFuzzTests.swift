import DCEStorage
import DCETestSupport
import Foundation
import Subprocess
import SystemPackage
import Testing

/// The served `openapi.yaml` fuzzed by schemathesis (PyPI, installed by `scripts/test`)
/// against `dce serve --demo`: none of the requests it generates for every operation, valid
/// or not, gets a server error, and every answer has a status, content type and body the
/// document declares. Fixed seed and a bounded number of cases per operation.
@Suite struct SchemaFuzzTests {
    static let adminKey = "dce_admin_schema_fuzz_0123456789abcdef"
    static let version = "4.32.5"

    /// A pool that has every number leased answers 503 (`pool_exhausted`, documented) so
    /// that the visitor's page keeps its default number: not a server error there.
    static let configuration = """
        [[operations]]
        include-path-regex = "allocate_number"
        checks.not_a_server_error.expected-statuses = ["2xx", "3xx", "4xx", "503"]
        """

    @Test func schemathesisFindsNoServerErrorAndNoAnswerTheDocumentDoesNotDeclare() async throws {
        // setup
        let imported = try await Subprocess.run(.name("python3"), arguments: ["-c", "import schemathesis"], output: .discarded, error: .discarded)
        try #require(imported.terminationStatus.isSuccess, "schemathesis \(Self.version) is missing: scripts/test installs it")
        let created = try await TestDatabases.create(.sqlite)
        defer { Task { try? await created.drop() } }
        let server = try await DCEProcess(database: created.location, arguments: ["--demo", "--demo-calls", "200"],
                                          environment: ["DCE_ADMIN_KEY": Self.adminKey])
        defer { server.stop() }
        let issued = try await HTTP.request(.POST, server.baseURL + "/v1/admin/accounts/demo/keys", key: Self.adminKey, body: #"{"label": "fuzz"}"#)
        let key = try #require(issued.value["key"]?.string, "\(issued.value)")
        // schemathesis keeps a cache in its working directory: a directory of the run's own.
        let directory = FileManager.default.temporaryDirectory.appendingPathComponent("dce-schemathesis-\(UUID().uuidString)")
        try FileManager.default.createDirectory(at: directory, withIntermediateDirectories: true)
        defer { try? FileManager.default.removeItem(at: directory) }
        let configuration = directory.appendingPathComponent("schemathesis.toml")
        try Self.configuration.write(to: configuration, atomically: true, encoding: .utf8)

        // run
        let fuzz = try await Subprocess.run(
            .name("python3"),
            arguments: [
                "-c", "import sys; from schemathesis.cli import schemathesis; sys.exit(schemathesis())",
                "--config-file", configuration.path, "run", server.baseURL + "/openapi.yaml",
                "--checks", "not_a_server_error,status_code_conformance,content_type_conformance,response_schema_conformance",
                "--header", "Authorization: Bearer \(key)", "--max-examples", "8", "--workers", "2", "--seed", "1",
                "--request-timeout", "30", "--no-color",
            ],
            workingDirectory: FilePath(directory.path),
            output: .string(limit: 16 << 20), error: .string(limit: 16 << 20))

        // validate
        let report = fuzz.standardOutput + fuzz.standardError
        #expect(fuzz.terminationStatus.isSuccess, "\(report.suffix(12_000))")
        let selected = Self.number(after: "Selected: ", in: report)
        #expect(selected != nil && selected == Self.number(after: "Tested: ", in: report), "every operation was tested: \(report.suffix(2_000))")
    }

    /// The count schemathesis prints after `label` ("Selected: 120/120", "Tested: 120").
    static func number(after label: String, in report: String) -> Int? {
        guard let range = report.range(of: label) else { return nil }
        return Int(report[range.upperBound...].prefix { $0.isNumber })
    }
}
