-- Virtual debit cards. The card number (PAN) is sealed at rest (XChaCha20-Poly1305, bound to
-- this row and column) and found by its keyed blind index; only its last four digits are kept
-- in clear. The CVV is never stored: it is a keyed MAC of the PAN and expiry under the MAC key
-- named by `cvv_key_id`, recomputed at each authorization.
CREATE TABLE cards (
    id                    TEXT    PRIMARY KEY,        -- UUID v7
    account_id            TEXT    NOT NULL REFERENCES accounts (id),
    user_id               TEXT    NOT NULL,
    pan_sealed            TEXT    NOT NULL,
    pan_index             TEXT    NOT NULL UNIQUE,    -- HMAC blind index (key id ':' hex)
    last4                 TEXT    NOT NULL,
    expiry_month          BIGINT NOT NULL CHECK (expiry_month BETWEEN 1 AND 12),
    expiry_year           BIGINT NOT NULL,
    cvv_key_id            TEXT    NOT NULL,
    status                TEXT    NOT NULL DEFAULT 'active' CHECK (status IN ('active', 'frozen', 'closed')),
    limit_per_transaction BIGINT CHECK (limit_per_transaction IS NULL OR limit_per_transaction > 0),
    limit_daily           BIGINT CHECK (limit_daily IS NULL OR limit_daily > 0),
    created_at            TEXT    NOT NULL,
    closed_at             TEXT
);
CREATE INDEX cards_user ON cards (user_id, id);
CREATE INDEX cards_account ON cards (account_id);
CREATE INDEX holds_card ON holds (card_id, created_at) WHERE card_id IS NOT NULL;
