@testable import DCEHTTP
import DCEStorage
import Hummingbird
import HummingbirdCore
import Testing

/// The dashboard's "next page" link carries the API's cursor, and reads it as strictly.
@Suite struct DashboardCursorTests {
    @Test func theNextPageLinkCarriesTheCursorOfTheListingOrder() throws {
        let cursor = CallCursor(sortAt: 1_740_830_400_000, callID: "call_abc")
        let query = try DashboardFilters.query(from: URI("/dashboard?cursor=\(cursor.token)").queryParameters, pageSize: 50)
        #expect(query.cursor == cursor)
    }

    @Test func aCursorTheDashboardDidNotMakeIsAnErrorNamingIt() {
        for token in ["%25%25", "bm8gY29sb24", "MTo"] {
            #expect {
                _ = try DashboardFilters.query(from: URI("/dashboard?cursor=\(token)").queryParameters, pageSize: 50)
            } throws: { error in
                (error as? APIError)?.field == "cursor"
            }
        }
    }
}
