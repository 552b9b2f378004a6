-- Federated sign-in (OpenID Connect): the identities linked to users, the authorization flows in
-- progress (server-side, single use, short-lived) and the links waiting for the local password.
-- Which way a session (and an MFA step) was opened: NULL = password, `oidc:<provider>`, `passkey`.
CREATE TABLE user_identities (
    id           TEXT PRIMARY KEY,              -- UUID v7
    user_id      TEXT NOT NULL REFERENCES users (id),
    provider     TEXT NOT NULL,                 -- the name in [oidc.providers.<name>]
    subject      TEXT NOT NULL,                 -- the ID token's `sub`
    email        TEXT,                          -- as the provider asserted it when linked
    created_at   TEXT NOT NULL,
    last_used_at TEXT
);
CREATE UNIQUE INDEX user_identities_subject ON user_identities (provider, subject);
CREATE INDEX user_identities_user ON user_identities (user_id);

CREATE TABLE oidc_flows (
    id            TEXT PRIMARY KEY,
    state_hash    TEXT NOT NULL UNIQUE,         -- SHA-256 of the `state` sent to the provider
    provider      TEXT NOT NULL,
    nonce_hash    TEXT NOT NULL,                -- SHA-256 of the `nonce`
    pkce_verifier TEXT NOT NULL,                -- sealed
    redirect_to   TEXT NOT NULL,
    link_user_id  TEXT REFERENCES users (id),   -- a signed-in user linking a provider
    created_at    TEXT NOT NULL,
    expires_at    TEXT NOT NULL,
    used_at       TEXT
);
CREATE INDEX oidc_flows_expires ON oidc_flows (expires_at);

CREATE TABLE oidc_pending_links (
    id          TEXT PRIMARY KEY,
    token_hash  TEXT NOT NULL UNIQUE,
    user_id     TEXT NOT NULL REFERENCES users (id),
    provider    TEXT NOT NULL,
    subject     TEXT NOT NULL,
    email       TEXT NOT NULL,
    redirect_to TEXT NOT NULL,
    device_name TEXT,
    ip          TEXT,
    user_agent  TEXT,
    created_at  TEXT NOT NULL,
    expires_at  TEXT NOT NULL,
    used_at     TEXT
);
CREATE INDEX oidc_pending_links_expires ON oidc_pending_links (expires_at);

ALTER TABLE sessions ADD COLUMN via TEXT;
ALTER TABLE mfa_challenges ADD COLUMN via TEXT;
