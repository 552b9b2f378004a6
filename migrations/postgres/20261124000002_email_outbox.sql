-- Mail waiting to be delivered, written in the same transaction as the event that causes it.
-- The recipient and the template's values (which may hold one-time links) are sealed with the
-- encryption key ring and dropped once the message is accepted by the mail server.
CREATE TABLE email_outbox (
    id         TEXT   PRIMARY KEY,          -- UUID v7; the Message-ID derives from it
    template   TEXT   NOT NULL,
    payload    TEXT,                         -- sealed JSON {to, data}; NULL once sent
    created_at TEXT   NOT NULL,
    sent_at    TEXT
);
CREATE INDEX email_outbox_unsent ON email_outbox (created_at) WHERE sent_at IS NULL;
