-- Audit entries written on the hot money path wait here, committed with their change but not
-- yet linked. The linker moves them into audit_log in id order under the database's write
-- lock, hashing each link, and deletes them from here in the same transaction.
CREATE TABLE audit_pending (
    id          TEXT PRIMARY KEY,
    at          TEXT NOT NULL,
    actor_id    TEXT,
    action      TEXT NOT NULL,
    target_type TEXT NOT NULL,
    target_id   TEXT,
    ip          TEXT,
    user_agent  TEXT,
    old_value   TEXT,
    new_value   TEXT
);

CREATE TRIGGER audit_pending_is_insert_only BEFORE UPDATE ON audit_pending
BEGIN
    SELECT RAISE(ABORT, 'audit_pending rows are never changed');
END;
