-- Exports built in the background: a user's own data (GET /v1/users/me/export) and the audit
-- log for staff (POST /v1/admin/audit-logs/export). The finished file is sealed in the row
-- (XChaCha20-Poly1305 under the encryption ring, bound to the row) so a web process on another
-- machine can serve what a worker built; `cleanup` drops it once `expires_at` has passed.
CREATE TABLE exports (
    id           TEXT   PRIMARY KEY,             -- UUID v7
    kind         TEXT   NOT NULL,                -- user | audit
    user_id      TEXT   NOT NULL REFERENCES users (id),  -- whose data (user) / who asked (audit)
    format       TEXT   NOT NULL,                -- json | csv
    filters      TEXT,                           -- JSON, audit exports only
    status       TEXT   NOT NULL,                -- pending | ready | failed | expired
    requested_at TEXT   NOT NULL,
    completed_at TEXT,
    expires_at   TEXT,
    size         BIGINT,
    payload      TEXT,                           -- sealed; NULL until ready and after expiry
    error        TEXT                            -- why it failed, for staff; no personal data
);
CREATE INDEX exports_pending ON exports (requested_at) WHERE status = 'pending';
CREATE INDEX exports_expiry ON exports (expires_at) WHERE status = 'ready';
CREATE INDEX exports_user ON exports (user_id, requested_at);

INSERT INTO exports (id, kind, user_id, format, status, requested_at, completed_at)
    SELECT id, 'user', user_id, 'json', status, requested_at, completed_at FROM user_exports;
DROP TABLE user_exports;
