-- Passkeys (WebAuthn): each user's WebAuthn user handle (random, so an authenticator never holds
-- the email or the account id), the registered credentials, and the ceremonies in progress
-- (server-side, single use, short-lived; the library's state sealed).
CREATE TABLE passkey_users (
    user_id    TEXT PRIMARY KEY REFERENCES users (id),
    handle     TEXT NOT NULL UNIQUE,            -- UUID v4: the WebAuthn user.id
    created_at TEXT NOT NULL
);

CREATE TABLE passkeys (
    id              TEXT PRIMARY KEY,           -- UUID v7
    user_id         TEXT NOT NULL REFERENCES users (id),
    credential_id   TEXT NOT NULL UNIQUE,       -- base64url, as the authenticator names it
    name            TEXT NOT NULL,
    passkey         TEXT NOT NULL,              -- webauthn-rs Passkey (public key, counter, flags) as JSON
    sign_count      BIGINT NOT NULL DEFAULT 0,
    backup_eligible BIGINT NOT NULL DEFAULT 0,
    backup_state    BIGINT NOT NULL DEFAULT 0,
    created_at      TEXT NOT NULL,
    last_used_at    TEXT,
    suspended_at    TEXT                        -- a sign counter went backwards: refused until removed
);
CREATE INDEX passkeys_user ON passkeys (user_id);

CREATE TABLE passkey_ceremonies (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,           -- SHA-256 of the `ceremony` token the client holds
    purpose     TEXT NOT NULL,                  -- register | sign_in | step_up | second_step
    user_id     TEXT REFERENCES users (id),
    session_id  TEXT,                           -- the session a step-up is for
    challenge_id TEXT,                          -- the mfa_challenges row a sign-in's second step is for
    state       TEXT NOT NULL,                  -- sealed
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX passkey_ceremonies_expires ON passkey_ceremonies (expires_at);
