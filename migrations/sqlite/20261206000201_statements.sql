-- Monthly account statements: opening and closing balance and every posting of the period, as
-- CSV and PDF, each sealed at rest (XChaCha20-Poly1305, bound to the row and column). A
-- statement of a period that includes its build time is partial and is replaced by the next
-- build; a complete one is never rebuilt.
CREATE TABLE statements (
    id              TEXT    PRIMARY KEY,          -- UUID v7
    account_id      TEXT    NOT NULL REFERENCES accounts (id),
    user_id         TEXT    NOT NULL,
    period          TEXT    NOT NULL,             -- YYYY-MM
    opening_balance INTEGER  NOT NULL,
    closing_balance INTEGER  NOT NULL,
    postings        INTEGER  NOT NULL,
    partial         INTEGER  NOT NULL DEFAULT 0 CHECK (partial IN (0, 1)),
    csv_sealed      TEXT    NOT NULL,
    pdf_sealed      TEXT    NOT NULL,
    created_at      TEXT    NOT NULL,
    UNIQUE (account_id, period)
);
CREATE INDEX statements_user ON statements (user_id, account_id, period);
