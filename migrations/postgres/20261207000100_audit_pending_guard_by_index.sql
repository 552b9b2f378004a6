-- The guard on deleting staged audit entries (20261124000080) checked the deleted rows against
-- audit_log with one query over the whole transition table; the planner, which cannot know how
-- many rows a transition table holds, chose to read all of audit_log into a hash for it, so every
-- linking round cost a scan of the ever-growing log. The same check, one lookup by the unique
-- id per deleted row: a linking round costs what its batch costs, however long the log is.
-- (SQLite's guard is a row trigger that already looks each row up by id.)
CREATE OR REPLACE FUNCTION audit_pending_refuse_unlinked_delete() RETURNS trigger LANGUAGE plpgsql AS $$
DECLARE
    leaving TEXT;
BEGIN
    FOR leaving IN SELECT id FROM gone LOOP
        IF NOT EXISTS (SELECT 1 FROM audit_log WHERE id = leaving) THEN
            RAISE EXCEPTION 'audit_pending rows leave only once linked into audit_log';
        END IF;
    END LOOP;
    RETURN NULL;
END;
$$;
