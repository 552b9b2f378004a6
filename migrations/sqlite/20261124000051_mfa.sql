-- MFA: one TOTP secret per user (sealed with the encryption ring, bound to its row), pending
-- until a code proves the authenticator has it; last_step is the newest accepted RFC 6238 time
-- step, so a code is accepted once and never again (no replay within its window). Backup codes
-- are stored as keyed hashes (HMAC under the MAC ring), each usable once.
CREATE TABLE mfa_totp (
    user_id    TEXT    PRIMARY KEY REFERENCES users (id),
    secret     TEXT    NOT NULL,                -- sealed: tresor/mfa_totp/secret/<user_id>
    status     TEXT    NOT NULL,                -- pending | active
    last_step  INTEGER,
    created_at TEXT    NOT NULL,
    enabled_at TEXT
);

CREATE TABLE mfa_backup_codes (
    id         TEXT PRIMARY KEY,
    user_id    TEXT NOT NULL REFERENCES users (id),
    code_hash  TEXT NOT NULL,                   -- <mac key id>:<hex HMAC-SHA-256>
    created_at TEXT NOT NULL,
    used_at    TEXT
);
CREATE INDEX mfa_backup_codes_user ON mfa_backup_codes (user_id);
