-- The tamper-evident audit chain. Each row carries the hash of the row before it and its own
-- hash over a canonical encoding of its fields, so editing, deleting or reordering any row
-- breaks the chain. audit_head holds the newest link; appends lock it, so the chain never forks.
CREATE TABLE audit_log (
    seq         INTEGER PRIMARY KEY,          -- position in the chain: 1, 2, 3, ... without gaps
    id          TEXT    NOT NULL UNIQUE,      -- UUID v7, the id clients see
    at          TEXT    NOT NULL,             -- RFC 3339 UTC, microseconds
    actor_id    TEXT,                         -- the user who acted; NULL for the system
    action      TEXT    NOT NULL,             -- e.g. user.login, kyc.review
    target_type TEXT    NOT NULL,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    old_value   TEXT,                         -- JSON, secrets redacted
    new_value   TEXT,                         -- JSON, secrets redacted
    prev_hash   TEXT    NOT NULL,
    hash        TEXT    NOT NULL
);
CREATE INDEX audit_log_actor ON audit_log (actor_id, seq);
CREATE INDEX audit_log_action ON audit_log (action, seq);
CREATE INDEX audit_log_target ON audit_log (target_type, target_id, seq);
CREATE INDEX audit_log_at ON audit_log (at);

CREATE TABLE audit_head (
    id   INTEGER PRIMARY KEY CHECK (id = 1),
    seq  INTEGER NOT NULL,
    hash TEXT    NOT NULL
);
INSERT INTO audit_head (id, seq, hash)
VALUES (1, 0, '0000000000000000000000000000000000000000000000000000000000000000');

-- The application never changes or removes an audit row; the database refuses it as well.
CREATE TRIGGER audit_log_is_append_only_update BEFORE UPDATE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
CREATE TRIGGER audit_log_is_append_only_delete BEFORE DELETE ON audit_log
BEGIN
    SELECT RAISE(ABORT, 'audit_log is append-only');
END;
