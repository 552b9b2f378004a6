-- Holds: money reserved on an account without moving it (a card authorization). An open hold
-- posts nothing to the journal; `accounts.held` is the total of the account's open holds and
-- every debit is fenced on `balance - held`, so a hold is a debit reservation the database
-- enforces. Capturing a hold posts one ordinary journal entry (linked here) and ends the hold;
-- releasing or expiring it ends it without posting. `tresor ledger verify` proves `held`
-- equals the open holds and that `balance >= held`.
ALTER TABLE accounts ADD COLUMN held INTEGER NOT NULL DEFAULT 0;

CREATE TRIGGER accounts_held_within_balance_update BEFORE UPDATE OF balance, held ON accounts
WHEN NEW.is_system = 0 AND (NEW.held < 0 OR NEW.balance < NEW.held)
BEGIN SELECT RAISE(ABORT, 'an account cannot hold more than its balance'); END;

CREATE TABLE holds (
    id               TEXT    PRIMARY KEY,             -- UUID v7; the card authorization's id
    account_id       TEXT    NOT NULL REFERENCES accounts (id),
    card_id          TEXT,                            -- the card that asked for it, if any
    amount           INTEGER NOT NULL CHECK (amount > 0),
    currency         TEXT    NOT NULL,
    captured         INTEGER NOT NULL DEFAULT 0,
    status           TEXT    NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'captured', 'released', 'expired')),
    description      TEXT,
    capture_entry_id TEXT    UNIQUE REFERENCES journal_entries (id),
    expires_at       TEXT    NOT NULL,
    created_at       TEXT    NOT NULL,
    ended_at         TEXT,
    CHECK (captured >= 0 AND captured <= amount),
    CHECK ((status = 'captured') = (capture_entry_id IS NOT NULL))
);
CREATE INDEX holds_account ON holds (account_id, id);
CREATE INDEX holds_open_expiry ON holds (expires_at) WHERE status = 'open';

-- An ended hold stays ended.
CREATE TRIGGER holds_end_once BEFORE UPDATE ON holds
WHEN OLD.status <> 'open' OR NEW.amount <> OLD.amount OR NEW.account_id <> OLD.account_id
BEGIN SELECT RAISE(ABORT, 'a hold ends once and its amount never changes'); END;
CREATE TRIGGER holds_no_delete BEFORE DELETE ON holds
BEGIN SELECT RAISE(ABORT, 'holds are never deleted'); END;
