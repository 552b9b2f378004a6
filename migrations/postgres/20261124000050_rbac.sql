-- RBAC: single permissions granted to a user beside their roles' bundles, optionally until a
-- time (an expired grant simply stops counting; no job is needed). Revoked grants are kept with
-- who revoked them, for the record.
CREATE TABLE permission_grants (
    id         TEXT PRIMARY KEY,                -- UUID v7
    user_id    TEXT NOT NULL REFERENCES users (id),
    permission TEXT NOT NULL,                   -- resource:action, e.g. kyc:review
    granted_by TEXT,                            -- the staff member (NULL: the system)
    granted_at TEXT NOT NULL,
    expires_at TEXT,                            -- NULL: until revoked
    revoked_at TEXT,
    revoked_by TEXT
);
CREATE INDEX permission_grants_user ON permission_grants (user_id) WHERE revoked_at IS NULL;

-- A lock set by staff (POST /v1/admin/users/{id}/lock). Separate from the automatic lockout
-- (locked_until), which the expire_lockouts job lifts: only staff lift this one.
ALTER TABLE users ADD COLUMN staff_locked_at TEXT;
ALTER TABLE users ADD COLUMN staff_locked_by TEXT;
ALTER TABLE users ADD COLUMN staff_lock_reason TEXT;
CREATE INDEX users_staff_locked ON users (staff_locked_at) WHERE staff_locked_at IS NOT NULL;
