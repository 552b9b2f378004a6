-- The double-entry ledger. Every money movement is one journal entry whose postings sum to zero;
-- deposits and withdrawals post against a per-currency system cash account. Entries and postings
-- are insert-only (triggers below refuse UPDATE and DELETE). A customer balance can never go
-- negative: the CHECK constraint is the last line of defence behind the conditional updates.
CREATE TABLE accounts (
    id         TEXT   PRIMARY KEY,
    user_id    TEXT,                                  -- NULL for system accounts
    number     TEXT   NOT NULL UNIQUE,                -- 12 digits, ISO 7064 mod 97-10 check
    kind       TEXT   NOT NULL CHECK (kind IN ('checking', 'savings', 'system')),
    currency   TEXT   NOT NULL,
    balance    BIGINT NOT NULL DEFAULT 0,             -- minor units; system accounts keep 0 (derived)
    version    BIGINT NOT NULL DEFAULT 0,             -- bumped by every debit
    posting_seq BIGINT NOT NULL DEFAULT 0,          -- postings so far: numbers the next ones
    status     TEXT   NOT NULL DEFAULT 'open' CHECK (status IN ('open', 'frozen', 'closed')),
    is_system  BIGINT NOT NULL DEFAULT 0 CHECK (is_system IN (0, 1)),
    created_at TEXT   NOT NULL,
    CHECK (is_system = 1 OR balance >= 0)
);
CREATE INDEX accounts_user ON accounts (user_id, created_at);
CREATE UNIQUE INDEX accounts_system_currency ON accounts (currency) WHERE is_system = 1;

CREATE TABLE journal_entries (
    id           TEXT   PRIMARY KEY,
    reference    TEXT   NOT NULL UNIQUE,              -- human-quotable, e.g. TX-7K3MQ9PZ2A
    kind         TEXT   NOT NULL CHECK (kind IN ('deposit', 'withdrawal', 'transfer')),
    currency     TEXT   NOT NULL,
    amount       BIGINT NOT NULL CHECK (amount > 0),
    description  TEXT,
    initiated_by TEXT,                                -- the user who asked for it
    created_at   TEXT   NOT NULL
);

CREATE TABLE postings (
    id                      TEXT   PRIMARY KEY,       -- UUID v7: orders an account's history
    entry_id                TEXT   NOT NULL REFERENCES journal_entries (id),
    account_id              TEXT   NOT NULL REFERENCES accounts (id),
    seq                     BIGINT,                    -- 1, 2, 3… per account; NULL on system accounts
    amount                  BIGINT NOT NULL CHECK (amount <> 0),  -- signed: + credit, - debit
    balance_after           BIGINT,                   -- NULL on system accounts
    counterparty_account_id TEXT   REFERENCES accounts (id),
    created_at              TEXT   NOT NULL
);
CREATE UNIQUE INDEX postings_account_seq ON postings (account_id, seq);
CREATE INDEX postings_entry ON postings (entry_id);
CREATE INDEX postings_outgoing ON postings (account_id, created_at) WHERE amount < 0;

-- Stripe-style idempotency: the first response to (user, key) is kept 24 h, written in the same
-- transaction as the effect, and replayed for the same request.
CREATE TABLE idempotency_keys (
    scope       TEXT   PRIMARY KEY,                   -- user id ':' key
    fingerprint TEXT   NOT NULL,                      -- SHA-256 of method, path and body
    status      BIGINT NOT NULL,
    body        TEXT   NOT NULL,
    created_at  TEXT   NOT NULL
);
CREATE INDEX idempotency_keys_created ON idempotency_keys (created_at);

CREATE FUNCTION ledger_refuse_change() RETURNS trigger LANGUAGE plpgsql AS $$
BEGIN
    RAISE EXCEPTION '% is insert-only', TG_TABLE_NAME;
END;
$$;
CREATE TRIGGER journal_entries_insert_only BEFORE UPDATE OR DELETE ON journal_entries
FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_insert_only BEFORE UPDATE OR DELETE ON postings
FOR EACH ROW EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER journal_entries_no_truncate BEFORE TRUNCATE ON journal_entries
FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
CREATE TRIGGER postings_no_truncate BEFORE TRUNCATE ON postings
FOR EACH STATEMENT EXECUTE FUNCTION ledger_refuse_change();
