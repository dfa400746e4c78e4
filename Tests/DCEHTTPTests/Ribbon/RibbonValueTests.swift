import DCEDomain
import DCEStorage
import Testing
@testable import DCEHTTP

/// Pure rules of the ribbon: how domains compare, which month a call counts in, CSV fields.
@Suite struct RibbonValueTests {
    @Test(arguments: [
        ("yourcrm.com", "yourcrm.com"),
        ("https://YourCRM.com", "yourcrm.com"),
        ("http://app.yourcrm.com:8443/crm?x=1", "app.yourcrm.com"),
        ("localhost:3000", "localhost"),
        ("user@crm.example.", "crm.example"),
        ("[::1]:8080", "[::1]"),
    ])
    func domainsCompareByHost(input: String, host: String) {
        #expect(RibbonDomain.host(of: input) == host)
    }

    @Test func nothingIsNotADomain() {
        #expect(RibbonDomain.host(of: "  ") == nil)
        #expect(RibbonDomain.host(of: "https://") == nil)
    }

    @Test func aCallCountsInTheUTCMonthItWasFirstSeen() {
        #expect(UsageMonth.of(Timestamp(parsing: "2025-10-31T23:59:59Z")!) == "2025-10")
        #expect(UsageMonth.of(Timestamp(parsing: "2025-11-01T00:00:00+05:30")!) == "2025-10")
        #expect(UsageMonth.of(Timestamp(parsing: "2025-11-01T00:00:00Z")!) == "2025-11")
    }

    @Test(arguments: [
        ("plain", "plain"),
        ("a,b", "\"a,b\""),
        ("say \"hi\"", "\"say \"\"hi\"\"\""),
        ("two\nlines", "\"two\nlines\""),
        ("cr\r\nlf", "\"cr\r\nlf\""),
        ("+919876543210", "+919876543210"),
    ])
    func csvFieldsAreQuotedWhenTheyMustBe(value: String, written: String) {
        #expect(RibbonCSV.field(value) == written)
    }

    @Test func timesHaveMillisecondsOnlyWhenThereAreSome() {
        #expect(RibbonFormat.time(Timestamp(parsing: "2025-10-12T10:30:00Z")!) == "2025-10-12T10:30:00Z")
        #expect(RibbonFormat.time(Timestamp(parsing: "2025-10-12T10:30:00.250Z")!) == "2025-10-12T10:30:00.250Z")
    }
}
