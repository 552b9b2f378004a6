-- The back office: reversals (a compensating journal entry linked to the one it reverses),
-- four-eyes approval requests, cases opened by flagged transfers with their notes, and
-- acknowledgements of staff notifications.

-- A reversal is a journal entry of its own (its kind there is the movement it makes: a transfer
-- back, a withdrawal of a deposit, a deposit of a withdrawal); this row says which entry it
-- reverses. `reverses` is UNIQUE: a transaction is reversed at most once, whatever races.
CREATE TABLE reversals (
    entry_id    TEXT NOT NULL PRIMARY KEY REFERENCES journal_entries (id),
    reverses    TEXT NOT NULL UNIQUE REFERENCES journal_entries (id),
    approval_id TEXT,                                 -- the four-eyes request that ran it, if any
    created_at  TEXT NOT NULL,
    CHECK (entry_id <> reverses)
);
CREATE TRIGGER reversals_insert_only BEFORE UPDATE OR DELETE ON reversals
FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER reversals_no_truncate BEFORE TRUNCATE ON reversals
FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();

-- Four eyes: an action one staff member asks for and another decides. Approving runs the action
-- in the same transaction as the decision.
CREATE TABLE approval_requests (
    id           TEXT NOT NULL PRIMARY KEY,           -- UUID v7
    kind         TEXT NOT NULL CHECK (kind IN ('reversal', 'mfa_reset')),
    target_type  TEXT NOT NULL CHECK (target_type IN ('transaction', 'user')),
    target_id    TEXT NOT NULL,
    requested_by TEXT NOT NULL,
    reason       TEXT NOT NULL,
    status       TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'approved', 'rejected')),
    decided_by   TEXT,
    decided_at   TEXT,
    decision_note TEXT,
    created_at   TEXT NOT NULL,
    CHECK (decided_by IS NULL OR decided_by <> requested_by)
);
CREATE INDEX approval_requests_status ON approval_requests (status, id);
-- One pending request per action and target.
CREATE UNIQUE INDEX approval_requests_pending ON approval_requests (kind, target_id) WHERE status = 'pending';

-- Cases: what staff investigate (a flagged transfer today), assigned, noted and resolved.
CREATE TABLE cases (
    id          TEXT NOT NULL PRIMARY KEY,            -- UUID v7
    kind        TEXT NOT NULL,                        -- large_transfer, velocity
    status      TEXT NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'resolved')),
    summary     TEXT NOT NULL,
    entry_id    TEXT REFERENCES journal_entries (id),
    account_id  TEXT REFERENCES accounts (id),
    user_id     TEXT,
    assignee_id TEXT,
    outcome     TEXT CHECK (outcome IS NULL OR outcome IN ('cleared', 'reversal_requested', 'account_frozen')),
    resolved_by TEXT,
    resolved_at TEXT,
    created_at  TEXT NOT NULL
);
CREATE INDEX cases_status ON cases (status, id);
CREATE INDEX cases_assignee ON cases (assignee_id, id);
CREATE UNIQUE INDEX cases_entry ON cases (entry_id) WHERE entry_id IS NOT NULL;

CREATE TABLE case_notes (
    id         TEXT NOT NULL PRIMARY KEY,             -- UUID v7
    case_id    TEXT NOT NULL REFERENCES cases (id),
    author_id  TEXT,
    text       TEXT NOT NULL,
    created_at TEXT NOT NULL
);
CREATE INDEX case_notes_case ON case_notes (case_id, id);

ALTER TABLE staff_notifications ADD COLUMN acknowledged_at TEXT;
ALTER TABLE staff_notifications ADD COLUMN acknowledged_by TEXT;
