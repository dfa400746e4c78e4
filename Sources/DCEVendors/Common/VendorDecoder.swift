/// Reads a delivery with the decoder of the vendor it was sent to.
public enum VendorDecoder {
    public static func decode(_ vendor: Vendor, _ delivery: VendorDelivery, integration: IntegrationProfile) throws(VendorError) -> [VendorEvent] {
        switch vendor {
        case .ringba: try RingbaWebhook.decode(delivery, integration: integration)
        case .retreaver: try RetreaverWebhook.decode(delivery, integration: integration)
        case .ringcentral: try RingCentralMapping.decode(delivery, integration: integration)
        case .exotel: try ExotelStatusCallback.decode(delivery, integration: integration)
        case .invoca: try InvocaTransaction.decode(delivery, integration: integration)
        case .native:
            throw VendorError(field: nil, message: "native events are posted to /v1/events", code: "unsupported_vendor")
        }
    }
}
