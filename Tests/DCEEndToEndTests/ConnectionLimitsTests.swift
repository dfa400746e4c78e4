import DCETestSupport
import Foundation
import Testing
#if canImport(Glibc)
import Glibc
#endif

/// The server's own protection against slow and numerous clients, on the real binary:
/// a connection that sends half a request is closed after the idle timeout, and past the
/// connection limit a new connection waits until another closes.
@Suite(.serialized) struct ConnectionLimitsTests {
    /// A plain TCP connection to the server, to send partial requests a client library won't.
    final class RawConnection {
        let descriptor: Int32

        init(port: Int) throws {
            descriptor = socket(AF_INET, Int32(SOCK_STREAM.rawValue), 0)
            var address = sockaddr_in()
            address.sin_family = sa_family_t(AF_INET)
            address.sin_port = in_port_t(UInt16(port).bigEndian)
            address.sin_addr.s_addr = inet_addr("127.0.0.1")
            let connected = withUnsafePointer(to: &address) {
                $0.withMemoryRebound(to: sockaddr.self, capacity: 1) { connect(descriptor, $0, socklen_t(MemoryLayout<sockaddr_in>.size)) }
            }
            guard connected == 0 else { throw Failure(description: "could not connect: errno \(errno)") }
        }

        func send(_ text: String) {
            _ = text.withCString { Glibc.send(descriptor, $0, strlen($0), Int32(MSG_NOSIGNAL)) }
        }

        /// What the server sent within `seconds`: nil when nothing came, "" when it closed.
        func receive(within seconds: Double) -> String? {
            var poller = pollfd(fd: descriptor, events: Int16(POLLIN), revents: 0)
            guard poll(&poller, 1, Int32(seconds * 1000)) > 0 else { return nil }
            var buffer = [UInt8](repeating: 0, count: 4096)
            let count = recv(descriptor, &buffer, buffer.count, 0)
            return count <= 0 ? "" : String(decoding: buffer[..<count], as: UTF8.self)
        }

        deinit { close(descriptor) }
    }

    struct Failure: Error, CustomStringConvertible { let description: String }

    @Test func aHalfSentRequestIsClosedAfterTheIdleTimeout() async throws {
        let created = try await TestDatabases.create(.sqlite)
        let server = try await DCEProcess(database: created.location, arguments: ["--idle-timeout", "1"])
        defer { server.stop() }
        let slow = try RawConnection(port: server.port)
        slow.send("POST /v1/events HTTP/1.1\r\nHost: 127.0.0.1\r\nContent-Le")
        // The server closes it (an empty read) instead of holding it open.
        let answer = slow.receive(within: 10)
        #expect(answer != nil)
        #expect(answer?.contains("200") != true)
    }

    @Test func pastTheConnectionLimitANewConnectionWaitsForOneToClose() async throws {
        let created = try await TestDatabases.create(.sqlite)
        let server = try await DCEProcess(database: created.location, arguments: ["--max-connections", "2", "--idle-timeout", "30"])
        defer { server.stop() }
        var holders = [try RawConnection(port: server.port), try RawConnection(port: server.port)]
        // Both are accepted: each answers a request.
        for holder in holders {
            holder.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
            #expect(holder.receive(within: 10)?.contains("200 OK") == true)
        }
        let third = try RawConnection(port: server.port)
        third.send("GET /health HTTP/1.1\r\nHost: 127.0.0.1\r\n\r\n")
        #expect(third.receive(within: 1.5) == nil)
        holders.removeFirst()
        #expect(third.receive(within: 10)?.contains("200 OK") == true)
    }
}
