-- Audit entries written on the hot money path wait here, committed with their change but not
-- yet linked, so those transactions do not queue on the chain head. The linker (a background
-- task of every `serve` process, and every reader of the chain before it reads) moves them into
-- audit_log in id order under the head lock, hashing each link, and deletes them from here in
-- the same transaction. Rows are never changed in place.
CREATE TABLE audit_pending (
    id          TEXT PRIMARY KEY,             -- UUID v7: the order they are linked in
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

CREATE FUNCTION audit_pending_refuse_update() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_pending rows are never changed';
END;
$$;
CREATE TRIGGER audit_pending_is_insert_only
BEFORE UPDATE ON audit_pending
FOR EACH ROW EXECUTE FUNCTION audit_pending_refuse_update();
