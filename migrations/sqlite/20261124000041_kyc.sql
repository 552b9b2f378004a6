-- KYC submissions and staff reviews, keyed by the user's id (the users table is identity's; its
-- kyc_status column is updated in the same transaction by kyc::submit and kyc::review). A user's status is their
-- latest submission's: submitted until reviewed, then approved or rejected. A rejected user may
-- submit again (the next seq). Both tables are insert-only (triggers below).
CREATE TABLE kyc_submissions (
    id                   TEXT    PRIMARY KEY,
    user_id              TEXT    NOT NULL,
    seq                  INTEGER NOT NULL CHECK (seq >= 1),  -- 1, 2, ... per user: racing submits collide here
    document_version_ids TEXT    NOT NULL,                 -- JSON array of the clean versions submitted
    submitted_at         TEXT    NOT NULL,
    UNIQUE (user_id, seq)
);
CREATE INDEX kyc_submissions_submitted ON kyc_submissions (submitted_at);

CREATE TABLE kyc_reviews (
    submission_id TEXT PRIMARY KEY REFERENCES kyc_submissions (id),  -- one decision per submission
    reviewer_id   TEXT NOT NULL,
    decision      TEXT NOT NULL CHECK (decision IN ('approved', 'rejected')),
    reason        TEXT,
    reviewed_at   TEXT NOT NULL,
    CHECK (decision = 'approved' OR reason IS NOT NULL)
);

CREATE TRIGGER kyc_submissions_insert_only_update BEFORE UPDATE ON kyc_submissions
BEGIN SELECT RAISE(ABORT, 'kyc_submissions is insert-only'); END;
CREATE TRIGGER kyc_submissions_insert_only_delete BEFORE DELETE ON kyc_submissions
BEGIN SELECT RAISE(ABORT, 'kyc_submissions is insert-only'); END;
CREATE TRIGGER kyc_reviews_insert_only_update BEFORE UPDATE ON kyc_reviews
BEGIN SELECT RAISE(ABORT, 'kyc_reviews is insert-only'); END;
CREATE TRIGGER kyc_reviews_insert_only_delete BEFORE DELETE ON kyc_reviews
BEGIN SELECT RAISE(ABORT, 'kyc_reviews is insert-only'); END;
