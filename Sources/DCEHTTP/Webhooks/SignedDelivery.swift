import Hummingbird

extension WebhookAuthentication {
    /// Whether a delivery presents Standard Webhooks headers, and so must be checked
    /// against a signature over its whole body.
    static func isSigned(_ request: Request) -> Bool {
        request.headers[.webhookSignature] != nil || request.headers[.webhookID] != nil || request.headers[.webhookTimestamp] != nil
    }
}
