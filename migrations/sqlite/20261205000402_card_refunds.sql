-- Card refunds: a credit to the card's account (an ordinary `deposit` entry against the cash
-- account) linked to the captured hold it refunds. What a hold refunds never exceeds what it
-- captured: decided under the hold's lock, proven by `tresor ledger verify`.
CREATE TABLE card_refunds (
    entry_id   TEXT    NOT NULL PRIMARY KEY REFERENCES journal_entries (id),
    hold_id    TEXT    NOT NULL REFERENCES holds (id),
    amount     INTEGER NOT NULL CHECK (amount > 0),
    created_at TEXT    NOT NULL
);
CREATE INDEX card_refunds_hold ON card_refunds (hold_id);
