/// Request bodies are kept as the bytes that arrived. PostgreSQL's text cannot hold a NUL
/// byte, so a body carrying one could be neither stored nor dead-lettered; base64 text for
/// bodies that were not UTF-8 doubled as a second format to read.
///
/// PostgreSQL converts the column to `bytea`, decoding the base64 bodies. SQLite keeps the
/// column's declared type (its values may be BLOBs whatever the declaration): new bodies
/// are written as BLOBs, and the text of earlier rows is read by `StoredBody` as before.
/// From here on `body_encoding` says how the body is shown: as text when it is UTF-8,
/// else as base64.
let m009RawBodyBytes = Migration(version: 9, name: "raw body bytes") { engine in
    switch engine {
    case .sqlite:
        []
    case .postgres:
        [
            """
            ALTER TABLE inbound_requests ALTER COLUMN body TYPE BYTEA USING (
                CASE WHEN body_encoding = 'base64' THEN decode(body, 'base64') ELSE convert_to(body, 'UTF8') END)
            """,
        ]
    }
}
