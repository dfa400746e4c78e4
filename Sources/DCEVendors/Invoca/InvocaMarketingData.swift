import DCEJSON
import DCEDomain

/// The marketing data and signals of an Invoca transaction, as tags. Invoca's developer
/// docs (Transactions API, "Marketing Data & Signal Parameters") give them three ways,
/// all read here:
///
/// 1. `custom_data`: an array of `{name (or partner_name), data_type, source, value}`; a
///    signal's value is `true`, `false` or null (not applicable, so not kept).
/// 2. Columns named by the account's Marketing Data Dictionary (`utm_medium`, `gclid`,
///    `Quote`, with `Quote.source` when asked for): any member that is not one of the
///    standard Transactions API columns.
/// 3. The RingPool and AdWords columns (`dynamic_number_pool_*`), the visit's own
///    parameters; `dynamic_number_pool_referrer_paramN_name`/`_value` become `name → value`.
///
/// The deprecated `signal_name`/`signal_value` pair is kept as `signal_name → value`.
/// A key is cut to 128 characters and a value to 4096 (Invoca allows 255 and 10,000);
/// the stored row keeps the whole text.
enum InvocaMarketingData {
    struct Read {
        var tags: [String: String] = [:]
        /// Entries read, before equal keys collapsed: what the tag limit counts.
        var count = 0
    }

    static func read(_ row: [String: JSONValue]) -> Read {
        var read = Read()
        func keep(_ key: String, _ value: JSONValue?) {
            guard let value, let text = FlatFields.scalarText(value)?.trimmingWhitespace(), !text.isEmpty else { return }
            let name = key.trimmingWhitespace()
            guard !name.isEmpty else { return }
            read.tags[String(name.prefix(Tags.maximumKeyLength))] = String(text.prefix(Tags.maximumValueLength))
            read.count += 1
        }
        for (key, value) in row where !standardColumns.contains(key) {
            switch key {
            case "custom_data": readCustomData(value, into: keep)
            case _ where key.hasPrefix(poolParameterPrefix):
                // `…_paramN_name` carries the name of `…_paramN_value`; read from the name's side.
                guard key.hasSuffix("_name"), case .string(let name) = value else { continue }
                keep(name, row[String(key.dropLast("_name".count)) + "_value"])
            default: keep(key, value)
            }
        }
        if case .string(let signal)? = row["signal_name"] { keep(signal, row["signal_value"]) }
        return read
    }

    private static func readCustomData(_ value: JSONValue, into keep: (String, JSONValue?) -> Void) {
        switch value {
        case .array(let entries):
            for case .object(let entry) in entries {
                let name: String? = if case .string(let n)? = entry["name"] { n } else if case .string(let n)? = entry["partner_name"] { n } else { nil }
                if let name { keep(name, entry["value"]) }
            }
        case .object(let members):
            for (name, item) in members { keep(name, item) }
        default:
            break
        }
    }

    static let poolParameterPrefix = "dynamic_number_pool_referrer_param"

    /// Invoca's standard Transactions API columns that are not marketing data (every
    /// field table of the network, advertiser and affiliate pages), with dce's own
    /// `tracking_number`. They are read into the call or kept only in the stored row.
    static let standardColumns: Set<String> = Set(InvocaTransaction.Field.allCases.map(\.rawValue)).union([
        "address1", "address2", "address_city_data_append", "address_country_data_append",
        "address_full_street_data_append", "address_state_data_append", "address_type_data_append",
        "address_zip_data_append", "advertiser_call_fee_localized", "advertiser_campaign_country", "advertiser_id",
        "advertiser_id_from_network", "advertiser_name", "advertiser_promo_line_description",
        "affiliate_call_volume_ranking", "affiliate_campaign_id_from_network", "affiliate_commissions_ranking",
        "affiliate_conversion_rate_ranking", "age_range_data_append", "call_fee_localized",
        "call_result_description_detail_managed_advertiser", "call_source_description", "carrier_data_append",
        "cell_phone_number", "country", "display_name_data_append", "education_data_append", "email_address",
        "external_data", "first_name_data_append", "gender_data_append", "hangup_cause", "has_children_data_append",
        "high_net_worth_data_append", "home_market_value_data_append", "home_owner_status_data_append",
        "home_phone_number", "household_income_data_append", "is_prepaid_data_append", "ivr_duration",
        "keypress_1", "keypress_2", "keypress_3", "keypress_4", "keypresses", "last_name_data_append",
        "length_of_residence_years_data_append", "line_type_data_append", "linked_email_addresses_data_append",
        "margin_localized", "marital_status_data_append", "matching_advertiser_payin_policies",
        "matching_affiliate_payout_policies", "media_type", "name", "notes", "occupation_data_append", "opt_in_SMS",
        "order_city", "original_order_id", "payin_conditions", "payout_conditions", "primary_email_address_data_append",
        "promo_line_description", "qualified_regions", "quantity_list", "real_time_response", "reason_code",
        "recording_download_url", "repeat_calling_phone_number", "revenue", "sale_amount", "signal_custom_parameter_1",
        "signal_custom_parameter_2", "signal_custom_parameter_3", "signal_description", "signal_name",
        "signal_occurred_at", "signal_partner_unique_id", "signal_source", "signal_value", "sku_list",
        "state_or_province", "syndicated_ident", "transfer_from_type", "verified_zip", "zip_code",
    ])
}
