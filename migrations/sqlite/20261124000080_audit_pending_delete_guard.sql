-- A staged audit entry leaves audit_pending only once it is in the chain: the linker inserts its
-- link into audit_log (same id) and deletes it here in the same transaction. Any other DELETE is
-- refused, so an entry cannot vanish in the moments before it is linked.
CREATE TRIGGER audit_pending_leaves_only_when_linked BEFORE DELETE ON audit_pending
WHEN NOT EXISTS (SELECT 1 FROM audit_log WHERE id = OLD.id)
BEGIN
    SELECT RAISE(ABORT, 'audit_pending rows leave only once linked into audit_log');
END;
