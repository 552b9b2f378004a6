-- Events out: the outbox every change writes in its own transaction, the relay's lease and
-- position, webhook endpoints and their deliveries.

-- One row per event, written in the same transaction as the change it describes. `data` holds
-- ids, amounts and statuses only (never personal data or secrets). `relay_seq` is given by the
-- relay, in the order it hands events on: the live feed and its resumption follow it, so an
-- event that commits late is never skipped by a reader that already passed its id.
CREATE TABLE events (
    id             TEXT NOT NULL PRIMARY KEY,          -- UUID v7
    type           TEXT NOT NULL,
    aggregate_type TEXT NOT NULL,
    aggregate_id   TEXT NOT NULL,
    aggregate_seq  INTEGER,                            -- the aggregate's own numbering, when it has one
    owner_user_id  TEXT,                               -- whose live feed shows it
    data           TEXT NOT NULL,                      -- JSON
    created_at     TEXT NOT NULL,
    relay_seq      INTEGER
);
CREATE INDEX events_unrelayed ON events (id) WHERE relay_seq IS NULL;
CREATE UNIQUE INDEX events_relay_seq ON events (relay_seq);
CREATE INDEX events_owner ON events (owner_user_id, relay_seq);

-- The relay's lease: one relay at a time hands events on (several may run; the others wait).
CREATE TABLE event_relay (
    name        TEXT NOT NULL PRIMARY KEY,
    holder      TEXT,
    lease_until TEXT,
    last_seq    INTEGER NOT NULL DEFAULT 0
);
INSERT INTO event_relay (name, last_seq) VALUES ('main', 0);

CREATE TABLE webhook_endpoints (
    id              TEXT NOT NULL PRIMARY KEY,         -- UUID v7
    url             TEXT NOT NULL,
    events          TEXT NOT NULL,                     -- JSON array of types, or ["*"]
    description     TEXT,
    enabled         INTEGER NOT NULL DEFAULT 1,
    secret          TEXT NOT NULL,                     -- sealed
    previous_secret TEXT,                              -- sealed; signs beside the new one until previous_until
    previous_until  TEXT,
    failing_since   TEXT,
    disabled_reason TEXT,
    created_by      TEXT,
    created_at      TEXT NOT NULL,
    updated_at      TEXT NOT NULL
);

CREATE TABLE webhook_deliveries (
    id               TEXT NOT NULL PRIMARY KEY,        -- UUID v7
    endpoint_id      TEXT NOT NULL REFERENCES webhook_endpoints (id) ON DELETE CASCADE,
    event_id         TEXT NOT NULL REFERENCES events (id),
    status           TEXT NOT NULL DEFAULT 'pending' CHECK (status IN ('pending', 'delivered', 'dead')),
    attempt          INTEGER NOT NULL DEFAULT 0,
    status_code      INTEGER,
    error            TEXT,
    response_excerpt TEXT,
    next_attempt_at  TEXT,
    claimed_until    TEXT,
    delivered_at     TEXT,
    created_at       TEXT NOT NULL,
    UNIQUE (endpoint_id, event_id)
);
CREATE INDEX webhook_deliveries_due ON webhook_deliveries (next_attempt_at, id) WHERE status = 'pending';
CREATE INDEX webhook_deliveries_endpoint ON webhook_deliveries (endpoint_id, event_id);
