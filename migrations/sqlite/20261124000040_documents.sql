-- KYC documents. A document is a named slot (owner, type, name); its content lives in versions,
-- each an encrypted file in the document store plus its data key sealed by the encryption ring.
-- Versions are immutable: a new upload of the same name and type is a new row. The scanner's
-- verdict on a version is a row of its own in document_scans, written once; a version without
-- one is pending_scan. Nothing in these tables is ever updated or deleted (triggers below), with
-- one exception: a sealed data key may be re-wrapped under a newer ring key (key rotation), which
-- changes how the key is stored, never the document. The UPDATE triggers therefore list every other
-- column: a column added later must be added to those lists.
CREATE TABLE documents (
    id            TEXT    PRIMARY KEY,
    owner_id      TEXT    NOT NULL,                 -- the user's id (users live in identity's tables)
    document_type TEXT    NOT NULL CHECK (document_type IN ('government_id', 'passport',
                          'drivers_license', 'proof_of_address', 'selfie', 'other')),
    name          TEXT    NOT NULL,
    created_at    TEXT    NOT NULL,
    UNIQUE (owner_id, document_type, name)
);
CREATE INDEX documents_owner ON documents (owner_id, created_at);

CREATE TABLE document_versions (
    id           TEXT    PRIMARY KEY,               -- UUID v7; bound into the file's encryption
    document_id  TEXT    NOT NULL REFERENCES documents (id),
    version      INTEGER NOT NULL CHECK (version >= 1),
    content_type TEXT    NOT NULL CHECK (content_type IN ('image/png', 'image/jpeg', 'application/pdf')),
    size         INTEGER NOT NULL CHECK (size > 0),
    sha256       TEXT    NOT NULL,                  -- hex, of the bytes as uploaded
    blob_key     TEXT    NOT NULL UNIQUE,           -- the encrypted file in the document store
    data_key     TEXT    NOT NULL,                  -- the file's own key, sealed by the ring
    uploaded_by  TEXT    NOT NULL,
    created_at   TEXT    NOT NULL,
    UNIQUE (document_id, version)
);
CREATE INDEX document_versions_created ON document_versions (created_at);

CREATE TABLE document_scans (
    version_id         TEXT    PRIMARY KEY REFERENCES document_versions (id),
    status             TEXT    NOT NULL CHECK (status IN ('clean', 'rejected')),
    rejection_reason   TEXT,                        -- for the customer: what to do about it
    finding            TEXT,                        -- for staff: what exactly was found
    clean_blob_key     TEXT    UNIQUE,              -- metadata-free copy (images) or the original (PDF)
    clean_data_key     TEXT,
    clean_content_type TEXT,
    clean_size         INTEGER,
    clean_sha256       TEXT,
    width              INTEGER,
    height             INTEGER,
    blur_score         INTEGER,                     -- variance of the Laplacian, rounded
    scanned_at         TEXT    NOT NULL,
    CHECK ((status = 'clean' AND rejection_reason IS NULL AND clean_blob_key IS NOT NULL
            AND clean_data_key IS NOT NULL AND clean_content_type IS NOT NULL
            AND clean_size IS NOT NULL AND clean_sha256 IS NOT NULL)
        OR (status = 'rejected' AND rejection_reason IS NOT NULL AND clean_blob_key IS NULL))
);

CREATE TRIGGER documents_immutable_update BEFORE UPDATE ON documents
BEGIN SELECT RAISE(ABORT, 'documents is insert-only'); END;
CREATE TRIGGER documents_immutable_delete BEFORE DELETE ON documents
BEGIN SELECT RAISE(ABORT, 'documents is insert-only'); END;
CREATE TRIGGER document_versions_immutable_update BEFORE UPDATE OF
    id, document_id, version, content_type, size, sha256, blob_key, uploaded_by, created_at ON document_versions
BEGIN SELECT RAISE(ABORT, 'document_versions is insert-only (only data_key may be re-wrapped)'); END;
CREATE TRIGGER document_versions_immutable_delete BEFORE DELETE ON document_versions
BEGIN SELECT RAISE(ABORT, 'document_versions is insert-only'); END;
CREATE TRIGGER document_scans_immutable_update BEFORE UPDATE OF
    version_id, status, rejection_reason, finding, clean_blob_key, clean_content_type, clean_size, clean_sha256, width, height, blur_score, scanned_at ON document_scans
BEGIN SELECT RAISE(ABORT, 'document_scans is insert-only (only clean_data_key may be re-wrapped)'); END;
CREATE TRIGGER document_scans_immutable_delete BEFORE DELETE ON document_scans
BEGIN SELECT RAISE(ABORT, 'document_scans is insert-only'); END;
