@testable import DCEVendors
import Testing

/// `X-Twilio-Signature`, checked against the example of Twilio's "Webhooks security"
/// page (twilio.com/docs/usage/security): the URL, the five POST parameters and the
/// auth token `12345` give `0/KCTR6DLpKmkAf8muzZqo1nDgQ=`.
@Suite struct TwilioSignatureTests {
    let token = "12345"
    let url = "https://mycompany.com/myapp.php?foo=1&bar=2"
    /// In the order a form might carry them, not sorted.
    let parameters: [TwilioSignature.Parameter] = [
        .init("To", "+18005551212"),
        .init("From", "+12349013030"),
        .init("Digits", "1234"),
        .init("CallSid", "CA1234567890ABCDE"),
        .init("Caller", "+12349013030"),
    ]
    let documented = "0/KCTR6DLpKmkAf8muzZqo1nDgQ="

    @Test func twiliosOwnExampleGivesTheDocumentedSignature() {
        #expect(TwilioSignature.signature(authToken: token, url: url, parameters: parameters) == documented)
        #expect(TwilioSignature.isValid(documented, authToken: token, url: url, parameters: parameters))
    }

    @Test func theSignedTextIsTheURLThenEachParameterSortedByNameWithoutDelimiters() {
        #expect(TwilioSignature.signedContent(url: url, parameters: parameters)
            == "https://mycompany.com/myapp.php?foo=1&bar=2CallSidCA1234567890ABCDECaller+12349013030Digits1234From+12349013030To+18005551212")
        let repeated: [TwilioSignature.Parameter] = [.init("b", "2"), .init("a", "z"), .init("a", "y")]
        #expect(TwilioSignature.signedContent(url: "u", parameters: repeated) == "uayazb2")
    }

    @Test func theDefaultPortMayBeAddedOrRemoved() {
        let withPort = "https://mycompany.com:443/myapp.php?foo=1&bar=2"
        // Signed without the port, checked at the URL with it, and the other way round.
        #expect(TwilioSignature.isValid(documented, authToken: token, url: withPort, parameters: parameters))
        let signedWithPort = TwilioSignature.signature(authToken: token, url: withPort, parameters: parameters)
        #expect(signedWithPort != documented)
        #expect(TwilioSignature.isValid(signedWithPort, authToken: token, url: url, parameters: parameters))
    }

    @Test func urlVariantsTouchOnlyTheDefaultPortOfTheScheme() {
        #expect(TwilioSignature.urlVariants("https://a.example/x") == ["https://a.example/x", "https://a.example:443/x"])
        #expect(TwilioSignature.urlVariants("http://a.example:80/x?y=1") == ["http://a.example:80/x?y=1", "http://a.example/x?y=1"])
        #expect(TwilioSignature.urlVariants("http://a.example?y=1") == ["http://a.example?y=1", "http://a.example:80?y=1"])
        #expect(TwilioSignature.urlVariants("https://u:p@a.example:8443/x") == ["https://u:p@a.example:8443/x"])
        #expect(TwilioSignature.urlVariants("https://u:p@a.example/x") == ["https://u:p@a.example/x", "https://u:p@a.example:443/x"])
        #expect(TwilioSignature.urlVariants("https://[::1]/x") == ["https://[::1]/x", "https://[::1]:443/x"])
        #expect(TwilioSignature.urlVariants("https://[::1]:443/x") == ["https://[::1]:443/x", "https://[::1]/x"])
        #expect(TwilioSignature.urlVariants("ftp://a.example/x") == ["ftp://a.example/x"])
        #expect(TwilioSignature.urlVariants("not a url") == ["not a url"])
        #expect(TwilioSignature.urlVariants("https://") == ["https://"])
    }

    @Test func anyChangeOrAMissingSignatureIsRefused() {
        #expect(!TwilioSignature.isValid(nil, authToken: token, url: url, parameters: parameters))
        #expect(!TwilioSignature.isValid("", authToken: token, url: url, parameters: parameters))
        #expect(!TwilioSignature.isValid(documented, authToken: "54321", url: url, parameters: parameters))
        #expect(!TwilioSignature.isValid(documented, authToken: token, url: url + "&baz=3", parameters: parameters))
        #expect(!TwilioSignature.isValid(documented, authToken: token, url: url, parameters: parameters + [.init("Extra", "1")]))
        #expect(!TwilioSignature.isValid(documented, authToken: token, url: url, parameters: Array(parameters.dropLast())))
        #expect(!TwilioSignature.isValid("0/KCTR6DLpKmkAf8muzZqo1nDgQ", authToken: token, url: url, parameters: parameters))
        #expect(!TwilioSignature.isValid(documented, authToken: token, url: "https://mycompany.com:8443/myapp.php?foo=1&bar=2", parameters: parameters))
    }
}
