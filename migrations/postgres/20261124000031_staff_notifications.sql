-- What staff should look at: new KYC submissions, flagged transfers. Written in the same
-- transaction as the event; listed by GET /v1/admin/notifications.
CREATE TABLE staff_notifications (
    id           TEXT PRIMARY KEY,                -- UUID v7: sorts by time
    at           TEXT NOT NULL,
    kind         TEXT NOT NULL,                   -- kyc_submitted, transfer_flagged
    subject_type TEXT NOT NULL,                   -- user, account, journal_entry
    subject_id   TEXT NOT NULL,
    message      TEXT NOT NULL                    -- for staff; no secrets
);
CREATE INDEX staff_notifications_kind ON staff_notifications (kind, id);
