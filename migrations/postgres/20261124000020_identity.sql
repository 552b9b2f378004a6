-- Identity: users (personal data sealed per field), roles, sessions with rotating refresh
-- tokens, one-time tokens (email verification, password reset, invites), MFA login challenges,
-- security events and data-export requests. Secrets (refresh and one-time tokens) are stored as
-- SHA-256 hashes only; personal data (phone, date of birth, SSN, address) as XChaCha20-Poly1305
-- ciphertexts bound to their row and column; the SSN is found by a keyed blind index (HMAC).
CREATE TABLE users (
    id                TEXT    PRIMARY KEY,      -- UUID v7
    email             TEXT,                     -- lower-cased; NULL once purged
    full_name         TEXT    NOT NULL,
    password_hash     TEXT,                     -- argon2id PHC string; NULL until set (invites)
    status            TEXT    NOT NULL,         -- pending_verification | active | deleted
    email_verified_at TEXT,
    phone             TEXT,                     -- sealed
    date_of_birth     TEXT,                     -- sealed
    ssn               TEXT,                     -- sealed
    ssn_index         TEXT,                     -- <mac key id>:<hex HMAC-SHA-256>
    address           TEXT,                     -- sealed JSON
    kyc_status        TEXT    NOT NULL DEFAULT 'not_started',
    mfa_enabled       BIGINT  NOT NULL DEFAULT 0,
    failed_logins     BIGINT  NOT NULL DEFAULT 0,   -- consecutive, counted before verifying
    locked_until      TEXT,
    lockouts          BIGINT  NOT NULL DEFAULT 0,   -- consecutive lockouts: doubles the next
    created_at        TEXT    NOT NULL,
    updated_at        TEXT    NOT NULL,
    deleted_at        TEXT,
    purged_at         TEXT
);
CREATE UNIQUE INDEX users_email ON users (email);
CREATE UNIQUE INDEX users_ssn_index ON users (ssn_index);
CREATE INDEX users_locked_until ON users (locked_until) WHERE locked_until IS NOT NULL;
CREATE INDEX users_deleted_at ON users (deleted_at) WHERE deleted_at IS NOT NULL AND purged_at IS NULL;

CREATE TABLE user_roles (
    user_id    TEXT NOT NULL REFERENCES users (id),
    role       TEXT NOT NULL,                   -- customer | support | kyc_officer | auditor | admin
    granted_at TEXT NOT NULL,
    PRIMARY KEY (user_id, role)
);

CREATE TABLE sessions (
    id              TEXT    PRIMARY KEY,
    user_id         TEXT    NOT NULL REFERENCES users (id),
    device_name     TEXT,
    device_key      TEXT    NOT NULL,           -- SHA-256 of user agent + device name
    ip              TEXT,
    user_agent      TEXT,
    mfa             BIGINT  NOT NULL DEFAULT 0, -- this session passed MFA
    mfa_at          TEXT,
    created_at      TEXT    NOT NULL,
    last_used_at    TEXT    NOT NULL,
    idle_expires_at TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,           -- absolute end
    revoked_at      TEXT,
    revoked_reason  TEXT
);
CREATE INDEX sessions_user ON sessions (user_id, created_at);
CREATE INDEX sessions_expires ON sessions (expires_at);

CREATE TABLE refresh_tokens (
    id          TEXT PRIMARY KEY,
    session_id  TEXT NOT NULL REFERENCES sessions (id) ON DELETE CASCADE,
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    spent_at    TEXT                            -- set when exchanged; presenting it again is reuse
);
CREATE INDEX refresh_tokens_session ON refresh_tokens (session_id);

CREATE TABLE one_time_tokens (
    id          TEXT PRIMARY KEY,
    user_id     TEXT NOT NULL REFERENCES users (id),
    purpose     TEXT NOT NULL,                  -- verify_email | password_reset | invite
    token_hash  TEXT NOT NULL UNIQUE,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX one_time_tokens_user ON one_time_tokens (user_id, purpose);
CREATE INDEX one_time_tokens_expires ON one_time_tokens (expires_at);

CREATE TABLE mfa_challenges (
    id              TEXT    PRIMARY KEY,
    user_id         TEXT    NOT NULL REFERENCES users (id),
    token_hash      TEXT    NOT NULL UNIQUE,
    device_name     TEXT,
    ip              TEXT,
    user_agent      TEXT,
    failed_attempts BIGINT  NOT NULL DEFAULT 0,
    created_at      TEXT    NOT NULL,
    expires_at      TEXT    NOT NULL,
    used_at         TEXT
);
CREATE INDEX mfa_challenges_expires ON mfa_challenges (expires_at);

-- What staff watch: failed logins, lockouts, refresh-token reuse, rate-limit hits (later:
-- suspicious transfers). No foreign key: events about unknown emails have no user.
CREATE TABLE security_events (
    id      TEXT PRIMARY KEY,                   -- UUID v7: sorts by time
    at      TEXT NOT NULL,
    kind    TEXT NOT NULL,
    user_id TEXT,
    ip      TEXT,
    subject TEXT,                               -- blind index of what was targeted (e.g. an email)
    detail  TEXT NOT NULL                       -- JSON, no secrets
);
CREATE INDEX security_events_at ON security_events (at);
CREATE INDEX security_events_user ON security_events (user_id, at);
CREATE INDEX security_events_kind ON security_events (kind, at);

CREATE TABLE user_exports (
    id           TEXT PRIMARY KEY,
    user_id      TEXT NOT NULL REFERENCES users (id),
    status       TEXT NOT NULL,                 -- pending | ready | failed
    requested_at TEXT NOT NULL,
    completed_at TEXT
);
CREATE INDEX user_exports_pending ON user_exports (requested_at) WHERE status = 'pending';
