import DCEDomain
import DCEStorage
import DCEVendors

/// A spec an import can file a vendor's ids on.
protocol ImportableSpec: ExchangeSpecValue {
    var externalIDs: ExternalIDs { get set }
}

extension CampaignSpec: ImportableSpec {}
extension PublisherSpec: ImportableSpec {}
extension TargetSpec: ImportableSpec {}

/// What importing one vendor object does, decided from the entity its ids already name (if
/// any) without touching storage.
///
/// The vendor owns only what it is the source of (a name, a target's number) and its ids;
/// everything else is the operator's. Who changed last is told by the vendor's `updated_at`
/// against the entity's: an entity the operator edited in dce after the vendor last changed
/// the object is left as the operator made it; without an `updated_at` the vendor's fields
/// are written whenever they differ.
enum ExchangeImportPlan<Spec: ImportableSpec>: Equatable {
    case create(Spec)
    case replace(id: String, Spec)
    case unchanged
    case keepOperatorEdit

    static func decide(
        existing: ExchangeEntity<Spec>?, ids: [String], vendor: String, vendorChangedAt: Timestamp?,
        create: (ExternalIDs) -> Spec, imported: (inout Spec) -> Void
    ) -> Self {
        guard let existing else { return .create(create(ExternalIDs([vendor: ids]))) }
        var spec = existing.spec
        imported(&spec)
        let kept = spec.externalIDs.byVendor[vendor] ?? []
        spec.externalIDs.byVendor[vendor] = kept + ids.filter { !kept.contains($0) }
        if spec == existing.spec { return .unchanged }
        if let vendorChangedAt, vendorChangedAt <= existing.updatedAt { return .keepOperatorEdit }
        return .replace(id: existing.id, spec)
    }
}

/// Creates and updates exchange entities from a vendor's objects through the directory's
/// own create and replace, so each change is checked and kept as a revision like an API edit.
struct ExchangeImport: Sendable {
    let directory: ExchangeDirectory
    let accountID: AccountID
    let vendor: Source
    let now: Timestamp

    /// Imports one object known to the vendor by `ids` (the first is its main one). A
    /// change the directory refuses is thrown as the object's error, at `path`.
    func upsert<Spec: ImportableSpec>(
        _ type: Spec.Type, ids: [String], path: String, vendorChangedAt: Timestamp?,
        create: (ExternalIDs) -> Spec, imported: (inout Spec) -> Void
    ) async throws {
        let resolved = try await directory.resolve(Spec.kind, vendor: vendor, ids: Set(ids), accountID: accountID)
        var existing: ExchangeEntity<Spec>?
        if let id = ids.lazy.compactMap({ resolved[$0] }).first {
            existing = try await directory.get(Spec.self, id: id, accountID: accountID)
        }
        let plan = ExchangeImportPlan.decide(existing: existing, ids: ids, vendor: vendor.rawValue, vendorChangedAt: vendorChangedAt,
                                             create: create, imported: imported)
        do {
            switch plan {
            case .create(let spec): _ = try await directory.create(spec, accountID: accountID, now: now)
            case .replace(let id, let spec): _ = try await directory.replace(spec, id: id, accountID: accountID, now: now)
            case .unchanged, .keepOperatorEdit: return
            }
        } catch let error as ExchangeError {
            throw Self.refusal(error, path: path)
        }
    }

    /// A directory refusal as the object's error: the field in dce's terms under the
    /// object's place in its page (`[2].campaign.name`).
    static func refusal(_ error: ExchangeError, path: String) -> VendorError {
        let field: String?
        switch error {
        case .invalid(let problem): field = problem.field
        case .conflict(let named, _), .inUse(let named, _): field = named
        case .notFound: field = nil
        }
        let place = [path, field].compactMap { $0 }.filter { !$0.isEmpty }.joined(separator: ".")
        return VendorError(field: place.isEmpty ? nil : place, message: "dce refused it: \(error.description)")
    }
}
