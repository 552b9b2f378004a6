-- Scheduled and recurring transfers: the schedule, and one row per occurrence that ran (posted or
-- refused). The occurrence's ledger idempotency key is the schedule and the day, so a transfer
-- can never happen twice; the run row's key is the same pair.
CREATE TABLE scheduled_transfers (
    id                TEXT    PRIMARY KEY,        -- UUID v7
    user_id           TEXT    NOT NULL,
    from_account_id   TEXT    NOT NULL REFERENCES accounts (id),
    to_account_number TEXT    NOT NULL,
    amount            BIGINT  NOT NULL CHECK (amount > 0),
    currency          TEXT    NOT NULL,
    description       TEXT,
    frequency         TEXT    NOT NULL CHECK (frequency IN ('once', 'weekly', 'monthly')),
    start_date        TEXT    NOT NULL,           -- YYYY-MM-DD (UTC days)
    end_date          TEXT,
    next_run_on       TEXT,                       -- the next occurrence not yet enqueued; none when done
    status            TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'completed', 'cancelled')),
    created_at        TEXT    NOT NULL,
    cancelled_at      TEXT
);
CREATE INDEX scheduled_transfers_user ON scheduled_transfers (user_id, id);
CREATE INDEX scheduled_transfers_due ON scheduled_transfers (next_run_on) WHERE status = 'active';

CREATE TABLE scheduled_transfer_runs (
    schedule_id    TEXT NOT NULL REFERENCES scheduled_transfers (id),
    run_on         TEXT NOT NULL,                 -- the occurrence's day
    outcome        TEXT NOT NULL CHECK (outcome IN ('posted', 'refused')),
    transaction_id TEXT,                          -- the posted journal entry
    reason         TEXT,                          -- a refusal's problem slug
    detail         TEXT,
    created_at     TEXT NOT NULL,
    PRIMARY KEY (schedule_id, run_on)
);
