import Foundation
import Hummingbird
import NIOCore

/// `GET /dce.js`: the one-tag script that swaps a page's number for a leased one.
struct DNIScriptController {
    func register(on router: Router<AppRequestContext>) {
        router.get("dce.js", use: script)
    }

    static let text: String = {
        guard let url = Bundle.module.url(forResource: "dce", withExtension: "js", subdirectory: "Resources/dni")
                ?? Bundle.module.url(forResource: "dce", withExtension: "js"),
              let text = try? String(contentsOf: url, encoding: .utf8)
        else { fatalError("Resources/dni/dce.js is missing from the DCEHTTP bundle") }
        return text
    }()

    @Sendable func script(request: Request, context: AppRequestContext) async throws -> Response {
        Response(
            status: .ok,
            headers: [
                .contentType: "application/javascript; charset=utf-8",
                .cacheControl: "public, max-age=300",
                .accessControlAllowOrigin: "*",
            ],
            body: .init(byteBuffer: ByteBuffer(string: Self.text))
        )
    }
}
