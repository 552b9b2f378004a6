-- A staged audit entry leaves audit_pending only once it is in the chain: the linker inserts its
-- link into audit_log (same id) and deletes it here in the same transaction. Any other DELETE,
-- and any TRUNCATE, is refused, so an entry cannot vanish in the moments before it is linked.
-- Checked once per statement over every deleted row (the linker deletes a whole batch at once).
CREATE FUNCTION audit_pending_refuse_unlinked_delete() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    IF EXISTS (SELECT 1 FROM gone WHERE NOT EXISTS (SELECT 1 FROM audit_log l WHERE l.id = gone.id)) THEN
        RAISE EXCEPTION 'audit_pending rows leave only once linked into audit_log';
    END IF;
    RETURN NULL;
END;
$$;
CREATE TRIGGER audit_pending_leaves_only_when_linked
AFTER DELETE ON audit_pending
REFERENCING OLD TABLE AS gone
FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_refuse_unlinked_delete();

CREATE FUNCTION audit_pending_refuse_truncate() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION 'audit_pending is never truncated';
END;
$$;
CREATE TRIGGER audit_pending_no_truncate
BEFORE TRUNCATE ON audit_pending
FOR EACH STATEMENT EXECUTE FUNCTION audit_pending_refuse_truncate();
