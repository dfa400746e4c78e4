import AsyncHTTPClient
import DCEJSON
import DCETestSupport
import Foundation
import Testing

/// Starts the real binary, posts events from several clients at once, kills the server
/// with SIGKILL while requests are in flight, restarts it, and checks that every event
/// that was acknowledged with a 2xx is in the ledger exactly once.
@Suite(.serialized) struct CrashRecoveryTests {
    @Test(arguments: TestEngine.all)
    func everyAcknowledgedEventSurvivesSIGKILL(engine: TestEngine) async throws {
        // setup
        let created = try await TestDatabases.create(engine)
        defer { Task { try? await created.drop() } }
        let database = ["--database", created.location.connectionString]
        let account = try await DCEProcess.run(["accounts", "create", "acme"] + database)
        #expect(account.status == 0, "\(account.stderr)")
        let issued = try await DCEProcess.run(["keys", "create", "--account", "acme"] + database)
        #expect(issued.status == 0, "\(issued.stderr)")
        let key = issued.stdout.trimmingCharacters(in: .whitespacesAndNewlines)
        #expect(key.hasPrefix("dce_"))

        let server = try await DCEProcess(database: created.location)
        let acknowledged = Acknowledged()

        // run: 6 clients post until the server is killed after 150 acknowledgements.
        try await withThrowingTaskGroup(of: Void.self) { group in
            for client in 0..<6 {
                group.addTask {
                    var sequence = 0
                    while true {
                        sequence += 1
                        let id = "c\(client)-\(sequence)"
                        let body = #"{"idempotency_key": "\#(id)", "external_call_id": "\#(id)", "status": "completed", "revenue": "1.00"}"#
                        do {
                            let response = try await HTTP.request(.POST, server.baseURL + "/v1/events", key: key, body: body, timeout: .seconds(5))
                            if response.status == 200 { await acknowledged.add(id) }
                        } catch {
                            return // the server is gone
                        }
                    }
                }
            }
            group.addTask {
                while await acknowledged.count < 150 { try await Task.sleep(for: .milliseconds(5)) }
                await server.kill()
            }
            try await group.waitForAll()
        }

        // validate: restart on the same database and find every acknowledged event once.
        let restarted = try await DCEProcess(database: created.location)
        var external: [String] = []
        var cursor: String?
        repeat {
            let page = try await HTTP.request(.GET, restarted.baseURL + "/v1/calls?limit=500" + (cursor.map { "&cursor=\($0)" } ?? ""), key: key)
            #expect(page.status == 200)
            let calls = page.value["data"]?.array ?? []
            external += calls.compactMap { $0["external_call_id"]?.string }
            #expect(calls.allSatisfy { $0["event_count"] == 1 })
            cursor = page.value["next_cursor"]?.string
        } while cursor != nil
        let acked = await acknowledged.ids
        #expect(acked.count >= 150)
        #expect(Set(external).count == external.count, "a call appears twice")
        #expect(acked.isSubset(of: Set(external)), "\(acked.subtracting(external).count) acknowledged events were lost")

        // Retrying an acknowledged event after the crash answers it as a duplicate.
        let retry = try await HTTP.request(.POST, restarted.baseURL + "/v1/events", key: key,
                                           body: #"{"idempotency_key": "\#(acked.first!)", "external_call_id": "\#(acked.first!)"}"#)
        #expect(retry.value["duplicate"] == true)
        await restarted.terminate()
    }
}

actor Acknowledged {
    private(set) var ids: Set<String> = []
    var count: Int { ids.count }
    func add(_ id: String) { ids.insert(id) }
}
